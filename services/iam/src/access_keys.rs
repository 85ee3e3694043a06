//! Access keys of users: created with a secret that signs requests (the
//! gateway finds the user behind a key through the credential registry),
//! listed, made Inactive or Active, deleted.

use nimbus_core::identity::Identity;
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    AccessKey, AccessKeyLastUsed, AccessKeyMetadata, CreateAccessKeyRequest, CreateAccessKeyResponse,
    DeleteAccessKeyRequest, GetAccessKeyLastUsedRequest, GetAccessKeyLastUsedResponse, ListAccessKeysRequest,
    ListAccessKeysResponse, UpdateAccessKeyRequest,
};

use crate::Iam;
use crate::common::{arn, timestamp};
use crate::entities::{require, save};
use crate::errors::{access_key_not_found, invalid_input, limit_exceeded, user_not_found};
use crate::ids::{IdKind, new_id, new_secret};
use crate::records::{AccessKeyRecord, Kind, UserRecord, access_key_key, keys_namespace};

/// IAM lets a user have two access keys, active or not.
const MAX_KEYS: usize = 2;

fn metadata(key: &AccessKeyRecord) -> AccessKeyMetadata {
    AccessKeyMetadata {
        user_name: Some(key.user.clone()),
        access_key_id: Some(key.id.clone()),
        status: Some(key.status.clone()),
        create_date: Some(timestamp(key.created)),
    }
}

impl Iam {
    /// The user a request names, or the calling user when it names none.
    pub(crate) async fn user_or_caller(
        &self,
        ctx: &RequestContext,
        name: Option<String>,
    ) -> Result<String, AwsError> {
        match name {
            Some(name) => Ok(name),
            None => self
                .caller_user_name(ctx)
                .await?
                .ok_or_else(|| invalid_input("Must specify userName when calling with non-User credentials")),
        }
    }

    /// The IAM user behind the request's access key, if it is one.
    pub(crate) async fn caller_user_name(&self, ctx: &RequestContext) -> Result<Option<String>, AwsError> {
        let identity = ctx
            .access_key_id
            .as_deref()
            .and_then(|key| self.registry.lookup(key));
        Ok(identity.and_then(|identity| {
            let (_, resource) = identity.arn.split_once(":user/")?;
            Some(resource.rsplit('/').next().unwrap_or(resource).to_owned())
        }))
    }

    pub(crate) async fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse, AwsError> {
        let account = ctx.account_id.clone();
        let user_name = self.user_or_caller(ctx, input.user_name).await?;
        let key = AccessKeyRecord {
            id: new_id(IdKind::AccessKey),
            secret: new_secret(),
            account: account.clone(),
            user: String::new(),
            status: "Active".to_owned(),
            created: self.now(),
            last_used: None,
        };
        let id = key.id.clone();
        let user: UserRecord = self
            .write(&account, move |table| {
                let mut user: UserRecord = require(table, Kind::User, &user_name, user_not_found)?;
                if user.access_keys.len() >= MAX_KEYS {
                    return Err(limit_exceeded(format!(
                        "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}"
                    )));
                }
                user.access_keys.push(id);
                save(table, Kind::User, &user.name.clone(), &user)?;
                Ok(user)
            })
            .await?;
        let key = AccessKeyRecord {
            user: user.name.clone(),
            ..key
        };
        self.save_key(&key).await?;
        self.register_key(&key, &user);
        Ok(CreateAccessKeyResponse {
            access_key: AccessKey {
                user_name: key.user,
                access_key_id: key.id,
                status: key.status,
                secret_access_key: key.secret,
                create_date: Some(timestamp(key.created)),
            },
        })
    }

    async fn save_key(&self, key: &AccessKeyRecord) -> Result<(), AwsError> {
        let ns = keys_namespace()?;
        let key = key.clone();
        self.store
            .write(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.put_json(&access_key_key(&key.id), &key)?))
            .await
    }

    pub(crate) async fn load_key(&self, id: &str) -> Result<Option<AccessKeyRecord>, AwsError> {
        let ns = keys_namespace()?;
        let key = access_key_key(id);
        self.store
            .read(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.get_json(&key)?))
            .await
    }

    /// Lets requests signed with an active key act as its user.
    pub(crate) fn register_key(&self, key: &AccessKeyRecord, user: &UserRecord) {
        if key.status != "Active" {
            self.registry.remove(&key.id);
            return;
        }
        self.registry.insert(
            key.id.clone(),
            Identity {
                account_id: key.account.clone(),
                arn: arn(&key.account, "user", &user.path, &user.name),
                user_id: user.id.clone(),
                session: None,
            },
        );
        self.registry.insert_secret(key.id.clone(), key.secret.clone());
    }

    /// The user's key with this id, or NoSuchEntity.
    async fn users_key(
        &self,
        account: &str,
        user_name: &str,
        id: &str,
    ) -> Result<(UserRecord, AccessKeyRecord), AwsError> {
        let name = user_name.to_owned();
        let user: UserRecord = self
            .read(account, move |table| {
                require(table, Kind::User, &name, user_not_found)
            })
            .await?;
        match self.load_key(id).await? {
            Some(key) if key.account == account && user.access_keys.iter().any(|k| k == id) => {
                Ok((user, key))
            }
            _ => Err(access_key_not_found(id)),
        }
    }

    pub(crate) async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: ListAccessKeysRequest,
    ) -> Result<ListAccessKeysResponse, AwsError> {
        let user_name = self.user_or_caller(ctx, input.user_name).await?;
        let user: UserRecord = self
            .read(&ctx.account_id, move |table| {
                require(table, Kind::User, &user_name, user_not_found)
            })
            .await?;
        let mut listed = Vec::new();
        for id in &user.access_keys {
            if let Some(key) = self.load_key(id).await? {
                listed.push(metadata(&key));
            }
        }
        Ok(ListAccessKeysResponse {
            access_key_metadata: listed,
            is_truncated: Some(false),
            marker: None,
        })
    }

    pub(crate) async fn update_access_key(
        &self,
        ctx: &RequestContext,
        input: UpdateAccessKeyRequest,
    ) -> Result<(), AwsError> {
        let user_name = self.user_or_caller(ctx, input.user_name).await?;
        let (user, key) = self
            .users_key(&ctx.account_id, &user_name, &input.access_key_id)
            .await?;
        let key = AccessKeyRecord {
            status: input.status,
            ..key
        };
        self.save_key(&key).await?;
        self.register_key(&key, &user);
        Ok(())
    }

    pub(crate) async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        input: DeleteAccessKeyRequest,
    ) -> Result<(), AwsError> {
        let user_name = self.user_or_caller(ctx, input.user_name).await?;
        let id = input.access_key_id;
        let (user, _) = self.users_key(&ctx.account_id, &user_name, &id).await?;
        let key_id = id.clone();
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &user.name, user_not_found)?;
            user.access_keys.retain(|k| *k != key_id);
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await?;
        let ns = keys_namespace()?;
        let stored = access_key_key(&id);
        self.store
            .write(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.delete(&stored).map(drop)?))
            .await?;
        self.registry.remove(&id);
        Ok(())
    }

    pub(crate) async fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        input: GetAccessKeyLastUsedRequest,
    ) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
        let key = self
            .load_key(&input.access_key_id)
            .await?
            .filter(|key| key.account == ctx.account_id)
            .ok_or_else(|| access_key_not_found(&input.access_key_id))?;
        let (date, region, service) = match &key.last_used {
            Some((at, region, service)) => (Some(timestamp(*at)), region.clone(), service.clone()),
            None => (None, "N/A".to_owned(), "N/A".to_owned()),
        };
        Ok(GetAccessKeyLastUsedResponse {
            user_name: Some(key.user),
            access_key_last_used: Some(AccessKeyLastUsed {
                last_used_date: date,
                service_name: service,
                region,
            }),
        })
    }

    /// Puts every stored active key in the registry (at start, after a
    /// restore): keys created before a restart keep signing requests.
    pub(crate) fn register_stored_keys(&self) -> Result<(), AwsError> {
        let ns = keys_namespace()?;
        let txn = self.store.begin_read()?;
        let keys: Vec<AccessKeyRecord> = txn
            .open(&ns)?
            .scan(b"key/")?
            .filter_map(|entry| entry.ok()?.decode().ok())
            .collect();
        for key in keys {
            let user: Option<UserRecord> = txn
                .open(&crate::records::namespace(&key.account)?)?
                .get_json(&Kind::User.key(&key.user))?;
            if let Some(user) = user {
                self.register_key(&key, &user);
            }
        }
        Ok(())
    }
}

impl Iam {
    /// Keys follow their user's rename.
    pub(crate) async fn rename_key_owner(&self, user: &UserRecord) -> Result<(), AwsError> {
        for id in &user.access_keys {
            if let Some(key) = self.load_key(id).await? {
                let key = AccessKeyRecord {
                    user: user.name.clone(),
                    ..key
                };
                self.save_key(&key).await?;
                self.register_key(&key, user);
            }
        }
        Ok(())
    }
}
