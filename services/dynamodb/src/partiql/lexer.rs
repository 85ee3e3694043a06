//! PartiQL's tokens: words, quoted names, strings, numbers, `?`
//! parameters and symbols.

use nimbus_core::AwsError;

use crate::error::validation;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Quoted(String),
    Str(String),
    Number(String),
    Param,
    Symbol(&'static str),
    End,
}

pub(super) fn malformed(detail: impl std::fmt::Display) -> AwsError {
    validation(format!(
        "Statement wasn't well formed, can't be processed: {detail}"
    ))
}

pub(super) fn tokenize(source: &str) -> Result<Vec<Token>, AwsError> {
    const SYMBOLS: &[&str] = &[
        "<<", ">>", "<=", ">=", "<>", "!=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "=", "<", ">", "+",
        "-", "*",
    ];
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let c = bytes[pos];
        if c.is_ascii_whitespace() {
            pos += 1;
            continue;
        }
        if c == b'\'' || c == b'"' {
            // Quotes inside are doubled: 'it''s'.
            let mut text = String::new();
            let mut end = pos + 1;
            loop {
                let Some(ch) = source[end..].chars().next() else {
                    return Err(malformed("Unterminated quoted text"));
                };
                if ch as u32 == u32::from(c) {
                    if bytes.get(end + 1) == Some(&c) {
                        text.push(ch);
                        end += 2;
                        continue;
                    }
                    break;
                }
                text.push(ch);
                end += ch.len_utf8();
            }
            tokens.push(if c == b'\'' {
                Token::Str(text)
            } else {
                Token::Quoted(text)
            });
            pos = end + 1;
            continue;
        }
        if c == b'?' {
            tokens.push(Token::Param);
            pos += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = pos;
            while end < bytes.len()
                && (bytes[end].is_ascii_digit() || matches!(bytes[end], b'.' | b'e' | b'E'))
                || (end > pos
                    && matches!(bytes[end - 1], b'e' | b'E')
                    && matches!(bytes.get(end), Some(b'-' | b'+')))
            {
                end += 1;
            }
            tokens.push(Token::Number(source[pos..end].to_owned()));
            pos = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut end = pos;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            tokens.push(Token::Word(source[pos..end].to_owned()));
            pos = end;
            continue;
        }
        let Some(symbol) = SYMBOLS.iter().find(|s| source[pos..].starts_with(**s)) else {
            let ch = source[pos..].chars().next().unwrap_or('?');
            return Err(malformed(format!("Unexpected character: {ch}")));
        };
        tokens.push(Token::Symbol(symbol));
        pos += symbol.len();
    }
    tokens.push(Token::End);
    Ok(tokens)
}
