//! Bucket policies as S3's public-access features read them: whether a
//! policy is "public" (what BlockPublicPolicy refuses and
//! RestrictPublicBuckets ignores), and whether it lets an anonymous caller
//! perform one action on one resource (what the website endpoint checks).
//!
//! Not a general IAM evaluator: principals other than the anonymous one,
//! and condition values, are never evaluated.
//!
//! "Public", as the S3 user guide ("The meaning of public") defines it: an
//! Allow statement whose principal is a wildcard is public unless a
//! condition pins one of a few keys (aws:SourceIp to a CIDR, aws:SourceArn,
//! aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
//! s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid, aws:PrincipalOrgID,
//! aws:PrincipalAccount, aws:PrincipalArn, s3:DataAccessPointArn,
//! s3:DataAccessPointAccount) to fixed values, without wildcards.
//!
//! Anonymous access, conservatively: an Allow carrying any Condition does
//! not grant (its values are not evaluated), while a Deny carrying any
//! Condition is taken to apply. An explicit Deny always wins.

use serde_json::Value as Json;

/// What a policy says about one anonymous request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A statement explicitly denies it.
    Denied,
    /// A statement allows it and none denies it.
    Allowed,
    /// No statement speaks about it.
    NotGranted,
}

/// Condition keys whose fixed values make a wildcard principal non-public.
const NARROWING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

/// Whether the policy document (JSON text) is public. Text that is not a
/// policy is not public (PutBucketPolicy refuses it for other reasons).
pub fn is_public(policy: &str) -> bool {
    statements(policy).iter().any(|statement| {
        effect_is(statement, "Allow")
            && statement.get("Principal").is_some_and(names_everyone)
            && !statement.get("Condition").is_some_and(narrows_to_fixed_values)
    })
}

/// What the policy says about an anonymous caller performing `action`
/// (e.g. `s3:GetObject`) on `resource` (e.g. `arn:aws:s3:::bucket/key`).
pub fn anonymous_decision(policy: &str, action: &str, resource: &str) -> Decision {
    let mut decision = Decision::NotGranted;
    for statement in statements(policy) {
        if !covers(&statement, action, resource) {
            continue;
        }
        if effect_is(&statement, "Deny") && applies_to_anonymous(&statement) {
            return Decision::Denied;
        }
        if effect_is(&statement, "Allow")
            && statement.get("Principal").is_some_and(names_everyone)
            && statement.get("Condition").is_none()
        {
            decision = Decision::Allowed;
        }
    }
    decision
}

/// The statements of a policy document (a single object or an array).
fn statements(policy: &str) -> Vec<Json> {
    match serde_json::from_str::<Json>(policy) {
        Ok(Json::Object(mut document)) => match document.remove("Statement") {
            Some(Json::Array(list)) => list,
            Some(single @ Json::Object(_)) => vec![single],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn effect_is(statement: &Json, effect: &str) -> bool {
    statement.get("Effect").and_then(Json::as_str) == Some(effect)
}

/// The strings of a policy element that is a string or an array of them.
fn strings(element: &Json) -> Vec<&str> {
    match element {
        Json::String(one) => vec![one.as_str()],
        Json::Array(many) => many.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `"*"`, or an object whose `AWS` (or `CanonicalUser`) names `"*"`.
fn names_everyone(principal: &Json) -> bool {
    match principal {
        Json::String(one) => one == "*",
        Json::Object(kinds) => ["AWS", "CanonicalUser"]
            .iter()
            .filter_map(|kind| kinds.get(*kind))
            .any(|names| strings(names).contains(&"*")),
        _ => false,
    }
}

/// Whether a Deny reaches an anonymous caller: a wildcard Principal, or a
/// NotPrincipal that does not exclude everyone.
fn applies_to_anonymous(statement: &Json) -> bool {
    match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(principal), _) => names_everyone(principal),
        (None, Some(excluded)) => !names_everyone(excluded),
        (None, None) => false,
    }
}

/// Whether the statement's Action/NotAction and Resource/NotResource cover
/// this action on this resource. Action names are case-insensitive.
fn covers(statement: &Json, action: &str, resource: &str) -> bool {
    let action = action.to_ascii_lowercase();
    let action_matches = |patterns: &Json| {
        strings(patterns)
            .iter()
            .any(|pattern| wildcard_match(&pattern.to_ascii_lowercase(), &action))
    };
    let resource_matches = |patterns: &Json| {
        strings(patterns)
            .iter()
            .any(|pattern| wildcard_match(pattern, resource))
    };
    let action_covered = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => action_matches(actions),
        (None, Some(excluded)) => !action_matches(excluded),
        (None, None) => false,
    };
    let resource_covered = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(resources), _) => resource_matches(resources),
        (None, Some(excluded)) => !resource_matches(excluded),
        (None, None) => false,
    };
    action_covered && resource_covered
}

/// Whether some condition pins a narrowing key to fixed values. Negated
/// operators (`StringNotEquals`, `NotIpAddress`, ...) and `...IfExists`
/// ones do not pin anything: a request without the key passes them.
fn narrows_to_fixed_values(condition: &Json) -> bool {
    let Json::Object(operators) = condition else {
        return false;
    };
    operators.iter().any(|(operator, keys)| {
        let operator = operator.to_ascii_lowercase();
        let pins = !operator.contains("not") && !operator.ends_with("ifexists") && operator != "null";
        let Json::Object(keys) = keys else {
            return false;
        };
        pins && keys.iter().any(|(key, values)| {
            let values = strings(values);
            NARROWING_KEYS.contains(&key.to_ascii_lowercase().as_str())
                && !values.is_empty()
                && values.iter().all(|value| is_fixed(value))
        })
    })
}

/// A value without wildcards; a CIDR must not be a /0 (the whole internet).
fn is_fixed(value: &str) -> bool {
    !value.is_empty() && !value.contains(['*', '?']) && !value.ends_with("/0")
}

/// IAM's wildcard match: `*` is any run of characters, `?` any one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it now stands for.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = "arn:aws:s3:::site/docs/a.html";

    fn policy(statements: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
    }

    fn allow(principal: &str, action: &str, resource: &str) -> String {
        format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":{action},"Resource":{resource}}}"#)
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(wildcard_match(
            "arn:aws:s3:::site/*",
            "arn:aws:s3:::site/a/b.html"
        ));
        assert!(wildcard_match("arn:aws:s3:::site/*", "arn:aws:s3:::site/"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("s3:get*", "s3:getobject"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(!wildcard_match("arn:aws:s3:::site/*", "arn:aws:s3:::other/a"));
        assert!(!wildcard_match("Key", "key"));
    }

    #[test]
    fn wildcard_principals_make_allows_public() {
        for principal in [
            r#""*""#,
            r#"{"AWS":"*"}"#,
            r#"{"AWS":["arn:aws:iam::1:root","*"]}"#,
        ] {
            let text = policy(&allow(principal, r#""s3:GetObject""#, r#""arn:aws:s3:::site/*""#));
            assert!(is_public(&text), "{principal}");
            assert_eq!(
                anonymous_decision(&text, "s3:GetObject", OBJECT),
                Decision::Allowed
            );
        }
        let named = policy(&allow(
            r#"{"AWS":"arn:aws:iam::123456789012:root"}"#,
            r#""s3:GetObject""#,
            r#""*""#,
        ));
        assert!(!is_public(&named));
        assert_eq!(
            anonymous_decision(&named, "s3:GetObject", OBJECT),
            Decision::NotGranted
        );
    }

    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        for action in [
            r#""s3:GetObject""#,
            r#""S3:getobject""#,
            r#""s3:Get*""#,
            r#""s3:*""#,
            r#""*""#,
            r#"["s3:PutObject","s3:GetOb?ect"]"#,
        ] {
            let text = policy(&allow(r#""*""#, action, r#""arn:aws:s3:::site/*""#));
            assert_eq!(
                anonymous_decision(&text, "s3:GetObject", OBJECT),
                Decision::Allowed,
                "{action}"
            );
        }
        let put_only = policy(&allow(r#""*""#, r#""s3:PutObject""#, r#""*""#));
        assert_eq!(
            anonymous_decision(&put_only, "s3:GetObject", OBJECT),
            Decision::NotGranted
        );
        let not_action =
            policy(r#"{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"*"}"#);
        assert_eq!(
            anonymous_decision(&not_action, "s3:GetObject", OBJECT),
            Decision::Allowed
        );
        assert_eq!(
            anonymous_decision(&not_action, "s3:DeleteObject", OBJECT),
            Decision::NotGranted
        );
    }

    #[test]
    fn resources_match_keys_and_not_resource_excludes() {
        let docs = policy(&allow(
            r#""*""#,
            r#""s3:GetObject""#,
            r#""arn:aws:s3:::site/docs/*""#,
        ));
        assert_eq!(
            anonymous_decision(&docs, "s3:GetObject", OBJECT),
            Decision::Allowed
        );
        assert_eq!(
            anonymous_decision(&docs, "s3:GetObject", "arn:aws:s3:::site/index.html"),
            Decision::NotGranted
        );
        let other_bucket = policy(&allow(r#""*""#, r#""s3:GetObject""#, r#""arn:aws:s3:::other/*""#));
        assert_eq!(
            anonymous_decision(&other_bucket, "s3:GetObject", OBJECT),
            Decision::NotGranted
        );
        let not_resource = policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::site/private/*"}"#,
        );
        assert_eq!(
            anonymous_decision(&not_resource, "s3:GetObject", OBJECT),
            Decision::Allowed
        );
        assert_eq!(
            anonymous_decision(&not_resource, "s3:GetObject", "arn:aws:s3:::site/private/x"),
            Decision::NotGranted
        );
    }

    #[test]
    fn an_explicit_deny_wins() {
        let deny = r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/docs/*"}"#;
        let text = policy(&format!(
            "{},{deny}",
            allow(r#""*""#, r#""s3:GetObject""#, r#""arn:aws:s3:::site/*""#)
        ));
        assert!(is_public(&text));
        assert_eq!(
            anonymous_decision(&text, "s3:GetObject", OBJECT),
            Decision::Denied
        );
        assert_eq!(
            anonymous_decision(&text, "s3:GetObject", "arn:aws:s3:::site/index.html"),
            Decision::Allowed
        );
        // Deny before Allow in the document: same answer.
        let reversed = policy(&format!(
            "{deny},{}",
            allow(r#""*""#, r#""s3:GetObject""#, r#""arn:aws:s3:::site/*""#)
        ));
        assert_eq!(
            anonymous_decision(&reversed, "s3:GetObject", OBJECT),
            Decision::Denied
        );
        // A conditioned Deny is taken to apply; a Deny on a named principal is not about anonymous.
        let conditioned = policy(
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
        );
        assert_eq!(
            anonymous_decision(&conditioned, "s3:GetObject", OBJECT),
            Decision::Denied
        );
        let named = policy(
            r#"{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:*","Resource":"*"}"#,
        );
        assert_eq!(
            anonymous_decision(&named, "s3:GetObject", OBJECT),
            Decision::NotGranted
        );
        let not_principal = policy(
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:*","Resource":"*"}"#,
        );
        assert_eq!(
            anonymous_decision(&not_principal, "s3:GetObject", OBJECT),
            Decision::Denied
        );
    }

    #[test]
    fn fixed_value_conditions_are_not_public() {
        let with = |condition: &str| {
            policy(&format!(
                r#"{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}"#
            ))
        };
        for narrowing in [
            r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            r#"{"StringEquals":{"aws:SourceVpce":["vpce-1a2b3c4d"]}}"#,
            r#"{"ArnEquals":{"AWS:SourceArn":"arn:aws:cloudfront::1:distribution/E1"}}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
        ] {
            let text = with(narrowing);
            assert!(!is_public(&text), "{narrowing}");
            // Conservatively, a conditioned Allow never grants anonymous reads.
            assert_eq!(
                anonymous_decision(&text, "s3:GetObject", OBJECT),
                Decision::NotGranted
            );
        }
        for still_public in [
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            r#"{"StringLike":{"aws:SourceArn":"arn:aws:cloudfront::*"}}"#,
            r#"{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}"#,
            r#"{"StringEqualsIfExists":{"aws:SourceAccount":"1"}}"#,
            r#"{"StringEquals":{"aws:Referer":"https://example.com"}}"#,
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        ] {
            assert!(is_public(&with(still_public)), "{still_public}");
        }
    }

    #[test]
    fn a_single_statement_object_and_bad_documents() {
        let single =
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}"#;
        assert!(is_public(single));
        assert!(!is_public("not json"));
        assert!(!is_public(r#"{"Statement":"x"}"#));
        assert_eq!(
            anonymous_decision("[]", "s3:GetObject", OBJECT),
            Decision::NotGranted
        );
        let denied_only =
            policy(r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#);
        assert!(!is_public(&denied_only));
    }
}
