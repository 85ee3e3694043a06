//! How services' values become bytes: JSON through serde.
//!
//! JSON is self-describing, so a service can add an optional field to a
//! stored struct (`#[serde(default)]`) without a schema bump, and a stored
//! value can be read by eye when debugging. It is already compiled for the
//! protocol layer, so it costs nothing extra to build.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;

pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    Ok(serde_json::from_slice(bytes)?)
}
