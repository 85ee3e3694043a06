//! Query and Scan, on tables and on secondary indexes. A Query is one range
//! scan within (table or index, partition key) in sort-key order; Limit and
//! the 1 MB page bound what is read, and filters apply after both. Items
//! read whole go into the answer as stored (see [`AnswerItem`]).

use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_dynamodb_api::{ConsumedCapacity, QueryInput, QueryOutput, ScanInput, ScanOutput};

use crate::DynamoDb;
use crate::attribute::Item;
use crate::error::{resource_not_found, validation};
use crate::expr::ast::{Condition, Path};
use crate::expr::parser::parse_condition;
use crate::expr::{ExpressionKind, Substitutions};
use crate::legacy::{FilterMember, Sent};
use crate::request::*;
use crate::schema::{IndexMeta, TableMeta};
use crate::storage::{self, table_meta};

mod page;

use page::run_plan;

/// What one Query or Scan reads, decided before the store is opened.
pub(crate) struct ReadPlan {
    pub(super) table_name: String,
    pub(super) index_name: Option<String>,
    pub(super) filter: Option<Condition>,
    pub(super) projection: Option<Vec<Path>>,
    pub(super) limit: Option<usize>,
    pub(super) count_only: bool,
    pub(super) forward: bool,
    pub(super) exclusive_start: Option<Item>,
    /// Query only: partition key value and sort key condition (from the expression).
    pub(super) key_condition: Option<Condition>,
    /// Scan only: (segment, total segments).
    pub(super) segment: Option<(u64, u64)>,
    pub(super) select_all_attributes: bool,
    /// PartiQL SELECT: a WHERE clause, split here into key condition and filter.
    pub(super) statement_where: Option<Condition>,
}

/// What a page answers, for Query's and Scan's outputs alike.
struct PageAnswer {
    /// None when only the count was asked for.
    items: Option<Vec<AnswerItem>>,
    count: i32,
    scanned: i32,
    last_key: Option<Item>,
    capacity: Option<ConsumedCapacity>,
}

/// The members Query and Scan read alike: filter, projection, limit, Select.
struct CommonMembers<'r> {
    limit: Option<i32>,
    select: Option<&'r str>,
    projection: Projection<'r>,
    filter_expression: Option<&'r str>,
}

/// What they make of them.
struct CommonRead {
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    limit: Option<usize>,
    count_only: bool,
    select_all_attributes: bool,
}

fn read_common(members: CommonMembers<'_>, subs: &Substitutions) -> Result<CommonRead, AwsError> {
    let limit = match members.limit {
        Some(limit) if limit < 1 => {
            return Err(validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
        Some(limit) => Some(limit as usize),
        None => None,
    };
    let select = members.select;
    let has_projection =
        members.projection.expression.is_some() || members.projection.attributes_to_get.is_some();
    if has_projection && select.is_some_and(|s| s != "SPECIFIC_ATTRIBUTES") {
        return Err(validation(
            "Cannot specify the AttributesToGet/ProjectionExpression when choosing to get ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES or COUNT",
        ));
    }
    let filter = match members.filter_expression {
        Some(source) => Some(parse_condition(source, ExpressionKind::Filter, subs)?),
        None => None,
    };
    let expressions = parse_expressions(subs, None, members.projection)?;
    Ok(CommonRead {
        filter,
        projection: expressions.projection,
        limit,
        count_only: select == Some("COUNT"),
        select_all_attributes: select == Some("ALL_ATTRIBUTES"),
    })
}

impl DynamoDb {
    pub async fn query(&self, ctx: &RequestContext, mut input: QueryInput) -> Result<QueryOutput, AwsError> {
        crate::legacy::check_request(
            &Sent::of(&[
                ("AttributesToGet", input.attributes_to_get.is_some()),
                ("QueryFilter", input.query_filter.is_some()),
                ("ConditionalOperator", input.conditional_operator.is_some()),
                ("KeyConditions", input.key_conditions.is_some()),
                ("ProjectionExpression", input.projection_expression.is_some()),
                ("FilterExpression", input.filter_expression.is_some()),
                ("KeyConditionExpression", input.key_condition_expression.is_some()),
            ])
            .with_attributes_to_get(input.attributes_to_get.as_deref()),
        )?;
        let subs = Substitutions::new(
            input.expression_attribute_names.take(),
            input.expression_attribute_values.take(),
        )?;
        let key_condition = match &input.key_condition_expression {
            Some(source) => Some(parse_condition(source, ExpressionKind::KeyCondition, &subs)?),
            None => crate::legacy::key_conditions(input.key_conditions.as_ref())?,
        };
        let common = read_common(common_members(&input), &subs)?;
        check_substitutions_used(
            &subs,
            input.key_condition_expression.is_some()
                || input.filter_expression.is_some()
                || input.projection_expression.is_some(),
        )?;
        let legacy_filter = common.filter.is_none() && input.query_filter.is_some();
        let filter = match common.filter {
            Some(filter) => Some(filter),
            None => crate::legacy::filter(
                input.query_filter.as_ref(),
                FilterMember::Query,
                input.conditional_operator.as_deref(),
            )?,
        };
        // DynamoDB checks ConditionalOperator (above) before this.
        let key_condition = key_condition.ok_or_else(|| validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."))?;
        let plan = ReadPlan {
            table_name: input.table_name.clone(),
            index_name: input.index_name.clone(),
            filter,
            projection: common.projection,
            limit: common.limit,
            count_only: common.count_only,
            forward: input.scan_index_forward.unwrap_or(true),
            exclusive_start: input.exclusive_start_key.take(),
            key_condition: Some(key_condition),
            segment: None,
            select_all_attributes: common.select_all_attributes,
            statement_where: None,
        };
        let capacity_mode = input.return_consumed_capacity.as_deref();
        let answer = self
            .read_page(ctx, plan, input.consistent_read.unwrap_or(false), capacity_mode)
            .await
            .map_err(|e| match legacy_filter {
                true => crate::legacy::query_filter_error(e),
                false => e,
            })?;
        Ok(QueryOutput {
            items: answer.items,
            count: Some(answer.count),
            scanned_count: Some(answer.scanned),
            last_evaluated_key: answer.last_key,
            consumed_capacity: answer.capacity,
        })
    }

    pub async fn scan(&self, ctx: &RequestContext, mut input: ScanInput) -> Result<ScanOutput, AwsError> {
        crate::legacy::check_request(
            &Sent::of(&[
                ("AttributesToGet", input.attributes_to_get.is_some()),
                ("ScanFilter", input.scan_filter.is_some()),
                ("ConditionalOperator", input.conditional_operator.is_some()),
                ("ProjectionExpression", input.projection_expression.is_some()),
                ("FilterExpression", input.filter_expression.is_some()),
            ])
            .with_attributes_to_get(input.attributes_to_get.as_deref()),
        )?;
        let subs = Substitutions::new(
            input.expression_attribute_names.take(),
            input.expression_attribute_values.take(),
        )?;
        let common = read_common(
            CommonMembers {
                limit: input.limit,
                select: input.select.as_deref(),
                projection: Projection {
                    expression: input.projection_expression.as_deref(),
                    attributes_to_get: input.attributes_to_get.as_deref(),
                },
                filter_expression: input.filter_expression.as_deref(),
            },
            &subs,
        )?;
        check_substitutions_used(
            &subs,
            common.filter.is_some() || input.projection_expression.is_some(),
        )?;
        let filter = match common.filter {
            Some(filter) => Some(filter),
            None => crate::legacy::filter(
                input.scan_filter.as_ref(),
                FilterMember::Scan,
                input.conditional_operator.as_deref(),
            )?,
        };
        let plan = ReadPlan {
            table_name: input.table_name.clone(),
            index_name: input.index_name.clone(),
            filter,
            projection: common.projection,
            limit: common.limit,
            count_only: common.count_only,
            forward: true,
            exclusive_start: input.exclusive_start_key.take(),
            key_condition: None,
            segment: segment(input.segment, input.total_segments)?,
            select_all_attributes: common.select_all_attributes,
            statement_where: None,
        };
        let capacity_mode = input.return_consumed_capacity.as_deref();
        let answer = self
            .read_page(ctx, plan, input.consistent_read.unwrap_or(false), capacity_mode)
            .await?;
        Ok(ScanOutput {
            items: answer.items,
            count: Some(answer.count),
            scanned_count: Some(answer.scanned),
            last_evaluated_key: answer.last_key,
            consumed_capacity: answer.capacity,
        })
    }

    async fn read_page(
        &self,
        ctx: &RequestContext,
        plan: ReadPlan,
        consistent: bool,
        capacity_mode: Option<&str>,
    ) -> Result<PageAnswer, AwsError> {
        let ns = storage::namespace(ctx)?;
        let (table_name, count_only) = (plan.table_name.clone(), plan.count_only);
        // A Query reads one partition, at most a page of it: that is done
        // right here, where handing it to a blocking thread and back would
        // cost more than the read. A Scan may walk far; it gets a thread.
        let inline = plan.key_condition.is_some();
        let work = move |txn: &nimbus_store::ReadTxn| {
            let table = txn.open(&ns)?;
            let meta = table_meta(&table, &plan.table_name)?.ok_or_else(resource_not_found)?;
            let index = named_index(&meta, plan.index_name.as_deref())?;
            if let Some(index) = &index {
                check_index_read(index, &plan, consistent)?;
            }
            run_plan(&table, &meta, index.as_ref(), plan, true)
        };
        let page = if inline {
            work(&self.store.begin_read()?)?
        } else {
            self.store.read(work).await?
        };
        let units = read_units(page.bytes, consistent);
        Ok(PageAnswer {
            items: (!count_only).then_some(page.items),
            count: page.count as i32,
            scanned: page.scanned as i32,
            last_key: page.last_key,
            capacity: consumed_capacity(capacity_mode, &table_name, units),
        })
    }
}

fn common_members(input: &QueryInput) -> CommonMembers<'_> {
    CommonMembers {
        limit: input.limit,
        select: input.select.as_deref(),
        projection: Projection {
            expression: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_deref(),
        },
        filter_expression: input.filter_expression.as_deref(),
    }
}

/// A parallel Scan's (segment, total segments), checked as DynamoDB does.
fn segment(segment: Option<i32>, total: Option<i32>) -> Result<Option<(u64, u64)>, AwsError> {
    match (segment, total) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(validation(
            "The TotalSegments parameter is required but was not present in the request when parameter Segment is present",
        )),
        (None, Some(_)) => Err(validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(segment), Some(total)) if segment >= total => Err(validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
        ))),
        (Some(segment), Some(total)) => Ok(Some((segment as u64, total as u64))),
    }
}

/// What reading a global secondary index refuses.
fn check_index_read(index: &IndexMeta, plan: &ReadPlan, consistent: bool) -> Result<(), AwsError> {
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
    Ok(())
}

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

/// The index's projection of a stored (full) item.
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
    pub items: Vec<AnswerItem>,
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
                run_plan(&table, &meta, index.as_ref(), plan, true)
            })
            .await?;
        Ok(StatementPage {
            items: page.items,
            last_key: page.last_key,
        })
    }
}
