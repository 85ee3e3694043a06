//! Bucket policies as S3's public-access features read them: whether a
//! policy is "public" (what BlockPublicPolicy refuses and
//! RestrictPublicBuckets ignores). What a policy allows is the IAM
//! engine's to decide (see `access`).
//!
//! "Public", as the S3 user guide ("The meaning of public") defines it: an
//! Allow statement whose principal is a wildcard is public unless a
//! condition pins one of a few keys (aws:SourceIp to a CIDR, aws:SourceArn,
//! aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
//! s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid, aws:PrincipalOrgID,
//! aws:PrincipalAccount, aws:PrincipalArn, s3:DataAccessPointArn,
//! s3:DataAccessPointAccount) to fixed values, without wildcards.

use serde_json::Value as Json;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(statements: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
    }

    fn allow(principal: &str, action: &str, resource: &str) -> String {
        format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":{action},"Resource":{resource}}}"#)
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
        }
        let named = policy(&allow(
            r#"{"AWS":"arn:aws:iam::123456789012:root"}"#,
            r#""s3:GetObject""#,
            r#""*""#,
        ));
        assert!(!is_public(&named));
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
        assert!(!is_public("[]"));
        let denied_only =
            policy(r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#);
        assert!(!is_public(&denied_only));
    }
}
