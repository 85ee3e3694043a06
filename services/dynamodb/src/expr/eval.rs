//! Evaluates parsed conditions against an item (absent for a missing item).

use std::cmp::Ordering;

use super::ast::{Comparator, Condition, Operand, Path, PathElement};
use crate::attribute::{AttributeValue, Item};
use crate::number::Number;

/// The value at `path` in `item`, if every step exists.
pub fn resolve<'i>(item: &'i Item, path: &Path) -> Option<&'i AttributeValue> {
    let mut elements = path.0.iter();
    let mut current = match elements.next()? {
        PathElement::Name(name) => item.get(name)?,
        PathElement::Index(_) => return None,
    };
    for element in elements {
        current = match (element, current) {
            (PathElement::Name(name), AttributeValue::M(map)) => map.get(name)?,
            (PathElement::Index(i), AttributeValue::L(list)) => list.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn operand_value<'a>(item: &'a Item, operand: &'a Operand) -> Option<std::borrow::Cow<'a, AttributeValue>> {
    use std::borrow::Cow;
    match operand {
        Operand::Path(path) => resolve(item, path).map(Cow::Borrowed),
        Operand::Value(value) => Some(Cow::Borrowed(value)),
        Operand::Size(path) => {
            let size = match resolve(item, path)? {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                AttributeValue::L(l) => l.len(),
                AttributeValue::M(m) => m.len(),
                AttributeValue::SS(v) => v.len(),
                AttributeValue::NS(v) => v.len(),
                AttributeValue::BS(v) => v.len(),
                _ => return None,
            };
            Number::parse(&size.to_string())
                .ok()
                .map(|n| Cow::Owned(AttributeValue::N(n)))
        }
    }
}

/// Whether `condition` holds for `item` (an empty item when there is none).
pub fn evaluate(condition: &Condition, item: &Item) -> bool {
    match condition {
        Condition::Compare(left, comparator, right) => {
            let (left, right) = (operand_value(item, left), operand_value(item, right));
            match comparator {
                Comparator::Equal => matches!((&left, &right), (Some(a), Some(b)) if a.equals(b)),
                Comparator::NotEqual => !matches!((&left, &right), (Some(a), Some(b)) if a.equals(b)),
                ordering => {
                    let Some(order) = left.zip(right).and_then(|(a, b)| a.compare(&b)) else {
                        return false;
                    };
                    match ordering {
                        Comparator::Less => order == Ordering::Less,
                        Comparator::LessEqual => order != Ordering::Greater,
                        Comparator::Greater => order == Ordering::Greater,
                        _ => order != Ordering::Less,
                    }
                }
            }
        }
        Condition::Between(value, low, high) => {
            let (Some(value), Some(low), Some(high)) = (
                operand_value(item, value),
                operand_value(item, low),
                operand_value(item, high),
            ) else {
                return false;
            };
            value.compare(&low).is_some_and(|o| o != Ordering::Less)
                && value.compare(&high).is_some_and(|o| o != Ordering::Greater)
        }
        Condition::In(value, options) => {
            let Some(value) = operand_value(item, value) else {
                return false;
            };
            options
                .iter()
                .any(|option| operand_value(item, option).is_some_and(|o| value.equals(&o)))
        }
        Condition::Exists(path) => resolve(item, path).is_some(),
        Condition::NotExists(path) => resolve(item, path).is_none(),
        Condition::AttributeType(path, type_name) => {
            match (resolve(item, path), operand_value(item, type_name).as_deref()) {
                (Some(value), Some(AttributeValue::S(name))) => value.type_name() == name,
                _ => false,
            }
        }
        Condition::BeginsWith(value, prefix) => {
            match (
                operand_value(item, value).as_deref(),
                operand_value(item, prefix).as_deref(),
            ) {
                (Some(AttributeValue::S(s)), Some(AttributeValue::S(p))) => s.starts_with(p.as_str()),
                (Some(AttributeValue::B(s)), Some(AttributeValue::B(p))) => s.starts_with(p),
                _ => false,
            }
        }
        Condition::Contains(haystack, needle) => {
            let (Some(haystack), Some(needle)) = (operand_value(item, haystack), operand_value(item, needle))
            else {
                return false;
            };
            match (haystack.as_ref(), needle.as_ref()) {
                (AttributeValue::S(s), AttributeValue::S(n)) => s.contains(n.as_str()),
                (AttributeValue::B(s), AttributeValue::B(n)) => {
                    n.is_empty() || s.windows(n.len()).any(|w| w == n.as_slice())
                }
                (AttributeValue::SS(set), AttributeValue::S(n)) => set.contains(n),
                (AttributeValue::NS(set), AttributeValue::N(n)) => set.contains(n),
                (AttributeValue::BS(set), AttributeValue::B(n)) => set.contains(n),
                (AttributeValue::L(list), n) => list.iter().any(|v| v.equals(n)),
                _ => false,
            }
        }
        Condition::And(a, b) => evaluate(a, item) && evaluate(b, item),
        Condition::Or(a, b) => evaluate(a, item) || evaluate(b, item),
        Condition::Not(a) => !evaluate(a, item),
    }
}

/// Keeps only the attributes at `paths` (ProjectionExpression), nested paths included.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for path in paths {
        let Some(value) = resolve(item, path) else {
            continue;
        };
        insert_projected(&mut out, &path.0, value.clone());
    }
    out
}

fn insert_projected(out: &mut Item, elements: &[PathElement], value: AttributeValue) {
    let Some(PathElement::Name(root)) = elements.first() else {
        return;
    };
    if elements.len() == 1 {
        out.insert(root.clone(), value);
        return;
    }
    // Rebuild only the branch that leads to the projected value.
    let rest = &elements[1..];
    let slot = out.entry(root.clone()).or_insert_with(|| match rest[0] {
        PathElement::Name(_) => AttributeValue::M(Item::new()),
        PathElement::Index(_) => AttributeValue::L(Vec::new()),
    });
    insert_into(slot, rest, value);
}

fn insert_into(slot: &mut AttributeValue, elements: &[PathElement], value: AttributeValue) {
    let Some(first) = elements.first() else { return };
    let last = elements.len() == 1;
    match (first, slot) {
        (PathElement::Name(name), AttributeValue::M(map)) => {
            if last {
                map.insert(name.clone(), value);
            } else {
                let next = map.entry(name.clone()).or_insert_with(|| empty_for(&elements[1]));
                insert_into(next, &elements[1..], value);
            }
        }
        (PathElement::Index(_), AttributeValue::L(list)) => {
            // Projected list elements keep their relative order, compacted.
            if last {
                list.push(value);
            } else {
                list.push(empty_for(&elements[1]));
                if let Some(next) = list.last_mut() {
                    insert_into(next, &elements[1..], value);
                }
            }
        }
        _ => {}
    }
}

fn empty_for(element: &PathElement) -> AttributeValue {
    match element {
        PathElement::Name(_) => AttributeValue::M(Item::new()),
        PathElement::Index(_) => AttributeValue::L(Vec::new()),
    }
}
