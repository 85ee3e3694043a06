//! Custom domain names and their base path mappings. A domain name lives
//! in its account's region (`domain/<name>`, with its mappings) and in the
//! global index beside the APIs' homes, since a name is one across
//! accounts; invocations with that Host go where its mappings say
//! (`invoke::domains`). The names are also kept in memory so that the
//! front door can tell, without a read, whether a Host is one of them.

use std::collections::HashSet;
use std::sync::RwLock;

use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::Store;
use serde::{Deserialize, Serialize};

use crate::ApiGateway;
use crate::errors;
use crate::invoke::Home;
use crate::patch::{self, Kind, Rule, Wording, replace};
use crate::records::{self, namespace_of};

/// What the empty base path is called on the wire.
pub const NO_BASE_PATH: &str = "(none)";

/// A domain name with its base path mappings, by base path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainRecord {
    pub domain: DomainName,
    #[serde(default)]
    pub mappings: IndexMap<String, BasePathMapping>,
    /// The API mapping id (HTTP APIs' name for a mapping) of each base path.
    #[serde(default)]
    pub mapping_ids: IndexMap<String, String>,
}

const DOMAIN: &[Rule] = &[
    replace("/certificateName", Kind::Text),
    replace("/certificateArn", Kind::Text),
    replace("/regionalCertificateName", Kind::Text),
    replace("/regionalCertificateArn", Kind::Text),
    replace("/securityPolicy", Kind::Text),
];

const MAPPING: &[Rule] = &[
    replace("/basePath", Kind::Text),
    replace("/restApiId", Kind::Text),
    replace("/stage", Kind::Text),
];

pub fn domain_key(name: &str) -> Vec<u8> {
    format!("domain/{name}").into_bytes()
}

pub fn domain_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid domain name identifier specified")
}

pub(crate) fn mapping_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid base path mapping identifier specified")
}

/// API Gateway's regional hosted zones, by region (Route 53 aliases name
/// them).
fn regional_zone(region: &str) -> &'static str {
    match region {
        "us-east-2" => "ZOJJZC49E0EPZ",
        "us-west-1" => "Z2MUQ32089INYE",
        "us-west-2" => "Z2OJLYMUO9EFXC",
        "ca-central-1" => "Z19DQILCV0OWEC",
        "eu-west-1" => "ZLY8HYME6SFDD",
        "eu-west-2" => "ZJ5UAJN8Y3Z2Q",
        "eu-west-3" => "Z3KY65QIEKYHQQ",
        "eu-central-1" => "Z1U9ULNL0V5AJ3",
        "eu-north-1" => "Z3UWIKFBOOGXPP",
        "ap-northeast-1" => "Z1YSHQZHG15GKL",
        "ap-northeast-2" => "Z20JF4UZKIW1U8",
        "ap-southeast-1" => "ZL327KTPIQFUL",
        "ap-southeast-2" => "Z2RPCDW04V8134",
        "ap-south-1" => "Z3VO1THU9YC4UR",
        "sa-east-1" => "ZCMLWB8V5SYIT",
        _ => "Z1UJRXOUMOOFQ8",
    }
}

/// CloudFront's hosted zone, the same everywhere.
const DISTRIBUTION_ZONE: &str = "Z2FDTNDATAQYW2";

/// The names of every domain, loaded on first use and kept in step with
/// what this service writes.
#[derive(Default)]
pub struct KnownDomains(RwLock<Option<HashSet<String>>>);

impl KnownDomains {
    /// Whether `host` (without its port) is a custom domain name.
    pub fn contains(&self, store: &Store, host: &str) -> bool {
        if let Some(names) = self.0.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return names.contains(host);
        }
        let loaded = load_names(store);
        let found = loaded.contains(host);
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded);
        found
    }

    fn change(&self, store: &Store, change: impl FnOnce(&mut HashSet<String>)) {
        let mut names = self.0.write().unwrap_or_else(|e| e.into_inner());
        change(names.get_or_insert_with(|| load_names(store)));
    }

    /// Forgets what it knows (after a reset of nimbus's state).
    pub fn forget(&self) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

fn load_names(store: &Store) -> HashSet<String> {
    let scan = || -> Option<HashSet<String>> {
        let read = store.begin_read().ok()?;
        let table = read.open(&records::homes().ok()?).ok()?;
        let entries = table.scan(b"domain/").ok()?;
        Some(
            entries
                .filter_map(|entry| Some(entry.ok()?.key_str()?.strip_prefix("domain/")?.to_owned()))
                .collect(),
        )
    };
    scan().unwrap_or_default()
}

/// A name API Gateway takes: DNS labels of letters, digits and hyphens
/// (a leading `*.` for a wildcard), at least two of them.
pub(crate) fn check_name(name: &str) -> Result<(), AwsError> {
    let labels = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let valid = name.len() <= 253 && labels.contains('.') && labels.split('.').all(label_ok);
    match valid {
        true => Ok(()),
        false => Err(errors::bad_request(format!(
            "Invalid domain name specified: {name}"
        ))),
    }
}

/// The domain API Gateway creates for `input`: its regional or CloudFront
/// names and hosted zones, AVAILABLE at once.
pub(crate) fn new_domain(
    ctx: &RequestContext,
    input: CreateDomainNameRequest,
    now: nimbus_core::Timestamp,
) -> DomainName {
    let types = input
        .endpoint_configuration
        .as_ref()
        .and_then(|c| c.types.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| vec!["EDGE".to_owned()]);
    let regional = types.iter().any(|t| t != "EDGE");
    let name = input.domain_name;
    let mut domain = DomainName {
        domain_name_arn: Some(format!("arn:aws:apigateway:{}::/domainnames/{name}", ctx.region)),
        endpoint_configuration: Some(EndpointConfiguration {
            types: Some(types),
            ..input.endpoint_configuration.unwrap_or_default()
        }),
        domain_name_status: Some("AVAILABLE".to_owned()),
        security_policy: Some(input.security_policy.unwrap_or_else(|| "TLS_1_2".to_owned())),
        tags: input.tags.filter(|t| !t.is_empty()),
        policy: input.policy,
        ..DomainName::default()
    };
    if regional {
        domain.regional_domain_name = Some(format!(
            "d-{}.execute-api.{}.amazonaws.com",
            records::new_id(10),
            ctx.region
        ));
        domain.regional_hosted_zone_id = Some(regional_zone(&ctx.region).to_owned());
        domain.regional_certificate_arn = input.regional_certificate_arn;
        domain.regional_certificate_name = input.regional_certificate_name;
    } else {
        domain.distribution_domain_name = Some(format!("d{}.cloudfront.net", records::new_id(13)));
        domain.distribution_hosted_zone_id = Some(DISTRIBUTION_ZONE.to_owned());
        domain.certificate_arn = input.certificate_arn;
        domain.certificate_name = input.certificate_name;
        domain.certificate_upload_date = Some(now);
    }
    domain.domain_name = Some(name);
    domain
}

impl ApiGateway {
    pub(crate) async fn domain_record(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<DomainRecord, AwsError> {
        let found: Option<DomainRecord> = self
            .store
            .get_json(&namespace_of(ctx)?, &domain_key(name))
            .await?;
        found.ok_or_else(domain_missing)
    }

    pub(crate) async fn change_domain<T: Send + 'static>(
        &self,
        ctx: &RequestContext,
        name: &str,
        change: impl FnOnce(&mut DomainRecord) -> Result<T, AwsError> + Send + 'static,
    ) -> Result<T, AwsError> {
        let (ns, key) = (namespace_of(ctx)?, domain_key(name));
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: DomainRecord = table.get_json(&key)?.ok_or_else(domain_missing)?;
                let answer = change(&mut record)?;
                table.put_json(&key, &record)?;
                Ok(answer)
            })
            .await
    }

    pub(crate) async fn create_domain_name(
        &self,
        ctx: &RequestContext,
        input: CreateDomainNameRequest,
    ) -> Result<DomainName, AwsError> {
        check_name(&input.domain_name)?;
        let domain = new_domain(ctx, input, records::timestamp(&self.clock));
        let record = DomainRecord {
            domain: domain.clone(),
            mappings: IndexMap::new(),
            mapping_ids: IndexMap::new(),
        };
        if !self.insert_domain(ctx, record).await? {
            return Err(errors::bad_request(
                "The domain name you provided already exists.",
            ));
        }
        Ok(domain)
    }

    /// Keeps a new domain, unless its name is taken: whether it was new.
    pub(crate) async fn insert_domain(
        &self,
        ctx: &RequestContext,
        record: DomainRecord,
    ) -> Result<bool, AwsError> {
        let name = record.domain.domain_name.clone().unwrap_or_default();
        let home = Home {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            http: false,
        };
        let (ns, homes, key) = (namespace_of(ctx)?, records::homes()?, domain_key(&name));
        let inserted = self
            .store
            .write(move |txn| {
                // One table of the service is open at a time.
                {
                    let mut index = txn.open(&homes)?;
                    if index.get(&key)?.is_some() {
                        return Ok::<_, AwsError>(false);
                    }
                    index.put_json(&key, &home)?;
                }
                txn.open(&ns)?.put_json(&key, &record)?;
                Ok(true)
            })
            .await?;
        if inserted {
            self.domain_names.change(&self.store, |names| {
                names.insert(name);
            });
        }
        Ok(inserted)
    }

    pub(crate) async fn get_domain_name(
        &self,
        ctx: &RequestContext,
        input: GetDomainNameRequest,
    ) -> Result<DomainName, AwsError> {
        Ok(self.domain_record(ctx, &input.domain_name).await?.domain)
    }

    pub(crate) async fn get_domain_names(
        &self,
        ctx: &RequestContext,
        input: GetDomainNamesRequest,
    ) -> Result<DomainNames, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, b"domain/").await?;
        let all: Vec<DomainName> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<DomainRecord>(bytes).ok())
            .map(|record| record.domain)
            .collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(DomainNames {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn update_domain_name(
        &self,
        ctx: &RequestContext,
        input: UpdateDomainNameRequest,
    ) -> Result<DomainName, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        self.change_domain(ctx, &input.domain_name, move |record| {
            record.domain = patch::apply(&record.domain, &ops, DOMAIN, Wording::Bare)?;
            Ok(record.domain.clone())
        })
        .await
    }

    pub(crate) async fn delete_domain_name(
        &self,
        ctx: &RequestContext,
        input: DeleteDomainNameRequest,
    ) -> Result<(), AwsError> {
        self.remove_domain(ctx, input.domain_name).await
    }

    /// Forgets a domain with its mappings.
    pub(crate) async fn remove_domain(&self, ctx: &RequestContext, name: String) -> Result<(), AwsError> {
        let (ns, homes, key) = (namespace_of(ctx)?, records::homes()?, domain_key(&name));
        self.store
            .write(move |txn| {
                {
                    let mut table = txn.open(&ns)?;
                    if table.get(&key)?.is_none() {
                        return Err(domain_missing());
                    }
                    table.delete(&key)?;
                }
                txn.open(&homes)?.delete(&key)?;
                Ok(())
            })
            .await?;
        self.domain_names.change(&self.store, |names| {
            names.remove(&name);
        });
        Ok(())
    }
}

/// The key a base path is kept (and named in URIs) by.
pub(crate) fn base_path_key(base_path: Option<&str>) -> String {
    match base_path.map(|p| p.trim_matches('/')) {
        None | Some("") => NO_BASE_PATH.to_owned(),
        Some(path) => path.to_owned(),
    }
}

/// A base path API Gateway takes: URL path characters, `/` between levels.
pub(crate) fn check_base_path(path: &str) -> Result<(), AwsError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "$-_.+!*'()/".contains(c);
    match path == NO_BASE_PATH || path.chars().all(allowed) {
        true => Ok(()),
        false => Err(errors::bad_request(format!(
            "Invalid base path specified: {path}"
        ))),
    }
}

/// Whether `mapping` may join `others`: one per base path, and an empty
/// base path only alone.
pub(crate) fn check_place(mappings: &IndexMap<String, BasePathMapping>, key: &str) -> Result<(), AwsError> {
    if mappings.contains_key(key) {
        return Err(nimbus_apigateway_api::errors::conflict(
            "Base path already exists for this domain name",
        ));
    }
    if !mappings.is_empty() && (key == NO_BASE_PATH || mappings.contains_key(NO_BASE_PATH)) {
        return Err(nimbus_apigateway_api::errors::conflict(
            "Only one base path mapping is allowed if the base path is empty.",
        ));
    }
    Ok(())
}

impl ApiGateway {
    /// The REST API and stage a mapping names exist in the caller's region.
    async fn check_target(&self, ctx: &RequestContext, mapping: &BasePathMapping) -> Result<(), AwsError> {
        let api = mapping.rest_api_id.as_deref().unwrap_or_default();
        if self.load_api(ctx, api, crate::apis::Missing::Api).await.is_err() {
            return Err(errors::bad_request("Invalid REST API identifier specified"));
        }
        match mapping.stage.as_deref() {
            Some(stage) if stage != NO_BASE_PATH => {
                let found = self.stage(ctx, api, stage).await;
                found
                    .map(|_| ())
                    .map_err(|_| errors::bad_request("Invalid stage identifier specified"))
            }
            _ => Ok(()),
        }
    }

    pub(crate) async fn create_base_path_mapping(
        &self,
        ctx: &RequestContext,
        input: CreateBasePathMappingRequest,
    ) -> Result<BasePathMapping, AwsError> {
        self.domain_record(ctx, &input.domain_name).await?;
        let key = base_path_key(input.base_path.as_deref());
        check_base_path(&key)?;
        let mapping = BasePathMapping {
            base_path: Some(key.clone()),
            rest_api_id: Some(input.rest_api_id),
            stage: input.stage.filter(|s| !s.is_empty()),
        };
        self.check_target(ctx, &mapping).await?;
        let answer = mapping.clone();
        self.change_domain(ctx, &input.domain_name, move |record| {
            check_place(&record.mappings, &key)?;
            record.mappings.insert(key, mapping);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_base_path_mapping(
        &self,
        ctx: &RequestContext,
        input: GetBasePathMappingRequest,
    ) -> Result<BasePathMapping, AwsError> {
        let record = self.domain_record(ctx, &input.domain_name).await?;
        let key = base_path_key(Some(&input.base_path));
        record.mappings.get(&key).cloned().ok_or_else(mapping_missing)
    }

    pub(crate) async fn get_base_path_mappings(
        &self,
        ctx: &RequestContext,
        input: GetBasePathMappingsRequest,
    ) -> Result<BasePathMappings, AwsError> {
        let record = self.domain_record(ctx, &input.domain_name).await?;
        let all: Vec<BasePathMapping> = record.mappings.into_values().collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(BasePathMappings {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn update_base_path_mapping(
        &self,
        ctx: &RequestContext,
        input: UpdateBasePathMappingRequest,
    ) -> Result<BasePathMapping, AwsError> {
        // The patch table spells these paths `/basepath` and `/restapiId`.
        let ops: Vec<PatchOperation> = (input.patch_operations.unwrap_or_default().into_iter())
            .map(|mut op| {
                op.path = op.path.map(|path| match path.as_str() {
                    "/basepath" => "/basePath".to_owned(),
                    "/restapiId" => "/restApiId".to_owned(),
                    _ => path,
                });
                op
            })
            .collect();
        let record = self.domain_record(ctx, &input.domain_name).await?;
        let key = base_path_key(Some(&input.base_path));
        let current = record.mappings.get(&key).ok_or_else(mapping_missing)?;
        let mut patched = patch::apply(current, &ops, MAPPING, Wording::Bare)?;
        let new_key = base_path_key(patched.base_path.as_deref());
        check_base_path(&new_key)?;
        patched.base_path = Some(new_key.clone());
        self.check_target(ctx, &patched).await?;
        let answer = patched.clone();
        self.change_domain(ctx, &input.domain_name, move |record| {
            let index = record.mappings.get_index_of(&key).ok_or_else(mapping_missing)?;
            record.mappings.shift_remove(&key);
            check_place(&record.mappings, &new_key)?;
            record.mappings.shift_insert(index, new_key, patched);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn delete_base_path_mapping(
        &self,
        ctx: &RequestContext,
        input: DeleteBasePathMappingRequest,
    ) -> Result<(), AwsError> {
        let key = base_path_key(Some(&input.base_path));
        self.change_domain(ctx, &input.domain_name, move |record| {
            record
                .mappings
                .shift_remove(&key)
                .map(|_| ())
                .ok_or_else(mapping_missing)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_base_paths_api_gateway_takes() {
        assert!(check_name("api.example.com").is_ok());
        assert!(check_name("*.example.com").is_ok());
        assert!(check_name("localhost").is_err());
        assert!(check_name("bad_name.example.com").is_err());
        assert_eq!(base_path_key(None), "(none)");
        assert_eq!(base_path_key(Some("")), "(none)");
        assert_eq!(base_path_key(Some("/v1/")), "v1");
        assert!(check_base_path("orders/shop/5").is_ok());
        assert!(check_base_path("a b").is_err());
    }

    #[test]
    fn an_empty_base_path_stands_alone() {
        let mut mappings = IndexMap::new();
        assert!(check_place(&mappings, "(none)").is_ok());
        mappings.insert("v1".to_owned(), BasePathMapping::default());
        let conflict = check_place(&mappings, "(none)").unwrap_err();
        assert_eq!(conflict.status, 409);
        assert!(check_place(&mappings, "v2").is_ok());
        assert_eq!(
            check_place(&mappings, "v1").unwrap_err().message,
            "Base path already exists for this domain name"
        );
    }
}
