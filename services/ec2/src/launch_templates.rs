//! Launch templates: named, versioned launch parameters (`lt/<id>`, the
//! template with its versions). RunInstances takes what its request leaves
//! out from the version it names (`$Default` unless told, `$Latest`, or a
//! number) and tags the instances with the template and version, as EC2 does.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::filters::{self, Values};
use crate::records::namespace_of;
use crate::{Ec2, errors, ids, tags};

const PREFIX: &[u8] = b"lt/";

fn key(id: &str) -> Vec<u8> {
    [PREFIX, id.as_bytes()].concat()
}

/// A template and every version it has.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TemplateRecord {
    template: LaunchTemplate,
    versions: Vec<LaunchTemplateVersion>,
}

fn name_missing(name: &str) -> AwsError {
    errors::client(
        "InvalidLaunchTemplateName.NotFoundException",
        format!("The specified launch template, with template name {name}, does not exist."),
    )
}

fn id_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidLaunchTemplateId.NotFound",
        format!("The specified launch template, with template ID {id}, does not exist."),
    )
}

fn version_missing(id: &str, version: &str) -> AwsError {
    errors::client(
        "InvalidLaunchTemplateId.VersionNotFound",
        format!("Could not find the specified version {version} for the launch template with ID {id}."),
    )
}

/// Launch template names: 3 to 128 letters, digits and `()./_-`.
fn check_name(name: &str) -> Result<(), AwsError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "()./_-".contains(c);
    if (3..=128).contains(&name.len()) && name.chars().all(allowed) {
        return Ok(());
    }
    Err(errors::client(
        "InvalidLaunchTemplateName.MalformedException",
        "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the \
         following characters: - ( ) . / _.'",
    ))
}

/// What can read templates: a read or a write table.
trait Templates {
    fn template(&self, id: &str) -> Result<Option<TemplateRecord>, AwsError>;
    fn every_template(&self) -> Result<Vec<TemplateRecord>, AwsError>;
}

macro_rules! templates {
    ($table:ty) => {
        impl Templates for $table {
            fn template(&self, id: &str) -> Result<Option<TemplateRecord>, AwsError> {
                Ok(self.get_json(&key(id))?)
            }

            fn every_template(&self) -> Result<Vec<TemplateRecord>, AwsError> {
                let mut all = Vec::new();
                for entry in self.scan(PREFIX)? {
                    all.push(entry?.decode()?);
                }
                Ok(all)
            }
        }
    };
}

templates!(nimbus_store::TableRef);
templates!(TableMut<'_>);

/// The template a request names by id or by name.
fn find(table: &impl Templates, id: Option<&str>, name: Option<&str>) -> Result<TemplateRecord, AwsError> {
    match (id, name) {
        (Some(id), _) => table.template(id)?.ok_or_else(|| id_missing(id)),
        (None, Some(name)) => table
            .every_template()?
            .into_iter()
            .find(|r| r.template.launch_template_name.as_deref() == Some(name))
            .ok_or_else(|| name_missing(name)),
        (None, None) => Err(errors::client(
            "MissingParameter",
            "The request must contain the parameter launchTemplateName or launchTemplateId",
        )),
    }
}

/// A version string (`$Latest`, `$Default`, a number; none is the default)
/// as the version number it means.
fn version_number(template: &LaunchTemplate, asked: Option<&str>) -> Result<i64, AwsError> {
    let id = template.launch_template_id.as_deref().unwrap_or_default();
    match asked.unwrap_or("$Default") {
        "$Latest" => Ok(template.latest_version_number.unwrap_or(1)),
        "$Default" => Ok(template.default_version_number.unwrap_or(1)),
        number => number.parse().map_err(|_| version_missing(id, number)),
    }
}

fn version_of<'r>(
    record: &'r TemplateRecord,
    asked: Option<&str>,
) -> Result<&'r LaunchTemplateVersion, AwsError> {
    let number = version_number(&record.template, asked)?;
    let id = record.template.launch_template_id.as_deref().unwrap_or_default();
    record
        .versions
        .iter()
        .find(|v| v.version_number == Some(number))
        .ok_or_else(|| version_missing(id, &number.to_string()))
}

/// A request's data as the response shape (the same members by name).
fn as_response(data: Option<RequestLaunchTemplateData>) -> Result<ResponseLaunchTemplateData, AwsError> {
    let value = serde_json::to_value(data.unwrap_or_default())
        .map_err(|e| errors::invalid_parameter(e.to_string()))?;
    serde_json::from_value(value).map_err(|e| errors::invalid_parameter(e.to_string()))
}

/// `base` with what `over` sets put over it (member by member).
fn overlay(
    base: &ResponseLaunchTemplateData,
    over: ResponseLaunchTemplateData,
) -> ResponseLaunchTemplateData {
    let (Ok(Json::Object(mut merged)), Ok(Json::Object(given))) =
        (serde_json::to_value(base), serde_json::to_value(&over))
    else {
        return over;
    };
    merged.extend(given);
    serde_json::from_value(Json::Object(merged)).unwrap_or(over)
}

fn new_version(
    template: &LaunchTemplate,
    number: i64,
    description: Option<String>,
    data: ResponseLaunchTemplateData,
    now: nimbus_core::Timestamp,
) -> LaunchTemplateVersion {
    LaunchTemplateVersion {
        launch_template_id: template.launch_template_id.clone(),
        launch_template_name: template.launch_template_name.clone(),
        version_number: Some(number),
        version_description: description,
        create_time: Some(now),
        created_by: template.created_by.clone(),
        default_version: Some(template.default_version_number == Some(number)),
        launch_template_data: Some(data),
        ..Default::default()
    }
}

fn values(template: &LaunchTemplate) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "launch-template-name" => one(&template.launch_template_name),
            "launch-template-id" => one(&template.launch_template_id),
            "create-time" => Some(
                template
                    .create_time
                    .map(|t| crate::instances::utc(t.as_epoch_millis(), "T"))
                    .into_iter()
                    .collect(),
            ),
            other => filters::tag_values(template.tags.as_ref(), other),
        }
    })
}

/// RunInstances' request with what it leaves out taken from the template
/// version it names, and the system tags its instances get (EC2's own
/// `aws:` keys, which a request may not give).
fn apply_template(
    table: &impl Templates,
    input: RunInstancesRequest,
) -> Result<(RunInstancesRequest, Vec<Tag>), AwsError> {
    let Some(spec) = input.launch_template.clone() else {
        return Ok((input, Vec::new()));
    };
    let record = find(
        table,
        spec.launch_template_id.as_deref(),
        spec.launch_template_name.as_deref(),
    )?;
    let version = version_of(&record, spec.version.as_deref())?;
    let data = version.launch_template_data.clone().unwrap_or_default();
    let (Ok(Json::Object(mut merged)), Ok(Json::Object(asked))) =
        (serde_json::to_value(&data), serde_json::to_value(&input))
    else {
        return Ok((input, Vec::new()));
    };
    let template_tags = merged.remove("TagSpecifications");
    merged.extend(asked.into_iter().filter(|(_, v)| !v.is_null()));
    let mut merged: RunInstancesRequest =
        serde_json::from_value(Json::Object(merged)).map_err(|e| errors::invalid_parameter(e.to_string()))?;
    let mut specifications: Vec<TagSpecification> = template_tags
        .and_then(|t| serde_json::from_value(t).ok())
        .unwrap_or_default();
    specifications.extend(merged.tag_specifications.take().unwrap_or_default());
    merged.tag_specifications = Some(specifications);
    let system = vec![
        system_tag(
            "aws:ec2launchtemplate:id",
            record.template.launch_template_id.clone(),
        ),
        system_tag(
            "aws:ec2launchtemplate:version",
            version.version_number.map(|n| n.to_string()),
        ),
    ];
    Ok((merged, system))
}

fn system_tag(key: &str, value: Option<String>) -> Tag {
    Tag {
        key: Some(key.to_owned()),
        value,
    }
}

impl Ec2 {
    /// RunInstances' request completed from the launch template it names,
    /// and the system tags its instances get.
    pub(crate) async fn with_template(
        &self,
        ctx: &RequestContext,
        input: RunInstancesRequest,
    ) -> Result<(RunInstancesRequest, Vec<Tag>), AwsError> {
        if input.launch_template.is_none() {
            return Ok((input, Vec::new()));
        }
        let ns = namespace_of(ctx)?;
        self.store
            .read(move |txn| apply_template(&txn.open(&ns)?, input))
            .await
    }

    pub(crate) async fn create_launch_template(
        &self,
        ctx: &RequestContext,
        input: CreateLaunchTemplateRequest,
    ) -> Result<CreateLaunchTemplateResult, AwsError> {
        check_name(&input.launch_template_name)?;
        let template_tags =
            tags::from_specifications(input.tag_specifications.as_deref(), "launch-template")?;
        let data = as_response(Some(input.launch_template_data))?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, now) = (namespace_of(ctx)?, crate::records::now(&self.clock));
        let template = LaunchTemplate {
            launch_template_id: Some(ids::new_id("lt")),
            launch_template_name: Some(input.launch_template_name.clone()),
            create_time: Some(now),
            created_by: Some(format!("arn:aws:iam::{}:root", ctx.account_id)),
            default_version_number: Some(1),
            latest_version_number: Some(1),
            tags: template_tags,
            ..Default::default()
        };
        let record = TemplateRecord {
            versions: vec![new_version(&template, 1, input.version_description, data, now)],
            template: template.clone(),
        };
        let name = input.launch_template_name;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if find(&table, None, Some(&name)).is_ok() {
                    return Err(errors::client(
                        "InvalidLaunchTemplateName.AlreadyExistsException",
                        "Launch template name already in use.",
                    ));
                }
                table.put_json(
                    &key(record.template.launch_template_id.as_deref().unwrap_or_default()),
                    &record,
                )?;
                Ok(())
            })
            .await?;
        Ok(CreateLaunchTemplateResult {
            launch_template: Some(template),
            warning: None,
        })
    }

    pub(crate) async fn create_launch_template_version(
        &self,
        ctx: &RequestContext,
        input: CreateLaunchTemplateVersionRequest,
    ) -> Result<CreateLaunchTemplateVersionResult, AwsError> {
        let given = as_response(Some(input.launch_template_data))?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, now) = (namespace_of(ctx)?, crate::records::now(&self.clock));
        let (id, name, source, description) = (
            input.launch_template_id,
            input.launch_template_name,
            input.source_version,
            input.version_description,
        );
        let version = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record = find(&table, id.as_deref(), name.as_deref())?;
                let data = match &source {
                    Some(source) => overlay(
                        &version_of(&record, Some(source))?
                            .launch_template_data
                            .clone()
                            .unwrap_or_default(),
                        given,
                    ),
                    None => given,
                };
                let number = record.template.latest_version_number.unwrap_or(0) + 1;
                let version = new_version(&record.template, number, description, data, now);
                record.template.latest_version_number = Some(number);
                record.versions.push(version.clone());
                table.put_json(
                    &key(record.template.launch_template_id.as_deref().unwrap_or_default()),
                    &record,
                )?;
                Ok::<_, AwsError>(version)
            })
            .await?;
        Ok(CreateLaunchTemplateVersionResult {
            launch_template_version: Some(version),
            warning: None,
        })
    }

    async fn templates(&self, ctx: &RequestContext) -> Result<Vec<TemplateRecord>, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|b| serde_json::from_slice(b).ok())
            .collect())
    }

    pub(crate) async fn describe_launch_templates(
        &self,
        ctx: &RequestContext,
        input: DescribeLaunchTemplatesRequest,
    ) -> Result<DescribeLaunchTemplatesResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let all: Vec<LaunchTemplate> = self
            .templates(ctx)
            .await?
            .into_iter()
            .map(|r| r.template)
            .collect();
        let names = input.launch_template_names.unwrap_or_default();
        if let Some(unknown) = names
            .iter()
            .find(|n| !all.iter().any(|t| t.launch_template_name.as_ref() == Some(n)))
        {
            return Err(name_missing(unknown));
        }
        let ids = input.launch_template_ids.unwrap_or_default();
        let named: Vec<LaunchTemplate> = all
            .into_iter()
            .filter(|t| {
                names.is_empty() || t.launch_template_name.as_ref().is_some_and(|n| names.contains(n))
            })
            .collect();
        let chosen = filters::select(
            named,
            &ids,
            |t| t.launch_template_id.as_ref(),
            input.filters.as_deref().unwrap_or_default(),
            values,
            id_missing,
        )?;
        let (page, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeLaunchTemplatesResult {
            launch_templates: Some(page),
            next_token,
        })
    }

    pub(crate) async fn describe_launch_template_versions(
        &self,
        ctx: &RequestContext,
        input: DescribeLaunchTemplateVersionsRequest,
    ) -> Result<DescribeLaunchTemplateVersionsResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let (id, name) = (
            input.launch_template_id.clone(),
            input.launch_template_name.clone(),
        );
        let record = self
            .store
            .read(move |txn| find(&txn.open(&ns)?, id.as_deref(), name.as_deref()))
            .await?;
        let asked = input.versions.unwrap_or_default();
        let mut versions = Vec::new();
        for version in &asked {
            versions.push(version_of(&record, Some(version))?.clone());
        }
        if asked.is_empty() {
            let bound = |v: &Option<String>| {
                v.as_deref()
                    .map(|v| version_number(&record.template, Some(v)))
                    .transpose()
            };
            let (low, high) = (bound(&input.min_version)?, bound(&input.max_version)?);
            versions = record
                .versions
                .iter()
                .filter(|v| {
                    low.is_none_or(|low| v.version_number >= Some(low))
                        && high.is_none_or(|high| v.version_number <= Some(high))
                })
                .cloned()
                .collect();
        }
        let (page, next_token) =
            crate::paging::page(versions, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeLaunchTemplateVersionsResult {
            launch_template_versions: Some(page),
            next_token,
        })
    }

    pub(crate) async fn modify_launch_template(
        &self,
        ctx: &RequestContext,
        input: ModifyLaunchTemplateRequest,
    ) -> Result<ModifyLaunchTemplateResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let (id, name, default) = (
            input.launch_template_id,
            input.launch_template_name,
            input.default_version,
        );
        let template = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record = find(&table, id.as_deref(), name.as_deref())?;
                if let Some(default) = default {
                    let number = version_of(&record, Some(&default))?.version_number;
                    record.template.default_version_number = number;
                    for version in &mut record.versions {
                        version.default_version = Some(version.version_number == number);
                    }
                }
                table.put_json(
                    &key(record.template.launch_template_id.as_deref().unwrap_or_default()),
                    &record,
                )?;
                Ok::<_, AwsError>(record.template)
            })
            .await?;
        Ok(ModifyLaunchTemplateResult {
            launch_template: Some(template),
        })
    }

    pub(crate) async fn delete_launch_template(
        &self,
        ctx: &RequestContext,
        input: DeleteLaunchTemplateRequest,
    ) -> Result<DeleteLaunchTemplateResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let (id, name) = (input.launch_template_id, input.launch_template_name);
        let template = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let record = find(&table, id.as_deref(), name.as_deref())?;
                table.delete(&key(record
                    .template
                    .launch_template_id
                    .as_deref()
                    .unwrap_or_default()))?;
                Ok::<_, AwsError>(record.template)
            })
            .await?;
        Ok(DeleteLaunchTemplateResult {
            launch_template: Some(template),
        })
    }

    pub(crate) async fn delete_launch_template_versions(
        &self,
        ctx: &RequestContext,
        input: DeleteLaunchTemplateVersionsRequest,
    ) -> Result<DeleteLaunchTemplateVersionsResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let (id, name, asked) = (
            input.launch_template_id,
            input.launch_template_name,
            input.versions,
        );
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record = find(&table, id.as_deref(), name.as_deref())?;
                let (mut deleted, mut refused) = (Vec::new(), Vec::new());
                for version in asked {
                    let number = version.parse::<i64>().ok();
                    let refusal = match number {
                        Some(n) if record.template.default_version_number == Some(n) => Some((
                            "unexpectedError",
                            "Cannot delete the default version of a launch template. Use DeleteLaunchTemplate to delete the template.",
                        )),
                        Some(n) if record.versions.iter().any(|v| v.version_number == Some(n)) => None,
                        _ => Some(("launchTemplateVersionDoesNotExist", "The specified launch template version does not exist.")),
                    };
                    let (template_id, template_name) = (record.template.launch_template_id.clone(), record.template.launch_template_name.clone());
                    match refusal {
                        None => {
                            record.versions.retain(|v| v.version_number != number);
                            deleted.push(DeleteLaunchTemplateVersionsResponseSuccessItem {
                                launch_template_id: template_id,
                                launch_template_name: template_name,
                                version_number: number,
                            });
                        }
                        Some((code, message)) => refused.push(DeleteLaunchTemplateVersionsResponseErrorItem {
                            launch_template_id: template_id,
                            launch_template_name: template_name,
                            version_number: number,
                            response_error: Some(ResponseError {
                                code: Some(code.to_owned()),
                                message: Some(message.to_owned()),
                            }),
                        }),
                    }
                }
                table.put_json(&key(record.template.launch_template_id.as_deref().unwrap_or_default()), &record)?;
                Ok::<_, AwsError>(DeleteLaunchTemplateVersionsResult {
                    successfully_deleted_launch_template_versions: Some(deleted),
                    unsuccessfully_deleted_launch_template_versions: Some(refused),
                })
            })
            .await
    }
}
