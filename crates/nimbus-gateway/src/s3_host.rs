//! S3 virtual-hosted-style addressing: the bucket in the Host name.
//!
//! `<bucket>.s3.localhost`, `<bucket>.localhost`,
//! `<bucket>.s3.localhost.localstack.cloud` and `<bucket>.localhost.localstack.cloud`
//! (any port) name a bucket; the bare names (`s3.localhost`, `localhost`, ...)
//! and IP addresses are path-style.

/// Host suffixes that follow a bucket name, most specific first.
const BUCKET_SUFFIXES: [&str; 4] = [
    ".s3.localhost.localstack.cloud",
    ".localhost.localstack.cloud",
    ".s3.localhost",
    ".localhost",
];

/// The bucket a Host header names, if it is virtual-hosted style.
pub fn bucket_from_host(host: &str) -> Option<&str> {
    let name = strip_port(host);
    let bucket = BUCKET_SUFFIXES
        .iter()
        .find_map(|suffix| strip_suffix_ignore_case(name, suffix))?;
    // `s3.localhost.localstack.cloud` ends in `.localhost.localstack.cloud`
    // but names no bucket.
    if bucket.is_empty() || bucket.eq_ignore_ascii_case("s3") {
        return None;
    }
    Some(bucket)
}

/// The path-style form of a virtual-hosted request's path:
/// `/` → `/<bucket>`, `/<key>` → `/<bucket>/<key>`.
pub fn path_style(bucket: &str, path: &str) -> String {
    if path.is_empty() || path == "/" {
        format!("/{bucket}")
    } else if path.starts_with('/') {
        format!("/{bucket}{path}")
    } else {
        format!("/{bucket}/{path}")
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // An IPv6 literal never names a bucket; keep it whole.
        return host;
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

fn strip_suffix_ignore_case<'h>(name: &'h str, suffix: &str) -> Option<&'h str> {
    let cut = name.len().checked_sub(suffix.len())?;
    let (head, tail) = (name.get(..cut)?, name.get(cut..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_names_give_the_bucket() {
        let cases = [
            ("my-bucket.s3.localhost", Some("my-bucket")),
            ("my-bucket.s3.localhost:4566", Some("my-bucket")),
            ("my-bucket.localhost:4566", Some("my-bucket")),
            ("my.dotted.bucket.localhost", Some("my.dotted.bucket")),
            ("b1.s3.localhost.localstack.cloud:4566", Some("b1")),
            ("b1.localhost.localstack.cloud", Some("b1")),
            ("B1.LOCALHOST", Some("B1")),
            ("s3.localhost", None),
            ("s3.localhost:4566", None),
            ("localhost:4566", None),
            ("s3.localhost.localstack.cloud:4566", None),
            ("localhost.localstack.cloud", None),
            ("127.0.0.1:4566", None),
            ("[::1]:4566", None),
            ("example.com", None),
        ];
        for (host, bucket) in cases {
            assert_eq!(bucket_from_host(host), bucket, "{host}");
        }
    }

    #[test]
    fn rewrites_to_path_style() {
        assert_eq!(path_style("b", "/"), "/b");
        assert_eq!(path_style("b", ""), "/b");
        assert_eq!(path_style("b", "/dir/key.txt"), "/b/dir/key.txt");
    }
}
