//! A target's response body that keeps the target's request in flight
//! until the body has been sent whole (or the client went away), so
//! draining and least-outstanding-requests count downloads and streams.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use super::groups::Lease;

pub struct LeasedBody {
    body: Incoming,
    /// Released when the body ends (dropped with it).
    lease: Option<Lease>,
}

impl LeasedBody {
    pub fn new(body: Incoming, lease: Lease) -> Self {
        LeasedBody {
            body,
            lease: Some(lease),
        }
    }
}

impl Body for LeasedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.lease = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
