//! What the gateway must know about every vendored model to route a request:
//! signing names, endpoint prefixes, `X-Amz-Target` prefixes and protocols.
//!
//! Built once, on the first AWS request, from each model's metadata alone
//! (microseconds), so start-up parses nothing.

use std::sync::OnceLock;

use nimbus_protocol::model::Profile;
use nimbus_protocol::{Protocol, models};

/// Routing facts of one vendored model.
#[derive(Debug)]
pub struct ModelInfo {
    /// The model name, e.g. `cloudwatch`.
    pub name: &'static str,
    /// The SigV4 signing name, e.g. `monitoring`.
    pub signing_name: String,
    /// The host prefix, e.g. `streams.dynamodb`.
    pub endpoint_prefix: String,
    /// The `X-Amz-Target` prefix (json) and `/service/<name>/` path segment (cbor).
    pub target_prefix: Option<String>,
    /// Every protocol the service speaks, in the model's preference order.
    pub protocols: Vec<Protocol>,
    /// A json service that still answers its old query protocol (SQS).
    pub query_compatible: bool,
    /// What the service does differently on the wire (`metadata.nimbus`).
    pub profile: Profile,
}

impl ModelInfo {
    /// The protocol served when the request shape says nothing more specific.
    pub fn default_protocol(&self) -> Option<Protocol> {
        self.protocols.first().copied()
    }

    /// Whether form-encoded `Action=` requests reach this service.
    pub fn speaks_query(&self) -> Option<Protocol> {
        self.protocols
            .iter()
            .copied()
            .find(|p| matches!(p, Protocol::Query | Protocol::Ec2))
            .or(self.query_compatible.then_some(Protocol::Query))
    }

    pub fn speaks_json(&self) -> Option<Protocol> {
        self.protocols
            .iter()
            .copied()
            .find(|p| matches!(p, Protocol::Json10 | Protocol::Json11))
    }

    pub fn speaks_cbor(&self) -> bool {
        self.protocols.contains(&Protocol::Cbor)
    }
}

/// Every vendored model's routing facts.
#[derive(Debug)]
pub struct Catalog {
    models: Vec<ModelInfo>,
}

impl Catalog {
    /// The catalog of the vendored models, built on first use.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(Catalog::build)
    }

    fn build() -> Catalog {
        let models = models::NAMES
            .iter()
            .filter_map(|&name| {
                let meta = models::metadata(name)?;
                let declared = if meta.protocols.is_empty() {
                    vec![meta.protocol.clone()]
                } else {
                    meta.protocols.clone()
                };
                let protocols = declared
                    .iter()
                    .filter_map(|p| Protocol::from_model_name(p, meta.json_version.as_deref()))
                    .collect();
                Some(ModelInfo {
                    name,
                    signing_name: meta.signing_name().to_owned(),
                    endpoint_prefix: meta.endpoint_prefix.clone(),
                    target_prefix: meta.target_prefix.clone(),
                    protocols,
                    query_compatible: meta.is_query_compatible(),
                    profile: Profile::from_metadata(&meta.nimbus).unwrap_or_default(),
                })
            })
            .collect();
        Catalog { models }
    }

    pub fn model(&self, name: &str) -> Option<&ModelInfo> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The model whose `X-Amz-Target` prefix is `prefix`.
    pub fn by_target_prefix(&self, prefix: &str) -> Option<&ModelInfo> {
        self.models
            .iter()
            .find(|m| m.target_prefix.as_deref() == Some(prefix))
    }

    /// The models a SigV4 signing name can mean. Several models share a
    /// signing name (DynamoDB and DynamoDB Streams both sign as `dynamodb`):
    /// the one whose endpoint prefix is the signing name comes first. Model
    /// names and endpoint prefixes are accepted too, for hand-rolled clients.
    pub fn by_signing_name(&self, signing_name: &str) -> Vec<&ModelInfo> {
        let mut found: Vec<&ModelInfo> = self
            .models
            .iter()
            .filter(|m| m.signing_name == signing_name)
            .collect();
        found.sort_by_key(|m| m.endpoint_prefix != signing_name);
        if found.is_empty() {
            found.extend(
                self.models
                    .iter()
                    .filter(|m| m.endpoint_prefix == signing_name || m.name == signing_name),
            );
        }
        found
    }

    /// The model a request signed as `signing_name` to `path` calls: the
    /// first of [`Self::by_signing_name`], unless another model of that
    /// name claims the path by its profile's path prefix.
    pub fn by_signing_name_and_path(&self, signing_name: &str, path: &str) -> Option<&ModelInfo> {
        let first = self.first_by_signing_name(signing_name)?;
        let claimed = self
            .models
            .iter()
            .filter(|m| m.signing_name == first.signing_name)
            .find(|m| {
                m.profile
                    .path_prefix
                    .as_deref()
                    .is_some_and(|p| path.starts_with(p))
            });
        Some(claimed.unwrap_or(first))
    }

    /// The first of [`Self::by_signing_name`], found without collecting
    /// them all (routing asks for it on every signed request).
    pub fn first_by_signing_name(&self, signing_name: &str) -> Option<&ModelInfo> {
        let signing = || self.models.iter().filter(|m| m.signing_name == signing_name);
        signing()
            .find(|m| m.endpoint_prefix == signing_name)
            .or_else(|| signing().next())
            .or_else(|| {
                self.models
                    .iter()
                    .find(|m| m.endpoint_prefix == signing_name || m.name == signing_name)
            })
    }

    /// The models that speak the query protocols, those whose profile asks
    /// for unsigned `Action=` requests first (STS) ahead of the others.
    pub fn query_models(&self) -> impl Iterator<Item = &ModelInfo> {
        let query = || self.models.iter().filter(|m| m.speaks_query().is_some());
        let first = query().filter(|m| m.profile.unsigned_action_first);
        first.chain(query().filter(|m| !m.profile.unsigned_action_first))
    }

    /// The model requests no other claims go to (its profile's `fallbackRoute`).
    pub fn fallback(&self) -> Option<&ModelInfo> {
        self.models.iter().find(|m| m.profile.fallback_route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_names_and_targets_resolve_to_models() {
        // Every model is found by its signing name and its target prefix,
        // as its own metadata gives them; an unknown name finds nothing.
        let catalog = Catalog::get();
        for model in &catalog.models {
            let by_name: Vec<&str> = catalog
                .by_signing_name(&model.signing_name)
                .iter()
                .map(|m| m.name)
                .collect();
            assert!(
                by_name.contains(&model.name),
                "{} by {}",
                model.name,
                model.signing_name
            );
            if let Some(prefix) = &model.target_prefix {
                assert_eq!(catalog.by_target_prefix(prefix).map(|m| m.name), Some(model.name));
            }
        }
        assert!(catalog.by_signing_name("nosuchservice").is_empty());
        assert!(catalog.by_target_prefix("NoSuchTarget_20000101").is_none());
        // Models share a signing name (a service and its streams): both found.
        assert!(
            catalog
                .models
                .iter()
                .any(|m| catalog.by_signing_name(&m.signing_name).len() > 1)
        );
    }

    #[test]
    fn the_first_by_signing_name_is_the_first_of_all() {
        let catalog = Catalog::get();
        let mut names: Vec<&str> = vec!["nosuchservice"];
        for model in &catalog.models {
            names.extend([
                model.name,
                model.signing_name.as_str(),
                model.endpoint_prefix.as_str(),
            ]);
        }
        for name in names {
            assert_eq!(
                catalog.first_by_signing_name(name).map(|m| m.name),
                catalog.by_signing_name(name).first().map(|m| m.name),
                "{name}"
            );
        }
    }

    #[test]
    fn protocols_follow_the_models() {
        let catalog = Catalog::get();
        let cloudwatch = catalog.model("cloudwatch").expect("vendored");
        assert_eq!(
            cloudwatch.protocols,
            [Protocol::Cbor, Protocol::Json10, Protocol::Query]
        );
        let sqs = catalog.model("sqs").expect("vendored");
        assert_eq!(sqs.default_protocol(), Some(Protocol::Json10));
        assert_eq!(sqs.speaks_query(), Some(Protocol::Query));
        assert_eq!(
            catalog.model("ec2").and_then(ModelInfo::speaks_query),
            Some(Protocol::Ec2)
        );
        assert_eq!(catalog.model("kms").and_then(ModelInfo::speaks_query), None);
        assert_eq!(catalog.query_models().next().map(|m| m.name), Some("sts"));
        assert_eq!(catalog.fallback().map(|m| m.name), Some("s3"));
    }
}
