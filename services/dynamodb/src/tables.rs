//! Table operations: create, describe, list, update, delete, tags, TTL
//! settings, limits and endpoints.

use nimbus_core::{AwsError, RequestContext, Timestamp};

use crate::DynamoDb;
use crate::error::{resource_in_use, table_not_found, validation};
use crate::schema::{IndexMeta, KeyAttr, TableMeta};
use crate::storage::{
    self, Counts, counter_key, index_entry_key, items_prefix, load_table, load_table_mut, table_key,
};
use crate::table_description::describe;
use nimbus_dynamodb_api::*;

const PROVISIONED: &str = "PROVISIONED";
pub(crate) const PAY_PER_REQUEST: &str = "PAY_PER_REQUEST";

fn check_table_name(name: &str) -> Result<(), AwsError> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if name.len() < 3 || name.len() > 255 {
        let bound = if name.len() < 3 {
            "greater than or equal to 3"
        } else {
            "less than or equal to 255"
        };
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: Member must have length {bound}"
        )));
    }
    if !valid_chars {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

/// Reads a KeySchema: HASH first, then an optional RANGE, types from the definitions.
fn key_schema(
    elements: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
) -> Result<(KeyAttr, Option<KeyAttr>), AwsError> {
    if elements.is_empty() || elements.len() > 2 {
        return Err(validation(format!(
            "1 validation error detected: Value '[{}]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
            elements.len()
        )));
    }
    if elements[0].key_type != "HASH" {
        return Err(validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if elements.len() == 2 && elements[1].key_type != "RANGE" {
        return Err(validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    if elements.len() == 2 && elements[0].attribute_name == elements[1].attribute_name {
        return Err(validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    let typed = |element: &KeySchemaElement| {
        definitions
            .iter()
            .find(|d| d.attribute_name == element.attribute_name)
            .map(|d| KeyAttr {
                name: element.attribute_name.clone(),
                attribute_type: d.attribute_type.clone(),
            })
    };
    let missing = || {
        let keys: Vec<&str> = elements.iter().map(|e| e.attribute_name.as_str()).collect();
        let defined: Vec<&str> = definitions.iter().map(|d| d.attribute_name.as_str()).collect();
        validation(format!(
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            keys.join(", "),
            defined.join(", ")
        ))
    };
    let hash = typed(&elements[0]).ok_or_else(missing)?;
    let range = match elements.get(1) {
        Some(element) => Some(typed(element).ok_or_else(missing)?),
        None => None,
    };
    Ok((hash, range))
}

fn projection_of(projection: &Projection) -> (String, Vec<String>) {
    (
        projection
            .projection_type
            .clone()
            .unwrap_or_else(|| "ALL".to_owned()),
        projection.non_key_attributes.clone().unwrap_or_default(),
    )
}

fn throughput(
    billing_mode: &str,
    given: Option<&ProvisionedThroughput>,
    what: &str,
) -> Result<(i64, i64), AwsError> {
    match (billing_mode, given) {
        (PROVISIONED, Some(t)) => {
            if t.read_capacity_units < 1 || t.write_capacity_units < 1 {
                return Err(validation(format!(
                    "One or more parameter values were invalid: {what}ReadCapacityUnits and WriteCapacityUnits must both be greater than 0"
                )));
            }
            Ok((t.read_capacity_units, t.write_capacity_units))
        }
        (PROVISIONED, None) => Err(validation(format!(
            "One or more parameter values were invalid: {what}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        ))),
        (_, Some(_)) => Err(validation(format!(
            "One or more parameter values were invalid: {what}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
        ))),
        (_, None) => Ok((0, 0)),
    }
}

fn stream_label(millis: i64) -> String {
    let ts = Timestamp::from_epoch_millis(millis);
    // ISO 8601 without zone, millisecond precision, as DynamoDB's labels are.
    let secs = ts.seconds;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ts.nanos / 1_000_000
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn index_from(
    name: &str,
    global: bool,
    schema: &[KeySchemaElement],
    projection: &Projection,
    definitions: &[AttributeDefinition],
    capacity: (i64, i64),
) -> Result<IndexMeta, AwsError> {
    let (hash_key, range_key) = key_schema(schema, definitions)?;
    let (projection_type, non_key_attributes) = projection_of(projection);
    if projection_type != "INCLUDE" && !non_key_attributes.is_empty() {
        return Err(validation(
            "One or more parameter values were invalid: ProjectionType is not INCLUDE, but NonKeyAttributes is specified",
        ));
    }
    Ok(IndexMeta {
        name: name.to_owned(),
        global,
        hash_key,
        range_key,
        projection_type,
        non_key_attributes,
        read_capacity: capacity.0,
        write_capacity: capacity.1,
    })
}

impl DynamoDb {
    pub async fn create_table(
        &self,
        ctx: &RequestContext,
        input: CreateTableInput,
    ) -> Result<CreateTableOutput, AwsError> {
        check_table_name(&input.table_name)?;
        let definitions = input.attribute_definitions.clone().unwrap_or_default();
        let schema = input.key_schema.clone().unwrap_or_default();
        let (hash_key, range_key) = key_schema(&schema, &definitions)?;
        let billing_mode = input
            .billing_mode
            .clone()
            .unwrap_or_else(|| PROVISIONED.to_owned());
        let (read_capacity, write_capacity) =
            throughput(&billing_mode, input.provisioned_throughput.as_ref(), "")?;
        let mut indexes = Vec::new();
        for lsi in input.local_secondary_indexes.iter().flatten() {
            let index = index_from(
                &lsi.index_name,
                false,
                &lsi.key_schema,
                &lsi.projection,
                &definitions,
                (0, 0),
            )?;
            if index.hash_key != hash_key {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                    lsi.index_name, index.hash_key.name, hash_key.name
                )));
            }
            if range_key.is_none() {
                return Err(validation(
                    "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
                ));
            }
            indexes.push(index);
        }
        for gsi in input.global_secondary_indexes.iter().flatten() {
            let capacity = throughput(
                &billing_mode,
                gsi.provisioned_throughput.as_ref(),
                &format!("ProvisionedThroughput for the index {} ", gsi.index_name),
            )
            .map_err(|_| {
                if billing_mode == PROVISIONED {
                    validation(format!(
                        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {}",
                        gsi.index_name
                    ))
                } else {
                    validation(
                        "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: ".to_owned()
                            + &gsi.index_name
                            + " when BillingMode is PAY_PER_REQUEST",
                    )
                }
            })?;
            indexes.push(index_from(
                &gsi.index_name,
                true,
                &gsi.key_schema,
                &gsi.projection,
                &definitions,
                capacity,
            )?);
        }
        for (i, index) in indexes.iter().enumerate() {
            if indexes[..i].iter().any(|other| other.name == index.name) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {}",
                    index.name
                )));
            }
        }
        // Every definition must be used by a key of the table or an index.
        let used = |name: &str| {
            hash_key.name == name
                || range_key.as_ref().is_some_and(|k| k.name == name)
                || indexes.iter().any(|i| i.keys().iter().any(|k| k.name == name))
        };
        if definitions.iter().any(|d| !used(&d.attribute_name)) {
            return Err(validation(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        let now = self.clock.now_epoch_millis() as i64;
        let stream_enabled = input
            .stream_specification
            .as_ref()
            .is_some_and(|s| s.stream_enabled);
        let meta = TableMeta {
            name: input.table_name.clone(),
            arn: format!(
                "arn:aws:dynamodb:{}:{}:table/{}",
                ctx.region, ctx.account_id, input.table_name
            ),
            id: uuid::Uuid::new_v4().to_string(),
            created_millis: now,
            hash_key,
            range_key,
            attributes: definitions
                .iter()
                .map(|d| KeyAttr {
                    name: d.attribute_name.clone(),
                    attribute_type: d.attribute_type.clone(),
                })
                .collect(),
            pay_per_request_since_millis: (billing_mode == PAY_PER_REQUEST).then_some(now),
            billing_mode,
            read_capacity,
            write_capacity,
            indexes,
            stream_enabled,
            stream_view_type: input
                .stream_specification
                .as_ref()
                .and_then(|s| s.stream_view_type.clone()),
            stream_label: stream_enabled.then(|| stream_label(now)),
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            table_class: input.table_class.clone().unwrap_or_else(|| "STANDARD".to_owned()),
            tags: input
                .tags
                .iter()
                .flatten()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
            ttl_attribute: None,
        };
        let ns = storage::namespace(ctx)?;
        let empty = Counts {
            table: (0, 0),
            indexes: Vec::new(),
        };
        let description = describe(&meta, "CREATING", &empty);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&table_key(&meta.name))?.is_some() {
                    return Err(resource_in_use(format!("Table already exists: {}", meta.name)));
                }
                table.put_json(&table_key(&meta.name), &meta)?;
                Ok(())
            })
            .await?;
        // The table is usable at once; CREATING is what the first answer says.
        Ok(CreateTableOutput {
            table_description: Some(description),
        })
    }

    pub async fn describe_table(
        &self,
        ctx: &RequestContext,
        input: DescribeTableInput,
    ) -> Result<DescribeTableOutput, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = input.table_name;
        let description = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let meta = load_table(&table, &name)?.ok_or_else(|| table_not_found(&name))?;
                let counts = storage::read_counts(|k| table.get(k), &meta)?;
                Ok::<_, AwsError>(describe(&meta, "ACTIVE", &counts))
            })
            .await?;
        Ok(DescribeTableOutput {
            table: Some(description),
        })
    }

    pub async fn list_tables(
        &self,
        ctx: &RequestContext,
        input: ListTablesInput,
    ) -> Result<ListTablesOutput, AwsError> {
        let limit = match input.limit {
            Some(limit) if !(1..=100).contains(&limit) => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {}",
                    if limit < 1 {
                        "greater than or equal to 1"
                    } else {
                        "less than or equal to 100"
                    }
                )));
            }
            Some(limit) => limit as usize,
            None => 100,
        };
        let ns = storage::namespace(ctx)?;
        let after = input.exclusive_start_table_name.map(|name| table_key(&name));
        let (names, more) = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut names = Vec::new();
                let mut more = false;
                for entry in table.scan_after(b"t/", after.as_deref())? {
                    let entry = entry?;
                    if names.len() == limit {
                        more = true;
                        break;
                    }
                    if let Some(name) = entry.key_str().and_then(|k| k.strip_prefix("t/")) {
                        names.push(name.to_owned());
                    }
                }
                Ok::<_, AwsError>((names, more))
            })
            .await?;
        Ok(ListTablesOutput {
            last_evaluated_table_name: if more { names.last().cloned() } else { None },
            table_names: Some(names),
        })
    }

    pub async fn delete_table(
        &self,
        ctx: &RequestContext,
        input: DeleteTableInput,
    ) -> Result<DeleteTableOutput, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = input.table_name;
        let description = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let meta = load_table_mut(&table, &name)?.ok_or_else(|| table_not_found(&name))?;
                if meta.deletion_protection {
                    return Err(validation(format!(
                        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Table: {name}"
                    )));
                }
                let counts = storage::read_counts(|k| table.get(k), &meta)?;
                table.delete(&table_key(&name))?;
                table.delete(&counter_key(&name))?;
                table.delete_prefix(&storage::index_counters_prefix(&name))?;
                table.delete_prefix(&items_prefix(&name))?;
                table.delete_prefix(format!("x/{name}\0").as_bytes())?;
                table.delete_prefix(&crate::ttl::expiry_prefix(&name))?;
                crate::streams::drop_records(&mut table, &name)?;
                Ok(describe(&meta, "DELETING", &counts))
            })
            .await?;
        let deleted_name = description.table_name.clone().unwrap_or_default();
        crate::ttl::register(&self.store, &ctx.account_id, &ctx.region, &deleted_name, false).await?;
        Ok(DeleteTableOutput {
            table_description: Some(description),
        })
    }

    pub async fn update_table(
        &self,
        ctx: &RequestContext,
        input: UpdateTableInput,
    ) -> Result<UpdateTableOutput, AwsError> {
        let ns = storage::namespace(ctx)?;
        let now = self.clock.now_epoch_millis() as i64;
        let description = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut meta = load_table_mut(&table, &input.table_name)?.ok_or_else(|| table_not_found(&input.table_name))?;
                let mut changed = false;
                if let Some(mode) = &input.billing_mode
                    && *mode != meta.billing_mode
                {
                    changed = true;
                    meta.billing_mode = mode.clone();
                    if mode == PAY_PER_REQUEST {
                        meta.pay_per_request_since_millis = Some(now);
                        meta.read_capacity = 0;
                        meta.write_capacity = 0;
                        for index in &mut meta.indexes {
                            index.read_capacity = 0;
                            index.write_capacity = 0;
                        }
                    } else if input.provisioned_throughput.is_none() {
                        return Err(validation(
                            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                        ));
                    }
                }
                if let Some(t) = &input.provisioned_throughput {
                    let (read, write) = throughput(&meta.billing_mode, Some(t), "")?;
                    if read == meta.read_capacity && write == meta.write_capacity && !changed {
                        return Err(validation(
                            "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ".to_owned()
                                + &read.to_string()
                                + ". Requested ReadCapacityUnits: "
                                + &read.to_string()
                                + ". Current WriteCapacityUnits provisioned for the table: "
                                + &write.to_string()
                                + ". Requested WriteCapacityUnits: "
                                + &write.to_string()
                                + ". Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                        ));
                    }
                    meta.read_capacity = read;
                    meta.write_capacity = write;
                    changed = true;
                }
                if let Some(stream) = &input.stream_specification {
                    if stream.stream_enabled && meta.stream_enabled {
                        return Err(validation(format!("Table already has an enabled stream: {}", meta.arn)));
                    }
                    if !stream.stream_enabled && !meta.stream_enabled {
                        return Err(validation(format!("Table already has stream disabled: {}", meta.arn)));
                    }
                    crate::streams::drop_records(&mut table, &meta.name)?;
                    meta.stream_enabled = stream.stream_enabled;
                    meta.stream_view_type = stream.stream_view_type.clone().filter(|_| stream.stream_enabled);
                    meta.stream_label = stream.stream_enabled.then(|| stream_label(now));
                    changed = true;
                }
                if let Some(protect) = input.deletion_protection_enabled {
                    meta.deletion_protection = protect;
                    changed = true;
                }
                if let Some(class) = &input.table_class {
                    meta.table_class = class.clone();
                    changed = true;
                }
                let definitions = input.attribute_definitions.clone().unwrap_or_default();
                for update in input.global_secondary_index_updates.iter().flatten() {
                    changed = true;
                    if let Some(create) = &update.create {
                        if meta.index(&create.index_name).is_some() {
                            return Err(validation(format!(
                                "One or more parameter values were invalid: Index with name: {} already exists",
                                create.index_name
                            )));
                        }
                        let mut all_definitions = definitions.clone();
                        all_definitions.extend(meta.attributes.iter().map(|a| AttributeDefinition {
                            attribute_name: a.name.clone(),
                            attribute_type: a.attribute_type.clone(),
                        }));
                        let capacity = match &meta.billing_mode[..] {
                            PROVISIONED => throughput(PROVISIONED, create.provisioned_throughput.as_ref(), "")?,
                            _ => (0, 0),
                        };
                        let index = index_from(&create.index_name, true, &create.key_schema, &create.projection, &all_definitions, capacity)?;
                        for attr in index.keys() {
                            if !meta.attributes.iter().any(|a| a.name == attr.name) {
                                meta.attributes.push(attr.clone());
                            }
                        }
                        // Backfill: one pass over the table's items.
                        let entries: Vec<_> = table.scan(&items_prefix(&meta.name))?.collect::<Result<_, _>>()?;
                        let (mut count, mut bytes) = (0, 0);
                        for entry in entries {
                            let item = storage::decode_item(&entry.value)?;
                            if let Some(key) = index_entry_key(&meta, &index, &item) {
                                table.put(&key, &entry.value)?;
                                count += 1;
                                let projected = crate::query::index_projection(&meta, &index, &item);
                                bytes += crate::attribute::item_size(&projected) as i64;
                            }
                        }
                        let counter = storage::index_counter_key(&meta.name, &index.name);
                        storage::bump_counter(&mut table, &counter, count, bytes)?;
                        meta.indexes.push(index);
                    }
                    if let Some(delete) = &update.delete {
                        let Some(position) = meta.indexes.iter().position(|i| i.global && i.name == delete.index_name) else {
                            return Err(nimbus_dynamodb_api::errors::resource_not_found(format!("Requested resource not found: Index: {} not found", delete.index_name)));
                        };
                        let index = meta.indexes.remove(position);
                        table.delete_prefix(&storage::index_prefix(&meta.name, &index.name))?;
                        table.delete(&storage::index_counter_key(&meta.name, &index.name))?;
                    }
                    if let Some(change) = &update.update {
                        let billing = meta.billing_mode.clone();
                        let index = meta
                            .indexes
                            .iter_mut()
                            .find(|i| i.global && i.name == change.index_name)
                            .ok_or_else(|| {
                                nimbus_dynamodb_api::errors::resource_not_found(format!("Requested resource not found: Index: {} not found", change.index_name))
                            })?;
                        let (read, write) = throughput(&billing, change.provisioned_throughput.as_ref(), "")?;
                        index.read_capacity = read;
                        index.write_capacity = write;
                    }
                }
                if !changed {
                    return Err(validation(
                        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
                    ));
                }
                table.put_json(&table_key(&meta.name), &meta)?;
                let counts = storage::read_counts(|k| table.get(k), &meta)?;
                Ok(describe(&meta, "UPDATING", &counts))
            })
            .await?;
        Ok(UpdateTableOutput {
            table_description: Some(description),
        })
    }
}
