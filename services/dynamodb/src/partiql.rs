//! PartiQL for DynamoDB: ExecuteStatement and BatchExecuteStatement with
//! SELECT, INSERT, UPDATE and DELETE on one table. Statements are parsed
//! into the same conditions and update actions as the expression language
//! and run through the same item and query cores.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, RequestContext, Value};

use crate::DynamoDb;
use crate::attribute::{AttributeValue, Item, item_from_value, item_to_value};
use crate::error::validation;
use crate::expr::ast::{Comparator, Condition, Operand, Path, PathElement, SetValue, UpdateAction};
use crate::items::WriteSpec;
use crate::number::Number;
use crate::request::{output, required_string};
use crate::storage;
use crate::transact::{TransactWrite, WriteKind};

/// Deepest nesting of parentheses and literals a statement may have.
const MAX_DEPTH: usize = 32;
const MAX_STATEMENT_BYTES: usize = 8192;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Str(String),
    Number(String),
    Param,
    Symbol(&'static str),
    End,
}

fn malformed(detail: impl std::fmt::Display) -> AwsError {
    validation(format!(
        "Statement wasn't well formed, can't be processed: {detail}"
    ))
}

fn tokenize(source: &str) -> Result<Vec<Token>, AwsError> {
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

#[derive(Debug)]
enum Statement {
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
    fn table(&self) -> &str {
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

fn parse(source: &str, parameters: Vec<AttributeValue>) -> Result<Statement, AwsError> {
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

fn parameters(input: &Value) -> Result<Vec<AttributeValue>, AwsError> {
    input
        .get("Parameters")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(AttributeValue::from_value)
        .collect()
}

/// The full primary key a WHERE clause pins with equalities, and the rest
/// of the clause as a condition.
fn key_and_condition(
    condition: Condition,
    keys: &[(String, String)],
) -> Result<(Item, Option<Condition>), AwsError> {
    let mut conjuncts = Vec::new();
    let mut pending = vec![condition];
    while let Some(c) = pending.pop() {
        match c {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            other => conjuncts.push(other),
        }
    }
    let mut key = Item::new();
    let mut rest = Vec::new();
    for conjunct in conjuncts {
        if let Condition::Compare(Operand::Path(Path(elements)), Comparator::Equal, Operand::Value(value)) =
            &conjunct
            && let [PathElement::Name(name)] = &elements[..]
            && keys.iter().any(|(k, _)| k == name)
            && !key.contains_key(name)
        {
            key.insert(name.clone(), value.clone());
            continue;
        }
        rest.push(conjunct);
    }
    if key.len() != keys.len() {
        return Err(validation(
            "Where clause does not contain a mandatory equality on all key attributes",
        ));
    }
    let condition = rest
        .into_iter()
        .reduce(|a, b| Condition::And(Box::new(a), Box::new(b)));
    Ok((key, condition))
}

impl DynamoDb {
    async fn key_names(&self, ctx: &RequestContext, table: &str) -> Result<Vec<(String, String)>, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = table.to_owned();
        let meta = self
            .store
            .read(move |txn| storage::load_table(&txn.open(&ns)?, &name))
            .await?
            .ok_or_else(crate::error::resource_not_found)?;
        Ok(meta
            .primary_keys()
            .iter()
            .map(|k| (k.name.clone(), k.attribute_type.clone()))
            .collect())
    }

    /// Runs one statement; SELECT answers items and where to continue.
    async fn run_statement(
        &self,
        ctx: &RequestContext,
        statement: Statement,
        limit: Option<usize>,
        next_token: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), AwsError> {
        match statement {
            Statement::Select {
                table,
                index,
                projection,
                condition,
            } => {
                let select = crate::query::SelectSpec {
                    table_name: table,
                    index_name: index,
                    condition,
                    projection,
                    limit,
                    exclusive_start: next_token,
                };
                let page = self.select_parsed(ctx, select).await?;
                Ok((page.items, page.last_key))
            }
            Statement::Insert { table, item } => {
                let keys = self.key_names(ctx, &table).await?;
                let spec = WriteSpec {
                    table,
                    condition: Some(Condition::NotExists(Path(vec![PathElement::Name(
                        keys[0].0.clone(),
                    )]))),
                    return_on_failure: false,
                };
                match self.put_parsed(ctx, spec, item).await {
                    Err(err) if err.code == "ConditionalCheckFailedException" => Err(AwsError::new(
                        "DuplicateItemException",
                        "Duplicate primary key exists in table",
                        400,
                    )),
                    other => other.map(|_| (Vec::new(), None)),
                }
            }
            Statement::Update {
                table,
                actions,
                condition,
            } => {
                let keys = self.key_names(ctx, &table).await?;
                let (key, rest) = key_and_condition(condition, &keys)?;
                // UPDATE never creates an item: it must exist.
                let exists = Condition::Exists(Path(vec![PathElement::Name(keys[0].0.clone())]));
                let condition = match rest {
                    Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
                    None => exists,
                };
                let spec = WriteSpec {
                    table,
                    condition: Some(condition),
                    return_on_failure: false,
                };
                self.update_parsed(ctx, spec, key, actions).await?;
                Ok((Vec::new(), None))
            }
            Statement::Delete { table, condition } => {
                let keys = self.key_names(ctx, &table).await?;
                let (key, condition) = key_and_condition(condition, &keys)?;
                let spec = WriteSpec {
                    table,
                    condition,
                    return_on_failure: false,
                };
                self.delete_parsed(ctx, spec, key).await?;
                Ok((Vec::new(), None))
            }
        }
    }

    pub async fn execute_statement(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let source = required_string(&input, "Statement")?;
        let statement = parse(&source, parameters(&input)?)?;
        let is_select = matches!(statement, Statement::Select { .. });
        let limit = input
            .get("Limit")
            .and_then(Value::as_i64)
            .map(|l| l.max(1) as usize);
        let next_token = match input.get("NextToken").and_then(Value::as_str) {
            Some(token) => Some(decode_token(token)?),
            None => None,
        };
        let (items, last_key) = self.run_statement(ctx, statement, limit, next_token).await?;
        Ok(output(vec![
            (
                "Items",
                is_select.then(|| Value::List(items.iter().map(item_to_value).collect())),
            ),
            ("NextToken", last_key.map(|key| Value::String(encode_token(&key)))),
        ]))
    }

    pub async fn batch_execute_statement(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> Result<Value, AwsError> {
        let statements = input
            .get("Statements")
            .and_then(Value::as_list)
            .unwrap_or_default();
        if statements.is_empty() || statements.len() > 25 {
            return Err(validation(
                "1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25, Member must have length greater than or equal to 1",
            ));
        }
        let mut responses = Vec::with_capacity(statements.len());
        for entry in statements {
            let source = required_string(entry, "Statement")?;
            let parsed = parse(&source, parameters(entry)?);
            let table = parsed.as_ref().map(|s| s.table().to_owned()).ok();
            let result = match parsed {
                Ok(statement) => self.batch_one(ctx, statement).await,
                Err(err) => Err(err),
            };
            responses.push(match result {
                Ok(item) => output(vec![
                    ("TableName", table.map(Value::String)),
                    ("Item", item.map(|i| item_to_value(&i))),
                ]),
                Err(err) => output(vec![
                    ("TableName", table.map(Value::String)),
                    (
                        "Error",
                        Some(output(vec![
                            (
                                "Code",
                                Some(Value::String(batch_error_code(&err.code).to_owned())),
                            ),
                            ("Message", Some(Value::String(err.message))),
                        ])),
                    ),
                ]),
            });
        }
        Ok(output(vec![("Responses", Some(Value::List(responses)))]))
    }

    /// One statement of a batch: a SELECT must name one item by its key.
    async fn batch_one(&self, ctx: &RequestContext, statement: Statement) -> Result<Option<Item>, AwsError> {
        match statement {
            Statement::Select {
                table,
                index: None,
                projection,
                condition: Some(condition),
            } => {
                let keys = self.key_names(ctx, &table).await?;
                let (key, rest) = key_and_condition(condition, &keys)?;
                if rest.is_some() {
                    return Err(validation(
                        "Batch select statements can only contain key conditions",
                    ));
                }
                let item = self.get_parsed(ctx, &table, key).await?;
                Ok(match (item, projection) {
                    (Some(item), Some(paths)) => Some(crate::expr::eval::project(&item, &paths)),
                    (item, _) => item,
                })
            }
            Statement::Select { .. } => Err(validation(
                "Where clause does not contain a mandatory equality on all key attributes",
            )),
            other => self.run_statement(ctx, other, None, None).await.map(|_| None),
        }
    }
}

impl DynamoDb {
    /// ExecuteTransaction: all reads (each naming one item by its key) or
    /// all writes, the writes applied all-or-nothing like TransactWriteItems.
    pub async fn execute_transaction(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let entries = input
            .get("TransactStatements")
            .and_then(Value::as_list)
            .unwrap_or_default();
        if entries.is_empty() || entries.len() > 100 {
            return Err(validation(
                "1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1",
            ));
        }
        let mut statements = Vec::with_capacity(entries.len());
        for entry in entries {
            statements.push(parse(&required_string(entry, "Statement")?, parameters(entry)?)?);
        }
        let reads = statements
            .iter()
            .filter(|s| matches!(s, Statement::Select { .. }))
            .count();
        if reads == statements.len() {
            let mut responses = Vec::with_capacity(reads);
            for statement in statements {
                let item = self.batch_one(ctx, statement).await?;
                responses.push(output(vec![("Item", item.map(|i| item_to_value(&i)))]));
            }
            return Ok(output(vec![("Responses", Some(Value::List(responses)))]));
        }
        if reads > 0 {
            return Err(validation("Transactions must contain only reads or only writes"));
        }
        let mut writes = Vec::with_capacity(statements.len());
        for statement in statements {
            writes.push(self.transact_write_of(ctx, statement).await?);
        }
        let token = crate::request::string(&input, "ClientRequestToken").map(str::to_owned);
        let request_hash = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            format!("{entries:?}").hash(&mut hasher);
            hasher.finish()
        };
        self.transact_parsed(ctx, writes, token, request_hash).await?;
        Ok(Value::empty())
    }

    async fn transact_write_of(
        &self,
        ctx: &RequestContext,
        statement: Statement,
    ) -> Result<TransactWrite, AwsError> {
        let keys = self.key_names(ctx, statement.table()).await?;
        let hash_path = || Path(vec![PathElement::Name(keys[0].0.clone())]);
        Ok(match statement {
            Statement::Insert { table, item } => TransactWrite {
                table,
                key_or_item: item.clone(),
                condition: Some(Condition::NotExists(hash_path())),
                return_on_failure: false,
                kind: WriteKind::Put(item),
                failure_code: "DuplicateItem",
            },
            Statement::Update {
                table,
                actions,
                condition,
            } => {
                let (key, rest) = key_and_condition(condition, &keys)?;
                let exists = Condition::Exists(hash_path());
                let condition = match rest {
                    Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
                    None => exists,
                };
                TransactWrite {
                    table,
                    key_or_item: key,
                    condition: Some(condition),
                    return_on_failure: false,
                    kind: WriteKind::Update(actions),
                    failure_code: "ConditionalCheckFailed",
                }
            }
            Statement::Delete { table, condition } => {
                let (key, condition) = key_and_condition(condition, &keys)?;
                TransactWrite {
                    table,
                    key_or_item: key,
                    condition,
                    return_on_failure: false,
                    kind: WriteKind::Delete,
                    failure_code: "ConditionalCheckFailed",
                }
            }
            Statement::Select { .. } => {
                return Err(validation("Transactions must contain only reads or only writes"));
            }
        })
    }
}

fn batch_error_code(code: &str) -> &'static str {
    match code {
        "ConditionalCheckFailedException" => "ConditionalCheckFailed",
        "DuplicateItemException" => "DuplicateItem",
        "ResourceNotFoundException" => "ResourceNotFound",
        _ => "ValidationError",
    }
}

fn encode_token(key: &Item) -> String {
    BASE64.encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode_token(token: &str) -> Result<Item, AwsError> {
    let invalid = || validation("Invalid NextToken");
    let bytes = BASE64.decode(token).map_err(|_| invalid())?;
    let item: Item = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    // Re-validate what came back from the client.
    item_from_value(&crate::attribute::item_to_value(&item))
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
