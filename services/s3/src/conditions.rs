//! Conditional requests (If-Match and friends) and byte ranges.

use nimbus_core::{AwsError, Timestamp};

use crate::errors;
use crate::records::ObjectRecord;

/// The four conditional headers of a GET, HEAD or copy source.
#[derive(Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<Timestamp>,
    pub if_unmodified_since: Option<Timestamp>,
}

/// What a read does after its conditions are evaluated.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    /// 304 Not Modified (GET/HEAD only; a copy source answers 412 instead).
    NotModified,
}

/// Whether `header` (a list of ETags, or `*`) names `etag`.
pub fn etag_matches(header: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    header.split(',').map(str::trim).any(|candidate| {
        let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
        candidate == "*" || candidate.trim_matches('"') == bare
    })
}

/// HTTP dates have whole seconds; Last-Modified is compared at that precision.
fn modified_after(object: &ObjectRecord, since: Timestamp) -> bool {
    object.last_modified.seconds > since.seconds
}

impl Conditions<'_> {
    /// Evaluates the conditions as S3 does (RFC 7232 order): a failed
    /// If-Match, or If-Unmodified-Since without If-Match, is 412; a matching
    /// If-None-Match, or If-Modified-Since without If-None-Match, is 304.
    pub fn evaluate(&self, object: &ObjectRecord) -> Result<Verdict, AwsError> {
        if let Some(if_match) = self.if_match {
            if !etag_matches(if_match, &object.etag) {
                return Err(errors::precondition_failed("If-Match"));
            }
        } else if let Some(since) = self.if_unmodified_since
            && modified_after(object, since)
        {
            return Err(errors::precondition_failed("If-Unmodified-Since"));
        }
        if let Some(if_none_match) = self.if_none_match {
            if etag_matches(if_none_match, &object.etag) {
                return Ok(Verdict::NotModified);
            }
        } else if let Some(since) = self.if_modified_since
            && !modified_after(object, since)
        {
            return Ok(Verdict::NotModified);
        }
        Ok(Verdict::Proceed)
    }

    /// A copy source's conditions: every failure is 412.
    pub fn evaluate_copy_source(&self, object: &ObjectRecord) -> Result<(), AwsError> {
        match self.evaluate(object)? {
            Verdict::Proceed => Ok(()),
            Verdict::NotModified if self.if_none_match.is_some() => {
                Err(errors::precondition_failed("x-amz-copy-source-If-None-Match"))
            }
            Verdict::NotModified => Err(errors::precondition_failed("x-amz-copy-source-If-Modified-Since")),
        }
    }
}

/// A satisfiable byte range: `start..=end`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{size}", self.start, self.end)
    }
}

/// Resolves a Range header against an object of `size` bytes. A header S3
/// does not understand (another unit, several ranges, bad syntax) is
/// ignored, as S3 ignores it; a well-formed range outside the object is
/// 416 InvalidRange.
pub fn resolve_range(header: &str, size: u64) -> Result<Option<ByteRange>, AwsError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |text: &str| text.parse::<u64>().ok();
    let range = match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => {
            let Some(suffix) = parse(last) else {
                return Ok(None);
            };
            if suffix == 0 || size == 0 {
                return Err(errors::invalid_range(header, size));
            }
            ByteRange {
                start: size.saturating_sub(suffix),
                end: size - 1,
            }
        }
        // bytes=N-: from N to the end.
        (false, true) => {
            let Some(start) = parse(first) else {
                return Ok(None);
            };
            if start >= size {
                return Err(errors::invalid_range(header, size));
            }
            ByteRange { start, end: size - 1 }
        }
        (false, false) => {
            let (Some(start), Some(end)) = (parse(first), parse(last)) else {
                return Ok(None);
            };
            if end < start {
                return Ok(None);
            }
            if start >= size {
                return Err(errors::invalid_range(header, size));
            }
            ByteRange {
                start,
                end: end.min(size - 1),
            }
        }
        (true, true) => return Ok(None),
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(etag: &str, seconds: i64) -> ObjectRecord {
        ObjectRecord {
            etag: format!("\"{etag}\""),
            last_modified: Timestamp { seconds, nanos: 5 },
            ..ObjectRecord::default()
        }
    }

    #[test]
    fn ranges_resolve_like_s3() {
        let r = |h: &str| resolve_range(h, 10);
        assert_eq!(r("bytes=0-4").unwrap(), Some(ByteRange { start: 0, end: 4 }));
        assert_eq!(r("bytes=5-").unwrap(), Some(ByteRange { start: 5, end: 9 }));
        assert_eq!(r("bytes=-3").unwrap(), Some(ByteRange { start: 7, end: 9 }));
        assert_eq!(r("bytes=-30").unwrap(), Some(ByteRange { start: 0, end: 9 }));
        assert_eq!(r("bytes=8-100").unwrap(), Some(ByteRange { start: 8, end: 9 }));
        assert_eq!(r("bytes=0-1,3-4").unwrap(), None);
        assert_eq!(r("items=0-1").unwrap(), None);
        assert_eq!(r("bytes=10-").unwrap_err().status, 416);
        assert_eq!(r("bytes=-0").unwrap_err().code, "InvalidRange");
        assert_eq!(resolve_range("bytes=0-", 0).unwrap_err().status, 416);
    }

    #[test]
    fn conditions_follow_rfc_order() {
        let o = object("abc", 100);
        let c = Conditions {
            if_match: Some("\"abc\""),
            if_unmodified_since: Some(Timestamp {
                seconds: 50,
                nanos: 0,
            }),
            ..Conditions::default()
        };
        assert_eq!(c.evaluate(&o).unwrap(), Verdict::Proceed);
        let c = Conditions {
            if_match: Some("\"xyz\""),
            ..Conditions::default()
        };
        assert_eq!(c.evaluate(&o).unwrap_err().status, 412);
        let c = Conditions {
            if_none_match: Some("abc"),
            ..Conditions::default()
        };
        assert_eq!(c.evaluate(&o).unwrap(), Verdict::NotModified);
        let c = Conditions {
            if_modified_since: Some(Timestamp {
                seconds: 100,
                nanos: 0,
            }),
            ..Conditions::default()
        };
        assert_eq!(c.evaluate(&o).unwrap(), Verdict::NotModified);
        assert!(c.evaluate_copy_source(&o).is_err());
        let c = Conditions {
            if_unmodified_since: Some(Timestamp {
                seconds: 99,
                nanos: 0,
            }),
            ..Conditions::default()
        };
        assert_eq!(c.evaluate(&o).unwrap_err().code, "PreconditionFailed");
    }
}
