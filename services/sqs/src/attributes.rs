//! Queue attributes: which exist, their defaults, their valid values, and
//! the attributes SQS computes (counts, timestamps, ARN).

use indexmap::IndexMap;
use nimbus_core::AwsError;
use serde_json::Value as Json;

use crate::errors::{invalid_attribute_name, invalid_attribute_value, invalid_value};

/// Attributes every queue has, with their defaults.
const COMMON_DEFAULTS: &[(&str, &str)] = &[
    ("VisibilityTimeout", "30"),
    ("MaximumMessageSize", "262144"),
    ("MessageRetentionPeriod", "345600"),
    ("DelaySeconds", "0"),
    ("ReceiveMessageWaitTimeSeconds", "0"),
    ("SqsManagedSseEnabled", "true"),
];

/// Attributes only FIFO queues have, with their defaults.
const FIFO_DEFAULTS: &[(&str, &str)] = &[
    ("FifoQueue", "true"),
    ("ContentBasedDeduplication", "false"),
    ("DeduplicationScope", "queue"),
    ("FifoThroughputLimit", "perQueue"),
];

/// Settable attributes a queue has only once they are set.
const OPTIONAL: &[&str] = &[
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
];

/// Attributes SQS computes.
pub const COMPUTED: &[&str] = &[
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
];

/// The settable attributes of a new queue before the client's are applied.
pub fn defaults(fifo: bool) -> IndexMap<String, String> {
    let fifo_defaults = if fifo { FIFO_DEFAULTS } else { &[] };
    COMMON_DEFAULTS
        .iter()
        .chain(fifo_defaults)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Is `name` an attribute GetQueueAttributes may ask for on this queue type?
pub fn is_known(name: &str, fifo: bool) -> bool {
    name == "All"
        || COMMON_DEFAULTS.iter().any(|(k, _)| *k == name)
        || OPTIONAL.contains(&name)
        || COMPUTED.contains(&name)
        || (fifo && FIFO_DEFAULTS.iter().any(|(k, _)| *k == name))
}

/// Checks one settable attribute and returns the value to store (`None`:
/// an empty value that removes an optional attribute). `creating` allows
/// `FifoQueue`, which cannot change later.
pub fn validate(
    name: &str,
    value: &str,
    fifo: bool,
    creating: bool,
    queue_exists: &dyn Fn(&str) -> bool,
) -> Result<Option<String>, AwsError> {
    let int_in = |low: i64, high: i64| -> Result<Option<String>, AwsError> {
        match value.trim().parse::<i64>() {
            Ok(n) if (low..=high).contains(&n) => Ok(Some(n.to_string())),
            _ => Err(invalid_attribute_value(name, "")),
        }
    };
    let boolean = || -> Result<Option<String>, AwsError> {
        match value.to_ascii_lowercase().as_str() {
            "true" => Ok(Some("true".to_owned())),
            "false" => Ok(Some("false".to_owned())),
            _ => Err(invalid_attribute_value(name, "")),
        }
    };
    let one_of = |allowed: &[&str]| -> Result<Option<String>, AwsError> {
        if allowed.contains(&value) {
            Ok(Some(value.to_owned()))
        } else {
            Err(invalid_attribute_value(name, ""))
        }
    };
    match name {
        "VisibilityTimeout" => int_in(0, 43_200),
        "MaximumMessageSize" => int_in(1_024, 262_144),
        "MessageRetentionPeriod" => int_in(60, 1_209_600),
        "DelaySeconds" => int_in(0, 900),
        "ReceiveMessageWaitTimeSeconds" => int_in(0, 20),
        "KmsDataKeyReusePeriodSeconds" => int_in(60, 86_400),
        "SqsManagedSseEnabled" => boolean(),
        "KmsMasterKeyId" => Ok((!value.is_empty()).then(|| value.to_owned())),
        "Policy" => policy(value),
        "RedrivePolicy" => redrive_policy(value, queue_exists),
        "RedriveAllowPolicy" => redrive_allow_policy(value),
        "FifoQueue" if creating => {
            if value.eq_ignore_ascii_case("true") == fifo {
                boolean()
            } else {
                Err(invalid_attribute_value(name, ""))
            }
        }
        "ContentBasedDeduplication" if fifo => boolean(),
        "DeduplicationScope" if fifo => one_of(&["messageGroup", "queue"]),
        "FifoThroughputLimit" if fifo => one_of(&["perQueue", "perMessageGroupId"]),
        _ => Err(invalid_attribute_name(name)),
    }
}

fn policy(value: &str) -> Result<Option<String>, AwsError> {
    if value.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Json>(value) {
        Ok(Json::Object(_)) => Ok(Some(value.to_owned())),
        _ => Err(invalid_attribute_value(
            "Policy",
            "Invalid JSON in the policy document.",
        )),
    }
}

/// The parsed RedrivePolicy: (dead-letter queue ARN, maxReceiveCount).
pub fn parse_redrive_policy(value: &str) -> Option<(String, u32)> {
    let json: Json = serde_json::from_str(value).ok()?;
    let arn = json.get("deadLetterTargetArn")?.as_str()?.to_owned();
    let count = match json.get("maxReceiveCount")? {
        Json::Number(n) => u32::try_from(n.as_u64()?).ok()?,
        Json::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some((arn, count))
}

fn redrive_policy(value: &str, queue_exists: &dyn Fn(&str) -> bool) -> Result<Option<String>, AwsError> {
    if value.is_empty() {
        return Ok(None);
    }
    let reason = |why: &str| invalid_value("RedrivePolicy", value, why);
    let json: Json =
        serde_json::from_str(value).map_err(|_| reason("Invalid value for the parameter RedrivePolicy"))?;
    if json.get("deadLetterTargetArn").is_none() {
        return Err(reason(
            "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
        ));
    }
    if json.get("maxReceiveCount").is_none() {
        return Err(reason(
            "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
        ));
    }
    let Some((arn, count)) = parse_redrive_policy(value) else {
        return Err(reason(
            "Invalid value for maxReceiveCount: must be an integer from 1 to 1000.",
        ));
    };
    if !(1..=1000).contains(&count) {
        return Err(reason(
            "Invalid value for maxReceiveCount: must be an integer from 1 to 1000.",
        ));
    }
    if !queue_exists(&arn) {
        return Err(reason("Dead letter target does not exist."));
    }
    // SQS answers the policy in its own canonical form, the count a number.
    Ok(Some(
        serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": count}).to_string(),
    ))
}

fn redrive_allow_policy(value: &str) -> Result<Option<String>, AwsError> {
    if value.is_empty() {
        return Ok(None);
    }
    let reason = |why: &str| invalid_value("RedriveAllowPolicy", value, why);
    let json: Json = serde_json::from_str(value).map_err(|_| reason("Invalid JSON."))?;
    let permission = json
        .get("redrivePermission")
        .and_then(Json::as_str)
        .ok_or_else(|| {
            reason("Redrive allow policy does not contain mandatory attribute: redrivePermission.")
        })?;
    let sources = json.get("sourceQueueArns").and_then(Json::as_array);
    match permission {
        "allowAll" | "denyAll" if sources.is_some() => Err(reason(
            "sourceQueueArns is only allowed when redrivePermission is byQueue.",
        )),
        "allowAll" | "denyAll" => Ok(Some(value.to_owned())),
        "byQueue" => match sources {
            Some(arns) if !arns.is_empty() && arns.len() <= 10 => Ok(Some(value.to_owned())),
            _ => Err(reason(
                "sourceQueueArns must contain 1 to 10 queue ARNs when redrivePermission is byQueue.",
            )),
        },
        _ => Err(reason(
            "redrivePermission must be one of allowAll, denyAll, byQueue.",
        )),
    }
}

/// May a queue with ARN `source` use the queue whose RedriveAllowPolicy is
/// `policy` as its dead-letter queue?
pub fn allows_source(policy: Option<&str>, source: &str) -> bool {
    let Some(json) = policy.and_then(|p| serde_json::from_str::<Json>(p).ok()) else {
        return true;
    };
    match json.get("redrivePermission").and_then(Json::as_str) {
        Some("denyAll") => false,
        Some("byQueue") => json
            .get("sourceQueueArns")
            .and_then(Json::as_array)
            .is_some_and(|arns| arns.iter().any(|a| a.as_str() == Some(source))),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn ranges_are_checked() {
        assert!(validate("VisibilityTimeout", "43200", false, true, &any).is_ok());
        let err = validate("VisibilityTimeout", "43201", false, true, &any).unwrap_err();
        assert_eq!(err.code, "InvalidAttributeValue");
        assert!(validate("DelaySeconds", "abc", false, true, &any).is_err());
    }

    #[test]
    fn fifo_attributes_are_unknown_on_standard_queues() {
        let err = validate("ContentBasedDeduplication", "true", false, true, &any).unwrap_err();
        assert_eq!(err.code, "InvalidAttributeName");
        assert!(validate("ContentBasedDeduplication", "true", true, true, &any).is_ok());
    }

    #[test]
    fn redrive_policy_is_canonical() {
        let policy =
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#;
        let stored = validate("RedrivePolicy", policy, false, true, &any)
            .unwrap()
            .unwrap();
        assert_eq!(
            parse_redrive_policy(&stored),
            Some(("arn:aws:sqs:us-east-1:000000000000:dlq".into(), 3))
        );
        assert!(stored.contains("\"maxReceiveCount\":3"));
        let missing = validate("RedrivePolicy", r#"{"maxReceiveCount":3}"#, false, true, &any).unwrap_err();
        assert_eq!(missing.code, "InvalidParameterValue");
    }

    #[test]
    fn redrive_allow_policy_by_queue() {
        let policy = r#"{"redrivePermission":"byQueue","sourceQueueArns":["arn:a"]}"#;
        assert!(validate("RedriveAllowPolicy", policy, false, true, &any).is_ok());
        assert!(allows_source(Some(policy), "arn:a"));
        assert!(!allows_source(Some(policy), "arn:b"));
        assert!(!allows_source(
            Some(r#"{"redrivePermission":"denyAll"}"#),
            "arn:a"
        ));
        assert!(allows_source(None, "arn:a"));
    }
}
