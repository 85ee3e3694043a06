//! Describe* filters: a resource matches when every filter has a value
//! that one of the resource's values for that name matches (`*` and `?`
//! as wildcards); `tag:<key>` reads its tags, `tag-key` their keys.

use nimbus_core::AwsError;
use nimbus_ec2_api::{Filter, Tag};

use crate::errors;

/// A resource's values for a filter name (`None`: the name is unknown).
pub type Values<'r> = Box<dyn Fn(&str) -> Option<Vec<String>> + 'r>;

fn glob(pattern: &str, text: &str) -> bool {
    fn walk(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| walk(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && walk(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && walk(rest, &t[1..]),
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    walk(&p, &t)
}

/// The values of `tags` a tag filter reads.
pub fn tag_values(tags: Option<&Vec<Tag>>, name: &str) -> Option<Vec<String>> {
    let tags = tags.map(Vec::as_slice).unwrap_or_default();
    if name == "tag-key" {
        return Some(tags.iter().filter_map(|t| t.key.clone()).collect());
    }
    if name == "tag-value" {
        return Some(tags.iter().filter_map(|t| t.value.clone()).collect());
    }
    let key = name.strip_prefix("tag:")?;
    Some(
        tags.iter()
            .filter(|t| t.key.as_deref() == Some(key))
            .filter_map(|t| t.value.clone())
            .collect(),
    )
}

/// Whether a resource (its values by filter name) passes every filter;
/// an unknown filter name is refused.
pub fn matches(filters: &[Filter], values: &Values<'_>) -> Result<bool, AwsError> {
    for filter in filters {
        let name = filter.name.as_deref().unwrap_or_default();
        let Some(have) = values(name) else {
            return Err(errors::invalid_parameter(format!(
                "The filter '{name}' is invalid"
            )));
        };
        let wanted = filter.values.as_deref().unwrap_or_default();
        if !wanted
            .iter()
            .any(|want| have.iter().any(|value| glob(want, value)))
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What a Describe* call lists of `all`: the resources `ids` names (an
/// id it does not know is refused with `missing`) that pass every filter.
pub fn select<T>(
    all: Vec<T>,
    ids: &[String],
    id_of: impl Fn(&T) -> Option<&String>,
    filters: &[Filter],
    values: impl for<'r> Fn(&'r T) -> Values<'r>,
    missing: impl Fn(&str) -> AwsError,
) -> Result<Vec<T>, AwsError> {
    if let Some(unknown) = ids.iter().find(|id| !all.iter().any(|r| id_of(r) == Some(*id))) {
        return Err(missing(unknown));
    }
    let mut chosen = Vec::new();
    for resource in all {
        let named = ids.is_empty() || id_of(&resource).is_some_and(|id| ids.contains(id));
        if named && matches(filters, &values(&resource))? {
            chosen.push(resource);
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(name: &str, values: &[&str]) -> Filter {
        Filter {
            name: Some(name.to_owned()),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    #[test]
    fn every_filter_needs_one_matching_value() {
        let tags = vec![Tag {
            key: Some("env".into()),
            value: Some("prod".into()),
        }];
        let values: Values<'_> = Box::new(move |name| match name {
            "vpc-id" => Some(vec!["vpc-1".into()]),
            other => tag_values(Some(&tags), other),
        });
        assert!(matches(&[filter("vpc-id", &["vpc-2", "vpc-1"])], &values).unwrap());
        assert!(
            matches(
                &[filter("vpc-id", &["vpc-*"]), filter("tag:env", &["pr?d"])],
                &values
            )
            .unwrap()
        );
        assert!(!matches(&[filter("tag:env", &["dev"])], &values).unwrap());
        assert!(matches(&[filter("tag-key", &["env"])], &values).unwrap());
        assert_eq!(
            matches(&[filter("colour", &["x"])], &values).unwrap_err().code,
            "InvalidParameterValue"
        );
    }
}
