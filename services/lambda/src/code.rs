//! Deployment packages: a zip checked as Lambda checks it, its SHA-256 (the
//! CodeSha256 Lambda answers, base64), and its files unpacked once per
//! content into the directory an execution environment runs from.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::AwsError;
use nimbus_lambda_api::errors;
use sha2::{Digest, Sha256};

/// Lambda's limit for a package uploaded in the request (50 MB zipped).
pub const MAX_ZIP_BYTES: usize = 50 * 1024 * 1024;
/// Lambda's limit for the unpacked package (250 MB).
const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// A package that unzips, with its digests.
pub struct Package {
    pub sha256_base64: String,
    pub sha256_hex: String,
    pub size: i64,
}

fn unzip_error() -> AwsError {
    errors::invalid_parameter_value(
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )
}

/// Checks that `zip` is a zip Lambda could unpack, within its limits.
pub fn inspect(zip: &[u8]) -> Result<Package, AwsError> {
    if zip.len() > MAX_ZIP_BYTES {
        return Err(errors::request_too_large(
            "Request must be smaller than 70167211 bytes for the CreateFunction operation",
        ));
    }
    let archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(|_| unzip_error())?;
    let unzipped: u64 = archive
        .decompressed_size()
        .map_or(0, |size| u64::try_from(size).unwrap_or(u64::MAX));
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(errors::invalid_parameter_value(format!(
            "Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
        )));
    }
    let digest = Sha256::digest(zip);
    Ok(Package {
        sha256_base64: BASE64.encode(digest),
        sha256_hex: digest.iter().map(|b| format!("{b:02x}")).collect(),
        size: i64::try_from(zip.len()).unwrap_or(i64::MAX),
    })
}

/// Where the package of this content is unpacked.
pub fn unpacked_dir(root: &Path, sha256_hex: &str) -> PathBuf {
    root.join("lambda").join("code").join(sha256_hex)
}

/// Unpacks the package once: to a temporary name, then renamed, so a
/// directory that exists is complete.
pub fn unpack(root: &Path, sha256_hex: &str, zip: &[u8]) -> Result<PathBuf, AwsError> {
    let dir = unpacked_dir(root, sha256_hex);
    if dir.is_dir() {
        return Ok(dir);
    }
    let staging = dir.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(|_| unzip_error())?;
    std::fs::create_dir_all(&staging)
        .map_err(|e| AwsError::internal(format!("cannot unpack the function's code: {e}")))?;
    archive.extract(&staging).map_err(|_| unzip_error())?;
    match std::fs::rename(&staging, &dir) {
        Ok(()) => Ok(dir),
        // Another environment unpacked the same content first.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(dir)
        }
        Err(e) => Err(AwsError::internal(format!(
            "cannot unpack the function's code: {e}"
        ))),
    }
}

#[cfg(test)]
pub(crate) fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, text) in files {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
            writer.start_file(*name, options).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_is_inspected_and_unpacked_once() {
        let zip = zip_of(&[("index.py", "def handler(e, c):\n    return 1\n")]);
        let package = inspect(&zip).unwrap();
        assert_eq!(package.size as usize, zip.len());
        assert_eq!(BASE64.decode(&package.sha256_base64).unwrap().len(), 32);
        let root = std::env::temp_dir().join(format!("nimbus-lambda-{}", uuid::Uuid::new_v4()));
        let dir = unpack(&root, &package.sha256_hex, &zip).unwrap();
        assert!(dir.join("index.py").is_file());
        assert_eq!(unpack(&root, &package.sha256_hex, &zip).unwrap(), dir);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn what_is_not_a_zip_is_refused_as_lambda_words_it() {
        let error = inspect(b"not a zip").err().unwrap();
        assert_eq!(error.code, "InvalidParameterValueException");
        assert!(error.message.starts_with("Could not unzip uploaded file."));
    }
}
