//! Queues: create, find, list, delete, purge, attributes, tags, permissions.

use std::sync::Arc;

use base64::Engine as _;
use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::StoreError;
use serde_json::{Value as Json, json};

use crate::Sqs;
use crate::attributes::{self, COMPUTED};
use crate::engine::Engine;
use crate::errors::{self, invalid_attribute_name, invalid_value, queue_name_exists};
use crate::names::{QueueAddress, parse_queue_arn, parse_queue_url, validate_queue_name};
use crate::queue::{Queue, Write, namespace};
use crate::records::{self, QueueRecord};
use nimbus_sqs_api::*;

/// ListQueues answers at most this many URLs.
const LIST_LIMIT: usize = 1000;

impl Sqs {
    pub(crate) async fn create_queue(
        &self,
        ctx: &RequestContext,
        input: CreateQueueRequest,
    ) -> Result<CreateQueueResult, AwsError> {
        let given = input.attributes.unwrap_or_default();
        // Only the FifoQueue attribute makes a FIFO queue; a `.fifo` name
        // without it is an invalid standard queue name.
        let fifo = given
            .get("FifoQueue")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        validate_queue_name(&input.queue_name, fifo)?;
        let address = QueueAddress {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name: input.queue_name.clone(),
        };
        let checked = self.check_attributes(&given, fifo, true, &address.arn()).await?;
        if let Some(existing) = self.queues.find(&address).await? {
            same_attributes(&existing, &checked)?;
            return Ok(CreateQueueResult {
                queue_url: Some(address.url(ctx)),
            });
        }
        let now_s = self.now_ms() / 1000;
        let mut attributes = attributes::defaults(fifo);
        for (name, value) in checked {
            match value {
                Some(value) => attributes.insert(name, value),
                None => attributes.shift_remove(&name),
            };
        }
        let record = QueueRecord {
            name: input.queue_name.clone(),
            id: uuid::Uuid::new_v4().simple().to_string(),
            fifo,
            attributes,
            tags: input.tags.unwrap_or_default(),
            created_s: now_s,
            modified_s: now_s,
        };
        let ns = namespace(&address)?;
        let key = records::queue_key(&address.name);
        let to_store = record.clone();
        let stored = self
            .queues
            .store()
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                // A concurrent create of the same name may have won.
                if let Some(existing) = table.get_json::<QueueRecord>(&key)? {
                    return Ok::<_, StoreError>(existing);
                }
                table.put_json(&key, &to_store)?;
                Ok(to_store)
            })
            .await
            .map_err(errors::store)?;
        if stored.id != record.id {
            let existing = self.queues.require(&address).await?;
            let wanted: IndexMap<String, Option<String>> =
                record.attributes.into_iter().map(|(k, v)| (k, Some(v))).collect();
            same_attributes(&existing, &wanted)?;
        } else {
            let ns = namespace(&address)?;
            self.queues.insert(Arc::new(Queue::new(
                address.clone(),
                ns,
                record,
                Engine::new(fifo),
            )));
        }
        Ok(CreateQueueResult {
            queue_url: Some(address.url(ctx)),
        })
    }

    /// Validates client attributes; `None` values remove an optional one.
    async fn check_attributes(
        &self,
        given: &IndexMap<String, String>,
        fifo: bool,
        creating: bool,
        queue_arn: &str,
    ) -> Result<IndexMap<String, Option<String>>, AwsError> {
        let mut dead_letter_exists = false;
        if let Some(policy) = given.get("RedrivePolicy")
            && let Some((arn, _)) = attributes::parse_redrive_policy(policy)
            && let Some(target) = parse_queue_arn(&arn)
            && let Some(target) = self.queues.find(&target).await?
        {
            dead_letter_exists = true;
            if !attributes::allows_source(target.attribute("RedriveAllowPolicy").as_deref(), queue_arn) {
                return Err(invalid_value(
                    "RedrivePolicy",
                    policy,
                    &format!("Queue {arn} does not allow this queue to use it as a dead-letter queue."),
                ));
            }
        }
        let exists = move |_: &str| dead_letter_exists;
        given
            .iter()
            .map(|(name, value)| {
                attributes::validate(name, value, fifo, creating, &exists).map(|v| (name.clone(), v))
            })
            .collect()
    }

    pub(crate) async fn get_queue_url(
        &self,
        ctx: &RequestContext,
        input: GetQueueUrlRequest,
    ) -> Result<GetQueueUrlResult, AwsError> {
        let address = QueueAddress {
            account: input
                .queue_owner_aws_account_id
                .unwrap_or_else(|| ctx.account_id.clone()),
            region: ctx.region.clone(),
            name: input.queue_name,
        };
        self.queues.require(&address).await?;
        Ok(GetQueueUrlResult {
            queue_url: Some(address.url(ctx)),
        })
    }

    pub(crate) async fn list_queues(
        &self,
        ctx: &RequestContext,
        input: ListQueuesRequest,
    ) -> Result<ListQueuesResult, AwsError> {
        let limit = match input.max_results {
            None => LIST_LIMIT,
            Some(n) if (1..=1000).contains(&n) => usize::try_from(n).unwrap_or(LIST_LIMIT),
            Some(n) => {
                return Err(invalid_value(
                    "MaxResults",
                    n,
                    "MaxResults must be an integer between 1 and 1000.",
                ));
            }
        };
        let after = match input.next_token.as_deref() {
            None | Some("") => None,
            Some(token) => Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(token)
                    .map_err(|_| errors::invalid_parameter("Invalid NextToken value."))?,
            ),
        };
        let ns = namespace(&QueueAddress {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name: String::new(),
        })?;
        let prefix = format!(
            "{}{}",
            records::QUEUE_PREFIX,
            input.queue_name_prefix.unwrap_or_default()
        );
        let (names, more) = self
            .queues
            .store()
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut names = Vec::new();
                for entry in table.scan_after(prefix.as_bytes(), after.as_deref())? {
                    let entry = entry?;
                    if names.len() == limit {
                        return Ok::<_, StoreError>((names, true));
                    }
                    let name = entry.key_str().unwrap_or_default();
                    names.push(name.trim_start_matches(records::QUEUE_PREFIX).to_owned());
                }
                Ok((names, false))
            })
            .await
            .map_err(errors::store)?;
        let next_token = (more && input.max_results.is_some())
            .then(|| names.last())
            .flatten()
            .map(|last| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(records::queue_key(last)));
        let urls: Vec<String> = names
            .into_iter()
            .map(|name| {
                QueueAddress {
                    account: ctx.account_id.clone(),
                    region: ctx.region.clone(),
                    name,
                }
                .url(ctx)
            })
            .collect();
        Ok(ListQueuesResult {
            queue_urls: (!urls.is_empty()).then_some(urls),
            next_token,
        })
    }

    pub(crate) async fn delete_queue(
        &self,
        ctx: &RequestContext,
        input: DeleteQueueRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let id = queue.id();
        let ns = queue.namespace.clone();
        let key = records::queue_key(&queue.address.name);
        self.queues.forget(&queue.address);
        self.queues
            .store()
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                table.delete(&key)?;
                table.delete_prefix(&records::message_prefix(&id))?;
                table.delete_prefix(&records::state_prefix(&id))?;
                table.delete_prefix(&records::dedup_prefix(&id))?;
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(errors::store)?;
        queue.engine().purge();
        queue.arrivals.notify_waiters();
        Ok(())
    }

    pub(crate) async fn purge_queue(
        &self,
        ctx: &RequestContext,
        input: PurgeQueueRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let id = queue.id();
        let ns = queue.namespace.clone();
        queue.engine().purge();
        self.queues
            .store()
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                table.delete_prefix(&records::message_prefix(&id))?;
                table.delete_prefix(&records::state_prefix(&id))?;
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(errors::store)
    }

    pub(crate) async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: GetQueueAttributesRequest,
    ) -> Result<GetQueueAttributesResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let fifo = queue.fifo();
        let names = input.attribute_names.unwrap_or_default();
        if let Some(unknown) = names.iter().find(|n| !attributes::is_known(n, fifo)) {
            return Err(invalid_attribute_name(unknown));
        }
        let all = names.iter().any(|n| n == "All");
        let wanted = |name: &str| all || names.iter().any(|n| n == name);
        let counts = self.maintain(&queue).await?;
        let config = queue.config().clone();
        let mut out = IndexMap::new();
        let computed = [
            ("QueueArn", queue.address.arn()),
            ("ApproximateNumberOfMessages", counts.visible.to_string()),
            (
                "ApproximateNumberOfMessagesNotVisible",
                counts.in_flight.to_string(),
            ),
            ("ApproximateNumberOfMessagesDelayed", counts.delayed.to_string()),
            ("CreatedTimestamp", config.created_s.to_string()),
            ("LastModifiedTimestamp", config.modified_s.to_string()),
        ];
        for (name, value) in computed {
            if wanted(name) {
                out.insert(name.to_owned(), value);
            }
        }
        for (name, value) in &config.attributes {
            if wanted(name) {
                out.insert(name.clone(), value.clone());
            }
        }
        debug_assert!(COMPUTED.len() == 6);
        Ok(GetQueueAttributesResult {
            attributes: (!out.is_empty()).then_some(out),
        })
    }

    pub(crate) async fn set_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: SetQueueAttributesRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let checked = self
            .check_attributes(&input.attributes, queue.fifo(), false, &queue.address.arn())
            .await?;
        let record = {
            let mut config = queue.config_mut();
            for (name, value) in checked {
                match value {
                    Some(value) => config.attributes.insert(name, value),
                    None => config.attributes.shift_remove(&name),
                };
            }
            config.modified_s = self.now_ms() / 1000;
            config.clone()
        };
        self.save_queue(&queue, record).await?;
        // A shorter delay or visibility may make messages receivable sooner.
        queue.arrivals.notify_waiters();
        Ok(())
    }

    pub(crate) async fn tag_queue(
        &self,
        ctx: &RequestContext,
        input: TagQueueRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let record = {
            let mut config = queue.config_mut();
            config.tags.extend(input.tags);
            if config.tags.len() > 50 {
                return Err(errors::invalid_parameter(
                    "Too many tags added for queue. The maximum is 50.",
                ));
            }
            config.clone()
        };
        self.save_queue(&queue, record).await
    }

    pub(crate) async fn untag_queue(
        &self,
        ctx: &RequestContext,
        input: UntagQueueRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let record = {
            let mut config = queue.config_mut();
            for key in &input.tag_keys {
                config.tags.shift_remove(key);
            }
            config.clone()
        };
        self.save_queue(&queue, record).await
    }

    pub(crate) async fn list_queue_tags(
        &self,
        ctx: &RequestContext,
        input: ListQueueTagsRequest,
    ) -> Result<ListQueueTagsResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let tags = queue.config().tags.clone();
        Ok(ListQueueTagsResult {
            tags: (!tags.is_empty()).then_some(tags),
        })
    }

    pub(crate) async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: AddPermissionRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let arn = queue.address.arn();
        let mut policy = current_policy(&queue, &arn);
        let statements = policy["Statement"].as_array_mut();
        let Some(statements) = statements else {
            return Err(AwsError::internal("stored policy has no statement list"));
        };
        if statements.iter().any(|s| s["Sid"] == input.label.as_str()) {
            return Err(invalid_value("Label", &input.label, "Already exists."));
        }
        let principals: Vec<String> = input
            .aws_account_ids
            .iter()
            .map(|account| format!("arn:aws:iam::{account}:root"))
            .collect();
        let actions: Vec<String> = input.actions.iter().map(|a| format!("SQS:{a}")).collect();
        statements.push(json!({
            "Sid": input.label,
            "Effect": "Allow",
            "Principal": {"AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) }},
            "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
            "Resource": arn,
        }));
        self.store_policy(&queue, Some(policy.to_string())).await
    }

    pub(crate) async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: RemovePermissionRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let arn = queue.address.arn();
        let mut policy = current_policy(&queue, &arn);
        let Some(statements) = policy["Statement"].as_array_mut() else {
            return Err(invalid_value("Label", &input.label, "can't find label."));
        };
        let before = statements.len();
        statements.retain(|s| s["Sid"] != input.label.as_str());
        if statements.len() == before {
            return Err(invalid_value("Label", &input.label, "can't find label."));
        }
        let keep = (!statements.is_empty()).then(|| policy.to_string());
        self.store_policy(&queue, keep).await
    }

    async fn store_policy(&self, queue: &Queue, policy: Option<String>) -> Result<(), AwsError> {
        let record = {
            let mut config = queue.config_mut();
            match policy {
                Some(policy) => config.attributes.insert("Policy".to_owned(), policy),
                None => config.attributes.shift_remove("Policy"),
            };
            config.clone()
        };
        self.save_queue(queue, record).await
    }

    /// Writes a queue's record (attributes, tags).
    pub(crate) async fn save_queue(&self, queue: &Queue, record: QueueRecord) -> Result<(), AwsError> {
        let ns = queue.namespace.clone();
        let key = records::queue_key(&queue.address.name);
        self.queues
            .store()
            .write(move |txn| txn.open(&ns)?.put_json(&key, &record))
            .await
            .map_err(errors::store)
    }

    /// The queue a QueueUrl names.
    pub(crate) async fn queue(&self, ctx: &RequestContext, url: &str) -> Result<Arc<Queue>, AwsError> {
        let address = parse_queue_url(ctx, url)?;
        self.queues.require(&address).await
    }

    /// Brings a queue's engine up to now, deleting expired messages from the
    /// store, and returns its counts.
    pub(crate) async fn maintain(&self, queue: &Queue) -> Result<crate::engine::Counts, AwsError> {
        let now = self.now_ms();
        let retention = queue.retention_ms();
        let (expired, counts) = {
            let mut engine = queue.engine();
            let expired = engine.maintain(now, retention);
            (expired, engine.counts())
        };
        let id = queue.id();
        let deletes = expired
            .into_iter()
            .map(|seq| Write::Delete {
                queue_id: id.clone(),
                seq,
            })
            .collect();
        self.queues.apply(&queue.namespace, deletes).await?;
        Ok(counts)
    }
}

/// CreateQueue on an existing name succeeds only if every attribute given
/// has the value the queue has.
fn same_attributes(queue: &Queue, given: &IndexMap<String, Option<String>>) -> Result<(), AwsError> {
    let config = queue.config();
    for (name, value) in given {
        if config.attributes.get(name) != value.as_ref() {
            return Err(queue_name_exists(name));
        }
    }
    Ok(())
}

/// The queue's policy document, or an empty one to add statements to.
fn current_policy(queue: &Queue, arn: &str) -> Json {
    queue
        .attribute("Policy")
        .and_then(|p| serde_json::from_str::<Json>(&p).ok())
        .filter(|p| p["Statement"].is_array())
        .unwrap_or_else(|| {
            json!({
                "Version": "2012-10-17",
                "Id": format!("{arn}/SQSDefaultPolicy"),
                "Statement": [],
            })
        })
}
