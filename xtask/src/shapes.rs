//! `cargo xtask shapes <service>`: typed Rust shapes for the operations a
//! service implements.
//!
//! Reads the vendored model `crates/nimbus-protocol/models/<service>.json` and
//! the operation list `services/<service>/operations.txt` (one operation name a
//! line, `#` comments), and writes `services/<service>/src/generated.rs`: one
//! serde struct per structure shape the listed operations' inputs and outputs
//! reach. Generating only what a service uses keeps compile times in seconds.
//!
//! Choices, and why:
//! - Enum shapes become `String`: the protocol layer already checks enum
//!   values against the model, and a Rust enum would turn a value AWS added
//!   later (or a service accepts beyond its model) into a decode failure.
//! - Unions become structs of optional members, like any structure: the
//!   encoder and the bridge need nothing special, and handlers match on the
//!   one member that is set.
//! - Non-required members are `Option`; required ones are plain, so a handler
//!   cannot forget them in an output. Every struct derives `Default`.
//! - A member that would make a structure contain itself is boxed.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Names the generated code uses itself; a shape named so gets a `Shape` suffix.
const TAKEN_TYPE_NAMES: &[&str] = &[
    "Option",
    "String",
    "Vec",
    "Box",
    "Bytes",
    "Timestamp",
    "Document",
    "IndexMap",
    "Default",
    "Serialize",
    "Deserialize",
];

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// `max_width` of the workspace's rustfmt.toml.
const MAX_WIDTH: usize = 110;

/// Keywords that cannot be raw identifiers.
const UNRAWABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

pub fn model_path(service: &str) -> PathBuf {
    workspace_root()
        .join("crates/nimbus-protocol/models")
        .join(format!("{service}.json"))
}

pub fn operations_path(service: &str) -> PathBuf {
    workspace_root()
        .join("services")
        .join(service)
        .join("operations.txt")
}

pub fn generated_path(service: &str) -> PathBuf {
    workspace_root()
        .join("services")
        .join(service)
        .join("src/generated.rs")
}

/// The generated source for one service, from the files in the repository.
pub fn generate_for(service: &str) -> Result<String, String> {
    let read = |path: PathBuf| fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    generate(
        service,
        &read(model_path(service))?,
        &read(operations_path(service))?,
    )
}

/// `cargo xtask shapes <service>`: writes `generated.rs` when it changed.
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

/// The operation names listed in an `operations.txt`.
pub fn parse_operations(text: &str) -> Vec<&str> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .collect()
}

/// Generates `generated.rs` from a model (botocore JSON) and an operation list.
pub fn generate(service: &str, model_json: &str, operations_txt: &str) -> Result<String, String> {
    let model: Value = serde_json::from_str(model_json).map_err(|e| format!("model {service}: {e}"))?;
    let shapes = model
        .get("shapes")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("model {service} has no shapes"))?;
    let operations = model
        .get("operations")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("model {service} has no operations"))?;

    let names = parse_operations(operations_txt);
    let mut roots = Vec::new();
    for name in &names {
        let op = operations
            .get(*name)
            .ok_or_else(|| format!("operation {name} is not in the {service} model"))?;
        for side in ["input", "output"] {
            if let Some(shape) = op.get(side).and_then(|r| r.get("shape")).and_then(Value::as_str) {
                roots.push(shape);
            }
        }
    }

    let generator = Generator::new(shapes, &roots)?;
    Ok(generator.render(service))
}

struct Generator<'m> {
    shapes: &'m Map<String, Value>,
    /// Structure shape name → Rust type name, for every structure reached.
    structs: BTreeMap<String, String>,
}

impl<'m> Generator<'m> {
    fn new(shapes: &'m Map<String, Value>, roots: &[&str]) -> Result<Self, String> {
        let mut generator = Generator {
            shapes,
            structs: BTreeMap::new(),
        };
        let mut queue: VecDeque<&str> = roots.iter().copied().collect();
        let mut seen = HashSet::new();
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name) {
                continue;
            }
            let shape = generator.shape(name)?;
            if shape_type(shape) == "structure" && !is_document(shape) {
                generator.structs.insert(name.to_owned(), type_name(name));
            }
            for target in references(shape) {
                queue.push_back(target);
            }
        }
        let mut by_rust_name: HashMap<&str, &str> = HashMap::new();
        for (shape, rust) in &generator.structs {
            if let Some(other) = by_rust_name.insert(rust, shape) {
                return Err(format!(
                    "shapes {other} and {shape} both become the Rust type {rust}"
                ));
            }
        }
        Ok(generator)
    }

    fn shape(&self, name: &str) -> Result<&'m Value, String> {
        self.shapes
            .get(name)
            .ok_or_else(|| format!("shape {name} is not in the model"))
    }

    fn render(&self, service: &str) -> String {
        let mut body = String::new();
        let mut uses = Uses::default();
        for (shape_name, rust_name) in &self.structs {
            self.render_struct(&mut body, &mut uses, shape_name, rust_name);
        }

        let mut out = String::new();
        let _ = writeln!(
            out,
            "// @generated by `cargo xtask shapes {service}` from crates/nimbus-protocol/models/{service}.json"
        );
        let _ = writeln!(
            out,
            "// and services/{service}/operations.txt. Do not edit: list an operation there and run it again."
        );
        out.push('\n');
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
        match typed.as_slice() {
            [] => {}
            [one] => {
                let _ = writeln!(out, "use nimbus_core::typed::{one};");
            }
            many => {
                let _ = writeln!(out, "use nimbus_core::typed::{{{}}};", many.join(", "));
            }
        }
        out.push_str("use serde::{Deserialize, Serialize};\n");
        out.push_str(&body);
        out
    }

    fn render_struct(&self, out: &mut String, uses: &mut Uses, shape_name: &str, rust_name: &str) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        let required: HashSet<&str> = shape
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let members = shape.get("members").and_then(Value::as_object);

        out.push('\n');
        out.push_str("#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\n");
        let Some(members) = members.filter(|m| !m.is_empty()) else {
            let _ = writeln!(out, "pub struct {rust_name} {{}}");
            return;
        };
        let _ = writeln!(out, "pub struct {rust_name} {{");
        let mut field_names = HashSet::new();
        for (member_name, member) in members {
            let Some(target) = member.get("shape").and_then(Value::as_str) else {
                continue;
            };
            let mut ty = self.rust_type(target, uses);
            if self.structs.contains_key(target) && self.reaches_directly(target, shape_name) {
                ty = format!("Box<{ty}>");
            }
            if !required.contains(member_name.as_str()) {
                ty = format!("Option<{ty}>");
            }
            let field = unique_field_name(&mut field_names, member_name);
            let _ = writeln!(out, "    #[serde(rename = \"{member_name}\")]");
            let line = format!("    pub {field}: {ty},");
            if line.len() <= MAX_WIDTH {
                let _ = writeln!(out, "{line}");
            } else {
                // Where rustfmt would break it, so formatting never changes the file.
                let _ = writeln!(out, "    pub {field}:\n        {ty},");
            }
        }
        out.push_str("}\n");
    }

    /// The Rust type of a value of shape `name` (without `Option`).
    fn rust_type(&self, name: &str, uses: &mut Uses) -> String {
        let Some(shape) = self.shapes.get(name) else {
            return "String".to_owned();
        };
        let target_of = |key: &str| {
            shape
                .get(key)
                .and_then(|r| r.get("shape"))
                .and_then(Value::as_str)
        };
        let sparse = shape.get("sparse").and_then(Value::as_bool).unwrap_or(false);
        let wrap_sparse = |ty: String| if sparse { format!("Option<{ty}>") } else { ty };
        match shape_type(shape) {
            "structure" if is_document(shape) => {
                uses.document = true;
                "Document".to_owned()
            }
            "structure" => self.structs.get(name).cloned().unwrap_or_else(|| type_name(name)),
            "list" => {
                let item =
                    target_of("member").map_or_else(|| "String".to_owned(), |t| self.rust_type(t, uses));
                format!("Vec<{}>", wrap_sparse(item))
            }
            "map" => {
                uses.map = true;
                let value =
                    target_of("value").map_or_else(|| "String".to_owned(), |t| self.rust_type(t, uses));
                format!("IndexMap<String, {}>", wrap_sparse(value))
            }
            "boolean" => "bool".to_owned(),
            "byte" => "i8".to_owned(),
            "short" => "i16".to_owned(),
            "integer" => "i32".to_owned(),
            "long" => "i64".to_owned(),
            "float" => "f32".to_owned(),
            "double" => "f64".to_owned(),
            "blob" => {
                uses.bytes = true;
                "Bytes".to_owned()
            }
            "timestamp" => {
                uses.timestamp = true;
                "Timestamp".to_owned()
            }
            // string (enums included), bigInteger and bigDecimal: text.
            _ => "String".to_owned(),
        }
    }

    /// Whether structure `from` contains `to` by value, through structure
    /// members only (lists and maps already put their items on the heap).
    fn reaches_directly(&self, from: &str, to: &str) -> bool {
        let mut stack = vec![from];
        let mut seen = HashSet::new();
        while let Some(name) = stack.pop() {
            if name == to {
                return true;
            }
            if !seen.insert(name) {
                continue;
            }
            let Some(members) = self
                .shapes
                .get(name)
                .and_then(|s| s.get("members"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for member in members.values() {
                if let Some(target) = member.get("shape").and_then(Value::as_str)
                    && self.structs.contains_key(target)
                {
                    stack.push(target);
                }
            }
        }
        false
    }
}

/// Which imports the rendered structs need.
#[derive(Default)]
struct Uses {
    timestamp: bool,
    bytes: bool,
    document: bool,
    map: bool,
}

fn shape_type(shape: &Value) -> &str {
    shape.get("type").and_then(Value::as_str).unwrap_or("")
}

fn is_document(shape: &Value) -> bool {
    shape.get("document").and_then(Value::as_bool).unwrap_or(false)
}

/// Every shape a shape refers to: members, list member, map key and value.
fn references(shape: &Value) -> impl Iterator<Item = &str> {
    let members = shape
        .get("members")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values());
    let parts = ["member", "key", "value"]
        .into_iter()
        .filter_map(|k| shape.get(k));
    members
        .chain(parts)
        .filter_map(|r| r.get("shape").and_then(Value::as_str))
}

/// A shape name as a Rust type name: `tagListType` → `TagListType`.
fn type_name(shape: &str) -> String {
    let mut name: String = shape.chars().filter(char::is_ascii_alphanumeric).collect();
    if let Some(first) = name.get(..1) {
        let upper = first.to_ascii_uppercase();
        name.replace_range(..1, &upper);
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'S');
    }
    if TAKEN_TYPE_NAMES.contains(&name.as_str()) {
        name.push_str("Shape");
    }
    name
}

/// A member name as a field name, distinct within its struct.
fn unique_field_name(taken: &mut HashSet<String>, member: &str) -> String {
    let base = field_name(member);
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// `DBInstanceIdentifier` → `db_instance_identifier`, keywords made usable.
fn field_name(member: &str) -> String {
    let snake = snake_case(member);
    if UNRAWABLE.contains(&snake.as_str()) {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{snake}")
    } else {
        snake
    }
}

fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "field".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_become_snake_case_fields() {
        assert_eq!(field_name("RoleArn"), "role_arn");
        assert_eq!(field_name("DBInstanceIdentifier"), "db_instance_identifier");
        assert_eq!(field_name("SSEKMSKeyId"), "ssekms_key_id");
        assert_eq!(field_name("Ipv6Address"), "ipv6_address");
        assert_eq!(field_name("MD5OfBody"), "md5_of_body");
        assert_eq!(field_name("message"), "message");
        assert_eq!(field_name("Type"), "r#type");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(field_name("x-amz-id"), "x_amz_id");
    }

    #[test]
    fn colliding_fields_get_a_suffix() {
        let mut taken = HashSet::new();
        assert_eq!(unique_field_name(&mut taken, "Name"), "name");
        assert_eq!(unique_field_name(&mut taken, "name"), "name_2");
    }

    #[test]
    fn shape_names_become_type_names() {
        assert_eq!(type_name("tagListType"), "TagListType");
        assert_eq!(type_name("Option"), "OptionShape");
        assert_eq!(type_name("Credentials"), "Credentials");
    }

    const MODEL: &str = r#"{
        "operations": {
            "Put": {"name": "Put", "input": {"shape": "PutInput"}, "output": {"shape": "PutOutput"}},
            "Other": {"name": "Other", "input": {"shape": "Unreached"}}
        },
        "shapes": {
            "PutInput": {"type": "structure", "required": ["Name", "Tags"], "members": {
                "Name": {"shape": "Str"},
                "Tags": {"shape": "TagList"},
                "Attrs": {"shape": "AttrMap"},
                "Node": {"shape": "Node"},
                "Mode": {"shape": "ModeEnum"},
                "type": {"shape": "Str"}
            }},
            "PutOutput": {"type": "structure", "members": {
                "When": {"shape": "Time"}, "Data": {"shape": "Data"}, "Size": {"shape": "Long"}
            }},
            "Unreached": {"type": "structure", "members": {}},
            "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "Kids": {"shape": "NodeList"}}},
            "NodeList": {"type": "list", "member": {"shape": "Node"}},
            "TagList": {"type": "list", "member": {"shape": "Tag"}},
            "Tag": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "Str"}}},
            "AttrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Int"}, "sparse": true},
            "ModeEnum": {"type": "string", "enum": ["a", "b"]},
            "Str": {"type": "string"},
            "Int": {"type": "integer"},
            "Long": {"type": "long"},
            "Time": {"type": "timestamp"},
            "Data": {"type": "blob"}
        }
    }"#;

    #[test]
    fn generates_reached_structures_only() {
        let source = generate("demo", MODEL, "# comment\nPut\n").expect("generates");
        let expected = r#"// @generated by `cargo xtask shapes demo` from crates/nimbus-protocol/models/demo.json
// and services/demo/operations.txt. Do not edit: list an operation there and run it again.

use nimbus_core::Timestamp;
use nimbus_core::typed::{Bytes, IndexMap};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Node {
    #[serde(rename = "Child")]
    pub child: Option<Box<Node>>,
    #[serde(rename = "Kids")]
    pub kids: Option<Vec<Node>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PutInput {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
    #[serde(rename = "Attrs")]
    pub attrs: Option<IndexMap<String, Option<i32>>>,
    #[serde(rename = "Node")]
    pub node: Option<Node>,
    #[serde(rename = "Mode")]
    pub mode: Option<String>,
    #[serde(rename = "type")]
    pub r#type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PutOutput {
    #[serde(rename = "When")]
    pub when: Option<Timestamp>,
    #[serde(rename = "Data")]
    pub data: Option<Bytes>,
    #[serde(rename = "Size")]
    pub size: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
}
"#;
        assert_eq!(source, expected);
    }

    #[test]
    fn unknown_operation_is_an_error() {
        let error = generate("demo", MODEL, "Nope\n").expect_err("not in the model");
        assert!(error.contains("Nope"), "{error}");
    }

    /// Generated files are already formatted, so formatting the workspace
    /// never makes them stale. Checked on every operation of every model.
    #[test]
    fn generated_code_is_rustfmt_clean() {
        use std::io::Write;
        use std::process::{Command, Stdio};

        let models = workspace_root().join("crates/nimbus-protocol/models");
        let names = fs::read_to_string(models.join("SERVICES")).expect("models/SERVICES");
        for service in parse_operations(&names) {
            let model = fs::read_to_string(model_path(service)).expect("vendored model");
            let json: Value = serde_json::from_str(&model).expect("model parses");
            let all_operations: Vec<&str> = json["operations"]
                .as_object()
                .map(|ops| ops.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let source = generate(service, &model, &all_operations.join("\n")).expect("generates");
            let rustfmt = Command::new("rustfmt")
                .args(["--emit", "stdout", "--edition", "2024", "--config-path"])
                .arg(workspace_root().join("rustfmt.toml"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn();
            let Ok(mut rustfmt) = rustfmt else {
                eprintln!("rustfmt is not installed; skipping");
                return;
            };
            if let Some(mut stdin) = rustfmt.stdin.take() {
                stdin.write_all(source.as_bytes()).expect("rustfmt reads");
            }
            let output = rustfmt.wait_with_output().expect("rustfmt runs");
            let formatted = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{service}: rustfmt failed");
            if let Some((line, (ours, theirs))) = source
                .lines()
                .zip(formatted.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                panic!("{service}: rustfmt changes line {}:\n{ours}\n{theirs}", line + 1);
            }
            assert_eq!(source.lines().count(), formatted.lines().count(), "{service}");
        }
    }

    /// Fails when a checked-in `generated.rs` no longer matches its model and
    /// operations.txt: run `cargo xtask shapes <service>`.
    #[test]
    fn checked_in_shapes_are_fresh() {
        let services = workspace_root().join("services");
        let Ok(entries) = fs::read_dir(&services) else {
            return;
        };
        let mut checked = 0;
        for entry in entries.flatten() {
            let service = entry.file_name().to_string_lossy().into_owned();
            if !operations_path(&service).exists() {
                continue;
            }
            let expected = generate_for(&service).expect("generates");
            let actual = fs::read_to_string(generated_path(&service)).unwrap_or_default();
            assert!(
                actual == expected,
                "services/{service}/src/generated.rs is stale: run `cargo xtask shapes {service}`"
            );
            checked += 1;
        }
        assert!(checked > 0, "no service has an operations.txt");
    }
}
