//! `cargo xtask models`: vendors the AWS service models nimbus serves.
//! `cargo xtask api <service>|all`: generates a service's API crate (see `api/`).
//! `cargo xtask service <model> [<RustName>]`: scaffolds a new service's
//! API and service crates (see `scaffold`).
//!
//! Reads `service-2.json(.gz)` for each service in `models/SERVICES` from the
//! installed botocore (found with `python3 -c 'import botocore'`), strips the
//! documentation, applies our corrections from `models/patches/<name>.json`
//! (JSON merge patches, RFC 7386: data, not code) and writes
//! `models/<name>.json` in crates/nimbus-protocol.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::{Map, Value};

mod api;
mod scaffold;

/// Keys that only carry prose or client-side hints nimbus never reads.
const STRIPPED_KEYS: &[&str] = &[
    "documentation",
    "documentationUrl",
    "deprecatedMessage",
    "deprecatedSince",
    "examples",
    "contextParam",
    "staticContextParams",
    "operationContextParams",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("models") => match vendor_models() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask models: {e}");
                ExitCode::FAILURE
            }
        },
        Some("api") => {
            let services = match args.get(1).map(String::as_str) {
                Some("all") => api::services(),
                Some(service) => vec![service.to_owned()],
                None => {
                    eprintln!("usage: cargo xtask api <service>|all");
                    return ExitCode::FAILURE;
                }
            };
            for service in services {
                if let Err(e) = api::run(&service) {
                    eprintln!("xtask api {service}: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Some("service") => match args.get(1) {
            Some(model) => match scaffold::run(model, args.get(2).map(String::as_str)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask service {model}: {e}");
                    ExitCode::FAILURE
                }
            },
            None => {
                eprintln!("usage: cargo xtask service <model> [<RustName>]");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!(
                "usage: cargo xtask models | cargo xtask api <service>|all | cargo xtask service <model> [<RustName>]"
            );
            ExitCode::FAILURE
        }
    }
}

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/nimbus-protocol/models")
}

fn botocore_data_dir() -> Result<PathBuf, String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import botocore, os; print(os.path.dirname(botocore.__file__))",
        ])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err("botocore is not installed (pip install botocore)".into());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("data"))
}

fn vendor_models() -> Result<(), String> {
    let data = botocore_data_dir()?;
    let dir = models_dir();
    let list = fs::read_to_string(dir.join("SERVICES")).map_err(|e| format!("models/SERVICES: {e}"))?;
    for name in list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let source = latest_model(&data.join(name))?;
        write_model(&dir, name, read_json(&source)?)?;
        println!("{name}: {}", source.display());
    }
    vendor_variants(&dir)
}

/// Strips, patches and writes `models/<name>.json`.
fn write_model(dir: &Path, name: &str, mut model: Value) -> Result<(), String> {
    strip(&mut model);
    let patch_file = dir.join("patches").join(format!("{name}.json"));
    if patch_file.exists() {
        let patch = read_json(&patch_file)?;
        merge_patch(&mut model, &patch);
    }
    let text = serde_json::to_string_pretty(&model).map_err(|e| e.to_string())?;
    fs::write(dir.join(format!("{name}.json")), text + "\n").map_err(|e| e.to_string())
}

/// `models/VARIANTS`: older models of a service that describe a protocol the
/// current model no longer does (SQS's query protocol, still spoken by older
/// SDKs). Each line is `<variant> <service> <botocore version>`; the model is
/// read from that botocore release's wheel, fetched with pip.
fn vendor_variants(dir: &Path) -> Result<(), String> {
    let Ok(list) = fs::read_to_string(dir.join("VARIANTS")) else {
        return Ok(());
    };
    for line in list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let [variant, service, version] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            return Err(format!(
                "models/VARIANTS: expected '<variant> <service> <version>', got '{line}'"
            ));
        };
        let model = model_from_botocore_release(service, version)?;
        write_model(dir, variant, model)?;
        println!("{variant}: {service} from botocore {version}");
    }
    Ok(())
}

/// The newest `service-2.json` of `service` in botocore release `version`.
fn model_from_botocore_release(service: &str, version: &str) -> Result<Value, String> {
    const READ_FROM_WHEEL: &str = r#"
import glob, subprocess, sys, tempfile, zipfile
service, version = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    f"botocore=={version}", "-d", tmp], check=True)
    wheel = zipfile.ZipFile(glob.glob(f"{tmp}/botocore-*.whl")[0])
    names = sorted(n for n in wheel.namelist()
                   if n.startswith(f"botocore/data/{service}/") and n.endswith("/service-2.json"))
    sys.stdout.write(wheel.read(names[-1]).decode())
"#;
    let out = Command::new("python3")
        .args(["-c", READ_FROM_WHEEL, service, version])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot read {service} from botocore {version}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{service} from botocore {version}: {e}"))
}

/// The newest API version's `service-2.json(.gz)` of one service.
fn latest_model(service_dir: &Path) -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = fs::read_dir(service_dir)
        .map_err(|e| format!("{}: {e}", service_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    let newest = versions
        .last()
        .ok_or_else(|| format!("no versions in {}", service_dir.display()))?;
    ["service-2.json.gz", "service-2.json"]
        .iter()
        .map(|f| newest.join(f))
        .find(|p| p.exists())
        .ok_or_else(|| format!("no service-2.json in {}", newest.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    } else {
        text = String::from_utf8(bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in STRIPPED_KEYS {
                map.remove(*key);
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// RFC 7386 JSON merge patch: objects merge, `null` deletes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, patch_value) in patch_map {
            if patch_value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), patch_value);
            }
        }
    }
}
