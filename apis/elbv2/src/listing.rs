//! ELB's front hook: `GET /_nimbus/load-balancers` answers where every
//! load balancer's nodes and listeners listen on this machine, so tests and
//! tools find them without DNS. This module speaks HTTP; the listing is the
//! service's ([`Elbv2Listing`]).

use bytes::Bytes;
use http::Method;
use nimbus_core::{AwsError, RequestContext};
use nimbus_protocol::front::{Answer, FrontHook, Head, response};
use nimbus_protocol::service::BoxFuture;
use serde_json::{Value, json};

use crate::{Elbv2Api, Elbv2Server};

const PATH: &str = "/_nimbus/load-balancers";

/// What the service answers for the listing.
pub trait Elbv2Listing: Elbv2Api {
    /// `[{"name", "arn", "dnsName", "nodes": [...], "listeners": [...]}]`.
    fn load_balancers(&self) -> BoxFuture<'_, Result<Value, AwsError>>;
}

fn json_answer(status: u16, body: &Value) -> nimbus_protocol::HttpResponse {
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    response(status, headers, Bytes::from(body.to_string()))
}

impl<S: Elbv2Listing> FrontHook for Elbv2Server<S> {
    fn claims(&self, head: &Head<'_>) -> bool {
        head.path == PATH || head.path == "/_nimbus/load-balancers/"
    }

    fn serve<'a>(&'a self, _ctx: &'a RequestContext, head: Head<'a>, _body: Bytes) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let outcome = if head.method == Method::GET {
                self.0.load_balancers().await
            } else {
                Err(AwsError::new("MethodNotAllowed", "use GET", 405))
            };
            let response = match outcome {
                Ok(body) => json_answer(200, &body),
                Err(error) => json_answer(
                    error.status,
                    &json!({ "error": error.message, "code": error.code }),
                ),
            };
            Answer {
                response,
                operation: "ListLoadBalancers",
            }
        })
    }
}
