//! API Gateway's pages: `limit` items (25 by default, 500 at most) after
//! the `position` a previous page gave.

use nimbus_apigateway_api::errors;
use nimbus_core::AwsError;

const DEFAULT_LIMIT: i32 = 25;
const MOST: i32 = 500;

/// One page of `items` and the position of the next, if there is one.
pub fn page<T>(
    items: Vec<T>,
    position: Option<&str>,
    limit: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MOST).contains(&limit) {
        return Err(errors::bad_request(format!(
            "Invalid limit: {limit}. Must be between 1 and {MOST}"
        )));
    }
    let start = match position {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| errors::bad_request("Invalid position parameter"))?,
    };
    let limit = usize::try_from(limit).unwrap_or(25);
    let next = (start + limit < items.len()).then(|| (start + limit).to_string());
    Ok((items.into_iter().skip(start).take(limit).collect(), next))
}
