//! Tags on users, roles, policies and instance profiles.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::*;

use crate::Iam;
use crate::common::page_in_order;
use crate::entities::{require, save};
use crate::errors::{invalid_input, limit_exceeded, profile_not_found, role_not_found, user_not_found};
use crate::policies::customer_policy;
use crate::records::{Kind, ProfileRecord, RoleRecord, Tags, UserRecord};

/// IAM allows 50 tags per resource.
const MAX_TAGS: usize = 50;

/// Checks the tags a create call gives; keys are unique without regard to case.
pub fn check_tags(tags: Vec<Tag>) -> Result<Tags, AwsError> {
    let mut out: Tags = Vec::new();
    merge(&mut out, tags)?;
    Ok(out)
}

/// Adds or replaces tags, keeping IAM's limit.
fn merge(existing: &mut Tags, tags: Vec<Tag>) -> Result<(), AwsError> {
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    for tag in tags {
        match existing
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&tag.key))
        {
            Some(slot) => *slot = (tag.key, tag.value),
            None => existing.push((tag.key, tag.value)),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(limit_exceeded(format!(
            "The number of tags has reached the maximum limit of {MAX_TAGS}."
        )));
    }
    Ok(())
}

/// Tags as the wire lists them; none when there are none.
pub fn tag_list(tags: &Tags) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(key, value)| Tag {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    })
}

fn untag(existing: &mut Tags, keys: &[String]) {
    existing.retain(|(k, _)| !keys.iter().any(|key| key.eq_ignore_ascii_case(k)));
}

/// Runs `change` on a record's tags under one write.
macro_rules! retag {
    ($self:expr, $account:expr, $record:ty, $kind:expr, $name:expr, $missing:expr, $change:expr) => {{
        let name = $name;
        $self
            .write($account, move |table| {
                let mut record: $record = require(table, $kind, &name, $missing)?;
                ($change)(&mut record.tags)?;
                save(table, $kind, &record.name.clone(), &record)
            })
            .await
    }};
}

type TagResponse = (Vec<Tag>, Option<String>);

fn listed(tags: &Tags, marker: Option<String>, max_items: Option<i32>) -> Result<TagResponse, AwsError> {
    page_in_order(
        tag_list(tags).unwrap_or_default(),
        |t| t.key.clone(),
        marker.as_deref(),
        max_items,
    )
}

impl Iam {
    pub(crate) async fn tag_user(&self, ctx: &RequestContext, input: TagUserRequest) -> Result<(), AwsError> {
        retag!(
            self,
            &ctx.account_id,
            UserRecord,
            Kind::User,
            input.user_name,
            user_not_found,
            |t: &mut Tags| merge(t, input.tags)
        )
    }

    pub(crate) async fn untag_user(
        &self,
        ctx: &RequestContext,
        input: UntagUserRequest,
    ) -> Result<(), AwsError> {
        retag!(
            self,
            &ctx.account_id,
            UserRecord,
            Kind::User,
            input.user_name,
            user_not_found,
            |t: &mut Tags| {
                untag(t, &input.tag_keys);
                Ok::<_, AwsError>(())
            }
        )
    }

    pub(crate) async fn list_user_tags(
        &self,
        ctx: &RequestContext,
        input: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse, AwsError> {
        let name = input.user_name;
        let user: UserRecord = self
            .read(&ctx.account_id, move |t| {
                require(t, Kind::User, &name, user_not_found)
            })
            .await?;
        let (tags, marker) = listed(&user.tags, input.marker, input.max_items)?;
        Ok(ListUserTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn tag_role(&self, ctx: &RequestContext, input: TagRoleRequest) -> Result<(), AwsError> {
        retag!(
            self,
            &ctx.account_id,
            RoleRecord,
            Kind::Role,
            input.role_name,
            role_not_found,
            |t: &mut Tags| merge(t, input.tags)
        )
    }

    pub(crate) async fn untag_role(
        &self,
        ctx: &RequestContext,
        input: UntagRoleRequest,
    ) -> Result<(), AwsError> {
        retag!(
            self,
            &ctx.account_id,
            RoleRecord,
            Kind::Role,
            input.role_name,
            role_not_found,
            |t: &mut Tags| {
                untag(t, &input.tag_keys);
                Ok::<_, AwsError>(())
            }
        )
    }

    pub(crate) async fn list_role_tags(
        &self,
        ctx: &RequestContext,
        input: ListRoleTagsRequest,
    ) -> Result<ListRoleTagsResponse, AwsError> {
        let name = input.role_name;
        let role: RoleRecord = self
            .read(&ctx.account_id, move |t| {
                require(t, Kind::Role, &name, role_not_found)
            })
            .await?;
        let (tags, marker) = listed(&role.tags, input.marker, input.max_items)?;
        Ok(ListRoleTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn tag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: TagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        retag!(
            self,
            &ctx.account_id,
            ProfileRecord,
            Kind::Profile,
            input.instance_profile_name,
            profile_not_found,
            |t: &mut Tags| merge(t, input.tags)
        )
    }

    pub(crate) async fn untag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: UntagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        retag!(
            self,
            &ctx.account_id,
            ProfileRecord,
            Kind::Profile,
            input.instance_profile_name,
            profile_not_found,
            |t: &mut Tags| {
                untag(t, &input.tag_keys);
                Ok::<_, AwsError>(())
            }
        )
    }

    pub(crate) async fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfileTagsRequest,
    ) -> Result<ListInstanceProfileTagsResponse, AwsError> {
        let name = input.instance_profile_name;
        let profile: ProfileRecord = self
            .read(&ctx.account_id, move |t| {
                require(t, Kind::Profile, &name, profile_not_found)
            })
            .await?;
        let (tags, marker) = listed(&profile.tags, input.marker, input.max_items)?;
        Ok(ListInstanceProfileTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// Tags of a customer managed policy, changed under one write.
    async fn retag_policy(
        &self,
        account: &str,
        arn: String,
        change: impl FnOnce(&mut Tags) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        let account_id = account.to_owned();
        self.write(account, move |table| {
            let mut policy = customer_policy(table, &account_id, &arn)?;
            change(&mut policy.tags)?;
            save(table, Kind::Policy, &policy.name.clone(), &policy)
        })
        .await
    }

    pub(crate) async fn tag_policy(
        &self,
        ctx: &RequestContext,
        input: TagPolicyRequest,
    ) -> Result<(), AwsError> {
        self.retag_policy(&ctx.account_id, input.policy_arn, move |t| merge(t, input.tags))
            .await
    }

    pub(crate) async fn untag_policy(
        &self,
        ctx: &RequestContext,
        input: UntagPolicyRequest,
    ) -> Result<(), AwsError> {
        self.retag_policy(&ctx.account_id, input.policy_arn, move |t| {
            untag(t, &input.tag_keys);
            Ok(())
        })
        .await
    }

    pub(crate) async fn list_policy_tags(
        &self,
        ctx: &RequestContext,
        input: ListPolicyTagsRequest,
    ) -> Result<ListPolicyTagsResponse, AwsError> {
        let account = ctx.account_id.clone();
        let arn = input.policy_arn;
        let policy = self
            .read(&account.clone(), move |table| {
                customer_policy(table, &account, &arn)
            })
            .await?;
        let (tags, marker) = listed(&policy.tags, input.marker, input.max_items)?;
        Ok(ListPolicyTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
