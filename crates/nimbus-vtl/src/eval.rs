//! Rendering a template with its variables.

use std::collections::HashMap;

use crate::parse::{Access, Expr, Node, Op, Reference, Template};
use crate::value::Value;

/// How many loop iterations a render may make at most: a template cannot
/// hang the service.
const MOST_ITERATIONS: usize = 100_000;

/// Renders `template` with `variables` (`$name` → value).
pub fn render(template: &Template, variables: HashMap<String, Value>) -> String {
    let mut renderer = Renderer {
        variables,
        out: String::new(),
        iterations: 0,
    };
    let _ = renderer.nodes(&template.nodes);
    renderer.out
}

struct Renderer {
    variables: HashMap<String, Value>,
    out: String,
    iterations: usize,
}

/// How a block ended: run through, or cut by `#break`.
enum Flow {
    Done,
    Break,
}

impl Renderer {
    fn nodes(&mut self, nodes: &[Node]) -> Flow {
        for node in nodes {
            if let Flow::Break = self.node(node) {
                return Flow::Break;
            }
        }
        Flow::Done
    }

    fn node(&mut self, node: &Node) -> Flow {
        match node {
            Node::Text(text) => self.out.push_str(text),
            Node::Ref {
                reference,
                quiet,
                raw,
            } => match self.resolve(reference) {
                Some(value) if !matches!(value, Value::Null) => self.out.push_str(&value.render()),
                _ if *quiet => {}
                _ => self.out.push_str(raw),
            },
            Node::Set(target, expr) => {
                let value = self.eval(expr);
                self.assign(target, value);
            }
            Node::If(branches, otherwise) => {
                let chosen = branches
                    .iter()
                    .find(|(condition, _)| self.eval(condition).truthy())
                    .map(|(_, body)| body);
                return self.nodes(chosen.unwrap_or(otherwise));
            }
            Node::Foreach { name, items, body } => self.foreach(name, items, body),
            Node::Break => return Flow::Break,
        }
        Flow::Done
    }

    fn foreach(&mut self, name: &str, items: &Expr, body: &[Node]) {
        let items = match self.eval(items) {
            Value::List(items) => items,
            Value::Map(entries) => entries.into_iter().map(|(_, v)| v).collect(),
            _ => Vec::new(),
        };
        let saved = (
            self.variables.get(name).cloned(),
            self.variables.get("foreach").cloned(),
            self.variables.get("velocityCount").cloned(),
        );
        let count = items.len();
        for (index, item) in items.into_iter().enumerate() {
            self.iterations += 1;
            if self.iterations > MOST_ITERATIONS {
                break;
            }
            self.variables.insert(name.to_owned(), item);
            let state = Value::Map(vec![
                ("index".into(), Value::Int(index as i64)),
                ("count".into(), Value::Int(index as i64 + 1)),
                ("hasNext".into(), Value::Bool(index + 1 < count)),
                ("first".into(), Value::Bool(index == 0)),
                ("last".into(), Value::Bool(index + 1 == count)),
            ]);
            self.variables.insert("foreach".into(), state);
            self.variables
                .insert("velocityCount".into(), Value::Int(index as i64 + 1));
            if let Flow::Break = self.nodes(body) {
                break;
            }
        }
        for (key, value) in [(name, saved.0), ("foreach", saved.1), ("velocityCount", saved.2)] {
            match value {
                Some(value) => self.variables.insert(key.to_owned(), value),
                None => self.variables.remove(key),
            };
        }
    }

    /// `#set($a = ...)`, `#set($a.b = ...)`: the root variable or a key of
    /// the map it holds.
    fn assign(&mut self, target: &Reference, value: Value) {
        match target.chain.as_slice() {
            [] => {
                self.variables.insert(target.root.clone(), value);
            }
            [Access::Property(key)] => {
                if let Some(Value::Map(entries)) = self.variables.get_mut(&target.root) {
                    put(entries, key, value);
                }
            }
            _ => {}
        }
    }

    fn resolve(&mut self, reference: &Reference) -> Option<Value> {
        // Methods that change a variable's list or map in place.
        if let [Access::Method(method, args)] = reference.chain.as_slice()
            && matches!(method.as_str(), "put" | "add" | "remove" | "putAll" | "addAll")
        {
            let args: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
            let variable = self.variables.get_mut(&reference.root)?;
            return mutate(variable, method, &args);
        }
        let mut value = self.variables.get(&reference.root).cloned()?;
        for access in &reference.chain {
            value = match access {
                Access::Property(name) => property(&value, name)?,
                Access::Method(name, args) => {
                    let args: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
                    call(&value, name, &args)?
                }
                Access::Index(index) => {
                    let index = self.eval(index);
                    index_of(&value, &index)?
                }
            };
        }
        Some(value)
    }

    fn eval(&mut self, expr: &Expr) -> Value {
        match expr {
            Expr::Literal(value) => value.clone(),
            Expr::Interpolated(nodes) => {
                let outer = std::mem::take(&mut self.out);
                let _ = self.nodes(nodes);
                Value::String(std::mem::replace(&mut self.out, outer))
            }
            Expr::Ref(reference) => self.resolve(reference).unwrap_or(Value::Null),
            Expr::List(items) => match items.as_slice() {
                [Expr::Range(from, to)] => {
                    let (from, to) = (self.eval(from).number(), self.eval(to).number());
                    let (Some(from), Some(to)) = (from, to) else {
                        return Value::List(Vec::new());
                    };
                    let (from, to) = (from as i64, to as i64);
                    let range: Vec<Value> = if from <= to {
                        (from..=to).take(MOST_ITERATIONS).map(Value::Int).collect()
                    } else {
                        (to..=from).rev().take(MOST_ITERATIONS).map(Value::Int).collect()
                    };
                    Value::List(range)
                }
                _ => Value::List(items.iter().map(|i| self.eval(i)).collect()),
            },
            Expr::Range(from, _) => self.eval(from),
            Expr::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (self.eval(k).render(), self.eval(v)))
                    .collect(),
            ),
            Expr::Not(inner) => Value::Bool(!self.eval(inner).truthy()),
            Expr::Negate(inner) => match self.eval(inner) {
                Value::Int(i) => Value::Int(-i),
                Value::Float(f) => Value::Float(-f),
                _ => Value::Null,
            },
            Expr::Binary(op, left, right) => {
                let left = self.eval(left);
                // `&&` and `||` decide on the left when they can.
                match (op, left.truthy()) {
                    (Op::And, false) => return Value::Bool(false),
                    (Op::Or, true) => return Value::Bool(true),
                    _ => {}
                }
                let right = self.eval(right);
                binary(*op, &left, &right)
            }
        }
    }
}

fn put(entries: &mut Vec<(String, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key.to_owned(), value)),
    }
}

fn mutate(variable: &mut Value, method: &str, args: &[Value]) -> Option<Value> {
    match (variable, method, args) {
        (Value::Map(entries), "put", [key, value]) => {
            let previous = entries
                .iter()
                .find(|(k, _)| *k == key.render())
                .map(|(_, v)| v.clone());
            put(entries, &key.render(), value.clone());
            Some(previous.unwrap_or(Value::Null))
        }
        (Value::Map(entries), "remove", [key]) => {
            let at = entries.iter().position(|(k, _)| *k == key.render())?;
            Some(entries.remove(at).1)
        }
        (Value::List(items), "add", [item]) => {
            items.push(item.clone());
            Some(Value::Bool(true))
        }
        (Value::List(items), "addAll", [Value::List(more)]) => {
            items.extend(more.iter().cloned());
            Some(Value::Bool(true))
        }
        (Value::List(items), "remove", [Value::Int(index)]) => {
            let index = usize::try_from(*index).ok().filter(|i| *i < items.len())?;
            Some(items.remove(index))
        }
        _ => None,
    }
}

fn property(value: &Value, name: &str) -> Option<Value> {
    if let Some(found) = value.get(name) {
        return Some(found);
    }
    // `$a.size` reads `size()`, `$a.empty` reads `isEmpty()` and so on.
    call(value, name, &[]).or_else(|| {
        let getter = format!("get{}{}", name.get(..1)?.to_uppercase(), name.get(1..)?);
        call(value, &getter, &[])
    })
}

fn index_of(value: &Value, index: &Value) -> Option<Value> {
    match (value, index) {
        (Value::List(items), Value::Int(i)) => {
            let i = if *i < 0 { items.len() as i64 + i } else { *i };
            items.get(usize::try_from(i).ok()?).cloned()
        }
        (_, key) => value.get(&key.render()),
    }
}

fn int_arg(args: &[Value], at: usize) -> Option<usize> {
    args.get(at)?
        .number()
        .and_then(|n| usize::try_from(n as i64).ok())
}

/// Methods of strings, lists and maps (as Java's), and of host objects.
fn call(value: &Value, name: &str, args: &[Value]) -> Option<Value> {
    if let Value::Host(host) = value {
        return host.call(name, args);
    }
    let arg = |i: usize| args.get(i).map(Value::render).unwrap_or_default();
    Some(match (value, name) {
        (Value::String(s), "length") => Value::Int(s.chars().count() as i64),
        (Value::String(s), "toLowerCase") => Value::String(s.to_lowercase()),
        (Value::String(s), "toUpperCase") => Value::String(s.to_uppercase()),
        (Value::String(s), "trim") => Value::String(s.trim().to_owned()),
        (Value::String(s), "contains") => Value::Bool(s.contains(&arg(0))),
        (Value::String(s), "startsWith") => Value::Bool(s.starts_with(&arg(0))),
        (Value::String(s), "endsWith") => Value::Bool(s.ends_with(&arg(0))),
        (Value::String(s), "equals") => Value::Bool(*s == arg(0)),
        (Value::String(s), "equalsIgnoreCase") => Value::Bool(s.to_lowercase() == arg(0).to_lowercase()),
        (Value::String(s), "indexOf") => {
            Value::Int(s.find(&arg(0)).map_or(-1, |i| s[..i].chars().count() as i64))
        }
        (Value::String(s), "replace" | "replaceAll") => Value::String(s.replace(&arg(0), &arg(1))),
        (Value::String(s), "split") => Value::List(
            s.split(arg(0).as_str())
                .map(|p| Value::String(p.to_owned()))
                .collect(),
        ),
        (Value::String(s), "isEmpty") => Value::Bool(s.is_empty()),
        (Value::String(s), "toString") => Value::String(s.clone()),
        (Value::String(s), "charAt") => Value::String(s.chars().nth(int_arg(args, 0)?)?.to_string()),
        (Value::String(s), "substring") => {
            let chars: Vec<char> = s.chars().collect();
            let from = int_arg(args, 0)?.min(chars.len());
            let to = int_arg(args, 1).unwrap_or(chars.len()).min(chars.len());
            Value::String(chars.get(from..to.max(from))?.iter().collect())
        }
        (Value::List(items), "size") => Value::Int(items.len() as i64),
        (Value::List(items), "isEmpty") => Value::Bool(items.is_empty()),
        (Value::List(items), "get") => items.get(int_arg(args, 0)?)?.clone(),
        (Value::List(items), "contains") => Value::Bool(args.first().is_some_and(|a| items.contains(a))),
        (Value::Map(entries), "size") => Value::Int(entries.len() as i64),
        (Value::Map(entries), "isEmpty") => Value::Bool(entries.is_empty()),
        (Value::Map(_), "get") => value.get(&arg(0)).unwrap_or(Value::Null),
        (Value::Map(entries), "containsKey") => Value::Bool(entries.iter().any(|(k, _)| *k == arg(0))),
        (Value::Map(entries), "keySet") => {
            Value::List(entries.iter().map(|(k, _)| Value::String(k.clone())).collect())
        }
        (Value::Map(entries), "values") => Value::List(entries.iter().map(|(_, v)| v.clone()).collect()),
        (Value::Map(entries), "entrySet") => Value::List(
            entries
                .iter()
                .map(|(k, v)| {
                    Value::Map(vec![
                        ("key".into(), Value::String(k.clone())),
                        ("value".into(), v.clone()),
                    ])
                })
                .collect(),
        ),
        (value, "toString") => Value::String(value.render()),
        _ => return None,
    })
}

/// Velocity's `==`: equal values, or (but for null) equal text.
fn equal(left: &Value, right: &Value) -> bool {
    let null = matches!(left, Value::Null) || matches!(right, Value::Null);
    left == right || (!null && left.render() == right.render())
}

fn binary(op: Op, left: &Value, right: &Value) -> Value {
    let numbers = left.number().zip(right.number());
    let ints = match (left, right) {
        (Value::Int(a), Value::Int(b)) => Some((*a, *b)),
        _ => None,
    };
    match op {
        Op::Or => Value::Bool(left.truthy() || right.truthy()),
        Op::And => Value::Bool(left.truthy() && right.truthy()),
        Op::Eq => Value::Bool(equal(left, right)),
        Op::Ne => Value::Bool(!equal(left, right)),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ordering = match numbers {
                Some((a, b)) => a.partial_cmp(&b),
                None => Some(left.render().cmp(&right.render())),
            };
            let Some(ordering) = ordering else {
                return Value::Bool(false);
            };
            Value::Bool(match op {
                Op::Lt => ordering.is_lt(),
                Op::Le => ordering.is_le(),
                Op::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        Op::Add => match (ints, numbers) {
            (Some((a, b)), _) => Value::Int(a.wrapping_add(b)),
            (None, Some((a, b))) => Value::Float(a + b),
            _ => Value::String(left.render() + &right.render()),
        },
        Op::Sub | Op::Mul | Op::Div | Op::Rem => match (ints, numbers) {
            (Some((_, 0)), _) if matches!(op, Op::Div | Op::Rem) => Value::Null,
            (Some((a, b)), _) => Value::Int(match op {
                Op::Sub => a.wrapping_sub(b),
                Op::Mul => a.wrapping_mul(b),
                Op::Div => a / b,
                _ => a % b,
            }),
            (None, Some((a, b))) => Value::Float(match op {
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                _ => a % b,
            }),
            _ => Value::Null,
        },
    }
}
