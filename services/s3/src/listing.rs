//! ListObjects (v1 and v2) and ListObjectVersions: prefix scans that fold
//! keys under a delimiter into common prefixes and skip past each folded
//! group, so a page costs its own size, not the bucket's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN;
use nimbus_core::AwsError;
use nimbus_store::{Entry, TableRef};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::records::{self, ObjectRecord};
use crate::{S3, acl, errors};
use nimbus_s3_api::*;

/// What `encoding-type=url` leaves alone (as S3 does): unreserved characters and `/`.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// One row of a listing page.
pub(crate) enum Row {
    Entry(Entry),
    CommonPrefix(String),
}

/// A page of a prefix scan.
pub(crate) struct Page {
    pub rows: Vec<Row>,
    pub truncated: bool,
}

/// Scans `base ++ prefix` (keys after `after`, a full store key), folding
/// object keys under `delimiter`. `object_key` names the object a store key
/// belongs to (the versions scan has a suffix after it).
pub(crate) fn scan_page(
    table: &TableRef,
    base: &[u8],
    prefix: &str,
    delimiter: Option<&str>,
    mut after: Option<Vec<u8>>,
    max: usize,
    object_key: fn(&[u8]) -> &[u8],
) -> Result<Page, AwsError> {
    let mut scan_prefix = base.to_vec();
    scan_prefix.extend_from_slice(prefix.as_bytes());
    let mut rows = Vec::new();
    let delimiter = delimiter.filter(|d| !d.is_empty());
    // A marker that is itself a common prefix (or inside one) resumes past
    // that whole group, so a page never repeats the prefix it ended on.
    let marker: Option<Vec<u8>> = after
        .as_ref()
        .map(|a| object_key(&a[base.len().min(a.len())..]).to_vec());
    'restart: loop {
        for entry in table.scan_after(&scan_prefix, after.as_deref())? {
            let entry = entry?;
            let key = object_key(&entry.key[base.len()..]);
            let folded = delimiter.and_then(|delimiter| {
                let rest = &key[prefix.len()..];
                let at = find(rest, delimiter.as_bytes())?;
                Some(String::from_utf8_lossy(&key[..prefix.len() + at + delimiter.len()]).into_owned())
            });
            if rows.len() == max {
                return Ok(Page {
                    rows,
                    truncated: true,
                });
            }
            match folded {
                Some(common) if marker.as_ref().is_some_and(|m| m.starts_with(common.as_bytes())) => {
                    let mut next = base.to_vec();
                    next.extend_from_slice(common.as_bytes());
                    next.push(0xFF);
                    after = Some(next);
                    continue 'restart;
                }
                Some(common) => {
                    // Skip every key under this common prefix: no UTF-8 key has byte 0xFF.
                    let mut next = base.to_vec();
                    next.extend_from_slice(common.as_bytes());
                    next.push(0xFF);
                    rows.push(Row::CommonPrefix(common));
                    after = Some(next);
                    continue 'restart;
                }
                None => rows.push(Row::Entry(entry)),
            }
        }
        return Ok(Page {
            rows,
            truncated: false,
        });
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn whole_key(key: &[u8]) -> &[u8] {
    key
}

/// A version key without its `\0<sequence>` suffix.
pub(crate) fn versioned_key(key: &[u8]) -> &[u8] {
    match key.iter().rposition(|b| *b == 0) {
        Some(at) => &key[..at],
        None => key,
    }
}

fn max_keys(requested: Option<i32>) -> Result<usize, AwsError> {
    match requested {
        Some(n) if n < 0 => Err(errors::invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
            "maxKeys",
            &n.to_string(),
        )),
        Some(n) => Ok((n as usize).min(1000)),
        None => Ok(1000),
    }
}

fn check_encoding(encoding: Option<&str>) -> Result<bool, AwsError> {
    match encoding {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(errors::invalid_argument(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            other,
        )),
    }
}

/// Encodes a key for `encoding-type=url` responses.
struct Encoder(bool);

impl Encoder {
    fn text(&self, text: &str) -> String {
        if self.0 {
            utf8_percent_encode(text, KEY_ENCODE).to_string()
        } else {
            text.to_owned()
        }
    }

    fn opt(&self, text: Option<&str>) -> Option<String> {
        text.map(|t| self.text(t))
    }
}

fn object_row(record: &ObjectRecord, encoder: &Encoder, owner: Option<Owner>) -> Object {
    Object {
        key: Some(encoder.text(&record.key)),
        last_modified: Some(record.last_modified),
        e_tag: Some(record.etag.clone()),
        checksum_algorithm: record.checksum.as_ref().map(|c| vec![c.algorithm.clone()]),
        checksum_type: record.checksum.as_ref().map(|c| c.kind.clone()),
        size: Some(record.size as i64),
        storage_class: Some(record.storage_class_or_standard()),
        owner,
        restore_status: None,
    }
}

impl S3 {
    fn open_bucket_listing(&self, bucket: &str) -> Result<(TableRef, records::BucketRecord), AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let record = records::bucket(&table, bucket)?;
        Ok((table, record))
    }

    pub(crate) async fn list_objects(
        &self,
        input: ListObjectsRequest,
    ) -> Result<ListObjectsOutput, AwsError> {
        let encoder = Encoder(check_encoding(input.encoding_type.as_deref())?);
        let max = max_keys(input.max_keys)?;
        let (table, bucket) = self.open_bucket_listing(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let base = records::current_prefix(&input.bucket);
        let after = input
            .marker
            .as_deref()
            .filter(|m| !m.is_empty())
            .map(|m| key_under(&base, m));
        let page = scan_page(
            &table,
            &base,
            &prefix,
            input.delimiter.as_deref(),
            after,
            max,
            whole_key,
        )?;
        let owner = Some(acl::owner(&bucket.account));
        let (contents, common_prefixes, last) = rows_to_objects(page.rows, &encoder, owner)?;
        Ok(ListObjectsOutput {
            is_truncated: Some(page.truncated),
            marker: Some(encoder.text(input.marker.as_deref().unwrap_or(""))),
            next_marker: (page.truncated && input.delimiter.is_some()).then(|| encoder.text(&last)),
            contents: (!contents.is_empty()).then_some(contents),
            name: Some(input.bucket),
            prefix: Some(encoder.text(&prefix)),
            delimiter: encoder.opt(input.delimiter.as_deref()),
            max_keys: Some(max as i32),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            encoding_type: input.encoding_type,
            request_charged: None,
        })
    }

    pub(crate) async fn list_objects_v2(
        &self,
        input: ListObjectsV2Request,
    ) -> Result<ListObjectsV2Output, AwsError> {
        let encoder = Encoder(check_encoding(input.encoding_type.as_deref())?);
        let max = max_keys(input.max_keys)?;
        let (table, bucket) = self.open_bucket_listing(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let base = records::current_prefix(&input.bucket);
        let start = match &input.continuation_token {
            Some(token) => {
                let decoded = TOKEN.decode(token).ok().and_then(|b| String::from_utf8(b).ok());
                Some(decoded.ok_or_else(|| {
                    errors::invalid_argument(
                        "The continuation token provided is incorrect",
                        "continuation-token",
                        token,
                    )
                })?)
            }
            None => input.start_after.clone().filter(|s| !s.is_empty()),
        };
        let after = start.map(|s| key_under(&base, &s));
        let page = scan_page(
            &table,
            &base,
            &prefix,
            input.delimiter.as_deref(),
            after,
            max,
            whole_key,
        )?;
        let owner = input
            .fetch_owner
            .unwrap_or(false)
            .then(|| acl::owner(&bucket.account));
        let (contents, common_prefixes, last) = rows_to_objects(page.rows, &encoder, owner)?;
        let key_count = (contents.len() + common_prefixes.len()) as i32;
        Ok(ListObjectsV2Output {
            is_truncated: Some(page.truncated),
            contents: (!contents.is_empty()).then_some(contents),
            name: Some(input.bucket),
            prefix: Some(encoder.text(&prefix)),
            delimiter: encoder.opt(input.delimiter.as_deref()),
            max_keys: Some(max as i32),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            encoding_type: input.encoding_type,
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            next_continuation_token: page.truncated.then(|| TOKEN.encode(last.as_bytes())),
            start_after: encoder.opt(input.start_after.as_deref()),
            request_charged: None,
        })
    }

    pub(crate) async fn list_object_versions(
        &self,
        input: ListObjectVersionsRequest,
    ) -> Result<ListObjectVersionsOutput, AwsError> {
        let encoder = Encoder(check_encoding(input.encoding_type.as_deref())?);
        let max = max_keys(input.max_keys)?;
        let (table, bucket) = self.open_bucket_listing(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let base = records::versions_prefix(&input.bucket);
        let after = match (
            input.key_marker.as_deref().filter(|k| !k.is_empty()),
            input.version_id_marker.as_deref(),
        ) {
            (None, _) => None,
            (Some(key), Some(version_id)) if !version_id.is_empty() => {
                let found = records::find_version(
                    table.scan(&records::key_versions_prefix(&input.bucket, key))?,
                    version_id,
                )?;
                let (store_key, _) = found.ok_or_else(|| {
                    errors::invalid_argument("Invalid version id specified", "version-id-marker", version_id)
                })?;
                Some(store_key)
            }
            (Some(key), _) => {
                let mut full = records::key_versions_prefix(&input.bucket, key);
                full.push(0xFF);
                Some(full)
            }
        };
        let page = scan_page(
            &table,
            &base,
            &prefix,
            input.delimiter.as_deref(),
            after,
            max,
            versioned_key,
        )?;
        let owner = acl::owner(&bucket.account);
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        let mut common_prefixes = Vec::new();
        let mut last: Option<(String, String)> = None;
        let mut newest_seen: Option<String> = None;
        for row in page.rows {
            match row {
                Row::CommonPrefix(common) => {
                    last = Some((common.clone(), String::new()));
                    common_prefixes.push(CommonPrefix {
                        prefix: Some(encoder.text(&common)),
                    });
                }
                Row::Entry(entry) => {
                    let record: ObjectRecord = entry.decode()?;
                    // The first version of a key in key order is its newest; a page
                    // that starts inside a key's versions is past its newest one.
                    let is_latest = newest_seen.as_deref() != Some(record.key.as_str()) && {
                        let first = table
                            .scan(&records::key_versions_prefix(&input.bucket, &record.key))?
                            .next();
                        match first {
                            Some(first) => first?.key == entry.key,
                            None => false,
                        }
                    };
                    newest_seen = Some(record.key.clone());
                    last = Some((record.key.clone(), record.version_id_text()));
                    if record.delete_marker {
                        markers.push(DeleteMarkerEntry {
                            owner: Some(owner.clone()),
                            key: Some(encoder.text(&record.key)),
                            version_id: Some(record.version_id_text()),
                            is_latest: Some(is_latest),
                            last_modified: Some(record.last_modified),
                        });
                    } else {
                        versions.push(ObjectVersion {
                            e_tag: Some(record.etag.clone()),
                            checksum_algorithm: record.checksum.as_ref().map(|c| vec![c.algorithm.clone()]),
                            checksum_type: record.checksum.as_ref().map(|c| c.kind.clone()),
                            size: Some(record.size as i64),
                            storage_class: Some(record.storage_class_or_standard()),
                            key: Some(encoder.text(&record.key)),
                            version_id: Some(record.version_id_text()),
                            is_latest: Some(is_latest),
                            last_modified: Some(record.last_modified),
                            owner: Some(owner.clone()),
                            restore_status: None,
                        });
                    }
                }
            }
        }
        let (next_key, next_version) = match (page.truncated, last) {
            (true, Some((key, version))) => {
                (Some(encoder.text(&key)), (!version.is_empty()).then_some(version))
            }
            _ => (None, None),
        };
        Ok(ListObjectVersionsOutput {
            is_truncated: Some(page.truncated),
            key_marker: Some(encoder.text(input.key_marker.as_deref().unwrap_or(""))),
            version_id_marker: Some(input.version_id_marker.clone().unwrap_or_default()),
            next_key_marker: next_key,
            next_version_id_marker: next_version,
            versions: (!versions.is_empty()).then_some(versions),
            delete_markers: (!markers.is_empty()).then_some(markers),
            name: Some(input.bucket),
            prefix: Some(encoder.text(&prefix)),
            delimiter: encoder.opt(input.delimiter.as_deref()),
            max_keys: Some(max as i32),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            encoding_type: input.encoding_type,
            request_charged: None,
        })
    }
}

/// Objects and common prefixes of a page, and the last key or prefix (the next marker).
fn rows_to_objects(
    rows: Vec<Row>,
    encoder: &Encoder,
    owner: Option<Owner>,
) -> Result<(Vec<Object>, Vec<CommonPrefix>, String), AwsError> {
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    let mut last = String::new();
    for row in rows {
        match row {
            Row::Entry(entry) => {
                let record: ObjectRecord = entry.decode()?;
                last = record.key.clone();
                contents.push(object_row(&record, encoder, owner.clone()));
            }
            Row::CommonPrefix(common) => {
                prefixes.push(CommonPrefix {
                    prefix: Some(encoder.text(&common)),
                });
                last = common;
            }
        }
    }
    Ok((contents, prefixes, last))
}

/// The store key of `name` under a listing's key prefix `base`.
fn key_under(base: &[u8], name: &str) -> Vec<u8> {
    let mut key = base.to_vec();
    key.extend_from_slice(name.as_bytes());
    key
}
