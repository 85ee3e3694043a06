//! The typed shapes of a service API: one serde struct per structure shape
//! the listed operations' inputs and outputs reach. Generating only what a
//! service uses keeps compile times in seconds.
//!
//! Choices, and why:
//! - Fields are the shape's members in model order, renamed to their model
//!   names: the codecs find each member by position as it is serialized.
//! - Enum shapes become `String`: the protocol layer already checks enum
//!   values against the model, and a Rust enum would turn a value AWS added
//!   later (or a service accepts beyond its model) into a decode failure.
//! - Unions become structs of optional members, like any structure.
//! - Non-required members are `Option` and left out of the output when
//!   `None`; required ones are plain, so a handler cannot forget them in an
//!   output. Every struct derives `Default`.
//! - A streaming blob is a `ByteStream` beside the serde data: the codecs
//!   hand it over through the `Input`/`Output` traits.
//! - A member that would make a structure contain itself is boxed.
//! - A shape the operations list overrides (`type AttributeValue = ...`) is
//!   the crate's own type, and its members are not followed.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::Spec;
use super::names::{type_name, unique_field_name};

/// `max_width` of the workspace's rustfmt.toml.
const MAX_WIDTH: usize = 110;

pub struct Shapes<'m> {
    shapes: &'m Map<String, Value>,
    overrides: &'m BTreeMap<String, String>,
    /// Structure shape name → Rust type name, for every structure reached.
    pub structs: BTreeMap<String, String>,
    pub uses: Uses,
}

/// Which imports the rendered code needs.
#[derive(Default)]
pub struct Uses {
    pub timestamp: bool,
    pub bytes: bool,
    pub document: bool,
    pub map: bool,
    pub stream: bool,
}

impl<'m> Shapes<'m> {
    pub fn new(shapes: &'m Map<String, Value>, spec: &'m Spec, roots: &[&str]) -> Result<Self, String> {
        let mut generator = Shapes {
            shapes,
            overrides: &spec.overrides,
            structs: BTreeMap::new(),
            uses: Uses::default(),
        };
        let mut queue: VecDeque<&str> = roots.iter().copied().collect();
        let mut seen = HashSet::new();
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name) || generator.overrides.contains_key(name) {
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

    pub fn shape(&self, name: &str) -> Result<&'m Value, String> {
        self.shapes
            .get(name)
            .ok_or_else(|| format!("shape {name} is not in the model"))
    }

    /// Every reached structure, rendered.
    pub fn render(&mut self) -> String {
        let mut out = String::new();
        let structs: Vec<(String, String)> = self.structs.clone().into_iter().collect();
        for (shape_name, rust_name) in &structs {
            self.render_struct(&mut out, shape_name, rust_name);
        }
        out
    }

    fn render_struct(&mut self, out: &mut String, shape_name: &str, rust_name: &str) {
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
            let field = unique_field_name(&mut field_names, member_name);
            if self.is_event_stream(target) {
                let _ = writeln!(
                    out,
                    "    /// `{member_name}`: events streamed, framed by the codec."
                );
                out.push_str("    #[serde(skip)]\n");
                let _ = writeln!(
                    out,
                    "    pub {field}: Option<nimbus_core::EventStream<{}>>,",
                    type_name(target)
                );
                continue;
            }
            if self.is_stream(member, target) {
                self.uses.stream = true;
                let _ = writeln!(out, "    /// `{member_name}`: streamed, beside the serde data.");
                out.push_str("    #[serde(skip)]\n");
                let _ = writeln!(out, "    pub {field}: Option<ByteStream>,");
                continue;
            }
            let mut ty = self.rust_type(target);
            if self.structs.contains_key(target) && self.reaches_directly(target, shape_name) {
                ty = format!("Box<{ty}>");
            }
            if required.contains(member_name.as_str()) {
                let _ = writeln!(out, "    #[serde(rename = \"{member_name}\")]");
            } else {
                ty = format!("Option<{ty}>");
                let attribute = format!(
                    "    #[serde(rename = \"{member_name}\", skip_serializing_if = \"Option::is_none\")]"
                );
                if attribute.len() <= MAX_WIDTH {
                    let _ = writeln!(out, "{attribute}");
                } else {
                    let _ = writeln!(
                        out,
                        "    #[serde(\n        rename = \"{member_name}\",\n        skip_serializing_if = \"Option::is_none\"\n    )]"
                    );
                }
            }
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

    /// A blob member the model marks `streaming` (on the reference or the shape).
    pub fn is_stream(&self, member: &Value, target: &str) -> bool {
        let flag = |value: &Value| value.get("streaming").and_then(Value::as_bool).unwrap_or(false);
        let Some(shape) = self.shapes.get(target) else {
            return false;
        };
        shape_type(shape) == "blob" && (flag(member) || flag(shape))
    }

    /// The Rust type of a value of shape `name` (without `Option`).
    pub fn rust_type(&mut self, name: &str) -> String {
        if let Some(path) = self.overrides.get(name) {
            return path.clone();
        }
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
                self.uses.document = true;
                "Document".to_owned()
            }
            "structure" => self.structs.get(name).cloned().unwrap_or_else(|| type_name(name)),
            "list" => {
                let item = target_of("member").map_or_else(|| "String".to_owned(), |t| self.rust_type(t));
                format!("Vec<{}>", wrap_sparse(item))
            }
            "map" => {
                self.uses.map = true;
                let value = target_of("value").map_or_else(|| "String".to_owned(), |t| self.rust_type(t));
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
                self.uses.bytes = true;
                "Bytes".to_owned()
            }
            "timestamp" => {
                self.uses.timestamp = true;
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

    /// A member of a structure: its Rust field, the shape it targets, and
    /// whether it is optional.
    fn member(&self, shape_name: &str, member: &str) -> Result<(String, Option<&Value>, bool), String> {
        let shape = self
            .shapes
            .get(shape_name)
            .ok_or_else(|| format!("no shape {shape_name}"))?;
        let members = shape
            .get("members")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{shape_name} has no members"))?;
        let mut taken = HashSet::new();
        for (name, value) in members {
            let field = unique_field_name(&mut taken, name);
            if name != member {
                continue;
            }
            let target = value.get("shape").and_then(Value::as_str).unwrap_or_default();
            let required = shape
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|m| m.as_str() == Some(member)));
            return Ok((field, self.shapes.get(target), !required));
        }
        Err(format!("{shape_name} has no member {member}"))
    }

    /// The shape of a list's items.
    fn item_of(&self, list: Option<&Value>) -> Option<&Value> {
        let item = list?.get("member")?.get("shape")?.as_str()?;
        self.shapes.get(item)
    }

    /// A string member: its field and whether it is optional.
    pub fn string_member(&self, shape_name: &str, member: &str) -> Result<(String, bool), String> {
        let (field, target, optional) = self.member(shape_name, member)?;
        if target.map(shape_type) != Some("string") {
            return Err(format!("{shape_name}.{member} is not a string"));
        }
        Ok((field, optional))
    }

    /// A member that gives a condition key its values: its field, whether
    /// it is optional, and whether it is a list (of strings); scalars of
    /// any kind but timestamps and blobs.
    pub fn key_member(&self, shape_name: &str, member: &str) -> Result<(String, bool, bool), String> {
        let (field, target, optional) = self.member(shape_name, member)?;
        let list = match target.map(shape_type) {
            Some("string" | "integer" | "long" | "boolean" | "double" | "float") => false,
            Some("list") if self.item_of(target).map(shape_type) == Some("string") => true,
            Some("list") => return Err(format!("{shape_name}.{member} is not a list of strings")),
            _ => {
                return Err(format!(
                    "{shape_name}.{member} is not a scalar or a list of strings"
                ));
            }
        };
        Ok((field, optional, list))
    }

    /// A member holding tags: its field, whether it is optional, and
    /// whether it is a map (else a list of `{Key, Value}` structures).
    pub fn tags_member(&self, shape_name: &str, member: &str) -> Result<(String, bool, bool), String> {
        let (field, target, optional) = self.member(shape_name, member)?;
        let is_map = match target.map(shape_type) {
            Some("map") => true,
            Some("list") => {
                let required: Vec<&str> = self
                    .item_of(target)
                    .and_then(|item| item.get("required"))
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !(required.contains(&"Key") && required.contains(&"Value")) {
                    return Err(format!("{shape_name}.{member} is not a list of Key/Value tags"));
                }
                false
            }
            _ => return Err(format!("{shape_name}.{member} holds no tags")),
        };
        Ok((field, optional, is_map))
    }

    /// A union the model marks `eventstream`: a stream of its members.
    pub fn is_event_stream(&self, target: &str) -> bool {
        self.shapes
            .get(target)
            .and_then(|shape| shape.get("eventstream"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The field holding a structure's event-stream payload and the union
    /// it streams, if it has one.
    pub fn event_stream_field(&self, shape_name: &str) -> Option<(String, String)> {
        let shape = self.shapes.get(shape_name)?;
        let payload = shape.get("payload").and_then(Value::as_str)?;
        let members = shape.get("members").and_then(Value::as_object)?;
        let mut taken = HashSet::new();
        for (member_name, member) in members {
            let name = unique_field_name(&mut taken, member_name);
            let target = member.get("shape").and_then(Value::as_str)?;
            if member_name == payload && self.is_event_stream(target) {
                return Some((name, target.to_owned()));
            }
        }
        None
    }

    /// The field holding a structure's streaming payload, if it has one.
    pub fn stream_field(&self, shape_name: &str) -> Option<String> {
        let shape = self.shapes.get(shape_name)?;
        let payload = shape.get("payload").and_then(Value::as_str)?;
        let members = shape.get("members").and_then(Value::as_object)?;
        let mut taken = HashSet::new();
        let mut field = None;
        for (member_name, member) in members {
            let name = unique_field_name(&mut taken, member_name);
            let target = member.get("shape").and_then(Value::as_str)?;
            if member_name == payload && self.is_stream(member, target) {
                field = Some(name);
            }
        }
        field
    }
}

pub fn shape_type(shape: &Value) -> &str {
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
