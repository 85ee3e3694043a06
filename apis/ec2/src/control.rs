//! EC2's front hook: nimbus's failure drills. `POST
//! /_nimbus/zones/<zone>/fail` and `.../restore` take a whole availability
//! zone down and back; `POST /_nimbus/ec2/instances/<id>/fail` is a
//! hardware fault under one instance; `GET /_nimbus/zones` lists the zones
//! that are down. This module speaks HTTP; what a drill does is the
//! service's ([`Ec2Control`]).

use bytes::Bytes;
use http::Method;
use nimbus_core::{AwsError, RequestContext};
use nimbus_protocol::front::{Answer, FrontHook, Head, response};
use nimbus_protocol::service::BoxFuture;
use serde_json::{Value, json};

use crate::{Ec2Api, Ec2Server};

const ZONES: &str = "/_nimbus/zones";
const INSTANCES: &str = "/_nimbus/ec2/instances/";

/// What the service does for the drills; each answers what it did.
pub trait Ec2Control: Ec2Api {
    fn fail_zone<'a>(&'a self, zone: &'a str) -> BoxFuture<'a, Result<Value, AwsError>>;
    fn restore_zone<'a>(&'a self, zone: &'a str) -> BoxFuture<'a, Result<Value, AwsError>>;
    fn failed_zones(&self) -> BoxFuture<'_, Result<Value, AwsError>>;
    fn fail_instance<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, AwsError>>;
}

/// A drill a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Drill<'p> {
    FailZone(&'p str),
    RestoreZone(&'p str),
    ListZones,
    FailInstance(&'p str),
}

fn drill<'p>(method: &Method, path: &'p str) -> Option<Result<Drill<'p>, &'static str>> {
    let post = |d: Drill<'p>| {
        if method == Method::POST {
            Ok(d)
        } else {
            Err("use POST")
        }
    };
    if path == ZONES || path == "/_nimbus/zones/" {
        return Some(if method == Method::GET {
            Ok(Drill::ListZones)
        } else {
            Err("use GET")
        });
    }
    if let Some(rest) = path.strip_prefix("/_nimbus/zones/") {
        return Some(match rest.split_once('/') {
            Some((zone, "fail")) if !zone.is_empty() => post(Drill::FailZone(zone)),
            Some((zone, "restore")) if !zone.is_empty() => post(Drill::RestoreZone(zone)),
            _ => Err("unknown zone drill: POST /_nimbus/zones/<zone>/fail or /restore"),
        });
    }
    let rest = path.strip_prefix(INSTANCES)?;
    Some(match rest.split_once('/') {
        Some((id, "fail")) if !id.is_empty() => post(Drill::FailInstance(id)),
        _ => Err("unknown instance drill: POST /_nimbus/ec2/instances/<id>/fail"),
    })
}

fn json_answer(status: u16, body: &Value) -> nimbus_protocol::HttpResponse {
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    response(status, headers, Bytes::from(body.to_string()))
}

impl<S: Ec2Control> FrontHook for Ec2Server<S> {
    fn claims(&self, head: &Head<'_>) -> bool {
        head.path.starts_with(ZONES) || head.path.starts_with(INSTANCES)
    }

    fn serve<'a>(&'a self, _ctx: &'a RequestContext, head: Head<'a>, _body: Bytes) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let (operation, outcome) = match drill(head.method, head.path) {
                Some(Ok(Drill::FailZone(zone))) => ("FailZone", self.0.fail_zone(zone).await),
                Some(Ok(Drill::RestoreZone(zone))) => ("RestoreZone", self.0.restore_zone(zone).await),
                Some(Ok(Drill::ListZones)) => ("ListFailedZones", self.0.failed_zones().await),
                Some(Ok(Drill::FailInstance(id))) => ("FailInstance", self.0.fail_instance(id).await),
                Some(Err(why)) => {
                    let status = if why.starts_with("use ") { 405 } else { 404 };
                    ("-", Err(AwsError::new("NotFound", why, status)))
                }
                None => ("-", Err(AwsError::new("NotFound", "not found", 404))),
            };
            let response = match outcome {
                Ok(body) => json_answer(200, &body),
                Err(error) => json_answer(
                    error.status,
                    &json!({ "error": error.message, "code": error.code }),
                ),
            };
            Answer { response, operation }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_drills() {
        assert_eq!(
            drill(&Method::POST, "/_nimbus/zones/us-east-1a/fail"),
            Some(Ok(Drill::FailZone("us-east-1a")))
        );
        assert_eq!(
            drill(&Method::POST, "/_nimbus/zones/us-east-1a/restore"),
            Some(Ok(Drill::RestoreZone("us-east-1a")))
        );
        assert_eq!(drill(&Method::GET, "/_nimbus/zones"), Some(Ok(Drill::ListZones)));
        assert_eq!(
            drill(&Method::POST, "/_nimbus/ec2/instances/i-1/fail"),
            Some(Ok(Drill::FailInstance("i-1")))
        );
        assert!(matches!(
            drill(&Method::GET, "/_nimbus/zones/us-east-1a/fail"),
            Some(Err(_))
        ));
        assert!(matches!(
            drill(&Method::POST, "/_nimbus/zones/us-east-1a"),
            Some(Err(_))
        ));
        assert_eq!(drill(&Method::POST, "/_nimbus/health"), None);
    }
}
