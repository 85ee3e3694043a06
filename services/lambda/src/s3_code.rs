//! Deployment packages from S3 (Code.S3Bucket/S3Key/S3ObjectVersion), read
//! through S3's own GetObject as the function's owner; what S3 answers
//! instead is reported as Lambda reports it.

use bytes::{Bytes, BytesMut};
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::errors;

use crate::Lambda;

/// The largest package Lambda takes from S3 (50 MB zipped... and S3 allows
/// up to 250 MB unzipped): what nimbus reads at most.
const MAX_PACKAGE: usize = 262_144_000;

/// Where a request says its package is.
pub struct S3Location<'a> {
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    pub version: Option<&'a str>,
}

impl Lambda {
    /// The package a request carries: its ZipFile, or the S3 object it names.
    pub(crate) async fn package(
        &self,
        ctx: &RequestContext,
        zip: Option<&Bytes>,
        s3: S3Location<'_>,
    ) -> Result<Bytes, AwsError> {
        match (zip, s3.bucket, s3.key) {
            (Some(zip), None, None) => Ok(zip.clone()),
            (None, Some(bucket), Some(key)) => self.fetch_package(ctx, bucket, key, s3.version).await,
            (None, None, None) => Err(errors::invalid_parameter_value(
                "Please provide a source for function code.",
            )),
            _ => Err(errors::invalid_parameter_value(
                "Please do not provide other FunctionCode parameters when providing a ZipFile, or provide both \
                 S3Bucket and S3Key.",
            )),
        }
    }

    async fn fetch_package(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<Bytes, AwsError> {
        let s3 = self.objects.get().ok_or_else(|| {
            errors::invalid_parameter_value("nimbus has no S3 service to read the package from")
        })?;
        let s3_ctx = RequestContext::internal("s3", "GetObject", &ctx.account_id, &ctx.region);
        let input = nimbus_s3_api::GetObjectRequest {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: version.map(str::to_owned),
            ..Default::default()
        };
        let output = s3.get_object(&s3_ctx, input).await.map_err(|error| {
            errors::invalid_parameter_value(format!(
                "Error occurred while GetObject. S3 Error Code: {}. S3 Error Message: {}",
                error.code, error.message
            ))
        })?;
        let Some(body) = output.body else {
            return Ok(Bytes::new());
        };
        let body = match body.into_bytes() {
            Ok(bytes) => return Ok(bytes),
            Err(stream) => stream,
        };
        let mut reader = body.into_reader();
        let mut package = BytesMut::new();
        while let Some(chunk) = reader.next_chunk().await {
            let chunk = chunk.map_err(|e| AwsError::internal(format!("reading the package from S3: {e}")))?;
            if package.len() + chunk.len() > MAX_PACKAGE {
                return Err(errors::invalid_parameter_value(format!(
                    "Unzipped size must be smaller than {MAX_PACKAGE} bytes"
                )));
            }
            package.extend_from_slice(&chunk);
        }
        Ok(package.freeze())
    }
}
