//! Event streams: an output member the model marks `eventstream` (Lambda's
//! InvokeWithResponseStream, S3's SelectObjectContent) is a series of typed
//! events that leave as they come. Services produce the events; the codec
//! frames each one for the wire (`application/vnd.amazon.eventstream`).

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;

/// The events themselves, boxed.
pub type Events<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// The events of one response, taken once by whoever writes them.
pub struct EventStream<T> {
    events: Arc<Mutex<Option<Events<T>>>>,
}

impl<T: Send + 'static> EventStream<T> {
    pub fn new(events: impl Stream<Item = T> + Send + 'static) -> Self {
        EventStream {
            events: Arc::new(Mutex::new(Some(Box::pin(events)))),
        }
    }

    /// Events known up front.
    pub fn of(events: Vec<T>) -> Self {
        EventStream::new(Listed(events.into_iter()))
    }

    /// A stream fed through the sender as events happen; it ends when the
    /// sender is dropped.
    pub fn channel(capacity: usize) -> (mpsc::Sender<T>, Self) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (sender, EventStream::new(Received(receiver)))
    }

    /// The events, for the one writer (`None` once taken).
    pub fn take(&self) -> Option<Events<T>> {
        self.events.lock().ok().and_then(|mut events| events.take())
    }
}

/// Handles share their events: cloning the output keeps one stream.
impl<T> Clone for EventStream<T> {
    fn clone(&self) -> Self {
        EventStream {
            events: Arc::clone(&self.events),
        }
    }
}

impl<T> fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventStream(..)")
    }
}

/// Two handles are equal when they share their events.
impl<T> PartialEq for EventStream<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.events, &other.events)
    }
}

struct Listed<T>(std::vec::IntoIter<T>);

impl<T> Stream for Listed<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        // Unpin: the iterator owns plain values.
        Poll::Ready(self.get_mut().0.next())
    }
}

impl<T> Unpin for Listed<T> {}

struct Received<T>(mpsc::Receiver<T>);

impl<T> Stream for Received<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().0.poll_recv(cx)
    }
}

impl<T> Unpin for Received<T> {}
