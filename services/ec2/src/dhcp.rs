//! DHCP options sets: the account's default one in each region (the
//! region's domain name and Amazon's resolver), which every VPC gets when
//! made, and the account's own, associated with VPCs and deleted when no
//! VPC uses them.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;

use crate::filters::{self, Values};
use crate::records::{DOPT_PREFIX, VPC_PREFIX, dopt_key, namespace_of, vpc_key};
use crate::{Ec2, errors, ids, tags};

/// Where the default set's id is kept.
const DEFAULT_KEY: &[u8] = b"defaultdopt";

/// The options a set may hold.
const KEYS: &[&str] = &[
    "domain-name",
    "domain-name-servers",
    "ntp-servers",
    "netbios-name-servers",
    "netbios-node-type",
    "ipv6-address-preferred-lease-time",
];

fn dopt_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidDhcpOptionID.NotFound",
        format!("The dhcpOption ID '{id}' does not exist"),
    )
}

fn options(ctx: &RequestContext, configurations: Vec<(String, Vec<String>)>) -> DhcpOptions {
    DhcpOptions {
        owner_id: Some(ctx.account_id.clone()),
        tags: None,
        dhcp_options_id: Some(ids::new_id("dopt")),
        dhcp_configurations: Some(
            configurations
                .into_iter()
                .map(|(key, values)| DhcpConfiguration {
                    key: Some(key),
                    values: Some(
                        values
                            .into_iter()
                            .map(|value| AttributeValue { value: Some(value) })
                            .collect(),
                    ),
                })
                .collect(),
        ),
    }
}

/// The id of the region's default set, made the first time it is needed.
pub fn default_set(table: &mut TableMut<'_>, ctx: &RequestContext) -> Result<String, AwsError> {
    if let Some(id) = table.get_json::<String>(DEFAULT_KEY)? {
        return Ok(id);
    }
    let domain = match ctx.region.as_str() {
        "us-east-1" => "ec2.internal".to_owned(),
        region => format!("{region}.compute.internal"),
    };
    let set = options(
        ctx,
        vec![
            ("domain-name".to_owned(), vec![domain]),
            (
                "domain-name-servers".to_owned(),
                vec!["AmazonProvidedDNS".to_owned()],
            ),
        ],
    );
    let id = set.dhcp_options_id.clone().unwrap_or_default();
    table.put_json(&dopt_key(&id), &set)?;
    table.put_json(DEFAULT_KEY, &id)?;
    Ok(id)
}

fn values(set: &DhcpOptions) -> Values<'_> {
    Box::new(move |name| {
        let configurations = set.dhcp_configurations.iter().flatten();
        match name {
            "dhcp-options-id" => Some(set.dhcp_options_id.iter().cloned().collect()),
            "owner-id" => Some(set.owner_id.iter().cloned().collect()),
            "key" => Some(configurations.filter_map(|c| c.key.clone()).collect()),
            "value" => Some(
                configurations
                    .flat_map(|c| {
                        c.values
                            .iter()
                            .flatten()
                            .filter_map(|v| v.value.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect(),
            ),
            other => filters::tag_values(set.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    pub(crate) async fn create_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: CreateDhcpOptionsRequest,
    ) -> Result<CreateDhcpOptionsResult, AwsError> {
        let mut configurations = Vec::new();
        for configuration in input.dhcp_configurations {
            let key = configuration.key.unwrap_or_default();
            if !KEYS.contains(&key.as_str()) {
                return Err(errors::invalid_parameter(format!(
                    "Value ({key}) for parameter dhcpConfiguration.key is invalid. Unknown DHCP option"
                )));
            }
            configurations.push((key, configuration.values.unwrap_or_default()));
        }
        let mut set = options(ctx, configurations);
        set.tags = tags::from_specifications(input.tag_specifications.as_deref(), "dhcp-options")?;
        errors::check_dry_run(input.dry_run)?;
        let key = dopt_key(set.dhcp_options_id.as_deref().unwrap_or_default());
        self.store
            .put_json(&namespace_of(ctx)?, &key, set.clone())
            .await?;
        Ok(CreateDhcpOptionsResult {
            dhcp_options: Some(set),
        })
    }

    pub(crate) async fn describe_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: DescribeDhcpOptionsRequest,
    ) -> Result<DescribeDhcpOptionsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let stored = self.store.values_under(&namespace_of(ctx)?, DOPT_PREFIX).await?;
        let all: Vec<DhcpOptions> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let ids = input.dhcp_options_ids.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let sets = filters::select(
            all,
            &ids,
            |r| r.dhcp_options_id.as_ref(),
            &filters,
            values,
            dopt_missing,
        )?;
        let (sets, next_token) = crate::paging::page(sets, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeDhcpOptionsResult {
            dhcp_options: Some(sets),
            next_token,
        })
    }

    pub(crate) async fn associate_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: AssociateDhcpOptionsRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, set, vpc) = (namespace_of(ctx)?, input.dhcp_options_id, input.vpc_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                // `default` means no options at all, as EC2 takes it.
                if set != "default" && table.get(&dopt_key(&set))?.is_none() {
                    return Err(dopt_missing(&set));
                }
                let mut found: Vpc = table
                    .get_json(&vpc_key(&vpc))?
                    .ok_or_else(|| errors::vpc_missing(&vpc))?;
                found.dhcp_options_id = Some(set);
                table.put_json(&vpc_key(&vpc), &found)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn delete_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: DeleteDhcpOptionsRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, id) = (namespace_of(ctx)?, input.dhcp_options_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&dopt_key(&id))?.is_none() {
                    return Err(dopt_missing(&id));
                }
                for entry in table.scan(VPC_PREFIX)? {
                    let vpc: Vpc = entry?.decode()?;
                    if vpc.dhcp_options_id.as_deref() == Some(id.as_str()) {
                        return Err(errors::client(
                            "DependencyViolation",
                            format!("The dhcpOptions '{id}' has dependencies and cannot be deleted."),
                        ));
                    }
                }
                table.delete(&dopt_key(&id))?;
                if table.get_json::<String>(DEFAULT_KEY)?.as_deref() == Some(id.as_str()) {
                    table.delete(DEFAULT_KEY)?;
                }
                Ok(())
            })
            .await
    }

    pub(crate) async fn describe_account_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeAccountAttributesRequest,
    ) -> Result<DescribeAccountAttributesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let stored = self.store.values_under(&namespace_of(ctx)?, VPC_PREFIX).await?;
        let default_vpc = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<Vpc>(bytes).ok())
            .find(|v| v.is_default == Some(true))
            .and_then(|v| v.vpc_id)
            .unwrap_or_else(|| "none".to_owned());
        let all = [
            ("supported-platforms", "VPC".to_owned()),
            ("default-vpc", default_vpc),
            ("max-instances", "20".to_owned()),
            ("vpc-max-security-groups-per-interface", "5".to_owned()),
            ("max-elastic-ips", "5".to_owned()),
            ("vpc-max-elastic-ips", "5".to_owned()),
        ];
        let names = input.attribute_names.unwrap_or_default();
        let attributes = all
            .into_iter()
            .filter(|(name, _)| names.is_empty() || names.iter().any(|n| n == name))
            .map(|(name, value)| AccountAttribute {
                attribute_name: Some(name.to_owned()),
                attribute_values: Some(vec![AccountAttributeValue {
                    attribute_value: Some(value),
                }]),
            })
            .collect();
        Ok(DescribeAccountAttributesResult {
            account_attributes: Some(attributes),
        })
    }
}
