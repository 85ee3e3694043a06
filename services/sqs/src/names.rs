//! Queue names, URLs and ARNs.

use nimbus_core::{AwsError, RequestContext};

use crate::errors::{invalid_parameter, queue_does_not_exist};

/// Where a queue lives: account, region and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueAddress {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl QueueAddress {
    pub fn arn(&self) -> String {
        format!("arn:aws:sqs:{}:{}:{}", self.region, self.account, self.name)
    }

    /// `http://<host>/<account>/<name>`, the host as the client addressed us.
    pub fn url(&self, ctx: &RequestContext) -> String {
        format!("http://{}/{}/{}", ctx.host, self.account, self.name)
    }
}

/// Checks a queue name: 1 to 80 alphanumerics, hyphens and underscores,
/// plus the `.fifo` suffix for FIFO queues.
pub fn validate_queue_name(name: &str, fifo: bool) -> Result<(), AwsError> {
    let base = if fifo {
        name.strip_suffix(".fifo")
    } else {
        Some(name)
    };
    let valid = base.is_some_and(|base| {
        !base.is_empty()
            && name.len() <= 80
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if valid {
        Ok(())
    } else if fifo {
        Err(invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
        ))
    } else {
        Err(invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ))
    }
}

/// The queue a QueueUrl names: its last two path segments are the account
/// and the name (any host, so URLs of other endpoints work too); a bare
/// name means the caller's own queue.
pub fn parse_queue_url(ctx: &RequestContext, url: &str) -> Result<QueueAddress, AwsError> {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (account, name) = match segments.as_slice() {
        [name] if !url.contains("://") => (ctx.account_id.as_str(), *name),
        [.., account, name] => (*account, *name),
        _ => return Err(queue_does_not_exist()),
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(queue_does_not_exist());
    }
    Ok(QueueAddress {
        account: account.to_owned(),
        region: region_of_url(url).unwrap_or(&ctx.region).to_owned(),
        name: name.to_owned(),
    })
}

/// `sqs.<region>.amazonaws.com` and `<region>.queue.amazonaws.com` name
/// their region; other hosts (nimbus's own) mean the request's region.
fn region_of_url(url: &str) -> Option<&str> {
    let host = url.split_once("://")?.1.split(['/', ':']).next()?;
    let mut labels = host.split('.');
    match (labels.next(), labels.next(), labels.next()) {
        (Some("sqs"), Some(region), Some(_)) if region.contains('-') => Some(region),
        (Some(region), Some("queue"), Some("amazonaws")) => Some(region),
        _ => None,
    }
}

/// The queue an ARN names (`arn:aws:sqs:<region>:<account>:<name>`).
pub fn parse_queue_arn(arn: &str) -> Option<QueueAddress> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", region, account, name] if !name.is_empty() => Some(QueueAddress {
            account: (*account).to_owned(),
            region: (*region).to_owned(),
            name: (*name).to_owned(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_any_host_name_the_queue() {
        let ctx = RequestContext::for_tests("sqs", "SendMessage");
        let address = parse_queue_url(&ctx, "http://127.0.0.1:4566/000000000000/orders").unwrap();
        assert_eq!(address.name, "orders");
        assert_eq!(address.region, "us-east-1");
        let aws = parse_queue_url(&ctx, "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo").unwrap();
        assert_eq!(
            (aws.account.as_str(), aws.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        assert!(parse_queue_url(&ctx, "http://127.0.0.1:4566/").is_err());
        assert!(parse_queue_url(&ctx, "http://127.0.0.1:4566/abc/q").is_err());
    }

    #[test]
    fn names() {
        assert!(validate_queue_name("a-b_c1", false).is_ok());
        assert!(validate_queue_name("a.fifo", false).is_err());
        assert!(validate_queue_name("a.fifo", true).is_ok());
        assert!(validate_queue_name(".fifo", true).is_err());
        assert!(validate_queue_name(&"a".repeat(81), false).is_err());
        assert!(validate_queue_name("", false).is_err());
    }

    #[test]
    fn arns() {
        let address = parse_queue_arn("arn:aws:sqs:us-east-1:000000000000:dlq").unwrap();
        assert_eq!(address.name, "dlq");
        assert!(parse_queue_arn("arn:aws:sns:us-east-1:000000000000:t").is_none());
    }
}
