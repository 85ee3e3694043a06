//! A table's definition as stored, and the key checks every item operation
//! makes against it (with DynamoDB's messages).

use nimbus_core::AwsError;
use serde::{Deserialize, Serialize};

use crate::attribute::{AttributeValue, Item};
use crate::error::validation;

/// One key attribute: its name and scalar type (`S`, `N` or `B`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    /// Global (own partition key) or local (the table's partition key).
    pub global: bool,
    pub hash_key: KeyAttr,
    pub range_key: Option<KeyAttr>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
    pub read_capacity: i64,
    pub write_capacity: i64,
}

impl IndexMeta {
    pub fn keys(&self) -> Vec<&KeyAttr> {
        std::iter::once(&self.hash_key)
            .chain(self.range_key.as_ref())
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableMeta {
    pub name: String,
    pub arn: String,
    pub id: String,
    pub created_millis: i64,
    pub hash_key: KeyAttr,
    pub range_key: Option<KeyAttr>,
    /// AttributeDefinitions as the client gave them (key attributes only).
    pub attributes: Vec<KeyAttr>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// When the table last switched to on-demand (DescribeTable reports it).
    pub pay_per_request_since_millis: Option<i64>,
    pub read_capacity: i64,
    pub write_capacity: i64,
    pub indexes: Vec<IndexMeta>,
    pub stream_enabled: bool,
    pub stream_view_type: Option<String>,
    pub stream_label: Option<String>,
    pub deletion_protection: bool,
    pub table_class: String,
    pub tags: Vec<(String, String)>,
    /// The TTL attribute, when TTL is enabled.
    pub ttl_attribute: Option<String>,
}

impl TableMeta {
    pub fn primary_keys(&self) -> Vec<&KeyAttr> {
        std::iter::once(&self.hash_key)
            .chain(self.range_key.as_ref())
            .collect()
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.hash_key.name == name || self.range_key.as_ref().is_some_and(|k| k.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Checks a `Key` parameter: exactly the primary key, of the right types.
    pub fn check_key(&self, key: &Item) -> Result<(), AwsError> {
        let mismatch = || validation("The provided key element does not match the schema");
        let keys = self.primary_keys();
        if key.len() != keys.len() {
            return Err(mismatch());
        }
        for attr in keys {
            let value = key.get(&attr.name).ok_or_else(mismatch)?;
            if value.type_name() != attr.attribute_type {
                return Err(mismatch());
            }
            check_not_empty(&attr.name, value)?;
            check_key_size(value, attr.name == self.hash_key.name)?;
        }
        Ok(())
    }

    /// Checks a whole item being written: key attributes present and typed,
    /// index key attributes (when present) typed.
    pub fn check_item(&self, item: &Item) -> Result<(), AwsError> {
        for attr in self.primary_keys() {
            let value = item.get(&attr.name).ok_or_else(|| {
                validation(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    attr.name
                ))
            })?;
            if value.type_name() != attr.attribute_type {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                    attr.name,
                    attr.attribute_type,
                    value.type_name()
                )));
            }
            check_not_empty(&attr.name, value)?;
            check_key_size(value, attr.name == self.hash_key.name)?;
        }
        for index in &self.indexes {
            for attr in index.keys() {
                let Some(value) = item.get(&attr.name) else {
                    continue;
                };
                if value.type_name() != attr.attribute_type {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                        attr.name,
                        attr.attribute_type,
                        value.type_name(),
                        index.name
                    )));
                }
                if matches!(value, AttributeValue::S(s) if s.is_empty())
                    || matches!(value, AttributeValue::B(b) if b.is_empty())
                {
                    return Err(validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {}",
                        index.name, attr.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// DynamoDB's key size limits: 2048 bytes for a partition key, 1024 for a sort key.
fn check_key_size(value: &AttributeValue, is_hash: bool) -> Result<(), AwsError> {
    let size = value.size();
    if is_hash && size > 2048 {
        return Err(validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if !is_hash && size > 1024 {
        return Err(validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

fn check_not_empty(name: &str, value: &AttributeValue) -> Result<(), AwsError> {
    let empty = match value {
        AttributeValue::S(s) => s.is_empty(),
        AttributeValue::B(b) => b.is_empty(),
        _ => false,
    };
    if empty {
        let kind = if matches!(value, AttributeValue::S(_)) {
            "string"
        } else {
            "binary"
        };
        return Err(validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
        )));
    }
    Ok(())
}
