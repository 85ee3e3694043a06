//! Event filtering of event source mappings (FilterCriteria): each filter
//! is an EventBridge event pattern, and a record any filter matches goes
//! to the function. An SQS message is matched as its event record, its
//! body as JSON when it is a JSON object; a record no filter matches is
//! dropped (an SQS message deleted), as Lambda does.

use nimbus_core::AwsError;
use nimbus_eventpattern::Pattern;
use nimbus_lambda_api::{FilterCriteria, errors};
use serde_json::Value as Json;

/// Lambda's default quota of filters per mapping.
const MOST_FILTERS: usize = 5;

/// A mapping's filters, parsed.
#[derive(Debug, Default)]
pub(crate) struct Filters(Vec<Pattern>);

impl Filters {
    /// The filters of stored criteria (checked when they were set).
    pub(crate) fn of(criteria: Option<&FilterCriteria>) -> Filters {
        let patterns = criteria
            .and_then(|c| c.filters.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|f| Pattern::parse(f.pattern.as_deref()?).ok())
            .collect();
        Filters(patterns)
    }

    /// Whether `record` goes to the function: no filters, or one matches.
    pub(crate) fn keep(&self, record: &Json) -> bool {
        self.0.is_empty() || self.0.iter().any(|pattern| pattern.matches(record))
    }
}

/// Refuses criteria Lambda refuses.
pub(crate) fn check(criteria: Option<&FilterCriteria>) -> Result<(), AwsError> {
    let filters = criteria.and_then(|c| c.filters.as_deref()).unwrap_or_default();
    if filters.len() > MOST_FILTERS {
        return Err(errors::invalid_parameter_value(format!(
            "The number of filters in the filter criteria exceeds the maximum of {MOST_FILTERS}."
        )));
    }
    for filter in filters {
        let valid = filter
            .pattern
            .as_deref()
            .is_some_and(|text| Pattern::parse(text).is_ok());
        if !valid {
            return Err(errors::invalid_parameter_value(
                "Invalid filter pattern definition.",
            ));
        }
    }
    Ok(())
}

/// An SQS record as filters see it: a body that is a JSON object is
/// matched by its fields.
pub(crate) fn sqs_view(mut record: Json) -> Json {
    let parsed = record["body"]
        .as_str()
        .and_then(|body| serde_json::from_str::<Json>(body).ok())
        .filter(Json::is_object);
    if let Some(body) = parsed {
        record["body"] = body;
    }
    record
}
