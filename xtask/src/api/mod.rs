//! `cargo xtask api <service>`: a service's API crate from its model.
//!
//! Reads the vendored model `crates/nimbus-protocol/models/<service>.json`
//! and `apis/<service>/operations.txt`, and writes
//! `apis/<service>/src/generated.rs`: the typed shapes of the listed
//! operations ([`shapes`]), their ids, the `<Name>Api` trait the service
//! implements (one async method per operation, NotImplemented by default),
//! the `<Name>Server` that serves it on the wire and to other services, the
//! `<Name>Client` other services call it with, and one error constructor per
//! exception shape ([`service`]).
//!
//! `operations.txt`, one entry a line (`#` starts a comment):
//! - an operation name: the operation is served;
//! - `name DynamoDb`: the prefix of the generated names (default: the model
//!   name capitalized);
//! - `type AttributeValue = crate::attribute::AttributeValue`: a shape the
//!   crate defines itself (a dynamic value the codecs read by its serde impl);
//! - `front`: the crate implements `FrontHook` for the server (requests the
//!   service answers around the AWS pipeline, as S3's website endpoint).
//!
//! An operation's line may go on with its IAM action and the resources its
//! input names, `kind:Member` (`SendMessage sqs:SendMessage queue:QueueUrl`),
//! or `kind:Member+Qualifier` when another member qualifies the value:
//! under IAM enforcement the server asks the service for each resource's
//! ARN and policy, and the authorizer for a decision, before the handler.

mod events;
mod names;
mod service;
mod shapes;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use service::Op;
use shapes::Shapes;

pub fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

fn models_dir() -> PathBuf {
    workspace_root().join("crates/nimbus-protocol/models")
}

pub fn model_path(service: &str) -> PathBuf {
    models_dir().join(format!("{service}.json"))
}

pub fn operations_path(service: &str) -> PathBuf {
    workspace_root().join("apis").join(service).join("operations.txt")
}

pub fn generated_path(service: &str) -> PathBuf {
    workspace_root()
        .join("apis")
        .join(service)
        .join("src/generated.rs")
}

/// What `operations.txt` asks for.
pub struct Spec {
    pub service: String,
    pub rust_name: String,
    pub operations: Vec<String>,
    /// Shape name → the crate's own Rust type for it.
    pub overrides: BTreeMap<String, String>,
    /// Whether the server has a front hook (written by hand in the crate).
    pub front: bool,
    /// Operation → its IAM action and the resources its input names.
    pub access: BTreeMap<String, AccessRule>,
}

/// What an operation asks of IAM: an action, on the resources named by
/// members of its input (`kind`, member name), with the condition keys
/// members of its input give values to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    pub action: String,
    /// Kind, member, and the member that qualifies it (`+Qualifier`).
    pub resources: Vec<(String, String, Option<String>)>,
    /// Condition key and the member that gives its values (`s3:prefix=Prefix`;
    /// `key=?Member`: "true" when the member is present).
    pub keys: Vec<(String, String)>,
    /// A member whose presence makes the action another
    /// (`VersionId?s3:GetObjectVersion`).
    pub variant: Option<(String, String)>,
    /// The handler decides, item by item (`by-handler`): no guard.
    pub by_handler: bool,
}

impl AccessRule {
    fn parse(words: &[&str], line: &str) -> Result<AccessRule, String> {
        let (action, rest) = words
            .split_first()
            .ok_or_else(|| format!("operations.txt: no action in `{line}`"))?;
        if !action.contains(':') {
            return Err(format!(
                "operations.txt: `{action}` is not an IAM action (`service:Action`) in `{line}`"
            ));
        }
        let mut rule = AccessRule {
            action: (*action).to_owned(),
            resources: Vec::new(),
            keys: Vec::new(),
            variant: None,
            by_handler: false,
        };
        for word in rest {
            rule.take(word).map_err(|expected| {
                format!("operations.txt: expected {expected}, got `{word}` in `{line}`")
            })?;
        }
        Ok(rule)
    }

    /// One word after the action: `key=Member`, `Member?service:Action`,
    /// or `kind:Member[+Qualifier]`.
    fn take(&mut self, word: &str) -> Result<(), &'static str> {
        if word == "by-handler" {
            self.by_handler = true;
        } else if let Some((key, member)) = word.split_once('=') {
            self.keys.push((key.to_owned(), member.to_owned()));
        } else if let Some((member, action)) = word.split_once('?') {
            if !action.contains(':') || self.variant.is_some() {
                return Err("one `Member?service:Action`");
            }
            self.variant = Some((member.to_owned(), action.to_owned()));
        } else {
            let (kind, member) = word.split_once(':').ok_or("`kind:Member`")?;
            let (member, qualifier) = match member.split_once('+') {
                Some((member, qualifier)) => (member, Some(qualifier.to_owned())),
                None => (member, None),
            };
            self.resources
                .push((kind.to_owned(), member.to_owned(), qualifier));
        }
        Ok(())
    }
}

impl Spec {
    pub fn parse(service: &str, text: &str) -> Result<Spec, String> {
        let mut spec = Spec {
            service: service.to_owned(),
            rust_name: capitalized(service),
            operations: Vec::new(),
            overrides: BTreeMap::new(),
            front: false,
            access: BTreeMap::new(),
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line == "front" {
                spec.front = true;
            } else if let Some(name) = line.strip_prefix("name ") {
                spec.rust_name = name.trim().to_owned();
            } else if let Some(rule) = line.strip_prefix("type ") {
                let (shape, path) = rule.split_once('=').ok_or_else(|| {
                    format!("operations.txt: expected `type <Shape> = <path>`, got `{line}`")
                })?;
                spec.overrides
                    .insert(shape.trim().to_owned(), path.trim().to_owned());
            } else {
                let words: Vec<&str> = line.split_whitespace().collect();
                let (operation, access) = words.split_first().unwrap_or((&"", &[]));
                if !access.is_empty() {
                    spec.access
                        .insert((*operation).to_owned(), AccessRule::parse(access, line)?);
                }
                spec.operations.push((*operation).to_owned());
            }
        }
        Ok(spec)
    }

    /// The Rust type of a shape: its generated type, or the override.
    pub fn rust_type(&self, shape: &str) -> String {
        self.overrides
            .get(shape)
            .cloned()
            .unwrap_or_else(|| names::type_name(shape))
    }
}

pub fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The protocol families a service's models speak: each has its own codec
/// functions, so only these are compiled for the service's shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Json,
    Query,
    Rest,
    Cbor,
}

impl Family {
    fn of(protocol: &str) -> Option<Family> {
        Some(match protocol {
            "json" => Family::Json,
            "query" | "ec2" => Family::Query,
            "rest-json" | "rest-xml" => Family::Rest,
            "smithy-rpc-v2-cbor" => Family::Cbor,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Json => "json",
            Family::Query => "query",
            Family::Rest => "rest",
            Family::Cbor => "cbor",
        }
    }

    pub fn patterns(self) -> &'static str {
        match self {
            Family::Json => "Protocol::Json10 | Protocol::Json11",
            Family::Query => "Protocol::Query | Protocol::Ec2",
            Family::Rest => "Protocol::RestJson | Protocol::RestXml",
            Family::Cbor => "Protocol::Cbor",
        }
    }
}

/// The families of a model's `protocol`/`protocols`, and of the wire
/// variants `models/VARIANTS` keeps for the service.
fn families(service: &str, model: &Value) -> Vec<Family> {
    let metadata = &model["metadata"];
    let mut found: Vec<Family> = metadata["protocols"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(std::iter::once(&metadata["protocol"]))
        .filter_map(Value::as_str)
        .filter_map(Family::of)
        .collect();
    let variants = fs::read_to_string(models_dir().join("VARIANTS")).unwrap_or_default();
    for line in variants.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [variant, of, _] = words[..]
            && of == service
            && let Ok(text) = fs::read_to_string(model_path(variant))
            && let Ok(variant_model) = serde_json::from_str::<Value>(&text)
            && let Some(family) = variant_model["metadata"]["protocol"]
                .as_str()
                .and_then(Family::of)
        {
            found.push(family);
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The generated source for one service, from the files in the repository.
pub fn generate_for(service: &str) -> Result<String, String> {
    let read = |path: PathBuf| fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    let spec = Spec::parse(service, &read(operations_path(service))?)?;
    let model: Value =
        serde_json::from_str(&read(model_path(service))?).map_err(|e| format!("model {service}: {e}"))?;
    rustfmt(&generate(&spec, &model, &families(service, &model))?)
}

/// `cargo xtask api <service>`: writes `generated.rs` when it changed.
pub fn run(service: &str) -> Result<(), String> {
    let source = generate_for(service)?;
    let path = generated_path(service);
    if fs::read_to_string(&path).ok().as_deref() == Some(source.as_str()) {
        println!("{}: up to date", path.display());
        return Ok(());
    }
    fs::write(&path, source).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{}: written", path.display());
    Ok(())
}

/// The generated source (not yet formatted).
pub fn generate(spec: &Spec, model: &Value, families: &[Family]) -> Result<String, String> {
    let service = &spec.service;
    let shapes = model
        .get("shapes")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("model {service} has no shapes"))?;
    let operations = model
        .get("operations")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("model {service} has no operations"))?;
    let shape_of = |op: &Value, side: &str| {
        op.get(side)
            .and_then(|r| r.get("shape"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut ops = Vec::new();
    for name in &spec.operations {
        let (id, op) = operations
            .iter()
            .enumerate()
            .find(|(_, (known, _))| *known == name)
            .map(|(id, (_, op))| (id, op))
            .ok_or_else(|| format!("operation {name} is not in the {service} model"))?;
        let (input, output) = (shape_of(op, "input"), shape_of(op, "output"));
        ops.push(Op {
            name: name.clone(),
            id,
            access: spec.access.get(name).cloned(),
            input_rust: input.as_deref().map(|shape| spec.rust_type(shape)),
            output_rust: output.as_deref().map(|shape| spec.rust_type(shape)),
            input,
            output,
        });
    }
    ops.sort_by_key(|op| op.id);
    let roots: Vec<&str> = ops
        .iter()
        .flat_map(|op| op.input.iter().chain(op.output.iter()))
        .map(String::as_str)
        .collect();
    let mut generator = Shapes::new(shapes, spec, &roots)?;
    let structs = generator.render();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by `cargo xtask api {service}` from crates/nimbus-protocol/models/{service}.json\n// and apis/{service}/operations.txt. Do not edit: list an operation there and run it again.\n"
    );
    if ops.is_empty() {
        // A new service's crate, before its first operation is listed.
        out.push_str("#![allow(unused)]\n\n");
    }
    render_uses(&mut out, &generator, spec, &ops);
    let _ = writeln!(
        out,
        "\n/// The service's model name.\npub const SERVICE: &str = \"{service}\";"
    );
    out.push_str(&structs);
    service::render_io_traits(&mut out, &ops, &generator, spec)?;
    events::render_frames(&mut out, &ops, &generator)?;
    service::render_ops(&mut out, &ops);
    service::render_actions(&mut out, &ops);
    service::render_trait(&mut out, spec, &ops);
    service::render_server(&mut out, spec, &ops, families);
    service::render_client(&mut out, spec, &ops);
    service::render_unimplemented(&mut out, spec, &ops);
    service::render_errors(&mut out, shapes);
    Ok(out)
}

fn render_uses(out: &mut String, shapes: &Shapes<'_>, spec: &Spec, ops: &[Op]) {
    let uses = &shapes.uses;
    out.push_str("use std::future::Future;\nuse std::sync::Arc;\n\n");
    if uses.timestamp {
        out.push_str("use nimbus_core::Timestamp;\n");
    }
    let typed: Vec<&str> = [
        ("Bytes", uses.bytes),
        ("Document", uses.document),
        ("IndexMap", uses.map),
    ]
    .into_iter()
    .filter_map(|(name, used)| used.then_some(name))
    .collect();
    if !typed.is_empty() {
        let _ = writeln!(out, "use nimbus_core::typed::{{{}}};", typed.join(", "));
    }
    out.push_str("use nimbus_core::authz::{Access, Denial, Resource};\n");
    out.push_str("use nimbus_core::{AwsError, ByteStream, RequestContext};\n");
    if spec.front {
        out.push_str("use nimbus_protocol::front::FrontHook;\n");
    }
    let streams_events = ops
        .iter()
        .filter_map(|op| op.output.as_deref())
        .any(|output| shapes.event_stream_field(output).is_some());
    if streams_events {
        out.push_str("use nimbus_protocol::codec::eventstream;\n");
    }
    let no_input = ops.iter().any(|op| op.input.is_none());
    let service = [
        ("BoxFuture, Call, Input", true),
        ("NoInput", no_input),
        ("Output, Reply", true),
        ("ResourceRef", true),
        ("Service, Wire", true),
    ]
    .into_iter()
    .filter_map(|(names, used)| used.then_some(names))
    .collect::<Vec<_>>()
    .join(", ");
    let _ = writeln!(out, "use nimbus_protocol::model::OperationId;");
    let _ = writeln!(out, "use nimbus_protocol::service::{{{service}}};");
    out.push_str("use nimbus_protocol::{HttpResponse, Protocol};\n");
    out.push_str("use serde::{Deserialize, Serialize};\n");
}

/// Formats generated source as the workspace formats everything.
fn rustfmt(source: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--emit", "stdout", "--edition", "2024", "--config-path"])
        .arg(workspace_root().join("rustfmt.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(source.as_bytes())
            .map_err(|e| format!("rustfmt: {e}"))?;
    }
    let output = child.wait_with_output().map_err(|e| format!("rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt refused the generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt: {e}"))
}

/// Every service with an API crate (a folder of `apis/` with an operations.txt).
pub fn services() -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(workspace_root().join("apis"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|service| operations_path(service).exists())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod sar;
#[cfg(test)]
mod tests;
