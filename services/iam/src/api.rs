//! The IAM API: each operation served by the handler of the module of its
//! concern (inherent methods of the same names).

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::*;

use crate::Iam;

/// Trait methods that hand the call to the inherent handler of the same
/// name (with the input, or for operations that take none, without).
macro_rules! delegate {
    ($($name:ident($input:ty) -> $output:ty;)*) => {$(
        async fn $name(&self, ctx: &RequestContext, input: $input) -> Result<$output, AwsError> {
            Iam::$name(self, ctx, input).await
        }
    )*};
    ($($name:ident() -> $output:ty;)*) => {$(
        async fn $name(&self, ctx: &RequestContext) -> Result<$output, AwsError> {
            Iam::$name(self, ctx).await
        }
    )*};
}

/// The operations, served by the handlers of the modules (inherent methods
/// of the same names).
impl IamApi for Iam {
    async fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        input: AddRoleToInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        Iam::add_role_to_instance_profile(self, ctx, input).await
    }

    async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: AddUserToGroupRequest,
    ) -> Result<(), AwsError> {
        Iam::add_user_to_group(self, ctx, input).await
    }

    async fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        input: AttachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::attach_group_policy(self, ctx, input).await
    }

    async fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        input: AttachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::attach_role_policy(self, ctx, input).await
    }

    async fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        input: AttachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::attach_user_policy(self, ctx, input).await
    }

    async fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse, AwsError> {
        Iam::create_access_key(self, ctx, input).await
    }

    async fn create_group(
        &self,
        ctx: &RequestContext,
        input: CreateGroupRequest,
    ) -> Result<CreateGroupResponse, AwsError> {
        Iam::create_group(self, ctx, input).await
    }

    async fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: CreateInstanceProfileRequest,
    ) -> Result<CreateInstanceProfileResponse, AwsError> {
        Iam::create_instance_profile(self, ctx, input).await
    }

    async fn create_policy(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyRequest,
    ) -> Result<CreatePolicyResponse, AwsError> {
        Iam::create_policy(self, ctx, input).await
    }

    async fn create_policy_version(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyVersionRequest,
    ) -> Result<CreatePolicyVersionResponse, AwsError> {
        Iam::create_policy_version(self, ctx, input).await
    }

    async fn create_role(
        &self,
        ctx: &RequestContext,
        input: CreateRoleRequest,
    ) -> Result<CreateRoleResponse, AwsError> {
        Iam::create_role(self, ctx, input).await
    }

    async fn create_user(
        &self,
        ctx: &RequestContext,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, AwsError> {
        Iam::create_user(self, ctx, input).await
    }

    async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        input: DeleteAccessKeyRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_access_key(self, ctx, input).await
    }

    async fn delete_group(&self, ctx: &RequestContext, input: DeleteGroupRequest) -> Result<(), AwsError> {
        Iam::delete_group(self, ctx, input).await
    }

    async fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_group_policy(self, ctx, input).await
    }

    async fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_instance_profile(self, ctx, input).await
    }

    async fn delete_policy(&self, ctx: &RequestContext, input: DeletePolicyRequest) -> Result<(), AwsError> {
        Iam::delete_policy(self, ctx, input).await
    }

    async fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyVersionRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_policy_version(self, ctx, input).await
    }

    async fn delete_role(&self, ctx: &RequestContext, input: DeleteRoleRequest) -> Result<(), AwsError> {
        Iam::delete_role(self, ctx, input).await
    }

    async fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_role_permissions_boundary(self, ctx, input).await
    }

    async fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_role_policy(self, ctx, input).await
    }

    async fn delete_user(&self, ctx: &RequestContext, input: DeleteUserRequest) -> Result<(), AwsError> {
        Iam::delete_user(self, ctx, input).await
    }

    async fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_user_permissions_boundary(self, ctx, input).await
    }

    async fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::delete_user_policy(self, ctx, input).await
    }

    async fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        input: DetachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::detach_group_policy(self, ctx, input).await
    }

    async fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        input: DetachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::detach_role_policy(self, ctx, input).await
    }

    async fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        input: DetachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::detach_user_policy(self, ctx, input).await
    }

    async fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        input: GetAccessKeyLastUsedRequest,
    ) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
        Iam::get_access_key_last_used(self, ctx, input).await
    }

    async fn get_group(
        &self,
        ctx: &RequestContext,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, AwsError> {
        Iam::get_group(self, ctx, input).await
    }

    async fn get_group_policy(
        &self,
        ctx: &RequestContext,
        input: GetGroupPolicyRequest,
    ) -> Result<GetGroupPolicyResponse, AwsError> {
        Iam::get_group_policy(self, ctx, input).await
    }

    async fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        input: GetInstanceProfileRequest,
    ) -> Result<GetInstanceProfileResponse, AwsError> {
        Iam::get_instance_profile(self, ctx, input).await
    }

    async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, AwsError> {
        Iam::get_policy(self, ctx, input).await
    }

    async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        input: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse, AwsError> {
        Iam::get_policy_version(self, ctx, input).await
    }

    async fn get_role(
        &self,
        ctx: &RequestContext,
        input: GetRoleRequest,
    ) -> Result<GetRoleResponse, AwsError> {
        Iam::get_role(self, ctx, input).await
    }

    async fn get_role_policy(
        &self,
        ctx: &RequestContext,
        input: GetRolePolicyRequest,
    ) -> Result<GetRolePolicyResponse, AwsError> {
        Iam::get_role_policy(self, ctx, input).await
    }

    async fn get_user(
        &self,
        ctx: &RequestContext,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, AwsError> {
        Iam::get_user(self, ctx, input).await
    }

    async fn get_user_policy(
        &self,
        ctx: &RequestContext,
        input: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse, AwsError> {
        Iam::get_user_policy(self, ctx, input).await
    }

    async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: ListAccessKeysRequest,
    ) -> Result<ListAccessKeysResponse, AwsError> {
        Iam::list_access_keys(self, ctx, input).await
    }

    async fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedGroupPoliciesRequest,
    ) -> Result<ListAttachedGroupPoliciesResponse, AwsError> {
        Iam::list_attached_group_policies(self, ctx, input).await
    }

    async fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse, AwsError> {
        Iam::list_attached_role_policies(self, ctx, input).await
    }

    async fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse, AwsError> {
        Iam::list_attached_user_policies(self, ctx, input).await
    }

    async fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        input: ListEntitiesForPolicyRequest,
    ) -> Result<ListEntitiesForPolicyResponse, AwsError> {
        Iam::list_entities_for_policy(self, ctx, input).await
    }

    async fn list_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListGroupPoliciesRequest,
    ) -> Result<ListGroupPoliciesResponse, AwsError> {
        Iam::list_group_policies(self, ctx, input).await
    }

    async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: ListGroupsRequest,
    ) -> Result<ListGroupsResponse, AwsError> {
        Iam::list_groups(self, ctx, input).await
    }

    async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, AwsError> {
        Iam::list_groups_for_user(self, ctx, input).await
    }

    async fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfileTagsRequest,
    ) -> Result<ListInstanceProfileTagsResponse, AwsError> {
        Iam::list_instance_profile_tags(self, ctx, input).await
    }

    async fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesRequest,
    ) -> Result<ListInstanceProfilesResponse, AwsError> {
        Iam::list_instance_profiles(self, ctx, input).await
    }

    async fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesForRoleRequest,
    ) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
        Iam::list_instance_profiles_for_role(self, ctx, input).await
    }

    async fn list_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesRequest,
    ) -> Result<ListPoliciesResponse, AwsError> {
        Iam::list_policies(self, ctx, input).await
    }

    async fn list_policy_tags(
        &self,
        ctx: &RequestContext,
        input: ListPolicyTagsRequest,
    ) -> Result<ListPolicyTagsResponse, AwsError> {
        Iam::list_policy_tags(self, ctx, input).await
    }

    async fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        input: ListPolicyVersionsRequest,
    ) -> Result<ListPolicyVersionsResponse, AwsError> {
        Iam::list_policy_versions(self, ctx, input).await
    }

    async fn list_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse, AwsError> {
        Iam::list_role_policies(self, ctx, input).await
    }

    async fn list_role_tags(
        &self,
        ctx: &RequestContext,
        input: ListRoleTagsRequest,
    ) -> Result<ListRoleTagsResponse, AwsError> {
        Iam::list_role_tags(self, ctx, input).await
    }

    async fn list_roles(
        &self,
        ctx: &RequestContext,
        input: ListRolesRequest,
    ) -> Result<ListRolesResponse, AwsError> {
        Iam::list_roles(self, ctx, input).await
    }

    async fn list_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse, AwsError> {
        Iam::list_user_policies(self, ctx, input).await
    }

    async fn list_user_tags(
        &self,
        ctx: &RequestContext,
        input: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse, AwsError> {
        Iam::list_user_tags(self, ctx, input).await
    }

    async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersRequest,
    ) -> Result<ListUsersResponse, AwsError> {
        Iam::list_users(self, ctx, input).await
    }

    async fn put_group_policy(
        &self,
        ctx: &RequestContext,
        input: PutGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::put_group_policy(self, ctx, input).await
    }

    async fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        Iam::put_role_permissions_boundary(self, ctx, input).await
    }

    async fn put_role_policy(
        &self,
        ctx: &RequestContext,
        input: PutRolePolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::put_role_policy(self, ctx, input).await
    }

    async fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        Iam::put_user_permissions_boundary(self, ctx, input).await
    }

    async fn put_user_policy(
        &self,
        ctx: &RequestContext,
        input: PutUserPolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::put_user_policy(self, ctx, input).await
    }

    async fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        input: RemoveRoleFromInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        Iam::remove_role_from_instance_profile(self, ctx, input).await
    }

    async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: RemoveUserFromGroupRequest,
    ) -> Result<(), AwsError> {
        Iam::remove_user_from_group(self, ctx, input).await
    }

    async fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: SetDefaultPolicyVersionRequest,
    ) -> Result<(), AwsError> {
        Iam::set_default_policy_version(self, ctx, input).await
    }

    async fn tag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: TagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        Iam::tag_instance_profile(self, ctx, input).await
    }

    async fn tag_policy(&self, ctx: &RequestContext, input: TagPolicyRequest) -> Result<(), AwsError> {
        Iam::tag_policy(self, ctx, input).await
    }

    async fn tag_role(&self, ctx: &RequestContext, input: TagRoleRequest) -> Result<(), AwsError> {
        Iam::tag_role(self, ctx, input).await
    }

    async fn tag_user(&self, ctx: &RequestContext, input: TagUserRequest) -> Result<(), AwsError> {
        Iam::tag_user(self, ctx, input).await
    }

    async fn untag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: UntagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        Iam::untag_instance_profile(self, ctx, input).await
    }

    async fn untag_policy(&self, ctx: &RequestContext, input: UntagPolicyRequest) -> Result<(), AwsError> {
        Iam::untag_policy(self, ctx, input).await
    }

    async fn untag_role(&self, ctx: &RequestContext, input: UntagRoleRequest) -> Result<(), AwsError> {
        Iam::untag_role(self, ctx, input).await
    }

    async fn untag_user(&self, ctx: &RequestContext, input: UntagUserRequest) -> Result<(), AwsError> {
        Iam::untag_user(self, ctx, input).await
    }

    async fn update_access_key(
        &self,
        ctx: &RequestContext,
        input: UpdateAccessKeyRequest,
    ) -> Result<(), AwsError> {
        Iam::update_access_key(self, ctx, input).await
    }

    async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAssumeRolePolicyRequest,
    ) -> Result<(), AwsError> {
        Iam::update_assume_role_policy(self, ctx, input).await
    }

    async fn update_group(&self, ctx: &RequestContext, input: UpdateGroupRequest) -> Result<(), AwsError> {
        Iam::update_group(self, ctx, input).await
    }

    async fn update_role(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleRequest,
    ) -> Result<UpdateRoleResponse, AwsError> {
        Iam::update_role(self, ctx, input).await
    }

    async fn update_role_description(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleDescriptionRequest,
    ) -> Result<UpdateRoleDescriptionResponse, AwsError> {
        Iam::update_role_description(self, ctx, input).await
    }

    async fn update_user(&self, ctx: &RequestContext, input: UpdateUserRequest) -> Result<(), AwsError> {
        Iam::update_user(self, ctx, input).await
    }

    async fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        input: SimulateCustomPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        Iam::simulate_custom_policy(self, ctx, input).await
    }

    async fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        input: SimulatePrincipalPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        Iam::simulate_principal_policy(self, ctx, input).await
    }

    // The account, console passwords, MFA devices, service-linked roles,
    // and the reports on them: handlers of the same names.
    delegate! {
        change_password(ChangePasswordRequest) -> ();
        create_account_alias(CreateAccountAliasRequest) -> ();
        create_login_profile(CreateLoginProfileRequest) -> CreateLoginProfileResponse;
        create_service_linked_role(CreateServiceLinkedRoleRequest) -> CreateServiceLinkedRoleResponse;
        create_virtual_mfa_device(CreateVirtualMFADeviceRequest) -> CreateVirtualMFADeviceResponse;
        deactivate_mfa_device(DeactivateMFADeviceRequest) -> ();
        delete_account_alias(DeleteAccountAliasRequest) -> ();
        delete_login_profile(DeleteLoginProfileRequest) -> ();
        delete_service_linked_role(DeleteServiceLinkedRoleRequest) -> DeleteServiceLinkedRoleResponse;
        delete_virtual_mfa_device(DeleteVirtualMFADeviceRequest) -> ();
        enable_mfa_device(EnableMFADeviceRequest) -> ();
        get_account_authorization_details(GetAccountAuthorizationDetailsRequest)
            -> GetAccountAuthorizationDetailsResponse;
        get_login_profile(GetLoginProfileRequest) -> GetLoginProfileResponse;
        get_service_linked_role_deletion_status(GetServiceLinkedRoleDeletionStatusRequest)
            -> GetServiceLinkedRoleDeletionStatusResponse;
        list_account_aliases(ListAccountAliasesRequest) -> ListAccountAliasesResponse;
        list_mfa_devices(ListMFADevicesRequest) -> ListMFADevicesResponse;
        list_virtual_mfa_devices(ListVirtualMFADevicesRequest) -> ListVirtualMFADevicesResponse;
        resync_mfa_device(ResyncMFADeviceRequest) -> ();
        update_account_password_policy(UpdateAccountPasswordPolicyRequest) -> ();
        update_login_profile(UpdateLoginProfileRequest) -> ();
    }

    delegate! {
        delete_account_password_policy() -> ();
        generate_credential_report() -> GenerateCredentialReportResponse;
        get_account_password_policy() -> GetAccountPasswordPolicyResponse;
        get_account_summary() -> GetAccountSummaryResponse;
        get_credential_report() -> GetCredentialReportResponse;
    }

    async fn resource(
        &self,
        ctx: &RequestContext,
        named: nimbus_core::authz::ResourceRef<'_>,
    ) -> Result<nimbus_core::authz::Resource, AwsError> {
        self.access_resource(ctx, named).await
    }

    /// The store was emptied or restored: the registry follows it.
    fn reset(&self) {
        self.changed();
        if let Err(error) = self.register_stored_keys() {
            tracing::warn!(%error, "IAM access keys could not be read from the store");
        }
    }
}
