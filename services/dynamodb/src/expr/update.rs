//! Applies UpdateExpression actions to an item. Every SET value is computed
//! from the item as it was before the update, as DynamoDB does.

use nimbus_core::AwsError;

use super::ExpressionKind;
use super::ast::{Operand, Path, PathElement, SetValue, UpdateAction};
use super::eval::resolve;
use crate::attribute::{AttributeValue, Item};
use crate::error::validation;

/// Rejects actions whose paths overlap (`a` and `a.b`, or `a` twice).
pub fn check_overlaps(actions: &[UpdateAction]) -> Result<(), AwsError> {
    let paths: Vec<&Path> = actions.iter().map(action_path).collect();
    check_paths_overlap(&paths, ExpressionKind::Update)
}

/// Rejects two paths of which one is a prefix of the other (or equal).
pub fn check_paths_overlap(paths: &[&Path], kind: ExpressionKind) -> Result<(), AwsError> {
    for (i, one) in paths.iter().enumerate() {
        for two in &paths[i + 1..] {
            let shared = one.0.len().min(two.0.len());
            if one.0[..shared] == two.0[..shared] {
                return Err(kind.error(format!(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    one.describe(),
                    two.describe()
                )));
            }
        }
    }
    Ok(())
}

pub fn action_path(action: &UpdateAction) -> &Path {
    match action {
        UpdateAction::Set(path, _)
        | UpdateAction::Remove(path)
        | UpdateAction::Add(path, _)
        | UpdateAction::Delete(path, _) => path,
    }
}

/// Checks operand types that do not depend on the item (ADD/DELETE values).
pub fn check_static_types(actions: &[UpdateAction]) -> Result<(), AwsError> {
    for action in actions {
        match action {
            UpdateAction::Add(_, value)
                if !matches!(
                    value,
                    AttributeValue::N(_)
                        | AttributeValue::SS(_)
                        | AttributeValue::NS(_)
                        | AttributeValue::BS(_)
                ) =>
            {
                return Err(incorrect_operand("ADD", value));
            }
            UpdateAction::Delete(_, value)
                if !matches!(
                    value,
                    AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
                ) =>
            {
                return Err(incorrect_operand("DELETE", value));
            }
            _ => {}
        }
    }
    Ok(())
}

fn incorrect_operand(operator: &str, value: &AttributeValue) -> AwsError {
    ExpressionKind::Update.error(format!(
        "Incorrect operand type for operator or function; operator: {operator}, operand type: {}",
        type_word(value)
    ))
}

/// DynamoDB's long type names, used in operand-type messages.
fn type_word(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::L(_) => "LIST",
        AttributeValue::M(_) => "MAP",
        AttributeValue::SS(_) => "STRING SET",
        AttributeValue::NS(_) => "NUMBER SET",
        AttributeValue::BS(_) => "BINARY SET",
    }
}

fn wrong_type() -> AwsError {
    validation("An operand in the update expression has an incorrect data type")
}

fn invalid_path() -> AwsError {
    validation("The document path provided in the update expression is invalid for update")
}

fn compute(value: &SetValue, old: &Item) -> Result<AttributeValue, AwsError> {
    Ok(match value {
        SetValue::Operand(Operand::Value(v)) => v.clone(),
        SetValue::Operand(Operand::Path(path)) => resolve(old, path).cloned().ok_or_else(|| {
            validation("The provided expression refers to an attribute that does not exist in the item")
        })?,
        SetValue::Operand(Operand::Size(_)) => return Err(wrong_type()),
        SetValue::IfNotExists(path, fallback) => match resolve(old, path) {
            Some(existing) => existing.clone(),
            None => compute(fallback, old)?,
        },
        SetValue::ListAppend(a, b) => match (compute(a, old)?, compute(b, old)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                AttributeValue::L(a)
            }
            _ => return Err(wrong_type()),
        },
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => match (compute(a, old)?, compute(b, old)?) {
            (AttributeValue::N(a), AttributeValue::N(b)) => {
                let b = if matches!(value, SetValue::Minus(..)) {
                    b.negate()
                } else {
                    b
                };
                AttributeValue::N(a.add(&b)?)
            }
            _ => return Err(wrong_type()),
        },
    })
}

/// Applies `actions` to `item` in place.
pub fn apply(actions: &[UpdateAction], item: &mut Item) -> Result<(), AwsError> {
    let old = item.clone();
    // Values first (from the old item), then writes, so order inside SET does not matter.
    let mut removals: Vec<&Path> = Vec::new();
    for action in actions {
        match action {
            UpdateAction::Set(path, value) => {
                let value = compute(value, &old)?;
                assign(item, path, value)?;
            }
            UpdateAction::Remove(path) => removals.push(path),
            UpdateAction::Add(path, value) => {
                let merged = match (resolve(&old, path), value) {
                    (None, v) => v.clone(),
                    (Some(AttributeValue::N(a)), AttributeValue::N(b)) => AttributeValue::N(a.add(b)?),
                    (Some(AttributeValue::SS(a)), AttributeValue::SS(b)) => AttributeValue::SS(union(a, b)),
                    (Some(AttributeValue::NS(a)), AttributeValue::NS(b)) => AttributeValue::NS(union(a, b)),
                    (Some(AttributeValue::BS(a)), AttributeValue::BS(b)) => AttributeValue::BS(union(a, b)),
                    (Some(existing), _) => return Err(incorrect_operand("ADD", existing)),
                };
                assign(item, path, merged)?;
            }
            UpdateAction::Delete(path, value) => {
                let remaining = match (resolve(&old, path), value) {
                    (None, _) => continue,
                    (Some(AttributeValue::SS(a)), AttributeValue::SS(b)) => {
                        difference(a, b).map(AttributeValue::SS)
                    }
                    (Some(AttributeValue::NS(a)), AttributeValue::NS(b)) => {
                        difference(a, b).map(AttributeValue::NS)
                    }
                    (Some(AttributeValue::BS(a)), AttributeValue::BS(b)) => {
                        difference(a, b).map(AttributeValue::BS)
                    }
                    (Some(existing), _) => return Err(incorrect_operand("DELETE", existing)),
                };
                match remaining {
                    Some(value) => assign(item, path, value)?,
                    None => remove(item, path),
                }
            }
        }
    }
    // List elements go highest index first, so earlier removals do not shift later ones.
    removals.sort_by(|a, b| b.0.cmp_indexes(&a.0));
    for path in removals {
        remove(item, path);
    }
    Ok(())
}

trait IndexOrder {
    fn cmp_indexes(&self, other: &Self) -> std::cmp::Ordering;
}

impl IndexOrder for Vec<PathElement> {
    fn cmp_indexes(&self, other: &Self) -> std::cmp::Ordering {
        let key = |p: &Vec<PathElement>| {
            p.iter()
                .map(|e| match e {
                    PathElement::Index(i) => *i,
                    PathElement::Name(_) => 0,
                })
                .collect::<Vec<_>>()
        };
        key(self).cmp(&key(other))
    }
}

fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    for v in b {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

fn difference<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let out: Vec<T> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
    if out.is_empty() { None } else { Some(out) }
}

fn assign(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), AwsError> {
    let (last, parents) = path.0.split_last().ok_or_else(invalid_path)?;
    let Some((first, middle)) = parents.split_first() else {
        return match last {
            PathElement::Name(name) => {
                item.insert(name.clone(), value);
                Ok(())
            }
            PathElement::Index(_) => Err(invalid_path()),
        };
    };
    let PathElement::Name(root) = first else {
        return Err(invalid_path());
    };
    let mut current = item.get_mut(root).ok_or_else(invalid_path)?;
    for element in middle {
        current = match (element, current) {
            (PathElement::Name(name), AttributeValue::M(map)) => {
                map.get_mut(name).ok_or_else(invalid_path)?
            }
            (PathElement::Index(i), AttributeValue::L(list)) => list.get_mut(*i).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    match (last, current) {
        (PathElement::Name(name), AttributeValue::M(map)) => {
            map.insert(name.clone(), value);
        }
        (PathElement::Index(i), AttributeValue::L(list)) => {
            // Past the end appends, as DynamoDB does.
            if *i < list.len() {
                list[*i] = value;
            } else {
                list.push(value);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

fn remove(item: &mut Item, path: &Path) {
    let Some((last, parents)) = path.0.split_last() else {
        return;
    };
    let Some((first, middle)) = parents.split_first() else {
        if let PathElement::Name(name) = last {
            item.shift_remove(name);
        }
        return;
    };
    let PathElement::Name(root) = first else { return };
    let Some(mut current) = item.get_mut(root) else {
        return;
    };
    for element in middle {
        let next = match (element, current) {
            (PathElement::Name(name), AttributeValue::M(map)) => map.get_mut(name),
            (PathElement::Index(i), AttributeValue::L(list)) => list.get_mut(*i),
            _ => None,
        };
        let Some(next) = next else { return };
        current = next;
    }
    match (last, current) {
        (PathElement::Name(name), AttributeValue::M(map)) => {
            map.shift_remove(name);
        }
        (PathElement::Index(i), AttributeValue::L(list)) if *i < list.len() => {
            list.remove(*i);
        }
        _ => {}
    }
}
