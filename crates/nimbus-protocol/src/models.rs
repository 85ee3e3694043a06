//! The vendored models, embedded in the binary and parsed on first use, so a
//! service nobody calls costs neither start-up time nor memory.

use std::sync::OnceLock;

use crate::model::Model;
use crate::protocol::Protocol;

macro_rules! vendored {
    ($($name:literal),+ $(,)?) => {
        /// Model names of every vendored service.
        pub const NAMES: &[&str] = &[$($name),+];

        fn source(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some(include_str!(concat!("../models/", $name, ".json"))),)+
                _ => None,
            }
        }

        fn cell(name: &str) -> Option<&'static OnceLock<Model>> {
            $(
                if name == $name {
                    static CELL: OnceLock<Model> = OnceLock::new();
                    return Some(&CELL);
                }
            )+
            None
        }
    };
}

vendored!(
    "apigateway",
    "apigatewayv2",
    "autoscaling",
    "cloudwatch",
    "dynamodb",
    "dynamodbstreams",
    "ec2",
    "elasticache",
    "elbv2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
);

/// The metadata of a vendored service, read without parsing its operations
/// and shapes: routing a request needs every model's metadata, but only the
/// called service's model. Relies on `metadata` preceding `operations` in the
/// vendored files (checked by a test).
pub fn metadata(name: &str) -> Option<crate::model::Metadata> {
    const KEY: &str = "\"metadata\"";
    let json = source(name)?;
    let start = json.find(KEY)? + KEY.len();
    let object = json[start..].trim_start().strip_prefix(':')?;
    serde_json::Deserializer::from_str(object)
        .into_iter::<crate::model::Metadata>()
        .next()?
        .ok()
}

/// An older model that describes a protocol a service's current model no
/// longer does (`models/VARIANTS`), parsed on first use like the others.
struct WireVariant {
    service: &'static str,
    protocol: Protocol,
    name: &'static str,
    json: &'static str,
    model: OnceLock<Model>,
}

static WIRE_VARIANTS: [WireVariant; 1] = [WireVariant {
    service: "sqs",
    protocol: Protocol::Query,
    name: "sqs-query",
    json: include_str!("../models/sqs-query.json"),
    model: OnceLock::new(),
}];

/// The model to read and write a request of `protocol` for the service
/// `name` with: its current model, or the older one that still describes
/// that protocol (SQS's query protocol). Both name operations and members
/// alike, so the service sees the same values either way.
pub fn for_protocol(name: &str, protocol: Protocol) -> Option<&'static Model> {
    match WIRE_VARIANTS
        .iter()
        .find(|v| v.service == name && v.protocol == protocol)
    {
        Some(variant) => {
            let canonical = get(variant.service)?;
            Some(variant.model.get_or_init(|| {
                Model::from_json_named(variant.name, variant.json, Some(canonical))
                    .unwrap_or_else(|e| panic!("vendored model {} is invalid: {e}", variant.name))
            }))
        }
        None => get(name),
    }
}

/// The model of a vendored service, compiled on first use.
pub fn get(name: &str) -> Option<&'static Model> {
    let cell = cell(name)?;
    let json = source(name)?;
    Some(cell.get_or_init(|| {
        Model::from_json_named(name, json, None)
            .unwrap_or_else(|e| panic!("vendored model {name} is invalid: {e}"))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_query_requests_read_the_query_era_model() {
        let query = for_protocol("sqs", Protocol::Query).expect("vendored");
        assert_eq!(query.metadata.protocol, "query");
        let json = for_protocol("sqs", Protocol::Json10).expect("vendored");
        assert!(std::ptr::eq(json, get("sqs").expect("vendored")));
        // The variant names operations as the current model does.
        for operation in &query.operations {
            assert!(json.operation(&operation.name).is_some(), "{}", operation.name);
        }
    }

    #[test]
    fn metadata_alone_matches_the_full_model() {
        for name in NAMES {
            let quick = metadata(name).expect("metadata");
            let full = &get(name).expect("vendored").metadata;
            assert_eq!(quick.endpoint_prefix, full.endpoint_prefix, "{name}");
            assert_eq!(quick.protocols, full.protocols, "{name}");
            assert_eq!(quick.target_prefix, full.target_prefix, "{name}");
            assert_eq!(quick.signing_name, full.signing_name, "{name}");
        }
    }

    #[test]
    fn every_vendored_model_compiles() {
        for name in NAMES {
            let model = get(name).expect("vendored");
            assert_eq!(model.name, *name);
            assert!(!model.operations.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_wire_variant_shares_the_current_operation_ids() {
        let query = for_protocol("sqs", Protocol::Query).expect("vendored");
        let json = get("sqs").expect("vendored");
        for operation in &query.operations {
            let current = json.operation(&operation.name).expect("same operation");
            assert_eq!(operation.id, current.id, "{}", operation.name);
        }
    }
}
