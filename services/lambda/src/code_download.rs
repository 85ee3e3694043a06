//! GetFunction's Code.Location: a link to the deployment package, served on
//! nimbus's own address as S3 serves AWS's presigned one. The link names
//! the function's version and carries its package's SHA-256, which stands
//! in for the signature: a link to code that has since changed is refused.

use bytes::Bytes;
use nimbus_core::RequestContext;
use nimbus_lambda_api::UrlResponse;
use nimbus_lambda_api::urls::CODE_PREFIX;

use crate::Lambda;
use crate::names::FunctionRef;
use crate::records::FunctionRecord;

impl Lambda {
    /// Where the package of `record` (a function of `ctx`'s account and
    /// region) can be downloaded.
    pub(crate) fn code_location(&self, ctx: &RequestContext, record: &FunctionRecord) -> String {
        let name = record.config.function_name.as_deref().unwrap_or_default();
        let version = record.config.version.as_deref().unwrap_or("$LATEST");
        format!(
            "{}{CODE_PREFIX}{}/{}/{name}/{version}?code={}",
            self.endpoint, ctx.region, ctx.account_id, record.code_hex
        )
    }

    /// Answers a download of `<region>/<account>/<function>/<version>?code=<sha256>`.
    pub(crate) async fn download(&self, path: &str, query: &str) -> UrlResponse {
        let parts: Vec<&str> = path.split('/').collect();
        let [region, account, name, version] = parts.as_slice() else {
            return refused(404, "NoSuchKey", "The specified key does not exist.");
        };
        let ctx = RequestContext::internal("lambda", "GetFunction", account, region);
        let function = FunctionRef {
            name: (*name).to_owned(),
            qualifier: (*version != "$LATEST" && *version != "%24LATEST").then(|| (*version).to_owned()),
        };
        let Ok(record) = self.load(&ctx, &function).await else {
            return refused(404, "NoSuchKey", "The specified key does not exist.");
        };
        let code = query.split('&').find_map(|pair| pair.strip_prefix("code="));
        if code != Some(record.code_hex.as_str()) {
            return refused(403, "AccessDenied", "Access Denied");
        }
        match self.read_package(&record).await {
            Ok(zip) => UrlResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/zip".into())],
                body: zip,
            },
            Err(error) => refused(500, "InternalError", &error.message),
        }
    }
}

/// An answer in S3's error shape, as a presigned URL's refusal reads.
fn refused(status: u16, code: &str, message: &str) -> UrlResponse {
    UrlResponse {
        status,
        headers: vec![("content-type".into(), "application/xml".into())],
        body: Bytes::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )),
    }
}
