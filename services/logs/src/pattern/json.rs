//! JSON filter patterns: `{ $.a = "x" && ($.n > 5 || $.b IS TRUE) }`.

use serde_json::Value as Json;

/// A condition on a JSON event.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Selector, Operator, Literal),
    IsNull(Selector),
    NotExists(Selector),
    Is(Selector, bool),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Field(String),
    Index(usize),
}

pub type Selector = Vec<Step>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
}

/// What a selector is compared with: its text, and whether it was quoted.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    text: String,
    quoted: bool,
}

impl Condition {
    pub fn holds(&self, document: &Json) -> bool {
        match self {
            Condition::And(a, b) => a.holds(document) && b.holds(document),
            Condition::Or(a, b) => a.holds(document) || b.holds(document),
            Condition::IsNull(selector) => matches!(select(document, selector), Some(Json::Null)),
            Condition::NotExists(selector) => select(document, selector).is_none(),
            Condition::Is(selector, value) => select(document, selector) == Some(&Json::Bool(*value)),
            Condition::Compare(selector, operator, literal) => {
                select(document, selector).is_some_and(|found| compare(found, *operator, literal))
            }
        }
    }
}

fn select<'d>(document: &'d Json, selector: &Selector) -> Option<&'d Json> {
    selector.iter().try_fold(document, |node, step| match step {
        Step::Field(name) => node.get(name.as_str()),
        Step::Index(index) => node.get(*index),
    })
}

fn compare(found: &Json, operator: Operator, literal: &Literal) -> bool {
    let number = literal.text.parse::<f64>().ok().filter(|_| !literal.quoted);
    match (found, operator) {
        (Json::Number(value), _) => {
            let (Some(value), Some(wanted)) = (value.as_f64(), number) else {
                return false;
            };
            match operator {
                Operator::Equal => value == wanted,
                Operator::NotEqual => value != wanted,
                Operator::Less => value < wanted,
                Operator::Greater => value > wanted,
                Operator::LessOrEqual => value <= wanted,
                Operator::GreaterOrEqual => value >= wanted,
            }
        }
        (Json::String(text), Operator::Equal) => glob(&literal.text, text),
        (Json::String(text), Operator::NotEqual) => !glob(&literal.text, text),
        (Json::Bool(flag), Operator::Equal) => literal.text == flag.to_string(),
        (Json::Bool(flag), Operator::NotEqual) => literal.text != flag.to_string(),
        _ => false,
    }
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Reads `{ ... }`; `None` when it is not a pattern.
pub fn parse(text: &str) -> Option<Condition> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut parser = Parser {
        tokens: tokenize(inner)?,
        at: 0,
    };
    let condition = parser.or()?;
    (parser.at == parser.tokens.len()).then_some(condition)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Op(Operator),
    Word(String),
    Quoted(String),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let token = match (c, next) {
            (c, _) if c.is_whitespace() => continue,
            ('(', _) => Token::Open,
            (')', _) => Token::Close,
            ('&', Some('&')) => pair(&mut chars, Token::And),
            ('|', Some('|')) => pair(&mut chars, Token::Or),
            ('!', Some('=')) => pair(&mut chars, Token::Op(Operator::NotEqual)),
            ('<', Some('=')) => pair(&mut chars, Token::Op(Operator::LessOrEqual)),
            ('>', Some('=')) => pair(&mut chars, Token::Op(Operator::GreaterOrEqual)),
            ('=', _) => Token::Op(Operator::Equal),
            ('<', _) => Token::Op(Operator::Less),
            ('>', _) => Token::Op(Operator::Greater),
            ('"', _) => {
                let end = text[at + 1..].find('"')? + at + 1;
                while chars.peek().is_some_and(|&(i, _)| i <= end) {
                    chars.next();
                }
                Token::Quoted(text[at + 1..end].to_owned())
            }
            _ => {
                let end = text[at..]
                    .find(|ch: char| ch.is_whitespace() || "()=!<>&|\"".contains(ch))
                    .map_or(text.len(), |e| e + at);
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
                Token::Word(text[at..end].to_owned())
            }
        };
        tokens.push(token);
    }
    Some(tokens)
}

fn pair(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, token: Token) -> Token {
    chars.next();
    token
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Option<Condition> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Condition> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Condition::And(Box::new(left), Box::new(self.unary()?));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Condition> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            return (self.next()? == Token::Close).then_some(inner);
        }
        let Token::Word(path) = self.next()? else {
            return None;
        };
        let selector = selector(&path)?;
        match self.next()? {
            Token::Op(operator) => {
                let literal = match self.next()? {
                    Token::Word(text) => Literal { text, quoted: false },
                    Token::Quoted(text) => Literal { text, quoted: true },
                    _ => return None,
                };
                Some(Condition::Compare(selector, operator, literal))
            }
            Token::Word(word) => self.keyword(selector, &word),
            _ => None,
        }
    }

    /// `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`.
    fn keyword(&mut self, selector: Selector, first: &str) -> Option<Condition> {
        let Token::Word(second) = self.next()? else {
            return None;
        };
        match (
            first.to_ascii_uppercase().as_str(),
            second.to_ascii_uppercase().as_str(),
        ) {
            ("IS", "NULL") => Some(Condition::IsNull(selector)),
            ("IS", "TRUE") => Some(Condition::Is(selector, true)),
            ("IS", "FALSE") => Some(Condition::Is(selector, false)),
            ("NOT", "EXISTS") => Some(Condition::NotExists(selector)),
            _ => None,
        }
    }
}

/// `$.a.b[0].c` → its steps.
fn selector(path: &str) -> Option<Selector> {
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Field(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            steps.push(Step::Index(after[..end].parse().ok()?));
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}
