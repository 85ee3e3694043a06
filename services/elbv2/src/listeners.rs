//! Listeners: a port and protocol on every node of a load balancer, with
//! the default actions of requests no rule takes.

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use crate::records::{self, ListenerRecord, LoadBalancerRecord};
use crate::{Elbv2, actions, arns, attributes, errors, paging, tags};

/// Checks a listener's protocol, port and certificates against its load balancer.
fn check_listener(
    lb: &LoadBalancerRecord,
    protocol: &str,
    port: i32,
    certificates: bool,
) -> Result<(), AwsError> {
    let allowed: &[&str] = if lb.lb_type() == "network" {
        &["TLS", "TCP", "TCP_UDP", "UDP"]
    } else {
        &["HTTPS", "HTTP"]
    };
    if !allowed.contains(&protocol) {
        return Err(errors::validation(format!(
            "Listener protocol '{protocol}' must be one of '{}'",
            allowed.join(", ")
        )));
    }
    if !(1..=65535).contains(&port) {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535"
        )));
    }
    let secure = matches!(protocol, "HTTPS" | "TLS");
    if secure && !certificates {
        return Err(errors::validation(format!(
            "A certificate must be specified for {protocol} listeners"
        )));
    }
    if !secure && certificates {
        return Err(errors::validation(format!(
            "A certificate cannot be specified for {protocol} listeners"
        )));
    }
    Ok(())
}

fn arn_of(listener: &Listener) -> &str {
    listener.listener_arn.as_deref().unwrap_or_default()
}

/// A listener with what a ModifyListener request changes.
fn merged(mut listener: Listener, input: ModifyListenerInput) -> Listener {
    let secure = |p: &Option<String>| matches!(p.as_deref(), Some("HTTPS" | "TLS"));
    if let Some(protocol) = input.protocol {
        listener.protocol = Some(protocol);
    }
    listener.port = input.port.or(listener.port);
    listener.certificates = input.certificates.or(listener.certificates);
    listener.ssl_policy = input.ssl_policy.or(listener.ssl_policy);
    listener.default_actions = input.default_actions.or(listener.default_actions);
    listener.alpn_policy = input.alpn_policy.or(listener.alpn_policy);
    if secure(&listener.protocol) {
        listener
            .ssl_policy
            .get_or_insert_with(|| "ELBSecurityPolicy-2016-08".to_owned());
    } else {
        listener.certificates = None;
        listener.ssl_policy = None;
    }
    listener
}

pub fn listener_missing() -> AwsError {
    errors::listener_not_found("One or more listeners not found")
}

impl Elbv2 {
    pub(crate) async fn create_listener(
        &self,
        ctx: &RequestContext,
        input: CreateListenerInput,
    ) -> Result<CreateListenerOutput, AwsError> {
        tags::check(input.tags.as_deref().unwrap_or_default())?;
        let listener = records::update_lb(&self.store, ctx, &input.load_balancer_arn, move |table, lb| {
            let default_protocol = if lb.lb_type() == "network" { "TCP" } else { "HTTP" };
            let protocol = input
                .protocol
                .clone()
                .unwrap_or_else(|| default_protocol.to_owned());
            let port = input
                .port
                .ok_or_else(|| errors::validation("A listener port must be specified"))?;
            let certificates = input.certificates.as_ref().is_some_and(|c| !c.is_empty());
            check_listener(lb, &protocol, port, certificates)?;
            if lb.listeners.iter().any(|l| l.listener.port == Some(port)) {
                return Err(errors::duplicate_listener(format!(
                    "A listener already exists on this port for this load balancer '{}'",
                    lb.arn()
                )));
            }
            actions::check(table, &protocol, &input.default_actions)?;
            let secure = matches!(protocol.as_str(), "HTTPS" | "TLS");
            let listener = Listener {
                listener_arn: Some(arns::listener(lb.arn(), &arns::new_id())),
                load_balancer_arn: Some(lb.arn().to_owned()),
                port: Some(port),
                protocol: Some(protocol),
                certificates: input.certificates.clone(),
                ssl_policy: secure.then(|| {
                    input
                        .ssl_policy
                        .clone()
                        .unwrap_or_else(|| "ELBSecurityPolicy-2016-08".to_owned())
                }),
                default_actions: Some(input.default_actions.clone()),
                alpn_policy: input.alpn_policy.clone(),
                mutual_authentication: None,
            };
            lb.listeners.push(ListenerRecord {
                listener: listener.clone(),
                tags: input.tags.clone().unwrap_or_default(),
                rules: Vec::new(),
                default_rule_id: arns::new_id(),
                attributes: attributes::listener_defaults(lb.lb_type()),
            });
            Ok(listener)
        })
        .await?;
        if listener
            .protocol
            .as_deref()
            .is_some_and(|p| p == "HTTPS" || p == "TLS")
        {
            tracing::warn!(
                listener = listener.listener_arn.as_deref().unwrap_or_default(),
                "HTTPS and TLS listeners are kept, but nimbus does not terminate TLS yet: this one does not listen"
            );
        }
        self.apply(ctx).await;
        Ok(CreateListenerOutput {
            listeners: Some(vec![listener]),
        })
    }

    pub(crate) async fn describe_listeners(
        &self,
        ctx: &RequestContext,
        input: DescribeListenersInput,
    ) -> Result<DescribeListenersOutput, AwsError> {
        let listeners: Vec<Listener> = match (&input.load_balancer_arn, &input.listener_arns) {
            (Some(lb_arn), _) => records::read_lb(&self.store, ctx, lb_arn)
                .await?
                .listeners
                .into_iter()
                .map(|l| l.listener)
                .collect(),
            (None, Some(arns)) if !arns.is_empty() => {
                let mut found = Vec::new();
                for arn in arns {
                    let lb = records::read_lb(&self.store, ctx, arn)
                        .await
                        .map_err(|_| listener_missing())?;
                    found.push(lb.listener(arn).ok_or_else(listener_missing)?.listener.clone());
                }
                found
            }
            _ => {
                return Err(errors::validation(
                    "You must specify either listener ARNs or a load balancer ARN",
                ));
            }
        };
        let (listeners, next_marker) = paging::page(listeners, input.marker.as_deref(), input.page_size)?;
        Ok(DescribeListenersOutput {
            listeners: Some(listeners),
            next_marker,
        })
    }

    pub(crate) async fn modify_listener(
        &self,
        ctx: &RequestContext,
        input: ModifyListenerInput,
    ) -> Result<ModifyListenerOutput, AwsError> {
        let arn = input.listener_arn.clone();
        let listener = records::update_lb(&self.store, ctx, &arn, move |table, lb| {
            let current = lb
                .listener(&input.listener_arn)
                .ok_or_else(listener_missing)?
                .listener
                .clone();
            let merged = merged(current, input);
            let (protocol, port) = (
                merged.protocol.clone().unwrap_or_default(),
                merged.port.unwrap_or(0),
            );
            let certificates = merged.certificates.as_ref().is_some_and(|c| !c.is_empty());
            check_listener(lb, &protocol, port, certificates)?;
            if lb
                .listeners
                .iter()
                .any(|l| l.listener.port == Some(port) && l.arn() != arn_of(&merged))
            {
                return Err(errors::validation(format!(
                    "Listener port '{port}' is already in use"
                )));
            }
            actions::check(
                table,
                &protocol,
                merged.default_actions.as_deref().unwrap_or_default(),
            )?;
            let record = lb.listener_mut(arn_of(&merged)).ok_or_else(listener_missing)?;
            record.listener = merged;
            let listener = &record.listener;
            Ok(listener.clone())
        })
        .await
        .map_err(records::inside(listener_missing))?;
        self.apply(ctx).await;
        Ok(ModifyListenerOutput {
            listeners: Some(vec![listener]),
        })
    }

    pub(crate) async fn delete_listener(
        &self,
        ctx: &RequestContext,
        input: DeleteListenerInput,
    ) -> Result<DeleteListenerOutput, AwsError> {
        let arn = input.listener_arn.clone();
        records::update_lb(&self.store, ctx, &input.listener_arn, move |_, lb| {
            let before = lb.listeners.len();
            lb.listeners.retain(|l| l.arn() != arn);
            if lb.listeners.len() == before {
                return Err(listener_missing());
            }
            Ok(())
        })
        .await
        .map_err(records::inside(listener_missing))?;
        self.apply(ctx).await;
        Ok(DeleteListenerOutput {})
    }
}

fn listed(attributes: &std::collections::BTreeMap<String, String>) -> Vec<ListenerAttribute> {
    attributes::listed(attributes, |key, value| ListenerAttribute { key, value })
}

impl Elbv2 {
    pub(crate) async fn describe_listener_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeListenerAttributesInput,
    ) -> Result<DescribeListenerAttributesOutput, AwsError> {
        let lb = records::read_lb(&self.store, ctx, &input.listener_arn)
            .await
            .map_err(|_| listener_missing())?;
        let listener = lb.listener(&input.listener_arn).ok_or_else(listener_missing)?;
        let mut attributes = attributes::listener_defaults(lb.lb_type());
        attributes.extend(listener.attributes.clone());
        Ok(DescribeListenerAttributesOutput {
            attributes: Some(listed(&attributes)),
        })
    }

    pub(crate) async fn modify_listener_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyListenerAttributesInput,
    ) -> Result<ModifyListenerAttributesOutput, AwsError> {
        let changes = attributes::pairs(input.attributes.iter().map(|a| (&a.key, &a.value)));
        let arn = input.listener_arn.clone();
        let attributes = records::update_lb(&self.store, ctx, &input.listener_arn, move |_, lb| {
            let lb_type = lb.lb_type().to_owned();
            let listener = lb.listener_mut(&arn).ok_or_else(listener_missing)?;
            let mut attributes = attributes::listener_defaults(&lb_type);
            attributes.extend(listener.attributes.clone());
            attributes::modify_listener(&lb_type, &mut attributes, &changes)?;
            listener.attributes.clone_from(&attributes);
            Ok(attributes)
        })
        .await
        .map_err(records::inside(listener_missing))?;
        Ok(ModifyListenerAttributesOutput {
            attributes: Some(listed(&attributes)),
        })
    }
}
