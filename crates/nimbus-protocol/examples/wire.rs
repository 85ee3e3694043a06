//! The wire bridge: lets the Python side of the protocol harness
//! (`tests/protocol/`) drive the codecs with requests botocore serialized
//! and responses botocore must parse.
//!
//! Run `cargo run -p nimbus-protocol --example wire`; it reads one JSON
//! object per line on stdin and answers each with one line on stdout:
//!
//! - `{"cmd": "decode", <model>, "request": {"method", "uri", "headers":
//!   [[name, value]..], "body_base64"}, "operation"?: name, "params"?: {..}}`
//!   → `{"identified", "identify_error", "decoded", "decode_error"}`, and
//!   with `params` (botocore's parameters, in `golden/params.rs`
//!   conventions) also `"expected"` and `"differences"` (empty when the
//!   decoded value matches them). `operation` is decoded when
//!   identification fails, so both problems show.
//! - `{"cmd": "encode", <model>, "operation", "output": {..}}` → `{"response":
//!   {"status", "headers", "body_base64"}}`: the output parameters encoded
//!   as a success.
//! - `{"cmd": "encode_error", <model>, "operation"?, "error": {"code",
//!   "message", "status", "fields"?: {..}, "sender_fault"?}}` → `{"response"}`.
//!   `code` is the code clients see (the shape name, or its `error.code`);
//!   `fields` are the exception shape's other members.
//!
//! `<model>` is `"service": "<vendored model name>"` or `"model": {metadata,
//! shapes, operations}` (botocore JSON), plus `"protocol"` (a model protocol
//! name; default the model's own). Every answer echoes `"id"` and carries
//! `"error"` (the bridge could not run the command) or `"panic"` (a codec
//! panicked) when something went wrong.

#[allow(dead_code)] // shared with tests/golden.rs; each uses a part
#[path = "../tests/golden/mod.rs"]
mod golden;

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::panic::{self, AssertUnwindSafe};

use golden::compare::differences;
use golden::exchange::{request_from_json, response_to_json};
use golden::params::to_value;
use golden::value_json::to_json;
use golden::vectors::normalize_legacy_model;
use indexmap::IndexMap;
use nimbus_protocol::model::Model;
use nimbus_protocol::{AwsError, Protocol, Value, models};
use serde_json::{Map, Value as Json, json};

const REQUEST_ID: &str = "b1dge000-0000-4000-8000-000000000000";

fn main() {
    panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
    }));
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Json>(&line) {
            Ok(command) => answer(&command),
            Err(e) => json!({"error": format!("not JSON: {e}")}),
        };
        if writeln!(stdout, "{answer}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}

fn answer(command: &Json) -> Json {
    let mut answer = match catch(|| run(command)) {
        Ok(Ok(answer)) => answer,
        Ok(Err(message)) => json!({"error": message}),
        Err(panic) => json!({"panic": panic}),
    };
    answer["id"] = command["id"].clone();
    answer
}

fn run(command: &Json) -> Result<Json, String> {
    let model = Loaded::load(command)?;
    let model = model.get();
    let protocol = protocol_of(command, model)?;
    match command["cmd"].as_str() {
        Some("decode") => decode(command, model, protocol),
        Some("encode") => encode(command, model, protocol),
        Some("encode_error") => encode_error(command, model, protocol),
        Some(other) => Err(format!("unknown cmd {other:?}")),
        None => Err("missing cmd".to_owned()),
    }
}

/// A vendored model (parsed once, kept) or one sent inline with the command.
enum Loaded {
    Vendored(&'static Model),
    Inline(Box<Model>),
}

impl Loaded {
    fn load(command: &Json) -> Result<Self, String> {
        if let Some(name) = command["service"].as_str() {
            return models::get(name)
                .map(Loaded::Vendored)
                .ok_or_else(|| format!("no vendored model {name}"));
        }
        let mut inline = command["model"].clone();
        if !inline.is_object() {
            return Err("needs \"service\" or \"model\"".to_owned());
        }
        normalize_legacy_model(&mut inline);
        Model::from_json(&inline.to_string())
            .map(|model| Loaded::Inline(Box::new(model)))
            .map_err(|e| format!("model does not load: {e}"))
    }

    fn get(&self) -> &Model {
        match self {
            Loaded::Vendored(model) => model,
            Loaded::Inline(model) => model,
        }
    }
}

fn protocol_of(command: &Json, model: &Model) -> Result<Protocol, String> {
    let name = command["protocol"].as_str().unwrap_or(&model.metadata.protocol);
    Protocol::from_model_name(name, model.metadata.json_version.as_deref())
        .ok_or_else(|| format!("unknown protocol {name:?}"))
}

fn error_json(error: &AwsError) -> Json {
    json!({"code": error.code, "message": error.message, "status": error.status})
}

fn decode(command: &Json, model: &Model, protocol: Protocol) -> Result<Json, String> {
    let request = request_from_json(&command["request"])?;
    let mut answer = Map::new();
    let identified = match catch(|| protocol.identify_operation(model, &request)) {
        Ok(Ok(operation)) => Some(operation),
        Ok(Err(error)) => {
            answer.insert("identify_error".into(), error_json(&error));
            None
        }
        Err(panic) => {
            answer.insert("identify_error".into(), json!({"panic": panic}));
            None
        }
    };
    answer.insert("identified".into(), json!(identified.map(|op| &op.name)));
    let operation = match (identified, command["operation"].as_str()) {
        (Some(operation), _) => operation,
        (None, Some(name)) => model
            .operation(name)
            .ok_or_else(|| format!("no operation {name}"))?,
        (None, None) => return Ok(Json::Object(answer)),
    };
    let decoded = match catch(|| protocol.decode_request(model, operation, &request)) {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            answer.insert("decode_error".into(), error_json(&error));
            None
        }
        Err(panic) => {
            answer.insert("decode_error".into(), json!({"panic": panic}));
            None
        }
    };
    answer.insert("decoded".into(), decoded.as_ref().map_or(Json::Null, to_json));
    let params = &command["params"];
    if !params.is_null() {
        let input_name = model.input_of(operation).map(|shape| shape.name.clone());
        let input_shape = input_name.as_deref();
        let expected = match input_shape {
            Some(shape) => to_value(model, shape, params)?,
            None => Value::empty(),
        };
        answer.insert("expected".into(), to_json(&expected));
        if let Some(decoded) = &decoded {
            let found = match input_shape {
                Some(shape) => differences(model, shape, &expected, decoded),
                None if *decoded == Value::empty() => Vec::new(),
                None => vec![format!("(top): expected {{}}, got {}", to_json(decoded))],
            };
            answer.insert("differences".into(), json!(found));
        }
    }
    Ok(Json::Object(answer))
}

fn encode(command: &Json, model: &Model, protocol: Protocol) -> Result<Json, String> {
    let name = command["operation"]
        .as_str()
        .ok_or("encode needs \"operation\"")?;
    let operation = model
        .operation(name)
        .ok_or_else(|| format!("no operation {name}"))?;
    let output = match model.output_of(operation) {
        Some(shape) => to_value(model, &shape.name, &command["output"])?,
        None => Value::empty(),
    };
    let response = catch(|| protocol.encode_response(model, operation, &output, REQUEST_ID))
        .map_err(|panic| format!("encode_response panicked: {panic}"))?;
    Ok(json!({"response": response_to_json(&response), "output": to_json(&output)}))
}

fn encode_error(command: &Json, model: &Model, protocol: Protocol) -> Result<Json, String> {
    let operation = command["operation"]
        .as_str()
        .and_then(|name| model.operation(name));
    let spec = &command["error"];
    let code = spec["code"].as_str().ok_or("error needs \"code\"")?.to_owned();
    let status = spec["status"].as_u64().unwrap_or(400) as u16;
    let mut error = AwsError::new(
        Cow::Owned(code.clone()),
        spec["message"].as_str().unwrap_or_default(),
        status,
    );
    if let Some(sender_fault) = spec["sender_fault"].as_bool() {
        error.sender_fault = sender_fault;
    }
    if let Some(fields) = spec["fields"].as_object().filter(|fields| !fields.is_empty()) {
        error.fields = error_fields(model, &code, fields)?.into();
    }
    let response = catch(|| protocol.encode_error(model, operation, &error, REQUEST_ID))
        .map_err(|panic| format!("encode_error panicked: {panic}"))?;
    Ok(json!({"response": response_to_json(&response)}))
}

/// The extra members of an error, typed by its exception shape (the one
/// named `code`, or whose `error.code` is `code`), untyped without one.
fn error_fields(
    model: &Model,
    code: &str,
    fields: &Map<String, Json>,
) -> Result<IndexMap<String, Value>, String> {
    let shape_name = model.error_shape(code).map(|shape| shape.name.clone());
    let object = Json::Object(fields.clone());
    match shape_name {
        Some(shape_name) => match to_value(model, &shape_name, &object)? {
            Value::Structure(members) => Ok(members),
            _ => Ok(IndexMap::new()),
        },
        None => Ok(fields
            .iter()
            .map(|(name, value)| (name.clone(), untyped(value)))
            .collect()),
    }
}

/// A value for a member no shape describes: JSON types map to the obvious variants.
fn untyped(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or_default()), Value::Integer),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(untyped).collect()),
        Json::Object(members) => Value::Structure(
            members
                .iter()
                .map(|(name, value)| (name.clone(), untyped(value)))
                .collect(),
        ),
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`; a panic becomes its message, so one bad case does not end the bridge.
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}
