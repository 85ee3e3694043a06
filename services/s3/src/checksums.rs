//! ETags (MD5), Content-MD5 and the flexible checksums S3 stores.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};
use nimbus_core::AwsError;

use crate::errors;
use crate::records::StoredChecksum;

/// The algorithms S3 computes and stores (the newer xxhash/MD5/SHA512
/// checksums are refused as unsupported).
pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

/// One running flexible checksum.
pub enum Running {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Running {
    pub fn new(algorithm: &str) -> Option<Running> {
        Some(match algorithm {
            "CRC32" => Running::Crc32(crc32fast::Hasher::new()),
            "CRC32C" => Running::Crc32c(0),
            "CRC64NVME" => Running::Crc64Nvme(crc64fast_nvme::Digest::new()),
            "SHA1" => Running::Sha1(sha1::Sha1::new()),
            "SHA256" => Running::Sha256(sha2::Sha256::new()),
            _ => return None,
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Running::Crc32(h) => h.update(bytes),
            Running::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, bytes),
            Running::Crc64Nvme(h) => h.write(bytes),
            Running::Sha1(h) => h.update(bytes),
            Running::Sha256(h) => h.update(bytes),
        }
    }

    /// The raw digest bytes (big-endian for CRCs), as S3 base64-encodes them.
    pub fn finish_bytes(self) -> Vec<u8> {
        match self {
            Running::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Running::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            Running::Crc64Nvme(h) => h.sum64().to_be_bytes().to_vec(),
            Running::Sha1(h) => h.finalize().to_vec(),
            Running::Sha256(h) => h.finalize().to_vec(),
        }
    }

    pub fn finish(self) -> String {
        BASE64.encode(self.finish_bytes())
    }
}

/// The checksum of `bytes` with `algorithm`, base64-encoded.
pub fn of(algorithm: &str, bytes: &[u8]) -> Option<String> {
    let mut running = Running::new(algorithm)?;
    running.update(bytes);
    Some(running.finish())
}

/// Hex MD5, the ETag of a single-part object (unquoted).
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The MD5 of a body, off the async workers when the body is large (MD5
/// runs well under 1 GB/s, so a big body would stall other requests).
pub async fn md5_of(body: &bytes::Bytes) -> Result<Vec<u8>, AwsError> {
    if body.len() < 1024 * 1024 {
        return Ok(Md5::digest(body).to_vec());
    }
    let body = body.clone();
    tokio::task::spawn_blocking(move || Md5::digest(&body).to_vec())
        .await
        .map_err(|e| AwsError::internal(format!("MD5 task failed: {e}")))
}

/// Checks a Content-MD5 header against the MD5 (`digest`) of the body.
pub fn check_content_md5(content_md5: Option<&str>, digest: &[u8]) -> Result<(), AwsError> {
    let Some(given) = content_md5 else {
        return Ok(());
    };
    let decoded = BASE64.decode(given.trim()).unwrap_or_default();
    if decoded.len() != 16 {
        return Err(
            AwsError::new("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
                .with_field("Content-MD5", given),
        );
    }
    if decoded.as_slice() != digest {
        return Err(AwsError::new(
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            400,
        )
        .with_field("ExpectedDigest", given)
        .with_field("CalculatedDigest", BASE64.encode(digest)));
    }
    Ok(())
}

/// The flexible checksum a request gave (algorithm, value), one at most.
pub struct Requested<'a> {
    pub algorithm: Option<&'a str>,
    pub crc32: Option<&'a str>,
    pub crc32c: Option<&'a str>,
    pub crc64nvme: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub sha256: Option<&'a str>,
}

impl Requested<'_> {
    fn given(&self) -> Vec<(&'static str, &str)> {
        [
            ("CRC32", self.crc32),
            ("CRC32C", self.crc32c),
            ("CRC64NVME", self.crc64nvme),
            ("SHA1", self.sha1),
            ("SHA256", self.sha256),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }

    /// Verifies a given checksum against the body and says what to store:
    /// the given one, or the one computed for a requested algorithm.
    pub fn verify(&self, body: &[u8]) -> Result<Option<StoredChecksum>, AwsError> {
        let given = self.given();
        if given.len() > 1 {
            return Err(errors::invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        if let Some((algorithm, value)) = given.first() {
            if let Some(requested) = self.algorithm
                && !requested.eq_ignore_ascii_case(algorithm)
            {
                return Err(errors::invalid_request(format!(
                    "Value for x-amz-checksum-{} header is invalid.",
                    requested.to_ascii_lowercase()
                )));
            }
            let computed = of(algorithm, body).unwrap_or_default();
            if computed != *value {
                return Err(errors::bad_digest(&format!(
                    "x-amz-checksum-{}",
                    algorithm.to_ascii_lowercase()
                )));
            }
            return Ok(Some(StoredChecksum {
                algorithm: (*algorithm).to_owned(),
                value: computed,
                kind: "FULL_OBJECT".to_owned(),
            }));
        }
        match self.algorithm {
            None => Ok(None),
            Some(algorithm) => {
                let algorithm = algorithm.to_ascii_uppercase();
                let value = of(&algorithm, body).ok_or_else(|| {
                    errors::invalid_request(format!("Checksum algorithm {algorithm} is not supported."))
                })?;
                Ok(Some(StoredChecksum {
                    algorithm,
                    value,
                    kind: "FULL_OBJECT".to_owned(),
                }))
            }
        }
    }
}

/// A checksum as the five output members S3 responses carry.
#[derive(Default)]
pub struct Members {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub crc64nvme: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub kind: Option<String>,
}

pub fn members(checksum: Option<&StoredChecksum>) -> Members {
    let mut members = Members::default();
    let Some(checksum) = checksum else {
        return members;
    };
    let value = Some(checksum.value.clone());
    match checksum.algorithm.as_str() {
        "CRC32" => members.crc32 = value,
        "CRC32C" => members.crc32c = value,
        "CRC64NVME" => members.crc64nvme = value,
        "SHA1" => members.sha1 = value,
        "SHA256" => members.sha256 = value,
        _ => return members,
    }
    members.kind = Some(checksum.kind.clone());
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_checksums_of_hello() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(of("CRC32", b"hello").as_deref(), Some("NhCmhg=="));
        assert_eq!(
            of("SHA256", b"").as_deref(),
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        );
        assert!(of("MD4", b"").is_none());
    }

    #[test]
    fn content_md5_mismatch_is_bad_digest() {
        let good = BASE64.encode(Md5::digest(b"abc"));
        let abc = Md5::digest(b"abc").to_vec();
        let abd = Md5::digest(b"abd").to_vec();
        assert!(check_content_md5(Some(&good), &abc).is_ok());
        assert_eq!(
            check_content_md5(Some(&good), &abd).unwrap_err().code,
            "BadDigest"
        );
        assert_eq!(
            check_content_md5(Some("nope"), &abd).unwrap_err().code,
            "InvalidDigest"
        );
    }
}
