//! Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, and their
//! retention (PutRetentionPolicy, DeleteRetentionPolicy).

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_logs_api::*;

use crate::Logs;
use crate::records::*;

/// The retentions CloudWatch Logs accepts, in days.
pub const RETENTIONS: [i32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

pub fn group_missing() -> AwsError {
    errors::resource_not_found("The specified log group does not exist.")
}

fn check_retention(days: i32) -> Result<(), AwsError> {
    if RETENTIONS.contains(&days) {
        return Ok(());
    }
    let valid: Vec<String> = RETENTIONS.iter().map(i32::to_string).collect();
    Err(errors::invalid_parameter(format!(
        "Invalid retention value. Valid values are: [{}]",
        valid.join(", ")
    )))
}

fn described(ctx: &RequestContext, group: &GroupRecord) -> LogGroup {
    let arn = group_arn(ctx, &group.name);
    LogGroup {
        log_group_name: Some(group.name.clone()),
        creation_time: Some(group.creation_time),
        retention_in_days: group.retention_in_days,
        metric_filter_count: Some(0),
        arn: Some(format!("{arn}:*")),
        stored_bytes: Some(0),
        kms_key_id: group.kms_key_id.clone(),
        log_group_class: Some(group.class.clone()),
        log_group_arn: Some(arn),
        deletion_protection_enabled: Some(group.deletion_protection),
        ..Default::default()
    }
}

impl Logs {
    pub(crate) async fn group(&self, ctx: &RequestContext, name: &str) -> Result<GroupRecord, AwsError> {
        let ns = namespace(ctx)?;
        let key = group_key(name);
        let found: Option<GroupRecord> = self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        found.ok_or_else(group_missing)
    }

    /// Changes a group's record in one transaction.
    pub(crate) async fn change_group(
        &self,
        ctx: &RequestContext,
        name: &str,
        change: impl FnOnce(&mut GroupRecord) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let key = group_key(name);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut group: GroupRecord = table.get_json(&key)?.ok_or_else(group_missing)?;
                change(&mut group)?;
                table.put_json(&key, &group)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn create_log_group(
        &self,
        ctx: &RequestContext,
        input: CreateLogGroupRequest,
    ) -> Result<(), AwsError> {
        let tags = input.tags.unwrap_or_default();
        crate::tags::check_tags(&tags)?;
        let class = input.log_group_class.unwrap_or_else(|| "STANDARD".to_owned());
        let record = GroupRecord {
            name: input.log_group_name,
            creation_time: self.now_ms(),
            retention_in_days: None,
            kms_key_id: input.kms_key_id,
            class,
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            tags,
            next_sequence: 1,
        };
        let ns = namespace(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = group_key(&record.name);
                if table.get(&key)?.is_some() {
                    return Err(errors::resource_already_exists(
                        "The specified log group already exists",
                    ));
                }
                table.put_json(&key, &record)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn delete_log_group(
        &self,
        ctx: &RequestContext,
        input: DeleteLogGroupRequest,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let name = input.log_group_name;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let group: GroupRecord = table.get_json(&group_key(&name))?.ok_or_else(group_missing)?;
                if group.deletion_protection {
                    return Err(errors::invalid_operation(
                        "Log group deletion is not allowed when deletion protection is enabled.",
                    ));
                }
                table.delete(&group_key(&name))?;
                table.delete_prefix(&streams_prefix(&name))?;
                table.delete_prefix(&group_events_prefix(&name))?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn describe_log_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeLogGroupsRequest,
    ) -> Result<DescribeLogGroupsResponse, AwsError> {
        if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
            return Err(errors::invalid_parameter(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
            ));
        }
        let limit = usize::try_from(input.limit.unwrap_or(50)).unwrap_or(50);
        let prefix = [
            GROUP_PREFIX,
            input.log_group_name_prefix.unwrap_or_default().as_bytes(),
        ]
        .concat();
        let after = crate::tokens::decode_name(input.next_token.as_deref())?.map(|name| group_key(&name));
        let pattern = input.log_group_name_pattern;
        let identifiers = input.log_group_identifiers;
        let class = input.log_group_class;
        let ns = namespace(ctx)?;
        let (groups, more) = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut groups = Vec::new();
                for entry in table.scan_after(&prefix, after.as_deref())? {
                    let group: GroupRecord = entry?.decode()?;
                    let wanted = pattern.as_ref().is_none_or(|p| group.name.contains(p.as_str()))
                        && class.as_ref().is_none_or(|c| *c == group.class)
                        && identifiers.as_ref().is_none_or(|ids| {
                            ids.iter()
                                .any(|id| id.trim_end_matches(":*").ends_with(&group.name))
                        });
                    if !wanted {
                        continue;
                    }
                    if groups.len() == limit {
                        return Ok::<_, AwsError>((groups, true));
                    }
                    groups.push(group);
                }
                Ok((groups, false))
            })
            .await?;
        let next_token = match more {
            true => groups.last().map(|g| crate::tokens::encode_name(&g.name)),
            false => None,
        };
        Ok(DescribeLogGroupsResponse {
            log_groups: Some(groups.iter().map(|g| described(ctx, g)).collect()),
            next_token,
        })
    }

    pub(crate) async fn put_retention_policy(
        &self,
        ctx: &RequestContext,
        input: PutRetentionPolicyRequest,
    ) -> Result<(), AwsError> {
        check_retention(input.retention_in_days)?;
        let days = input.retention_in_days;
        self.change_group(ctx, &input.log_group_name, move |group| {
            group.retention_in_days = Some(days);
            Ok(())
        })
        .await
    }

    pub(crate) async fn delete_retention_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRetentionPolicyRequest,
    ) -> Result<(), AwsError> {
        self.change_group(ctx, &input.log_group_name, |group| {
            group.retention_in_days = None;
            Ok(())
        })
        .await
    }

    /// The tags of a group.
    pub(crate) async fn group_tags(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<IndexMap<String, String>, AwsError> {
        Ok(self.group(ctx, name).await?.tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_retentions_are_accepted() {
        assert!(check_retention(14).is_ok());
        let refused = check_retention(2).unwrap_err();
        assert_eq!(refused.code, "InvalidParameterException");
        assert!(
            refused
                .message
                .starts_with("Invalid retention value. Valid values are: [1, 3, 5, 7, 14,")
        );
    }
}
