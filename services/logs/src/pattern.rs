//! Filter patterns, as FilterLogEvents reads them.
//!
//! For text events: terms that must all appear (case-sensitive, anywhere),
//! `"quoted phrases"`, `-term` that must not appear, `?term` of which one
//! must appear, and `%regular expression%`. For JSON events, `{ ... }`:
//! selectors (`$.a.b[0]`) compared with `=`/`!=` (strings, `*` wildcards)
//! and `<`/`>`/`<=`/`>=` (numbers), `IS NULL`, `NOT EXISTS`, `IS TRUE`,
//! `IS FALSE`, joined by `&&` and `||` with parentheses.

use nimbus_core::AwsError;
use nimbus_logs_api::errors;
use serde_json::Value as Json;

mod json;

pub use json::Condition;

/// A parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Everything,
    Terms(Terms),
    Json(Condition),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    required: Vec<Term>,
    excluded: Vec<Term>,
    any_of: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    Text(String),
    Regex(regex_lite::Regex),
}

impl PartialEq for Term {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Term::Text(a), Term::Text(b)) => a == b,
            (Term::Regex(a), Term::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Term {
    fn found_in(&self, message: &str) -> bool {
        match self {
            Term::Text(text) => message.contains(text.as_str()),
            Term::Regex(regex) => regex.is_match(message),
        }
    }
}

pub fn invalid(pattern: &str) -> AwsError {
    errors::invalid_parameter(format!("Invalid filter pattern: {pattern}"))
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, AwsError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Pattern::Everything);
        }
        if trimmed.starts_with('{') {
            return json::parse(trimmed)
                .map(Pattern::Json)
                .ok_or_else(|| invalid(text));
        }
        if trimmed.starts_with('[') {
            return Err(errors::invalid_parameter(
                "nimbus does not read space-delimited filter patterns ([...]) yet",
            ));
        }
        parse_terms(trimmed)
            .map(Pattern::Terms)
            .ok_or_else(|| invalid(text))
    }

    pub fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::Everything => true,
            Pattern::Terms(terms) => {
                terms.required.iter().all(|t| t.found_in(message))
                    && !terms.excluded.iter().any(|t| t.found_in(message))
                    && (terms.any_of.is_empty() || terms.any_of.iter().any(|t| t.found_in(message)))
            }
            Pattern::Json(condition) => match serde_json::from_str::<Json>(message) {
                Ok(document) => condition.holds(&document),
                Err(_) => false,
            },
        }
    }
}

/// Splits text terms: words, "quoted phrases" and %regexes%, each perhaps
/// marked `-` or `?`.
fn parse_terms(text: &str) -> Option<Terms> {
    let mut terms = Terms::default();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (mark, after_mark) = match rest.as_bytes()[0] {
            b'-' => (Some('-'), &rest[1..]),
            b'?' => (Some('?'), &rest[1..]),
            _ => (None, rest),
        };
        let (term, remaining) = read_term(after_mark)?;
        match mark {
            Some('-') => terms.excluded.push(term),
            Some(_) => terms.any_of.push(term),
            None => terms.required.push(term),
        }
        rest = remaining.trim_start();
    }
    Some(terms)
}

fn read_term(text: &str) -> Option<(Term, &str)> {
    for (quote, regex) in [('"', false), ('%', true)] {
        if let Some(inner) = text.strip_prefix(quote) {
            let end = inner.find(quote)?;
            let term = match regex {
                true => Term::Regex(regex_lite::Regex::new(&inner[..end]).ok()?),
                false => Term::Text(inner[..end].to_owned()),
            };
            return Some((term, &inner[end + 1..]));
        }
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (end > 0).then(|| (Term::Text(text[..end].to_owned()), &text[end..]))
}

#[cfg(test)]
mod tests;
