//! The ARNs STS reads (IAM roles, SAML providers) and writes (sessions).

use nimbus_core::AwsError;
use nimbus_sts_api::errors;

/// An IAM role named by its ARN: `arn:<partition>:iam::<account>:role/<path/><name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn<'a> {
    pub arn: &'a str,
    pub partition: &'a str,
    pub account_id: &'a str,
    /// The role name: the last segment, without the path.
    pub name: &'a str,
}

impl<'a> RoleArn<'a> {
    /// Parses an IAM role ARN; anything else is AWS's "Request ARN is invalid".
    pub fn parse(arn: &'a str) -> Result<Self, AwsError> {
        let (partition, account_id, resource) = parse_iam_arn(arn).ok_or_else(invalid_arn)?;
        let path_and_name = resource.strip_prefix("role/").ok_or_else(invalid_arn)?;
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        if !is_iam_name(name, 64) {
            return Err(invalid_arn());
        }
        Ok(RoleArn {
            arn,
            partition,
            account_id,
            name,
        })
    }

    /// The principal of a session of this role.
    pub fn session_arn(&self, session_name: &str) -> String {
        format!(
            "arn:{}:sts::{}:assumed-role/{}/{}",
            self.partition, self.account_id, self.name, session_name
        )
    }
}

/// The name of a SAML identity provider from its ARN
/// (`arn:aws:iam::<account>:saml-provider/<name>`).
pub fn saml_provider_name(arn: &str) -> Result<&str, AwsError> {
    let (_, _, resource) = parse_iam_arn(arn).ok_or_else(invalid_arn)?;
    resource
        .strip_prefix("saml-provider/")
        .filter(|name| !name.is_empty())
        .ok_or_else(invalid_arn)
}

/// `(partition, account, resource)` of a global IAM ARN.
fn parse_iam_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition, service, region, account_id, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let is_account = account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit());
    (prefix == "arn" && partition.starts_with("aws") && service == "iam" && region.is_empty() && is_account)
        .then_some((partition, account_id, resource))
}

/// IAM's name alphabet `[\w+=,.@-]`, 1..=`max` characters.
pub fn is_iam_name(name: &str, max: usize) -> bool {
    !name.is_empty() && name.len() <= max && name.chars().all(is_iam_name_char)
}

pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// What AWS answers for a role (or provider) ARN it cannot use.
pub fn invalid_arn() -> AwsError {
    errors::validation_error("Request ARN is invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_partition_account_and_role() {
        let role = RoleArn::parse("arn:aws:iam::111111111111:role/team/deploy").expect("valid");
        assert_eq!(role.partition, "aws");
        assert_eq!(role.account_id, "111111111111");
        assert_eq!(role.name, "deploy");
        assert_eq!(
            role.session_arn("ci"),
            "arn:aws:sts::111111111111:assumed-role/deploy/ci"
        );
        let china = RoleArn::parse("arn:aws-cn:iam::222222222222:role/r").expect("valid");
        assert_eq!(
            china.session_arn("s"),
            "arn:aws-cn:sts::222222222222:assumed-role/r/s"
        );
    }

    #[test]
    fn anything_but_a_role_arn_is_invalid() {
        for arn in [
            "not-an-arn-at-all-but-long",
            "arn:aws:iam::111111111111:user/alice",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:iam::1111:role/short-account",
            "arn:aws:iam:us-east-1:111111111111:role/regional",
            "arn:aws:s3::111111111111:role/wrong-service",
            "arn:aws:iam::111111111111:role/bad*name",
        ] {
            let error = RoleArn::parse(arn).expect_err(arn);
            assert_eq!(error.code, "ValidationError");
            assert_eq!(error.message, "Request ARN is invalid");
            assert_eq!(error.status, 400);
        }
    }

    #[test]
    fn saml_provider_arns_name_the_provider() {
        assert_eq!(
            saml_provider_name("arn:aws:iam::111111111111:saml-provider/Corp").ok(),
            Some("Corp")
        );
        assert!(saml_provider_name("arn:aws:iam::111111111111:role/Corp").is_err());
    }
}
