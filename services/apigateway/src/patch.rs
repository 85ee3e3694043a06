//! Patch operations as API Gateway's Update* operations take them, on any
//! record by its wire names: each operation lists the paths it accepts
//! (`Rule`), what each holds (a field, an entry of a map named by the rest
//! of the path, a set of values) and which of add, replace and remove it
//! allows; a patch that breaks a rule changes nothing.

use nimbus_apigateway_api::PatchOperation;
use nimbus_core::AwsError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::errors;

/// What a path's value is on the record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Text,
    /// `"true"` is true, anything else false (API Gateway is lenient).
    Flag,
    Integer,
    Number,
}

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Holds {
    Field(Kind),
    /// `<path>/<key>` (`~1` for `/` in the key): an entry of a map.
    Entry(Kind),
    /// A list of texts: add and remove the operation's value (or the
    /// rest of the path), replace the whole list with one.
    Set,
}

/// One path an operation accepts.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub path: &'static str,
    pub holds: Holds,
    pub add: bool,
    pub replace: bool,
    pub remove: bool,
}

/// A field that only `replace` changes (the most common kind).
pub const fn replace(path: &'static str, kind: Kind) -> Rule {
    Rule {
        path,
        holds: Holds::Field(kind),
        add: false,
        replace: true,
        remove: false,
    }
}

/// A field that add and replace set and remove clears.
pub const fn field(path: &'static str, kind: Kind) -> Rule {
    Rule {
        path,
        holds: Holds::Field(kind),
        add: true,
        replace: true,
        remove: true,
    }
}

/// A field (an object) that only `remove` changes: it is cleared.
pub const fn removable(path: &'static str) -> Rule {
    Rule {
        path,
        holds: Holds::Field(Kind::Text),
        add: false,
        replace: false,
        remove: true,
    }
}

/// A map whose entries are added, replaced and removed.
pub const fn entries(path: &'static str, kind: Kind) -> Rule {
    Rule {
        path,
        holds: Holds::Entry(kind),
        add: true,
        replace: true,
        remove: true,
    }
}

/// A set of values added and removed.
pub const fn set(path: &'static str) -> Rule {
    Rule {
        path,
        holds: Holds::Set,
        add: true,
        replace: false,
        remove: true,
    }
}

/// How an operation words a path it does not accept: the resources of
/// API Gateway's older API list the paths ("Must be one of"), the others
/// name the path alone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wording {
    Listed,
    Bare,
}

/// `record` with `operations` applied in order, or the first one's error.
pub fn apply<T: Serialize + DeserializeOwned>(
    record: &T,
    operations: &[PatchOperation],
    rules: &[Rule],
    wording: Wording,
) -> Result<T, AwsError> {
    let mut doc = match serde_json::to_value(record) {
        Ok(Json::Object(map)) => map,
        _ => Map::new(),
    };
    for operation in operations {
        apply_one(&mut doc, operation, rules, wording)?;
    }
    serde_json::from_value(Json::Object(doc))
        .map_err(|error| errors::bad_request(format!("Invalid patch value: {error}")))
}

fn apply_one(
    doc: &mut Map<String, Json>,
    operation: &PatchOperation,
    rules: &[Rule],
    wording: Wording,
) -> Result<(), AwsError> {
    let op = operation.op.as_deref().unwrap_or_default();
    let Some(path) = operation.path.as_deref() else {
        return Err(errors::bad_request("Invalid patch path null"));
    };
    let (rule, rest) = find(rules, path).ok_or_else(|| unknown_path(path, op, rules, wording))?;
    let allowed = match op {
        "add" => rule.add,
        "replace" => rule.replace,
        "remove" => rule.remove,
        _ => false,
    };
    if !allowed {
        return Err(refused_op(path, op, rule, wording));
    }
    let name = rule.path.trim_start_matches('/');
    let value = operation.value.as_deref();
    match rule.holds {
        Holds::Field(kind) => set_field(doc, name, op, value, kind)?,
        Holds::Entry(kind) => {
            let key = unescape(rest.ok_or_else(|| unknown_path(path, op, rules, wording))?);
            let map = doc.entry(name).or_insert_with(|| Json::Object(Map::new()));
            if !map.is_object() {
                *map = Json::Object(Map::new());
            }
            let Some(map) = map.as_object_mut() else {
                return Ok(());
            };
            match op {
                "remove" => {
                    if map.shift_remove(&key).is_none() {
                        return Err(nimbus_apigateway_api::errors::not_found(
                            "Invalid parameter name specified",
                        ));
                    }
                }
                _ => {
                    map.insert(key, typed(value, kind)?);
                }
            }
        }
        Holds::Set => {
            let member = rest.map(unescape).or_else(|| value.map(str::to_owned));
            let member = member.ok_or_else(|| unknown_path(path, op, rules, wording))?;
            let list = doc.entry(name).or_insert_with(|| Json::Array(Vec::new()));
            if !list.is_array() {
                *list = Json::Array(Vec::new());
            }
            let Some(list) = list.as_array_mut() else {
                return Ok(());
            };
            let member = Json::String(member);
            match op {
                "remove" => list.retain(|existing| *existing != member),
                _ if !list.contains(&member) => list.push(member),
                _ => {}
            }
        }
    }
    Ok(())
}

/// The rule of `path`, and what follows the rule's path (an entry's key).
fn find<'r, 'p>(rules: &'r [Rule], path: &'p str) -> Option<(&'r Rule, Option<&'p str>)> {
    rules.iter().find_map(|rule| {
        if path == rule.path {
            return Some((rule, None));
        }
        let rest = path.strip_prefix(rule.path)?.strip_prefix('/')?;
        (!matches!(rule.holds, Holds::Field(_)) && !rest.is_empty()).then_some((rule, Some(rest)))
    })
}

/// Sets (or clears) the field `name`, a path of members (`quota/limit`)
/// made as needed.
fn set_field(
    doc: &mut Map<String, Json>,
    name: &str,
    op: &str,
    value: Option<&str>,
    kind: Kind,
) -> Result<(), AwsError> {
    if let Some((outer, inner)) = name.split_once('/') {
        let member = doc.entry(outer).or_insert_with(|| Json::Object(Map::new()));
        if !member.is_object() {
            *member = Json::Object(Map::new());
        }
        return match member.as_object_mut() {
            Some(member) => set_field(member, inner, op, value, kind),
            None => Ok(()),
        };
    }
    if op == "remove" {
        doc.remove(name);
        return Ok(());
    }
    match (kind, value) {
        // Replacing a text with nothing (or "") clears it.
        (Kind::Text, None | Some("")) => {
            doc.remove(name);
        }
        _ => {
            doc.insert(name.to_owned(), typed(value, kind)?);
        }
    }
    Ok(())
}

/// A patch value as the record holds it.
fn typed(value: Option<&str>, kind: Kind) -> Result<Json, AwsError> {
    let text = value.unwrap_or_default();
    let invalid = || errors::bad_request(format!("Invalid value specified: {text}"));
    Ok(match kind {
        Kind::Text => Json::String(text.to_owned()),
        Kind::Flag => Json::Bool(text.eq_ignore_ascii_case("true")),
        Kind::Integer => Json::from(text.trim().parse::<i64>().map_err(|_| invalid())?),
        Kind::Number => {
            let number = text.trim().parse::<f64>().map_err(|_| invalid())?;
            serde_json::Number::from_f64(number)
                .map(Json::Number)
                .ok_or_else(invalid)?
        }
    })
}

/// A map key as a path spells it (JSON Pointer escapes).
fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

fn unknown_path(path: &str, op: &str, rules: &[Rule], wording: Wording) -> AwsError {
    errors::bad_request(match wording {
        Wording::Bare => format!("Invalid patch path {path}"),
        Wording::Listed => {
            let paths: Vec<&str> = rules
                .iter()
                .filter(|rule| match op {
                    "add" => rule.add,
                    "remove" => rule.remove,
                    _ => rule.replace,
                })
                .map(|rule| rule.path)
                .collect();
            format!(
                "Invalid patch path  '{path}' specified for op '{op}'. Must be one of: [{}]",
                paths.join(", ")
            )
        }
    })
}

fn refused_op(path: &str, op: &str, rule: &Rule, wording: Wording) -> AwsError {
    errors::bad_request(match wording {
        Wording::Listed => {
            format!(
                "Invalid patch path  '{path}' specified for op '{op}'. Please choose supported operations"
            )
        }
        Wording::Bare => {
            let ops: Vec<&str> = [
                ("add", rule.add),
                ("remove", rule.remove),
                ("replace", rule.replace),
            ]
            .into_iter()
            .filter_map(|(name, allowed)| allowed.then_some(name))
            .collect();
            format!(
                "Invalid patch operation specified. Must be one of: [{}]",
                ops.join(", ")
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use nimbus_apigateway_api::Method;

    use super::*;

    const METHOD: &[Rule] = &[
        replace("/authorizationType", Kind::Text),
        replace("/apiKeyRequired", Kind::Flag),
        entries("/requestParameters", Kind::Flag),
        entries("/requestModels", Kind::Text),
        set("/authorizationScopes"),
    ];

    fn op(op: &str, path: &str, value: Option<&str>) -> PatchOperation {
        PatchOperation {
            op: Some(op.to_owned()),
            path: Some(path.to_owned()),
            value: value.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn fields_entries_and_sets_are_changed_by_their_wire_names() {
        let method = Method::default();
        let patched = apply(
            &method,
            &[
                op("replace", "/apiKeyRequired", Some("TRUE")),
                op(
                    "add",
                    "/requestParameters/method.request.querystring.q",
                    Some("true"),
                ),
                op("add", "/requestModels/application~1json", Some("Empty")),
                op("add", "/authorizationScopes", Some("read")),
                op("replace", "/authorizationType", Some("NONE")),
            ],
            METHOD,
            Wording::Bare,
        )
        .unwrap();
        assert_eq!(patched.api_key_required, Some(true));
        let mut models = IndexMap::new();
        models.insert("application/json".to_owned(), "Empty".to_owned());
        assert_eq!(patched.request_models, Some(models));
        assert_eq!(patched.authorization_scopes, Some(vec!["read".to_owned()]));
        let removed = apply(
            &patched,
            &[op("remove", "/requestModels/application~1json", None)],
            METHOD,
            Wording::Bare,
        )
        .unwrap();
        assert_eq!(removed.request_models, Some(IndexMap::new()));
    }

    #[test]
    fn paths_and_ops_not_accepted_are_refused_in_the_operations_wording() {
        let method = Method::default();
        let refused = |operation, wording| apply(&method, &[operation], METHOD, wording).unwrap_err().message;
        assert_eq!(
            refused(op("replace", "/httpMethod", Some("GET")), Wording::Bare),
            "Invalid patch path /httpMethod"
        );
        assert_eq!(
            refused(op("add", "/apiKeyRequired", Some("true")), Wording::Bare),
            "Invalid patch operation specified. Must be one of: [replace]"
        );
        assert_eq!(
            refused(op("remove", "/apiKeyRequired", None), Wording::Listed),
            "Invalid patch path  '/apiKeyRequired' specified for op 'remove'. Please choose supported operations"
        );
        assert!(refused(op("replace", "/nope", None), Wording::Listed).ends_with(
            "Must be one of: [/authorizationType, /apiKeyRequired, /requestParameters, /requestModels]"
        ));
        assert_eq!(
            refused(op("remove", "/requestModels/text~1plain", None), Wording::Bare),
            "Invalid parameter name specified"
        );
    }
}
