//! Elastic Load Balancing v2, over the nimbus store, with a data plane.
//!
//! The service implements the generated [`Elbv2Api`]: one method per
//! operation listed in apis/elbv2/operations.txt, each handled by a module
//! of its concern. What the records say runs in [`plane`]: each listener
//! listens on its load balancer's node addresses, proxies to the targets of
//! its rules' target groups, and health checks probe those targets.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod actions;
mod arns;
mod attributes;
mod errors;
mod limits;
mod listeners;
mod load_balancers;
mod network;
mod nodes;
mod paging;
pub mod plane;
mod records;
mod rules;
mod tags;
mod target_groups;
mod targets;

use std::sync::Arc;

use nimbus_core::context::ServicePrincipal;
use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::Ec2Client;
use nimbus_elbv2_api::*;
use nimbus_lambda_api::LambdaClient;
use nimbus_protocol::service::BoxFuture;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The Elastic Load Balancing v2 service. State lives in the store; what
/// runs lives in the plane.
#[derive(Clone)]
pub struct Elbv2 {
    store: Arc<Store>,
    clock: Clock,
    ec2: Option<Ec2Client>,
    wiring: plane::Wiring,
    plane: plane::Plane,
}

impl Elbv2 {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        let plane = plane::Plane::new(Arc::clone(&store), clock.clone(), plane::Wiring::default());
        Elbv2 {
            store,
            clock,
            ec2: None,
            wiring: plane::Wiring::default(),
            plane,
        }
    }

    fn rewired(mut self) -> Self {
        self.plane = plane::Plane::new(Arc::clone(&self.store), self.clock.clone(), self.wiring.clone());
        self
    }

    /// Subnets, security groups and instance targets come from EC2.
    pub fn with_ec2(mut self, ec2: Ec2Client) -> Self {
        self.wiring.ec2 = Some(ec2.clone());
        self.ec2 = Some(ec2);
        self.rewired()
    }

    /// Lambda targets are invoked through Lambda, as `principal`
    /// (elasticloadbalancing.amazonaws.com).
    pub fn with_functions(mut self, lambda: LambdaClient, principal: ServicePrincipal) -> Self {
        self.wiring.functions = Some(plane::lambda::Functions { lambda, principal });
        self.rewired()
    }

    /// Brings back the listeners and health checks of every load balancer
    /// the store holds (after a restart).
    pub fn start_background(&self) {
        let plane = self.plane.clone();
        tokio::spawn(async move { plane.resume().await });
    }

    fn ec2(&self) -> Result<&Ec2Client, AwsError> {
        self.ec2.as_ref().ok_or_else(|| {
            AwsError::new(
                "InternalFailure",
                "ELB has no EC2 to place load balancers in",
                500,
            )
        })
    }

    /// Makes the data plane match the records of the caller's account and region.
    async fn apply(&self, ctx: &RequestContext) {
        self.plane.sync(&ctx.account_id, &ctx.region).await;
    }
}

macro_rules! delegate {
    ($($name:ident($input:ty) -> $output:ty;)*) => {
        $(async fn $name(&self, ctx: &RequestContext, input: $input) -> Result<$output, AwsError> {
            Elbv2::$name(self, ctx, input).await
        })*
    };
}

/// The operations, served by the handlers of the modules.
impl Elbv2Api for Elbv2 {
    delegate! {
        create_load_balancer(CreateLoadBalancerInput) -> CreateLoadBalancerOutput;
        describe_load_balancers(DescribeLoadBalancersInput) -> DescribeLoadBalancersOutput;
        delete_load_balancer(DeleteLoadBalancerInput) -> DeleteLoadBalancerOutput;
        describe_load_balancer_attributes(DescribeLoadBalancerAttributesInput) -> DescribeLoadBalancerAttributesOutput;
        modify_load_balancer_attributes(ModifyLoadBalancerAttributesInput) -> ModifyLoadBalancerAttributesOutput;
        set_security_groups(SetSecurityGroupsInput) -> SetSecurityGroupsOutput;
        set_subnets(SetSubnetsInput) -> SetSubnetsOutput;
        set_ip_address_type(SetIpAddressTypeInput) -> SetIpAddressTypeOutput;
        create_target_group(CreateTargetGroupInput) -> CreateTargetGroupOutput;
        describe_target_groups(DescribeTargetGroupsInput) -> DescribeTargetGroupsOutput;
        modify_target_group(ModifyTargetGroupInput) -> ModifyTargetGroupOutput;
        delete_target_group(DeleteTargetGroupInput) -> DeleteTargetGroupOutput;
        describe_target_group_attributes(DescribeTargetGroupAttributesInput) -> DescribeTargetGroupAttributesOutput;
        modify_target_group_attributes(ModifyTargetGroupAttributesInput) -> ModifyTargetGroupAttributesOutput;
        register_targets(RegisterTargetsInput) -> RegisterTargetsOutput;
        deregister_targets(DeregisterTargetsInput) -> DeregisterTargetsOutput;
        describe_target_health(DescribeTargetHealthInput) -> DescribeTargetHealthOutput;
        create_listener(CreateListenerInput) -> CreateListenerOutput;
        describe_listeners(DescribeListenersInput) -> DescribeListenersOutput;
        modify_listener(ModifyListenerInput) -> ModifyListenerOutput;
        delete_listener(DeleteListenerInput) -> DeleteListenerOutput;
        describe_listener_attributes(DescribeListenerAttributesInput) -> DescribeListenerAttributesOutput;
        modify_listener_attributes(ModifyListenerAttributesInput) -> ModifyListenerAttributesOutput;
        describe_capacity_reservation(DescribeCapacityReservationInput) -> DescribeCapacityReservationOutput;
        create_rule(CreateRuleInput) -> CreateRuleOutput;
        describe_rules(DescribeRulesInput) -> DescribeRulesOutput;
        modify_rule(ModifyRuleInput) -> ModifyRuleOutput;
        delete_rule(DeleteRuleInput) -> DeleteRuleOutput;
        set_rule_priorities(SetRulePrioritiesInput) -> SetRulePrioritiesOutput;
        add_tags(AddTagsInput) -> AddTagsOutput;
        remove_tags(RemoveTagsInput) -> RemoveTagsOutput;
        describe_tags(DescribeTagsInput) -> DescribeTagsOutput;
        describe_account_limits(DescribeAccountLimitsInput) -> DescribeAccountLimitsOutput;
        describe_ssl_policies(DescribeSSLPoliciesInput) -> DescribeSSLPoliciesOutput;
    }

    /// After a reset or a snapshot restore, what ran for the old state stops
    /// and what the new state says starts.
    fn reset(&self) {
        let plane = self.plane.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { plane.restart().await });
        }
    }
}

/// `GET /_nimbus/load-balancers`: where every load balancer listens.
impl Elbv2Listing for Elbv2 {
    fn load_balancers(&self) -> BoxFuture<'_, Result<serde_json::Value, AwsError>> {
        Box::pin(async move { self.plane.listing().await })
    }
}

#[cfg(test)]
mod tests;
