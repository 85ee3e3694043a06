//! The policies that speak for a caller: an IAM user's own and its groups'
//! (inline and attached), a role session's role's; their boundary; and the
//! global condition keys that describe the caller.

use nimbus_core::{AwsError, RequestContext};
use nimbus_policy::{Context, Policy, PolicyKind, Principal, PrincipalType};
use nimbus_store::{Store, TableRef};

use crate::entities::Read;
use crate::managed;
use crate::policies::PolicyArn;
use crate::records::{GroupRecord, Kind, PolicyRecord, RoleRecord, Tags, UserRecord, namespace};

/// A caller's identity-based policies, parsed.
#[derive(Default)]
pub struct Identities {
    pub policies: Vec<Policy>,
    pub boundary: Option<Policy>,
    /// `aws:username` (users only).
    user_name: Option<String>,
    /// `aws:userid`: the user's or role's unique id.
    user_id: Option<String>,
    /// `aws:PrincipalTag/*`.
    tags: Tags,
    /// The user or role was found.
    found: bool,
}

/// The last part of an ARN's resource (`user/eng/alice` → `alice`).
fn last_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Reads the caller's policies from the store (a blocking read).
pub fn load_identity(store: &Store, principal: &Principal) -> Result<Identities, AwsError> {
    let txn = store.begin_read()?;
    let table = txn.open(&namespace(&principal.account)?)?;
    match &principal.kind {
        PrincipalType::User => user_policies(&table, &principal.account, last_name(&principal.arn)),
        // A federated user can do what its IAM user can (and its session
        // policies allow).
        PrincipalType::FederatedUser { user } => user_policies(&table, &principal.account, last_name(user)),
        PrincipalType::RoleSession { role } => {
            let session = last_name(&principal.arn).to_owned();
            role_policies(&table, &principal.account, last_name(role), &session)
        }
        _ => Ok(Identities::default()),
    }
}

fn user_policies(table: &TableRef, account: &str, name: &str) -> Result<Identities, AwsError> {
    let Some(user) = table.load::<UserRecord>(Kind::User, name)? else {
        return Ok(Identities::default());
    };
    let mut documents: Vec<String> = user.inline.values().cloned().collect();
    documents.extend(managed_documents(table, account, &user.attached)?);
    for group_name in &user.groups {
        if let Some(group) = table.load::<GroupRecord>(Kind::Group, group_name)? {
            documents.extend(group.inline.values().cloned());
            documents.extend(managed_documents(table, account, &group.attached)?);
        }
    }
    Ok(Identities {
        policies: parse_all(&documents),
        boundary: boundary(table, account, user.boundary.as_deref())?,
        user_name: Some(user.name),
        user_id: Some(user.id),
        tags: user.tags,
        found: true,
    })
}

fn role_policies(table: &TableRef, account: &str, name: &str, session: &str) -> Result<Identities, AwsError> {
    let Some(role) = table.load::<RoleRecord>(Kind::Role, name)? else {
        return Ok(Identities::default());
    };
    let mut documents: Vec<String> = role.inline.values().cloned().collect();
    documents.extend(managed_documents(table, account, &role.attached)?);
    Ok(Identities {
        policies: parse_all(&documents),
        boundary: boundary(table, account, role.boundary.as_deref())?,
        user_name: None,
        user_id: Some(format!("{}:{session}", role.id)),
        tags: role.tags,
        found: true,
    })
}

/// The default versions' documents of attached managed policies.
fn managed_documents(table: &TableRef, account: &str, arns: &[String]) -> Result<Vec<String>, AwsError> {
    let mut documents = Vec::new();
    for arn in arns {
        if let Some(document) = managed_document(table, account, arn)? {
            documents.push(document);
        }
    }
    Ok(documents)
}

pub fn managed_document(table: &TableRef, account: &str, arn: &str) -> Result<Option<String>, AwsError> {
    if let Some(policy) = managed::find(arn) {
        return Ok(Some(policy.document.to_string()));
    }
    let Ok(parsed) = PolicyArn::parse(arn) else {
        return Ok(None);
    };
    if parsed.owner != account {
        return Ok(None);
    }
    let policy: Option<PolicyRecord> = table.load(Kind::Policy, &parsed.name)?;
    Ok(policy.and_then(|policy| {
        policy
            .versions
            .into_iter()
            .find(|v| v.id == policy.default_version)
            .map(|v| v.document)
    }))
}

fn boundary(table: &TableRef, account: &str, arn: Option<&str>) -> Result<Option<Policy>, AwsError> {
    let Some(arn) = arn else {
        return Ok(None);
    };
    // A boundary whose policy is gone allows nothing.
    let document = managed_document(table, account, arn)?.unwrap_or_else(|| {
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#.to_owned()
    });
    Ok(Policy::parse(&document, PolicyKind::Identity).ok())
}

/// Stored documents were checked when stored; one that does not parse
/// (never expected) grants nothing.
fn parse_all(documents: &[String]) -> Vec<Policy> {
    documents
        .iter()
        .filter_map(|d| Policy::parse(d, PolicyKind::Identity).ok())
        .collect()
}

impl Identities {
    /// Whether the user or role the policies belong to exists.
    pub fn exists(&self) -> bool {
        self.found
    }

    /// Whether any of the caller's policies reads condition keys.
    pub fn uses_context(&self) -> bool {
        self.policies
            .iter()
            .chain(self.boundary.iter())
            .any(Policy::uses_context)
    }

    /// The global condition keys nimbus knows of a request.
    pub fn context(&self, principal: &Principal, ctx: &RequestContext, now_millis: u64) -> Context {
        let mut context = Context::new();
        let seconds = now_millis / 1000;
        context.set("aws:EpochTime", seconds.to_string());
        if let Ok(now) = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap_or_default())
            && let Ok(text) = now.format(&time::format_description::well_known::Rfc3339)
        {
            context.set("aws:CurrentTime", text);
        }
        context.set("aws:SecureTransport", "false");
        if let Some(ip) = ctx.source_ip {
            context.set("aws:SourceIp", ip.to_string());
        }
        context.set("aws:RequestedRegion", ctx.region.clone());
        context.set(
            "aws:PrincipalIsAWSService",
            (principal.kind == PrincipalType::Service).to_string(),
        );
        if let Some(caller) = &ctx.service_caller {
            // A service acting for its resource: the keys a function's or
            // queue's policy pins it down by.
            context.set("aws:PrincipalServiceName", caller.principal);
            context.set("aws:SourceArn", caller.source_arn.clone());
            context.set("aws:SourceAccount", caller.source_account.clone());
            return context;
        }
        if principal.kind == PrincipalType::Anonymous {
            return context;
        }
        let principal_arn = match &principal.kind {
            PrincipalType::RoleSession { role } => role.clone(),
            _ => principal.arn.clone(),
        };
        context.set("aws:PrincipalArn", principal_arn);
        context.set("aws:PrincipalAccount", principal.account.clone());
        context.set(
            "aws:PrincipalType",
            match principal.kind {
                PrincipalType::Root => "Account",
                PrincipalType::User => "User",
                PrincipalType::RoleSession { .. } => "AssumedRole",
                PrincipalType::FederatedUser { .. } => "FederatedUser",
                _ => "Anonymous",
            },
        );
        if principal.kind == PrincipalType::Root {
            context.set("aws:userid", principal.account.clone());
        }
        if let Some(user_id) = &self.user_id {
            context.set("aws:userid", user_id.clone());
        }
        if let Some(user_name) = &self.user_name {
            context.set("aws:username", user_name.clone());
        }
        for (key, value) in &self.tags {
            context.set(&format!("aws:PrincipalTag/{key}"), value.clone());
        }
        context
    }
}
