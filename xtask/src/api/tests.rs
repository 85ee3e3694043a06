use super::*;

const MODEL: &str = r#"{
    "metadata": {"protocol": "json", "jsonVersion": "1.0"},
    "operations": {
        "Other": {"name": "Other", "input": {"shape": "Unreached"}},
        "Put": {"name": "Put", "input": {"shape": "PutInput"}, "output": {"shape": "PutOutput"}},
        "Ping": {"name": "Ping"}
    },
    "shapes": {
        "PutInput": {"type": "structure", "required": ["Name", "Tags"], "members": {
            "Name": {"shape": "Str"},
            "Tags": {"shape": "TagList"},
            "Attrs": {"shape": "AttrMap"},
            "Node": {"shape": "Node"},
            "Mode": {"shape": "ModeEnum"},
            "Names": {"shape": "NameList"},
            "Custom": {"shape": "Custom"},
            "type": {"shape": "Str"}
        }},
        "PutOutput": {"type": "structure", "payload": "Data", "members": {
            "When": {"shape": "Time"}, "Data": {"shape": "Data"}, "Size": {"shape": "Long"}
        }},
        "Unreached": {"type": "structure", "members": {}},
        "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "Kids": {"shape": "NodeList"}}},
        "NodeList": {"type": "list", "member": {"shape": "Node"}},
        "TagList": {"type": "list", "member": {"shape": "Tag"}},
        "NameList": {"type": "list", "member": {"shape": "Str"}},
        "Tag": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "Str"}}},
        "AttrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Int"}, "sparse": true},
        "Custom": {"type": "structure", "members": {"Inner": {"shape": "Unreachable"}}},
        "ModeEnum": {"type": "string", "enum": ["a", "b"]},
        "Str": {"type": "string"},
        "Int": {"type": "integer"},
        "Long": {"type": "long"},
        "Time": {"type": "timestamp"},
        "Data": {"type": "blob", "streaming": true},
        "Broken": {"type": "structure", "exception": true, "error": {"httpStatusCode": 409}, "members": {}},
        "LimitExceededException": {"type": "structure", "exception": true, "members": {}}
    }
}"#;

fn generated(operations: &str) -> Result<String, String> {
    let spec = Spec::parse("demo", operations)?;
    let model: Value = serde_json::from_str(MODEL).map_err(|e| e.to_string())?;
    generate(&spec, &model, &[Family::Json])
}

#[test]
fn generates_the_reached_structures_the_trait_the_server_and_the_errors() {
    let source = generated("# comment\ntype Custom = crate::Custom\nPut\nPing\n").expect("generates");
    for expected in [
        "pub struct PutInput {",
        "pub struct Node {",
        "pub child: Option<Box<Node>>,",
        "pub attrs: Option<IndexMap<String, Option<i32>>>,",
        "pub mode: Option<String>,",
        "pub custom: Option<crate::Custom>,",
        "pub r#type: Option<String>,",
        "#[serde(rename = \"Name\")]\n    pub name: String,",
        "pub data: Option<ByteStream>,",
        "impl Output for PutOutput {\n    fn take_stream(&mut self) -> Option<ByteStream> {\n        self.data.take()\n    }\n}",
        "pub const PUT: OperationId = OperationId(1);",
        "pub const PING: OperationId = OperationId(2);",
        "pub trait DemoApi: Send + Sync + 'static {",
        "fn ping(\n        &self,\n        ctx: &RequestContext,\n    ) -> impl Future<Output = Result<(), AwsError>> + Send {",
        "ops::PUT => serve(call, &guard, |input| api.put(ctx, input)).await,",
        "ops::PING => serve(call, &guard, |_: NoInput| api.ping(ctx)).await,",
        "Protocol::Json10 | Protocol::Json11 => wire.decode_json(),",
        "pub struct DemoClient(Arc<dyn Service>);",
        "/// `Broken`: `Broken`, HTTP 409.\n    pub fn broken(message: impl Into<String>) -> AwsError {\n        AwsError::new(\"Broken\", message, 409)",
        "pub fn limit_exceeded(message: impl Into<String>) -> AwsError {\n        AwsError::new(\"LimitExceededException\", message, 400)",
    ] {
        assert!(source.contains(expected), "missing {expected:?} in:\n{source}");
    }
    for absent in ["pub struct Unreached", "pub struct Custom", "Unreachable"] {
        assert!(!source.contains(absent), "unexpected {absent:?}");
    }
}

/// An operation's IAM action and the resources its input names become the
/// action table and the input's `resources()`, optional members included.
#[test]
fn access_rules_generate_the_action_table_and_the_resources() {
    let source =
        generated("type Custom = crate::Custom\nPut demo:PutThing thing:Name kind:Mode\nPing demo:Ping\n")
            .expect("generates");
    for expected in [
        "fn action_of(operation: OperationId) -> Option<&'static str> {",
        "ops::PUT => Some(\"demo:PutThing\"),",
        "ops::PING => Some(\"demo:Ping\"),",
        "fn resources(&self) -> Vec<ResourceRef<'_>> {",
        "Some(ResourceRef { kind: \"thing\", value: &self.name, qualifier: None, detail: None })",
        "self.mode.as_deref().map(|value| ResourceRef { kind: \"kind\", value, qualifier: None, detail: None })",
        "guard.check(call.operation, &input)",
    ] {
        assert!(source.contains(expected), "missing {expected:?} in:\n{source}");
    }
}

/// Condition keys and an action variant become the input's
/// `condition_keys()` and `action_variant()`.
#[test]
fn access_rules_generate_condition_keys_and_the_action_variant() {
    let source = generated(
        "type Custom = crate::Custom\nPut demo:PutThing thing:Name demo:mode=Mode demo:names=Names demo:moded=?Mode Mode?demo:PutMode\n",
    )
    .expect("generates");
    for expected in [
        "fn condition_keys(&self) -> nimbus_core::authz::ConditionKeys {",
        "keys.push((\"demo:mode\".into(), vec![value.to_string()]));",
        "keys.push((\"demo:names\".into(), value.iter().map(|v| v.to_string()).collect()));",
        "if self.mode.is_some() {\n            keys.push((\"demo:moded\".into(), vec![\"true\".to_owned()]));",
        "fn action_variant(&self) -> Option<&'static str> {",
        "self.mode.as_ref().map(|_| \"demo:PutMode\")",
    ] {
        assert!(source.contains(expected), "missing {expected:?} in:\n{source}");
    }
    let error = generated("type Custom = crate::Custom\nPut demo:PutThing Name?demo:Other\n")
        .expect_err("Name is required");
    assert!(error.contains("is required"), "{error}");
}

#[test]
fn access_rules_name_string_members_only() {
    let error =
        generated("type Custom = crate::Custom\nPut demo:PutThing thing:Tags\n").expect_err("Tags is a list");
    assert!(error.contains("PutInput.Tags is not a string"), "{error}");
    let error = generated("type Custom = crate::Custom\nPut PutThing\n").expect_err("not an action");
    assert!(error.contains("not an IAM action"), "{error}");
}

#[test]
fn unknown_operation_is_an_error() {
    let error = generated("Nope\n").expect_err("not in the model");
    assert!(error.contains("Nope"), "{error}");
}

/// Every operation of every vendored model generates code rustfmt accepts.
#[test]
fn every_vendored_model_generates() {
    let names = fs::read_to_string(models_dir().join("SERVICES")).expect("models/SERVICES");
    for service in names
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let model: Value = serde_json::from_str(&fs::read_to_string(model_path(service)).expect("model"))
            .expect("model parses");
        let all: Vec<String> = model["operations"]
            .as_object()
            .map(|ops| ops.keys().cloned().collect())
            .unwrap_or_default();
        let spec = Spec::parse(service, &all.join("\n")).expect("spec");
        let source = generate(&spec, &model, &families(service, &model)).expect("generates");
        if let Err(error) = rustfmt(&source) {
            if error.starts_with("cannot run rustfmt") {
                eprintln!("rustfmt is not installed; skipping");
                return;
            }
            panic!("{service}: {error}");
        }
    }
}

/// Fails when a checked-in `generated.rs` no longer matches its model and
/// operations.txt: run `cargo xtask api <service>`.
#[test]
fn checked_in_apis_are_fresh() {
    let services = services();
    assert!(!services.is_empty(), "no API crate has an operations.txt");
    for service in services {
        let expected = generate_for(&service).expect("generates");
        let actual = fs::read_to_string(generated_path(&service)).unwrap_or_default();
        assert!(
            actual == expected,
            "apis/{service}/src/generated.rs is stale: run `cargo xtask api {service}`"
        );
    }
}
