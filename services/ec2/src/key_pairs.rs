//! Key pairs: made by EC2 (RSA 2048 as PKCS#1 PEM, or ED25519 in OpenSSH's
//! format; nimbus keeps only the public key, as EC2 does) or imported from
//! an OpenSSH public key, with EC2's fingerprints: for RSA keys it made,
//! the SHA-1 of the private key's PKCS#8 DER; for RSA keys imported, the
//! MD5 of the public key's DER; for ED25519, the SHA-256 of the public key,
//! in base64.

use md5::Md5;
use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::Digest;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};

use crate::filters::{self, Values};
use crate::records::{KEYPAIR_PREFIX, keypair_key, namespace_of};
use crate::{Ec2, errors, ids, tags};

/// What nimbus keeps of a key pair: its description and public key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyRecord {
    info: KeyPairInfo,
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn failed(error: impl std::fmt::Display) -> AwsError {
    AwsError::new("InternalError", error.to_string(), 500)
}

fn key_missing(name: &str) -> AwsError {
    errors::client(
        "InvalidKeyPair.NotFound",
        format!("The key pair '{name}' does not exist"),
    )
}

/// A new key: (private key material, OpenSSH public key, fingerprint).
fn generate(kind: &str) -> Result<(String, String, String), AwsError> {
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    match kind {
        "ed25519" => {
            let key = PrivateKey::random(&mut rng, Algorithm::Ed25519).map_err(failed)?;
            let material = key.to_openssh(LineEnding::LF).map_err(failed)?.to_string();
            let public = key.public_key().to_openssh().map_err(failed)?;
            let fingerprint = base64(key.public_key().fingerprint(HashAlg::Sha256).as_bytes());
            Ok((material, public, fingerprint))
        }
        _ => {
            let key = rsa::PrivateKey::new(&mut rng, 2048).map_err(failed)?;
            let material = key
                .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(failed)?
                .to_string();
            let fingerprint = colon_hex(&Sha1::digest(key.to_pkcs8_der().map_err(failed)?.as_bytes()));
            let public = ssh_key::public::RsaPublicKey::try_from(key.to_public_key()).map_err(failed)?;
            let public = PublicKey::from(public).to_openssh().map_err(failed)?;
            Ok((material, public, fingerprint))
        }
    }
}

/// An imported OpenSSH public key: its (type, normalized key, fingerprint).
fn imported(material: &[u8]) -> Result<(String, String, String), AwsError> {
    let invalid = || {
        errors::client(
            "InvalidKey.Format",
            "Key is not in valid OpenSSH public key format",
        )
    };
    let text = std::str::from_utf8(material).map_err(|_| invalid())?;
    let key = PublicKey::from_openssh(text.trim()).map_err(|_| invalid())?;
    let public = key.to_openssh().map_err(|_| invalid())?;
    match key.key_data() {
        ssh_key::public::KeyData::Ed25519(_) => {
            let fingerprint = base64(key.fingerprint(HashAlg::Sha256).as_bytes());
            Ok(("ed25519".to_owned(), public, fingerprint))
        }
        ssh_key::public::KeyData::Rsa(rsa_key) => {
            let rsa_key = rsa::PublicKey::try_from(rsa_key).map_err(|_| invalid())?;
            let der = rsa_key.to_public_key_der().map_err(|_| invalid())?;
            Ok(("rsa".to_owned(), public, colon_hex(&Md5::digest(der.as_bytes()))))
        }
        _ => Err(invalid()),
    }
}

fn values(info: &KeyPairInfo) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "key-pair-id" => one(&info.key_pair_id),
            "key-name" => one(&info.key_name),
            "fingerprint" => one(&info.key_fingerprint),
            "key-type" => one(&info.key_type),
            other => filters::tag_values(info.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    /// Keeps a new key pair unless its name is taken.
    async fn keep_key(&self, ctx: &RequestContext, info: KeyPairInfo) -> Result<(), AwsError> {
        let name = info.key_name.clone().unwrap_or_default();
        let ns = namespace_of(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&keypair_key(&name))?.is_some() {
                    return Err(errors::client(
                        "InvalidKeyPair.Duplicate",
                        format!("The keypair '{name}' already exists."),
                    ));
                }
                table.put_json(&keypair_key(&name), &KeyRecord { info })?;
                Ok(())
            })
            .await
    }

    fn new_info(
        &self,
        name: &str,
        kind: &str,
        (public, fingerprint): (String, String),
        tags: Option<Vec<Tag>>,
    ) -> KeyPairInfo {
        KeyPairInfo {
            key_pair_id: Some(ids::new_id("key")),
            key_type: Some(kind.to_owned()),
            tags,
            public_key: Some(public),
            create_time: Some(crate::records::now(&self.clock)),
            key_name: Some(name.to_owned()),
            key_fingerprint: Some(fingerprint),
        }
    }

    pub(crate) async fn create_key_pair(
        &self,
        ctx: &RequestContext,
        input: CreateKeyPairRequest,
    ) -> Result<KeyPair, AwsError> {
        let kind = input.key_type.unwrap_or_else(|| "rsa".to_owned());
        if input.key_format.as_deref().is_some_and(|f| f != "pem") {
            return Err(errors::invalid_parameter(
                "nimbus makes key pairs in the pem format only, not ppk",
            ));
        }
        let tags = tags::from_specifications(input.tag_specifications.as_deref(), "key-pair")?;
        errors::check_dry_run(input.dry_run)?;
        let chosen = kind.clone();
        let (material, public, fingerprint) = tokio::task::spawn_blocking(move || generate(&chosen))
            .await
            .map_err(failed)??;
        let info = self.new_info(&input.key_name, &kind, (public, fingerprint), tags);
        let answer = KeyPair {
            key_pair_id: info.key_pair_id.clone(),
            tags: info.tags.clone(),
            key_name: info.key_name.clone(),
            key_fingerprint: info.key_fingerprint.clone(),
            key_material: Some(material),
        };
        self.keep_key(ctx, info).await?;
        Ok(answer)
    }

    pub(crate) async fn import_key_pair(
        &self,
        ctx: &RequestContext,
        input: ImportKeyPairRequest,
    ) -> Result<ImportKeyPairResult, AwsError> {
        let (kind, public, fingerprint) = imported(&input.public_key_material)?;
        let tags = tags::from_specifications(input.tag_specifications.as_deref(), "key-pair")?;
        errors::check_dry_run(input.dry_run)?;
        let info = self.new_info(&input.key_name, &kind, (public, fingerprint), tags);
        let answer = ImportKeyPairResult {
            key_fingerprint: info.key_fingerprint.clone(),
            key_name: info.key_name.clone(),
            key_pair_id: info.key_pair_id.clone(),
            tags: info.tags.clone(),
        };
        self.keep_key(ctx, info).await?;
        Ok(answer)
    }

    pub(crate) async fn describe_key_pairs(
        &self,
        ctx: &RequestContext,
        input: DescribeKeyPairsRequest,
    ) -> Result<DescribeKeyPairsResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, KEYPAIR_PREFIX)
            .await?;
        let all: Vec<KeyPairInfo> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<KeyRecord>(bytes).ok())
            .map(|record| record.info)
            .collect();
        let names = input.key_names.unwrap_or_default();
        let ids = input.key_pair_ids.unwrap_or_default();
        if let Some(unknown) = names
            .iter()
            .find(|n| !all.iter().any(|k| k.key_name.as_ref() == Some(*n)))
        {
            return Err(key_missing(unknown));
        }
        if let Some(unknown) = ids
            .iter()
            .find(|i| !all.iter().any(|k| k.key_pair_id.as_ref() == Some(*i)))
        {
            return Err(errors::client(
                "InvalidKeyPair.NotFound",
                format!("The key pair ID '{unknown}' does not exist"),
            ));
        }
        let filters = input.filters.unwrap_or_default();
        let mut keys = Vec::new();
        for mut info in all {
            let named = names.is_empty() || names.iter().any(|n| info.key_name.as_ref() == Some(n));
            let by_id = ids.is_empty() || ids.iter().any(|i| info.key_pair_id.as_ref() == Some(i));
            if named && by_id && filters::matches(&filters, &values(&info))? {
                if input.include_public_key != Some(true) {
                    info.public_key = None;
                }
                keys.push(info);
            }
        }
        Ok(DescribeKeyPairsResult {
            key_pairs: Some(keys),
        })
    }

    pub(crate) async fn delete_key_pair(
        &self,
        ctx: &RequestContext,
        input: DeleteKeyPairRequest,
    ) -> Result<DeleteKeyPairResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let stored = self.store.values_under(&ns, KEYPAIR_PREFIX).await?;
        let found = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<KeyRecord>(bytes).ok())
            .find(|record| {
                let info = &record.info;
                input
                    .key_name
                    .as_ref()
                    .is_some_and(|n| info.key_name.as_ref() == Some(n))
                    || input
                        .key_pair_id
                        .as_ref()
                        .is_some_and(|i| info.key_pair_id.as_ref() == Some(i))
            });
        // Deleting a key pair that is not there succeeds, as EC2's does.
        let Some(found) = found else {
            return Ok(DeleteKeyPairResult {
                r#return: Some(true),
                key_pair_id: None,
            });
        };
        let name = found.info.key_name.clone().unwrap_or_default();
        self.store.delete(&ns, &keypair_key(&name)).await?;
        Ok(DeleteKeyPairResult {
            r#return: Some(true),
            key_pair_id: found.info.key_pair_id,
        })
    }
}

impl Ec2 {
    /// The public key (an OpenSSH line) of key pair `name`, as an
    /// instance's metadata gives it.
    pub(crate) async fn public_key(&self, ns: &nimbus_store::Namespace, name: &str) -> Option<String> {
        let record: KeyRecord = self.store.get_json(ns, &keypair_key(name)).await.ok()??;
        record.info.public_key
    }
}
