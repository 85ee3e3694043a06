//! HTTP APIs' view of custom domain names: the same domains as REST
//! APIs' (`crate::domains`), described by domain name configurations, and
//! their API mappings, which are the domain's base path mappings with an
//! id (an HTTP API and its stage under a mapping key). Invocations through
//! the domain route by the same mappings.

use nimbus_apigateway_api as v1;
use nimbus_apigatewayv2_api::errors::{bad_request, conflict, not_found};
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};
use sha2::{Digest, Sha256};

use super::convert;
use crate::ApiGateway;
use crate::domains::{self, DomainRecord, NO_BASE_PATH};
use crate::records;

/// The v2 shape of a domain: one configuration, its endpoint's.
fn described(domain: &v1::DomainName) -> DomainName {
    let regional = domain.regional_domain_name.is_some();
    let configuration = DomainNameConfiguration {
        api_gateway_domain_name: match regional {
            true => domain.regional_domain_name.clone(),
            false => domain.distribution_domain_name.clone(),
        },
        certificate_arn: match regional {
            true => domain.regional_certificate_arn.clone(),
            false => domain.certificate_arn.clone(),
        },
        certificate_name: domain
            .regional_certificate_name
            .clone()
            .or(domain.certificate_name.clone()),
        certificate_upload_date: domain.certificate_upload_date,
        domain_name_status: domain.domain_name_status.clone(),
        endpoint_type: Some(if regional { "REGIONAL" } else { "EDGE" }.to_owned()),
        hosted_zone_id: domain
            .regional_hosted_zone_id
            .clone()
            .or(domain.distribution_hosted_zone_id.clone()),
        security_policy: domain.security_policy.clone(),
        ..Default::default()
    };
    DomainName {
        api_mapping_selection_expression: Some("$request.basepath".to_owned()),
        domain_name: domain.domain_name.clone().unwrap_or_default(),
        domain_name_arn: domain.domain_name_arn.clone(),
        domain_name_configurations: Some(vec![configuration]),
        tags: domain.tags.clone(),
        ..Default::default()
    }
}

/// A mapping's id: the one it was given, else one made of its base path.
fn mapping_id(record: &DomainRecord, key: &str) -> String {
    if let Some(id) = record.mapping_ids.get(key) {
        return id.clone();
    }
    let digest = Sha256::digest(format!(
        "{}/{key}",
        record.domain.domain_name.as_deref().unwrap_or_default()
    ));
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

fn api_mappings(record: &DomainRecord) -> Vec<ApiMapping> {
    let mapping = |(key, found): (&String, &v1::BasePathMapping)| ApiMapping {
        api_id: found.rest_api_id.clone().unwrap_or_default(),
        api_mapping_id: Some(mapping_id(record, key)),
        api_mapping_key: (key != NO_BASE_PATH).then(|| key.clone()),
        stage: found.stage.clone().unwrap_or_default(),
    };
    record.mappings.iter().map(mapping).collect()
}

fn mapping_missing(id: &str) -> AwsError {
    not_found(format!("Invalid API mapping identifier specified {id}"))
}

/// The base path of mapping `id`.
fn key_of(record: &DomainRecord, id: &str) -> Result<String, AwsError> {
    let mut keys = record.mappings.keys();
    let found = keys.find(|key| mapping_id(record, key) == id);
    found.cloned().ok_or_else(|| mapping_missing(id))
}

impl ApiGateway {
    /// The HTTP API and stage a mapping names exist.
    async fn check_mapped(&self, ctx: &RequestContext, api: &str, stage: &str) -> Result<(), AwsError> {
        let record = self.http_api(ctx, api).await?;
        match record.stages.contains_key(stage) {
            true => Ok(()),
            false => Err(bad_request(format!("Invalid stage identifier specified {stage}"))),
        }
    }

    pub(crate) async fn create_domain_name_v2(
        &self,
        ctx: &RequestContext,
        input: CreateDomainNameRequest,
    ) -> Result<CreateDomainNameResponse, AwsError> {
        domains::check_name(&input.domain_name).map_err(|e| bad_request(e.message))?;
        let configuration = input
            .domain_name_configurations
            .iter()
            .flatten()
            .next()
            .cloned()
            .unwrap_or_default();
        let endpoint = configuration
            .endpoint_type
            .clone()
            .unwrap_or_else(|| "REGIONAL".to_owned());
        let request = v1::CreateDomainNameRequest {
            domain_name: input.domain_name,
            regional_certificate_arn: configuration
                .certificate_arn
                .clone()
                .filter(|_| endpoint != "EDGE"),
            certificate_arn: configuration.certificate_arn.filter(|_| endpoint == "EDGE"),
            endpoint_configuration: Some(v1::EndpointConfiguration {
                types: Some(vec![endpoint]),
                ..Default::default()
            }),
            security_policy: configuration.security_policy,
            tags: input.tags,
            ..Default::default()
        };
        let domain = domains::new_domain(ctx, request, records::timestamp(&self.clock));
        let record = DomainRecord {
            domain: domain.clone(),
            mappings: Default::default(),
            mapping_ids: Default::default(),
        };
        if !self.insert_domain(ctx, record).await? {
            return Err(conflict("The domain name you provided already exists."));
        }
        Ok(convert(&described(&domain)))
    }

    async fn domain_v2(&self, ctx: &RequestContext, name: &str) -> Result<DomainRecord, AwsError> {
        let found = self.domain_record(ctx, name).await;
        found.map_err(|_| not_found(format!("Invalid domain name identifier specified {name}")))
    }

    pub(crate) async fn get_domain_name_v2(
        &self,
        ctx: &RequestContext,
        input: GetDomainNameRequest,
    ) -> Result<GetDomainNameResponse, AwsError> {
        let record = self.domain_v2(ctx, &input.domain_name).await?;
        Ok(convert(&described(&record.domain)))
    }

    pub(crate) async fn get_domain_names_v2(
        &self,
        ctx: &RequestContext,
        _input: GetDomainNamesRequest,
    ) -> Result<GetDomainNamesResponse, AwsError> {
        let all = self
            .get_domain_names(ctx, v1::GetDomainNamesRequest::default())
            .await?;
        Ok(GetDomainNamesResponse {
            items: Some(all.items.iter().flatten().map(described).collect()),
            next_token: None,
        })
    }

    pub(crate) async fn update_domain_name_v2(
        &self,
        ctx: &RequestContext,
        input: UpdateDomainNameRequest,
    ) -> Result<UpdateDomainNameResponse, AwsError> {
        self.domain_v2(ctx, &input.domain_name).await?;
        let configuration = input
            .domain_name_configurations
            .iter()
            .flatten()
            .next()
            .cloned()
            .unwrap_or_default();
        let updated = self
            .change_domain(ctx, &input.domain_name, move |record| {
                let domain = &mut record.domain;
                if let Some(arn) = configuration.certificate_arn {
                    match domain.regional_domain_name.is_some() {
                        true => domain.regional_certificate_arn = Some(arn),
                        false => domain.certificate_arn = Some(arn),
                    }
                }
                if configuration.security_policy.is_some() {
                    domain.security_policy = configuration.security_policy;
                }
                Ok(domain.clone())
            })
            .await?;
        Ok(convert(&described(&updated)))
    }

    pub(crate) async fn delete_domain_name_v2(
        &self,
        ctx: &RequestContext,
        input: DeleteDomainNameRequest,
    ) -> Result<(), AwsError> {
        self.domain_v2(ctx, &input.domain_name).await?;
        self.remove_domain(ctx, input.domain_name).await
    }

    pub(crate) async fn create_api_mapping(
        &self,
        ctx: &RequestContext,
        input: CreateApiMappingRequest,
    ) -> Result<CreateApiMappingResponse, AwsError> {
        self.domain_v2(ctx, &input.domain_name).await?;
        self.check_mapped(ctx, &input.api_id, &input.stage).await?;
        let key = domains::base_path_key(input.api_mapping_key.as_deref());
        domains::check_base_path(&key).map_err(|e| bad_request(e.message))?;
        let id = records::new_id(6);
        let mapping = v1::BasePathMapping {
            base_path: Some(key.clone()),
            rest_api_id: Some(input.api_id),
            stage: Some(input.stage),
        };
        let created = self
            .change_domain(ctx, &input.domain_name, move |record| {
                domains::check_place(&record.mappings, &key).map_err(|e| conflict(e.message))?;
                record.mappings.insert(key.clone(), mapping);
                record.mapping_ids.insert(key, id);
                Ok(api_mappings(record).pop().unwrap_or_default())
            })
            .await?;
        Ok(convert(&created))
    }

    pub(crate) async fn get_api_mapping(
        &self,
        ctx: &RequestContext,
        input: GetApiMappingRequest,
    ) -> Result<GetApiMappingResponse, AwsError> {
        let record = self.domain_v2(ctx, &input.domain_name).await?;
        let key = key_of(&record, &input.api_mapping_id)?;
        let found = api_mappings(&record)
            .into_iter()
            .find(|m| m.api_mapping_key.as_deref().unwrap_or(NO_BASE_PATH) == key);
        Ok(convert(&found.unwrap_or_default()))
    }

    pub(crate) async fn get_api_mappings(
        &self,
        ctx: &RequestContext,
        input: GetApiMappingsRequest,
    ) -> Result<GetApiMappingsResponse, AwsError> {
        let record = self.domain_v2(ctx, &input.domain_name).await?;
        Ok(GetApiMappingsResponse {
            items: Some(api_mappings(&record)),
            next_token: None,
        })
    }

    pub(crate) async fn update_api_mapping(
        &self,
        ctx: &RequestContext,
        input: UpdateApiMappingRequest,
    ) -> Result<UpdateApiMappingResponse, AwsError> {
        let record = self.domain_v2(ctx, &input.domain_name).await?;
        let key = key_of(&record, &input.api_mapping_id)?;
        let current = record.mappings.get(&key).cloned().unwrap_or_default();
        let stage = input.stage.or(current.stage).unwrap_or_default();
        self.check_mapped(ctx, &input.api_id, &stage).await?;
        let new_key = match input.api_mapping_key {
            Some(given) => domains::base_path_key(Some(&given)),
            None => key.clone(),
        };
        domains::check_base_path(&new_key).map_err(|e| bad_request(e.message))?;
        let id = input.api_mapping_id;
        let mapping = v1::BasePathMapping {
            base_path: Some(new_key.clone()),
            rest_api_id: Some(input.api_id),
            stage: Some(stage),
        };
        let updated = self
            .change_domain(ctx, &input.domain_name, move |record| {
                let index = record
                    .mappings
                    .get_index_of(&key)
                    .ok_or_else(|| mapping_missing(&id))?;
                record.mappings.shift_remove(&key);
                record.mapping_ids.shift_remove(&key);
                domains::check_place(&record.mappings, &new_key).map_err(|e| conflict(e.message))?;
                record.mappings.shift_insert(index, new_key.clone(), mapping);
                record.mapping_ids.insert(new_key.clone(), id);
                let all = api_mappings(record);
                Ok(all.into_iter().nth(index).unwrap_or_default())
            })
            .await?;
        Ok(convert(&updated))
    }

    pub(crate) async fn delete_api_mapping(
        &self,
        ctx: &RequestContext,
        input: DeleteApiMappingRequest,
    ) -> Result<(), AwsError> {
        let record = self.domain_v2(ctx, &input.domain_name).await?;
        let key = key_of(&record, &input.api_mapping_id)?;
        self.change_domain(ctx, &input.domain_name, move |record| {
            record.mapping_ids.shift_remove(&key);
            record
                .mappings
                .shift_remove(&key)
                .map(|_| ())
                .ok_or_else(domains::mapping_missing)
        })
        .await
    }
}
