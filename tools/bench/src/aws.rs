//! AWS request shapes, as botocore serializes them, signed with SigV4 under
//! the `test` access key — and the reading of AWS error answers.

use crate::http_client::{PreparedRequest, Reply};
use crate::sigv4::{
    self, Credentials, EMPTY_PAYLOAD_SHA256, RequestToSign, Signer, SigningTime, UNSIGNED_PAYLOAD,
};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use std::net::SocketAddr;

pub const REGION: &str = "us-east-1";
const JSON_1_0: &str = "application/x-amz-json-1.0";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const SQS_QUERY_VERSION: &str = "2012-11-05";

/// Builds signed requests for one server.
#[derive(Clone, Debug)]
pub struct RequestFactory {
    host: String,
    s3: Signer,
    sqs: Signer,
    dynamodb: Signer,
    apigateway: Signer,
}

impl RequestFactory {
    pub fn new(addr: SocketAddr) -> Self {
        let signer = |service: &str| Signer {
            credentials: Credentials {
                access_key: "test".into(),
                secret_key: "test".into(),
            },
            region: REGION.into(),
            service: service.into(),
        };
        RequestFactory {
            host: addr.to_string(),
            s3: signer("s3"),
            sqs: signer("sqs"),
            dynamodb: signer("dynamodb"),
            apigateway: signer("apigateway"),
        }
    }

    /// The URL a queue would have on this server; used when the limit
    /// server, which returns no real answers, stands in.
    pub fn placeholder_queue_url(&self, name: &str) -> String {
        format!("http://{}/000000000000/{name}", self.host)
    }

    /// A path-style S3 request. `path` is `/bucket` or `/bucket/key` with
    /// key characters that need no encoding. Bodies of more than 1 MiB go
    /// unsigned (`UNSIGNED-PAYLOAD`), as the SDKs do for large uploads.
    pub fn s3(&self, method: Method, path: &str, body: Bytes) -> PreparedRequest {
        let payload_hash = if body.len() > 1024 * 1024 {
            UNSIGNED_PAYLOAD.to_owned()
        } else if body.is_empty() {
            EMPTY_PAYLOAD_SHA256.to_owned()
        } else {
            sigv4::hex_sha256(&body)
        };
        let mut headers = self.base_headers();
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_str(&payload_hash).expect("hex is a valid header value"),
        );
        self.signed(&self.s3, method, path, headers, &payload_hash, body)
    }

    /// An SQS call in the JSON protocol (`AmazonSQS.<Operation>`).
    pub fn sqs_json(&self, operation: &str, input: &serde_json::Value) -> PreparedRequest {
        self.json_call(&self.sqs, &format!("AmazonSQS.{operation}"), input)
    }

    /// An SQS call in the older query protocol (form-encoded `Action=`).
    pub fn sqs_query(&self, action: &str, params: &[(&str, &str)]) -> PreparedRequest {
        let mut form = vec![("Action", action), ("Version", SQS_QUERY_VERSION)];
        form.extend_from_slice(params);
        let body = form
            .iter()
            .map(|(name, value)| format!("{}={}", sigv4::uri_encode(name), sigv4::uri_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = self.base_headers();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(FORM));
        let payload_hash = sigv4::hex_sha256(body.as_bytes());
        self.signed(
            &self.sqs,
            Method::POST,
            "/",
            headers,
            &payload_hash,
            Bytes::from(body),
        )
    }

    /// A DynamoDB call (`DynamoDB_20120810.<Operation>`).
    pub fn dynamodb(&self, operation: &str, input: &serde_json::Value) -> PreparedRequest {
        self.json_call(&self.dynamodb, &format!("DynamoDB_20120810.{operation}"), input)
    }

    fn json_call(&self, signer: &Signer, target: &str, input: &serde_json::Value) -> PreparedRequest {
        let body = Bytes::from(input.to_string());
        let mut headers = self.base_headers();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(JSON_1_0));
        headers.insert(
            "x-amz-target",
            HeaderValue::from_str(target).expect("targets are ASCII"),
        );
        let payload_hash = sigv4::hex_sha256(&body);
        self.signed(signer, Method::POST, "/", headers, &payload_hash, body)
    }

    /// A signed API Gateway management call (rest-json).
    pub fn apigateway(&self, method: Method, path: &str, input: &serde_json::Value) -> PreparedRequest {
        let body = Bytes::from(input.to_string());
        let mut headers = self.base_headers();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let payload_hash = sigv4::hex_sha256(&body);
        self.signed(&self.apigateway, method, path, headers, &payload_hash, body)
    }

    /// An unsigned GET, as a browser sends it.
    pub fn get(&self, path: &str) -> PreparedRequest {
        PreparedRequest {
            method: Method::GET,
            uri: Uri::try_from(path).expect("scenario paths are valid URIs"),
            headers: self.base_headers(),
            body: Bytes::new(),
        }
    }

    fn base_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HOST,
            HeaderValue::from_str(&self.host).expect("an address is a valid host"),
        );
        headers
    }

    fn signed(
        &self,
        signer: &Signer,
        method: Method,
        path: &str,
        mut headers: HeaderMap,
        payload_hash: &str,
        body: Bytes,
    ) -> PreparedRequest {
        signer.sign(
            &RequestToSign {
                method: &method,
                path,
                query: &[],
                payload_hash,
            },
            &mut headers,
            &SigningTime::now(),
        );
        PreparedRequest {
            method,
            uri: Uri::try_from(path).expect("scenario paths are valid URIs"),
            headers,
            body,
        }
    }
}

/// Why a scenario has no figures for a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The server says it does not implement the operation.
    Unsupported(String),
    /// Anything else: a wrong answer, an error, a lost connection.
    Failed(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unsupported(why) => write!(f, "unsupported ({why})"),
            Problem::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

impl Problem {
    pub fn failed(what: impl std::fmt::Display, why: impl std::fmt::Display) -> Self {
        Problem::Failed(format!("{what}: {why}"))
    }
}

/// Error codes that mean "this operation is not implemented here".
const NOT_IMPLEMENTED_CODES: &[&str] = &[
    "NotImplemented",
    "NotImplementedException",
    "UnknownOperationException",
    "UnsupportedOperation",
    "UnsupportedOperationException",
    "InvalidAction",
];

/// Passes a 2xx answer through; turns any other into a [`Problem`] that
/// names the operation, the status and the AWS error code.
pub fn expect_success(reply: Reply, operation: &str) -> Result<Reply, Problem> {
    if reply.status.is_success() {
        return Ok(reply);
    }
    let code = error_code(&reply);
    let description = match &code {
        Some(code) => format!("{operation}: HTTP {} {code}", reply.status.as_u16()),
        None => format!("{operation}: HTTP {}", reply.status.as_u16()),
    };
    let unsupported = reply.status == http::StatusCode::NOT_IMPLEMENTED
        || code
            .as_deref()
            .is_some_and(|code| NOT_IMPLEMENTED_CODES.contains(&code));
    Err(if unsupported {
        Problem::Unsupported(description)
    } else {
        Problem::Failed(description)
    })
}

/// The AWS error code of an error answer, in whichever protocol it came.
pub fn error_code(reply: &Reply) -> Option<String> {
    let from_header = reply
        .headers
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let from_json = || {
        let json: serde_json::Value = serde_json::from_slice(&reply.body).ok()?;
        ["__type", "code", "Code"]
            .iter()
            .find_map(|field| json.get(field)?.as_str().map(str::to_owned))
    };
    let from_xml = || xml_element(&reply.body_text(), "Code");
    let code = from_header.or_else(from_json).or_else(from_xml)?;
    // `aws.protocols#Foo:http://…` and `com.amazonaws.sqs#Foo` both mean Foo.
    let code = code.split(':').next().unwrap_or(&code);
    let code = code.rsplit('#').next().unwrap_or(code);
    Some(code.to_owned())
}

/// The text of the first `<name>…</name>` element; enough for AWS answers.
pub fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml[start..end].to_owned())
}

/// Parses a JSON answer, or says what was wrong with it.
pub fn json_body(reply: &Reply, operation: &str) -> Result<serde_json::Value, Problem> {
    serde_json::from_slice(&reply.body)
        .map_err(|error| Problem::failed(operation, format!("answer is not JSON ({error})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn reply(status: u16, headers: &[(&'static str, &'static str)], body: &'static str) -> Reply {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Reply {
            status: StatusCode::from_u16(status).expect("valid status"),
            headers: map,
            body: Bytes::from_static(body.as_bytes()),
            body_len: body.len() as u64,
        }
    }

    #[test]
    fn reads_error_codes_in_every_protocol() {
        let json = reply(
            400,
            &[],
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"x"}"#,
        );
        assert_eq!(error_code(&json).as_deref(), Some("QueueDoesNotExist"));
        let header = reply(
            400,
            &[("x-amzn-errortype", "ResourceNotFoundException:http://internal")],
            "{}",
        );
        assert_eq!(error_code(&header).as_deref(), Some("ResourceNotFoundException"));
        let xml = reply(
            404,
            &[],
            "<Error><Code>NoSuchBucket</Code><Message>m</Message></Error>",
        );
        assert_eq!(error_code(&xml).as_deref(), Some("NoSuchBucket"));
    }

    #[test]
    fn not_implemented_is_unsupported_not_failed() {
        let not_implemented = reply(501, &[], "<Error><Code>NotImplemented</Code></Error>");
        assert_eq!(
            expect_success(not_implemented, "PutObject").err(),
            Some(Problem::Unsupported("PutObject: HTTP 501 NotImplemented".into()))
        );
        let unknown = reply(400, &[], r#"{"__type":"UnknownOperationException"}"#);
        assert!(matches!(
            expect_success(unknown, "PutItem"),
            Err(Problem::Unsupported(_))
        ));
        let missing = reply(400, &[], r#"{"__type":"ResourceNotFoundException"}"#);
        assert!(matches!(
            expect_success(missing, "GetItem"),
            Err(Problem::Failed(_))
        ));
        assert!(expect_success(reply(200, &[], "{}"), "GetItem").is_ok());
    }
}
