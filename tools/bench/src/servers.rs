//! The servers under test: where to find each, how to start it on a free
//! loopback port, how to know it is ready, how much memory it holds, and how
//! to stop it (by PID, always).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// The bare hyper server inside this binary: the physical limit.
    Limit,
    Nimbus,
    /// Another nimbus build (`--baseline-bin`), measured beside this one
    /// for before/after figures in one run.
    Baseline,
    Moto,
    Fakecloud,
}

impl ServerKind {
    pub const PEERS: [ServerKind; 3] = [ServerKind::Baseline, ServerKind::Moto, ServerKind::Fakecloud];

    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Limit => "limit",
            ServerKind::Nimbus => "nimbus",
            ServerKind::Baseline => "baseline",
            ServerKind::Moto => "moto",
            ServerKind::Fakecloud => "fakecloud",
        }
    }

    pub fn parse_peer(name: &str) -> Option<Self> {
        Self::PEERS.into_iter().find(|peer| peer.name() == name)
    }

    /// A path every server answers once it serves requests.
    fn readiness_path(self) -> &'static str {
        match self {
            ServerKind::Limit | ServerKind::Moto => "/",
            ServerKind::Nimbus | ServerKind::Baseline => "/_nimbus/health",
            ServerKind::Fakecloud => "/_fakecloud/health",
        }
    }
}

/// Where the programs are, as given on the command line (or guessed).
#[derive(Clone, Debug, Default)]
pub struct Locations {
    pub nimbus: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// Run nimbus (and the baseline) with `--ephemeral` instead of its
    /// default durable store in a fresh data directory.
    pub ephemeral: bool,
    pub fakecloud: Option<PathBuf>,
    pub python: Option<PathBuf>,
}

/// The binary of nimbus (`--nimbus-bin`, else the one built beside this
/// program) or of the baseline build (`--baseline-bin`).
fn nimbus_program(kind: ServerKind, locations: &Locations) -> Result<PathBuf, String> {
    match kind {
        ServerKind::Nimbus => match &locations.nimbus {
            Some(path) => Ok(path.clone()),
            None => sibling_program("nimbus"),
        },
        _ => locations
            .baseline
            .clone()
            .ok_or_else(|| "no --baseline-bin given".to_owned()),
    }
}

/// How to start one server: the program and its arguments, with `{port}`
/// standing for the port.
#[derive(Clone, Debug)]
pub struct Launcher {
    pub kind: ServerKind,
    /// Shown in the table header, e.g. "moto 5.2.1".
    pub label: String,
    program: PathBuf,
    args: Vec<String>,
}

/// Finds `kind` on this machine, or says why it is not here.
pub fn locate(kind: ServerKind, locations: &Locations, large_bytes: usize) -> Result<Launcher, String> {
    match kind {
        ServerKind::Limit => {
            let program =
                std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
            Ok(Launcher {
                kind,
                label: "limit (bare hyper)".into(),
                program,
                args: args(&[
                    "limit-server",
                    "--port",
                    "{port}",
                    "--large-bytes",
                    &large_bytes.to_string(),
                ]),
            })
        }
        ServerKind::Nimbus | ServerKind::Baseline => {
            let program = nimbus_program(kind, locations)?;
            if !program.is_file() {
                return Err(format!(
                    "not built ({} missing: cargo build --release -p nimbus)",
                    program.display()
                ));
            }
            let store = if locations.ephemeral {
                ["--ephemeral"].as_slice()
            } else {
                ["--data-dir", "{data_dir}"].as_slice()
            };
            let label = kind.name().to_owned();
            Ok(Launcher {
                kind,
                label,
                program,
                args: args(&[store, &["--port", "{port}"]].concat()),
            })
        }
        ServerKind::Moto => {
            let python = locations
                .python
                .clone()
                .unwrap_or_else(|| PathBuf::from("python3"));
            // Run the interpreter itself rather than the `moto_server` script
            // or a pyenv shim, so the cold start is moto's, not a wrapper's.
            let probe = Command::new(&python)
                .args([
                    "-c",
                    "import sys, moto, moto.server; print(sys.executable); print(moto.__version__)",
                ])
                .stderr(Stdio::null())
                .output()
                .map_err(|error| format!("not installed ({}: {error})", python.display()))?;
            let answer = String::from_utf8_lossy(&probe.stdout).into_owned();
            let mut lines = answer.lines();
            let (Some(executable), Some(version)) = (lines.next(), lines.next()) else {
                return Err("not installed (pip install 'moto[server]')".into());
            };
            if !probe.status.success() {
                return Err("not installed (pip install 'moto[server]')".into());
            }
            Ok(Launcher {
                kind,
                label: format!("moto {version}"),
                program: PathBuf::from(executable),
                args: args(&["-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"]),
            })
        }
        ServerKind::Fakecloud => {
            let program = match &locations.fakecloud {
                Some(path) => path.clone(),
                None => {
                    find_fakecloud().ok_or_else(|| "not installed (run scripts/bench-setup)".to_owned())?
                }
            };
            let version = Command::new(&program)
                .arg("--version")
                .stderr(Stdio::null())
                .output()
                .ok()
                .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
                .filter(|version| !version.is_empty())
                .unwrap_or_else(|| "fakecloud".into());
            Ok(Launcher {
                kind,
                label: version,
                program,
                args: args(&["--addr", "127.0.0.1:{port}"]),
            })
        }
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|arg| (*arg).to_owned()).collect()
}

/// A program built next to this one (target/release/nimbus beside
/// target/release/nimbus-bench).
fn sibling_program(name: &str) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    Ok(me.with_file_name(name))
}

fn find_fakecloud() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("fakecloud"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin/fakecloud"));
    }
    candidates.into_iter().find(|path| path.is_file())
}

/// A server process this run started. Dropping it stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
    /// A fresh directory for a durable server's store, removed with it.
    data_dir: PathBuf,
}

impl Launcher {
    /// Starts the server on a free port and waits until it answers an HTTP
    /// request; returns it with the time from exec to that first answer.
    pub fn start(&self, timeout: Duration) -> Result<(RunningServer, Duration), String> {
        let port = free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log = log_path(self.kind, port)?;
        let data_dir = data_dir(self.kind, port)?;
        let log_file = File::create(&log).map_err(|error| format!("log file: {error}"))?;
        let log_copy = log_file
            .try_clone()
            .map_err(|error| format!("log file: {error}"))?;
        let args = self.args.iter().map(|arg| {
            arg.replace("{port}", &port.to_string())
                .replace("{data_dir}", &data_dir.display().to_string())
        });

        let started = Instant::now();
        let child = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_copy)
            .stderr(log_file)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", self.program.display()))?;
        let mut server = RunningServer {
            addr,
            child,
            log,
            data_dir,
        };
        let path = self.kind.readiness_path();
        loop {
            if answers_http(addr, path) {
                return Ok((server, started.elapsed()));
            }
            if let Some(exit) = server.exit_status() {
                return Err(format!("{exit} before answering{}", server.log_tail()));
            }
            if started.elapsed() > timeout {
                return Err(format!(
                    "no answer within {} s{}",
                    timeout.as_secs(),
                    server.log_tail()
                ));
            }
            // Fine-grained polling: cold starts are measured in milliseconds.
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

impl RunningServer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory from `/proc/<pid>/status` (VmRSS), in bytes.
    pub fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// `Some("exited with …")` once the process has ended.
    pub fn exit_status(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("exited ({status})")),
            Ok(None) => None,
            Err(error) => Some(format!("lost track of the process: {error}")),
        }
    }

    /// The last line the server printed, to explain a failure.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        match text.lines().rev().find(|line| !line.trim().is_empty()) {
            Some(line) => format!(": {}", line.trim()),
            None => String::new(),
        }
    }

    pub fn stop(self) {
        // Drop does the work.
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Child::kill signals this child's PID only.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Asks the OS for a free loopback port. The listener is closed before the
/// server binds it; on loopback nobody else races for it in practice.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|error| format!("no free port: {error}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|error| format!("no free port: {error}"))
}

fn log_path(kind: ServerKind, port: u16) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join("nimbus-bench");
    std::fs::create_dir_all(&dir).map_err(|error| format!("log dir: {error}"))?;
    Ok(dir.join(format!("{}-{port}.log", kind.name())))
}

/// A data directory for one start of a server, empty (only servers whose
/// arguments name `{data_dir}` use it).
fn data_dir(kind: ServerKind, port: u16) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir()
        .join("nimbus-bench")
        .join(format!("{}-{port}-data", kind.name()));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(dir)
}

/// True once `addr` answers a GET with any HTTP status line.
fn answers_http(addr: SocketAddr, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => read += n,
        }
    }
    head.starts_with(b"HTTP/1.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nimbus_and_the_baseline_run_their_own_binaries() {
        let locations = Locations {
            baseline: Some(PathBuf::from("/builds/old/nimbus")),
            ..Locations::default()
        };
        let baseline = nimbus_program(ServerKind::Baseline, &locations).expect("baseline");
        assert_eq!(baseline, PathBuf::from("/builds/old/nimbus"));
        // Without --nimbus-bin, nimbus is the build beside this program, never the baseline.
        let nimbus = nimbus_program(ServerKind::Nimbus, &locations).expect("nimbus");
        assert_ne!(nimbus, baseline);
        assert!(nimbus.ends_with("nimbus"), "{}", nimbus.display());
        let chosen = Locations {
            nimbus: Some(PathBuf::from("/builds/new/nimbus")),
            ..locations
        };
        let nimbus = nimbus_program(ServerKind::Nimbus, &chosen).expect("nimbus");
        assert_eq!(nimbus, PathBuf::from("/builds/new/nimbus"));
        assert!(nimbus_program(ServerKind::Baseline, &Locations::default()).is_err());
    }
}
