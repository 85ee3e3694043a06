//! NextToken for the List* operations: the last key of the page, opaque to
//! clients (base64), so the next page is a scan after that key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nimbus_core::AwsError;

use crate::errors::invalid_parameter;

/// Items per page of ListTopics, ListSubscriptions and ListSubscriptionsByTopic.
pub const PAGE_SIZE: usize = 100;

pub fn encode(last_key: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(last_key)
}

pub fn decode(token: Option<&str>) -> Result<Option<Vec<u8>>, AwsError> {
    match token {
        None => Ok(None),
        Some(token) => URL_SAFE_NO_PAD
            .decode(token)
            .map(Some)
            .map_err(|_| invalid_parameter("NextToken")),
    }
}
