//! WebSockets, and any HTTP/1.1 protocol upgrade: the ALB passes the
//! client's `Upgrade` to the target, and once the target answers 101 both
//! connections switch and the load balancer relays their bytes both ways
//! (the target's request stays in flight until they close).

use http::header::{self, HeaderValue};
use http::{HeaderMap, Request};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use super::groups::Lease;

/// The protocol a request asks to switch to, if it asks.
pub fn requested(request: &Request<Incoming>) -> Option<HeaderValue> {
    let headers = request.headers();
    let connection_upgrades = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    connection_upgrades
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// Puts back the headers that ask the target for the switch (the proxy
/// strips hop-by-hop headers from everything else).
pub fn ask_target(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, protocol);
}

/// Relays bytes between the client and the target once both have switched.
pub async fn relay(client: OnUpgrade, target: OnUpgrade, lease: Lease) {
    let (Ok(client), Ok(target)) = (client.await, target.await) else {
        return;
    };
    let (mut client, mut target) = (TokioIo::new(client), TokioIo::new(target));
    let _ = tokio::io::copy_bidirectional(&mut client, &mut target).await;
    drop(lease);
}
