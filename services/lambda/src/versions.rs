//! Versions: PublishVersion (an immutable copy of `$LATEST`'s code and
//! configuration, numbered 1, 2, ...; the last one again when nothing
//! changed), ListVersionsByFunction, deleting one version, and reading a
//! function by its qualifier (`$LATEST`, a number, or an alias).

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use nimbus_store::TableMut;

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};
use crate::records::*;

pub fn is_version_number(qualifier: &str) -> bool {
    !qualifier.is_empty() && qualifier.bytes().all(|b| b.is_ascii_digit())
}

/// A version's configuration as published from `latest`.
fn published(latest: &FunctionRecord, number: u32, description: Option<String>) -> FunctionConfiguration {
    let mut config = latest.config.clone();
    let arn = config.function_arn.clone().unwrap_or_default();
    config.function_arn = Some(format!("{arn}:{number}"));
    config.version = Some(number.to_string());
    config.revision_id = Some(uuid::Uuid::new_v4().to_string());
    if let Some(description) = description {
        config.description = Some(description);
    }
    config
}

/// Releases a package blob unless another record of the function (its
/// `$LATEST` or another version) still holds it.
pub fn release_unless_shared(
    txn: &nimbus_store::WriteTxn,
    table: &TableMut<'_>,
    name: &str,
    blob: &nimbus_store::BlobRef,
    except: &[u8],
) -> Result<(), AwsError> {
    let mut holders = vec![function_key(name)];
    for entry in table.scan(&versions_prefix(name))? {
        holders.push(entry?.key);
    }
    for key in holders.iter().filter(|key| key.as_slice() != except) {
        if let Some(record) = table.get_json::<FunctionRecord>(key)?
            && record.code.id == blob.id
        {
            return Ok(());
        }
    }
    txn.release_blob(blob)?;
    Ok(())
}

impl Lambda {
    /// Publishes `$LATEST` as a new version, or answers the last version
    /// when `$LATEST` has not changed since it.
    pub(crate) async fn publish(
        &self,
        ctx: &RequestContext,
        name: &str,
        expected: PublishChecks,
    ) -> Result<FunctionConfiguration, AwsError> {
        let ns = namespace(ctx)?;
        let name = name.to_owned();
        let missing = names::not_found(
            ctx,
            &FunctionRef {
                name: name.clone(),
                qualifier: None,
            },
        );
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut latest: FunctionRecord = table.get_json(&function_key(&name))?.ok_or(missing)?;
                expected.check(&latest)?;
                if latest.last_version > 0 && latest.published_revision.as_deref() == Some(latest.revision())
                {
                    let last: FunctionRecord = table
                        .get_json(&version_key(&name, latest.last_version))?
                        .ok_or_else(|| AwsError::internal("a published version is missing"))?;
                    return Ok(last.config);
                }
                let number = latest.last_version + 1;
                let version = FunctionRecord {
                    config: published(&latest, number, expected.description),
                    code: latest.code.clone(),
                    code_hex: latest.code_hex.clone(),
                    tags: Default::default(),
                    last_version: 0,
                    published_revision: None,
                };
                table.put_json(&version_key(&name, number), &version)?;
                latest.last_version = number;
                latest.published_revision = Some(latest.revision().to_owned());
                table.put_json(&function_key(&name), &latest)?;
                Ok::<_, AwsError>(version.config)
            })
            .await
    }

    pub(crate) async fn publish_version(
        &self,
        ctx: &RequestContext,
        input: PublishVersionRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        let checks = PublishChecks {
            code_sha256: input.code_sha256,
            revision_id: input.revision_id,
            description: input.description,
        };
        self.publish(ctx, &function.name, checks).await
    }

    pub(crate) async fn list_versions_by_function(
        &self,
        ctx: &RequestContext,
        input: ListVersionsByFunctionRequest,
    ) -> Result<ListVersionsByFunctionResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        let ns = namespace(ctx)?;
        let name = function.name.clone();
        let missing = names::not_found(ctx, &function);
        let mut versions: Vec<FunctionConfiguration> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let latest: FunctionRecord = table.get_json(&function_key(&name))?.ok_or(missing)?;
                let mut versions = vec![latest.config];
                for entry in table.scan(&versions_prefix(&name))? {
                    versions.push(entry?.decode::<FunctionRecord>()?.config);
                }
                Ok::<_, AwsError>(versions)
            })
            .await?;
        if let Some(latest) = versions.first_mut() {
            let arn = latest.function_arn.clone().unwrap_or_default();
            latest.function_arn = Some(format!("{arn}:$LATEST"));
        }
        let (page, next_marker) =
            crate::paging::page(versions, input.marker.as_deref(), input.max_items, 10_000)?;
        Ok(ListVersionsByFunctionResponse {
            next_marker,
            versions: Some(page),
        })
    }

    /// DeleteFunction with a version number: refused while an alias routes
    /// to it; a version that does not exist is not an error.
    pub(crate) async fn delete_version(
        &self,
        ctx: &RequestContext,
        name: &str,
        number: u32,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let name = name.to_owned();
        let version = number.to_string();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = version_key(&name, number);
                let Some(record) = table.get_json::<FunctionRecord>(&key)? else {
                    return Ok(());
                };
                let mut referring = Vec::new();
                for entry in table.scan(&aliases_prefix(&name))? {
                    let alias: AliasConfiguration = entry?.decode()?;
                    if crate::aliases::routes_to(&alias, &version) {
                        referring.push(alias.name.unwrap_or_default());
                    }
                }
                if !referring.is_empty() {
                    return Err(errors::resource_conflict(format!(
                        "Unable to delete version because the following aliases reference it: [{}]",
                        referring.join(", ")
                    ))
                    .with_field("Type", "User"));
                }
                release_unless_shared(txn, &table, &name, &record.code, &key)?;
                table.delete(&key)?;
                table.delete(&crate::permissions::policy_key(&name, Some(&version)))?;
                table.delete(&crate::event_invoke::config_key(&name, &version))?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    /// The record a qualifier names: `$LATEST` (or none), a published
    /// version, or an alias (resolved to one of its versions by their
    /// weights; the configuration then carries the alias's ARN).
    pub(crate) async fn load(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
    ) -> Result<FunctionRecord, AwsError> {
        let ns = namespace(ctx)?;
        let name = function.name.clone();
        let qualifier = function.qualifier.clone();
        let missing = names::not_found(ctx, function);
        let found: Option<(FunctionRecord, Option<String>)> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let version = match qualifier.as_deref() {
                    None | Some("$LATEST") => None,
                    Some(q) if is_version_number(q) => Some(q.to_owned()),
                    Some(alias) => match table.get_json::<AliasConfiguration>(&alias_key(&name, alias))? {
                        Some(config) => crate::aliases::pick_version(&config),
                        None => return Ok(None),
                    },
                };
                let key = match version.as_deref() {
                    None | Some("$LATEST") => function_key(&name),
                    Some(number) => version_key(&name, number.parse().unwrap_or(u32::MAX)),
                };
                let alias = qualifier.filter(|q| q != "$LATEST" && !is_version_number(q));
                Ok::<_, AwsError>(
                    table
                        .get_json::<FunctionRecord>(&key)?
                        .map(|record| (record, alias)),
                )
            })
            .await?;
        let (mut record, alias) = found.ok_or(missing)?;
        if let Some(alias) = alias {
            record.config.function_arn =
                Some(format!("{}:{alias}", names::function_arn(ctx, &function.name)));
        }
        Ok(record)
    }
}

/// What PublishVersion is asked to check, and the version's description.
#[derive(Default)]
pub struct PublishChecks {
    pub code_sha256: Option<String>,
    pub revision_id: Option<String>,
    pub description: Option<String>,
}

impl PublishChecks {
    fn check(&self, latest: &FunctionRecord) -> Result<(), AwsError> {
        let current = latest.config.code_sha256.clone().unwrap_or_default();
        if let Some(expected) = &self.code_sha256
            && *expected != current
        {
            return Err(errors::invalid_parameter_value(format!(
                "CodeSHA256 ({expected}) is different from current CodeSHA256 in $LATEST ({current}). \
                 Please try again with the CodeSHA256 in $LATEST."
            ))
            .with_field("Type", "User"));
        }
        crate::updates::check_revision(latest, self.revision_id.as_deref())
    }
}
