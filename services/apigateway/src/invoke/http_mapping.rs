//! HTTP APIs' parameter mapping: an integration's request parameters
//! change the request on its way to the backend (`append|overwrite|remove:
//! header.<name>`, `...:querystring.<name>`, `overwrite:path`), its
//! response parameters, by the backend's status, change the answer
//! (`...:header.<name>`, `overwrite:statuscode`). A value is text with
//! `$request.header.x` (or `${request.header.x}`), `$request.querystring.x`,
//! `$request.body.<json path>`, `$request.path[.x]`, `$response.header.x`,
//! `$response.body.<json path>`, `$context.x` and `$stageVariables.x` in it.

use indexmap::IndexMap;
use nimbus_apigateway_api::ApiResponse;
use serde_json::Value as Json;

use super::http_api::Call;
use super::http_proxy::Outgoing;
use super::proxy_event::query_pairs;

/// Replaces every variable in `value` with what `lookup` gives it
/// (nothing when it gives none).
pub fn evaluate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, taken) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => (braced, braced.len() + 1),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match name.is_empty() {
            true => out.push('$'),
            false => out.push_str(&lookup(name).unwrap_or_default()),
        }
        rest = &after[taken..];
    }
    out.push_str(rest);
    out
}

/// The value at a dotted JSON path (`a.b[0]`) of a JSON text, as text.
pub fn body_value(body: &[u8], path: &str) -> Option<String> {
    let mut value: Json = serde_json::from_slice(body).ok()?;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, i)| (n, i));
        if !name.is_empty() {
            value = value.get_mut(name)?.take();
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().ok()?;
            value = value.get_mut(index)?.take();
        }
    }
    Some(match value {
        Json::String(text) => text,
        other => other.to_string(),
    })
}

/// A mapping key: what it does, and where (`header`, `querystring`,
/// `path`, `statuscode`) to what name.
fn parse_key(key: &str) -> Option<(&str, &str, &str)> {
    let (action, target) = key.split_once(':')?;
    let (place, name) = target.split_once('.').unwrap_or((target, ""));
    Some((action, place, name))
}

/// Applies one change to a list of name/value pairs (`fold` names compare
/// without case, as header names do).
fn change(pairs: &mut Vec<(String, String)>, action: &str, name: &str, value: String, fold: bool) {
    let same = |n: &str| match fold {
        true => n.eq_ignore_ascii_case(name),
        false => n == name,
    };
    match action {
        "remove" => pairs.retain(|(n, _)| !same(n)),
        "overwrite" => {
            pairs.retain(|(n, _)| !same(n));
            pairs.push((name.to_owned(), value));
        }
        "append" => match pairs.iter_mut().find(|(n, _)| same(n)) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => pairs.push((name.to_owned(), value)),
        },
        _ => {}
    }
}

/// What the request parameters make of a request to the backend.
pub struct Mapped {
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    /// The path `overwrite:path` sets, if it does.
    pub path: Option<String>,
}

pub fn map_request(
    parameters: &IndexMap<String, String>,
    mut mapped: Mapped,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Mapped {
    for (key, value) in parameters {
        let Some((action, place, name)) = parse_key(key) else {
            continue;
        };
        let value = evaluate(value, lookup);
        match place {
            "header" => change(&mut mapped.headers, action, name, value, true),
            "querystring" => change(&mut mapped.query, action, name, value, false),
            "path" if action == "overwrite" => mapped.path = Some(value),
            _ => {}
        }
    }
    mapped
}

/// The answer after the response parameters of its status.
pub fn map_response(
    parameters: &IndexMap<String, IndexMap<String, String>>,
    mut answer: ApiResponse,
    lookup: &dyn Fn(&str, &ApiResponse) -> Option<String>,
) -> ApiResponse {
    let Some(changes) = parameters.get(&answer.status.to_string()) else {
        return answer;
    };
    let original = answer.clone();
    for (key, value) in changes {
        let Some((action, place, name)) = parse_key(key) else {
            continue;
        };
        let value = evaluate(value, &|name| lookup(name, &original));
        match place {
            "header" => change(&mut answer.headers, action, name, value, true),
            "statuscode" if action == "overwrite" => {
                if let Ok(status) = value.trim().parse::<u16>()
                    && (100..600).contains(&status)
                {
                    answer.status = status;
                }
            }
            _ => {}
        }
    }
    answer
}

/// Whether a mapping key is one API Gateway takes (request parameters,
/// or `response` ones).
pub fn valid_key(key: &str, response: bool) -> bool {
    let Some((action, place, name)) = parse_key(key) else {
        return false;
    };
    let action_ok = matches!(action, "append" | "overwrite" | "remove");
    match (place, response) {
        ("header", _) => action_ok && !name.is_empty(),
        ("querystring", false) => action_ok && !name.is_empty(),
        ("path", false) => action == "overwrite" && name.is_empty(),
        ("statuscode", true) => action == "overwrite" && name.is_empty(),
        _ => false,
    }
}

/// Every value of `name` in `pairs`, comma-joined (`fold`: without case).
fn joined(pairs: &[(String, String)], name: &str, fold: bool) -> Option<String> {
    let values: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| {
            if fold {
                n.eq_ignore_ascii_case(name)
            } else {
                n == name
            }
        })
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// `url` with its path (after the authority) replaced by `path`.
fn with_path(url: &str, path: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    format!("{}/{}", &url[..end], path.trim_start_matches('/'))
}

/// What a query name or value keeps as it is: RFC 3986's unreserved.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

impl Call<'_> {
    /// The request to an HTTP_PROXY backend at `uri`, its path variables
    /// filled in, changed by the integration's request parameters.
    pub(super) fn outgoing(&self, uri: String, parameters: Option<&IndexMap<String, String>>) -> Outgoing {
        let mut url = uri;
        for (name, value) in &self.parameters {
            url = url
                .replace(&format!("{{{name}+}}"), value)
                .replace(&format!("{{{name}}}"), value);
        }
        let request = self.request;
        let mut headers = request.headers.clone();
        let mut query = match parameters {
            // Untouched, the query goes as the client encoded it.
            None => request.query.clone(),
            Some(parameters) => {
                let mapped = Mapped {
                    headers,
                    query: query_pairs(&request.query),
                    path: None,
                };
                let mapped = map_request(parameters, mapped, &|name| self.request_value(name));
                if let Some(path) = mapped.path {
                    url = with_path(&url, &path);
                }
                headers = mapped.headers;
                let pairs = mapped
                    .query
                    .iter()
                    .map(|(n, v)| format!("{}={}", encoded(n), encoded(v)));
                pairs.collect::<Vec<_>>().join("&")
            }
        };
        if !query.is_empty() {
            query.insert(0, if url.contains('?') { '&' } else { '?' });
            url.push_str(&query);
        }
        Outgoing {
            method: request.method.clone(),
            url,
            headers,
            body: request.body.clone(),
        }
    }

    /// A request parameter mapping's variable.
    fn request_value(&self, name: &str) -> Option<String> {
        let request = self.request;
        if let Some(header) = name.strip_prefix("request.header.") {
            return joined(&request.headers, header, true);
        }
        if let Some(parameter) = name.strip_prefix("request.querystring.") {
            return joined(&query_pairs(&request.query), parameter, false);
        }
        match name {
            "request.body" => return Some(String::from_utf8_lossy(&request.body).into_owned()),
            "request.path" => return Some(self.path.clone()),
            _ => {}
        }
        if let Some(path) = name.strip_prefix("request.body.") {
            return body_value(&request.body, path);
        }
        if let Some(parameter) = name.strip_prefix("request.path.") {
            return self.parameters.get(parameter).cloned();
        }
        self.shared_value(name)
    }

    /// A response parameter mapping's variable, of the backend's `answer`.
    pub(super) fn response_value(&self, name: &str, answer: &ApiResponse) -> Option<String> {
        if let Some(header) = name.strip_prefix("response.header.") {
            return joined(&answer.headers, header, true);
        }
        if name == "response.body" {
            return Some(String::from_utf8_lossy(&answer.body).into_owned());
        }
        if let Some(path) = name.strip_prefix("response.body.") {
            return body_value(&answer.body, path);
        }
        self.shared_value(name)
    }

    /// `context.*` (the event's requestContext) and `stageVariables.*`.
    fn shared_value(&self, name: &str) -> Option<String> {
        if let Some(variable) = name.strip_prefix("stageVariables.") {
            return self.stage.stage_variables.as_ref()?.get(variable).cloned();
        }
        let path = name.strip_prefix("context.")?;
        let mut value = self.event().get_mut("requestContext")?.take();
        for part in path.split('.') {
            value = value.get_mut(part)?.take();
        }
        Some(match value {
            Json::String(text) => text,
            Json::Null => return None,
            other => other.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "request.header.x-user" => Some("ann".into()),
            "context.requestId" => Some("r-1".into()),
            _ => None,
        }
    }

    #[test]
    fn values_mix_text_and_variables() {
        assert_eq!(evaluate("$request.header.x-user", &lookup), "ann");
        assert_eq!(evaluate("user=${request.header.x-user}!", &lookup), "user=ann!");
        assert_eq!(
            evaluate("$request.header.x-user $context.requestId", &lookup),
            "ann r-1"
        );
        assert_eq!(evaluate("static", &lookup), "static");
        assert_eq!(evaluate("$missing.thing", &lookup), "");
        assert_eq!(evaluate("costs $", &lookup), "costs $");
    }

    #[test]
    fn bodies_are_read_by_path() {
        let body = br#"{"user": {"id": 7, "tags": ["a", "b"]}, "name": "rex"}"#;
        assert_eq!(body_value(body, "name").as_deref(), Some("rex"));
        assert_eq!(body_value(body, "user.id").as_deref(), Some("7"));
        assert_eq!(body_value(body, "user.tags[1]").as_deref(), Some("b"));
        assert_eq!(body_value(body, "nope"), None);
    }

    #[test]
    fn requests_and_answers_change_as_their_keys_say() {
        let parameters: IndexMap<String, String> = [
            ("append:header.x-user", "$request.header.x-user"),
            ("remove:header.authorization", "''"),
            ("overwrite:querystring.page", "2"),
            ("overwrite:path", "/v2/items"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mapped = map_request(
            &parameters,
            Mapped {
                headers: vec![
                    ("X-User".into(), "bob".into()),
                    ("Authorization".into(), "t".into()),
                ],
                query: vec![("page".into(), "1".into())],
                path: None,
            },
            &lookup,
        );
        assert_eq!(mapped.headers, vec![("X-User".to_owned(), "bob,ann".to_owned())]);
        assert_eq!(mapped.query, vec![("page".to_owned(), "2".to_owned())]);
        assert_eq!(mapped.path.as_deref(), Some("/v2/items"));

        let responses: IndexMap<String, IndexMap<String, String>> = [(
            "404".to_owned(),
            [
                ("overwrite:statuscode", "410"),
                ("overwrite:header.x-gone", "$response.header.x-id"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        )]
        .into_iter()
        .collect();
        let answer = ApiResponse {
            status: 404,
            headers: vec![("X-Id".into(), "9".into())],
            body: Default::default(),
        };
        let header = |name: &str, answer: &ApiResponse| {
            let wanted = name.strip_prefix("response.header.")?;
            answer
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.clone())
        };
        let changed = map_response(&responses, answer, &header);
        assert_eq!(changed.status, 410);
        assert!(changed.headers.contains(&("x-gone".to_owned(), "9".to_owned())));
        assert!(valid_key("overwrite:statuscode", true) && !valid_key("overwrite:statuscode", false));
        assert!(valid_key("append:querystring.q", false) && !valid_key("rename:header.x", false));
    }
}
