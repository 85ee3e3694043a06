//! API keys: created with a value of their own or a generated one (40
//! letters and digits), listed without their values unless asked, deleted.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::errors;
use crate::patch::{self, Kind, Rule, Wording, replace, set};
use crate::records::{self, namespace_of};

pub const KEY_PREFIX: &[u8] = b"apikey/";

pub fn key_key(id: &str) -> Vec<u8> {
    [KEY_PREFIX, id.as_bytes()].concat()
}

pub fn key_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid API Key identifier specified")
}

/// A generated key value: 40 letters and digits.
fn generated_value() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..3)
        .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
        .take(40)
        .map(|byte| char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]))
        .collect()
}

fn without_value(mut key: ApiKey, include: Option<bool>) -> ApiKey {
    if include != Some(true) {
        key.value = None;
    }
    key
}

const API_KEY: &[Rule] = &[
    replace("/customerId", Kind::Text),
    replace("/description", Kind::Text),
    replace("/enabled", Kind::Flag),
    replace("/name", Kind::Text),
    set("/stageKeys"),
];

impl ApiGateway {
    pub(crate) async fn update_api_key(
        &self,
        ctx: &RequestContext,
        input: UpdateApiKeyRequest,
    ) -> Result<ApiKey, AwsError> {
        // A key's stages are `stageKeys` on the wire and `/stages` in a patch.
        let ops: Vec<PatchOperation> = input
            .patch_operations
            .unwrap_or_default()
            .into_iter()
            .map(|mut op| {
                if op.path.as_deref() == Some("/stages") {
                    op.path = Some("/stageKeys".to_owned());
                }
                op
            })
            .collect();
        let now = records::timestamp(&self.clock);
        let key = self
            .change_stored::<ApiKey>(ctx, key_key(&input.api_key), key_missing(), move |key| {
                *key = patch::apply(key, &ops, API_KEY, Wording::Bare)?;
                key.last_updated_date = Some(now);
                Ok(())
            })
            .await?;
        Ok(without_value(key, None))
    }

    pub(crate) async fn api_key(&self, ctx: &RequestContext, id: &str) -> Result<ApiKey, AwsError> {
        let found: Option<ApiKey> = self.store.get_json(&namespace_of(ctx)?, &key_key(id)).await?;
        found.ok_or_else(key_missing)
    }

    pub(crate) async fn all_api_keys(&self, ctx: &RequestContext) -> Result<Vec<ApiKey>, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, KEY_PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect())
    }

    pub(crate) async fn create_api_key(
        &self,
        ctx: &RequestContext,
        input: CreateApiKeyRequest,
    ) -> Result<ApiKey, AwsError> {
        // An empty value (as Terraform sends it) asks for a generated one.
        let value = match input.value.filter(|v| !v.is_empty()) {
            Some(value)
                if value.len() < 20
                    || value.len() > 128
                    || !value.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                return Err(errors::bad_request(
                    "API Key value should be at least 20 characters, at most 128, letters and digits only",
                ));
            }
            Some(value) => value,
            None => generated_value(),
        };
        let now = records::timestamp(&self.clock);
        let key = ApiKey {
            id: Some(records::new_id(10)),
            value: Some(value),
            name: input.name,
            customer_id: input.customer_id,
            description: input.description,
            enabled: Some(input.enabled.unwrap_or(false)),
            created_date: Some(now),
            last_updated_date: Some(now),
            stage_keys: Some(
                input
                    .stage_keys
                    .iter()
                    .flatten()
                    .map(|s| {
                        format!(
                            "{}/{}",
                            s.rest_api_id.clone().unwrap_or_default(),
                            s.stage_name.clone().unwrap_or_default()
                        )
                    })
                    .collect(),
            ),
            tags: input.tags.filter(|t| !t.is_empty()),
        };
        let id = key.id.clone().unwrap_or_default();
        self.store
            .put_json(&namespace_of(ctx)?, &key_key(&id), key.clone())
            .await?;
        Ok(key)
    }

    pub(crate) async fn get_api_key(
        &self,
        ctx: &RequestContext,
        input: GetApiKeyRequest,
    ) -> Result<ApiKey, AwsError> {
        Ok(without_value(
            self.api_key(ctx, &input.api_key).await?,
            input.include_value,
        ))
    }

    pub(crate) async fn get_api_keys(
        &self,
        ctx: &RequestContext,
        input: GetApiKeysRequest,
    ) -> Result<ApiKeys, AwsError> {
        let keys: Vec<ApiKey> = self
            .all_api_keys(ctx)
            .await?
            .into_iter()
            .filter(|k| {
                input
                    .name_query
                    .as_ref()
                    .is_none_or(|q| k.name.as_deref().is_some_and(|n| n.starts_with(q.as_str())))
            })
            .filter(|k| input.customer_id.is_none() || k.customer_id == input.customer_id)
            .map(|k| without_value(k, input.include_values))
            .collect();
        let (items, position) = crate::paging::page(keys, input.position.as_deref(), input.limit)?;
        Ok(ApiKeys {
            items: Some(items),
            position,
            warnings: None,
        })
    }

    pub(crate) async fn delete_api_key(
        &self,
        ctx: &RequestContext,
        input: DeleteApiKeyRequest,
    ) -> Result<(), AwsError> {
        self.api_key(ctx, &input.api_key).await?;
        self.store
            .delete(&namespace_of(ctx)?, &key_key(&input.api_key))
            .await
            .map_err(AwsError::from)
    }
}
