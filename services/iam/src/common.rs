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

/// One page of a listing in name order (names compared without regard to
/// case, as IAM orders them): items after `marker`, at most `max_items`
/// (100 by default, as IAM), and the marker of the next page.
pub fn page<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> String,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    // Lower-cased name, then the name itself: a total order, so a marker
    // names one place even when names differ only in case (the space sorts
    // before every character IAM names may hold).
    let key = |item: &T| {
        let name = name(item);
        format!("{} {name}", name.to_lowercase())
    };
    let mut keyed: Vec<(String, T)> = items.into_iter().map(|item| (key(&item), item)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(marker) = marker {
        // Markers are the keys above ("<lower> <name>"): anything else was
        // not given by a listing.
        let valid = marker
            .split_once(' ')
            .is_some_and(|(lower, name)| name.to_lowercase() == lower);
        if !valid {
            return Err(AwsError::new("ValidationError", "Invalid Marker.", 400));
        }
        keyed.retain(|(key, _)| key.as_str() > marker);
    }
    cut(keyed, max_items)
}

/// The first `max_items` (100 by default, as IAM) of keyed items, and the
/// next page's marker (the last key taken) when more remain.
fn cut<T>(mut items: Vec<(String, T)>, max_items: Option<i32>) -> Result<(Vec<T>, Option<String>), AwsError> {
    let max = match max_items {
        None => 100,
        Some(n) if (1..=1000).contains(&n) => n as usize,
        Some(_) => return Err(errors::invalid_input("MaxItems must be between 1 and 1000")),
    };
    let more = items.len() > max;
    items.truncate(max);
    let next = if more {
        items.last().map(|(key, _)| key.clone())
    } else {
        None
    };
    Ok((items.into_iter().map(|(_, item)| item).collect(), next))
}

/// One page of a listing kept in its own order (newest version first, tags
/// as given): items after the one whose key is `marker`.
pub fn page_in_order<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match marker {
        Some(marker) => match items.iter().position(|item| key(item) == marker) {
            Some(found) => found + 1,
            None => return Err(errors::invalid_input("Invalid Marker.")),
        },
        None => 0,
    };
    let keyed: Vec<(String, T)> = items
        .into_iter()
        .skip(start)
        .map(|item| (key(&item), item))
        .collect();
    cut(keyed, max_items)
}
