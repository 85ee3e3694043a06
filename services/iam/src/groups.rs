//! Groups and their members. Membership is kept on the user (its group
//! names); a group's users are found by looking at the users.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    AddUserToGroupRequest, CreateGroupRequest, CreateGroupResponse, DeleteGroupRequest, GetGroupRequest,
    GetGroupResponse, Group, ListGroupsForUserRequest, ListGroupsForUserResponse, ListGroupsRequest,
    ListGroupsResponse, RemoveUserFromGroupRequest, UpdateGroupRequest,
};

use crate::Iam;
use crate::common::{arn, page, path_or_root, timestamp, under_prefix};
use crate::entities::{Read, require, save};
use crate::errors::{already_exists, delete_conflict, group_not_found, user_not_found};
use crate::ids::{IdKind, new_id};
use crate::records::{GroupRecord, Kind, UserRecord};
use crate::users::user_shape;

pub fn group_shape(account: &str, group: &GroupRecord) -> Group {
    Group {
        path: group.path.clone(),
        group_name: group.name.clone(),
        group_id: group.id.clone(),
        arn: arn(account, "group", &group.path, &group.name),
        create_date: timestamp(group.created),
    }
}

fn is_member(user: &UserRecord, group: &str) -> bool {
    user.groups.iter().any(|g| g.eq_ignore_ascii_case(group))
}

impl Iam {
    pub(crate) async fn create_group(
        &self,
        ctx: &RequestContext,
        input: CreateGroupRequest,
    ) -> Result<CreateGroupResponse, AwsError> {
        let account = ctx.account_id.clone();
        let record = GroupRecord {
            name: input.group_name,
            path: path_or_root(input.path),
            id: new_id(IdKind::Group),
            created: self.now(),
            ..GroupRecord::default()
        };
        let group = group_shape(&account, &record);
        self.write(&account, move |table| {
            if table.load::<GroupRecord>(Kind::Group, &record.name)?.is_some() {
                return Err(already_exists("Group", &record.name));
            }
            save(table, Kind::Group, &record.name, &record)
        })
        .await?;
        Ok(CreateGroupResponse { group })
    }

    pub(crate) async fn get_group(
        &self,
        ctx: &RequestContext,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, AwsError> {
        let account = ctx.account_id.clone();
        let name = input.group_name.clone();
        let (group, users) = self
            .read(&account, move |table| {
                let group: GroupRecord = require(table, Kind::Group, &name, group_not_found)?;
                let users: Vec<UserRecord> = table.all(Kind::User)?;
                let members = users.into_iter().filter(|u| is_member(u, &group.name)).collect();
                Ok((group, members))
            })
            .await?;
        let (users, marker) = page(
            users,
            |u: &UserRecord| u.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(GetGroupResponse {
            group: group_shape(&account, &group),
            users: users.iter().map(|u| user_shape(&account, u, false)).collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: ListGroupsRequest,
    ) -> Result<ListGroupsResponse, AwsError> {
        let account = ctx.account_id.clone();
        let groups: Vec<GroupRecord> = self.read(&account, |table| table.all(Kind::Group)).await?;
        let groups = groups
            .into_iter()
            .filter(|g| under_prefix(&g.path, input.path_prefix.as_deref()))
            .collect();
        let (groups, marker) = page(
            groups,
            |g| g.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListGroupsResponse {
            groups: groups.iter().map(|g| group_shape(&account, g)).collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, AwsError> {
        let account = ctx.account_id.clone();
        let name = input.user_name.clone();
        let groups = self
            .read(&account, move |table| {
                let user: UserRecord = require(table, Kind::User, &name, user_not_found)?;
                let groups: Vec<GroupRecord> = table.all(Kind::Group)?;
                Ok(groups.into_iter().filter(|g| is_member(&user, &g.name)).collect())
            })
            .await?;
        let (groups, marker) = page(
            groups,
            |g: &GroupRecord| g.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListGroupsForUserResponse {
            groups: groups.iter().map(|g| group_shape(&account, g)).collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: AddUserToGroupRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let group: GroupRecord = require(table, Kind::Group, &input.group_name, group_not_found)?;
            let mut user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            if !is_member(&user, &group.name) {
                user.groups.push(group.name);
                save(table, Kind::User, &user.name.clone(), &user)?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: RemoveUserFromGroupRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let group: GroupRecord = require(table, Kind::Group, &input.group_name, group_not_found)?;
            let mut user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            if !is_member(&user, &group.name) {
                return Err(user_not_found(&input.user_name));
            }
            user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.name));
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await
    }

    pub(crate) async fn update_group(
        &self,
        ctx: &RequestContext,
        input: UpdateGroupRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let mut group: GroupRecord = require(table, Kind::Group, &input.group_name, group_not_found)?;
            if let Some(path) = input.new_path {
                group.path = path;
            }
            if let Some(new_name) = input.new_group_name
                && new_name != group.name
            {
                if !new_name.eq_ignore_ascii_case(&group.name)
                    && table.load::<GroupRecord>(Kind::Group, &new_name)?.is_some()
                {
                    return Err(already_exists("Group", &new_name));
                }
                let users: Vec<UserRecord> = table.all(Kind::User)?;
                for mut user in users.into_iter().filter(|u| is_member(u, &group.name)) {
                    for g in user
                        .groups
                        .iter_mut()
                        .filter(|g| g.eq_ignore_ascii_case(&group.name))
                    {
                        *g = new_name.clone();
                    }
                    save(table, Kind::User, &user.name.clone(), &user)?;
                }
                table.delete(&Kind::Group.key(&group.name))?;
                group.name = new_name;
            }
            save(table, Kind::Group, &group.name.clone(), &group)
        })
        .await
    }

    pub(crate) async fn delete_group(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let group: GroupRecord = require(table, Kind::Group, &input.group_name, group_not_found)?;
            let users: Vec<UserRecord> = table.all(Kind::User)?;
            let blocker = if users.iter().any(|u| is_member(u, &group.name)) {
                Some("must remove users from group first")
            } else if !group.inline.is_empty() {
                Some("must delete policies first")
            } else if !group.attached.is_empty() {
                Some("must detach all policies first")
            } else {
                None
            };
            if let Some(blocker) = blocker {
                return Err(delete_conflict(format!("Cannot delete entity, {blocker}.")));
            }
            table.delete(&Kind::Group.key(&group.name))?;
            Ok(())
        })
        .await
    }
}
