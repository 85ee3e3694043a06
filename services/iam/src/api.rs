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
    // The users, groups, roles, policies, keys and profiles: handlers of
    // the same names.
    delegate! {
        add_role_to_instance_profile(AddRoleToInstanceProfileRequest) -> ();
        add_user_to_group(AddUserToGroupRequest) -> ();
        attach_group_policy(AttachGroupPolicyRequest) -> ();
        attach_role_policy(AttachRolePolicyRequest) -> ();
        attach_user_policy(AttachUserPolicyRequest) -> ();
        create_access_key(CreateAccessKeyRequest) -> CreateAccessKeyResponse;
        create_group(CreateGroupRequest) -> CreateGroupResponse;
        create_instance_profile(CreateInstanceProfileRequest) -> CreateInstanceProfileResponse;
        create_policy(CreatePolicyRequest) -> CreatePolicyResponse;
        create_policy_version(CreatePolicyVersionRequest) -> CreatePolicyVersionResponse;
        create_role(CreateRoleRequest) -> CreateRoleResponse;
        create_user(CreateUserRequest) -> CreateUserResponse;
        delete_access_key(DeleteAccessKeyRequest) -> ();
        delete_group(DeleteGroupRequest) -> ();
        delete_group_policy(DeleteGroupPolicyRequest) -> ();
        delete_instance_profile(DeleteInstanceProfileRequest) -> ();
        delete_policy(DeletePolicyRequest) -> ();
        delete_policy_version(DeletePolicyVersionRequest) -> ();
        delete_role(DeleteRoleRequest) -> ();
        delete_role_permissions_boundary(DeleteRolePermissionsBoundaryRequest) -> ();
        delete_role_policy(DeleteRolePolicyRequest) -> ();
        delete_user(DeleteUserRequest) -> ();
        delete_user_permissions_boundary(DeleteUserPermissionsBoundaryRequest) -> ();
        delete_user_policy(DeleteUserPolicyRequest) -> ();
        detach_group_policy(DetachGroupPolicyRequest) -> ();
        detach_role_policy(DetachRolePolicyRequest) -> ();
        detach_user_policy(DetachUserPolicyRequest) -> ();
        get_access_key_last_used(GetAccessKeyLastUsedRequest) -> GetAccessKeyLastUsedResponse;
        get_group(GetGroupRequest) -> GetGroupResponse;
        get_group_policy(GetGroupPolicyRequest) -> GetGroupPolicyResponse;
        get_instance_profile(GetInstanceProfileRequest) -> GetInstanceProfileResponse;
        get_policy(GetPolicyRequest) -> GetPolicyResponse;
        get_policy_version(GetPolicyVersionRequest) -> GetPolicyVersionResponse;
        get_role(GetRoleRequest) -> GetRoleResponse;
        get_role_policy(GetRolePolicyRequest) -> GetRolePolicyResponse;
        get_user(GetUserRequest) -> GetUserResponse;
        get_user_policy(GetUserPolicyRequest) -> GetUserPolicyResponse;
        list_access_keys(ListAccessKeysRequest) -> ListAccessKeysResponse;
        list_attached_group_policies(ListAttachedGroupPoliciesRequest) -> ListAttachedGroupPoliciesResponse;
        list_attached_role_policies(ListAttachedRolePoliciesRequest) -> ListAttachedRolePoliciesResponse;
        list_attached_user_policies(ListAttachedUserPoliciesRequest) -> ListAttachedUserPoliciesResponse;
        list_entities_for_policy(ListEntitiesForPolicyRequest) -> ListEntitiesForPolicyResponse;
        list_group_policies(ListGroupPoliciesRequest) -> ListGroupPoliciesResponse;
        list_groups(ListGroupsRequest) -> ListGroupsResponse;
        list_groups_for_user(ListGroupsForUserRequest) -> ListGroupsForUserResponse;
        list_instance_profile_tags(ListInstanceProfileTagsRequest) -> ListInstanceProfileTagsResponse;
        list_instance_profiles(ListInstanceProfilesRequest) -> ListInstanceProfilesResponse;
        list_instance_profiles_for_role(ListInstanceProfilesForRoleRequest) -> ListInstanceProfilesForRoleResponse;
        list_policies(ListPoliciesRequest) -> ListPoliciesResponse;
        list_policy_tags(ListPolicyTagsRequest) -> ListPolicyTagsResponse;
        list_policy_versions(ListPolicyVersionsRequest) -> ListPolicyVersionsResponse;
        list_role_policies(ListRolePoliciesRequest) -> ListRolePoliciesResponse;
        list_role_tags(ListRoleTagsRequest) -> ListRoleTagsResponse;
        list_roles(ListRolesRequest) -> ListRolesResponse;
        list_user_policies(ListUserPoliciesRequest) -> ListUserPoliciesResponse;
        list_user_tags(ListUserTagsRequest) -> ListUserTagsResponse;
        list_users(ListUsersRequest) -> ListUsersResponse;
        put_group_policy(PutGroupPolicyRequest) -> ();
        put_role_permissions_boundary(PutRolePermissionsBoundaryRequest) -> ();
        put_role_policy(PutRolePolicyRequest) -> ();
        put_user_permissions_boundary(PutUserPermissionsBoundaryRequest) -> ();
        put_user_policy(PutUserPolicyRequest) -> ();
        remove_role_from_instance_profile(RemoveRoleFromInstanceProfileRequest) -> ();
        remove_user_from_group(RemoveUserFromGroupRequest) -> ();
        set_default_policy_version(SetDefaultPolicyVersionRequest) -> ();
        simulate_custom_policy(SimulateCustomPolicyRequest) -> SimulatePolicyResponse;
        simulate_principal_policy(SimulatePrincipalPolicyRequest) -> SimulatePolicyResponse;
        tag_instance_profile(TagInstanceProfileRequest) -> ();
        tag_policy(TagPolicyRequest) -> ();
        tag_role(TagRoleRequest) -> ();
        tag_user(TagUserRequest) -> ();
        untag_instance_profile(UntagInstanceProfileRequest) -> ();
        untag_policy(UntagPolicyRequest) -> ();
        untag_role(UntagRoleRequest) -> ();
        untag_user(UntagUserRequest) -> ();
        update_access_key(UpdateAccessKeyRequest) -> ();
        update_assume_role_policy(UpdateAssumeRolePolicyRequest) -> ();
        update_group(UpdateGroupRequest) -> ();
        update_role(UpdateRoleRequest) -> UpdateRoleResponse;
        update_role_description(UpdateRoleDescriptionRequest) -> UpdateRoleDescriptionResponse;
        update_user(UpdateUserRequest) -> ();
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
