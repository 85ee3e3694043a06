//! Permissions boundaries of users and roles: a managed policy that caps
//! what their identity policies can grant.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::*;
use nimbus_store::TableMut;

use crate::Iam;
use crate::attachments::attachable;
use crate::entities::{require, save};
use crate::errors::{invalid_input, role_not_found, user_not_found};
use crate::records::{Kind, RoleRecord, UserRecord};

/// A boundary must name an existing managed policy.
pub fn check_boundary(table: &TableMut<'_>, account: &str, arn: &str) -> Result<(), AwsError> {
    if attachable(table, account, arn)? {
        Ok(())
    } else {
        Err(invalid_input(format!("ARN {arn} is not valid.")))
    }
}

impl Iam {
    pub(crate) async fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        let account = ctx.account_id.clone();
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            if !attachable(table, &account, &input.permissions_boundary)? {
                return Err(crate::errors::not_attachable(&input.permissions_boundary));
            }
            user.boundary = Some(input.permissions_boundary);
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await
    }

    pub(crate) async fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        let account = ctx.account_id.clone();
        self.write(&ctx.account_id, move |table| {
            let mut role: RoleRecord = require(table, Kind::Role, &input.role_name, role_not_found)?;
            crate::service_linked::refuse_protected(&role)?;
            if !attachable(table, &account, &input.permissions_boundary)? {
                return Err(crate::errors::not_attachable(&input.permissions_boundary));
            }
            role.boundary = Some(input.permissions_boundary);
            save(table, Kind::Role, &role.name.clone(), &role)
        })
        .await
    }

    pub(crate) async fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            user.boundary = None;
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await
    }

    pub(crate) async fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let mut role: RoleRecord = require(table, Kind::Role, &input.role_name, role_not_found)?;
            crate::service_linked::refuse_protected(&role)?;
            role.boundary = None;
            save(table, Kind::Role, &role.name.clone(), &role)
        })
        .await
    }
}
