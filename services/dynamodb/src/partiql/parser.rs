//! PartiQL statements: a tokenizer and a parser (with an explicit depth
//! bound: hostile nesting gets a ValidationException, never a stack
//! overflow) into the expression language's conditions and update actions.

use nimbus_core::AwsError;

use crate::attribute::{AttributeValue, Item};
use crate::error::validation;
use crate::expr::ast::{Comparator, Condition, Operand, Path, PathElement, SetValue, UpdateAction};
use crate::number::Number;

use super::lexer::{Token, malformed, tokenize};

/// Deepest nesting of parentheses and literals a statement may have.
const MAX_DEPTH: usize = 32;
const MAX_STATEMENT_BYTES: usize = 8192;

#[derive(Debug)]
pub(crate) enum Statement {
    Select {
        table: String,
        index: Option<String>,
        projection: Option<Vec<Path>>,
        condition: Option<Condition>,
    },
    Insert {
        table: String,
        item: Item,
    },
    Update {
        table: String,
        actions: Vec<UpdateAction>,
        condition: Condition,
    },
    Delete {
        table: String,
        condition: Condition,
    },
}

impl Statement {
    pub(crate) fn table(&self) -> &str {
        match self {
            Statement::Select { table, .. }
            | Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    parameters: Vec<AttributeValue>,
    next_parameter: usize,
    /// AND/OR/NOT and predicates seen, bounded like expressions' operators.
    operators: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Token::Word(w) if w.eq_ignore_ascii_case(word))
    }

    fn expect_word(&mut self, word: &str) -> Result<(), AwsError> {
        if self.is_word(word) {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Token::Symbol(s) if *s == symbol) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: &str) -> Result<(), AwsError> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn unexpected(&self) -> AwsError {
        let shown = match self.peek() {
            Token::Word(w) | Token::Number(w) => w.clone(),
            Token::Quoted(q) => format!("\"{q}\""),
            Token::Str(s) => format!("'{s}'"),
            Token::Param => "?".to_owned(),
            Token::Symbol(s) => (*s).to_owned(),
            Token::End => "<EOF>".to_owned(),
        };
        malformed(format!("Unexpected token: {shown}"))
    }

    fn identifier(&mut self) -> Result<String, AwsError> {
        match self.advance() {
            Token::Word(w) | Token::Quoted(w) => Ok(w),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.unexpected())
            }
        }
    }

    fn statement(&mut self) -> Result<Statement, AwsError> {
        let statement = if self.is_word("SELECT") {
            self.advance();
            let projection = if self.eat("*") {
                None
            } else {
                let mut paths = vec![self.path()?];
                while self.eat(",") {
                    paths.push(self.path()?);
                }
                Some(paths)
            };
            self.expect_word("FROM")?;
            let table = self.identifier()?;
            let index = if self.eat(".") {
                Some(self.identifier()?)
            } else {
                None
            };
            let condition = if self.is_word("WHERE") {
                self.advance();
                Some(self.or(0)?)
            } else {
                None
            };
            Statement::Select {
                table,
                index,
                projection,
                condition,
            }
        } else if self.is_word("INSERT") {
            self.advance();
            self.expect_word("INTO")?;
            let table = self.identifier()?;
            self.expect_word("VALUE")?;
            let AttributeValue::M(item) = self.literal(0)? else {
                return Err(malformed("INSERT requires a tuple value"));
            };
            Statement::Insert { table, item }
        } else if self.is_word("UPDATE") {
            self.advance();
            let table = self.identifier()?;
            let mut actions = Vec::new();
            loop {
                if self.is_word("SET") {
                    self.advance();
                    let path = self.path()?;
                    self.expect("=")?;
                    let left = SetValue::Operand(self.operand(0)?);
                    let value = if self.eat("+") {
                        SetValue::Plus(Box::new(left), Box::new(SetValue::Operand(self.operand(0)?)))
                    } else if self.eat("-") {
                        SetValue::Minus(Box::new(left), Box::new(SetValue::Operand(self.operand(0)?)))
                    } else {
                        left
                    };
                    actions.push(UpdateAction::Set(path, value));
                } else if self.is_word("REMOVE") {
                    self.advance();
                    actions.push(UpdateAction::Remove(self.path()?));
                } else {
                    break;
                }
                // `SET a = 1, b = 2` and `SET a = 1 SET b = 2` are both accepted.
                if self.eat(",") && !self.is_word("SET") && !self.is_word("REMOVE") {
                    let path = self.path()?;
                    self.expect("=")?;
                    actions.push(UpdateAction::Set(path, SetValue::Operand(self.operand(0)?)));
                }
            }
            if actions.is_empty() {
                return Err(self.unexpected());
            }
            self.expect_word("WHERE")?;
            let condition = self.or(0)?;
            Statement::Update {
                table,
                actions,
                condition,
            }
        } else if self.is_word("DELETE") {
            self.advance();
            self.expect_word("FROM")?;
            let table = self.identifier()?;
            self.expect_word("WHERE")?;
            let condition = self.or(0)?;
            Statement::Delete { table, condition }
        } else {
            return Err(self.unexpected());
        };
        if self.peek() != &Token::End {
            return Err(self.unexpected());
        }
        Ok(statement)
    }

    fn operator(&mut self) -> Result<(), AwsError> {
        self.operators += 1;
        if self.operators > crate::expr::parser::MAX_OPERATORS {
            return Err(malformed("The statement has too many operators"));
        }
        Ok(())
    }

    fn or(&mut self, depth: usize) -> Result<Condition, AwsError> {
        let mut left = self.and(depth)?;
        while self.is_word("OR") {
            self.advance();
            self.operator()?;
            let right = self.and(depth)?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Condition, AwsError> {
        let mut left = self.not(depth)?;
        while self.is_word("AND") {
            self.advance();
            self.operator()?;
            let right = self.not(depth)?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if depth >= MAX_DEPTH {
            return Err(malformed("The statement is nested too deeply"));
        }
        if self.is_word("NOT") {
            self.advance();
            self.operator()?;
            return Ok(Condition::Not(Box::new(self.not(depth + 1)?)));
        }
        if self.eat("(") {
            let inner = self.or(depth + 1)?;
            self.expect(")")?;
            return Ok(inner);
        }
        self.predicate(depth)
    }

    /// A comparison, BETWEEN, IN, IS [NOT] MISSING or function: the leaves of
    /// a condition, kept out of the recursive cycle so its frames stay small.
    #[inline(never)]
    fn predicate(&mut self, depth: usize) -> Result<Condition, AwsError> {
        self.operator()?;
        let function = match self.peek() {
            Token::Word(w) if self.tokens.get(self.pos + 1) == Some(&Token::Symbol("(")) => {
                Some(w.to_ascii_lowercase())
            }
            _ => None,
        };
        if let Some(function) = function {
            self.advance();
            self.advance();
            let first = self.operand(depth + 1)?;
            let condition = match function.as_str() {
                "begins_with" | "contains" => {
                    self.expect(",")?;
                    let second = self.operand(depth + 1)?;
                    if function == "contains" {
                        Condition::Contains(first, second)
                    } else {
                        Condition::BeginsWith(first, second)
                    }
                }
                "attribute_exists" | "exists" => Condition::Exists(path_of(first)?),
                "attribute_not_exists" => Condition::NotExists(path_of(first)?),
                other => return Err(malformed(format!("Unsupported function: {other}"))),
            };
            self.expect(")")?;
            return Ok(condition);
        }
        let left = self.operand(depth + 1)?;
        if self.is_word("IS") {
            self.advance();
            let negated = self.is_word("NOT");
            if negated {
                self.advance();
            }
            self.expect_word("MISSING")?;
            let path = path_of(left)?;
            return Ok(if negated {
                Condition::Exists(path)
            } else {
                Condition::NotExists(path)
            });
        }
        if self.is_word("BETWEEN") {
            self.advance();
            let low = self.operand(depth + 1)?;
            self.expect_word("AND")?;
            let high = self.operand(depth + 1)?;
            return Ok(Condition::Between(left, low, high));
        }
        if self.is_word("IN") {
            self.advance();
            let close = if self.eat("[") {
                "]"
            } else {
                self.expect("(")?;
                ")"
            };
            let mut options = vec![self.operand(depth + 1)?];
            while self.eat(",") {
                options.push(self.operand(depth + 1)?);
            }
            self.expect(close)?;
            return Ok(Condition::In(left, options));
        }
        let comparator = match self.advance() {
            Token::Symbol("=") => Comparator::Equal,
            Token::Symbol("<>" | "!=") => Comparator::NotEqual,
            Token::Symbol("<") => Comparator::Less,
            Token::Symbol("<=") => Comparator::LessEqual,
            Token::Symbol(">") => Comparator::Greater,
            Token::Symbol(">=") => Comparator::GreaterEqual,
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.unexpected());
            }
        };
        let right = self.operand(depth + 1)?;
        Ok(Condition::Compare(left, comparator, right))
    }

    fn operand(&mut self, depth: usize) -> Result<Operand, AwsError> {
        match self.peek() {
            Token::Word(w) if !["TRUE", "FALSE", "NULL"].contains(&w.to_ascii_uppercase().as_str()) => {
                Ok(Operand::Path(self.path()?))
            }
            Token::Quoted(_) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Value(self.literal(depth)?)),
        }
    }

    fn path(&mut self) -> Result<Path, AwsError> {
        let mut elements = vec![PathElement::Name(self.identifier()?)];
        loop {
            if self.eat(".") {
                elements.push(PathElement::Name(self.identifier()?));
            } else if self.eat("[") {
                let index = match self.advance() {
                    Token::Number(n) => n.parse::<usize>().map_err(|_| malformed("Invalid list index"))?,
                    _ => return Err(malformed("Invalid list index")),
                };
                self.expect("]")?;
                elements.push(PathElement::Index(index));
            } else {
                return Ok(Path(elements));
            }
        }
    }

    #[inline(never)]
    fn literal(&mut self, depth: usize) -> Result<AttributeValue, AwsError> {
        if depth >= MAX_DEPTH {
            return Err(malformed("The statement is nested too deeply"));
        }
        let negative = self.eat("-");
        let value = match self.advance() {
            Token::Str(s) => AttributeValue::S(s),
            Token::Number(n) => {
                let text = if negative { format!("-{n}") } else { n };
                return Ok(AttributeValue::N(Number::parse(&text)?));
            }
            Token::Param => {
                let value = self.parameters.get(self.next_parameter).cloned().ok_or_else(|| {
                    validation("Number of parameters in request and statement don't match.")
                })?;
                self.next_parameter += 1;
                value
            }
            Token::Word(w) if w.eq_ignore_ascii_case("TRUE") => AttributeValue::Bool(true),
            Token::Word(w) if w.eq_ignore_ascii_case("FALSE") => AttributeValue::Bool(false),
            Token::Word(w) if w.eq_ignore_ascii_case("NULL") => AttributeValue::Null(true),
            Token::Symbol("[") => {
                let mut list = Vec::new();
                if !self.eat("]") {
                    loop {
                        list.push(self.literal(depth + 1)?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                AttributeValue::L(list)
            }
            Token::Symbol("{") => {
                let mut map = Item::new();
                if !self.eat("}") {
                    loop {
                        let name = match self.advance() {
                            Token::Str(s) | Token::Quoted(s) | Token::Word(s) => s,
                            _ => return Err(malformed("Expected an attribute name")),
                        };
                        self.expect(":")?;
                        map.insert(name, self.literal(depth + 1)?);
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                AttributeValue::M(map)
            }
            Token::Symbol("<<") => {
                let mut members = Vec::new();
                loop {
                    members.push(self.literal(depth + 1)?);
                    if self.eat(">>") {
                        break;
                    }
                    self.expect(",")?;
                }
                set_of(members)?
            }
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.unexpected());
            }
        };
        if negative {
            return Err(self.unexpected());
        }
        Ok(value)
    }
}

fn path_of(operand: Operand) -> Result<Path, AwsError> {
    match operand {
        Operand::Path(path) => Ok(path),
        _ => Err(malformed("Expected an attribute path")),
    }
}

fn set_of(members: Vec<AttributeValue>) -> Result<AttributeValue, AwsError> {
    let mismatch = || malformed("Set members must all be strings, numbers or binaries");
    Ok(match members.first() {
        Some(AttributeValue::S(_)) => AttributeValue::SS(
            members
                .into_iter()
                .map(|m| {
                    if let AttributeValue::S(s) = m {
                        Ok(s)
                    } else {
                        Err(mismatch())
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(AttributeValue::N(_)) => AttributeValue::NS(
            members
                .into_iter()
                .map(|m| {
                    if let AttributeValue::N(n) = m {
                        Ok(n)
                    } else {
                        Err(mismatch())
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(AttributeValue::B(_)) => AttributeValue::BS(
            members
                .into_iter()
                .map(|m| {
                    if let AttributeValue::B(b) = m {
                        Ok(b)
                    } else {
                        Err(mismatch())
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(mismatch()),
    })
}

pub(crate) fn parse(source: &str, parameters: Vec<AttributeValue>) -> Result<Statement, AwsError> {
    if source.len() > MAX_STATEMENT_BYTES {
        return Err(validation(format!(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENT_BYTES}"
        )));
    }
    let mut parser = Parser {
        tokens: tokenize(source)?,
        pos: 0,
        parameters,
        next_parameter: 0,
        operators: 0,
    };
    let statement = parser.statement()?;
    if parser.next_parameter != parser.parameters.len() {
        return Err(validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    Ok(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `work` on half a tokio worker's stack, in a debug build: hostile
    /// nesting must be refused by the depth bound, not by running out of stack.
    fn on_small_stack(work: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(work)
            .expect("thread")
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn deep_statements_are_refused() {
        on_small_stack(|| {
            let deep = format!(
                "SELECT * FROM t WHERE {}a = 1{}",
                "(".repeat(4000),
                ")".repeat(4000)
            );
            assert!(parse(&deep, Vec::new()).is_err());
            let nots = format!("SELECT * FROM t WHERE {}a = 1", "NOT ".repeat(2000));
            assert!(parse(&nots, Vec::new()).is_err());
            let lists = format!(
                "INSERT INTO t VALUE {{'a': {}1{}}}",
                "[".repeat(3000),
                "]".repeat(3000)
            );
            assert!(parse(&lists, Vec::new()).is_err());
            let fine = format!("SELECT * FROM t WHERE {}a = 1{}", "(".repeat(30), ")".repeat(30));
            assert!(parse(&fine, Vec::new()).is_ok());
        });
    }
}
