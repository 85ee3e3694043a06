//! Route tables: every VPC's main table (a local route for its block; the
//! default VPC's also 0.0.0.0/0 to its internet gateway), the account's
//! own, their routes (to the VPC's internet gateway) and their subnets.
//! A subnet without a table of its own uses the main one.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;

use crate::filters::{self, Values};
use crate::records::{RTB_PREFIX, igw_key, namespace_of, rtb_key, subnet_key, vpc_key};
use crate::{Ec2, errors, gateways, ids, tags};

pub fn rtb_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidRouteTableID.NotFound",
        format!("The routeTable ID '{id}' does not exist"),
    )
}

fn route_missing(destination: &str, table: &str) -> AwsError {
    errors::client(
        "InvalidRoute.NotFound",
        format!("no route with destination-cidr-block {destination} in route table {table}"),
    )
}

fn association(table: &str, subnet: Option<&str>) -> RouteTableAssociation {
    RouteTableAssociation {
        main: Some(subnet.is_none()),
        route_table_association_id: Some(ids::new_id("rtbassoc")),
        route_table_id: Some(table.to_owned()),
        subnet_id: subnet.map(str::to_owned),
        association_state: Some(RouteTableAssociationState {
            state: Some("associated".to_owned()),
            status_message: None,
        }),
        ..Default::default()
    }
}

fn route_to(destination: &str, target: &str, origin: &str) -> Route {
    let nat = target.starts_with("nat-");
    let peering = target.starts_with("pcx-");
    Route {
        destination_cidr_block: Some(destination.to_owned()),
        gateway_id: (!nat && !peering).then(|| target.to_owned()),
        nat_gateway_id: nat.then(|| target.to_owned()),
        vpc_peering_connection_id: peering.then(|| target.to_owned()),
        origin: Some(origin.to_owned()),
        state: Some("active".to_owned()),
        ..Default::default()
    }
}

/// A table of `vpc` (block `block`), its main one when `main`.
pub fn new_table(ctx: &RequestContext, vpc: &str, block: &str, main: bool) -> RouteTable {
    let id = ids::new_id("rtb");
    RouteTable {
        associations: Some(main.then(|| association(&id, None)).into_iter().collect()),
        propagating_vgws: Some(Vec::new()),
        routes: Some(vec![route_to(block, "local", "CreateRouteTable")]),
        route_table_id: Some(id),
        vpc_id: Some(vpc.to_owned()),
        owner_id: Some(ctx.account_id.clone()),
        tags: None,
    }
}

fn values(table: &RouteTable) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        let associations = table.associations.iter().flatten();
        let routes = table.routes.iter().flatten();
        match name {
            "route-table-id" => one(&table.route_table_id),
            "vpc-id" => one(&table.vpc_id),
            "owner-id" => one(&table.owner_id),
            "association.main" => Some(
                associations
                    .filter_map(|a| a.main.map(|m| m.to_string()))
                    .collect(),
            ),
            "association.subnet-id" => Some(associations.filter_map(|a| a.subnet_id.clone()).collect()),
            "association.route-table-association-id" => Some(
                associations
                    .filter_map(|a| a.route_table_association_id.clone())
                    .collect(),
            ),
            "association.route-table-id" => {
                Some(associations.filter_map(|a| a.route_table_id.clone()).collect())
            }
            "route.destination-cidr-block" => {
                Some(routes.filter_map(|r| r.destination_cidr_block.clone()).collect())
            }
            "route.gateway-id" => Some(routes.filter_map(|r| r.gateway_id.clone()).collect()),
            "route.origin" => Some(routes.filter_map(|r| r.origin.clone()).collect()),
            "route.state" => Some(routes.filter_map(|r| r.state.clone()).collect()),
            other => filters::tag_values(table.tags.as_ref(), other),
        }
    })
}

/// Every route table kept in `table` (a store table).
pub fn all_tables(table: &TableMut<'_>) -> Result<Vec<RouteTable>, AwsError> {
    let mut found = Vec::new();
    for entry in table.scan(RTB_PREFIX)? {
        found.push(entry?.decode()?);
    }
    Ok(found)
}

/// The gateway a route may go to: an internet gateway attached to the
/// table's VPC.
fn check_target(table: &TableMut<'_>, route_table: &RouteTable, gateway: &str) -> Result<(), AwsError> {
    if gateway.starts_with("nat-") {
        return check_nat(table, route_table, gateway);
    }
    if gateway.starts_with("pcx-") {
        return match crate::peering::joins(table, gateway, route_table.vpc_id.as_deref())? {
            true => Ok(()),
            false => Err(errors::invalid_parameter(format!(
                "route table {} and network gateway {gateway} belong to different networks",
                route_table.route_table_id.as_deref().unwrap_or_default()
            ))),
        };
    }
    let found: Option<InternetGateway> = table.get_json(&igw_key(gateway))?;
    let Some(found) = found else {
        return Err(errors::client(
            "InvalidGatewayID.NotFound",
            format!("The gateway ID '{gateway}' does not exist"),
        ));
    };
    let vpc = route_table.vpc_id.as_deref();
    if !found
        .attachments
        .iter()
        .flatten()
        .any(|a| a.vpc_id.as_deref() == vpc)
    {
        return Err(errors::invalid_parameter(format!(
            "route table {} and network gateway {gateway} belong to different networks",
            route_table.route_table_id.as_deref().unwrap_or_default()
        )));
    }
    Ok(())
}

/// A NAT gateway a route may go to: one of the table's VPC, not deleted.
fn check_nat(table: &TableMut<'_>, route_table: &RouteTable, id: &str) -> Result<(), AwsError> {
    let found: Option<NatGateway> = table.get_json(&crate::records::nat_key(id))?;
    let usable = found.filter(|g| !matches!(g.state.as_deref(), Some("deleting" | "deleted")));
    let Some(found) = usable else {
        return Err(crate::nat_gateways::nat_missing(id));
    };
    if found.vpc_id != route_table.vpc_id {
        return Err(errors::invalid_parameter(format!(
            "route table {} and network gateway {id} belong to different networks",
            route_table.route_table_id.as_deref().unwrap_or_default()
        )));
    }
    Ok(())
}

/// The target of a CreateRoute or ReplaceRoute: an internet gateway, a NAT
/// gateway or a VPC peering connection (the kinds nimbus has yet).
fn target_of(served: &[Option<&String>], others: &[Option<&String>]) -> Result<String, AwsError> {
    if let Some(other) = others.iter().flatten().next() {
        return Err(errors::invalid_parameter(format!(
            "nimbus routes to internet and NAT gateways and peering connections only yet, not to {other}"
        )));
    }
    served.iter().flatten().next().map(|t| (*t).clone()).ok_or_else(|| {
        errors::client("MissingParameter", "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId or instanceId")
    })
}

/// A table's routes as they stand: one whose gateway is gone (a NAT
/// gateway deleted, an internet gateway detached) is a `blackhole`.
fn with_blackholes(mut table: RouteTable, live: &[String]) -> RouteTable {
    for route in table.routes.iter_mut().flatten() {
        let target = route
            .nat_gateway_id
            .as_ref()
            .or(route.vpc_peering_connection_id.as_ref())
            .or(route.gateway_id.as_ref());
        if let Some(target) = target.filter(|t| t.as_str() != "local")
            && !live.contains(target)
        {
            route.state = Some("blackhole".to_owned());
        }
    }
    table
}

impl Ec2 {
    /// The gateways routes may still reach: attached internet gateways and
    /// NAT gateways not deleted.
    async fn live_targets(&self, ctx: &RequestContext) -> Result<Vec<String>, AwsError> {
        let gateways = self
            .gateways(ctx)
            .await?
            .into_iter()
            .filter(|g| g.attachments.iter().flatten().next().is_some());
        let mut live: Vec<String> = gateways.filter_map(|g| g.internet_gateway_id).collect();
        let nats = self.nat_gateways(ctx).await?.into_iter();
        let nats = nats.filter(|g| !matches!(g.state.as_deref(), Some("deleting" | "deleted")));
        live.extend(nats.filter_map(|g| g.nat_gateway_id));
        let peerings = self
            .store
            .values_under(&namespace_of(ctx)?, crate::peering::PREFIX)
            .await?;
        let peerings = peerings
            .iter()
            .filter_map(|b| serde_json::from_slice::<crate::peering::PeeringRecord>(b).ok());
        live.extend(
            peerings
                .filter(|p| p.code() == "active")
                .filter_map(|p| p.connection.vpc_peering_connection_id),
        );
        Ok(live)
    }

    async fn change_table<T: Send + 'static>(
        &self,
        ctx: &RequestContext,
        id: &str,
        change: impl FnOnce(&TableMut<'_>, &mut RouteTable) -> Result<T, AwsError> + Send + 'static,
    ) -> Result<T, AwsError> {
        let (ns, key, id) = (namespace_of(ctx)?, rtb_key(id), id.to_owned());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut route_table: RouteTable = table.get_json(&key)?.ok_or_else(|| rtb_missing(&id))?;
                let answer = change(&table, &mut route_table)?;
                table.put_json(&key, &route_table)?;
                Ok(answer)
            })
            .await
    }

    pub(crate) async fn create_route_table(
        &self,
        ctx: &RequestContext,
        input: CreateRouteTableRequest,
    ) -> Result<CreateRouteTableResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let ns = namespace_of(ctx)?;
        let vpc: Vpc = self
            .store
            .get_json(&ns, &vpc_key(&input.vpc_id))
            .await?
            .ok_or_else(|| errors::vpc_missing(&input.vpc_id))?;
        let mut route_table = new_table(
            ctx,
            &input.vpc_id,
            vpc.cidr_block.as_deref().unwrap_or_default(),
            false,
        );
        route_table.tags = tags::from_specifications(input.tag_specifications.as_deref(), "route-table")?;
        errors::check_dry_run(input.dry_run)?;
        let key = rtb_key(route_table.route_table_id.as_deref().unwrap_or_default());
        self.store.put_json(&ns, &key, route_table.clone()).await?;
        Ok(CreateRouteTableResult {
            route_table: Some(route_table),
            client_token: input.client_token,
        })
    }

    pub(crate) async fn describe_route_tables(
        &self,
        ctx: &RequestContext,
        input: DescribeRouteTablesRequest,
    ) -> Result<DescribeRouteTablesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let stored = self.store.values_under(&namespace_of(ctx)?, RTB_PREFIX).await?;
        let live = self.live_targets(ctx).await?;
        let all: Vec<RouteTable> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .map(|table| with_blackholes(table, &live))
            .collect();
        let ids = input.route_table_ids.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let tables = filters::select(
            all,
            &ids,
            |r| r.route_table_id.as_ref(),
            &filters,
            values,
            rtb_missing,
        )?;
        let (tables, next_token) =
            crate::paging::page(tables, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeRouteTablesResult {
            route_tables: Some(tables),
            next_token,
        })
    }

    pub(crate) async fn delete_route_table(
        &self,
        ctx: &RequestContext,
        input: DeleteRouteTableRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, id) = (namespace_of(ctx)?, input.route_table_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let route_table: RouteTable =
                    table.get_json(&rtb_key(&id))?.ok_or_else(|| rtb_missing(&id))?;
                if !route_table.associations.unwrap_or_default().is_empty() {
                    return Err(errors::client(
                        "DependencyViolation",
                        format!("The routeTable '{id}' has dependencies and cannot be deleted."),
                    ));
                }
                table.delete(&rtb_key(&id))?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn create_route(
        &self,
        ctx: &RequestContext,
        input: CreateRouteRequest,
    ) -> Result<CreateRouteResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let destination = input.destination_cidr_block.clone().ok_or_else(|| {
            errors::client(
                "MissingParameter",
                "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock",
            )
        })?;
        let served = [
            input.gateway_id.as_ref(),
            input.nat_gateway_id.as_ref(),
            input.vpc_peering_connection_id.as_ref(),
        ];
        let others = [input.instance_id.as_ref(), input.network_interface_id.as_ref()];
        let gateway = target_of(&served, &others)?;
        let block = crate::cidr::parse(&destination).ok_or_else(|| {
            errors::invalid_parameter(format!("Value ({destination}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."))
        })?;
        errors::check_dry_run(input.dry_run)?;
        self.change_table(ctx, &input.route_table_id, move |table, route_table| {
            check_target(table, route_table, &gateway)?;
            let routes = route_table.routes.get_or_insert_default();
            if routes
                .iter()
                .any(|r| r.destination_cidr_block.as_deref() == Some(block.to_string().as_str()))
            {
                return Err(errors::client(
                    "RouteAlreadyExists",
                    format!("The route identified by {block} already exists."),
                ));
            }
            routes.push(route_to(&block.to_string(), &gateway, "CreateRoute"));
            Ok(CreateRouteResult { r#return: Some(true) })
        })
        .await
    }

    pub(crate) async fn replace_route(
        &self,
        ctx: &RequestContext,
        input: ReplaceRouteRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let destination = input.destination_cidr_block.clone().unwrap_or_default();
        let served = [
            input.gateway_id.as_ref(),
            input.nat_gateway_id.as_ref(),
            input.vpc_peering_connection_id.as_ref(),
        ];
        let others = [input.instance_id.as_ref(), input.network_interface_id.as_ref()];
        let gateway = target_of(&served, &others)?;
        errors::check_dry_run(input.dry_run)?;
        let id = input.route_table_id.clone();
        self.change_table(ctx, &input.route_table_id, move |table, route_table| {
            check_target(table, route_table, &gateway)?;
            let routes = route_table.routes.get_or_insert_default();
            let route = routes
                .iter_mut()
                .find(|r| {
                    r.destination_cidr_block.as_deref() == Some(destination.as_str())
                        && r.gateway_id.as_deref() != Some("local")
                })
                .ok_or_else(|| route_missing(&destination, &id))?;
            *route = route_to(&destination, &gateway, "CreateRoute");
            Ok(())
        })
        .await
    }

    pub(crate) async fn delete_route(
        &self,
        ctx: &RequestContext,
        input: DeleteRouteRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let destination = input.destination_cidr_block.clone().unwrap_or_default();
        let id = input.route_table_id.clone();
        self.change_table(ctx, &input.route_table_id, move |_, route_table| {
            let routes = route_table.routes.get_or_insert_default();
            let at = routes
                .iter()
                .position(|r| r.destination_cidr_block.as_deref() == Some(destination.as_str()));
            let at = at.ok_or_else(|| route_missing(&destination, &id))?;
            if routes[at].gateway_id.as_deref() == Some("local") {
                return Err(errors::invalid_parameter(format!(
                    "cannot remove local route {destination} in route table {id}"
                )));
            }
            routes.remove(at);
            Ok(())
        })
        .await
    }

    pub(crate) async fn associate_route_table(
        &self,
        ctx: &RequestContext,
        input: AssociateRouteTableRequest,
    ) -> Result<AssociateRouteTableResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let subnet_id = input.subnet_id.clone().ok_or_else(|| {
            errors::client(
                "MissingParameter",
                "The request must contain the parameter subnetId",
            )
        })?;
        let ns = namespace_of(ctx)?;
        let subnet: Subnet = self
            .store
            .get_json(&ns, &subnet_key(&subnet_id))
            .await?
            .ok_or_else(|| errors::subnet_missing(&subnet_id))?;
        errors::check_dry_run(input.dry_run)?;
        let id = input.route_table_id.clone();
        let made = association(&id, Some(&subnet_id));
        let answer = made.clone();
        self.change_table(ctx, &input.route_table_id, move |table, route_table| {
            if route_table.vpc_id != subnet.vpc_id {
                return Err(errors::invalid_parameter(format!(
                    "Route table {id} and subnet {subnet_id} belong to different networks"
                )));
            }
            let taken = all_tables(table)?.iter().flat_map(|t| t.associations.iter().flatten().cloned().collect::<Vec<_>>()).any(|a| a.subnet_id.as_deref() == Some(subnet_id.as_str()));
            if taken {
                return Err(errors::client(
                    "Resource.AlreadyAssociated",
                    format!("the specified association for route table {id} conflicts with an existing association"),
                ));
            }
            route_table.associations.get_or_insert_default().push(made);
            Ok(())
        })
        .await?;
        Ok(AssociateRouteTableResult {
            association_id: answer.route_table_association_id,
            association_state: answer.association_state,
        })
    }

    pub(crate) async fn disassociate_route_table(
        &self,
        ctx: &RequestContext,
        input: DisassociateRouteTableRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, id) = (namespace_of(ctx)?, input.association_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for mut route_table in all_tables(&table)? {
                    let associations = route_table.associations.get_or_insert_default();
                    let Some(at) = associations
                        .iter()
                        .position(|a| a.route_table_association_id.as_deref() == Some(id.as_str()))
                    else {
                        continue;
                    };
                    if associations[at].main == Some(true) {
                        return Err(errors::invalid_parameter(format!(
                            "cannot disassociate the main route table association {id}"
                        )));
                    }
                    associations.remove(at);
                    table.put_json(
                        &rtb_key(route_table.route_table_id.as_deref().unwrap_or_default()),
                        &route_table,
                    )?;
                    return Ok(());
                }
                Err(errors::client(
                    "InvalidAssociationID.NotFound",
                    format!("The association ID '{id}' does not exist"),
                ))
            })
            .await
    }
}

/// Forgets the associations of a deleted subnet.
pub fn forget_subnet(table: &mut TableMut<'_>, subnet: &str) -> Result<(), AwsError> {
    for mut route_table in all_tables(table)? {
        let associations = route_table.associations.get_or_insert_default();
        let before = associations.len();
        associations.retain(|a| a.subnet_id.as_deref() != Some(subnet));
        if associations.len() != before {
            table.put_json(
                &rtb_key(route_table.route_table_id.as_deref().unwrap_or_default()),
                &route_table,
            )?;
        }
    }
    Ok(())
}

/// The default VPC's internet gateway and main table (a route to it).
pub fn default_network(ctx: &RequestContext, vpc: &str, block: &str) -> (InternetGateway, RouteTable) {
    let gateway = gateways::new_gateway(ctx, Some(vpc));
    let mut main = new_table(ctx, vpc, block, true);
    let gateway_id = gateway.internet_gateway_id.clone().unwrap_or_default();
    main.routes
        .get_or_insert_default()
        .push(route_to("0.0.0.0/0", &gateway_id, "CreateRoute"));
    (gateway, main)
}
