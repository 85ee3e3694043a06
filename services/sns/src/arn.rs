//! Topic and subscription ARNs: `arn:aws:sns:<region>:<account>:<topic>` and
//! the same with `:<subscription id>` appended.

use std::fmt;

use nimbus_core::AwsError;

use crate::errors::invalid_parameter;

/// Where a topic lives and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn {
    pub region: String,
    pub account: String,
    pub name: String,
}

impl TopicArn {
    /// Parses a topic ARN; `parameter` names the request member in the error.
    pub fn parse(arn: &str, parameter: &str) -> Result<TopicArn, AwsError> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", "aws", "sns", region, account, name]
                if !region.is_empty() && is_account(account) && !name.is_empty() =>
            {
                Ok(TopicArn {
                    region: (*region).to_owned(),
                    account: (*account).to_owned(),
                    name: (*name).to_owned(),
                })
            }
            _ => Err(invalid_parameter(parameter)),
        }
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:aws:sns:{}:{}:{}", self.region, self.account, self.name)
    }
}

/// A subscription: its topic plus the id SNS gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionArn {
    pub topic: TopicArn,
    pub id: String,
}

impl SubscriptionArn {
    pub fn parse(arn: &str) -> Result<SubscriptionArn, AwsError> {
        let Some((topic, id)) = arn.rsplit_once(':') else {
            return Err(invalid_parameter("SubscriptionArn"));
        };
        let topic = TopicArn::parse(topic, "SubscriptionArn")?;
        if id.is_empty() || id.contains('/') {
            return Err(invalid_parameter("SubscriptionArn"));
        }
        Ok(SubscriptionArn {
            topic,
            id: id.to_owned(),
        })
    }
}

impl fmt::Display for SubscriptionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.topic, self.id)
    }
}

/// An SQS queue named by ARN (`arn:aws:sqs:<region>:<account>:<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueArn {
    pub region: String,
    pub account: String,
    pub name: String,
}

impl QueueArn {
    pub fn parse(arn: &str) -> Option<QueueArn> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", "aws", "sqs", region, account, name]
                if !region.is_empty() && is_account(account) && !name.is_empty() =>
            {
                Some(QueueArn {
                    region: (*region).to_owned(),
                    account: (*account).to_owned(),
                    name: (*name).to_owned(),
                })
            }
            _ => None,
        }
    }
}

fn is_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_and_subscription_arns_round_trip() {
        let topic = TopicArn::parse("arn:aws:sns:us-east-1:000000000000:orders", "TopicArn").ok();
        assert_eq!(
            topic.map(|t| t.to_string()).as_deref(),
            Some("arn:aws:sns:us-east-1:000000000000:orders")
        );
        let sub = SubscriptionArn::parse("arn:aws:sns:us-east-1:000000000000:orders:abc-1").ok();
        assert_eq!(sub.map(|s| s.id), Some("abc-1".to_owned()));
    }

    #[test]
    fn malformed_arns_are_invalid_parameters() {
        for bad in [
            "",
            "arn:aws:sns:us-east-1:1:orders",
            "arn:aws:sqs:us-east-1:000000000000:q",
            "orders",
        ] {
            let error = TopicArn::parse(bad, "TopicArn").err();
            assert_eq!(
                error.map(|e| e.message),
                Some("Invalid parameter: TopicArn".to_owned())
            );
        }
    }
}
