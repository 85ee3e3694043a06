//! Buckets named in the Host.
//!
//! Virtual-hosted-style API requests: `<bucket>.s3.localhost`,
//! `<bucket>.localhost`, `<bucket>.s3.localhost.localstack.cloud` and
//! `<bucket>.localhost.localstack.cloud` (any port) name a bucket; the bare
//! names (`s3.localhost`, `localhost`, ...) and IP addresses are path-style.
//!
//! The website endpoint (any port, case-insensitive):
//! `<bucket>.s3-website-<region>.amazonaws.com` and
//! `<bucket>.s3-website.<region>.amazonaws.com` (AWS's own forms);
//! `<bucket>.s3-website.localhost` and `<bucket>.s3-website.<region>.localhost`
//! (local forms; `*.localhost` resolves to 127.0.0.1).

/// Host suffixes that follow a bucket name, most specific first.
const BUCKET_SUFFIXES: [&str; 4] = [
    ".s3.localhost.localstack.cloud",
    ".localhost.localstack.cloud",
    ".s3.localhost",
    ".localhost",
];

/// The bucket a Host header names, if it is virtual-hosted style.
pub fn virtual_bucket(host: &str) -> Option<&str> {
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

/// The bucket named by a website host, if `host` is one.
pub fn website_bucket(host: &str) -> Option<&str> {
    // Cheap rejection first: this runs for every request.
    const MARK: &[u8] = b".s3-website";
    let name = strip_port(host);
    if !name
        .as_bytes()
        .windows(MARK.len())
        .any(|w| w.eq_ignore_ascii_case(MARK))
    {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let at = lower.rfind(".s3-website")?;
    let rest = lower.get(at + MARK.len()..)?;
    let region_and_domain = rest.strip_prefix('-').or_else(|| rest.strip_prefix('.'))?;
    let valid = match region_and_domain.split_once('.') {
        // `<bucket>.s3-website.localhost`
        None => rest.starts_with('.') && region_and_domain == "localhost",
        Some((region, domain)) => {
            let is_region =
                !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            match domain {
                "amazonaws.com" => is_region,
                "localhost" => is_region && rest.starts_with('.'),
                _ => false,
            }
        }
    };
    let bucket = name.get(..at)?;
    (valid && !bucket.is_empty()).then_some(bucket)
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
            assert_eq!(virtual_bucket(host), bucket, "{host}");
        }
    }

    #[test]
    fn website_hosts_name_their_bucket() {
        let cases = [
            ("site.s3-website-us-east-1.amazonaws.com", Some("site")),
            ("my.site.s3-website.eu-west-1.amazonaws.com", Some("my.site")),
            ("site.s3-website.localhost:4566", Some("site")),
            ("Site.S3-Website.LOCALHOST", Some("Site")),
            ("site.s3-website.us-west-2.localhost:4566", Some("site")),
            ("s3-website.localhost", None),
            (".s3-website.localhost", None),
            ("site.s3-website-localhost", None),
            ("site.s3-website.example.com", None),
            ("site.s3.localhost:4566", None),
            ("site.localhost", None),
            ("127.0.0.1:4566", None),
        ];
        for (host, bucket) in cases {
            assert_eq!(website_bucket(host), bucket, "{host}");
        }
    }

    #[test]
    fn rewrites_to_path_style() {
        assert_eq!(path_style("b", "/"), "/b");
        assert_eq!(path_style("b", ""), "/b");
        assert_eq!(path_style("b", "/dir/key.txt"), "/b/dir/key.txt");
    }
}
