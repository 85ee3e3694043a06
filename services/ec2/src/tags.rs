//! Tags of EC2's resources (VPCs, subnets, groups, gateways, instances, ...): given when a
//! resource is made (TagSpecifications), changed by CreateTags and
//! DeleteTags on any of them by id, listed by DescribeTags; kept in the
//! resource's own record.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use serde_json::{Value as Json, json};

use crate::filters::{self, Values};
use crate::records::{
    self, DOPT_PREFIX, EIP_PREFIX, IGW_PREFIX, INSTANCE_PREFIX, RTB_PREFIX, SG_PREFIX, SUBNET_PREFIX,
    VPC_PREFIX, namespace_of,
};
use crate::{Ec2, errors};

/// Tags a resource may hold.
const MOST: usize = 50;

fn check(tag: &Tag) -> Result<(), AwsError> {
    let key = tag.key.as_deref().unwrap_or_default();
    if key.starts_with("aws:") {
        return Err(errors::invalid_parameter(format!(
            "Value ( {key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use"
        )));
    }
    if key.is_empty() || key.chars().count() > 128 {
        return Err(errors::invalid_parameter(format!(
            "Value ( {key} ) for parameter key is invalid. Tag keys must be between 1 and 128 characters"
        )));
    }
    if tag.value.as_deref().unwrap_or_default().chars().count() > 256 {
        return Err(errors::invalid_parameter(format!(
            "Value for tag key {key} is invalid. Tag values must be at most 256 characters"
        )));
    }
    Ok(())
}

fn too_many() -> AwsError {
    errors::client(
        "TagLimitExceeded",
        "The maximum number of Tags for a resource has been reached.",
    )
}

/// The tags a new resource of `kind` gets from its TagSpecifications.
pub fn from_specifications(
    specifications: Option<&[TagSpecification]>,
    kind: &str,
) -> Result<Option<Vec<Tag>>, AwsError> {
    let mut tags: Vec<Tag> = Vec::new();
    for specification in specifications.unwrap_or_default() {
        if specification.resource_type.as_deref().is_some_and(|t| t != kind) {
            continue;
        }
        for tag in specification.tags.iter().flatten() {
            check(tag)?;
            tags.retain(|t| t.key != tag.key);
            tags.push(tag.clone());
        }
    }
    if tags.len() > MOST {
        return Err(too_many());
    }
    Ok((!tags.is_empty()).then_some(tags))
}

/// The resource's own shape in its record (a security group's record
/// keeps it beside its rules).
/// The resource's own shape in its record: a security group's record keeps
/// it beside its rules, an instance's beside what only EC2 sees.
fn body(record: &Json) -> &Json {
    NESTED.iter().find_map(|name| record.get(*name)).unwrap_or(record)
}

const NESTED: [&str; 7] = [
    "group",
    "instance",
    "volume",
    "snapshot",
    "template",
    "image",
    "connection",
];

fn tags_of(record: &Json) -> Vec<Tag> {
    serde_json::from_value(body(record).get("Tags").cloned().unwrap_or(Json::Null)).unwrap_or_default()
}

fn set_tags(record: &mut Json, tags: Vec<Tag>) {
    let nested = NESTED.iter().find(|name| record.get(**name).is_some());
    let body = match nested {
        Some(name) => &mut record[*name],
        None => record,
    };
    if let Some(object) = body.as_object_mut() {
        match tags.is_empty() {
            true => object.remove("Tags"),
            false => object.insert("Tags".to_owned(), json!(tags)),
        };
    }
}

/// The key of each resource id, refusing an id EC2 does not know.
fn keys_of(resources: &[String]) -> Result<Vec<(String, Vec<u8>)>, AwsError> {
    resources
        .iter()
        .map(|id| {
            let key = records::key_of(id)
                .ok_or_else(|| errors::client("InvalidID", format!("The ID '{id}' is not valid")))?;
            Ok((id.clone(), key))
        })
        .collect()
}

fn missing(id: &str) -> AwsError {
    match crate::ids::kind_of(id) {
        Some("subnet") => errors::subnet_missing(id),
        Some("security-group") => crate::security_groups::group_missing(id),
        Some("internet-gateway") => crate::gateways::igw_missing(id),
        Some("route-table") => crate::route_tables::rtb_missing(id),
        Some("elastic-ip") => crate::addresses::allocation_missing(id),
        Some("instance") => crate::instances::instance_missing(id),
        Some("volume") => crate::volumes::volume_missing(id),
        Some("snapshot") => crate::snapshots::snapshot_missing(id),
        _ => errors::vpc_missing(id),
    }
}

impl Ec2 {
    /// Changes the tags of every resource named, in one transaction.
    async fn change_tags(
        &self,
        ctx: &RequestContext,
        resources: &[String],
        change: impl Fn(&mut Vec<Tag>) + Send + 'static,
    ) -> Result<(), AwsError> {
        let keys = keys_of(resources)?;
        let ns = namespace_of(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for (id, key) in keys {
                    let mut record: Json = table.get_json(&key)?.ok_or_else(|| missing(&id))?;
                    let mut tags = tags_of(&record);
                    change(&mut tags);
                    if tags.len() > MOST {
                        return Err(too_many());
                    }
                    set_tags(&mut record, tags);
                    table.put_json(&key, &record)?;
                }
                Ok(())
            })
            .await
    }

    pub(crate) async fn create_tags(
        &self,
        ctx: &RequestContext,
        input: CreateTagsRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        input.tags.iter().try_for_each(check)?;
        keys_of(&input.resources)?;
        errors::check_dry_run(input.dry_run)?;
        let added = input.tags;
        self.change_tags(ctx, &input.resources, move |tags| {
            for tag in &added {
                tags.retain(|t| t.key != tag.key);
                tags.push(Tag {
                    key: tag.key.clone(),
                    value: Some(tag.value.clone().unwrap_or_default()),
                });
            }
        })
        .await
    }

    pub(crate) async fn delete_tags(
        &self,
        ctx: &RequestContext,
        input: DeleteTagsRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        // A tag with a value removes the key only when the value matches.
        let removed = input.tags;
        self.change_tags(ctx, &input.resources, move |tags| match &removed {
            None => tags.clear(),
            Some(removed) => tags.retain(|tag| {
                !removed.iter().any(|r| {
                    r.key == tag.key && r.value.as_ref().is_none_or(|v| Some(v) == tag.value.as_ref())
                })
            }),
        })
        .await
    }

    pub(crate) async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsRequest,
    ) -> Result<DescribeTagsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let mut described = Vec::new();
        for (prefix, kind, id_member) in [
            (VPC_PREFIX, "vpc", "VpcId"),
            (SUBNET_PREFIX, "subnet", "SubnetId"),
            (SG_PREFIX, "security-group", "GroupId"),
            (IGW_PREFIX, "internet-gateway", "InternetGatewayId"),
            (RTB_PREFIX, "route-table", "RouteTableId"),
            (EIP_PREFIX, "elastic-ip", "AllocationId"),
            (DOPT_PREFIX, "dhcp-options", "DhcpOptionsId"),
            (INSTANCE_PREFIX, "instance", "InstanceId"),
            (crate::volumes::PREFIX, "volume", "VolumeId"),
            (b"snap/".as_slice(), "snapshot", "SnapshotId"),
            (b"lt/".as_slice(), "launch-template", "LaunchTemplateId"),
            (b"ami/".as_slice(), "image", "ImageId"),
        ] {
            for bytes in self.store.values_under(&ns, prefix).await? {
                let record: Json = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
                let id = body(&record)
                    .get(id_member)
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned();
                described.extend(tags_of(&record).into_iter().map(|tag| TagDescription {
                    key: tag.key,
                    resource_id: Some(id.clone()),
                    resource_type: Some(kind.to_owned()),
                    value: tag.value,
                }));
            }
        }
        let filters = input.filters.unwrap_or_default();
        let mut tags = Vec::new();
        for tag in described {
            let keep = {
                let values: Values<'_> = Box::new(|name| {
                    let one = |value: &Option<String>| Some(value.iter().cloned().collect());
                    match name {
                        "key" => one(&tag.key),
                        "value" => one(&tag.value),
                        "resource-id" => one(&tag.resource_id),
                        "resource-type" => one(&tag.resource_type),
                        _ => None,
                    }
                });
                filters::matches(&filters, &values)?
            };
            if keep {
                tags.push(tag);
            }
        }
        let (tags, next_token) = crate::paging::page(tags, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeTagsResult {
            tags: Some(tags),
            next_token,
        })
    }
}
