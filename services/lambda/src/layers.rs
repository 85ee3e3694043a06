//! Layers: PublishLayerVersion (a zip, from the request or S3, numbered per
//! layer name and never reused), GetLayerVersion(ByArn), ListLayers,
//! ListLayerVersions, DeleteLayerVersion; functions name up to five layer
//! versions, whose contents their environments see where Lambda's runtimes
//! look in /opt: `python`, `nodejs/node_modules`, `bin`, `lib` of each
//! layer are put on PYTHONPATH, NODE_PATH, PATH and LD_LIBRARY_PATH.

use std::path::{Path, PathBuf};

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use nimbus_store::BlobRef;
use serde::{Deserialize, Serialize};

use crate::Lambda;
use crate::code;
use crate::functions::namespace;

/// The most layers a function may use.
const MAX_LAYERS: usize = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerRecord {
    pub version: GetLayerVersionResponse,
    pub code: BlobRef,
    pub code_hex: String,
}

fn version_key(name: &str, version: i64) -> Vec<u8> {
    format!("layer/{name}/{version:010}").into_bytes()
}

fn versions_prefix(name: &str) -> Vec<u8> {
    format!("layer/{name}/").into_bytes()
}

/// The last version number a layer name was given.
fn counter_key(name: &str) -> Vec<u8> {
    format!("layer-count/{name}").into_bytes()
}

fn layer_arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:layer:{name}", ctx.region, ctx.account_id)
}

fn missing_version() -> AwsError {
    errors::resource_not_found("The resource you requested does not exist.").with_field("Type", "User")
}

/// `arn:aws:lambda:<region>:<account>:layer:<name>:<version>` → its parts.
fn parse_version_arn(arn: &str) -> Option<(String, String, String, i64)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", region, account, "layer", name, version] => Some((
            (*region).to_owned(),
            (*account).to_owned(),
            (*name).to_owned(),
            version.parse().ok()?,
        )),
        _ => None,
    }
}

/// Where each layer's files go in the environment, later layers first (a
/// later layer's files win in /opt).
pub fn search_paths(layers: &[PathBuf], python: Option<&str>) -> Vec<(&'static str, String)> {
    let join = |parts: Vec<PathBuf>| {
        parts
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| p.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(":")
    };
    let each = |suffixes: &[String]| {
        join(
            layers
                .iter()
                .rev()
                .flat_map(|layer| suffixes.iter().map(move |s| layer.join(s)))
                .collect(),
        )
    };
    let mut python_dirs = vec!["python".to_owned()];
    if let Some(version) = python {
        python_dirs.push(format!("python/lib/{version}/site-packages"));
    }
    vec![
        ("PYTHONPATH", each(&python_dirs)),
        ("NODE_PATH", each(&["nodejs/node_modules".to_owned()])),
        ("PATH", each(&["bin".to_owned()])),
        ("LD_LIBRARY_PATH", each(&["lib".to_owned()])),
    ]
}

impl Lambda {
    pub(crate) async fn publish_layer_version(
        &self,
        ctx: &RequestContext,
        input: PublishLayerVersionRequest,
    ) -> Result<PublishLayerVersionResponse, AwsError> {
        let content = &input.content;
        let location = crate::s3_code::S3Location {
            bucket: content.s3_bucket.as_deref(),
            key: content.s3_key.as_deref(),
            version: content.s3_object_version.as_deref(),
        };
        let zip = self.package(ctx, content.zip_file.as_ref(), location).await?;
        let package = code::inspect(&zip)?;
        let root = self.store.data_dir().to_owned();
        let (hex, unpacked) = (package.sha256_hex.clone(), zip.clone());
        tokio::task::spawn_blocking(move || code::unpack(&root, &hex, &unpacked))
            .await
            .map_err(|e| AwsError::internal(e.to_string()))??;
        let staged = self.store.blobs().write_from(std::io::Cursor::new(zip)).await?;
        let name = input.layer_name.clone();
        let arn = layer_arn(ctx, &name);
        let created = crate::functions::last_modified(&self.clock);
        let location = format!(
            "{}/_nimbus/lambda/code/{}/{}",
            self.endpoint, ctx.account_id, package.sha256_hex
        );
        let ns = namespace(ctx)?;
        let version = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let number = table.get_json::<i64>(&counter_key(&name))?.unwrap_or(0) + 1;
                let version = GetLayerVersionResponse {
                    content: Some(LayerVersionContentOutput {
                        location: Some(location),
                        code_sha256: Some(package.sha256_base64),
                        code_size: Some(package.size),
                        ..Default::default()
                    }),
                    layer_arn: Some(arn.clone()),
                    layer_version_arn: Some(format!("{arn}:{number}")),
                    description: Some(input.description.unwrap_or_default()),
                    created_date: Some(created),
                    version: Some(number),
                    compatible_runtimes: input.compatible_runtimes,
                    license_info: input.license_info,
                    compatible_architectures: input.compatible_architectures,
                };
                let record = LayerRecord {
                    version: version.clone(),
                    code: txn.attach_blob(staged)?,
                    code_hex: package.sha256_hex,
                };
                table.put_json(&version_key(&name, number), &record)?;
                table.put_json(&counter_key(&name), &number)?;
                Ok::<_, AwsError>(version)
            })
            .await?;
        Ok(PublishLayerVersionResponse {
            content: version.content,
            layer_arn: version.layer_arn,
            layer_version_arn: version.layer_version_arn,
            description: version.description,
            created_date: version.created_date,
            version: version.version,
            compatible_runtimes: version.compatible_runtimes,
            license_info: version.license_info,
            compatible_architectures: version.compatible_architectures,
        })
    }

    async fn layer_version(
        &self,
        ctx: &RequestContext,
        name: &str,
        version: i64,
    ) -> Result<LayerRecord, AwsError> {
        let ns = namespace(ctx)?;
        let key = version_key(name, version);
        let found: Option<LayerRecord> = self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        found.ok_or_else(missing_version)
    }

    pub(crate) async fn get_layer_version(
        &self,
        ctx: &RequestContext,
        input: GetLayerVersionRequest,
    ) -> Result<GetLayerVersionResponse, AwsError> {
        Ok(self
            .layer_version(ctx, &input.layer_name, input.version_number)
            .await?
            .version)
    }

    pub(crate) async fn get_layer_version_by_arn(
        &self,
        ctx: &RequestContext,
        input: GetLayerVersionByArnRequest,
    ) -> Result<GetLayerVersionResponse, AwsError> {
        let (_, account, name, version) = parse_version_arn(&input.arn).ok_or_else(missing_version)?;
        if account != ctx.account_id {
            return Err(missing_version());
        }
        Ok(self.layer_version(ctx, &name, version).await?.version)
    }

    /// Every version of every layer (or of one), newest first per layer.
    async fn all_layer_versions(
        &self,
        ctx: &RequestContext,
        name: Option<&str>,
    ) -> Result<Vec<GetLayerVersionResponse>, AwsError> {
        let ns = namespace(ctx)?;
        let prefix = name.map_or_else(|| b"layer/".to_vec(), versions_prefix);
        let mut versions: Vec<GetLayerVersionResponse> = self
            .store
            .values_under(&ns, &prefix)
            .await?
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<LayerRecord>(bytes).ok())
            .map(|record| record.version)
            .collect();
        versions.reverse();
        Ok(versions)
    }

    pub(crate) async fn list_layer_versions(
        &self,
        ctx: &RequestContext,
        input: ListLayerVersionsRequest,
    ) -> Result<ListLayerVersionsResponse, AwsError> {
        let versions = self.all_layer_versions(ctx, Some(&input.layer_name)).await?;
        let listed = versions
            .into_iter()
            .filter(|v| {
                compatible(
                    v,
                    input.compatible_runtime.as_deref(),
                    input.compatible_architecture.as_deref(),
                )
            })
            .map(|v| LayerVersionsListItem {
                layer_version_arn: v.layer_version_arn,
                version: v.version,
                description: v.description,
                created_date: v.created_date,
                compatible_runtimes: v.compatible_runtimes,
                license_info: v.license_info,
                compatible_architectures: v.compatible_architectures,
            })
            .collect();
        Ok(ListLayerVersionsResponse {
            layer_versions: Some(listed),
            next_marker: None,
        })
    }

    pub(crate) async fn list_layers(
        &self,
        ctx: &RequestContext,
        input: ListLayersRequest,
    ) -> Result<ListLayersResponse, AwsError> {
        let versions = self.all_layer_versions(ctx, None).await?;
        let mut layers: Vec<LayersListItem> = Vec::new();
        for version in versions.into_iter().filter(|v| {
            compatible(
                v,
                input.compatible_runtime.as_deref(),
                input.compatible_architecture.as_deref(),
            )
        }) {
            let arn = version.layer_arn.clone().unwrap_or_default();
            if layers
                .iter()
                .any(|l| l.layer_arn.as_deref() == Some(arn.as_str()))
            {
                continue;
            }
            layers.push(LayersListItem {
                layer_name: arn.rsplit(':').next().map(str::to_owned),
                layer_arn: Some(arn),
                latest_matching_version: Some(LayerVersionsListItem {
                    layer_version_arn: version.layer_version_arn,
                    version: version.version,
                    description: version.description,
                    created_date: version.created_date,
                    compatible_runtimes: version.compatible_runtimes,
                    license_info: version.license_info,
                    compatible_architectures: version.compatible_architectures,
                }),
            });
        }
        layers.sort_by(|a, b| a.layer_name.cmp(&b.layer_name));
        Ok(ListLayersResponse {
            layers: Some(layers),
            next_marker: None,
        })
    }

    /// Deleting a version that does not exist is not an error.
    pub(crate) async fn delete_layer_version(
        &self,
        ctx: &RequestContext,
        input: DeleteLayerVersionRequest,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let key = version_key(&input.layer_name, input.version_number);
        let policy = crate::layer_permissions::policy_key(&input.layer_name, input.version_number);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if let Some(record) = table.get_json::<LayerRecord>(&key)? {
                    txn.release_blob(&record.code)?;
                    table.delete(&key)?;
                    table.delete(&policy)?;
                }
                Ok::<_, AwsError>(())
            })
            .await
    }

    /// The Layers a function's configuration answers for the ARNs it was
    /// given: each must be a version that exists, five at most.
    pub(crate) async fn function_layers(
        &self,
        arns: Option<&Vec<String>>,
    ) -> Result<Option<Vec<Layer>>, AwsError> {
        let Some(arns) = arns else { return Ok(None) };
        if arns.len() > MAX_LAYERS {
            return Err(errors::invalid_parameter_value(format!(
                "Cannot reference more than {MAX_LAYERS} layers."
            )));
        }
        let mut layers = Vec::new();
        for arn in arns {
            let does_not_exist =
                || errors::invalid_parameter_value(format!("Layer version {arn} does not exist."));
            let (region, account, name, version) = parse_version_arn(arn).ok_or_else(does_not_exist)?;
            let owner = RequestContext::internal("lambda", "GetLayerVersion", &account, &region);
            let record = self
                .layer_version(&owner, &name, version)
                .await
                .map_err(|_| does_not_exist())?;
            layers.push(Layer {
                arn: Some(arn.clone()),
                code_size: record.version.content.and_then(|c| c.code_size),
                ..Default::default()
            });
        }
        Ok(Some(layers))
    }

    /// The unpacked directories of a function's layers, in its order
    /// (unpacked again from the store if this machine lacks one).
    pub(crate) async fn layer_dirs(&self, config: &FunctionConfiguration) -> Result<Vec<PathBuf>, AwsError> {
        let mut dirs = Vec::new();
        for layer in config.layers.iter().flatten() {
            let Some((region, account, name, version)) = layer.arn.as_deref().and_then(parse_version_arn)
            else {
                continue;
            };
            let owner = RequestContext::internal("lambda", "GetLayerVersion", &account, &region);
            let Ok(record) = self.layer_version(&owner, &name, version).await else {
                // A deleted version: what was unpacked of it still serves.
                continue;
            };
            dirs.push(self.unpacked_layer(&record).await?);
        }
        Ok(dirs)
    }

    async fn unpacked_layer(&self, record: &LayerRecord) -> Result<PathBuf, AwsError> {
        let root: &Path = self.store.data_dir();
        let dir = code::unpacked_dir(root, &record.code_hex);
        if dir.is_dir() {
            return Ok(dir);
        }
        let mut reader = self.store.blobs().open(&record.code).await?;
        let mut zip = Vec::new();
        while let Some(chunk) = reader.next_chunk().await? {
            zip.extend_from_slice(&chunk);
        }
        let (root, hex) = (root.to_owned(), record.code_hex.clone());
        tokio::task::spawn_blocking(move || code::unpack(&root, &hex, &zip))
            .await
            .map_err(|e| AwsError::internal(e.to_string()))?
    }
}

fn compatible(version: &GetLayerVersionResponse, runtime: Option<&str>, architecture: Option<&str>) -> bool {
    let listed = |list: &Option<Vec<String>>, wanted: Option<&str>| {
        wanted.is_none_or(|w| list.as_ref().is_some_and(|l| l.iter().any(|x| x == w)))
    };
    listed(&version.compatible_runtimes, runtime) && listed(&version.compatible_architectures, architecture)
}
