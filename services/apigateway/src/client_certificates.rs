//! Client certificates: GenerateClientCertificate makes a self-signed
//! X.509 certificate as API Gateway does (RSA 2048, SHA-256, subject and
//! issuer `C=US, L=Seattle, CN=ApiGateway`, valid for a year), kept with
//! its description and tags; a stage names one for its backends to check.
//! nimbus keeps the private key to itself and, as its backends are plain
//! HTTP, presents it to none yet.

use std::str::FromStr;
use std::time::Duration;

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};
use rsa::signature::Keypair;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der::EncodePem;
use x509_cert::der::pem::LineEnding;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfo;
use x509_cert::time::Validity;

use crate::ApiGateway;
use crate::patch::{self, Kind, Rule, Wording, replace};
use crate::records::{self, namespace_of};

const PREFIX: &[u8] = b"clientcert/";

const CERTIFICATE: &[Rule] = &[replace("/description", Kind::Text)];

/// A year, as API Gateway's certificates last.
const LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

fn certificate_key(id: &str) -> Vec<u8> {
    [PREFIX, id.as_bytes()].concat()
}

fn certificate_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid Client Certificate identifier specified")
}

/// A self-signed certificate with no extensions.
struct SelfSigned(Name);

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.0.clone()
    }

    fn get_subject(&self) -> Name {
        self.0.clone()
    }

    fn build_extensions(
        &self,
        _spk: x509_cert::spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: x509_cert::spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<x509_cert::ext::Extension>> {
        Ok(Vec::new())
    }
}

/// A new certificate, PEM-encoded, valid from now for a year.
fn generate_pem() -> Result<String, String> {
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let key = rsa::PrivateKey::new(&mut rng, 2048).map_err(|e| e.to_string())?;
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let public = SubjectPublicKeyInfo::from_key(&signer.verifying_key()).map_err(|e| e.to_string())?;
    let name = Name::from_str("CN=ApiGateway,L=Seattle,C=US").map_err(|e| e.to_string())?;
    let mut serial = [0u8; 8];
    getrandom::fill(&mut serial).map_err(|e| e.to_string())?;
    serial[0] &= 0x7f;
    let serial = SerialNumber::new(&serial).map_err(|e| e.to_string())?;
    let validity = Validity::from_now(LIFETIME).map_err(|e| e.to_string())?;
    let builder =
        CertificateBuilder::new(SelfSigned(name), serial, validity, public).map_err(|e| e.to_string())?;
    let certificate = builder
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .map_err(|e| e.to_string())?;
    certificate.to_pem(LineEnding::LF).map_err(|e| e.to_string())
}

impl ApiGateway {
    pub(crate) async fn generate_client_certificate(
        &self,
        ctx: &RequestContext,
        input: GenerateClientCertificateRequest,
    ) -> Result<ClientCertificate, AwsError> {
        // RSA key generation takes a while: off the async threads.
        let pem = tokio::task::spawn_blocking(generate_pem)
            .await
            .map_err(|e| AwsError::new("InternalError", e.to_string(), 500))?
            .map_err(|e| AwsError::new("InternalError", e, 500))?;
        let now = records::timestamp(&self.clock);
        let expires = nimbus_core::Timestamp::from_epoch_millis(
            now.as_epoch_millis() + i64::try_from(LIFETIME.as_millis()).unwrap_or(i64::MAX),
        );
        let certificate = ClientCertificate {
            client_certificate_id: Some(records::new_id(6)),
            description: input.description,
            pem_encoded_certificate: Some(pem),
            created_date: Some(now),
            expiration_date: Some(expires),
            tags: input.tags.filter(|t| !t.is_empty()),
        };
        let id = certificate.client_certificate_id.clone().unwrap_or_default();
        self.store
            .put_json(&namespace_of(ctx)?, &certificate_key(&id), certificate.clone())
            .await?;
        Ok(certificate)
    }

    pub(crate) async fn get_client_certificate(
        &self,
        ctx: &RequestContext,
        input: GetClientCertificateRequest,
    ) -> Result<ClientCertificate, AwsError> {
        let key = certificate_key(&input.client_certificate_id);
        let found: Option<ClientCertificate> = self.store.get_json(&namespace_of(ctx)?, &key).await?;
        found.ok_or_else(certificate_missing)
    }

    pub(crate) async fn get_client_certificates(
        &self,
        ctx: &RequestContext,
        input: GetClientCertificatesRequest,
    ) -> Result<ClientCertificates, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, PREFIX).await?;
        let all: Vec<ClientCertificate> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(ClientCertificates {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn update_client_certificate(
        &self,
        ctx: &RequestContext,
        input: UpdateClientCertificateRequest,
    ) -> Result<ClientCertificate, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        let key = certificate_key(&input.client_certificate_id);
        self.change_stored::<ClientCertificate>(ctx, key, certificate_missing(), move |certificate| {
            *certificate = patch::apply(certificate, &ops, CERTIFICATE, Wording::Bare)?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn delete_client_certificate(
        &self,
        ctx: &RequestContext,
        input: DeleteClientCertificateRequest,
    ) -> Result<(), AwsError> {
        let key = certificate_key(&input.client_certificate_id);
        let (ns, missing) = (namespace_of(ctx)?, certificate_missing());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                match table.delete(&key)? {
                    true => Ok(()),
                    false => Err(missing),
                }
            })
            .await
    }
}
