//! The TableDescription DynamoDB answers: the definition, with item counts
//! and sizes from the store's counters.

use nimbus_core::Timestamp;
use nimbus_dynamodb_api::*;

use crate::schema::{IndexMeta, KeyAttr, TableMeta};
use crate::storage::Counts;
use crate::tables::PAY_PER_REQUEST;

fn millis_timestamp(millis: i64) -> Timestamp {
    Timestamp::from_epoch_millis(millis)
}

/// The TableDescription DynamoDB answers for `meta`.
pub fn describe(meta: &TableMeta, status: &str, counts: &Counts) -> TableDescription {
    let (count, bytes) = counts.table;
    let index_counts = |name: &str| {
        meta.indexes
            .iter()
            .position(|i| i.name == name)
            .and_then(|at| counts.indexes.get(at))
            .copied()
            .unwrap_or((0, 0))
    };
    let key_schema = |hash: &KeyAttr, range: &Option<KeyAttr>| {
        let mut out = vec![KeySchemaElement {
            attribute_name: hash.name.clone(),
            key_type: "HASH".to_owned(),
        }];
        if let Some(range) = range {
            out.push(KeySchemaElement {
                attribute_name: range.name.clone(),
                key_type: "RANGE".to_owned(),
            });
        }
        out
    };
    let throughput = |read: i64, write: i64| ProvisionedThroughputDescription {
        number_of_decreases_today: Some(0),
        read_capacity_units: Some(read),
        write_capacity_units: Some(write),
        ..Default::default()
    };
    let projection = |index: &IndexMeta| Projection {
        projection_type: Some(index.projection_type.clone()),
        non_key_attributes: (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone()),
    };
    let globals: Vec<GlobalSecondaryIndexDescription> = meta
        .indexes
        .iter()
        .filter(|i| i.global)
        .map(|index| GlobalSecondaryIndexDescription {
            index_name: Some(index.name.clone()),
            key_schema: Some(key_schema(&index.hash_key, &index.range_key)),
            projection: Some(projection(index)),
            index_status: Some("ACTIVE".to_owned()),
            provisioned_throughput: Some(throughput(index.read_capacity, index.write_capacity)),
            index_size_bytes: Some(index_counts(&index.name).1),
            item_count: Some(index_counts(&index.name).0),
            index_arn: Some(format!("{}/index/{}", meta.arn, index.name)),
            ..Default::default()
        })
        .collect();
    let locals: Vec<LocalSecondaryIndexDescription> = meta
        .indexes
        .iter()
        .filter(|i| !i.global)
        .map(|index| LocalSecondaryIndexDescription {
            index_name: Some(index.name.clone()),
            key_schema: Some(key_schema(&index.hash_key, &index.range_key)),
            projection: Some(projection(index)),
            index_size_bytes: Some(index_counts(&index.name).1),
            item_count: Some(index_counts(&index.name).0),
            index_arn: Some(format!("{}/index/{}", meta.arn, index.name)),
        })
        .collect();
    TableDescription {
        attribute_definitions: Some(
            meta.attributes
                .iter()
                .map(|a| AttributeDefinition {
                    attribute_name: a.name.clone(),
                    attribute_type: a.attribute_type.clone(),
                })
                .collect(),
        ),
        table_name: Some(meta.name.clone()),
        key_schema: Some(key_schema(&meta.hash_key, &meta.range_key)),
        table_status: Some(status.to_owned()),
        creation_date_time: Some(millis_timestamp(meta.created_millis)),
        provisioned_throughput: Some(throughput(meta.read_capacity, meta.write_capacity)),
        table_size_bytes: Some(bytes),
        item_count: Some(count),
        table_arn: Some(meta.arn.clone()),
        table_id: Some(meta.id.clone()),
        billing_mode_summary: (meta.billing_mode == PAY_PER_REQUEST).then(|| BillingModeSummary {
            billing_mode: Some(PAY_PER_REQUEST.to_owned()),
            last_update_to_pay_per_request_date_time: meta.pay_per_request_since_millis.map(millis_timestamp),
        }),
        local_secondary_indexes: (!locals.is_empty()).then_some(locals),
        global_secondary_indexes: (!globals.is_empty()).then_some(globals),
        stream_specification: meta.stream_enabled.then(|| StreamSpecification {
            stream_enabled: true,
            stream_view_type: meta.stream_view_type.clone(),
        }),
        latest_stream_label: meta.stream_label.clone(),
        latest_stream_arn: meta
            .stream_label
            .as_ref()
            .map(|label| format!("{}/stream/{label}", meta.arn)),
        table_class_summary: (meta.table_class != "STANDARD").then(|| TableClassSummary {
            table_class: Some(meta.table_class.clone()),
            ..Default::default()
        }),
        deletion_protection_enabled: Some(meta.deletion_protection),
        ..Default::default()
    }
}
