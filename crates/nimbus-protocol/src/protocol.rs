//! The AWS wire protocols.

/// The wire protocols of AWS services (botocore's `metadata.protocol(s)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `awsQuery`: form-encoded `Action=` requests, XML responses (STS, SNS, IAM).
    Query,
    /// The EC2 variant of query: different list flattening and error envelope.
    Ec2,
    /// `awsJson1_0` (DynamoDB, SQS).
    Json10,
    /// `awsJson1_1` (most json services).
    Json11,
    /// `restJson1` (Lambda, ...).
    RestJson,
    /// `restXml` (S3, Route 53).
    RestXml,
    /// `smithy-rpc-v2-cbor` (CloudWatch).
    Cbor,
}

impl Protocol {
    /// The protocol named by a model's `protocol`/`protocols` entry.
    pub fn from_model_name(name: &str, json_version: Option<&str>) -> Option<Self> {
        Some(match name {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "json" if json_version == Some("1.0") => Protocol::Json10,
            "json" => Protocol::Json11,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            "smithy-rpc-v2-cbor" => Protocol::Cbor,
            _ => return None,
        })
    }

    /// Whether operations are found from the request line (method and path).
    pub fn is_rest(self) -> bool {
        matches!(self, Protocol::RestJson | Protocol::RestXml)
    }

    /// The two form-encoded `Action=` protocols.
    pub fn is_query(self) -> bool {
        matches!(self, Protocol::Query | Protocol::Ec2)
    }

    pub fn is_json(self) -> bool {
        matches!(self, Protocol::Json10 | Protocol::Json11)
    }
}
