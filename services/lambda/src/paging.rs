//! One page of a short list (a function's versions, aliases, invoke
//! configurations): the marker is the position of the page's first item.

use nimbus_core::AwsError;
use nimbus_lambda_api::errors;

/// The page of `items` that starts at `marker`, at most `max_items` (1 to
/// `most`, 50 by default) long, and the marker of the next page.
pub fn page<T>(
    mut items: Vec<T>,
    marker: Option<&str>,
    max_items: Option<i32>,
    most: i32,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start: usize = match marker {
        None => 0,
        Some(marker) => marker.parse().map_err(|_| {
            errors::invalid_parameter_value(format!("The marker {marker} is not one nimbus gave."))
        })?,
    };
    let limit = usize::try_from(max_items.unwrap_or(50).clamp(1, most)).unwrap_or(50);
    let end = (start.saturating_add(limit)).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    items.truncate(end);
    let page = items.into_iter().skip(start).collect();
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_their_markers() {
        let (first, next) = page(vec![1, 2, 3], None, Some(2), 50).unwrap();
        assert_eq!((first, next.as_deref()), (vec![1, 2], Some("2")));
        let (second, next) = page(vec![1, 2, 3], Some("2"), Some(2), 50).unwrap();
        assert_eq!((second, next), (vec![3], None));
        assert!(page(vec![1], Some("x"), None, 50).is_err());
        assert_eq!(
            page(vec![1, 2], Some("9"), None, 50).unwrap().0,
            Vec::<i32>::new()
        );
    }
}
