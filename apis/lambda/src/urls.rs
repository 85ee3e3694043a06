//! Lambda's front hook: function URLs. A request to
//! `<url-id>.lambda-url.<region>.<domain>` (`on.aws` at AWS, `localhost`
//! here) is answered by the function the URL belongs to. This module speaks
//! HTTP; what a URL request becomes is the service's ([`LambdaUrls`]).

use bytes::Bytes;
use http::header::HOST;
use nimbus_core::RequestContext;
use nimbus_protocol::HttpResponse;
use nimbus_protocol::front::{Answer, FrontHook, Head};
use nimbus_protocol::service::BoxFuture;

use crate::{LambdaApi, LambdaServer};

/// A request to a function URL, as the service reads it.
#[derive(Debug, Clone, Default)]
pub struct UrlRequest {
    /// The URL's id: the first label of the host.
    pub url_id: String,
    /// The host as the client sent it.
    pub domain: String,
    pub method: String,
    /// The path and query, still encoded.
    pub raw_path: String,
    pub raw_query: String,
    /// Header names in lower case, in the order they came.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What the function URL answers.
#[derive(Debug, Clone, Default)]
pub struct UrlResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What the service does with function URL requests.
pub trait LambdaUrls: LambdaApi {
    fn invoke_url<'a>(&'a self, ctx: &'a RequestContext, request: UrlRequest) -> BoxFuture<'a, UrlResponse>;

    /// A deployment package's download (GetFunction's Code.Location): the
    /// path after [`CODE_PREFIX`] and the query.
    fn download_code<'a>(&'a self, path: &'a str, query: &'a str) -> BoxFuture<'a, UrlResponse>;
}

/// Where GetFunction's Code.Location points (on nimbus's own address).
pub const CODE_PREFIX: &str = "/_aws/lambda/code/";

/// The URL id a host names: `<id>.lambda-url.<region>.<domain>[:port]`.
pub fn url_id(host: &str) -> Option<&str> {
    let (id, rest) = host.split_once('.')?;
    (rest.starts_with("lambda-url.") && !id.is_empty()).then_some(id)
}

impl<S: LambdaUrls> FrontHook for LambdaServer<S> {
    fn claims(&self, head: &Head<'_>) -> bool {
        head.header(HOST).and_then(url_id).is_some() || head.path.starts_with(CODE_PREFIX)
    }

    fn serve<'a>(&'a self, ctx: &'a RequestContext, head: Head<'a>, body: Bytes) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            if let Some(path) = head.path.strip_prefix(CODE_PREFIX)
                && head.header(HOST).and_then(url_id).is_none()
            {
                let answered = self.0.download_code(path, head.query).await;
                return Answer {
                    response: http_response(answered),
                    operation: "GetFunctionCode",
                };
            }
            let host = head.header(HOST).unwrap_or_default();
            let request = UrlRequest {
                url_id: url_id(host).unwrap_or_default().to_owned(),
                domain: host.split(':').next().unwrap_or_default().to_owned(),
                method: head.method.as_str().to_owned(),
                raw_path: head.path.to_owned(),
                raw_query: head.query.to_owned(),
                headers: head.header_pairs(),
                body,
            };
            let answered = self.0.invoke_url(ctx, request).await;
            Answer {
                response: http_response(answered),
                operation: "InvokeFunctionUrl",
            }
        })
    }
}

fn http_response(answered: UrlResponse) -> HttpResponse {
    nimbus_protocol::front::response(answered.status, answered.headers, answered.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_id_is_the_first_label_of_a_lambda_url_host() {
        assert_eq!(
            url_id("abc123.lambda-url.us-east-1.localhost:4566"),
            Some("abc123")
        );
        assert_eq!(url_id("abc123.lambda-url.us-east-1.on.aws"), Some("abc123"));
        assert_eq!(url_id("127.0.0.1:4566"), None);
        assert_eq!(url_id("bucket.s3.localhost"), None);
    }
}
