//! How each runtime runs, without containers: Python and Node.js functions
//! on the host's interpreter through nimbus's own runtime clients (shipped
//! in the binary), `provided` runtimes through the function's `bootstrap`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The runtime identifiers Lambda accepts for new functions.
pub const SUPPORTED: &[&str] = &[
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "provided.al2",
    "provided.al2023",
];

/// What starts an execution environment's process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// The interpreter, and nimbus's runtime client for it.
    Interpreter { program: PathBuf, client: PathBuf },
    /// The function's own `bootstrap` executable.
    Bootstrap(PathBuf),
}

const PYTHON_CLIENT: &str = include_str!("../runtimes/python/bootstrap.py");
const NODE_CLIENT: &str = include_str!("../runtimes/node/bootstrap.js");

/// How to run `runtime` with the code in `task_root`, or why it cannot
/// run on this machine (the state reason GetFunction shows).
pub fn launch(runtime: &str, task_root: &Path, work_dir: &Path) -> Result<Launch, String> {
    if runtime.starts_with("provided") {
        let bootstrap = task_root.join("bootstrap");
        return match bootstrap.is_file() {
            true => Ok(Launch::Bootstrap(bootstrap)),
            false => Err("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]".to_owned()),
        };
    }
    let (candidates, client_name, client_text): (Vec<String>, &str, &str) =
        if let Some(version) = runtime.strip_prefix("python") {
            (
                vec![format!("python{version}"), "python3".to_owned()],
                "bootstrap.py",
                PYTHON_CLIENT,
            )
        } else if runtime.starts_with("nodejs") {
            (vec!["node".to_owned()], "bootstrap.js", NODE_CLIENT)
        } else {
            return Err(format!(
                "nimbus runs Python, Node.js and provided runtimes; {runtime} is not one of them"
            ));
        };
    let program = candidates
        .iter()
        .find_map(|name| interpreter(name))
        .ok_or_else(|| {
            format!(
                "{runtime} needs {} on this machine's PATH, and it is not there",
                candidates[0]
            )
        })?;
    let client = install_client(work_dir, client_name, client_text)?;
    Ok(Launch::Interpreter { program, client })
}

/// The interpreter's real executable: version managers' shims (pyenv) are
/// scripts that cost a process each start, so they are resolved once.
fn interpreter(name: &str) -> Option<PathBuf> {
    static FOUND: OnceLock<Mutex<std::collections::HashMap<String, Option<PathBuf>>>> = OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    if let Some(known) = found.lock().ok()?.get(name) {
        return known.clone();
    }
    let resolved = resolve(name);
    found.lock().ok()?.insert(name.to_owned(), resolved.clone());
    resolved
}

fn resolve(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")?;
    let path = std::env::split_paths(&on_path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())?;
    let probe = if name.starts_with("python") {
        vec!["-c", "import sys; print(sys.executable)"]
    } else {
        vec!["-e", "console.log(process.execPath)"]
    };
    let output = std::process::Command::new(&path).args(probe).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let real = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Some(if real.is_empty() {
        path
    } else {
        PathBuf::from(real)
    })
}

/// Writes nimbus's runtime client where environments run it from.
fn install_client(work_dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let dir = work_dir.join("lambda").join("runtime");
    let path = dir.join(name);
    if std::fs::read_to_string(&path).is_ok_and(|current| current == text) {
        return Ok(path);
    }
    let staging = dir.join(format!("{name}.{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&staging, text))
        .and_then(|()| std::fs::rename(&staging, &path))
        .map_err(|e| format!("cannot install the runtime client: {e}"))?;
    Ok(path)
}
