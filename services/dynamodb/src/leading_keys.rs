//! `dynamodb:LeadingKeys`: the partition key values an item request names
//! (GetItem, PutItem, UpdateItem, DeleteItem, Query), which fine-grained
//! access policies compare with the caller (`${aws:userid}`). Which
//! attribute is the partition key is the table's (or the queried index's)
//! schema, so the value is read only when some policy reads keys.

use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use nimbus_core::authz::LazyKeys;
use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::attribute::{AttributeValue, ExpressionValues};
use nimbus_dynamodb_api::{DeleteItemInput, GetItemInput, PutItemInput, QueryInput, UpdateItemInput};
use nimbus_store::{Namespace, Store};

use crate::DynamoDb;
use crate::expr::parser::parse_condition;
use crate::expr::{ExpressionKind, Substitutions};
use crate::key_range::key_condition;
use crate::schema::KeyAttr;
use crate::storage::{namespace, table_meta};

/// Where a request's partition key values are (borrowed from the request
/// for item requests: nothing is copied unless a policy reads keys).
enum Named<'a> {
    /// In keys or items (their attribute named by the schema).
    Attributes(Vec<Cow<'a, Attributes>>),
    /// In a Query's KeyConditionExpression, on the table or an index.
    KeyCondition {
        index: Option<&'a str>,
        expression: &'a str,
        names: Option<&'a IndexMap<String, String>>,
        values: Option<&'a ExpressionValues>,
    },
}

type Attributes = IndexMap<String, AttributeValue>;

/// A key value as the condition key's string (numbers as written, binary
/// as base64).
fn key_text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.to_string()),
        AttributeValue::B(b) => Some(BASE64.encode(b)),
        _ => None,
    }
}

/// What an input names, if it is an item request.
fn named(input: &dyn Any) -> Option<(&str, Named<'_>)> {
    fn attributes<'a>(table: &'a str, key: &'a Attributes) -> Option<(&'a str, Named<'a>)> {
        Some((table, Named::Attributes(vec![Cow::Borrowed(key)])))
    }
    if let Some(i) = input.downcast_ref::<GetItemInput>() {
        return attributes(&i.table_name, &i.key);
    }
    if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
        return attributes(&i.table_name, &i.key);
    }
    if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
        return attributes(&i.table_name, &i.key);
    }
    if let Some(i) = input.downcast_ref::<PutItemInput>() {
        return attributes(&i.table_name, &i.item);
    }
    let query = input.downcast_ref::<QueryInput>()?;
    Some((
        &query.table_name,
        Named::KeyCondition {
            index: query.index_name.as_deref(),
            expression: query.key_condition_expression.as_deref()?,
            names: query.expression_attribute_names.as_ref(),
            values: query.expression_attribute_values.as_ref(),
        },
    ))
}

/// The partition key values, read with the table's schema.
fn leading_keys(
    store: &Store,
    ns: &Namespace,
    table: &str,
    named: &Named<'_>,
) -> Result<Vec<String>, AwsError> {
    let txn = store.begin_read()?;
    let Some(meta) = table_meta(&txn.open(ns)?, table)? else {
        return Ok(Vec::new());
    };
    let value = match named {
        Named::Attributes(all) => {
            let mut values: Vec<String> = all
                .iter()
                .filter_map(|attributes| attributes.get(&meta.hash_key.name).and_then(key_text))
                .collect();
            values.sort();
            values.dedup();
            return Ok(values);
        }
        Named::KeyCondition {
            index,
            expression,
            names,
            values,
        } => {
            let (hash, range): (&KeyAttr, Option<&KeyAttr>) = match index.and_then(|i| meta.index(i)) {
                Some(index) => (&index.hash_key, index.range_key.as_ref()),
                None => (&meta.hash_key, meta.range_key.as_ref()),
            };
            let subs = Substitutions::new(names.cloned(), values.cloned())?;
            let condition = parse_condition(expression, ExpressionKind::KeyCondition, &subs)?;
            key_condition(condition, hash, range)?.0
        }
    };
    Ok(key_text(&value).into_iter().collect())
}

impl DynamoDb {
    /// `dynamodb:LeadingKeys` of an item request, read when asked.
    pub(crate) fn leading_keys<'a>(&self, ctx: &'a RequestContext, input: &'a dyn Any) -> LazyKeys<'a> {
        match named(input) {
            Some((table, named)) => {
                self.lazy_leading_keys(move || namespace(ctx), Cow::Borrowed(table), named)
            }
            None => LazyKeys::default(),
        }
    }

    /// `dynamodb:LeadingKeys` of the keys or items a batch or transaction
    /// names in one table.
    pub(crate) fn leading_keys_of(
        &self,
        ctx: &RequestContext,
        table: &str,
        keys: Vec<Attributes>,
    ) -> LazyKeys<'static> {
        if keys.is_empty() {
            return LazyKeys::default();
        }
        let Ok(ns) = namespace(ctx) else {
            return LazyKeys::default();
        };
        let keys = keys.into_iter().map(Cow::Owned).collect();
        let namespace = move || Ok(ns.clone());
        self.lazy_leading_keys(namespace, Cow::Owned(table.to_owned()), Named::Attributes(keys))
    }

    fn lazy_leading_keys<'a>(
        &self,
        namespace: impl Fn() -> Result<Namespace, AwsError> + Send + Sync + 'a,
        table: Cow<'a, str>,
        named: Named<'a>,
    ) -> LazyKeys<'a> {
        let store = Arc::clone(&self.store);
        let read = move || leading_keys(&store, &namespace()?, &table, &named);
        LazyKeys::new(move || match read() {
            Ok(values) if !values.is_empty() => vec![("dynamodb:LeadingKeys".to_owned(), values)],
            // A request the handler will refuse (no such table, a bad
            // expression) names no key.
            _ => Vec::new(),
        })
    }
}
