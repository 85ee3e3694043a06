//! VPC peering connections between two VPCs of the account in its region:
//! requested (pending-acceptance; `failed` when the blocks overlap),
//! accepted (active), rejected or deleted (both seen for two hours), with
//! routes to them (`route_tables`). Peers in other accounts or regions are
//! recorded pending acceptance. Nothing carries traffic between VPCs:
//! instances all share the host's loopback.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;
use serde::{Deserialize, Serialize};

use crate::filters::{self, Values};
use crate::records::{namespace_of, vpc_key};
use crate::{Ec2, errors, ids, tags};

pub const PREFIX: &[u8] = b"pcx/";
/// How long deleted, rejected and failed connections stay visible.
const ENDED_VISIBLE_MS: i64 = 2 * 60 * 60 * 1_000;

pub fn key(id: &str) -> Vec<u8> {
    [PREFIX, id.as_bytes()].concat()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeeringRecord {
    pub connection: VpcPeeringConnection,
    pub since: i64,
}

impl PeeringRecord {
    pub fn code(&self) -> &str {
        self.connection
            .status
            .as_ref()
            .and_then(|s| s.code.as_deref())
            .unwrap_or_default()
    }

    fn visible(&self, now: i64) -> bool {
        !matches!(self.code(), "deleted" | "rejected" | "failed") || now - self.since < ENDED_VISIBLE_MS
    }

    fn enter(&mut self, code: &str, message: String, now: i64) {
        self.connection.status = Some(VpcPeeringConnectionStateReason {
            code: Some(code.to_owned()),
            message: Some(message),
        });
        self.since = now;
    }
}

pub fn peering_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidVpcPeeringConnectionID.NotFound",
        format!("The vpcPeeringConnection ID '{id}' does not exist"),
    )
}

fn info(vpc: &Vpc, region: &str) -> VpcPeeringConnectionVpcInfo {
    VpcPeeringConnectionVpcInfo {
        cidr_block: vpc.cidr_block.clone(),
        cidr_block_set: Some(vec![CidrBlock {
            cidr_block: vpc.cidr_block.clone(),
        }]),
        owner_id: vpc.owner_id.clone(),
        vpc_id: vpc.vpc_id.clone(),
        region: Some(region.to_owned()),
        ..Default::default()
    }
}

fn overlap(a: &Vpc, b: &Vpc) -> bool {
    let block = |v: &Vpc| v.cidr_block.as_deref().and_then(crate::cidr::parse);
    match (block(a), block(b)) {
        (Some(a), Some(b)) => a.contains(&b.network()) || b.contains(&a.network()),
        _ => false,
    }
}

fn values(connection: &VpcPeeringConnection) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        let requester = connection.requester_vpc_info.clone().unwrap_or_default();
        let accepter = connection.accepter_vpc_info.clone().unwrap_or_default();
        match name {
            "vpc-peering-connection-id" => one(&connection.vpc_peering_connection_id),
            "status-code" => one(&connection.status.as_ref().and_then(|s| s.code.clone())),
            "requester-vpc-info.vpc-id" => one(&requester.vpc_id),
            "requester-vpc-info.cidr-block" => one(&requester.cidr_block),
            "requester-vpc-info.owner-id" => one(&requester.owner_id),
            "accepter-vpc-info.vpc-id" => one(&accepter.vpc_id),
            "accepter-vpc-info.cidr-block" => one(&accepter.cidr_block),
            "accepter-vpc-info.owner-id" => one(&accepter.owner_id),
            other => filters::tag_values(connection.tags.as_ref(), other),
        }
    })
}

/// A connection of the caller's, as it stands.
fn connection(table: &TableMut<'_>, id: &str, now: i64) -> Result<PeeringRecord, AwsError> {
    let found: Option<PeeringRecord> = table.get_json(&key(id))?;
    found
        .filter(|r| r.visible(now))
        .ok_or_else(|| peering_missing(id))
}

fn invalid_transition(id: &str, from: &str, to: &str) -> AwsError {
    errors::client(
        "InvalidStateTransition",
        format!("Invalid state transition for {id}, attempted to transition from {from} to {to}"),
    )
}

impl Ec2 {
    pub(crate) async fn create_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: CreateVpcPeeringConnectionRequest,
    ) -> Result<CreateVpcPeeringConnectionResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let connection_tags =
            tags::from_specifications(input.tag_specifications.as_deref(), "vpc-peering-connection")?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, now, account, region) = (
            namespace_of(ctx)?,
            self.now_millis(),
            ctx.account_id.clone(),
            ctx.region.clone(),
        );
        let expires = nimbus_core::Timestamp::from_epoch_millis(now / 1000 * 1000 + 7 * 24 * 3_600_000);
        let made = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let requester: Vpc = table
                    .get_json(&vpc_key(&input.vpc_id))?
                    .ok_or_else(|| errors::vpc_missing(&input.vpc_id))?;
                let peer_id = input.peer_vpc_id.clone().ok_or_else(|| {
                    errors::client(
                        "MissingParameter",
                        "The request must contain the parameter peerVpcId",
                    )
                })?;
                let peer_owner = input.peer_owner_id.clone().unwrap_or_else(|| account.clone());
                let peer_region = input.peer_region.clone().unwrap_or_else(|| region.clone());
                let local = peer_owner == account && peer_region == region;
                let accepter = match local {
                    true => {
                        let peer: Vpc = table
                            .get_json(&vpc_key(&peer_id))?
                            .ok_or_else(|| errors::vpc_missing(&peer_id))?;
                        info(&peer, &region)
                    }
                    false => VpcPeeringConnectionVpcInfo {
                        owner_id: Some(peer_owner.clone()),
                        vpc_id: Some(peer_id.clone()),
                        region: Some(peer_region),
                        ..Default::default()
                    },
                };
                let mut record = PeeringRecord {
                    connection: VpcPeeringConnection {
                        vpc_peering_connection_id: Some(ids::new_id("pcx")),
                        requester_vpc_info: Some(info(&requester, &region)),
                        expiration_time: Some(expires),
                        tags: connection_tags,
                        ..Default::default()
                    },
                    since: now,
                };
                let overlapping = local
                    && table
                        .get_json::<Vpc>(&vpc_key(&peer_id))?
                        .is_some_and(|peer| overlap(&requester, &peer));
                match overlapping {
                    true => record.enter("failed", "Overlapping CIDR range".to_owned(), now),
                    false => record.enter(
                        "pending-acceptance",
                        format!("Pending Acceptance by {peer_owner}"),
                        now,
                    ),
                }
                record.connection.accepter_vpc_info = Some(accepter);
                table.put_json(
                    &key(record
                        .connection
                        .vpc_peering_connection_id
                        .as_deref()
                        .unwrap_or_default()),
                    &record,
                )?;
                Ok::<_, AwsError>(record.connection)
            })
            .await?;
        Ok(CreateVpcPeeringConnectionResult {
            vpc_peering_connection: Some(made),
        })
    }

    /// Moves a connection from `from` to `to` with EC2's message.
    async fn move_connection(
        &self,
        ctx: &RequestContext,
        id: String,
        from: &'static str,
        to: &'static str,
        message: String,
    ) -> Result<VpcPeeringConnection, AwsError> {
        let (ns, now) = (namespace_of(ctx)?, self.now_millis());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record = connection(&table, &id, now)?;
                let allowed = from.split('|').any(|f| f == record.code());
                if !allowed {
                    return Err(invalid_transition(&id, record.code(), to));
                }
                record.enter(to, message, now);
                table.put_json(&key(&id), &record)?;
                Ok(record.connection)
            })
            .await
    }

    pub(crate) async fn accept_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: AcceptVpcPeeringConnectionRequest,
    ) -> Result<AcceptVpcPeeringConnectionResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let accepted = self
            .move_connection(
                ctx,
                input.vpc_peering_connection_id,
                "pending-acceptance",
                "active",
                "Active".to_owned(),
            )
            .await?;
        Ok(AcceptVpcPeeringConnectionResult {
            vpc_peering_connection: Some(accepted),
        })
    }

    pub(crate) async fn reject_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: RejectVpcPeeringConnectionRequest,
    ) -> Result<RejectVpcPeeringConnectionResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let message = format!("Rejected by {}", ctx.account_id);
        self.move_connection(
            ctx,
            input.vpc_peering_connection_id,
            "pending-acceptance",
            "rejected",
            message,
        )
        .await?;
        Ok(RejectVpcPeeringConnectionResult { r#return: Some(true) })
    }

    pub(crate) async fn delete_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: DeleteVpcPeeringConnectionRequest,
    ) -> Result<DeleteVpcPeeringConnectionResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let message = format!("Deleted by {}", ctx.account_id);
        self.move_connection(
            ctx,
            input.vpc_peering_connection_id,
            "pending-acceptance|active|failed",
            "deleted",
            message,
        )
        .await?;
        Ok(DeleteVpcPeeringConnectionResult { r#return: Some(true) })
    }

    pub(crate) async fn describe_vpc_peering_connections(
        &self,
        ctx: &RequestContext,
        input: DescribeVpcPeeringConnectionsRequest,
    ) -> Result<DescribeVpcPeeringConnectionsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let now = self.now_millis();
        let all: Vec<VpcPeeringConnection> = self
            .store
            .values_under(&namespace_of(ctx)?, PREFIX)
            .await?
            .iter()
            .filter_map(|b| serde_json::from_slice::<PeeringRecord>(b).ok())
            .filter(|r| r.visible(now))
            .map(|r| r.connection)
            .collect();
        let ids = input.vpc_peering_connection_ids.unwrap_or_default();
        let chosen = filters::select(
            all,
            &ids,
            |c| c.vpc_peering_connection_id.as_ref(),
            input.filters.as_deref().unwrap_or_default(),
            values,
            peering_missing,
        )?;
        let (page, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeVpcPeeringConnectionsResult {
            vpc_peering_connections: Some(page),
            next_token,
        })
    }
}

/// Whether an active connection joins the route table's VPC (for a route to it).
pub fn joins(table: &TableMut<'_>, id: &str, vpc: Option<&str>) -> Result<bool, AwsError> {
    let Some(record) = table.get_json::<PeeringRecord>(&key(id))? else {
        return Err(peering_missing(id));
    };
    let ends = [
        &record.connection.requester_vpc_info,
        &record.connection.accepter_vpc_info,
    ];
    let joined = ends
        .iter()
        .any(|end| end.as_ref().and_then(|e| e.vpc_id.as_deref()) == vpc);
    Ok(joined && record.code() == "active")
}
