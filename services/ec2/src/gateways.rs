//! Internet gateways: made detached, attached to one VPC (one gateway per
//! VPC), detached, deleted once detached. The default VPC has one.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::records::{IGW_PREFIX, igw_key, namespace_of, vpc_key};
use crate::{Ec2, errors, ids, tags};

pub fn igw_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidInternetGatewayID.NotFound",
        format!("The internetGateway ID '{id}' does not exist"),
    )
}

/// A new gateway, attached to `vpc` when one is named.
pub fn new_gateway(ctx: &RequestContext, vpc: Option<&str>) -> InternetGateway {
    InternetGateway {
        attachments: Some(vpc.map(attachment).into_iter().collect()),
        internet_gateway_id: Some(ids::new_id("igw")),
        owner_id: Some(ctx.account_id.clone()),
        tags: None,
    }
}

/// An attachment as DescribeInternetGateways shows it.
fn attachment(vpc: &str) -> InternetGatewayAttachment {
    InternetGatewayAttachment {
        state: Some("available".to_owned()),
        vpc_id: Some(vpc.to_owned()),
    }
}

fn attached_to(gateway: &InternetGateway) -> Option<&str> {
    gateway
        .attachments
        .iter()
        .flatten()
        .find_map(|a| a.vpc_id.as_deref())
}

fn values(gateway: &InternetGateway) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "internet-gateway-id" => one(&gateway.internet_gateway_id),
            "owner-id" => one(&gateway.owner_id),
            "attachment.vpc-id" => Some(attached_to(gateway).map(str::to_owned).into_iter().collect()),
            "attachment.state" => Some(
                gateway
                    .attachments
                    .iter()
                    .flatten()
                    .filter_map(|a| a.state.clone())
                    .collect(),
            ),
            other => filters::tag_values(gateway.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    /// Every gateway of the region.
    pub(crate) async fn gateways(&self, ctx: &RequestContext) -> Result<Vec<InternetGateway>, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, IGW_PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect())
    }

    pub(crate) async fn create_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: CreateInternetGatewayRequest,
    ) -> Result<CreateInternetGatewayResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let mut gateway = new_gateway(ctx, None);
        gateway.tags = tags::from_specifications(input.tag_specifications.as_deref(), "internet-gateway")?;
        errors::check_dry_run(input.dry_run)?;
        let key = igw_key(gateway.internet_gateway_id.as_deref().unwrap_or_default());
        self.store
            .put_json(&namespace_of(ctx)?, &key, gateway.clone())
            .await?;
        Ok(CreateInternetGatewayResult {
            internet_gateway: Some(gateway),
        })
    }

    pub(crate) async fn describe_internet_gateways(
        &self,
        ctx: &RequestContext,
        input: DescribeInternetGatewaysRequest,
    ) -> Result<DescribeInternetGatewaysResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let all = self.gateways(ctx).await?;
        let ids = input.internet_gateway_ids.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let gateways = filters::select(
            all,
            &ids,
            |g| g.internet_gateway_id.as_ref(),
            &filters,
            values,
            igw_missing,
        )?;
        let (gateways, next_token) =
            crate::paging::page(gateways, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeInternetGatewaysResult {
            internet_gateways: Some(gateways),
            next_token,
        })
    }

    pub(crate) async fn attach_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: AttachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let (id, vpc) = (input.internet_gateway_id, input.vpc_id);
        let ns = namespace_of(ctx)?;
        if self.store.get_json::<Vpc>(&ns, &vpc_key(&vpc)).await?.is_none() {
            return Err(errors::vpc_missing(&vpc));
        }
        let others = self.gateways(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut gateway: InternetGateway =
                    table.get_json(&igw_key(&id))?.ok_or_else(|| igw_missing(&id))?;
                if let Some(current) = attached_to(&gateway) {
                    return Err(errors::client(
                        "Resource.AlreadyAssociated",
                        format!("resource {id} is already attached to network {current}"),
                    ));
                }
                if others.iter().any(|g| attached_to(g) == Some(vpc.as_str())) {
                    return Err(errors::invalid_parameter(format!(
                        "Network {vpc} already has an internet gateway attached"
                    )));
                }
                gateway.attachments = Some(vec![attachment(&vpc)]);
                table.put_json(&igw_key(&id), &gateway)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn detach_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: DetachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let (id, vpc) = (input.internet_gateway_id, input.vpc_id);
        let ns = namespace_of(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut gateway: InternetGateway =
                    table.get_json(&igw_key(&id))?.ok_or_else(|| igw_missing(&id))?;
                if attached_to(&gateway) != Some(vpc.as_str()) {
                    return Err(errors::client(
                        "Gateway.NotAttached",
                        format!("resource {id} is not attached to network {vpc}"),
                    ));
                }
                gateway.attachments = Some(Vec::new());
                table.put_json(&igw_key(&id), &gateway)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn delete_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: DeleteInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let id = input.internet_gateway_id;
        let ns = namespace_of(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let gateway: InternetGateway =
                    table.get_json(&igw_key(&id))?.ok_or_else(|| igw_missing(&id))?;
                if attached_to(&gateway).is_some() {
                    return Err(errors::client(
                        "DependencyViolation",
                        format!("The internetGateway '{id}' has dependencies and cannot be deleted."),
                    ));
                }
                table.delete(&igw_key(&id))?;
                Ok(())
            })
            .await
    }
}
