//! The vendored models, embedded in the binary and parsed on first use, so a
//! service nobody calls costs neither start-up time nor memory.

use std::sync::OnceLock;

use crate::model::ServiceModel;

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

        fn cell(name: &str) -> Option<&'static OnceLock<ServiceModel>> {
            $(
                if name == $name {
                    static CELL: OnceLock<ServiceModel> = OnceLock::new();
                    return Some(&CELL);
                }
            )+
            None
        }
    };
}

vendored!(
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

/// The model of a vendored service, parsed on first use.
pub fn get(name: &str) -> Option<&'static ServiceModel> {
    let cell = cell(name)?;
    let json = source(name)?;
    Some(cell.get_or_init(|| {
        ServiceModel::from_json(json).unwrap_or_else(|e| panic!("vendored model {name} is invalid: {e}"))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_vendored_model_parses_and_is_closed() {
        for name in NAMES {
            let model = get(name).expect("vendored");
            for shape in model.shapes.values() {
                let refs = shape
                    .members
                    .values()
                    .chain(shape.member.iter())
                    .chain(shape.key.iter())
                    .chain(shape.value.iter());
                for r in refs {
                    assert!(
                        model.shapes.contains_key(&r.shape),
                        "{name}: dangling {}",
                        r.shape
                    );
                }
            }
            for op in model.operations.values() {
                for r in op.input.iter().chain(op.output.iter()).chain(op.errors.iter()) {
                    assert!(
                        model.shapes.contains_key(&r.shape),
                        "{name}: dangling {}",
                        r.shape
                    );
                }
            }
        }
    }
}
