//! The authorizer `--enforce-iam` puts in front of every service: who the
//! caller is (from its access key), which policies speak for it (a user's
//! own and its groups', a role's), and the decision nimbus-policy makes
//! with the resource's policy. Roles' trust policies decide sts:AssumeRole.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use nimbus_core::authz::{Access, Authorizer, Denial, Resource};
use nimbus_core::identity::{CredentialRegistry, Session};
use nimbus_core::{AwsError, BoxFuture, RequestContext};
use nimbus_policy::{
    Decision, Policies, Policy, PolicyKind, PolicyType, Principal, PrincipalType, Request, authorize,
};
use nimbus_runtime::Clock;
use nimbus_store::Store;

use crate::identities::{Identities, load_identity};

/// Decides requests against IAM's policies.
pub struct IamAuthorizer {
    store: Arc<Store>,
    clock: Clock,
    registry: Arc<CredentialRegistry>,
    /// Bumped by every IAM write: cached identities older than it are stale.
    generation: Arc<AtomicU64>,
    /// Parsed identity policies per caller ARN, with the generation read.
    identities: Mutex<HashMap<String, (u64, Arc<Identities>)>>,
    /// Parsed resource policies by their text.
    resource_policies: Mutex<HashMap<String, Option<Arc<Policy>>>>,
    /// Parsed session policies by the session's access key.
    session_policies: Mutex<HashMap<String, Arc<Vec<Policy>>>>,
}

/// Resource policies kept parsed at most: a bound on memory, not a tuning.
const MAX_CACHED_POLICIES: usize = 4096;

impl IamAuthorizer {
    pub(crate) fn new(
        store: Arc<Store>,
        clock: Clock,
        registry: Arc<CredentialRegistry>,
        generation: Arc<AtomicU64>,
    ) -> Self {
        IamAuthorizer {
            store,
            clock,
            registry,
            generation,
            identities: Mutex::new(HashMap::new()),
            resource_policies: Mutex::new(HashMap::new()),
            session_policies: Mutex::new(HashMap::new()),
        }
    }

    /// The caller, from the key that signed the request, and what its
    /// session (if STS started one) carries.
    fn principal(&self, ctx: &RequestContext) -> (Principal, Option<Arc<Session>>) {
        if let Some(caller) = &ctx.service_caller {
            let service = Principal {
                arn: caller.principal.to_owned(),
                account: String::new(),
                kind: PrincipalType::Service,
            };
            return (service, None);
        }
        let Some(key) = ctx.access_key_id.as_deref() else {
            return (Principal::anonymous(), None);
        };
        let Some(identity) = self.registry.lookup(key) else {
            // `test`, a 12-digit key: the account's root user.
            return (Principal::root(&ctx.account_id), None);
        };
        let resource = identity.arn.splitn(6, ':').nth(5).unwrap_or_default().to_owned();
        let kind = if let Some(rest) = resource.strip_prefix("assumed-role/") {
            let role = rest.split('/').next().unwrap_or_default();
            PrincipalType::RoleSession {
                role: format!("arn:aws:iam::{}:role/{role}", identity.account_id),
            }
        } else if let Some(name) = resource.strip_prefix("federated-user/") {
            // The IAM user who federated (its policies speak for the session).
            let parent = identity.session.as_ref().and_then(|s| s.parent.clone());
            PrincipalType::FederatedUser {
                user: parent.unwrap_or_else(|| format!("arn:aws:iam::{}:user/{name}", identity.account_id)),
            }
        } else if resource == "root" {
            PrincipalType::Root
        } else {
            PrincipalType::User
        };
        let principal = Principal {
            arn: identity.arn,
            account: identity.account_id,
            kind,
        };
        (principal, identity.session)
    }

    /// A session's policies, parsed once per session.
    fn session_policies(&self, key: Option<&str>, session: Option<&Session>) -> Arc<Vec<Policy>> {
        let (Some(key), Some(session)) = (key, session.filter(|s| !s.policies.is_empty())) else {
            return Arc::new(Vec::new());
        };
        if let Ok(cache) = self.session_policies.lock()
            && let Some(parsed) = cache.get(key)
        {
            return Arc::clone(parsed);
        }
        // A session policy that does not parse allows nothing (STS checked it).
        let parsed: Arc<Vec<Policy>> = Arc::new(
            session
                .policies
                .iter()
                .map(|text| {
                    Policy::parse(text, PolicyKind::Identity).or_else(|_| {
                        Policy::parse(
                            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"*","Resource":"*"}]}"#,
                            PolicyKind::Identity,
                        )
                    })
                })
                .filter_map(Result::ok)
                .collect(),
        );
        if let Ok(mut cache) = self.session_policies.lock() {
            if cache.len() >= MAX_CACHED_POLICIES {
                cache.clear();
            }
            cache.insert(key.to_owned(), Arc::clone(&parsed));
        }
        parsed
    }

    /// The caller's policies, parsed, from the cache while IAM is unchanged.
    async fn identities(&self, principal: &Principal) -> Result<Arc<Identities>, AwsError> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Ok(cache) = self.identities.lock()
            && let Some((seen, identities)) = cache.get(&principal.arn)
            && *seen == generation
        {
            return Ok(Arc::clone(identities));
        }
        let store = Arc::clone(&self.store);
        let caller = principal.clone();
        let identities = Arc::new(
            tokio::task::spawn_blocking(move || load_identity(&store, &caller))
                .await
                .map_err(|e| AwsError::internal(e.to_string()))??,
        );
        if let Ok(mut cache) = self.identities.lock() {
            cache.insert(principal.arn.clone(), (generation, Arc::clone(&identities)));
        }
        Ok(identities)
    }

    /// A resource's policy, parsed once per text.
    fn resource_policy(&self, text: &str) -> Option<Arc<Policy>> {
        if let Ok(cache) = self.resource_policies.lock()
            && let Some(parsed) = cache.get(text)
        {
            return parsed.clone();
        }
        let parsed = Policy::parse(text, PolicyKind::Resource).ok().map(Arc::new);
        if let Ok(mut cache) = self.resource_policies.lock() {
            if cache.len() >= MAX_CACHED_POLICIES {
                cache.clear();
            }
            cache.insert(text.to_owned(), parsed.clone());
        }
        parsed
    }

    async fn decide(
        &self,
        ctx: &RequestContext,
        access: &Access<'_>,
        principal: Principal,
        session: Option<Arc<Session>>,
    ) -> Result<(), Denial> {
        let identities = match principal.has_identity() {
            true => self.identities(&principal).await.map_err(|_| {
                refusal(
                    &principal,
                    access,
                    "*",
                    &principal.account,
                    Decision::ImplicitDeny(PolicyType::IdentityBased),
                )
            })?,
            false => Arc::new(Identities::default()),
        };
        let session_policies = self.session_policies(ctx.access_key_id.as_deref(), session.as_deref());
        let speaking = Speaking {
            identity: identities.policies.iter().collect(),
            boundary: identities.boundary.as_ref(),
            session: session_policies.iter().collect(),
        };
        let assume_role = access.action == "sts:AssumeRole";
        // Condition keys are gathered only when some policy reads them.
        let needs_context = assume_role
            || identities.uses_context()
            || session_policies.iter().any(Policy::uses_context)
            || access.resources.iter().any(|r| {
                r.policy
                    .as_deref()
                    .and_then(|text| self.resource_policy(text))
                    .is_some_and(|p| p.uses_context())
            });
        let context = match needs_context {
            true => self.context(ctx, access, &principal, &identities, session.as_deref()),
            false => nimbus_policy::Context::new(),
        };
        for resource in &access.resources {
            let (resource, policy) = if assume_role {
                self.trust_policy(&resource.arn).await
            } else {
                let policy = resource
                    .policy
                    .as_deref()
                    .and_then(|text| self.resource_policy(text));
                (resource.clone(), policy)
            };
            // The resource's own keys (its tags), read only when some
            // policy reads keys at all.
            let resource_keys = if needs_context {
                resource.keys.read()
            } else {
                Vec::new()
            };
            let extended;
            let context = if resource_keys.is_empty() {
                &context
            } else {
                extended = with_keys(&context, resource_keys);
                &extended
            };
            let request = Request {
                principal: &principal,
                action: access.action,
                resource: &resource.arn,
                context,
            };
            let decision = authorize(
                &request,
                &speaking.with_resource(policy.as_deref(), &resource.account, assume_role),
            );
            if decision != Decision::Allow {
                return Err(refusal(
                    &principal,
                    access,
                    &resource.arn,
                    &resource.account,
                    decision,
                ));
            }
        }
        Ok(())
    }

    /// The condition keys of a request: the global ones of the caller, its
    /// session's, the service's (from the input, read now) and the request's.
    fn context(
        &self,
        ctx: &RequestContext,
        access: &Access<'_>,
        principal: &Principal,
        identities: &Identities,
        session: Option<&Session>,
    ) -> nimbus_policy::Context {
        let mut context = identities.context(principal, ctx, self.clock.now_epoch_millis());
        if let Some(session) = session {
            session_context(&mut context, session);
        }
        for (key, values) in access.input_keys.read() {
            context.set_many(&key, values);
        }
        for (key, values) in &access.keys {
            context.set_many(key, values.clone());
        }
        context
    }
}

/// The caller's own policies, as every resource's decision reads them.
struct Speaking<'a> {
    identity: Vec<&'a Policy>,
    boundary: Option<&'a Policy>,
    session: Vec<&'a Policy>,
}

impl<'a> Speaking<'a> {
    /// With the resource's policy and owner (a role's trust policy must
    /// allow on its own).
    fn with_resource(&'a self, policy: Option<&'a Policy>, account: &'a str, trust: bool) -> Policies<'a> {
        Policies {
            identity: &self.identity,
            resource: policy,
            resource_account: Some(account),
            resource_must_allow: trust,
            boundary: self.boundary,
            session: &self.session,
            scps: &[],
        }
    }
}

/// An account's root user in its own account, where no resource policy
/// speaks: nothing can refuse it (nimbus has no SCPs); assuming a role is
/// decided by the trust policy all the same.
fn root_in_own_unguarded_account(principal: &Principal, access: &Access<'_>) -> bool {
    let own_and_unguarded = |r: &Resource| r.account == principal.account && r.policy.is_none();
    principal.kind == PrincipalType::Root
        && access.action != "sts:AssumeRole"
        && access.resources.iter().all(own_and_unguarded)
}

/// `context` with a resource's keys added.
fn with_keys(context: &nimbus_policy::Context, keys: Vec<(String, Vec<String>)>) -> nimbus_policy::Context {
    let mut extended = context.clone();
    for (key, values) in keys {
        extended.set_many(&key, values);
    }
    extended
}

/// A refusal, as AWS explains it.
fn refusal(
    principal: &Principal,
    access: &Access<'_>,
    resource: &str,
    account: &str,
    decision: Decision,
) -> Denial {
    let (explicit, kind) = match decision {
        Decision::ExplicitDeny(kind) => (true, kind),
        Decision::ImplicitDeny(kind) => (false, kind),
        // Not asked for an allowed request; worded as the common refusal.
        Decision::Allow => (false, PolicyType::IdentityBased),
    };
    Denial {
        principal: if principal.arn.is_empty() {
            "anonymous".to_owned()
        } else {
            principal.arn.clone()
        },
        action: access.action.to_owned(),
        resource: resource.to_owned(),
        resource_account: account.to_owned(),
        explicit,
        policy_type: kind.words(),
    }
}

/// What a session adds to the condition keys: its tags (over the role's),
/// and whether it was started with MFA (a key only temporary credentials
/// carry).
fn session_context(context: &mut nimbus_policy::Context, session: &Session) {
    for (key, value) in &session.tags {
        context.set(&format!("aws:PrincipalTag/{key}"), value.clone());
    }
    context.set("aws:MultiFactorAuthPresent", session.mfa.to_string());
    if session.mfa {
        context.set("aws:MultiFactorAuthAge", "0");
    }
}

impl IamAuthorizer {
    /// The role an sts:AssumeRole names, as a resource owned by its
    /// account, and its trust policy (none when the role does not exist:
    /// nothing allows assuming it).
    async fn trust_policy(&self, role_arn: &str) -> (Resource, Option<Arc<Policy>>) {
        let account = role_arn.split(':').nth(4).unwrap_or_default().to_owned();
        let name = role_arn.rsplit('/').next().unwrap_or_default().to_owned();
        let resource = Resource {
            arn: role_arn.to_owned(),
            account: account.clone(),
            policy: None,
            keys: Default::default(),
        };
        let store = Arc::clone(&self.store);
        let trust = tokio::task::spawn_blocking(move || -> Result<Option<String>, AwsError> {
            let txn = store.begin_read()?;
            let table = txn.open(&crate::records::namespace(&account)?)?;
            let role: Option<crate::records::RoleRecord> =
                crate::entities::Read::load(&table, crate::records::Kind::Role, &name)?;
            Ok(role.map(|r| r.trust_policy))
        })
        .await;
        let policy = match trust {
            Ok(Ok(Some(text))) => Policy::parse(&text, PolicyKind::Trust).ok().map(Arc::new),
            _ => None,
        };
        (resource, policy)
    }
}

impl Authorizer for IamAuthorizer {
    fn authorize<'a>(
        &'a self,
        ctx: &'a RequestContext,
        access: &'a Access<'_>,
    ) -> BoxFuture<'a, Result<(), Denial>> {
        let (principal, session) = self.principal(ctx);
        // Most requests: the root user in its own account, no resource
        // policy to hear; decided without a task of policy work.
        if root_in_own_unguarded_account(&principal, access) {
            return Box::pin(std::future::ready(Ok(())));
        }
        Box::pin(self.decide(ctx, access, principal, session))
    }
}
