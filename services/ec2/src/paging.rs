//! Describe* pages: MaxResults (5 to 1000) and a NextToken of the offset.

use nimbus_core::AwsError;

use crate::errors;

pub fn page<T>(
    items: Vec<T>,
    token: Option<&str>,
    max: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let Some(max) = max else {
        return Ok((items, None));
    };
    if !(5..=1000).contains(&max) {
        return Err(errors::invalid_parameter(format!(
            "Value ( {max} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000."
        )));
    }
    let start = match token {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| errors::client("InvalidNextToken", "The token is invalid"))?,
    };
    let max = usize::try_from(max).unwrap_or(1000);
    let next = (start + max < items.len()).then(|| (start + max).to_string());
    Ok((items.into_iter().skip(start).take(max).collect(), next))
}
