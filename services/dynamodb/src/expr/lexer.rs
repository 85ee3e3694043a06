//! Tokens of DynamoDB's expression language. Keywords (AND, SET, …) are
//! plain names here; the parser tells them apart, case-insensitively.

use nimbus_core::AwsError;

use super::ExpressionKind;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// An attribute name or keyword: letters, digits and `_`, not starting with a digit.
    Name(String),
    /// `#alias`, resolved through ExpressionAttributeNames.
    NameRef(String),
    /// `:value`, resolved through ExpressionAttributeValues.
    ValueRef(String),
    /// Digits, only valid as a list index (`a[3]`).
    Integer(String),
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Dot,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Plus,
    Minus,
    End,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte offsets in the expression, for "near" in syntax errors.
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token as DynamoDB quotes it in syntax errors.
    pub fn text<'s>(&self, source: &'s str) -> &'s str {
        if self.kind == TokenKind::End {
            "<EOF>"
        } else {
            &source[self.start..self.end]
        }
    }
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Splits `source` into tokens; the last one is always `End`.
pub fn tokenize(source: &str, kind: ExpressionKind) -> Result<Vec<Token>, AwsError> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let c = bytes[pos];
        if c.is_ascii_whitespace() {
            pos += 1;
            continue;
        }
        let start = pos;
        let single = |k| (k, 1);
        let (token, len) = match c {
            b'(' => single(TokenKind::LeftParen),
            b')' => single(TokenKind::RightParen),
            b'[' => single(TokenKind::LeftBracket),
            b']' => single(TokenKind::RightBracket),
            b',' => single(TokenKind::Comma),
            b'.' => single(TokenKind::Dot),
            b'=' => single(TokenKind::Equal),
            b'+' => single(TokenKind::Plus),
            b'-' => single(TokenKind::Minus),
            b'<' => match bytes.get(pos + 1) {
                Some(b'=') => (TokenKind::LessEqual, 2),
                Some(b'>') => (TokenKind::NotEqual, 2),
                _ => single(TokenKind::Less),
            },
            b'>' => match bytes.get(pos + 1) {
                Some(b'=') => (TokenKind::GreaterEqual, 2),
                _ => single(TokenKind::Greater),
            },
            b'#' | b':' => {
                let mut end = pos + 1;
                while end < bytes.len() && is_name_char(bytes[end]) {
                    end += 1;
                }
                if end == pos + 1 {
                    return Err(syntax_error(kind, source, &tokens, start, end.max(pos + 1)));
                }
                let text = source[pos..end].to_owned();
                let token = if c == b'#' {
                    TokenKind::NameRef(text)
                } else {
                    TokenKind::ValueRef(text)
                };
                (token, end - pos)
            }
            b'0'..=b'9' => {
                let mut end = pos;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                (TokenKind::Integer(source[pos..end].to_owned()), end - pos)
            }
            c if is_name_char(c) => {
                let mut end = pos;
                while end < bytes.len() && is_name_char(bytes[end]) {
                    end += 1;
                }
                (TokenKind::Name(source[pos..end].to_owned()), end - pos)
            }
            _ => {
                let width = source[pos..].chars().next().map_or(1, char::len_utf8);
                return Err(syntax_error(kind, source, &tokens, start, start + width));
            }
        };
        pos += len;
        tokens.push(Token {
            kind: token,
            start,
            end: pos,
        });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        start: source.len(),
        end: source.len(),
    });
    Ok(tokens)
}

/// A lexing error, in the parser's "Syntax error; token: …, near: …" form.
fn syntax_error(kind: ExpressionKind, source: &str, before: &[Token], start: usize, end: usize) -> AwsError {
    let near_start = before.last().map_or(start, |t| t.start);
    let near_end = source[end..].chars().next().map_or(end, |c| end + c.len_utf8());
    kind.error(format!(
        "Syntax error; token: \"{}\", near: \"{}\"",
        &source[start..end],
        &source[near_start..near_end]
    ))
}
