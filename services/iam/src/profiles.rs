//! Instance profiles: the container that hands a role to EC2 instances.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::*;

use crate::Iam;
use crate::common::{arn, page, path_or_root, timestamp, under_prefix};
use crate::entities::{Read, require, save};
use crate::errors::{delete_conflict, limit_exceeded, no_such_entity, profile_not_found, role_not_found};
use crate::ids::{IdKind, new_id};
use crate::records::{Kind, ProfileRecord, RoleRecord};
use crate::roles::role_shape;
use crate::tags::{check_tags, tag_list};

pub(crate) fn profile_shape(account: &str, profile: &ProfileRecord, roles: &[RoleRecord]) -> InstanceProfile {
    InstanceProfile {
        path: profile.path.clone(),
        instance_profile_name: profile.name.clone(),
        instance_profile_id: profile.id.clone(),
        arn: arn(account, "instance-profile", &profile.path, &profile.name),
        create_date: timestamp(profile.created),
        roles: roles
            .iter()
            .filter(|r| profile.roles.iter().any(|n| n.eq_ignore_ascii_case(&r.name)))
            .map(|r| role_shape(account, r, false))
            .collect(),
        tags: tag_list(&profile.tags),
    }
}

impl Iam {
    pub(crate) async fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: CreateInstanceProfileRequest,
    ) -> Result<CreateInstanceProfileResponse, AwsError> {
        let account = ctx.account_id.clone();
        let record = ProfileRecord {
            name: input.instance_profile_name,
            path: path_or_root(input.path),
            id: new_id(IdKind::InstanceProfile),
            created: self.now(),
            roles: Vec::new(),
            tags: check_tags(input.tags.unwrap_or_default())?,
        };
        let shape = profile_shape(&account, &record, &[]);
        self.write(&account, move |table| {
            if table
                .load::<ProfileRecord>(Kind::Profile, &record.name)?
                .is_some()
            {
                return Err(crate::errors::entity_already_exists(format!(
                    "Instance Profile {} already exists.",
                    record.name
                )));
            }
            save(table, Kind::Profile, &record.name, &record)
        })
        .await?;
        Ok(CreateInstanceProfileResponse {
            instance_profile: shape,
        })
    }

    pub(crate) async fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        input: GetInstanceProfileRequest,
    ) -> Result<GetInstanceProfileResponse, AwsError> {
        let account = ctx.account_id.clone();
        let name = input.instance_profile_name;
        let (profile, roles) = self
            .read(&account, move |table| {
                let profile: ProfileRecord = require(table, Kind::Profile, &name, profile_not_found)?;
                Ok((profile, table.all::<RoleRecord>(Kind::Role)?))
            })
            .await?;
        Ok(GetInstanceProfileResponse {
            instance_profile: profile_shape(&account, &profile, &roles),
        })
    }

    /// Profiles (all, or those holding `role`) with the roles they hold.
    async fn profiles(
        &self,
        account: &str,
        role: Option<String>,
    ) -> Result<(Vec<ProfileRecord>, Vec<RoleRecord>), AwsError> {
        self.read(account, move |table| {
            if let Some(role) = &role {
                require::<RoleRecord>(table, Kind::Role, role, role_not_found)?;
            }
            let profiles: Vec<ProfileRecord> = table.all(Kind::Profile)?;
            let profiles = profiles
                .into_iter()
                .filter(|p| {
                    role.as_ref()
                        .is_none_or(|role| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role)))
                })
                .collect();
            Ok((profiles, table.all(Kind::Role)?))
        })
        .await
    }

    pub(crate) async fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesRequest,
    ) -> Result<ListInstanceProfilesResponse, AwsError> {
        let (profiles, roles) = self.profiles(&ctx.account_id, None).await?;
        let profiles = profiles
            .into_iter()
            .filter(|p| under_prefix(&p.path, input.path_prefix.as_deref()))
            .collect();
        let (profiles, marker) = page(
            profiles,
            |p| p.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListInstanceProfilesResponse {
            instance_profiles: profiles
                .iter()
                .map(|p| profile_shape(&ctx.account_id, p, &roles))
                .collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesForRoleRequest,
    ) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
        let (profiles, roles) = self.profiles(&ctx.account_id, Some(input.role_name)).await?;
        let (profiles, marker) = page(
            profiles,
            |p| p.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListInstanceProfilesForRoleResponse {
            instance_profiles: profiles
                .iter()
                .map(|p| profile_shape(&ctx.account_id, p, &roles))
                .collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        input: AddRoleToInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let mut profile: ProfileRecord = require(
                table,
                Kind::Profile,
                &input.instance_profile_name,
                profile_not_found,
            )?;
            let role: RoleRecord = require(table, Kind::Role, &input.role_name, role_not_found)?;
            if !profile.roles.is_empty() {
                return Err(limit_exceeded(
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
                ));
            }
            profile.roles.push(role.name);
            save(table, Kind::Profile, &profile.name.clone(), &profile)
        })
        .await
    }

    pub(crate) async fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        input: RemoveRoleFromInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let mut profile: ProfileRecord = require(
                table,
                Kind::Profile,
                &input.instance_profile_name,
                profile_not_found,
            )?;
            require::<RoleRecord>(table, Kind::Role, &input.role_name, role_not_found)?;
            let before = profile.roles.len();
            profile
                .roles
                .retain(|r| !r.eq_ignore_ascii_case(&input.role_name));
            if profile.roles.len() == before {
                return Err(no_such_entity(format!(
                    "Role {} in Instance Profile {} cannot be found.",
                    input.role_name, profile.name
                )));
            }
            save(table, Kind::Profile, &profile.name.clone(), &profile)
        })
        .await
    }

    pub(crate) async fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let profile: ProfileRecord = require(
                table,
                Kind::Profile,
                &input.instance_profile_name,
                profile_not_found,
            )?;
            if !profile.roles.is_empty() {
                return Err(delete_conflict(
                    "Cannot delete entity, must remove roles from instance profile first.",
                ));
            }
            table.delete(&Kind::Profile.key(&profile.name))?;
            Ok(())
        })
        .await
    }
}
