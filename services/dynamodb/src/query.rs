//! Query and Scan, on tables and on secondary indexes. A Query is one range
//! scan within (table or index, partition key) in sort-key order; Limit and
//! the 1 MB page bound what is read, and filters apply after both.

use std::cmp::Ordering;

use nimbus_core::{AwsError, RequestContext, Value};

use crate::DynamoDb;
use crate::attribute::{AttributeValue, Item, item_from_value, item_into_value, item_size};
use crate::error::{resource_not_found, validation};
use crate::expr::ast::{Comparator, Condition, Operand, Path, PathElement};
use crate::expr::eval::{evaluate, project};
use crate::expr::{ExpressionKind, Substitutions};
use crate::request::*;
use crate::schema::{IndexMeta, KeyAttr, TableMeta};
use crate::storage::{self, decode_item, index_prefix, items_prefix, key_of, position_keys, table_meta};
use crate::wire::{stored_item_value, value_item_size, value_key_of};

/// A page stops once this many bytes of items were read.
const PAGE_BYTES: usize = 1024 * 1024;

/// The condition a Query puts on the sort key.
#[derive(Debug, Clone)]
enum SortCondition {
    Compare(Comparator, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl SortCondition {
    /// Where `value` lies: below the range, inside it, or above it.
    fn locate(&self, value: &AttributeValue) -> Ordering {
        let cmp = |bound: &AttributeValue| value.compare(bound).unwrap_or(Ordering::Less);
        match self {
            SortCondition::Compare(op, bound) => {
                let order = cmp(bound);
                match op {
                    Comparator::Equal => order,
                    Comparator::Less if order == Ordering::Less => Ordering::Equal,
                    Comparator::LessEqual if order != Ordering::Greater => Ordering::Equal,
                    Comparator::Less | Comparator::LessEqual => Ordering::Greater,
                    Comparator::Greater if order == Ordering::Greater => Ordering::Equal,
                    Comparator::GreaterEqual if order != Ordering::Less => Ordering::Equal,
                    _ => Ordering::Less,
                }
            }
            SortCondition::Between(low, high) => {
                if cmp(low) == Ordering::Less {
                    Ordering::Less
                } else if cmp(high) == Ordering::Greater {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            }
            SortCondition::BeginsWith(prefix) => {
                let starts = match (value, prefix) {
                    (AttributeValue::S(v), AttributeValue::S(p)) => v.starts_with(p.as_str()),
                    (AttributeValue::B(v), AttributeValue::B(p)) => v.starts_with(p),
                    _ => false,
                };
                if starts { Ordering::Equal } else { cmp(prefix) }
            }
        }
    }

    /// A store key above every key of the range and below every key past
    /// it, within the partition `prefix` (for a backward scan's start).
    /// Key encodings preserve order and none is a prefix of another, so a
    /// key is below `prefix + enc(v)` exactly when its sort key is below `v`.
    fn upper_marker(&self, prefix: &[u8]) -> Option<Vec<u8>> {
        let mut marker = prefix.to_vec();
        match self {
            SortCondition::Compare(Comparator::Less, bound) => {
                bound.encode_key(&mut marker);
                return Some(marker);
            }
            SortCondition::Compare(Comparator::LessEqual | Comparator::Equal, bound)
            | SortCondition::Between(_, bound) => bound.encode_key(&mut marker),
            SortCondition::BeginsWith(start) => {
                start.encode_key(&mut marker);
                // Without its terminator: every longer value follows.
                marker.truncate(marker.len().saturating_sub(2));
            }
            SortCondition::Compare(..) => return None,
        }
        // Past every key that starts with the marker.
        while let Some(last) = marker.pop() {
            if last < u8::MAX {
                marker.push(last + 1);
                return Some(marker);
            }
        }
        None
    }

    /// What a scan in this direction does with an item of this sort key.
    fn step(&self, value: &AttributeValue, forward: bool) -> SortStep {
        match self.locate(value) {
            Ordering::Equal => SortStep::Take,
            Ordering::Less if forward => SortStep::Skip,
            Ordering::Greater if !forward => SortStep::Skip,
            _ => SortStep::Stop,
        }
    }

    /// The value the range starts at (for the scan's starting point).
    fn lower_bound(&self) -> Option<&AttributeValue> {
        match self {
            SortCondition::Compare(Comparator::Equal | Comparator::Greater | Comparator::GreaterEqual, v)
            | SortCondition::Between(v, _)
            | SortCondition::BeginsWith(v) => Some(v),
            _ => None,
        }
    }
}

/// An item met by a scan: in the sort range, before it (not there yet), or past it.
enum SortStep {
    Take,
    Skip,
    Stop,
}

fn single_name(operand: &Operand) -> Option<&str> {
    match operand {
        Operand::Path(Path(elements)) if elements.len() == 1 => match &elements[0] {
            PathElement::Name(name) => Some(name),
            PathElement::Index(_) => None,
        },
        _ => None,
    }
}

/// Splits a KeyConditionExpression into the partition key value and the
/// optional sort key condition, with DynamoDB's messages.
fn key_condition(
    condition: Condition,
    hash: &KeyAttr,
    range: Option<&KeyAttr>,
) -> Result<(AttributeValue, Option<SortCondition>), AwsError> {
    let mut parts = Vec::new();
    let mut pending = vec![condition];
    while let Some(c) = pending.pop() {
        match c {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            Condition::Or(..) => return Err(invalid_operator("OR")),
            Condition::Not(..) => return Err(invalid_operator("NOT")),
            Condition::In(..) => return Err(invalid_operator("IN")),
            Condition::Exists(..) => return Err(invalid_operator("attribute_exists")),
            Condition::NotExists(..) => return Err(invalid_operator("attribute_not_exists")),
            Condition::AttributeType(..) => return Err(invalid_operator("attribute_type")),
            Condition::Contains(..) => return Err(invalid_operator("contains")),
            other => parts.push(other),
        }
        if parts.len() > 2 {
            return Err(validation("Conditions can be of length 1 or 2 only"));
        }
    }
    let unsupported = || validation("Query key condition not supported");
    let mut hash_value = None;
    let mut sort = None;
    for part in parts {
        let (name, sort_condition) = match part {
            Condition::Compare(left, op, right) => {
                let (name, value, op) = match (single_name(&left), &right, single_name(&right), &left) {
                    (Some(name), Operand::Value(v), _, _) => (name.to_owned(), v.clone(), op),
                    (_, _, Some(name), Operand::Value(v)) => (name.to_owned(), v.clone(), flip(op)),
                    _ => return Err(unsupported()),
                };
                if op == Comparator::NotEqual {
                    return Err(invalid_operator("<>"));
                }
                (name, SortCondition::Compare(op, value))
            }
            Condition::Between(value, Operand::Value(low), Operand::Value(high)) => {
                let name = single_name(&value).ok_or_else(unsupported)?.to_owned();
                if low.compare(&high) == Some(Ordering::Greater) {
                    return Err(validation(
                        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
                    ));
                }
                (name, SortCondition::Between(low, high))
            }
            Condition::BeginsWith(path, Operand::Value(prefix)) => {
                let name = single_name(&path).ok_or_else(unsupported)?.to_owned();
                (name, SortCondition::BeginsWith(prefix))
            }
            _ => return Err(unsupported()),
        };
        if name == hash.name {
            match sort_condition {
                SortCondition::Compare(Comparator::Equal, value) if hash_value.is_none() => {
                    hash_value = Some(value)
                }
                SortCondition::Compare(Comparator::Equal, _) => {
                    return Err(ExpressionKind::KeyCondition
                        .error("KeyConditionExpressions must only contain one condition per key"));
                }
                _ => return Err(unsupported()),
            }
        } else if range.is_some_and(|r| r.name == name) {
            if sort.is_some() {
                return Err(ExpressionKind::KeyCondition
                    .error("KeyConditionExpressions must only contain one condition per key"));
            }
            sort = Some(sort_condition);
        } else {
            return Err(validation(format!(
                "Query condition missed key schema element: {}",
                hash.name
            )));
        }
    }
    let hash_value = hash_value.ok_or_else(|| {
        validation(format!(
            "Query condition missed key schema element: {}",
            hash.name
        ))
    })?;
    let type_mismatch = || {
        validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        )
    };
    if hash_value.type_name() != hash.attribute_type {
        return Err(type_mismatch());
    }
    if let (Some(sort), Some(range)) = (&sort, range) {
        let values: Vec<&AttributeValue> = match sort {
            SortCondition::Compare(_, v) | SortCondition::BeginsWith(v) => vec![v],
            SortCondition::Between(a, b) => vec![a, b],
        };
        if values.iter().any(|v| v.type_name() != range.attribute_type) {
            return Err(type_mismatch());
        }
        if matches!(sort, SortCondition::BeginsWith(_)) && range.attribute_type == "N" {
            return Err(validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
            ));
        }
    }
    Ok((hash_value, sort))
}

/// DynamoDB's words for an operator a key condition cannot use.
fn invalid_operator(operator: &str) -> AwsError {
    validation(format!(
        "Invalid operator used in KeyConditionExpression: {operator}"
    ))
}

fn flip(op: Comparator) -> Comparator {
    match op {
        Comparator::Less => Comparator::Greater,
        Comparator::LessEqual => Comparator::GreaterEqual,
        Comparator::Greater => Comparator::Less,
        Comparator::GreaterEqual => Comparator::LessEqual,
        other => other,
    }
}

/// What one Query or Scan reads, decided before the store is opened.
struct ReadPlan {
    table_name: String,
    index_name: Option<String>,
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    limit: Option<usize>,
    count_only: bool,
    forward: bool,
    exclusive_start: Option<Item>,
    /// Query only: partition key value and sort key condition (from the expression).
    key_condition: Option<Condition>,
    /// Scan only: (segment, total segments).
    segment: Option<(u64, u64)>,
    select_all_attributes: bool,
    /// PartiQL SELECT: a WHERE clause, split here into key condition and filter.
    statement_where: Option<Condition>,
}

struct Page {
    items: Vec<Item>,
    /// Whole items read straight into their answer form (see `wire`),
    /// when the caller asked for that and nothing filters or projects them.
    values: Vec<Value>,
    count: usize,
    scanned: usize,
    last_key: Option<Item>,
    bytes: usize,
}

/// What Query and Scan read alike: filter, projection, limit and Select.
struct CommonRead {
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    limit: Option<usize>,
    count_only: bool,
    select_all_attributes: bool,
}

fn read_common(input: &Value, subs: &Substitutions) -> Result<CommonRead, AwsError> {
    let limit = match input.get("Limit").and_then(Value::as_i64) {
        Some(limit) if limit < 1 => {
            return Err(validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
        Some(limit) => Some(limit as usize),
        None => None,
    };
    let select = string(input, "Select");
    let has_projection =
        input.get("ProjectionExpression").is_some() || input.get("AttributesToGet").is_some();
    if has_projection && select.is_some_and(|s| s != "SPECIFIC_ATTRIBUTES") {
        return Err(validation(
            "Cannot specify the AttributesToGet/ProjectionExpression when choosing to get ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES or COUNT",
        ));
    }
    let filter = match string(input, "FilterExpression") {
        Some(source) => Some(crate::expr::parser::parse_condition(
            source,
            ExpressionKind::Filter,
            subs,
        )?),
        None => None,
    };
    let expressions = parse_expressions(input, subs, None)?;
    Ok(CommonRead {
        filter,
        projection: expressions.projection,
        limit,
        count_only: select == Some("COUNT"),
        select_all_attributes: select == Some("ALL_ATTRIBUTES"),
    })
}

impl DynamoDb {
    pub async fn query(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        crate::legacy::check_request(&input)?;
        let table_name = required_string(&input, "TableName")?;
        let subs = Substitutions::from_request(&input)?;
        let key_condition = match string(&input, "KeyConditionExpression") {
            Some(source) => Some(crate::expr::parser::parse_condition(
                source,
                ExpressionKind::KeyCondition,
                &subs,
            )?),
            None => crate::legacy::key_conditions(&input)?,
        };
        let CommonRead {
            filter,
            projection,
            limit,
            count_only,
            select_all_attributes,
        } = read_common(&input, &subs)?;
        check_substitutions_used(
            &subs,
            [
                "KeyConditionExpression",
                "FilterExpression",
                "ProjectionExpression",
            ]
            .iter()
            .any(|member| input.get(member).is_some()),
        )?;
        let legacy_filter = filter.is_none() && input.get("QueryFilter").is_some();
        let filter = match filter {
            Some(filter) => Some(filter),
            None => crate::legacy::filter(&input, crate::legacy::FilterMember::Query)?,
        };
        // DynamoDB checks ConditionalOperator (above) before this.
        let key_condition = key_condition.ok_or_else(|| validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."))?;
        let plan = ReadPlan {
            table_name,
            index_name: string(&input, "IndexName").map(str::to_owned),
            filter,
            projection,
            limit,
            count_only,
            forward: input
                .get("ScanIndexForward")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            exclusive_start: input.get("ExclusiveStartKey").map(item_from_value).transpose()?,
            key_condition: Some(key_condition),
            segment: None,
            select_all_attributes,
            statement_where: None,
        };
        self.read_page(ctx, &input, plan).await.map_err(|e| {
            if legacy_filter {
                crate::legacy::query_filter_error(e)
            } else {
                e
            }
        })
    }

    pub async fn scan(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        crate::legacy::check_request(&input)?;
        let table_name = required_string(&input, "TableName")?;
        let subs = Substitutions::from_request(&input)?;
        let CommonRead {
            filter,
            projection,
            limit,
            count_only,
            select_all_attributes,
        } = read_common(&input, &subs)?;
        check_substitutions_used(
            &subs,
            filter.is_some() || input.get("ProjectionExpression").is_some(),
        )?;
        let filter = match filter {
            Some(filter) => Some(filter),
            None => crate::legacy::filter(&input, crate::legacy::FilterMember::Scan)?,
        };
        let segment = match (
            input.get("Segment").and_then(Value::as_i64),
            input.get("TotalSegments").and_then(Value::as_i64),
        ) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(validation(
                    "The TotalSegments parameter is required but was not present in the request when parameter Segment is present",
                ));
            }
            (None, Some(_)) => {
                return Err(validation(
                    "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                ));
            }
            (Some(segment), Some(total)) => {
                if segment >= total {
                    return Err(validation(format!(
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
                    )));
                }
                Some((segment as u64, total as u64))
            }
        };
        let plan = ReadPlan {
            table_name,
            index_name: string(&input, "IndexName").map(str::to_owned),
            filter,
            projection,
            limit,
            count_only,
            forward: true,
            exclusive_start: input.get("ExclusiveStartKey").map(item_from_value).transpose()?,
            key_condition: None,
            segment,
            select_all_attributes,
            statement_where: None,
        };
        self.read_page(ctx, &input, plan).await
    }

    async fn read_page(
        &self,
        ctx: &RequestContext,
        input: &Value,
        plan: ReadPlan,
    ) -> Result<Value, AwsError> {
        let ns = storage::namespace(ctx)?;
        let consistent = input
            .get("ConsistentRead")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // A Query reads one partition, at most a page of it: that is done
        // right here, where handing it to a blocking thread and back would
        // cost more than the read. A Scan may walk far; it gets a thread.
        let inline = plan.key_condition.is_some();
        let work = move |txn: &nimbus_store::ReadTxn| {
            let table = txn.open(&ns)?;
            let meta = table_meta(&table, &plan.table_name)?.ok_or_else(resource_not_found)?;
            let index = named_index(&meta, plan.index_name.as_deref())?;
            if let Some(index) = &index {
                if index.global && consistent {
                    return Err(validation(
                        "Consistent reads are not supported on global secondary indexes",
                    ));
                }
                if index.global && plan.select_all_attributes && index.projection_type != "ALL" {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                        index.name
                    )));
                }
            }
            run_plan(&table, &meta, index.as_ref(), plan, true)
        };
        let page = if inline {
            work(&self.store.begin_read()?)?
        } else {
            self.store.read(work).await?
        };
        let units = read_units(page.bytes, consistent);
        let table_name = string(input, "TableName").unwrap_or_default();
        let count_only = string(input, "Select") == Some("COUNT");
        Ok(output(vec![
            (
                "Items",
                (!count_only).then(|| {
                    if page.items.is_empty() {
                        Value::List(page.values)
                    } else {
                        let items = page.items.into_iter().map(item_into_value);
                        Value::List(items.chain(page.values).collect())
                    }
                }),
            ),
            ("Count", Some(Value::Integer(page.count as i64))),
            ("ScannedCount", Some(Value::Integer(page.scanned as i64))),
            ("LastEvaluatedKey", page.last_key.map(item_into_value)),
            ("ConsumedCapacity", consumed_capacity(input, table_name, units)),
        ]))
    }
}

/// The index's projection of a stored (full) item.
/// The index a request names (`None` for the table itself), or DynamoDB's
/// error for a name the table does not have.
fn named_index(meta: &TableMeta, name: Option<&str>) -> Result<Option<IndexMeta>, AwsError> {
    name.map(|name| {
        meta.index(name)
            .cloned()
            .ok_or_else(|| validation(format!("The table does not have the specified index: {name}")))
    })
    .transpose()
}

pub fn index_projection(meta: &TableMeta, index: &IndexMeta, item: &Item) -> Item {
    match index.projection_type.as_str() {
        "ALL" => item.clone(),
        _ => item
            .iter()
            .filter(|(name, _)| {
                meta.is_key_attribute(name)
                    || index.keys().iter().any(|k| k.name == **name)
                    || index.non_key_attributes.contains(name)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

fn run_plan(
    table: &nimbus_store::TableRef,
    meta: &TableMeta,
    index: Option<&IndexMeta>,
    mut plan: ReadPlan,
    answer_values: bool,
) -> Result<Page, AwsError> {
    let (hash, range) = match index {
        Some(index) => (&index.hash_key, index.range_key.as_ref()),
        None => (&meta.hash_key, meta.range_key.as_ref()),
    };
    if let Some(condition) = plan.statement_where.take() {
        let (key_condition, filter) = split_where(condition, hash, range);
        plan.key_condition = key_condition;
        plan.filter = filter;
    } else if plan.key_condition.is_some()
        && let Some(filter) = &plan.filter
    {
        // A Query's filter may not name the key attributes it queries by.
        for key in std::iter::once(hash).chain(range) {
            if condition_mentions(filter, &key.name) {
                return Err(validation(format!(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                    key.name
                )));
            }
        }
    }
    let keys = position_keys(meta, index);
    let mut prefix = match index {
        Some(index) => index_prefix(&meta.name, &index.name),
        None => items_prefix(&meta.name),
    };
    let base_len = prefix.len();
    let mut sort = None;
    if let Some(condition) = plan.key_condition {
        let (hash_value, sort_condition) = key_condition(condition, hash, range)?;
        storage::push_partition(&mut prefix, &hash_value);
        sort = sort_condition;
    }
    // Where to start: after ExclusiveStartKey, else just below the sort range.
    let start = match &plan.exclusive_start {
        Some(start) => {
            let invalid = || {
                validation(
                    "The provided starting key is invalid: The provided key element does not match the schema",
                )
            };
            if keys.iter().any(|key| {
                start
                    .get(&key.name)
                    .is_none_or(|v| v.type_name() != key.attribute_type)
            }) {
                return Err(invalid());
            }
            let mut marker = prefix[..base_len].to_vec();
            storage::push_position(&mut marker, start, &keys);
            Some(marker)
        }
        // A parallel Scan segment starts at its first bucket.
        None if plan.segment.is_some() => plan.segment.map(|(segment, total)| {
            let mut marker = prefix.clone();
            marker.extend_from_slice(&(segment_bucket(segment, total) as u16).to_be_bytes());
            marker
        }),
        None => sort
            .as_ref()
            .filter(|_| plan.forward)
            .and_then(SortCondition::lower_bound)
            .map(|bound| {
                let mut marker = prefix.clone();
                bound.encode_key(&mut marker);
                // One byte short sorts before every key at or above the bound.
                marker.pop();
                marker
            }),
    };
    let entries: Box<dyn Iterator<Item = _>> = if plan.forward {
        Box::new(table.scan_between(&prefix, start.as_deref(), None)?.borrowed())
    } else {
        // Backward: the range ends right below ExclusiveStartKey or above
        // the sort range, whichever is lower, so no item is skipped over.
        let above_range = sort.as_ref().and_then(|sort| sort.upper_marker(&prefix));
        let before = match (start.as_deref(), above_range.as_deref()) {
            (Some(start), Some(above)) => Some(start.min(above)),
            (start, above) => start.or(above),
        };
        Box::new(table.scan_between(&prefix, None, before)?.borrowed().rev())
    };
    let whole_items = answer_values
        && plan.filter.is_none()
        && plan.projection.is_none()
        && !plan.count_only
        && index.is_none_or(|index| index.projection_type == "ALL");
    let mut page = Page {
        items: Vec::new(),
        // Room for a typical page up front: growing a list of large
        // values step by step copies it each time.
        values: Vec::with_capacity(if whole_items {
            plan.limit.unwrap_or(64).min(1024)
        } else {
            0
        }),
        count: 0,
        scanned: 0,
        last_key: None,
        bytes: 0,
    };
    for entry in entries {
        let entry = entry?;
        if let Some((segment, total)) = plan.segment {
            let bucket = entry
                .key()
                .get(base_len..base_len + 2)
                .map_or(0, |b| u32::from(u16::from_be_bytes([b[0], b[1]])));
            if bucket >= segment_bucket(segment + 1, total) {
                break;
            }
        }

        if whole_items {
            let value = stored_item_value(entry.value())?;
            if let (Some(sort), Some(range)) = (&sort, range) {
                let Some(sort_key) = value.get(&range.name) else {
                    continue;
                };
                match sort.step(&AttributeValue::from_value(sort_key)?, plan.forward) {
                    SortStep::Take => {}
                    SortStep::Skip => continue,
                    SortStep::Stop => break,
                }
            }
            page.scanned += 1;
            page.count += 1;
            page.bytes += value_item_size(&value)?;
            let page_full = plan.limit.is_some_and(|l| page.scanned >= l) || page.bytes >= PAGE_BYTES;
            if page_full {
                page.last_key = Some(value_key_of(&value, &keys)?);
            }
            page.values.push(value);
            if page_full {
                break;
            }
            continue;
        }
        let item = decode_item(entry.value())?;
        if let (Some(sort), Some(range)) = (&sort, range) {
            let Some(value) = item.get(&range.name) else {
                continue;
            };
            match sort.step(value, plan.forward) {
                SortStep::Take => {}
                SortStep::Skip => continue,
                SortStep::Stop => break,
            }
        }
        page.scanned += 1;
        page.bytes += item_size(&item);
        let visible = match index {
            Some(index) => index_projection(meta, index, &item),
            None => item,
        };
        // The page ends here: its last item's key says where the next starts.
        let page_full = plan.limit.is_some_and(|l| page.scanned >= l) || page.bytes >= PAGE_BYTES;
        if page_full {
            page.last_key = Some(key_of(&visible, &keys));
        }
        if plan.filter.as_ref().is_none_or(|f| evaluate(f, &visible)) {
            page.count += 1;
            if !plan.count_only {
                page.items.push(match &plan.projection {
                    Some(paths) => project(&visible, paths),
                    None => visible,
                });
            }
        }
        if page_full {
            break;
        }
    }
    Ok(page)
}

/// The first bucket of a parallel Scan segment (65,536 buckets split evenly).
fn segment_bucket(segment: u64, total: u64) -> u32 {
    (segment * 65_536 / total) as u32
}

/// Splits a PartiQL WHERE clause into a key condition (when it pins the
/// partition key) and the rest, which becomes a filter.
fn split_where(
    condition: Condition,
    hash: &KeyAttr,
    range: Option<&KeyAttr>,
) -> (Option<Condition>, Option<Condition>) {
    let mut conjuncts = Vec::new();
    let mut pending = vec![condition];
    while let Some(c) = pending.pop() {
        match c {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            other => conjuncts.push(other),
        }
    }
    let is_name = |operand: &Operand, key: Option<&KeyAttr>| {
        key.is_some_and(|k| single_name(operand) == Some(k.name.as_str()))
    };
    let mut hash_part = None;
    let mut sort_part = None;
    let mut rest = Vec::new();
    for conjunct in conjuncts {
        let is_hash = matches!(&conjunct, Condition::Compare(left, Comparator::Equal, Operand::Value(v))
            if is_name(left, Some(hash)) && v.type_name() == hash.attribute_type);
        let is_sort = match &conjunct {
            Condition::Compare(left, op, Operand::Value(_)) => {
                *op != Comparator::NotEqual && is_name(left, range)
            }
            Condition::Between(left, Operand::Value(_), Operand::Value(_))
            | Condition::BeginsWith(left, Operand::Value(_)) => is_name(left, range),
            _ => false,
        };
        if is_hash && hash_part.is_none() {
            hash_part = Some(conjunct);
        } else if is_sort && sort_part.is_none() {
            sort_part = Some(conjunct);
        } else {
            rest.push(conjunct);
        }
    }
    let join = |parts: Vec<Condition>| {
        parts
            .into_iter()
            .reduce(|a, b| Condition::And(Box::new(a), Box::new(b)))
    };
    match hash_part {
        Some(hash_part) => (
            join(std::iter::once(hash_part).chain(sort_part).collect()),
            join(rest),
        ),
        None => (None, join(sort_part.into_iter().chain(rest).collect())),
    }
}

/// What a PartiQL SELECT reads.
pub struct SelectSpec {
    pub table_name: String,
    pub index_name: Option<String>,
    /// The WHERE clause, split into key condition and filter when run.
    pub condition: Option<Condition>,
    pub projection: Option<Vec<Path>>,
    pub limit: Option<usize>,
    pub exclusive_start: Option<Item>,
}

/// One page of a PartiQL SELECT: the items and where the next page starts.
pub struct StatementPage {
    pub items: Vec<Item>,
    pub last_key: Option<Item>,
}

impl DynamoDb {
    /// Runs a PartiQL SELECT as a Query (when WHERE pins the partition key) or a Scan.
    pub async fn select_parsed(
        &self,
        ctx: &RequestContext,
        select: SelectSpec,
    ) -> Result<StatementPage, AwsError> {
        let SelectSpec {
            table_name,
            index_name,
            condition,
            projection,
            limit,
            exclusive_start,
        } = select;
        let plan = ReadPlan {
            table_name,
            index_name,
            filter: None,
            projection,
            limit,
            count_only: false,
            forward: true,
            exclusive_start,
            key_condition: None,
            segment: None,
            select_all_attributes: false,
            statement_where: condition,
        };
        let ns = storage::namespace(ctx)?;
        let page = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let meta = table_meta(&table, &plan.table_name)?.ok_or_else(resource_not_found)?;
                let index = named_index(&meta, plan.index_name.as_deref())?;
                run_plan(&table, &meta, index.as_ref(), plan, false)
            })
            .await?;
        Ok(StatementPage {
            items: page.items,
            last_key: page.last_key,
        })
    }
}

/// Whether any path in `condition` starts at attribute `name`. Conditions
/// are at most 32 levels deep (the parser's bound), so recursion is safe.
fn condition_mentions(condition: &Condition, name: &str) -> bool {
    let operand = |o: &Operand| match o {
        Operand::Path(path) | Operand::Size(path) => path.root() == name,
        Operand::Value(_) => false,
    };
    match condition {
        Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
            operand(a) || operand(b)
        }
        Condition::Between(a, b, c) => operand(a) || operand(b) || operand(c),
        Condition::In(a, options) => operand(a) || options.iter().any(operand),
        Condition::Exists(path) | Condition::NotExists(path) => path.root() == name,
        Condition::AttributeType(path, o) => path.root() == name || operand(o),
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_mentions(a, name) || condition_mentions(b, name)
        }
        Condition::Not(a) => condition_mentions(a, name),
    }
}
