//! Helpers shared by the golden-vector test (`tests/golden.rs`) and the wire
//! bridge (`examples/wire.rs`): loading botocore's protocol test cases,
//! turning their parameters into [`nimbus_protocol::Value`]s, comparing
//! values the way the cases mean them, and the skip list.
//!
//! Each consumer uses only part of this, hence the `dead_code` allowance at
//! the `mod` declarations.

pub mod compare;
pub mod exchange;
pub mod params;
pub mod skips;
pub mod value_json;
pub mod vectors;
