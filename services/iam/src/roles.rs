//! Roles: trust policy, description, maximum session duration.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    AttachedPermissionsBoundary, CreateRoleRequest, CreateRoleResponse, DeleteRoleRequest, GetRoleRequest,
    GetRoleResponse, ListRolesRequest, ListRolesResponse, Role, RoleLastUsed, UpdateAssumeRolePolicyRequest,
    UpdateRoleDescriptionRequest, UpdateRoleDescriptionResponse, UpdateRoleRequest, UpdateRoleResponse,
};
use nimbus_policy::PolicyKind;

use crate::common::{arn, encode_document, page, path_or_root, timestamp, under_prefix};
use crate::entities::{Read, require, save};
use crate::errors::{already_exists, delete_conflict, role_not_found};
use crate::ids::{IdKind, new_id};
use crate::policies::check_document;
use crate::records::{Kind, ProfileRecord, RoleRecord};
use crate::service_linked::refuse_protected;
use crate::tags::{check_tags, tag_list};
use crate::{Iam, boundaries};

/// The role as GetRole answers it (ListRoles leaves out its boundary, tags
/// and last use).
pub fn role_shape(account: &str, role: &RoleRecord, full: bool) -> Role {
    Role {
        path: role.path.clone(),
        role_name: role.name.clone(),
        role_id: role.id.clone(),
        arn: arn(account, "role", &role.path, &role.name),
        create_date: timestamp(role.created),
        assume_role_policy_document: Some(encode_document(&role.trust_policy)),
        description: role.description.clone(),
        max_session_duration: Some(role.max_session_duration),
        permissions_boundary: role.boundary.as_ref().filter(|_| full).map(|arn| {
            AttachedPermissionsBoundary {
                permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_owned()),
                permissions_boundary_arn: Some(arn.clone()),
            }
        }),
        tags: if full { tag_list(&role.tags) } else { None },
        role_last_used: full.then(|| RoleLastUsed {
            last_used_date: role.last_used.as_ref().map(|(at, _)| timestamp(*at)),
            region: role.last_used.as_ref().map(|(_, region)| region.clone()),
        }),
    }
}

impl Iam {
    pub(crate) async fn create_role(
        &self,
        ctx: &RequestContext,
        input: CreateRoleRequest,
    ) -> Result<CreateRoleResponse, AwsError> {
        check_document(&input.assume_role_policy_document, PolicyKind::Trust)?;
        let tags = check_tags(input.tags.unwrap_or_default())?;
        let account = ctx.account_id.clone();
        let record = RoleRecord {
            name: input.role_name,
            path: path_or_root(input.path),
            id: new_id(IdKind::Role),
            created: self.now(),
            trust_policy: input.assume_role_policy_document,
            description: input.description,
            max_session_duration: input.max_session_duration.unwrap_or(3600),
            tags,
            boundary: input.permissions_boundary,
            ..RoleRecord::default()
        };
        // CreateRole answers the tags it was given, not a last use.
        let role = Role {
            role_last_used: None,
            ..role_shape(&account, &record, true)
        };
        self.write(&account.clone(), move |table| {
            if let Some(boundary) = &record.boundary {
                boundaries::check_boundary(table, &account, boundary)?;
            }
            if table.load::<RoleRecord>(Kind::Role, &record.name)?.is_some() {
                return Err(already_exists("Role", &record.name));
            }
            save(table, Kind::Role, &record.name, &record)
        })
        .await?;
        Ok(CreateRoleResponse { role })
    }

    pub(crate) async fn get_role(
        &self,
        ctx: &RequestContext,
        input: GetRoleRequest,
    ) -> Result<GetRoleResponse, AwsError> {
        let account = ctx.account_id.clone();
        let record: RoleRecord = self
            .read(&account, move |table| {
                require(table, Kind::Role, &input.role_name, role_not_found)
            })
            .await?;
        Ok(GetRoleResponse {
            role: role_shape(&account, &record, true),
        })
    }

    pub(crate) async fn list_roles(
        &self,
        ctx: &RequestContext,
        input: ListRolesRequest,
    ) -> Result<ListRolesResponse, AwsError> {
        let account = ctx.account_id.clone();
        let roles: Vec<RoleRecord> = self.read(&account, |table| table.all(Kind::Role)).await?;
        let roles = roles
            .into_iter()
            .filter(|r| under_prefix(&r.path, input.path_prefix.as_deref()))
            .collect();
        let (roles, marker) = page(
            roles,
            |r| r.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListRolesResponse {
            roles: roles.iter().map(|r| role_shape(&account, r, false)).collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// Changes fields of a role under one write (a service-linked role's
    /// description only: `protected_change` says whether this change is more).
    async fn change_role(
        &self,
        account: &str,
        name: String,
        protected_change: bool,
        change: impl FnOnce(&mut RoleRecord) + Send + 'static,
    ) -> Result<RoleRecord, AwsError> {
        self.write(account, move |table| {
            let mut role: RoleRecord = require(table, Kind::Role, &name, role_not_found)?;
            if protected_change {
                refuse_protected(&role)?;
            }
            change(&mut role);
            save(table, Kind::Role, &role.name.clone(), &role)?;
            Ok(role)
        })
        .await
    }

    pub(crate) async fn update_role(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleRequest,
    ) -> Result<UpdateRoleResponse, AwsError> {
        let protected_change = input.max_session_duration.is_some();
        self.change_role(&ctx.account_id, input.role_name, protected_change, move |role| {
            if let Some(description) = input.description {
                role.description = Some(description);
            }
            if let Some(duration) = input.max_session_duration {
                role.max_session_duration = duration;
            }
        })
        .await?;
        Ok(UpdateRoleResponse {})
    }

    pub(crate) async fn update_role_description(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleDescriptionRequest,
    ) -> Result<UpdateRoleDescriptionResponse, AwsError> {
        let role = self
            .change_role(&ctx.account_id, input.role_name, false, move |role| {
                role.description = Some(input.description);
            })
            .await?;
        Ok(UpdateRoleDescriptionResponse {
            role: Some(role_shape(&ctx.account_id, &role, true)),
        })
    }

    pub(crate) async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAssumeRolePolicyRequest,
    ) -> Result<(), AwsError> {
        check_document(&input.policy_document, PolicyKind::Trust)?;
        self.change_role(&ctx.account_id, input.role_name, true, move |role| {
            role.trust_policy = input.policy_document;
        })
        .await?;
        Ok(())
    }

    pub(crate) async fn delete_role(
        &self,
        ctx: &RequestContext,
        input: DeleteRoleRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let role: RoleRecord = require(table, Kind::Role, &input.role_name, role_not_found)?;
            refuse_protected(&role)?;
            let profiles: Vec<ProfileRecord> = table.all(Kind::Profile)?;
            let in_profile = profiles
                .iter()
                .any(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name)));
            let blocker = if !role.inline.is_empty() {
                Some("must delete policies first")
            } else if !role.attached.is_empty() {
                Some("must detach all policies first")
            } else if in_profile {
                Some("must remove roles from instance profile first")
            } else {
                None
            };
            if let Some(blocker) = blocker {
                return Err(delete_conflict(format!("Cannot delete entity, {blocker}.")));
            }
            table.delete(&Kind::Role.key(&role.name))?;
            Ok(())
        })
        .await
    }
}
