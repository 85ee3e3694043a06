//! The `application/vnd.amazon.eventstream` framing of an output's event
//! stream: each event one message of a prelude (total and headers
//! lengths, their CRC32), string headers (`:message-type`, `:event-type`,
//! `:content-type`), the payload, and the CRC32 of all before it.
//! Generated code says what each typed event becomes ([`Frame`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use nimbus_core::stream::Stream;
use nimbus_core::{ByteStream, EventStream};
use serde::Serialize;

/// The content type of an event-stream body.
pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// One event as the wire carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The union member's name (`PayloadChunk`).
    pub event_type: &'static str,
    pub content_type: &'static str,
    pub payload: Bytes,
}

impl Frame {
    /// An event whose payload member is a blob: its bytes as they are.
    pub fn raw(event_type: &'static str, payload: Bytes) -> Self {
        Frame {
            event_type,
            content_type: "application/octet-stream",
            payload,
        }
    }

    /// An event written whole as a JSON document.
    pub fn json(event_type: &'static str, event: &impl Serialize) -> Self {
        Frame {
            event_type,
            content_type: "application/json",
            payload: serde_json::to_vec(event).map(Bytes::from).unwrap_or_default(),
        }
    }

    /// The binary message.
    pub fn encode(&self) -> Bytes {
        let headers = [
            (":event-type", self.event_type),
            (":content-type", self.content_type),
            (":message-type", "event"),
        ];
        let mut encoded_headers = BytesMut::new();
        for (name, value) in headers {
            encoded_headers.put_u8(name.len() as u8);
            encoded_headers.put_slice(name.as_bytes());
            // Header value type 7: a string with a 16-bit length.
            encoded_headers.put_u8(7);
            encoded_headers.put_u16(value.len() as u16);
            encoded_headers.put_slice(value.as_bytes());
        }
        let total = 12 + encoded_headers.len() + self.payload.len() + 4;
        let mut message = BytesMut::with_capacity(total);
        message.put_u32(total as u32);
        message.put_u32(encoded_headers.len() as u32);
        let prelude_crc = crc32fast::hash(&message[..8]);
        message.put_u32(prelude_crc);
        message.put_slice(&encoded_headers);
        message.put_slice(&self.payload);
        let message_crc = crc32fast::hash(&message);
        message.put_u32(message_crc);
        message.freeze()
    }
}

/// The body of an event stream: each event framed as it comes.
pub fn framed<T: Send + 'static>(events: EventStream<T>, frame: fn(&T) -> Frame) -> ByteStream {
    match events.take() {
        Some(events) => ByteStream::new(Framed { events, frame }, None),
        None => ByteStream::from_bytes(Bytes::new()),
    }
}

struct Framed<T> {
    events: Pin<Box<dyn Stream<Item = T> + Send>>,
    frame: fn(&T) -> Frame,
}

impl<T> Stream for Framed<T> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.events
            .as_mut()
            .poll_next(cx)
            .map(|event| event.map(|event| Ok((this.frame)(&event).encode())))
    }
}

impl<T> Unpin for Framed<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(bytes: &[u8]) -> u32 {
        u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }

    #[test]
    fn a_message_has_its_lengths_headers_payload_and_checksums() {
        let encoded = Frame::raw("PayloadChunk", Bytes::from_static(b"hi")).encode();
        let total = word(&encoded[0..4]) as usize;
        let headers = word(&encoded[4..8]) as usize;
        assert_eq!(total, encoded.len());
        assert_eq!(word(&encoded[8..12]), crc32fast::hash(&encoded[..8]));
        assert_eq!(&encoded[12 + headers..total - 4], b"hi");
        assert_eq!(
            word(&encoded[total - 4..]),
            crc32fast::hash(&encoded[..total - 4])
        );
        let header_block = &encoded[12..12 + headers];
        assert_eq!(header_block[0] as usize, ":event-type".len());
        assert_eq!(&header_block[1..12], b":event-type");
        assert_eq!(header_block[12], 7);
        assert_eq!(&header_block[15..27], b"PayloadChunk");
    }
}
