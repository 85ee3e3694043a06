//! Small pieces every IAM handler uses: ARNs, times, documents on the wire,
//! path filters and pagination.

use nimbus_core::{AwsError, Timestamp};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::errors;

/// `arn:aws:iam::<account>:<kind>/<path-less-slash><name>`.
pub fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

pub fn timestamp(millis: i64) -> Timestamp {
    Timestamp::from_epoch_millis(millis)
}

/// What RFC 3986 leaves unescaped: IAM returns policy documents
/// URL-encoded this way (botocore decodes them).
const DOCUMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode_document(document: &str) -> String {
    utf8_percent_encode(document, DOCUMENT).to_string()
}

/// The path given, or `/`.
pub fn path_or_root(path: Option<String>) -> String {
    path.unwrap_or_else(|| "/".to_owned())
}

/// Whether an entity's path falls under a `PathPrefix` filter.
pub fn under_prefix(path: &str, prefix: Option<&str>) -> bool {
    prefix.is_none_or(|prefix| path.starts_with(prefix))
}

/// One page of a listing in name order: items after `marker`, at most
/// `max_items` (100 by default, as IAM), and the marker of the next page.
pub fn page<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> String,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let max = match max_items {
        None => 100,
        Some(n) if (1..=1000).contains(&n) => n as usize,
        Some(_) => return Err(errors::invalid_input("MaxItems must be between 1 and 1000")),
    };
    let mut rest: Vec<T> = match marker {
        Some(marker) => items
            .into_iter()
            .filter(|item| name(item).to_lowercase().as_str() > marker)
            .collect(),
        None => items,
    };
    if rest.len() <= max {
        return Ok((rest, None));
    }
    rest.truncate(max);
    let next = rest.last().map(|item| name(item).to_lowercase());
    Ok((rest, next))
}
