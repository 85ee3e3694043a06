//! The policy simulator: SimulateCustomPolicy and SimulatePrincipalPolicy
//! answer with the engine every enforced request goes through.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    ContextEntry, EvaluationResult, PermissionsBoundaryDecisionDetail, SimulateCustomPolicyRequest,
    SimulatePolicyResponse, SimulatePrincipalPolicyRequest,
};
use nimbus_policy::{
    Context, Decision, Policies, Policy, PolicyKind, Principal, PrincipalType, Request, Verdict, authorize,
};

use crate::Iam;
use crate::errors::{invalid_input, no_such_entity};
use crate::identities::load_identity;

/// What one simulation evaluates.
struct Simulation {
    caller: Principal,
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    resource_policy: Option<Policy>,
    resource_owner: String,
    context: Context,
}

fn parse_all(documents: &[String], kind: PolicyKind) -> Result<Vec<Policy>, AwsError> {
    documents
        .iter()
        .map(|document| Policy::parse(document, kind).map_err(|e| invalid_input(e.to_string())))
        .collect()
}

fn context_of(entries: Option<Vec<ContextEntry>>) -> Context {
    let mut context = Context::new();
    for entry in entries.unwrap_or_default() {
        if let Some(name) = entry.context_key_name {
            context.set_many(&name, entry.context_key_values.unwrap_or_default());
        }
    }
    context
}

/// The account of a ResourceOwner (an account id or an ARN naming it).
fn owner_account(owner: Option<&str>, default: &str) -> String {
    match owner {
        Some(owner) if owner.starts_with("arn:") => owner.split(':').nth(4).unwrap_or(default).to_owned(),
        Some(owner) => owner.to_owned(),
        None => default.to_owned(),
    }
}

impl Simulation {
    /// One result per action and resource, as the simulator lists them.
    fn run(&self, actions: &[String], resources: &[String]) -> Vec<EvaluationResult> {
        let any = ["*".to_owned()];
        let resources = if resources.is_empty() { &any[..] } else { resources };
        let identity: Vec<&Policy> = self.identity.iter().collect();
        let mut results = Vec::new();
        for action in actions {
            for resource in resources {
                let request = Request {
                    principal: &self.caller,
                    action,
                    resource,
                    context: &self.context,
                };
                let policies = Policies {
                    identity: &identity,
                    resource: self.resource_policy.as_ref(),
                    resource_account: Some(&self.resource_owner),
                    boundary: self.boundary.as_ref(),
                    ..Policies::default()
                };
                let decision = match authorize(&request, &policies) {
                    Decision::Allow => "allowed",
                    Decision::ExplicitDeny(_) => "explicitDeny",
                    Decision::ImplicitDeny(_) => "implicitDeny",
                };
                let boundary = self.boundary.as_ref().map(|b| PermissionsBoundaryDecisionDetail {
                    allowed_by_permissions_boundary: Some(matches!(b.evaluate(&request), Verdict::Allow(_))),
                });
                results.push(EvaluationResult {
                    eval_action_name: action.clone(),
                    eval_resource_name: Some(resource.clone()),
                    eval_decision: decision.to_owned(),
                    matched_statements: Some(Vec::new()),
                    missing_context_values: Some(self.missing_keys()),
                    permissions_boundary_decision_detail: boundary,
                    ..EvaluationResult::default()
                });
            }
        }
        results
    }

    /// Condition keys the policies read that the simulation was not given.
    fn missing_keys(&self) -> Vec<String> {
        let mut missing: Vec<String> = Vec::new();
        let policies = self
            .identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.resource_policy);
        for statement in policies.flat_map(|p| &p.statements) {
            for condition in &statement.conditions {
                if self.context.get(&condition.key).is_none() && !missing.contains(&condition.name) {
                    missing.push(condition.name.clone());
                }
            }
        }
        missing
    }
}

impl Iam {
    pub(crate) async fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        input: SimulateCustomPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        let account = &ctx.account_id;
        let caller_arn = input
            .caller_arn
            .unwrap_or_else(|| format!("arn:aws:iam::{account}:user/SimulatedUser"));
        let simulation = Simulation {
            caller: Principal {
                account: caller_arn.split(':').nth(4).unwrap_or(account).to_owned(),
                arn: caller_arn,
                kind: PrincipalType::User,
            },
            identity: parse_all(&input.policy_input_list, PolicyKind::Identity)?,
            boundary: parse_all(
                &input.permissions_boundary_policy_input_list.unwrap_or_default(),
                PolicyKind::Identity,
            )?
            .into_iter()
            .next(),
            resource_policy: parse_all(
                &input.resource_policy.into_iter().collect::<Vec<_>>(),
                PolicyKind::Resource,
            )?
            .into_iter()
            .next(),
            resource_owner: owner_account(input.resource_owner.as_deref(), account),
            context: context_of(input.context_entries),
        };
        Ok(answer(simulation.run(
            &input.action_names,
            &input.resource_arns.unwrap_or_default(),
        )))
    }

    pub(crate) async fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        input: SimulatePrincipalPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        let account = ctx.account_id.clone();
        let source = input.policy_source_arn.clone();
        let kind = if source.contains(":role/") {
            PrincipalType::RoleSession { role: source.clone() }
        } else if source.contains(":user/") {
            PrincipalType::User
        } else {
            return Err(invalid_input(format!("Invalid ARN: {source}")));
        };
        let caller = Principal {
            arn: source.clone(),
            account: account.clone(),
            kind,
        };
        let store = std::sync::Arc::clone(&self.store);
        let loaded = caller.clone();
        let identities = tokio::task::spawn_blocking(move || load_identity(&store, &loaded))
            .await
            .map_err(|e| AwsError::internal(e.to_string()))??;
        if !identities.exists() {
            return Err(no_such_entity(format!("Entity {source} does not exist.")));
        }
        let mut identity = identities.policies;
        identity.extend(parse_all(
            &input.policy_input_list.unwrap_or_default(),
            PolicyKind::Identity,
        )?);
        let boundary = match input.permissions_boundary_policy_input_list {
            Some(list) if !list.is_empty() => parse_all(&list, PolicyKind::Identity)?.into_iter().next(),
            _ => identities.boundary,
        };
        let simulation = Simulation {
            caller: Principal {
                kind: PrincipalType::User,
                ..caller
            },
            identity,
            boundary,
            resource_policy: parse_all(
                &input.resource_policy.into_iter().collect::<Vec<_>>(),
                PolicyKind::Resource,
            )?
            .into_iter()
            .next(),
            resource_owner: owner_account(input.resource_owner.as_deref(), &account),
            context: context_of(input.context_entries),
        };
        Ok(answer(simulation.run(
            &input.action_names,
            &input.resource_arns.unwrap_or_default(),
        )))
    }
}

fn answer(results: Vec<EvaluationResult>) -> SimulatePolicyResponse {
    SimulatePolicyResponse {
        evaluation_results: Some(results),
        is_truncated: Some(false),
        marker: None,
    }
}
