//! Aliases: a name for a version (`live` → 3), optionally sending a share
//! of invocations to a second version (RoutingConfig's
//! AdditionalVersionWeights). CreateAlias, GetAlias, UpdateAlias,
//! DeleteAlias, ListAliases.

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};
use crate::records::*;
use crate::versions::is_version_number;

/// Whether `alias` sends any invocation to `version`.
pub fn routes_to(alias: &AliasConfiguration, version: &str) -> bool {
    alias.function_version.as_deref() == Some(version)
        || alias
            .routing_config
            .as_ref()
            .and_then(|r| r.additional_version_weights.as_ref())
            .is_some_and(|weights| weights.contains_key(version))
}

/// The version one invocation through `alias` runs: the additional version
/// with its weight's probability, else the alias's version.
pub fn pick_version(alias: &AliasConfiguration) -> Option<String> {
    let weights = alias
        .routing_config
        .as_ref()
        .and_then(|r| r.additional_version_weights.as_ref());
    if let Some((version, weight)) = weights.and_then(|w| w.iter().next()) {
        let draw = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
        if draw < *weight {
            return Some(version.clone());
        }
    }
    alias.function_version.clone()
}

fn alias_arn(ctx: &RequestContext, function: &str, alias: &str) -> String {
    format!("{}:{alias}", names::function_arn(ctx, function))
}

fn alias_missing(ctx: &RequestContext, function: &str, alias: &str) -> AwsError {
    errors::resource_not_found(format!(
        "Cannot find alias arn: {}",
        alias_arn(ctx, function, alias)
    ))
    .with_field("Type", "User")
}

/// Lambda's rules for an alias's name (the model's pattern has a look-ahead
/// the validator cannot read): not all digits.
fn check_name(name: &str) -> Result<(), AwsError> {
    if is_version_number(name) {
        return Err(names::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )));
    }
    Ok(())
}

/// One additional version at most, not the alias's own, never `$LATEST`.
fn check_routing(version: &str, routing: Option<&AliasRoutingConfiguration>) -> Result<(), AwsError> {
    let Some(weights) = routing.and_then(|r| r.additional_version_weights.as_ref()) else {
        return Ok(());
    };
    if weights.len() > 1 {
        return Err(errors::invalid_parameter_value(
            "Number of items in AdditionalVersionWeights cannot be greater than 1",
        ));
    }
    let printed = |weights: &IndexMap<String, f64>| {
        let pairs: Vec<String> = weights.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        format!("{{{}}}", pairs.join(", "))
    };
    for (key, weight) in weights {
        if !is_version_number(key) {
            return Err(names::validation(format!(
                "1 validation error detected: Value '{}' at 'routingConfig.additionalVersionWeights' failed to satisfy \
                 constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, \
                 Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: \
                 [0-9]+, Member must not be null]",
                printed(weights)
            )));
        }
        if !(0.0..=1.0).contains(weight) {
            return Err(names::validation(format!(
                "1 validation error detected: Value '{}' at 'routingConfig.additionalVersionWeights' failed to satisfy \
                 constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, \
                 Member must have value greater than or equal to 0.0, Member must not be null]",
                printed(weights)
            )));
        }
        if key == version {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid function version {key}. Function version {key} is already included in routing configuration."
            )));
        }
    }
    if version == "$LATEST" && !weights.is_empty() {
        return Err(errors::invalid_parameter_value(
            "$LATEST is not supported for an alias pointing to more than 1 version",
        ));
    }
    Ok(())
}

/// What an alias is asked to become.
struct AliasChange {
    version: Option<String>,
    description: Option<String>,
    routing: Option<AliasRoutingConfiguration>,
}

impl Lambda {
    /// The versions an alias names must exist.
    async fn check_versions(
        &self,
        ctx: &RequestContext,
        function: &str,
        change: &AliasChange,
    ) -> Result<(), AwsError> {
        let weighted = change
            .routing
            .as_ref()
            .and_then(|r| r.additional_version_weights.as_ref())
            .map(|w| w.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        for version in change.version.iter().chain(&weighted) {
            let target = FunctionRef {
                name: function.to_owned(),
                qualifier: Some(version.clone()),
            };
            self.load(ctx, &target).await?;
        }
        Ok(())
    }

    /// Writes an alias: a new one (`create`) or a change to the one stored.
    async fn write_alias(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
        alias: String,
        create: bool,
        expected_revision: Option<String>,
        change: AliasChange,
    ) -> Result<AliasConfiguration, AwsError> {
        check_name(&alias)?;
        self.check_versions(ctx, &function.name, &change).await?;
        let ns = namespace(ctx)?;
        let key = alias_key(&function.name, &alias);
        let arn = alias_arn(ctx, &function.name, &alias);
        let missing = alias_missing(ctx, &function.name, &alias);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let stored: Option<AliasConfiguration> = table.get_json(&key)?;
                let mut config = match (create, stored) {
                    (true, Some(_)) => {
                        return Err(errors::resource_conflict(format!("Alias already exists: {arn}"))
                            .with_field("Type", "User"));
                    }
                    (true, None) => AliasConfiguration {
                        alias_arn: Some(arn),
                        name: Some(alias),
                        description: Some(String::new()),
                        ..Default::default()
                    },
                    (false, None) => return Err(missing),
                    (false, Some(stored)) => stored,
                };
                if let Some(expected) = expected_revision
                    && config.revision_id.as_deref() != Some(expected.as_str())
                {
                    return Err(crate::updates::revision_mismatch());
                }
                if let Some(version) = change.version {
                    config.function_version = Some(version);
                }
                if let Some(description) = change.description {
                    config.description = Some(description);
                }
                config.routing_config = change.routing.filter(|r| {
                    r.additional_version_weights
                        .as_ref()
                        .is_some_and(|w| !w.is_empty())
                });
                check_routing(
                    config.function_version.as_deref().unwrap_or_default(),
                    config.routing_config.as_ref(),
                )?;
                config.revision_id = Some(uuid::Uuid::new_v4().to_string());
                table.put_json(&key, &config)?;
                Ok(config)
            })
            .await
    }

    pub(crate) async fn create_alias(
        &self,
        ctx: &RequestContext,
        input: CreateAliasRequest,
    ) -> Result<AliasConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        let change = AliasChange {
            version: Some(input.function_version),
            description: input.description,
            routing: input.routing_config,
        };
        self.write_alias(ctx, &function, input.name, true, None, change)
            .await
    }

    pub(crate) async fn update_alias(
        &self,
        ctx: &RequestContext,
        input: UpdateAliasRequest,
    ) -> Result<AliasConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        let change = AliasChange {
            version: input.function_version,
            description: input.description,
            routing: input.routing_config,
        };
        self.write_alias(ctx, &function, input.name, false, input.revision_id, change)
            .await
    }

    pub(crate) async fn get_alias(
        &self,
        ctx: &RequestContext,
        input: GetAliasRequest,
    ) -> Result<AliasConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let ns = namespace(ctx)?;
        let key = alias_key(&function.name, &input.name);
        let found: Option<AliasConfiguration> =
            self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        found.ok_or_else(|| alias_missing(ctx, &function.name, &input.name))
    }

    pub(crate) async fn delete_alias(
        &self,
        ctx: &RequestContext,
        input: DeleteAliasRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let aliased = FunctionRef {
            name: function.name.clone(),
            qualifier: Some(input.name.clone()),
        };
        self.forget_url(ctx, &aliased).await?;
        let ns = namespace(ctx)?;
        let key = alias_key(&function.name, &input.name);
        let config = crate::event_invoke::config_key(&function.name, &input.name);
        let policy = crate::permissions::policy_key(&function.name, Some(&input.name));
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                table.delete(&key)?;
                table.delete(&config)?;
                table.delete(&policy)?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn list_aliases(
        &self,
        ctx: &RequestContext,
        input: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let ns = namespace(ctx)?;
        let prefix = aliases_prefix(&function.name);
        let version = input.function_version;
        let aliases: Vec<AliasConfiguration> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut aliases = Vec::new();
                for entry in table.scan(&prefix)? {
                    let alias: AliasConfiguration = entry?.decode()?;
                    if version
                        .as_ref()
                        .is_none_or(|v| alias.function_version.as_ref() == Some(v))
                    {
                        aliases.push(alias);
                    }
                }
                Ok::<_, AwsError>(aliases)
            })
            .await?;
        let (page, next_marker) =
            crate::paging::page(aliases, input.marker.as_deref(), input.max_items, 10_000)?;
        Ok(ListAliasesResponse {
            next_marker,
            aliases: Some(page),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(version: &str, weights: &[(&str, f64)]) -> AliasConfiguration {
        AliasConfiguration {
            function_version: Some(version.into()),
            routing_config: Some(AliasRoutingConfiguration {
                additional_version_weights: Some(weights.iter().map(|(k, v)| ((*k).into(), *v)).collect()),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn weights_send_their_share_to_the_additional_version() {
        let alias = routed("1", &[("2", 0.25)]);
        let picks: Vec<String> = (0..4000).filter_map(|_| pick_version(&alias)).collect();
        let second = picks.iter().filter(|v| *v == "2").count();
        assert!(
            (800..1200).contains(&second),
            "{second} of 4000 went to version 2"
        );
        assert!(routes_to(&alias, "2") && routes_to(&alias, "1") && !routes_to(&alias, "3"));
        assert_eq!(pick_version(&routed("1", &[("2", 0.0)])).as_deref(), Some("1"));
        assert_eq!(pick_version(&routed("1", &[("2", 1.0)])).as_deref(), Some("2"));
    }

    #[test]
    fn routing_is_checked_as_lambda_checks_it() {
        assert!(check_routing("1", Some(&routed("1", &[("2", 0.5)]).routing_config.unwrap())).is_ok());
        let two = routed("1", &[("2", 0.5), ("3", 0.1)]).routing_config.unwrap();
        assert_eq!(
            check_routing("1", Some(&two)).unwrap_err().code,
            "InvalidParameterValueException"
        );
        let own = routed("1", &[("1", 0.5)]).routing_config.unwrap();
        assert!(
            check_routing("1", Some(&own))
                .unwrap_err()
                .message
                .contains("already included")
        );
        let heavy = routed("1", &[("2", 2.0)]).routing_config.unwrap();
        assert!(
            check_routing("1", Some(&heavy))
                .unwrap_err()
                .message
                .contains("Value '{2=2.0}'")
        );
        let latest = routed("1", &[("$LATEST", 0.5)]).routing_config.unwrap();
        assert_eq!(
            check_routing("1", Some(&latest)).unwrap_err().code,
            "ValidationException"
        );
        assert!(check_name("2024").is_err() && check_name("2024-01-02").is_ok());
    }
}
