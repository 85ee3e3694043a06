//! GetCallerIdentity and GetAccessKeyInfo.

use nimbus_core::account::{DEFAULT_ACCOUNT_ID, account_for_access_key};
use nimbus_core::{AwsError, RequestContext};

use crate::Sts;
use nimbus_sts_api::{
    GetAccessKeyInfoRequest, GetAccessKeyInfoResponse, GetCallerIdentityRequest, GetCallerIdentityResponse,
};

impl Sts {
    pub(crate) fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        _input: GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse, AwsError> {
        let identity = self.caller(ctx).identity;
        Ok(GetCallerIdentityResponse {
            user_id: Some(identity.user_id),
            account: Some(identity.account_id),
            arn: Some(identity.arn),
        })
    }

    /// The account an access key belongs to, as the gateway would resolve it.
    pub(crate) fn get_access_key_info(
        &self,
        input: GetAccessKeyInfoRequest,
    ) -> Result<GetAccessKeyInfoResponse, AwsError> {
        let key = input.access_key_id;
        let account = match self.registry.lookup(&key) {
            Some(identity) => identity.account_id,
            None => account_for_access_key(&key, DEFAULT_ACCOUNT_ID).to_owned(),
        };
        Ok(GetAccessKeyInfoResponse {
            account: Some(account),
        })
    }
}
