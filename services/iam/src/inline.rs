//! Inline policies of users, groups and roles.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::*;
use nimbus_policy::PolicyKind;

use crate::Iam;
use crate::common::{encode_document, page};
use crate::entities::{require, save};
use crate::errors::inline_not_found;
use crate::holders::Holder;
use crate::policies::check_document;
use crate::records::{GroupRecord, RoleRecord, UserRecord};

impl Iam {
    async fn put_inline<H: Holder>(
        &self,
        account: &str,
        holder: String,
        name: String,
        document: String,
    ) -> Result<(), AwsError> {
        check_document(&document, PolicyKind::Identity)?;
        self.write(account, move |table| {
            let mut entity: H = require(table, H::KIND, &holder, H::missing)?;
            entity.check_modifiable()?;
            entity.inline().insert(name, document);
            save(table, H::KIND, entity.name(), &entity)
        })
        .await
    }

    /// The holder's name as stored, and the document (URL-encoded).
    async fn get_inline<H: Holder>(
        &self,
        account: &str,
        holder: String,
        name: String,
    ) -> Result<(String, String, String), AwsError> {
        let mut entity: H = self
            .read(account, move |table| require(table, H::KIND, &holder, H::missing))
            .await?;
        let document = entity
            .inline()
            .get(&name)
            .cloned()
            .ok_or_else(|| inline_not_found(H::WORD, &name))?;
        Ok((entity.name().to_owned(), name, encode_document(&document)))
    }

    async fn delete_inline<H: Holder>(
        &self,
        account: &str,
        holder: String,
        name: String,
    ) -> Result<(), AwsError> {
        self.write(account, move |table| {
            let mut entity: H = require(table, H::KIND, &holder, H::missing)?;
            entity.check_modifiable()?;
            if entity.inline().remove(&name).is_none() {
                return Err(inline_not_found(H::WORD, &name));
            }
            save(table, H::KIND, entity.name(), &entity)
        })
        .await
    }

    async fn list_inline<H: Holder>(
        &self,
        account: &str,
        holder: String,
        marker: Option<String>,
        max_items: Option<i32>,
    ) -> Result<(Vec<String>, Option<String>), AwsError> {
        let mut entity: H = self
            .read(account, move |table| require(table, H::KIND, &holder, H::missing))
            .await?;
        let names: Vec<String> = entity.inline().keys().cloned().collect();
        page(names, Clone::clone, marker.as_deref(), max_items)
    }

    pub(crate) async fn put_user_policy(
        &self,
        ctx: &RequestContext,
        input: PutUserPolicyRequest,
    ) -> Result<(), AwsError> {
        self.put_inline::<UserRecord>(
            &ctx.account_id,
            input.user_name,
            input.policy_name,
            input.policy_document,
        )
        .await
    }

    pub(crate) async fn put_group_policy(
        &self,
        ctx: &RequestContext,
        input: PutGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        self.put_inline::<GroupRecord>(
            &ctx.account_id,
            input.group_name,
            input.policy_name,
            input.policy_document,
        )
        .await
    }

    pub(crate) async fn put_role_policy(
        &self,
        ctx: &RequestContext,
        input: PutRolePolicyRequest,
    ) -> Result<(), AwsError> {
        self.put_inline::<RoleRecord>(
            &ctx.account_id,
            input.role_name,
            input.policy_name,
            input.policy_document,
        )
        .await
    }

    pub(crate) async fn get_user_policy(
        &self,
        ctx: &RequestContext,
        input: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse, AwsError> {
        let (user_name, policy_name, policy_document) = self
            .get_inline::<UserRecord>(&ctx.account_id, input.user_name, input.policy_name)
            .await?;
        Ok(GetUserPolicyResponse {
            user_name,
            policy_name,
            policy_document,
        })
    }

    pub(crate) async fn get_group_policy(
        &self,
        ctx: &RequestContext,
        input: GetGroupPolicyRequest,
    ) -> Result<GetGroupPolicyResponse, AwsError> {
        let (group_name, policy_name, policy_document) = self
            .get_inline::<GroupRecord>(&ctx.account_id, input.group_name, input.policy_name)
            .await?;
        Ok(GetGroupPolicyResponse {
            group_name,
            policy_name,
            policy_document,
        })
    }

    pub(crate) async fn get_role_policy(
        &self,
        ctx: &RequestContext,
        input: GetRolePolicyRequest,
    ) -> Result<GetRolePolicyResponse, AwsError> {
        let (role_name, policy_name, policy_document) = self
            .get_inline::<RoleRecord>(&ctx.account_id, input.role_name, input.policy_name)
            .await?;
        Ok(GetRolePolicyResponse {
            role_name,
            policy_name,
            policy_document,
        })
    }

    pub(crate) async fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPolicyRequest,
    ) -> Result<(), AwsError> {
        self.delete_inline::<UserRecord>(&ctx.account_id, input.user_name, input.policy_name)
            .await
    }

    pub(crate) async fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        self.delete_inline::<GroupRecord>(&ctx.account_id, input.group_name, input.policy_name)
            .await
    }

    pub(crate) async fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePolicyRequest,
    ) -> Result<(), AwsError> {
        self.delete_inline::<RoleRecord>(&ctx.account_id, input.role_name, input.policy_name)
            .await
    }

    pub(crate) async fn list_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse, AwsError> {
        let (policy_names, marker) = self
            .list_inline::<UserRecord>(&ctx.account_id, input.user_name, input.marker, input.max_items)
            .await?;
        Ok(ListUserPoliciesResponse {
            policy_names,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListGroupPoliciesRequest,
    ) -> Result<ListGroupPoliciesResponse, AwsError> {
        let (policy_names, marker) = self
            .list_inline::<GroupRecord>(&ctx.account_id, input.group_name, input.marker, input.max_items)
            .await?;
        Ok(ListGroupPoliciesResponse {
            policy_names,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse, AwsError> {
        let (policy_names, marker) = self
            .list_inline::<RoleRecord>(&ctx.account_id, input.role_name, input.marker, input.max_items)
            .await?;
        Ok(ListRolePoliciesResponse {
            policy_names,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
