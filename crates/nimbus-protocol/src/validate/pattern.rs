//! The `pattern` constraint. Model patterns are Java regular expressions that
//! AWS matches against the whole value; `regex-lite` understands most of them.
//! A pattern it cannot compile (look-around, `\p{L}`, surrogate escapes) is
//! left unchecked rather than risk rejecting input AWS would accept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_lite::Regex;

/// Compiled patterns by source text; `None` records a pattern we skip.
type Cache = HashMap<String, Option<Arc<Regex>>>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn compiled(pattern: &str) -> Option<Arc<Regex>> {
    // A panic elsewhere while holding the lock leaves the cache valid.
    let mut cache = cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = cache.get(pattern) {
        return known.clone();
    }
    let regex = Regex::new(&format!("^(?:{pattern})$")).ok().map(Arc::new);
    cache.insert(pattern.to_owned(), regex.clone());
    regex
}

/// Whether `value` satisfies `pattern`; `true` when the pattern is one we skip.
pub fn matches(pattern: &str, value: &str) -> bool {
    compiled(pattern).is_none_or(|regex| regex.is_match(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_whole_value() {
        assert!(matches("[a-zA-Z0-9_.-]+", "my-table_1"));
        assert!(!matches("[a-zA-Z0-9_.-]+", "my table"));
        assert!(!matches("[a-z]+", "abc1"));
        assert!(matches(r"[\w+=,.@-]+", "user@example.com"));
    }

    #[test]
    fn patterns_it_cannot_compile_are_not_enforced() {
        assert!(matches(r"^(?!\s*$).+", "   "));
        assert!(matches(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "!!!"));
    }
}
