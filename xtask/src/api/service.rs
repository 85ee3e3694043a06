//! The service glue of an API crate: operation ids, the trait a service
//! implements, the server that serves it on the wire and to other services,
//! the client other services call it with, and the error constructors.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::names::{constant_name, field_name, snake_case, type_name};
use super::shapes::Shapes;
use super::{AccessRule, Family, Spec};

/// One listed operation, as the glue needs it.
pub struct Op {
    pub name: String,
    /// Its position in the vendored model.
    pub id: usize,
    pub input: Option<String>,
    pub output: Option<String>,
    /// The Rust types of input and output: the shapes' generated types, or
    /// what `operations.txt` overrides them with.
    pub input_rust: Option<String>,
    pub output_rust: Option<String>,
    /// Its IAM action and resources, when operations.txt gives them.
    pub access: Option<AccessRule>,
}

impl Op {
    fn method(&self) -> String {
        field_name(&self.name)
    }

    fn constant(&self) -> String {
        constant_name(&self.name)
    }

    fn input_type(&self) -> String {
        self.input_rust.clone().unwrap_or_else(|| "NoInput".to_owned())
    }

    fn output_type(&self) -> String {
        self.output_rust.clone().unwrap_or_else(|| "()".to_owned())
    }
}

pub fn render_ops(out: &mut String, ops: &[Op]) {
    out.push_str("\n/// The operations' ids: their places in the vendored model.\npub mod ops {\n");
    out.push_str("    use nimbus_protocol::model::OperationId;\n\n");
    for op in ops {
        let _ = writeln!(
            out,
            "    pub const {}: OperationId = OperationId({});",
            op.constant(),
            op.id
        );
    }
    out.push_str("}\n");
}

/// `impl Input` / `impl Output` for the generated types of the operations'
/// inputs and outputs (an overridden shape's type has its own).
pub fn render_io_traits(
    out: &mut String,
    ops: &[Op],
    shapes: &Shapes<'_>,
    spec: &Spec,
) -> Result<(), String> {
    out.push('\n');
    let generated = |shape: &&str| !spec.overrides.contains_key(*shape);
    let mut inputs: Vec<&str> = ops
        .iter()
        .filter_map(|op| op.input.as_deref())
        .filter(generated)
        .collect();
    inputs.sort_unstable();
    inputs.dedup();
    for input in inputs {
        let rust = type_name(input);
        let mut body = String::new();
        if let Some(field) = shapes.stream_field(input) {
            let _ = writeln!(
                body,
                "    fn set_stream(&mut self, stream: ByteStream) {{\n        self.{field} = Some(stream);\n    }}"
            );
        }
        if let Some(rule) = input_access(ops, input)? {
            render_access_methods(&mut body, shapes, input, rule)?;
        }
        if body.is_empty() {
            let _ = writeln!(out, "impl Input for {rust} {{}}\n");
        } else {
            let _ = writeln!(out, "impl Input for {rust} {{\n{body}}}\n");
        }
    }
    let mut outputs: Vec<&str> = ops
        .iter()
        .filter_map(|op| op.output.as_deref())
        .filter(generated)
        .collect();
    outputs.sort_unstable();
    outputs.dedup();
    for output in outputs {
        let rust = type_name(output);
        if let Some((field, union)) = shapes.event_stream_field(output) {
            let _ = writeln!(
                out,
                "impl Output for {rust} {{\n    fn take_stream(&mut self) -> Option<ByteStream> {{\n        let events = self.{field}.take()?;\n        Some(eventstream::framed(events, {}))\n    }}\n}}\n",
                crate::api::events::frame_fn(&union)
            );
            continue;
        }
        match shapes.stream_field(output) {
            Some(field) => {
                let _ = writeln!(
                    out,
                    "impl Output for {rust} {{\n    fn take_stream(&mut self) -> Option<ByteStream> {{\n        self.{field}.take()\n    }}\n}}\n"
                );
            }
            None => {
                let _ = writeln!(out, "impl Output for {rust} {{}}\n");
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    Ok(())
}

/// The access rule of the operations that take an input (the same for
/// every one of them, the action aside).
fn input_access<'o>(ops: &'o [Op], input: &str) -> Result<Option<&'o AccessRule>, String> {
    let same = |a: &AccessRule, b: &AccessRule| {
        (&a.resources, &a.keys, &a.variant) == (&b.resources, &b.keys, &b.variant)
    };
    let mut rules = ops
        .iter()
        .filter(|op| op.input.as_deref() == Some(input))
        .filter_map(|op| op.access.as_ref().map(|rule| (op, rule)));
    let Some((first, rule)) = rules.next() else {
        return Ok(None);
    };
    if let Some((other, _)) = rules.find(|(_, other)| !same(rule, other)) {
        return Err(format!(
            "{} and {} take {input} but name different resources",
            first.name, other.name
        ));
    }
    Ok(Some(rule))
}

/// An input's `resources()`, `condition_keys()` and `action_variant()`,
/// those its access rule asks for.
fn render_access_methods(
    body: &mut String,
    shapes: &Shapes<'_>,
    input: &str,
    rule: &AccessRule,
) -> Result<(), String> {
    if !rule.resources.is_empty() {
        let resources = input_resources(shapes, input, &rule.resources)?;
        let _ = writeln!(
            body,
            "    fn resources(&self) -> Vec<ResourceRef<'_>> {{\n        {resources}\n    }}"
        );
    }
    if !rule.keys.is_empty() {
        let mut lines = String::new();
        for (key, member) in &rule.keys {
            // `aws:RequestTag=Tags`: a key per tag, and aws:TagKeys.
            if key == "aws:RequestTag" {
                let _ = writeln!(lines, "{}", request_tags(shapes, input, member)?);
                continue;
            }
            // `key=?Member`: "true" when the member is present, else absent.
            if let Some(member) = member.strip_prefix('?') {
                let (field, optional, _) = shapes.key_member(input, member)?;
                if !optional {
                    return Err(format!(
                        "{input}.{member} is required: {key} would always be true"
                    ));
                }
                let _ = writeln!(
                    lines,
                    "        if self.{field}.is_some() {{\n            keys.push((\"{key}\".into(), vec![\"true\".to_owned()]));\n        }}"
                );
                continue;
            }
            let (field, optional, list) = shapes.key_member(input, member)?;
            let values = if list {
                "value.iter().map(|v| v.to_string()).collect()"
            } else {
                "vec![value.to_string()]"
            };
            let _ = if optional {
                writeln!(
                    lines,
                    "        if let Some(value) = &self.{field} {{\n            keys.push((\"{key}\".into(), {values}));\n        }}"
                )
            } else {
                writeln!(
                    lines,
                    "        let value = &self.{field};\n        keys.push((\"{key}\".into(), {values}));"
                )
            };
        }
        let _ = writeln!(
            body,
            "    fn condition_keys(&self) -> nimbus_core::authz::ConditionKeys {{\n        let mut keys = Vec::new();\n{lines}        keys\n    }}"
        );
    }
    if let Some((member, action)) = &rule.variant {
        let (field, optional, _) = shapes.key_member(input, member)?;
        if !optional {
            return Err(format!(
                "{input}.{member} is required: the action would always be {action}"
            ));
        }
        let _ = writeln!(
            body,
            "    fn action_variant(&self) -> Option<&'static str> {{\n        self.{field}.as_ref().map(|_| \"{action}\")\n    }}"
        );
    }
    Ok(())
}

/// The keys a request's tags give values to: `aws:RequestTag/<key>` for
/// each tag, and `aws:TagKeys`.
fn request_tags(shapes: &Shapes<'_>, input: &str, member: &str) -> Result<String, String> {
    let (field, optional, is_map) = shapes.tags_member(input, member)?;
    let (pairs, names) = if is_map {
        ("(k, v) in tags", "tags.keys()")
    } else {
        (
            "(k, v) in tags.iter().map(|t| (&t.key, &t.value))",
            "tags.iter().map(|t| &t.key)",
        )
    };
    let body = format!(
        "for {pairs} {{\n                keys.push((format!(\"aws:RequestTag/{{k}}\").into(), vec![v.to_string()]));\n            }}\n            keys.push((\"aws:TagKeys\".into(), {names}.map(|k| k.to_string()).collect()));"
    );
    Ok(if optional {
        format!("        if let Some(tags) = &self.{field} {{\n            {body}\n        }}")
    } else {
        format!("        {{\n            let tags = &self.{field};\n            {body}\n        }}")
    })
}

/// The body of an input's `resources()`: the members its access rule names.
fn input_resources(
    shapes: &Shapes<'_>,
    input: &str,
    resources: &[(String, String, Option<String>)],
) -> Result<String, String> {
    // A member's value as an `Option<&str>` expression.
    let member_value = |member: Option<&str>| -> Result<String, String> {
        Ok(match member {
            Some(member) => match shapes.string_member(input, member)? {
                (field, true) => format!("self.{field}.as_deref()"),
                (field, false) => format!("Some(self.{field}.as_str())"),
            },
            None => "None".to_owned(),
        })
    };
    let mut pushes = Vec::new();
    for (kind, member, qualifiers) in resources {
        let (field, optional) = shapes.string_member(input, member)?;
        // `+Qualifier` and, after it, `+Detail`.
        let (qualifier, detail) = match qualifiers
            .as_deref()
            .map(|q| q.split_once('+').unwrap_or((q, "")))
        {
            Some((qualifier, "")) => (Some(qualifier), None),
            Some((qualifier, detail)) => (Some(qualifier), Some(detail)),
            None => (None, None),
        };
        let (qualifier, detail) = (member_value(qualifier)?, member_value(detail)?);
        pushes.push(if optional {
            format!(
                "self.{field}.as_deref().map(|value| ResourceRef {{ kind: \"{kind}\", value, qualifier: {qualifier}, detail: {detail} }})"
            )
        } else {
            format!(
                "Some(ResourceRef {{ kind: \"{kind}\", value: &self.{field}, qualifier: {qualifier}, detail: {detail} }})"
            )
        });
    }
    Ok(format!("[{}].into_iter().flatten().collect()", pushes.join(", ")))
}

/// Each operation's IAM action (operations.txt), for the server's guard.
pub fn render_actions(out: &mut String, ops: &[Op]) {
    out.push_str("\n/// The IAM action of an operation, as operations.txt names it.\nfn action_of(operation: OperationId) -> Option<&'static str> {\n");
    let arms: Vec<String> = ops
        .iter()
        .filter_map(|op| {
            let rule = op.access.as_ref().filter(|rule| !rule.by_handler)?;
            Some(format!(
                "        ops::{} => Some(\"{}\"),",
                op.constant(),
                rule.action
            ))
        })
        .collect();
    if arms.is_empty() {
        out.push_str("    let _ = operation;\n    None\n}\n");
        return;
    }
    out.push_str("    match operation {\n");
    for arm in arms {
        let _ = writeln!(out, "{arm}");
    }
    out.push_str("        _ => None,\n    }\n}\n");
}

pub fn render_trait(out: &mut String, spec: &Spec, ops: &[Op]) {
    let name = &spec.rust_name;
    let _ = writeln!(
        out,
        "\n/// The operations of {name} that nimbus serves. An operation a service\n/// does not implement answers NotImplemented, naming it.\npub trait {name}Api: Send + Sync + 'static {{"
    );
    for op in ops {
        let input = match &op.input {
            Some(_) => format!(", input: {}", op.input_type()),
            None => String::new(),
        };
        let unused = if op.input.is_some() { "(ctx, input)" } else { "ctx" };
        let signature = format!(
            "    fn {}(\n        &self,\n        ctx: &RequestContext{input},\n    ) -> impl Future<Output = Result<{}, AwsError>> + Send {{",
            op.method(),
            op.output_type()
        );
        let _ = writeln!(out, "    /// `{}`.", op.name);
        let _ = writeln!(out, "{signature}");
        let _ = writeln!(out, "        let _ = {unused};");
        let _ = writeln!(
            out,
            "        async {{ Err(AwsError::not_implemented(SERVICE, \"{}\")) }}\n    }}\n",
            op.name
        );
    }
    out.push_str(
        "    /// The resource an input names (a `kind` of operations.txt with the\n    /// member's value), for IAM: its ARN, owner and resource policy.\n    fn resource(\n        &self,\n        ctx: &RequestContext,\n        named: ResourceRef<'_>,\n    ) -> impl Future<Output = Result<Resource, AwsError>> + Send {\n        let resource = Resource {\n            arn: named.value.to_owned(),\n            account: ctx.account_id.clone(),\n            policy: None,\n            keys: Default::default(),\n        };\n        async { Ok(resource) }\n    }\n\n    /// Condition keys the service reads from an input itself, on demand\n    /// (DynamoDB's dynamodb:LeadingKeys needs the table's key schema),\n    /// borrowing the input: read only when a policy reads keys.\n    fn input_keys<'a>(
        &'a self,
        ctx: &'a RequestContext,
        input: &'a dyn std::any::Any,
    ) -> nimbus_core::authz::LazyKeys<'a> {\n        let _ = (ctx, input);\n        nimbus_core::authz::LazyKeys::default()\n    }\n\n",
    );
    out.push_str(
        "    /// A refused request, in the service's error shape.\n    fn access_denied(&self, denial: Denial) -> AwsError {\n        AwsError::new(\"AccessDenied\", denial.message(), 403)\n    }\n\n",
    );
    out.push_str("    /// Forgets what the service keeps in memory (reset, snapshot restore).\n    fn reset(&self) {}\n}\n");
}

pub fn render_server(out: &mut String, spec: &Spec, ops: &[Op], families: &[Family]) {
    let name = &spec.rust_name;
    let _ = writeln!(
        out,
        "\n/// A {name} implementation served as the service: wire requests decoded\n/// into typed inputs and outputs encoded, typed calls from other services\n/// checked like a client's.\npub struct {name}Server<S>(pub S);\n"
    );
    if spec.front {
        // The crate's own front hook (see its front module) comes with the server.
        let _ = writeln!(
            out,
            "impl<S: {name}Api> Service for {name}Server<S>\nwhere\n    {name}Server<S>: FrontHook,\n{{"
        );
    } else {
        let _ = writeln!(out, "impl<S: {name}Api> Service for {name}Server<S> {{");
    }
    out.push_str("    fn model_name(&self) -> &'static str {\n        SERVICE\n    }\n\n");
    out.push_str(
        "    fn call<'a>(&'a self, ctx: &'a RequestContext, call: Call<'a>) -> BoxFuture<'a, Reply> {\n        let api = &self.0;\n        let guard = Guard { api, ctx };\n        Box::pin(async move {\n            match call.operation {\n",
    );
    for op in ops {
        let arm = match &op.input {
            Some(_) => format!(
                "                ops::{} => serve(call, &guard, |input| api.{}(ctx, input)).await,",
                op.constant(),
                op.method()
            ),
            None => format!(
                "                ops::{} => serve(call, &guard, |_: NoInput| api.{}(ctx)).await,",
                op.constant(),
                op.method()
            ),
        };
        if arm.len() <= 110 {
            let _ = writeln!(out, "{arm}");
        } else {
            let (head, tail) = arm.split_once(" => ").unwrap_or((&arm, ""));
            let _ = writeln!(
                out,
                "{head} => {{\n                    {tail}\n                }}"
            );
            // rustfmt writes a long arm as a block without the trailing comma.
            if let Some(fixed) = out.strip_suffix(",\n                }\n") {
                *out = format!("{fixed}\n                }}\n");
            }
        }
    }
    out.push_str("                _ => call.not_implemented(SERVICE),\n            }\n        })\n    }\n\n");
    if spec.front {
        out.push_str("    fn front(&self) -> Option<&dyn FrontHook> {\n        Some(self)\n    }\n\n");
    }
    out.push_str("    fn reset(&self) {\n        self.0.reset();\n    }\n}\n");

    out.push_str(
        &"\n/// Decodes a call's input, holds it to IAM, runs the handler, answers\n/// with its result.\nasync fn serve<S: API, I: Input, O: Output, F>(\n    mut call: Call<'_>,\n    guard: &Guard<'_, S>,\n    handler: impl FnOnce(I) -> F,\n) -> Reply\nwhere\n    F: Future<Output = Result<O, AwsError>>,\n{\n    match call.input(SERVICE, decode::<I>) {\n        Ok(input) => {\n            if let Err(error) = guard.check(call.operation, &input).await {\n                return call.fail(error);\n            }\n            let result = handler(input).await;\n            call.reply(result, encode::<O>)\n        }\n        Err(error) => call.fail(error),\n    }\n}\n"
            .replace("API", &format!("{name}Api")),
    );
    out.push_str(
        &"\n/// What a call is held to when IAM is enforced: its operation's action\n/// on the resources its input names, decided by the authorizer.\nstruct Guard<'a, S> {\n    api: &'a S,\n    ctx: &'a RequestContext,\n}\n\nimpl<S: API> Guard<'_, S> {\n    async fn check(&self, operation: OperationId, input: &impl Input) -> Result<(), AwsError> {\n        let (Some(authorizer), Some(action)) = (&self.ctx.enforcement.0, action_of(operation)) else {\n            return Ok(());\n        };\n        let mut resources = Vec::new();\n        for named in input.resources() {\n            resources.push(self.api.resource(self.ctx, named).await?);\n        }\n        if resources.is_empty() {\n            resources.push(Resource::any(&self.ctx.account_id));\n        }\n        let action = input.action_variant().unwrap_or(action);\n        let access = Access {\n            action,\n            resources,\n            keys: input.condition_keys(),\n            input_keys: self.api.input_keys(self.ctx, input),\n        };\n        authorizer\n            .authorize(self.ctx, &access)\n            .await\n            .map_err(|denial| self.api.access_denied(denial))\n    }\n}\n"
            .replace("API", &format!("{name}Api")),
    );
    render_codecs(out, families);
}

/// The decode and encode functions of the protocols the model speaks: only
/// their codecs are compiled for this service's shapes.
fn render_codecs(out: &mut String, families: &[Family]) {
    out.push_str("\n/// A wire request's input, read by the protocols this service speaks.\nfn decode<I: Input>(wire: &Wire<'_>) -> Result<I, AwsError> {\n    match wire.protocol {\n");
    for family in families {
        let _ = writeln!(
            out,
            "        {} => wire.decode_{}(),",
            family.patterns(),
            family.name()
        );
    }
    out.push_str("        _ => Err(wire.unsupported()),\n    }\n}\n");
    out.push_str("\n/// An output for the wire, written by the protocols this service speaks.\nfn encode<O: Output>(wire: &Wire<'_>, output: &O, stream: Option<ByteStream>) -> HttpResponse {\n    match wire.protocol {\n");
    for family in families {
        let stream = if *family == Family::Rest {
            "output, stream"
        } else {
            "output"
        };
        let _ = writeln!(
            out,
            "        {} => wire.encode_{}({stream}),",
            family.patterns(),
            family.name()
        );
    }
    out.push_str("        _ => wire.error(&wire.unsupported()),\n    }\n}\n");
    if !families.contains(&Family::Rest) {
        // Only rest payloads stream; the others have no stream to pass on.
        *out = out.replace(
            "fn encode<O: Output>(wire: &Wire<'_>, output: &O, stream: Option<ByteStream>) -> HttpResponse {\n    match",
            "fn encode<O: Output>(wire: &Wire<'_>, output: &O, _stream: Option<ByteStream>) -> HttpResponse {\n    match",
        );
    }
}

pub fn render_client(out: &mut String, spec: &Spec, ops: &[Op]) {
    let name = &spec.rust_name;
    let _ = writeln!(
        out,
        "\n/// {name} as other services call it: typed inputs, checked against the\n/// model like a client's request, and typed outputs.\n#[derive(Clone)]\npub struct {name}Client(Arc<dyn Service>);\n"
    );
    let _ = writeln!(out, "impl {name}Client {{");
    out.push_str("    pub fn new(service: Arc<dyn Service>) -> Self {\n");
    let _ = writeln!(out, "        {name}Client(service)\n    }}");
    for op in ops {
        let (param, value) = match &op.input {
            Some(_) => (format!(", input: {}", op.input_type()), "input"),
            None => (String::new(), "NoInput {}"),
        };
        let _ = writeln!(out, "\n    /// `{}`.", op.name);
        let signature = format!(
            "    pub async fn {}(&self, ctx: &RequestContext{param}) -> Result<{}, AwsError> {{",
            op.method(),
            op.output_type()
        );
        if signature.len() <= 110 {
            let _ = writeln!(out, "{signature}");
        } else {
            let _ = writeln!(
                out,
                "    pub async fn {}(\n        &self,\n        ctx: &RequestContext{param},\n    ) -> Result<{}, AwsError> {{",
                op.method(),
                op.output_type()
            );
        }
        let call = format!("        let call = Call::typed(ops::{}, {value});", op.constant());
        let _ = writeln!(out, "{call}");
        out.push_str("        self.0.call(ctx, call).await.into_typed()\n    }\n");
    }
    out.push_str("}\n");
}

/// A check for the service's tests: the listed operations an
/// implementation still answers NotImplemented.
pub fn render_unimplemented(out: &mut String, spec: &Spec, ops: &[Op]) {
    let name = &spec.rust_name;
    let _ = writeln!(
        out,
        "\n/// The listed operations `api` answers NotImplemented: each is called once\n/// with a default input, so a test can insist that none is (handlers must\n/// refuse such inputs without side effects a test would mind).\npub async fn unimplemented_operations<S: {name}Api>(api: &S, ctx: &RequestContext) -> Vec<&'static str> {{\n    let mut missing = Vec::new();"
    );
    for op in ops {
        let call = match &op.input {
            Some(_) => format!("api.{}(ctx, Default::default()).await", op.method()),
            None => format!("api.{}(ctx).await", op.method()),
        };
        let _ = writeln!(
            out,
            "    if not_implemented(&{call}) {{\n        missing.push(\"{}\");\n    }}",
            op.name
        );
    }
    out.push_str("    missing\n}\n\nfn not_implemented<T>(result: &Result<T, AwsError>) -> bool {\n    matches!(result, Err(error) if error.code == \"NotImplemented\")\n}\n");
}

/// One constructor per exception shape of the model: its code and HTTP
/// status from the model, so no service spells them by hand.
pub fn render_errors(out: &mut String, shapes: &Map<String, Value>) {
    out.push_str("\n/// The service's errors, as its model declares them.\npub mod errors {\n");
    let mut names: Vec<&String> = shapes
        .iter()
        .filter(|(_, shape)| {
            shape.get("exception").and_then(Value::as_bool).unwrap_or(false) || shape.get("error").is_some()
        })
        .map(|(name, _)| name)
        .collect();
    names.sort();
    // A model without error shapes (EC2's) gets an empty module.
    if !names.is_empty() {
        out.push_str("    use nimbus_core::AwsError;\n");
    }
    let snake: Vec<String> = names.iter().map(|name| snake_case(name)).collect();
    for (name, function) in names.iter().zip(&snake) {
        let shape = &shapes[name.as_str()];
        let error = shape.get("error");
        let fault = shape.get("fault").and_then(Value::as_bool).unwrap_or(false);
        let status = error
            .and_then(|e| e.get("httpStatusCode"))
            .and_then(Value::as_u64)
            .unwrap_or(if fault { 500 } else { 400 });
        // The code the service's clients match on: the query protocols'
        // `error.code` when the model gives one (the codecs of the other
        // protocols find the shape by it), else the shape name.
        let code = error
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .unwrap_or(name.as_str());
        let short = function
            .strip_suffix("_exception")
            .filter(|short| !snake.iter().any(|other| other == short))
            .unwrap_or(function);
        let short = field_name(short);
        let _ = writeln!(
            out,
            "\n    /// `{name}`: `{code}`, HTTP {status}.\n    pub fn {short}(message: impl Into<String>) -> AwsError {{\n        AwsError::new(\"{code}\", message, {status})\n    }}"
        );
    }
    out.push_str("}\n");
}
