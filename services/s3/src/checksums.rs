//! ETags (MD5), Content-MD5 and the flexible checksums S3 stores.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::Digest;
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
#[cfg(test)]
pub fn of(algorithm: &str, bytes: &[u8]) -> Option<String> {
    let mut running = Running::new(algorithm)?;
    running.update(bytes);
    Some(running.finish())
}

/// Hex MD5, the ETag of a single-part object (unquoted).
#[cfg(test)]
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&md5::Md5::digest(bytes))
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

/// Checks a Content-MD5 header against the MD5 (`digest`) of the body.
pub fn check_content_md5(content_md5: Option<&str>, digest: &[u8]) -> Result<(), AwsError> {
    let Some(given) = content_md5 else {
        return Ok(());
    };
    let decoded = BASE64.decode(given.trim()).unwrap_or_default();
    if decoded.len() != 16 {
        return Err(
            errors::invalid_digest("The Content-MD5 you specified was invalid.")
                .with_field("Content-MD5", given),
        );
    }
    if decoded.as_slice() != digest {
        return Err(
            errors::bad_digest("The Content-MD5 you specified did not match what we received.")
                .with_field("ExpectedDigest", given)
                .with_field("CalculatedDigest", BASE64.encode(digest)),
        );
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

    /// What can be checked before the body arrives (one checksum given at
    /// most, agreeing with the algorithm named), and the algorithm to compute
    /// while it passes. `trailing` is the algorithm of a checksum announced
    /// as a trailer of the body.
    pub fn algorithm_to_compute(&self, trailing: Option<&str>) -> Result<Option<String>, AwsError> {
        let given = self.given();
        if given.len() > 1 {
            return Err(errors::invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        let named = given
            .first()
            .map(|(algorithm, _)| (*algorithm).to_owned())
            .or_else(|| trailing.map(str::to_ascii_uppercase));
        if let Some(named) = &named
            && let Some(requested) = self.algorithm
            && !requested.eq_ignore_ascii_case(named)
        {
            return Err(errors::invalid_request(format!(
                "Value for x-amz-checksum-{} header is invalid.",
                requested.to_ascii_lowercase()
            )));
        }
        let Some(algorithm) = named.or_else(|| self.algorithm.map(str::to_ascii_uppercase)) else {
            return Ok(None);
        };
        if !ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(errors::invalid_request(format!(
                "Checksum algorithm {algorithm} is not supported."
            )));
        }
        Ok(Some(algorithm))
    }

    /// After the body: a given (or trailing) checksum must match the one
    /// `computed` with `algorithm`; says what to store.
    pub fn conclude(
        &self,
        algorithm: Option<&str>,
        computed: Option<String>,
        trailing_value: Option<&str>,
    ) -> Result<Option<StoredChecksum>, AwsError> {
        let Some(algorithm) = algorithm else {
            return Ok(None);
        };
        let computed = computed.unwrap_or_default();
        let expected = self.given().first().map(|(_, value)| *value).or(trailing_value);
        if expected.is_some_and(|expected| expected != computed) {
            return Err(errors::bad_digest(&format!(
                "x-amz-checksum-{}",
                algorithm.to_ascii_lowercase()
            )));
        }
        Ok(Some(StoredChecksum {
            algorithm: algorithm.to_owned(),
            value: computed,
            kind: "FULL_OBJECT".to_owned(),
        }))
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
    use md5::Md5;

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

    fn requested<'a>(algorithm: Option<&'a str>, crc32: Option<&'a str>) -> Requested<'a> {
        Requested {
            algorithm,
            crc32,
            crc32c: None,
            crc64nvme: None,
            sha1: None,
            sha256: None,
        }
    }

    #[test]
    fn checksums_are_planned_before_the_body_and_checked_after() {
        let hello = of("CRC32", b"hello");
        // Given as a header: computed with its algorithm, then compared.
        let given = requested(None, Some("NhCmhg=="));
        let algorithm = given.algorithm_to_compute(None).unwrap();
        assert_eq!(algorithm.as_deref(), Some("CRC32"));
        assert!(
            given
                .conclude(Some("CRC32"), hello.clone(), None)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            given
                .conclude(Some("CRC32"), of("CRC32", b"other"), None)
                .unwrap_err()
                .code,
            "BadDigest"
        );
        // Announced as a trailer: its value is known only at the end.
        let trailing = requested(Some("crc32"), None);
        assert_eq!(
            trailing.algorithm_to_compute(Some("crc32")).unwrap().as_deref(),
            Some("CRC32")
        );
        assert_eq!(
            trailing
                .conclude(Some("CRC32"), hello, Some("AAAAAA=="))
                .unwrap_err()
                .code,
            "BadDigest"
        );
        // A trailer of another algorithm than the one named, or an unknown one.
        assert_eq!(
            requested(Some("SHA256"), None)
                .algorithm_to_compute(Some("crc32"))
                .unwrap_err()
                .code,
            "InvalidRequest"
        );
        assert_eq!(
            requested(Some("MD4"), None)
                .algorithm_to_compute(None)
                .unwrap_err()
                .code,
            "InvalidRequest"
        );
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
