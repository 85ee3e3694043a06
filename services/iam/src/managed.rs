//! AWS managed policies (`arn:aws:iam::aws:policy/...`): the ones examples
//! use, with their real documents, ids and dates (data/aws-managed-policies.json;
//! ReadOnlyAccess is kept to the services nimbus serves).

use std::sync::OnceLock;

use serde::Deserialize;

/// One AWS managed policy, as the data file holds it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsPolicy {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub policy_id: String,
    pub default_version_id: String,
    pub create_date: String,
    pub update_date: String,
    pub description: Option<String>,
    pub document: serde_json::Value,
}

const DATA: &str = include_str!("../data/aws-managed-policies.json");

/// Every AWS managed policy nimbus knows.
pub fn all() -> &'static [AwsPolicy] {
    static POLICIES: OnceLock<Vec<AwsPolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| serde_json::from_str(DATA).unwrap_or_default())
}

/// The AWS managed policy with this ARN.
pub fn find(arn: &str) -> Option<&'static AwsPolicy> {
    all().iter().find(|p| p.arn == arn)
}

/// Epoch millis of an RFC 3339 date of the data file.
pub fn millis(date: &str) -> i64 {
    time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_names_the_policies_examples_use() {
        for name in [
            "AdministratorAccess",
            "AmazonS3FullAccess",
            "AWSLambdaBasicExecutionRole",
        ] {
            assert!(all().iter().any(|p| p.name == name), "{name}");
        }
        let basic = find("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").expect("policy");
        assert_eq!(basic.path, "/service-role/");
        assert!(basic.policy_id.starts_with("ANPA"));
        assert!(millis(&basic.create_date) > 0);
    }
}
