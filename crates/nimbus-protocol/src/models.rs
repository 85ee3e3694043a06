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
