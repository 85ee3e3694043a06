//! The table-driven corpus of tests/cases/*.json (format in its README):
//! single-policy verdicts and full decisions, drawn from the IAM
//! documentation's examples.

use std::path::Path;

use nimbus_policy::{
    Context, Decision, Policies, Policy, PolicyKind, Principal, PrincipalType, Request, Verdict, authorize,
};
use serde_json::Value as Json;

fn cases() -> Vec<(String, Json)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("case file");
        let list: Vec<Json> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        all.extend(list.into_iter().map(|case| (name.clone(), case)));
    }
    all
}

fn context(json: Option<&Json>) -> Context {
    let mut context = Context::new();
    if let Some(Json::Object(keys)) = json {
        for (key, value) in keys {
            match value {
                Json::Array(list) => {
                    context.set_many(key, list.iter().map(text).collect());
                }
                value => {
                    context.set(key, text(value));
                }
            }
        }
    }
    context
}

fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A caller from its ARN (and the role of a session).
fn principal(arn: &str, role: Option<&str>) -> Principal {
    if arn == "anonymous" || arn.is_empty() {
        return Principal::anonymous();
    }
    if arn.ends_with(".amazonaws.com") {
        return Principal {
            arn: arn.to_owned(),
            account: String::new(),
            kind: PrincipalType::Service,
        };
    }
    let account = arn.split(':').nth(4).unwrap_or_default().to_owned();
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let kind = if resource == "root" {
        PrincipalType::Root
    } else if resource.starts_with("assumed-role/") {
        let role_name = resource.split('/').nth(1).unwrap_or_default();
        PrincipalType::RoleSession {
            role: role
                .map(str::to_owned)
                .unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{role_name}")),
        }
    } else if resource.starts_with("federated-user/") {
        let user = resource.trim_start_matches("federated-user/");
        PrincipalType::FederatedUser {
            user: format!("arn:aws:iam::{account}:user/{user}"),
        }
    } else {
        PrincipalType::User
    };
    Principal {
        arn: arn.to_owned(),
        account,
        kind,
    }
}

/// Parses a case's policy leniently about its kind: resource-style when it
/// names principals, identity-style otherwise.
fn policy(json: &Json) -> Policy {
    let text = json.to_string();
    let kind = if text.contains("\"Principal\"") || text.contains("\"NotPrincipal\"") {
        PolicyKind::Resource
    } else {
        PolicyKind::Identity
    };
    Policy::parse(&text, kind)
        .or_else(|_| Policy::parse(&text, PolicyKind::Resource))
        .unwrap_or_else(|e| panic!("policy does not parse ({e}): {text}"))
}

fn policies(json: Option<&Json>) -> Vec<Policy> {
    match json {
        Some(Json::Array(list)) => list.iter().map(policy).collect(),
        Some(Json::Object(_)) => vec![policy(json.unwrap_or(&Json::Null))],
        _ => Vec::new(),
    }
}

fn refs(list: &[Policy]) -> Vec<&Policy> {
    list.iter().collect()
}

fn single(case: &Json) -> String {
    let request = &case["request"];
    let caller = principal(
        request["principal"].as_str().unwrap_or("anonymous"),
        request["principal_role"].as_str(),
    );
    let context = context(request.get("context"));
    let request = Request {
        principal: &caller,
        action: request["action"].as_str().unwrap_or_default(),
        resource: request["resource"].as_str().unwrap_or("*"),
        context: &context,
    };
    match policy(&case["policy"]).evaluate(&request) {
        Verdict::Allow(_) => "Allow",
        Verdict::Deny => "Deny",
        Verdict::NotApplicable => "NotApplicable",
    }
    .to_owned()
}

fn full(case: &Json) -> String {
    let caller = principal(
        case["principal"]["arn"].as_str().unwrap_or("anonymous"),
        case["principal"]["role"].as_str(),
    );
    let request = &case["request"];
    let context = context(request.get("context"));
    let request_view = Request {
        principal: &caller,
        action: request["action"].as_str().unwrap_or_default(),
        resource: request["resource"].as_str().unwrap_or("*"),
        context: &context,
    };
    let identity = policies(case.get("identity"));
    let resource = policies(case.get("resource_policy"));
    let boundary = policies(case.get("boundary"));
    let session = policies(case.get("session"));
    let scps = policies(case.get("scp"));
    let (identity, session, scps) = (refs(&identity), refs(&session), refs(&scps));
    let decision = authorize(
        &request_view,
        &Policies {
            identity: &identity,
            resource: resource.first(),
            resource_account: request["resource_account"].as_str(),
            resource_must_allow: false,
            boundary: boundary.first(),
            session: &session,
            scps: &scps,
        },
    );
    match decision {
        Decision::Allow => "Allow",
        Decision::ExplicitDeny(_) => "ExplicitDeny",
        Decision::ImplicitDeny(_) => "ImplicitDeny",
    }
    .to_owned()
}

#[test]
fn corpus() {
    let cases = cases();
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let expected = case["expect"].as_str().unwrap_or("?");
        let got = if case.get("policy").is_some() {
            single(case)
        } else {
            full(case)
        };
        if got != expected {
            failures.push(format!("{file}: {name}: expected {expected}, got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The corpus is the engine's specification: it must stay large.
    assert!(cases.len() >= 300, "only {} cases", cases.len());
}
