//! Mapping templates: Velocity templates (nimbus-vtl) rendered with the
//! variables API Gateway gives them: `$input` (the body, `json()` and
//! `path()` by JSONPath, `params()`), `$context`, `$stageVariables` and
//! `$util`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use nimbus_vtl::{Host, Template, Value};
use serde_json::Value as Json;

use super::Invocation;
use super::proxy_event::query_pairs;

/// The value at a JSONPath (`$`, `$.a.b`, `$['a']`, `$.list[0]`) of `doc`.
pub fn json_path(doc: &Json, path: &str) -> Option<Json> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut at = doc;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            at = at.get(&after[..end])?;
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = after[..end].trim();
            at = match inside.parse::<usize>() {
                Ok(index) => at.get(index)?,
                Err(_) => at.get(inside.trim_matches(['\'', '"']))?,
            };
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(at.clone())
}

/// `$input`: a body and the request's parameters.
struct Input {
    body: String,
    parameters: Value,
}

impl Input {
    fn document(&self) -> Json {
        serde_json::from_str(&self.body).unwrap_or(Json::Null)
    }
}

impl Host for Input {
    fn property(&self, name: &str) -> Option<Value> {
        (name == "body").then(|| Value::String(self.body.clone()))
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        let path = args.first().map(Value::render).unwrap_or_else(|| "$".to_owned());
        match name {
            "json" => Some(Value::String(
                json_path(&self.document(), &path).map_or_else(|| "null".to_owned(), |v| v.to_string()),
            )),
            "path" => Some(json_path(&self.document(), &path).map_or(Value::Null, |v| Value::from_json(&v))),
            "params" if args.is_empty() => Some(self.parameters.clone()),
            "params" => {
                let name = args[0].render();
                ["path", "querystring", "header"]
                    .iter()
                    .find_map(|place| self.parameters.get(place)?.get(&name))
                    .or(Some(Value::String(String::new())))
            }
            "getBody" => Some(Value::String(self.body.clone())),
            _ => None,
        }
    }
}

/// `$util`.
struct Util;

impl Host for Util {
    fn property(&self, _: &str) -> Option<Value> {
        None
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        let text = args.first().map(Value::render).unwrap_or_default();
        let out = match name {
            "escapeJavaScript" => {
                let quoted = Json::String(text).to_string();
                quoted[1..quoted.len() - 1].replace('\'', "\\'")
            }
            "urlEncode" => {
                percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).to_string()
            }
            "urlDecode" => percent_encoding::percent_decode_str(&text)
                .decode_utf8_lossy()
                .into_owned(),
            "base64Encode" => BASE64.encode(text.as_bytes()),
            "base64Decode" => String::from_utf8_lossy(&BASE64.decode(text.as_bytes()).ok()?).into_owned(),
            "parseJson" => {
                return serde_json::from_str::<Json>(&text)
                    .ok()
                    .map(|json| Value::from_json(&json));
            }
            _ => return None,
        };
        Some(Value::String(out))
    }
}

fn string_map(map: &IndexMap<String, String>) -> Value {
    Value::Map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The request's parameters as `$input.params()` shows them.
fn parameters(invocation: &Invocation<'_>) -> Value {
    let query: IndexMap<String, String> = query_pairs(&invocation.request.query).into_iter().collect();
    let headers: IndexMap<String, String> = invocation.request.headers.iter().cloned().collect();
    Value::Map(vec![
        ("path".into(), string_map(&invocation.route.path_parameters)),
        ("querystring".into(), string_map(&query)),
        ("header".into(), string_map(&headers)),
    ])
}

/// Renders `template` for `invocation`, `$input` being `body`.
pub fn render(template: &str, invocation: &Invocation<'_>, body: &str) -> String {
    // Most templates of plain JSON reference nothing: they are the output.
    if !template.contains(['$', '#']) {
        return template.to_owned();
    }
    let Ok(parsed) = Template::parse(template) else {
        // A template that does not parse is sent as it is written.
        return template.to_owned();
    };
    let mut variables = HashMap::new();
    variables.insert(
        "input".to_owned(),
        Value::Host(Arc::new(Input {
            body: body.to_owned(),
            parameters: parameters(invocation),
        })),
    );
    variables.insert(
        "context".to_owned(),
        Value::from_json(&invocation.request_context()),
    );
    variables.insert(
        "stageVariables".to_owned(),
        string_map(&invocation.stage_variables),
    );
    variables.insert("util".to_owned(), Value::Host(Arc::new(Util)));
    nimbus_vtl::render(&parsed, variables)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_paths_reach_members_and_elements() {
        let doc = json!({"order": {"items": [{"sku": "a"}, {"sku": "b"}]}, "odd key": 1});
        assert_eq!(json_path(&doc, "$"), Some(doc.clone()));
        assert_eq!(json_path(&doc, "$.order.items[1].sku"), Some(json!("b")));
        assert_eq!(json_path(&doc, "$['odd key']"), Some(json!(1)));
        assert_eq!(json_path(&doc, "$.missing"), None);
    }

    #[test]
    fn util_escapes_encodes_and_parses() {
        let call = |name: &str, arg: &str| {
            Util.call(name, &[Value::String(arg.to_owned())])
                .map(|v| v.render())
        };
        assert_eq!(
            call("escapeJavaScript", "a \"b\"\n'c'").as_deref(),
            Some("a \\\"b\\\"\\n\\'c\\'")
        );
        assert_eq!(call("urlEncode", "a b&c").as_deref(), Some("a%20b%26c"));
        assert_eq!(call("base64Encode", "hi").as_deref(), Some("aGk="));
        assert_eq!(
            Util.call("parseJson", &[Value::String("{\"a\": 2}".into())])
                .and_then(|v| v.get("a")),
            Some(Value::Int(2))
        );
    }
}
