//! Who may use a layer version: AddLayerVersionPermission (an account, or
//! `*` within an organization), GetLayerVersionPolicy,
//! RemoveLayerVersionPermission. Each change gives the policy a new
//! RevisionId, which the next change may name.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::Lambda;
use crate::functions::namespace;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LayerPolicy {
    statements: Vec<Json>,
    revision_id: String,
}

pub fn policy_key(name: &str, version: i64) -> Vec<u8> {
    format!("layer-policy/{name}/{version:010}").into_bytes()
}

fn no_policy() -> AwsError {
    errors::resource_not_found("No policy is associated with the given resource.").with_field("Type", "User")
}

/// The statement Lambda writes for a layer permission.
fn statement(input: &AddLayerVersionPermissionRequest, resource: &str) -> Json {
    let principal = match input.principal.as_str() {
        "*" => json!("*"),
        account => json!({ "AWS": format!("arn:aws:iam::{account}:root") }),
    };
    let mut statement = json!({
        "Sid": input.statement_id,
        "Effect": "Allow",
        "Principal": principal,
        "Action": input.action,
        "Resource": resource,
    });
    if let Some(org) = &input.organization_id {
        statement["Condition"] = json!({ "StringEquals": { "aws:PrincipalOrgID": org } });
    }
    statement
}

impl Lambda {
    async fn layer_policy(
        &self,
        ctx: &RequestContext,
        name: &str,
        version: i64,
    ) -> Result<Option<LayerPolicy>, AwsError> {
        let ns = namespace(ctx)?;
        let key = policy_key(name, version);
        self.store.get_json(&ns, &key).await.map_err(AwsError::from)
    }

    /// Changes a layer version's policy, checking the RevisionId given.
    async fn change_layer_policy(
        &self,
        ctx: &RequestContext,
        name: &str,
        version: i64,
        expected: Option<String>,
        change: impl FnOnce(&mut Vec<Json>) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<String, AwsError> {
        let ns = namespace(ctx)?;
        let key = policy_key(name, version);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut policy: LayerPolicy = table.get_json(&key)?.unwrap_or_default();
                if expected.is_some_and(|e| e != policy.revision_id) {
                    return Err(crate::updates::revision_mismatch());
                }
                change(&mut policy.statements)?;
                policy.revision_id = uuid::Uuid::new_v4().to_string();
                match policy.statements.is_empty() {
                    true => table.delete(&key).map(|_| ())?,
                    false => table.put_json(&key, &policy)?,
                }
                Ok(policy.revision_id)
            })
            .await
    }

    pub(crate) async fn add_layer_version_permission(
        &self,
        ctx: &RequestContext,
        input: AddLayerVersionPermissionRequest,
    ) -> Result<AddLayerVersionPermissionResponse, AwsError> {
        let layer = self
            .get_layer_version(
                ctx,
                GetLayerVersionRequest {
                    layer_name: input.layer_name.clone(),
                    version_number: input.version_number,
                },
            )
            .await?;
        let added = statement(&input, layer.layer_version_arn.as_deref().unwrap_or_default());
        let stored = added.clone();
        let revision = self
            .change_layer_policy(
                ctx,
                &input.layer_name,
                input.version_number,
                input.revision_id.clone(),
                move |statements| crate::permissions::add_statement(statements, stored),
            )
            .await?;
        Ok(AddLayerVersionPermissionResponse {
            statement: Some(added.to_string()),
            revision_id: Some(revision),
        })
    }

    pub(crate) async fn get_layer_version_policy(
        &self,
        ctx: &RequestContext,
        input: GetLayerVersionPolicyRequest,
    ) -> Result<GetLayerVersionPolicyResponse, AwsError> {
        let policy = self
            .layer_policy(ctx, &input.layer_name, input.version_number)
            .await?
            .ok_or_else(no_policy)?;
        Ok(GetLayerVersionPolicyResponse {
            policy: Some(crate::permissions::document(&policy.statements)),
            revision_id: Some(policy.revision_id),
        })
    }

    pub(crate) async fn remove_layer_version_permission(
        &self,
        ctx: &RequestContext,
        input: RemoveLayerVersionPermissionRequest,
    ) -> Result<(), AwsError> {
        self.layer_policy(ctx, &input.layer_name, input.version_number)
            .await?
            .ok_or_else(no_policy)?;
        let sid = input.statement_id.clone();
        self.change_layer_policy(
            ctx,
            &input.layer_name,
            input.version_number,
            input.revision_id,
            move |statements| crate::permissions::remove_statement(statements, &sid),
        )
        .await
        .map(|_| ())
    }
}
