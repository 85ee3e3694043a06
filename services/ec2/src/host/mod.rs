//! The instances on this machine: each running instance is a process group
//! nimbus started, led by its init (`boot.sh`: boot hooks, the first boot's
//! user data, then an idle wait), working in a folder of its own, its
//! console written to a file. Stopping signals the group; an init that ends
//! by itself (the instance's `shutdown`, or a crash) is reported so the
//! service can apply the instance's shutdown behaviour.

mod boot;
mod cloud_config;
mod user_data;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_runtime::Clock;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::mpsc;

pub use boot::Layout;

/// How often an adopted init (not nimbus's child) is looked at.
const ADOPTED_POLL: Duration = Duration::from_millis(500);

/// The most of an instance's console GetConsoleOutput returns (its last 64 KiB).
const CONSOLE_TAIL: u64 = 64 * 1024;

/// An instance to boot.
pub struct Boot<'a> {
    pub id: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub address: Ipv4Addr,
    /// Its user data, decoded, on the first boot only.
    pub first_boot: Option<&'a [u8]>,
    /// What its folder starts as (an image of the account's own), when it
    /// has none yet.
    pub image_folder: Option<PathBuf>,
    /// What else its programs find in their environment (the metadata service).
    pub variables: Vec<(String, String)>,
}

/// An init that ended without nimbus ending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub id: String,
    pub account: String,
    pub region: String,
    /// The instance asked for a reboot (`reboot`, `shutdown -r`).
    pub reboot: bool,
    /// Which boot it was (a later boot makes this exit stale).
    pub generation: u64,
}

struct Process {
    group: i32,
    generation: u64,
    /// Set when nimbus ends it: its end is then not the instance's doing.
    ended_by_nimbus: Arc<AtomicBool>,
}

/// The instances' processes on this machine.
pub struct Host {
    instances: PathBuf,
    /// Where the instances' AWS SDKs and CLI reach nimbus.
    endpoint: String,
    clock: Clock,
    processes: Mutex<HashMap<String, Process>>,
    generations: AtomicU64,
    exits: mpsc::UnboundedSender<Exit>,
}

impl Host {
    /// A host keeping instances under `<data_dir>/ec2/instances`; the
    /// receiver hears of inits that ended by themselves.
    pub fn new(
        data_dir: &Path,
        endpoint: String,
        clock: Clock,
    ) -> (Arc<Host>, mpsc::UnboundedReceiver<Exit>) {
        let (exits, heard) = mpsc::unbounded_channel();
        let host = Host {
            instances: data_dir.join("ec2").join("instances"),
            endpoint,
            clock,
            processes: Mutex::default(),
            generations: AtomicU64::new(0),
            exits,
        };
        (Arc::new(host), heard)
    }

    pub fn layout(&self, id: &str) -> Layout {
        Layout::new(&self.instances, id)
    }

    /// Starts the instance's init in a process group of its own.
    pub fn boot(&self, boot: Boot<'_>) -> Result<(), String> {
        let layout = self.layout(boot.id);
        if let Some(image) = &boot.image_folder
            && !layout.root().exists()
        {
            crate::snapshots::copy_tree(image, &layout.root())
                .map_err(|e| format!("cannot copy the image: {e}"))?;
        }
        boot::prepare(&layout, boot.id, boot.first_boot)
            .map_err(|e| format!("cannot prepare {}: {e}", boot.id))?;
        let _ = std::fs::remove_file(layout.reboot_marker());
        let console = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(layout.console())
            .map_err(|e| format!("cannot open the console of {}: {e}", boot.id))?;
        let errors = console.try_clone().map_err(|e| e.to_string())?;
        let mut command = tokio::process::Command::new("/bin/sh");
        command
            .arg(layout.script())
            .current_dir(layout.root())
            .env_clear()
            .envs(self.environment(&boot, &layout))
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(errors)
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", boot.id))?;
        let group = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or(0);
        write_pid_file(&layout.pid_file(), group);
        self.watch(boot.id, boot.account, boot.region, group, async move {
            let _ = child.wait().await;
        });
        Ok(())
    }

    /// Keeps `group` as the instance's processes and, once `ended` (its
    /// init's end) completes, reports it unless nimbus ended it.
    fn watch(
        &self,
        id: &str,
        account: &str,
        region: &str,
        group: i32,
        ended: impl Future<Output = ()> + Send + 'static,
    ) {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let ended_by_nimbus = Arc::new(AtomicBool::new(false));
        let process = Process {
            group,
            generation,
            ended_by_nimbus: Arc::clone(&ended_by_nimbus),
        };
        if let Some(previous) = self.lock().insert(id.to_owned(), process) {
            end_group(&previous, Signal::SIGKILL);
        }
        let exit = Exit {
            id: id.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
            reboot: false,
            generation,
        };
        let (exits, marker) = (self.exits.clone(), self.layout(id).reboot_marker());
        tokio::spawn(async move {
            ended.await;
            if !ended_by_nimbus.load(Ordering::Acquire) {
                let reboot = std::fs::remove_file(&marker).is_ok();
                let _ = exits.send(Exit { reboot, ..exit });
            }
        });
    }

    fn environment(&self, boot: &Boot<'_>, layout: &Layout) -> Vec<(String, String)> {
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned());
        let mut variables = vec![
            ("PATH".to_owned(), format!("{}:{path}", layout.bin().display())),
            ("HOME".to_owned(), layout.root().display().to_string()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
            ("AWS_ENDPOINT_URL".to_owned(), self.endpoint.clone()),
            ("AWS_DEFAULT_REGION".to_owned(), boot.region.to_owned()),
            ("AWS_REGION".to_owned(), boot.region.to_owned()),
            ("NIMBUS_INSTANCE_ID".to_owned(), boot.id.to_owned()),
            (
                "NIMBUS_INSTANCE_DIR".to_owned(),
                layout.dir().display().to_string(),
            ),
            ("NIMBUS_PRIVATE_IP".to_owned(), boot.address.to_string()),
        ];
        variables.extend(boot.variables.iter().cloned());
        variables
    }

    /// Ends the instance's processes: SIGTERM now, SIGKILL once `grace` has
    /// passed on the clock.
    pub fn halt(&self, id: &str, grace: Duration) {
        let Some(process) = self.take(id) else { return };
        end_group(&process, Signal::SIGTERM);
        let clock = self.clock.clone();
        tokio::spawn(async move {
            clock.sleep(grace).await;
            end_group(&process, Signal::SIGKILL);
        });
    }

    /// Ends a terminated instance's processes and then removes its folder
    /// (its root volume goes with it), keeping its console.
    pub fn retire(self: &Arc<Self>, id: &str, grace: Duration) {
        self.halt(id, grace);
        let (host, id) = (Arc::clone(self), id.to_owned());
        tokio::spawn(async move {
            host.clock.sleep(grace).await;
            let layout = host.layout(&id);
            for dir in [layout.root(), layout.bin()] {
                let _ = std::fs::remove_dir_all(dir);
            }
        });
    }

    /// Takes over an instance whose init outlived a previous run of nimbus
    /// (killed without a chance to end it): watched by polling, as it is
    /// not nimbus's child. False when nothing of it is left.
    pub fn adopt(&self, id: &str, account: &str, region: &str) -> bool {
        let layout = self.layout(id);
        let Some(group) = read_pid_file(&layout.pid_file()) else {
            return false;
        };
        let started = start_time(group);
        self.watch(id, account, region, group, async move {
            while start_time(group) == started && !is_zombie(group) {
                tokio::time::sleep(ADOPTED_POLL).await;
            }
        });
        true
    }

    /// Kills the instance's processes at once (a hardware fault, a frozen zone).
    pub fn kill(&self, id: &str) {
        if let Some(process) = self.take(id) {
            end_group(&process, Signal::SIGKILL);
        }
    }

    /// Removes all that is left of an instance EC2 no longer lists.
    pub fn forget_folder(&self, id: &str) {
        let _ = std::fs::remove_dir_all(self.layout(id).dir());
    }

    /// Freezes the instance's processes (its zone is down); false when it has none.
    pub fn freeze(&self, id: &str) -> bool {
        self.signal(id, Signal::SIGSTOP)
    }

    /// Lets frozen processes go on; false when it has none.
    pub fn thaw(&self, id: &str) -> bool {
        self.signal(id, Signal::SIGCONT)
    }

    fn signal(&self, id: &str, signal: Signal) -> bool {
        let group = self.lock().get(id).map(|p| p.group);
        group.is_some_and(|g| g > 0 && killpg(Pid::from_raw(g), signal).is_ok())
    }

    /// Ends every instance's processes (nimbus stops or is reset).
    pub fn kill_all(&self) {
        let all: Vec<(String, Process)> = self.lock().drain().collect();
        for (id, process) in all {
            end_group(&process, Signal::SIGKILL);
            // Nothing of it is left to adopt.
            let _ = std::fs::remove_file(self.layout(&id).pid_file());
        }
    }

    pub fn is_running(&self, id: &str) -> bool {
        self.lock().contains_key(id)
    }

    /// Whether `generation` is still the instance's current boot.
    pub fn is_current(&self, id: &str, generation: u64) -> bool {
        self.lock().get(id).is_some_and(|p| p.generation == generation)
    }

    /// Ends what a previous run of nimbus left of the instance (a crash
    /// leaves the process groups behind), if its init is still that process.
    pub fn end_leftovers(&self, id: &str) {
        let layout = self.layout(id);
        if let Some(group) = read_pid_file(&layout.pid_file()) {
            let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        }
    }

    /// The last 64 KiB of the instance's console.
    pub fn console(&self, id: &str) -> Vec<u8> {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut file) = std::fs::File::open(self.layout(id).console()) else {
            return Vec::new();
        };
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(length.saturating_sub(CONSOLE_TAIL)));
        let mut tail = Vec::new();
        let _ = file.read_to_end(&mut tail);
        tail
    }

    fn take(&self, id: &str) -> Option<Process> {
        let process = self.lock().remove(id)?;
        process.ended_by_nimbus.store(true, Ordering::Release);
        Some(process)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Process>> {
        self.processes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets an init that ended by itself, unless a newer boot replaced it.
    pub fn forget(&self, id: &str, generation: Option<u64>) {
        let mut processes = self.lock();
        if generation.is_none_or(|g| processes.get(id).is_some_and(|p| p.generation == g)) {
            processes.remove(id);
        }
    }
}

fn end_group(process: &Process, signal: Signal) {
    process.ended_by_nimbus.store(true, Ordering::Release);
    if process.group > 0 {
        let _ = killpg(Pid::from_raw(process.group), signal);
    }
}

/// `<group> <start time>`: the start time (from /proc) tells a later run
/// whether the group's leader is still the init nimbus started.
fn write_pid_file(path: &Path, group: i32) {
    let started = start_time(group).unwrap_or_default();
    let _ = std::fs::write(path, format!("{group} {started}\n"));
}

fn read_pid_file(path: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut words = text.split_whitespace();
    let group: i32 = words.next()?.parse().ok()?;
    let started = words.next().unwrap_or_default();
    (group > 0 && start_time(group).is_some_and(|now| now == started)).then_some(group)
}

/// The process's start time in clock ticks since boot (Linux), or none.
fn start_time(pid: i32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    // Fields after the name start at the state (field 3); the start time is field 22.
    after_name.split_whitespace().nth(19).map(str::to_owned)
}

/// Whether the process has exited and waits to be reaped.
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests;
