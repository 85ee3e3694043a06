//! Describe pages: `PageSize` items from where `Marker` says, the marker
//! being the position of the next item.

use nimbus_core::AwsError;

use crate::errors;

pub fn page<T>(
    items: Vec<T>,
    marker: Option<&str>,
    page_size: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let size = match page_size {
        None => 400,
        Some(n @ 1..=400) => usize::try_from(n).unwrap_or(400),
        Some(n) => {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{n}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400"
            )));
        }
    };
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| errors::validation("The marker is not valid"))?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let end = start.saturating_add(size);
    let next = (end < total).then(|| end.to_string());
    Ok((page, next))
}
