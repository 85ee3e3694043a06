//! A function's resource-based policy: AddPermission builds a statement as
//! Lambda builds it (principal, conditions on the source), GetPolicy
//! answers the document, RemovePermission takes a statement out. One policy
//! per qualifier (the function itself, a version, an alias); adding or
//! removing a statement gives the function, version or alias a new
//! RevisionId. Under `--enforce-iam` the policy lets other accounts in.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use serde_json::{Value as Json, json};

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};
use crate::records::*;
use crate::versions::is_version_number;

pub fn policy_key(name: &str, qualifier: Option<&str>) -> Vec<u8> {
    format!("policy/{name}/{}", qualifier.unwrap_or("$LATEST")).into_bytes()
}

/// Every policy of `name` lies under this.
pub fn policies_prefix(name: &str) -> Vec<u8> {
    format!("policy/{name}/").into_bytes()
}

fn no_policy() -> AwsError {
    errors::resource_not_found("The resource you requested does not exist.").with_field("Type", "User")
}

/// The Principal element for what AddPermission was given.
fn principal_element(principal: &str) -> Result<Json, AwsError> {
    if principal == "*" {
        return Ok(json!("*"));
    }
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(json!({ "AWS": format!("arn:aws:iam::{principal}:root") }));
    }
    if principal.starts_with("arn:aws:iam::") || principal.starts_with("arn:aws:sts::") {
        return Ok(json!({ "AWS": principal }));
    }
    let service_like = principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn");
    if service_like {
        return Ok(json!({ "Service": principal }));
    }
    Err(errors::invalid_parameter_value(
        "The provided principal was invalid. Please check the principal and try again.",
    ))
}

/// The statement AddPermission adds, keys in Lambda's order.
fn statement(input: &AddPermissionRequest, resource: &str) -> Result<Json, AwsError> {
    let mut equals = serde_json::Map::new();
    if let Some(auth) = &input.function_url_auth_type {
        equals.insert("lambda:FunctionUrlAuthType".into(), json!(auth));
    }
    if let Some(org) = &input.principal_org_id {
        equals.insert("aws:PrincipalOrgID".into(), json!(org));
    }
    if let Some(account) = &input.source_account {
        equals.insert("AWS:SourceAccount".into(), json!(account));
    }
    if let Some(token) = &input.event_source_token {
        equals.insert("lambda:EventSourceToken".into(), json!(token));
    }
    let mut condition = serde_json::Map::new();
    if !equals.is_empty() {
        condition.insert("StringEquals".into(), Json::Object(equals));
    }
    if let Some(source) = &input.source_arn {
        condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": source }));
    }
    let mut statement = json!({
        "Sid": input.statement_id,
        "Effect": "Allow",
        "Principal": principal_element(&input.principal)?,
        "Action": input.action,
        "Resource": resource,
    });
    if !condition.is_empty() {
        statement["Condition"] = Json::Object(condition);
    }
    Ok(statement)
}

/// A policy as GetPolicy and GetLayerVersionPolicy answer it.
pub fn document(statements: &[Json]) -> String {
    json!({ "Version": "2012-10-17", "Id": "default", "Statement": statements }).to_string()
}

/// Adds a statement, unless its Sid is taken.
pub fn add_statement(statements: &mut Vec<Json>, statement: Json) -> Result<(), AwsError> {
    let sid = statement["Sid"].as_str().unwrap_or_default().to_owned();
    if statements.iter().any(|s| s["Sid"] == json!(sid)) {
        return Err(errors::resource_conflict(format!(
            "The statement id ({sid}) provided already exists. Please provide a new statement id, \
             or remove the existing statement."
        ))
        .with_field("Type", "User"));
    }
    statements.push(statement);
    Ok(())
}

/// Takes out the statement with this Sid, which must be there.
pub fn remove_statement(statements: &mut Vec<Json>, sid: &str) -> Result<(), AwsError> {
    let before = statements.len();
    statements.retain(|s| s["Sid"] != json!(sid));
    if statements.len() == before {
        return Err(
            errors::resource_not_found(format!("Statement {sid} is not found in resource policy."))
                .with_field("Type", "User"),
        );
    }
    Ok(())
}

impl Lambda {
    /// The function (or version, or alias) a policy call names must exist;
    /// a missing alias is named as Lambda names it.
    async fn policy_target(&self, ctx: &RequestContext, function: &FunctionRef) -> Result<(), AwsError> {
        if function.qualifier.as_deref() == Some("$LATEST") {
            return Err(errors::invalid_parameter_value(
                "We currently do not support adding policies for $LATEST.",
            ));
        }
        let unqualified = FunctionRef {
            name: function.name.clone(),
            qualifier: None,
        };
        self.load(ctx, &unqualified).await?;
        match function.qualifier.as_deref() {
            Some(alias) if !is_version_number(alias) => {
                self.load(ctx, function).await.map(|_| ()).map_err(|_| {
                    errors::resource_not_found(format!(
                        "Cannot find alias arn: {}:{alias}",
                        names::function_arn(ctx, &function.name)
                    ))
                    .with_field("Type", "User")
                })
            }
            Some(_) => self.load(ctx, function).await.map(|_| ()),
            None => Ok(()),
        }
    }

    async fn alias_revision(
        &self,
        ctx: &RequestContext,
        name: &str,
        alias: &str,
    ) -> Result<Option<String>, AwsError> {
        let ns = namespace(ctx)?;
        let key = alias_key(name, alias);
        let found: Option<AliasConfiguration> =
            self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        Ok(found.and_then(|config| config.revision_id))
    }

    /// The statements of a policy, if it has any.
    pub(crate) async fn policy_statements(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
    ) -> Result<Vec<Json>, AwsError> {
        let ns = namespace(ctx)?;
        let key = policy_key(&function.name, function.qualifier.as_deref());
        let found: Option<Vec<Json>> = self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        Ok(found.unwrap_or_default())
    }

    /// The policy document a resource's ARN is authorised against.
    pub(crate) async fn policy_document(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
    ) -> Option<String> {
        let statements = self.policy_statements(ctx, function).await.ok()?;
        (!statements.is_empty()).then(|| document(&statements))
    }

    /// Changes the statements of a policy and gives its target a new
    /// RevisionId, checking the one given; answers the new RevisionId.
    async fn change_policy(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
        expected_revision: Option<String>,
        change: impl FnOnce(&mut Vec<Json>) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let name = function.name.clone();
        let qualifier = function.qualifier.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = policy_key(&name, qualifier.as_deref());
                let mut statements: Vec<Json> = table.get_json(&key)?.unwrap_or_default();
                change(&mut statements)?;
                match statements.is_empty() {
                    true => table.delete(&key).map(|_| ())?,
                    false => table.put_json(&key, &statements)?,
                }
                bump_revision(
                    &mut table,
                    &name,
                    qualifier.as_deref(),
                    expected_revision.as_deref(),
                )
            })
            .await
    }

    pub(crate) async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: AddPermissionRequest,
    ) -> Result<AddPermissionResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        self.policy_target(ctx, &function).await?;
        let resource = match &function.qualifier {
            Some(q) => format!("{}:{q}", names::function_arn(ctx, &function.name)),
            None => names::function_arn(ctx, &function.name),
        };
        let added = statement(&input, &resource)?;
        let stored = added.clone();
        self.change_policy(ctx, &function, input.revision_id.clone(), move |statements| {
            add_statement(statements, stored)
        })
        .await?;
        Ok(AddPermissionResponse {
            statement: Some(added.to_string()),
        })
    }

    pub(crate) async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        let record = self.load(ctx, &function).await?;
        let statements = self.policy_statements(ctx, &function).await?;
        if statements.is_empty() {
            return Err(no_policy());
        }
        let revision = match function.qualifier.as_deref() {
            Some(alias) if !is_version_number(alias) && alias != "$LATEST" => {
                self.alias_revision(ctx, &function.name, alias).await?
            }
            _ => record.config.revision_id,
        };
        Ok(GetPolicyResponse {
            policy: Some(document(&statements)),
            revision_id: revision,
        })
    }

    pub(crate) async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: RemovePermissionRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        if self
            .load(
                ctx,
                &FunctionRef {
                    name: function.name.clone(),
                    qualifier: None,
                },
            )
            .await
            .is_err()
        {
            return Err(errors::resource_not_found(format!(
                "No policy found for: {}",
                names::function_arn(ctx, &function.name)
            ))
            .with_field("Type", "User"));
        }
        self.policy_target(ctx, &function).await?;
        let sid = input.statement_id.clone();
        self.change_policy(ctx, &function, input.revision_id.clone(), move |statements| {
            if statements.is_empty() {
                return Err(
                    errors::resource_not_found("No policy is associated with the given resource.")
                        .with_field("Type", "User"),
                );
            }
            remove_statement(statements, &sid)
        })
        .await
    }
}

/// Gives the record a policy belongs to (the function, a version or an
/// alias) a new RevisionId, after checking the expected one.
fn bump_revision(
    table: &mut nimbus_store::TableMut<'_>,
    name: &str,
    qualifier: Option<&str>,
    expected: Option<&str>,
) -> Result<(), AwsError> {
    let fresh = uuid::Uuid::new_v4().to_string();
    match qualifier {
        Some(alias) if !is_version_number(alias) => {
            let key = alias_key(name, alias);
            let Some(mut config) = table.get_json::<AliasConfiguration>(&key)? else {
                return Ok(());
            };
            if expected.is_some_and(|e| config.revision_id.as_deref() != Some(e)) {
                return Err(crate::updates::revision_mismatch());
            }
            config.revision_id = Some(fresh);
            table.put_json(&key, &config)?;
        }
        _ => {
            let key = match qualifier {
                Some(number) => version_key(name, number.parse().unwrap_or(u32::MAX)),
                None => function_key(name),
            };
            let Some(mut record) = table.get_json::<FunctionRecord>(&key)? else {
                return Ok(());
            };
            crate::updates::check_revision(&record, expected)?;
            // A policy is not what a version publishes: $LATEST stays as
            // published if it was.
            if record.published_revision.as_deref() == Some(record.revision()) {
                record.published_revision = Some(fresh.clone());
            }
            record.config.revision_id = Some(fresh);
            table.put_json(&key, &record)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_written_as_lambda_writes_them() {
        assert_eq!(principal_element("*").unwrap(), json!("*"));
        assert_eq!(
            principal_element("111122223333").unwrap(),
            json!({ "AWS": "arn:aws:iam::111122223333:root" })
        );
        assert_eq!(
            principal_element("s3.amazonaws.com").unwrap(),
            json!({ "Service": "s3.amazonaws.com" })
        );
        assert_eq!(
            principal_element("not a principal").unwrap_err().message,
            "The provided principal was invalid. Please check the principal and try again."
        );
    }

    #[test]
    fn conditions_come_in_lambdas_order() {
        let input = AddPermissionRequest {
            statement_id: "s3".into(),
            action: "lambda:InvokeFunction".into(),
            principal: "s3.amazonaws.com".into(),
            source_arn: Some("arn:aws:s3:::b".into()),
            source_account: Some("111111111111".into()),
            ..Default::default()
        };
        let text = statement(&input, "arn:aws:lambda:us-east-1:111111111111:function:f")
            .unwrap()
            .to_string();
        assert_eq!(
            text,
            r#"{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"}}}"#
        );
    }
}
