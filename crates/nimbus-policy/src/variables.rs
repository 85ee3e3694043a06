//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, the
//! special `${*}`, `${?}`, `${$}`, and defaults `${aws:username, 'anon'}`),
//! replaced in Resource and condition values by the request's values.

use crate::context::Context;
use crate::wildcard::{Token, tokens};

/// A value with its variables replaced, as pattern tokens; `None` when a
/// variable names a key the request lacks and gives no default (such a
/// value matches nothing).
pub(crate) fn resolve(template: &str, context: &Context) -> Option<Vec<Token>> {
    if !template.contains("${") {
        return Some(tokens(template));
    }
    let mut out = Vec::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.extend(tokens(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(tokens(&rest[start..]));
            return Some(out);
        };
        let value = variable(&after[..end], context)?;
        out.extend(value.chars().map(Token::Char));
        rest = &after[end + 1..];
    }
    out.extend(tokens(rest));
    Some(out)
}

/// The text a variable stands for (taken literally, wildcards included).
fn variable(inside: &str, context: &Context) -> Option<String> {
    let (name, default) = match inside.split_once(',') {
        Some((name, default)) => (name.trim(), Some(unquote(default.trim()))),
        None => (inside.trim(), None),
    };
    match name {
        "*" | "?" | "$" => return Some(name.to_owned()),
        _ => {}
    }
    match context.first(name) {
        Some(value) => Some(value.to_owned()),
        None => default.map(str::to_owned),
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or(text)
}

/// Pattern tokens back to plain text (for exact comparisons).
pub(crate) fn plain(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Char(c) => *c,
            Token::Any => '*',
            Token::One => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context::new();
        c.set("aws:username", "alice");
        c
    }

    #[test]
    fn replaces_known_keys_and_defaults() {
        let r = resolve("arn:aws:s3:::b/${aws:username}/*", &ctx()).unwrap();
        assert_eq!(plain(&r), "arn:aws:s3:::b/alice/*");
        let d = resolve("${aws:PrincipalTag/team, 'none'}", &ctx()).unwrap();
        assert_eq!(plain(&d), "none");
        assert!(resolve("${aws:PrincipalTag/team}", &ctx()).is_none());
    }

    #[test]
    fn special_characters_stay_literal() {
        let r = resolve("a${*}b", &ctx()).unwrap();
        assert_eq!(r, vec![Token::Char('a'), Token::Char('*'), Token::Char('b')]);
    }
}
