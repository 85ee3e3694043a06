//! Users: create, get, list, rename, delete.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    AttachedPermissionsBoundary, CreateUserRequest, CreateUserResponse, DeleteUserRequest, GetUserRequest,
    GetUserResponse, ListUsersRequest, ListUsersResponse, UpdateUserRequest, User,
};

use crate::common::{arn, page, path_or_root, timestamp, under_prefix};
use crate::entities::{Read, require, save};
use crate::errors::{already_exists, delete_conflict, user_not_found};
use crate::ids::{IdKind, new_id};
use crate::records::{Kind, UserRecord};
use crate::tags::{check_tags, tag_list};
use crate::{Iam, boundaries};

/// A user as GetUser answers it; `full: false` as ListUsers and GetGroup
/// list it (without tags and boundary).
pub fn user_shape(account: &str, user: &UserRecord, full: bool) -> User {
    User {
        path: user.path.clone(),
        user_name: user.name.clone(),
        user_id: user.id.clone(),
        arn: arn(account, "user", &user.path, &user.name),
        create_date: timestamp(user.created),
        password_last_used: None,
        permissions_boundary: user.boundary.as_ref().filter(|_| full).map(|arn| {
            AttachedPermissionsBoundary {
                permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_owned()),
                permissions_boundary_arn: Some(arn.clone()),
            }
        }),
        tags: if full { tag_list(&user.tags) } else { None },
    }
}

impl Iam {
    pub(crate) async fn create_user(
        &self,
        ctx: &RequestContext,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, AwsError> {
        let tags = check_tags(input.tags.unwrap_or_default())?;
        let account = ctx.account_id.clone();
        let record = UserRecord {
            name: input.user_name,
            path: path_or_root(input.path),
            id: new_id(IdKind::User),
            created: self.now(),
            tags,
            boundary: input.permissions_boundary,
            ..UserRecord::default()
        };
        let user = user_shape(&account, &record, true);
        self.write(&account.clone(), move |table| {
            if let Some(boundary) = &record.boundary {
                boundaries::check_boundary(table, &account, boundary)?;
            }
            if table.load::<UserRecord>(Kind::User, &record.name)?.is_some() {
                return Err(already_exists("User", &record.name));
            }
            save(table, Kind::User, &record.name, &record)
        })
        .await?;
        Ok(CreateUserResponse { user: Some(user) })
    }

    /// The named user, or the caller when no name is given.
    pub(crate) async fn get_user(
        &self,
        ctx: &RequestContext,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, AwsError> {
        let account = ctx.account_id.clone();
        let name = match input.user_name {
            Some(name) => name,
            None => match self.caller_user_name(ctx).await? {
                Some(name) => name,
                None => {
                    return Ok(GetUserResponse {
                        user: self.root_user(&account),
                    });
                }
            },
        };
        let record: UserRecord = self
            .read(&account, move |table| {
                require(table, Kind::User, &name, user_not_found)
            })
            .await?;
        Ok(GetUserResponse {
            user: user_shape(&account, &record, true),
        })
    }

    /// The account's root user, as GetUser answers it for root credentials.
    fn root_user(&self, account: &str) -> User {
        User {
            path: String::new(),
            user_name: String::new(),
            user_id: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            create_date: timestamp(0),
            ..User::default()
        }
    }

    pub(crate) async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersRequest,
    ) -> Result<ListUsersResponse, AwsError> {
        let account = ctx.account_id.clone();
        let users: Vec<UserRecord> = self.read(&account, |table| table.all(Kind::User)).await?;
        let users = users
            .into_iter()
            .filter(|user| under_prefix(&user.path, input.path_prefix.as_deref()))
            .collect();
        let (users, marker) = page(
            users,
            |u| u.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListUsersResponse {
            users: users.iter().map(|u| user_shape(&account, u, false)).collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// Renames a user or moves it to another path.
    pub(crate) async fn update_user(
        &self,
        ctx: &RequestContext,
        input: UpdateUserRequest,
    ) -> Result<(), AwsError> {
        let user = self
            .write(&ctx.account_id, move |table| {
                let mut user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
                if let Some(path) = input.new_path {
                    user.path = path;
                }
                if let Some(new_name) = input.new_user_name
                    && new_name != user.name
                {
                    let same_user = new_name.eq_ignore_ascii_case(&user.name);
                    if !same_user && table.load::<UserRecord>(Kind::User, &new_name)?.is_some() {
                        return Err(already_exists("User", &new_name));
                    }
                    table.delete(&Kind::User.key(&user.name))?;
                    user.name = new_name;
                }
                save(table, Kind::User, &user.name.clone(), &user)?;
                Ok(user)
            })
            .await?;
        self.rename_key_owner(&user).await
    }

    /// Deletes a user that has nothing left attached, as IAM requires.
    pub(crate) async fn delete_user(
        &self,
        ctx: &RequestContext,
        input: DeleteUserRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            let blocker = if user.login_profile.is_some() {
                Some("must delete login profile first")
            } else if !user.access_keys.is_empty() {
                Some("must delete access keys first")
            } else if crate::mfa::has_enabled_device(table, &user.name)? {
                Some("must delete MFA device first")
            } else if !user.inline.is_empty() {
                Some("must delete policies first")
            } else if !user.attached.is_empty() {
                Some("must detach all policies first")
            } else if !user.groups.is_empty() {
                Some("must remove user from all groups first")
            } else {
                None
            };
            if let Some(blocker) = blocker {
                return Err(delete_conflict(format!("Cannot delete entity, {blocker}.")));
            }
            table.delete(&Kind::User.key(&user.name))?;
            Ok(())
        })
        .await
    }
}
