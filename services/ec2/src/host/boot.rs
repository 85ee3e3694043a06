//! An instance's folder and the script its init runs at each boot: the
//! boot hooks and cloud-init's per-boot scripts
//! (`<root>/var/lib/cloud/scripts/per-boot/`), then (first boot only) its
//! user data's scripts and cloud-config, then an idle wait that is the
//! instance being up.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::cloud_config::{self, quote};
use super::user_data::{self, Part};

/// Where an instance's things are: `<data dir>/ec2/instances/<id>/`.
#[derive(Debug, Clone)]
pub struct Layout {
    dir: PathBuf,
}

impl Layout {
    pub fn new(instances: &Path, id: &str) -> Layout {
        Layout {
            dir: instances.join(id),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The instance's own folder: its programs' working area and HOME.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// Everything the instance wrote to its console.
    pub fn console(&self) -> PathBuf {
        self.dir.join("console.log")
    }

    /// The init's process group and start time, to end it after a crash.
    pub fn pid_file(&self) -> PathBuf {
        self.dir.join("init.pid")
    }

    pub fn script(&self) -> PathBuf {
        self.dir.join("boot.sh")
    }

    /// `shutdown`, `poweroff`, `halt` and `reboot` that act on the instance.
    pub fn bin(&self) -> PathBuf {
        self.dir.join("bin")
    }

    fn user_data(&self) -> PathBuf {
        self.dir.join("user-data")
    }

    /// Where `reboot` leaves word that the init's end is a reboot.
    pub fn reboot_marker(&self) -> PathBuf {
        self.dir.join("reboot-requested")
    }
}

/// cloud-init's scripts run at every boot, under the instance's folder.
const PER_BOOT: &str = "var/lib/cloud/scripts/per-boot";

/// Commands inside the instance that end it: they stop its init, and
/// nimbus does the rest (a reboot, or the shutdown behaviour).
const SHUTDOWN: &str = "#!/bin/sh\n# nimbus: the instance's shutdown ends its init.\n\
    case \" $* \" in *' -r '*) touch \"$NIMBUS_INSTANCE_DIR/reboot-requested\";; esac\n\
    kill -TERM \"$NIMBUS_INIT_PID\"\n";
const REBOOT: &str = "#!/bin/sh\n# nimbus: the instance's reboot.\n\
    touch \"$NIMBUS_INSTANCE_DIR/reboot-requested\"\nkill -TERM \"$NIMBUS_INIT_PID\"\n";

/// An instance's programs run on this machine: what would change the machine
/// itself (its packages, its services) is recorded on the console instead,
/// as cloud-config's `packages` are; `sudo` runs the command as given (the
/// instance's `shutdown` stays the instance's).
const RECORDED: &str = r#"#!/bin/sh
# nimbus: an instance does not change the machine it runs on.
echo "[nimbus] $(basename "$0") $*: recorded, not run on the host"
"#;
const SUDO: &str = r#"#!/bin/sh
# nimbus: the instance's programs already run as its user.
while [ $# -gt 0 ]; do
  case "$1" in
    -u|-g|-C|-D|-h|-p|-r|-t|-U) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
exec "$@"
"#;

/// Readies the folder for a boot and writes the init's script. On the first
/// boot, `user_data` (decoded) is unpacked: its files written, its scripts
/// kept to run.
pub fn prepare(layout: &Layout, id: &str, first_boot: Option<&[u8]>) -> std::io::Result<()> {
    std::fs::create_dir_all(layout.root())?;
    std::fs::create_dir_all(layout.bin())?;
    std::fs::create_dir_all(layout.user_data())?;
    for (name, body) in [
        ("shutdown", SHUTDOWN),
        ("poweroff", SHUTDOWN),
        ("halt", SHUTDOWN),
        ("reboot", REBOOT),
        ("sudo", SUDO),
        ("yum", RECORDED),
        ("dnf", RECORDED),
        ("apt", RECORDED),
        ("apt-get", RECORDED),
        ("systemctl", RECORDED),
        ("service", RECORDED),
        ("chkconfig", RECORDED),
    ] {
        write_executable(&layout.bin().join(name), body.as_bytes())?;
    }
    let mut once = Vec::new();
    if let Some(data) = first_boot {
        once = unpack(layout, data)?;
    }
    let script = render(layout, id, &once);
    std::fs::write(layout.script(), script)
}

/// Unpacks user data; returns the lines the first boot runs.
fn unpack(layout: &Layout, data: &[u8]) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    for (index, part) in user_data::parts(data).into_iter().enumerate() {
        let path = layout.user_data().join(format!("part-{index:03}"));
        match part {
            Part::Script(body) => {
                write_executable(&path, &body)?;
                lines.push(quote(&path.to_string_lossy()));
            }
            Part::BootHook(body) => {
                write_executable(&layout.user_data().join(format!("boothook-{index:03}")), &body)?;
            }
            Part::CloudConfig(text) => lines.extend(apply_cloud_config(layout, &text, index)?),
            Part::Ignored(why) => {
                lines.push(format!("echo {}", quote(&format!("[nimbus] user data: {why}"))))
            }
        }
    }
    Ok(lines)
}

/// Writes a cloud-config's files now and returns its first-boot lines.
fn apply_cloud_config(layout: &Layout, text: &str, index: usize) -> std::io::Result<Vec<String>> {
    let config = match cloud_config::parse(text) {
        Ok(config) => config,
        Err(why) => return Ok(vec![format!("echo {}", quote(&format!("[nimbus] {why}")))]),
    };
    let mut lines = Vec::new();
    for file in &config.files {
        // One file that cannot be written fails that module, not the boot.
        if let Err(error) = write_file(&layout.root(), file) {
            let note = format!("[nimbus] write_files {}: {error}", file.path);
            lines.push(format!("echo {}", quote(&note)));
        }
    }
    if !config.bootcmd.is_empty() {
        let body = format!("#!/bin/sh\n{}\n", config.bootcmd.join("\n"));
        write_executable(
            &layout.user_data().join(format!("boothook-{index:03}-bootcmd")),
            body.as_bytes(),
        )?;
    }
    if !config.packages.is_empty() {
        let note = format!(
            "[nimbus] packages recorded, not installed: {}",
            config.packages.join(" ")
        );
        lines.push(format!("echo {}", quote(&note)));
    }
    if !config.runcmd.is_empty() {
        let path = layout.user_data().join(format!("part-{index:03}-runcmd"));
        write_executable(
            &path,
            format!("#!/bin/sh\n{}\n", config.runcmd.join("\n")).as_bytes(),
        )?;
        lines.push(quote(&path.to_string_lossy()));
    }
    Ok(lines)
}

/// A `write_files` entry, under the instance's folder (`/etc/x` is `<root>/etc/x`).
fn write_file(root: &Path, file: &cloud_config::WriteFile) -> std::io::Result<()> {
    let relative: PathBuf = Path::new(&file.path)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(file.append)
        .truncate(!file.append)
        .open(&path)?;
    out.write_all(&file.content)?;
    if let Some(mode) = file.permissions {
        set_mode(&path, mode)?;
    }
    Ok(())
}

fn write_executable(path: &Path, body: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, body)?;
    set_mode(path, 0o755)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// The init's script: boot hooks every boot, `once` on the first, then wait.
fn render(layout: &Layout, id: &str, once: &[String]) -> String {
    let hooks = quote(&layout.user_data().join("boothook-").to_string_lossy());
    let per_boot = quote(&layout.root().join(PER_BOOT).to_string_lossy());
    let mut script = format!(
        "#!/bin/sh\n# nimbus: the init of instance {id}.\nNIMBUS_INIT_PID=$$\nexport NIMBUS_INIT_PID\n\
         echo \"[nimbus] {id} booting at $(date -u '+%Y-%m-%d %H:%M:%S') UTC\"\n\
         for hook in {hooks}*; do [ -x \"$hook\" ] && \"$hook\"; done\n\
         for script in {per_boot}/*; do [ -x \"$script\" ] && \"$script\"; done\n"
    );
    for line in once {
        script.push_str(line);
        script.push('\n');
    }
    script.push_str(&format!(
        "echo \"[nimbus] {id} booted\"\nwhile :; do sleep 86400; done\n"
    ));
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_boot_unpacks_user_data_and_later_boots_do_not() {
        let dir = std::env::temp_dir().join(format!("nimbus-boot-{}", uuid::Uuid::new_v4()));
        let layout = Layout::new(&dir, "i-1");
        let data = b"#cloud-config\nwrite_files:\n  - path: /srv/app/index.html\n    content: hi\nruncmd:\n  - echo ran\n";
        prepare(&layout, "i-1", Some(data)).unwrap();
        assert_eq!(
            std::fs::read(layout.root().join("srv/app/index.html")).unwrap(),
            b"hi"
        );
        let first = std::fs::read_to_string(layout.script()).unwrap();
        assert!(first.contains("part-000-runcmd"), "{first}");
        assert!(layout.bin().join("yum").is_file() && layout.bin().join("sudo").is_file());
        prepare(&layout, "i-1", None).unwrap();
        let later = std::fs::read_to_string(layout.script()).unwrap();
        assert!(
            !later.contains("runcmd") && later.contains("boothook-"),
            "{later}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
