//! A service's wire differences from its protocol's rules, as data: the
//! `nimbus` key that `models/patches/<service>.json` adds to a model's
//! metadata. Codecs and the gateway read these; none of them names a service.

use serde::Deserialize;

/// What one service does differently on the wire. Every field defaults to
/// what the service's protocol does.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// The largest request body the service takes, in bytes (S3: 5 GiB);
    /// the gateway's limit when absent.
    pub max_body_bytes: Option<u64>,
    /// Whether a `Content-Encoding: gzip` body is unpacked before decoding
    /// (S3 stores an object's bytes as they were sent).
    pub gunzip: bool,
    /// A hex `x-amz-content-sha256` must match the body, and any other value
    /// must be a known keyword (S3).
    pub checks_content_sha256: bool,
    /// Presigned URLs past their `X-Amz-Expires` are refused before the body
    /// is read (S3).
    pub checks_presigned_expiry: bool,
    /// The service's signing rules (S3's: the path signed as sent).
    pub signing: Signing,
    /// The error codes of a malformed signature.
    pub signature_errors: SignatureErrors,
    /// S3-style request ids: `x-amz-request-id` and `x-amz-id-2` instead of
    /// `x-amzn-RequestId`.
    pub host_id: bool,
    /// rest-xml errors as a bare `<Error>` document (with `RequestId` and
    /// `HostId` inside) instead of `<ErrorResponse>`.
    pub bare_error_element: bool,
    /// The namespace of `__type` in json error bodies (and of cbor ones
    /// instead of `com.amazonaws.<endpointPrefix>`).
    pub error_namespace: Option<String>,
    /// json responses carry `x-amz-crc32`, the CRC32 of the body (DynamoDB).
    pub response_crc32: bool,
    /// The code of model validation errors, instead of the protocol's.
    pub validation_code: Option<String>,
    /// Validation errors name the parameter (`MissingParameter`, else
    /// `InvalidParameterValue`), as SQS and EC2 do.
    pub validation_names_parameter: bool,
    /// A query request sent to a resource's URL (not `/`) names it in this
    /// member when its parameters do not (SQS's queue URL, as the query-era
    /// SDKs and API Gateway's SQS integrations send it).
    pub query_path_member: Option<String>,
    /// The path every operation's URI starts with, when another model signs
    /// with the same name (API Gateway's v2 management API under `/v2/`):
    /// routing tells the two apart by it.
    pub path_prefix: Option<String>,
    /// The error for any request body that does not parse (S3's MalformedXML).
    pub malformed_body: Option<ErrorSpec>,
    /// A label, query value or header that does not parse as its member's
    /// type: this code, with `ArgumentName`/`ArgumentValue` fields (S3's
    /// InvalidArgument), instead of the protocol's error.
    pub malformed_value_code: Option<String>,
    /// No operation has the request's method and path: this error, with
    /// `Method` and `ResourceType` (`SERVICE`, `BUCKET`, `OBJECT` by path
    /// depth) fields, instead of UnknownOperationException (S3's 405).
    pub no_route: Option<ErrorSpec>,
    /// Requests no other service claims come here (S3: a plain `GET /` or
    /// `PUT /bucket` carries no other mark of its service).
    pub fallback_route: bool,
    /// Unsigned `Action=` requests are tried on this service first (STS:
    /// they are nearly always web-identity calls).
    pub unsigned_action_first: bool,
    /// Unsigned requests reach the service even when signatures are
    /// verified: its resources' policies decide what anonymous callers may
    /// do (S3's bucket policies and ACLs).
    pub anonymous_access: bool,
    /// A body over the limit: this error (S3's EntityTooLarge, naming the
    /// limit in `limitField`) instead of 413 RequestEntityTooLarge.
    pub body_too_large: Option<ErrorSpec>,
    /// A body that could not be read to its end: this code (S3's
    /// IncompleteBody) instead of IncompleteRequest.
    pub incomplete_body_code: Option<String>,
}

/// How a service's requests are signed and their signature errors worded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Signing {
    /// SigV4's rules: the path encoded once more, the errors of the
    /// service's protocol.
    #[default]
    Standard,
    /// The path signed as sent (no second URI encoding, no normalization),
    /// and the errors worded as object stores word them (InvalidAccessKeyId,
    /// RequestTimeTooSkewed with the times, the canonical request shown).
    RawPath,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            max_body_bytes: None,
            gunzip: true,
            checks_content_sha256: false,
            checks_presigned_expiry: false,
            signing: Signing::Standard,
            signature_errors: SignatureErrors::default(),
            host_id: false,
            bare_error_element: false,
            error_namespace: None,
            response_crc32: false,
            validation_code: None,
            validation_names_parameter: false,
            query_path_member: None,
            path_prefix: None,
            malformed_body: None,
            malformed_value_code: None,
            no_route: None,
            fallback_route: false,
            unsigned_action_first: false,
            anonymous_access: false,
            body_too_large: None,
            incomplete_body_code: None,
        }
    }
}

/// The codes of a malformed SigV4 signature, by where it was sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignatureErrors {
    pub header: String,
    pub query: String,
}

impl Default for SignatureErrors {
    fn default() -> Self {
        SignatureErrors {
            header: "IncompleteSignature".to_owned(),
            query: "IncompleteSignature".to_owned(),
        }
    }
}

/// An error a profile names: code, status and message.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorSpec {
    pub code: String,
    pub status: u16,
    #[serde(default)]
    pub message: String,
    /// The member that names the limit the request broke, when the error has one.
    #[serde(default)]
    pub limit_field: Option<String>,
}

impl ErrorSpec {
    pub fn error(&self) -> nimbus_core::AwsError {
        nimbus_core::AwsError::new(self.code.clone(), self.message.clone(), self.status)
    }

    /// The error, naming `limit` in its limit field.
    pub fn error_with_limit(&self, limit: u64) -> nimbus_core::AwsError {
        let error = self.error();
        match &self.limit_field {
            Some(field) => error.with_field(field.clone(), limit as i64),
            None => error,
        }
    }
}

impl Profile {
    /// The profile in a model's `metadata.nimbus` (null: the defaults).
    pub fn from_metadata(nimbus: &serde_json::Value) -> Result<Profile, String> {
        if nimbus.is_null() {
            return Ok(Profile::default());
        }
        Profile::deserialize(nimbus).map_err(|e| format!("metadata.nimbus: {e}"))
    }
}
