//! The `smithy-rpc-v2-cbor` protocol.
