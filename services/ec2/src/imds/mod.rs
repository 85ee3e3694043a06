//! The instance metadata service. Each instance has its own, on its private
//! address at [`PORT`] (`AWS_EC2_METADATA_SERVICE_ENDPOINT` in its
//! environment, so the AWS SDKs and CLI inside find it): IMDSv2 tokens
//! (`tokens`), the metadata tree (`tree`) and the instance profile's role
//! credentials (`credentials`), read fresh from the instance's record.

mod credentials;
mod tokens;
mod tree;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use nimbus_iam_api::IamClient;
use nimbus_store::Namespace;
use nimbus_sts_api::StsClient;
use tokio::task::JoinHandle;

use crate::Ec2;
use crate::instances::InstanceRecord;
use crate::records::instance_key;

/// Where on its private address an instance's metadata service listens.
pub const PORT: u16 = 1338;

const TOKEN_PATH: &str = "/latest/api/token";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";

/// The instances' metadata services and what they share.
#[derive(Default)]
pub struct Imds {
    servers: Mutex<HashMap<String, Server>>,
    tokens: tokens::Tokens,
    sessions: credentials::Sessions,
    iam: OnceLock<IamClient>,
    sts: OnceLock<StsClient>,
}

/// An accepting task, ended when dropped.
struct Server(JoinHandle<()>);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Imds {
    /// Roles come from IAM's instance profiles, their sessions from STS.
    pub fn wire(&self, iam: IamClient, sts: StsClient) {
        let _ = self.iam.set(iam);
        let _ = self.sts.set(sts);
    }

    fn servers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Server>> {
        self.servers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends an instance's service (it was terminated).
    pub fn stop(&self, id: &str) {
        self.servers().remove(id);
    }

    pub fn clear(&self) {
        self.servers().clear();
        self.sessions.clear();
    }
}

/// Who a metadata service answers for.
#[derive(Clone)]
struct Owner {
    id: String,
    account: String,
    region: String,
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    response
}

/// IMDS's error pages.
fn page(status: StatusCode) -> Reply {
    let title = format!(
        "{} - {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    );
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html>\n<html><head><title>{title}</title></head>\
         <body><h1>{title}</h1></body></html>\n"
    );
    reply(status, body)
}

impl Ec2 {
    /// Serves the instance's metadata on its private address (once: a
    /// reboot or a start keeps the service it had); its endpoint.
    pub(crate) fn serve_metadata(&self, id: &str, account: &str, region: &str, address: Ipv4Addr) -> String {
        let endpoint = format!("http://{address}:{PORT}/");
        let mut servers = self.imds.servers();
        if servers.contains_key(id) {
            return endpoint;
        }
        let bound = std::net::TcpListener::bind(SocketAddr::from((address, PORT))).and_then(|l| {
            l.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(l)
        });
        let listener = match bound {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(instance = id, %error, "cannot serve an instance's metadata");
                return endpoint;
            }
        };
        let owner = Owner {
            id: id.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
        };
        let ec2 = self.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (ec2, owner) = (ec2.clone(), owner.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let (ec2, owner) = (ec2.clone(), owner.clone());
                        async move { Ok::<_, Infallible>(ec2.answer_metadata(&owner, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        servers.insert(id.to_owned(), Server(task));
        endpoint
    }

    async fn answer_metadata(&self, owner: &Owner, request: http::Request<Incoming>) -> Reply {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let path = request.uri().path().to_owned();
        let now = self.clock.now_epoch_millis();
        if request.method() == Method::PUT {
            if path != TOKEN_PATH {
                return page(StatusCode::FORBIDDEN);
            }
            if header("x-forwarded-for").is_some() {
                return page(StatusCode::FORBIDDEN);
            }
            let Some(ttl) = tokens::ttl(header(TTL_HEADER)) else {
                return page(StatusCode::BAD_REQUEST);
            };
            let mut response = reply(StatusCode::OK, self.imds.tokens.issue(&owner.id, ttl, now));
            if let Ok(value) = http::HeaderValue::from_str(&ttl.to_string()) {
                response.headers_mut().insert(TTL_HEADER, value);
            }
            return response;
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return page(StatusCode::METHOD_NOT_ALLOWED);
        }
        let Some(record) = self.metadata_record(owner).await else {
            return page(StatusCode::NOT_FOUND);
        };
        let options = record.instance.metadata_options.as_ref();
        if options.and_then(|m| m.http_endpoint.as_deref()) == Some("disabled") {
            // The instance's metadata service is turned off.
            return page(StatusCode::FORBIDDEN);
        }
        let token = header(TOKEN_HEADER);
        let required = record
            .instance
            .metadata_options
            .as_ref()
            .and_then(|m| m.http_tokens.as_deref())
            == Some("required");
        let token_ok = token.map(|t| self.imds.tokens.valid(t, &owner.id, now));
        if token_ok == Some(false) || (required && token_ok.is_none()) {
            return page(StatusCode::UNAUTHORIZED);
        }
        match self.metadata_at(owner, &record, &path).await {
            Some(body) => reply(StatusCode::OK, body),
            None => page(StatusCode::NOT_FOUND),
        }
    }

    async fn metadata_record(&self, owner: &Owner) -> Option<InstanceRecord> {
        let ns = Namespace::regional("ec2", &owner.account, &owner.region).ok()?;
        let record: InstanceRecord = self.store.get_json(&ns, &instance_key(&owner.id)).await.ok()??;
        Some(record.settled(self.now_millis()))
    }

    /// What `path` (`/latest/...`, or under any version) answers.
    async fn metadata_at(&self, owner: &Owner, record: &InstanceRecord, path: &str) -> Option<Vec<u8>> {
        if path == "/" {
            return Some(b"1.0\n2007-01-19\n2021-03-23\nlatest".to_vec());
        }
        let (_version, rest) = path.trim_start_matches('/').split_once('/').unwrap_or((path, ""));
        let role = match &record.instance.iam_instance_profile {
            Some(profile) => {
                self.profile_role(owner, profile.arn.as_deref().unwrap_or_default())
                    .await
            }
            None => None,
        };
        let ns = Namespace::regional("ec2", &owner.account, &owner.region).ok()?;
        let public_key = match &record.instance.key_name {
            Some(name) => self.public_key(&ns, name).await,
            None => None,
        };
        let facts = tree::Facts {
            record,
            account: &owner.account,
            region: &owner.region,
            role: role.as_ref().map(|(name, _)| name.as_str()),
            public_key: public_key.as_deref(),
            user_data: record
                .user_data
                .as_deref()
                .and_then(crate::instances::decode_user_data),
        };
        let leaves = tree::leaves(&facts);
        if let (Some(asked), Some((name, arn))) = (rest.strip_prefix(tree::CREDENTIALS), &role)
            && asked.trim_end_matches('/') == name
        {
            return self.credentials_document(owner, arn).await;
        }
        tree::lookup(&leaves, rest)
    }

    async fn profile_role(&self, owner: &Owner, arn: &str) -> Option<(String, String)> {
        let iam = self.imds.iam.get()?;
        credentials::profile_role(iam, &owner.account, &owner.region, arn).await
    }

    /// The role's credentials as IMDS gives them (a session kept until
    /// near its end).
    async fn credentials_document(&self, owner: &Owner, role_arn: &str) -> Option<Vec<u8>> {
        let now = self.now_millis();
        let session = match self.imds.sessions.fresh(&owner.id, now) {
            Some(session) => session,
            None => {
                let sts = self.imds.sts.get()?;
                let session =
                    credentials::assume(sts, &owner.account, &owner.region, role_arn, &owner.id, now).await?;
                self.imds.sessions.keep(&owner.id, session.clone());
                session
            }
        };
        let document = tree::imds_json(&[
            ("Code", "Success".into()),
            ("LastUpdated", tree::iso(session.issued).into()),
            ("Type", "AWS-HMAC".into()),
            ("AccessKeyId", session.access_key_id.into()),
            ("SecretAccessKey", session.secret_access_key.into()),
            ("Token", session.token.into()),
            ("Expiration", tree::iso(session.expires).into()),
        ]);
        Some(document.into_bytes())
    }
}
