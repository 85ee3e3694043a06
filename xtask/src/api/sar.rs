//! operations.txt against the AWS Service Authorization Reference: every
//! action an operation asks (and every action a member turns it into) is
//! one the reference defines for its service, on a resource type the
//! reference names for it, and every service condition key it gives a
//! value to is one the reference lists for that action. The reference's
//! tables are checked in under xtask/data/service-authorization/.

use std::collections::BTreeMap;
use std::fs;

use super::{AccessRule, Spec, workspace_root};

/// One action of the reference: its resource types and condition keys
/// (`None` where the data does not say).
struct Defined {
    resources: Option<Vec<String>>,
    keys: Vec<String>,
}

/// The reference's actions of a service prefix (`s3`), by name.
fn reference(prefix: &str) -> BTreeMap<String, Defined> {
    let path = workspace_root().join(format!("xtask/data/service-authorization/{prefix}.txt"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut actions = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut words = line.split_whitespace();
        let (Some(action), resources) = (words.next(), words.next()) else {
            continue;
        };
        let resources = match resources {
            Some("?") | None => None,
            Some("-") => Some(Vec::new()),
            Some(list) => Some(list.split(',').map(str::to_owned).collect()),
        };
        let keys = words
            .next()
            .map(|keys| keys.split(',').map(str::to_lowercase).collect())
            .unwrap_or_default();
        actions.insert(action.to_owned(), Defined { resources, keys });
    }
    actions
}

/// The reference's resource type a kind of operations.txt stands for
/// (`None`: any ARN, checked by no type).
fn resource_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "bucket" | "new-bucket" => "bucket",
        "object" => "object",
        "queue" | "queue-name" | "queue-arn" => "queue",
        "topic" | "topic-name" => "topic",
        "table" => "table",
        "user" => "user",
        "group" => "group",
        "role" => "role",
        "instance-profile" => "instance-profile",
        "policy" | "policy-name" => "policy",
        "mfa" => "mfa",
        "function" => "function",
        "mapping" => "eventSourceMapping",
        "layer" => "layer",
        "code-signing-config" => "codeSigningConfig",
        "layer-version" | "layer-version-arn" => "layerVersion",
        "log-group" => "log-group",
        "log-stream" => "log-stream",
        "restapi" => "RestApi",
        _ => return None,
    })
}

/// Whether the reference lists `key` for the action: exactly, or as a
/// template (`s3:ExistingObjectTag/<key>`, `aws:RequestTag/${TagKey}`).
fn lists_key(defined: &Defined, key: &str) -> bool {
    let key = key.to_lowercase();
    defined.keys.iter().any(|listed| match listed.find(['<', '$']) {
        Some(template) => key.starts_with(&listed[..template]),
        None => *listed == key,
    })
}

/// What is wrong with one operation's rule.
fn problems(operation: &str, rule: &AccessRule) -> Vec<String> {
    let mut found = Vec::new();
    let mut actions = vec![rule.action.as_str()];
    actions.extend(rule.variant.as_ref().map(|(_, action)| action.as_str()));
    let mut defined = Vec::new();
    for action in actions {
        let (prefix, name) = action.split_once(':').unwrap_or(("", action));
        match reference(prefix).remove(name) {
            Some(entry) => defined.push(entry),
            None => found.push(format!("{operation}: {action} is not in the reference")),
        }
    }
    for (kind, member, _) in &rule.resources {
        let (Some(wanted), Some(first)) = (resource_type(kind), defined.first()) else {
            continue;
        };
        if first
            .resources
            .as_ref()
            .is_some_and(|types| !types.iter().any(|t| t == wanted))
        {
            found.push(format!(
                "{operation}: {} names no {wanted} ({kind}:{member})",
                rule.action
            ));
        }
    }
    for (key, _) in &rule.keys {
        let global = key.starts_with("aws:");
        if !global && !defined.iter().any(|d| lists_key(d, key)) {
            found.push(format!(
                "{operation}: the reference lists no {key} for {}",
                rule.action
            ));
        }
    }
    found
}

#[test]
fn operation_tables_match_the_service_authorization_reference() {
    let apis = workspace_root().join("apis");
    let mut found = Vec::new();
    let mut checked = 0;
    for entry in fs::read_dir(&apis).expect("apis/") {
        let dir = entry.expect("an entry").path();
        let Ok(text) = fs::read_to_string(dir.join("operations.txt")) else {
            continue;
        };
        let service = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let spec = Spec::parse(&service, &text).expect("operations.txt parses");
        for (operation, rule) in &spec.access {
            checked += 1;
            found.extend(problems(operation, rule));
        }
    }
    assert!(checked > 200, "only {checked} access rules found");
    assert!(
        found.is_empty(),
        "operations.txt disagrees with the reference:\n{}",
        found.join("\n")
    );
}

/// The check finds what is wrong: an unknown action, a resource type the
/// action does not name, a service key the action does not list.
#[test]
fn the_check_can_fail() {
    let rule = |action: &str, resources: &[(&str, &str)], keys: &[&str]| AccessRule {
        action: action.to_owned(),
        resources: resources
            .iter()
            .map(|(k, m)| ((*k).to_owned(), (*m).to_owned(), None))
            .collect(),
        keys: keys
            .iter()
            .map(|k| ((*k).to_owned(), "Member".to_owned()))
            .collect(),
        variant: None,
        by_handler: false,
    };
    assert_eq!(
        problems(
            "Op",
            &rule("s3:GetObject", &[("object", "Key")], &["s3:ExistingObjectTag/x"])
        )
        .len(),
        0
    );
    assert_eq!(problems("Op", &rule("s3:GetObjekt", &[], &[])).len(), 1);
    assert_eq!(
        problems("Op", &rule("s3:GetObject", &[("queue", "QueueUrl")], &[])).len(),
        1
    );
    assert_eq!(
        problems("Op", &rule("s3:GetObject", &[], &["s3:prefix"])).len(),
        1
    );
    assert_eq!(
        problems("Op", &rule("sqs:SendMessage", &[], &["aws:SourceIp"])).len(),
        0
    );
}
