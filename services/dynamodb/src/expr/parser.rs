//! Recursive-descent parser for every expression kind. Recursion is bounded
//! by an explicit depth counter, so hostile input (thousands of nested
//! parentheses) gets a ValidationException long before the stack is at risk.

use nimbus_core::AwsError;

use super::ast::{Comparator, Condition, Operand, Path, PathElement, SetValue, UpdateAction};
use super::lexer::{Token, TokenKind, tokenize};
use super::{ExpressionKind, Substitutions};
use crate::attribute::{AttributeValue, MAX_NESTING};
use crate::reserved::is_reserved;

/// Longest expression DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// Deepest nesting of parentheses, NOT and functions the parser follows.
/// Each level costs a few KB of stack in a debug build (less in release):
/// 32 levels stay far inside a 2 MiB worker stack.
pub const MAX_DEPTH: usize = 32;

/// Most operators and functions one expression may hold (DynamoDB's limit).
/// It also bounds AND/OR chains, whose trees the evaluator walks recursively.
pub const MAX_OPERATORS: usize = 300;

/// Type names `attribute_type` accepts.
const TYPE_NAMES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

pub fn parse_condition(
    source: &str,
    kind: ExpressionKind,
    subs: &Substitutions,
) -> Result<Condition, AwsError> {
    let mut parser = Parser::new(source, kind, subs)?;
    let condition = parser.condition()?;
    parser.expect_end()?;
    Ok(condition)
}

pub fn parse_projection(source: &str, subs: &Substitutions) -> Result<Vec<Path>, AwsError> {
    let mut parser = Parser::new(source, ExpressionKind::Projection, subs)?;
    let mut paths = vec![parser.path()?];
    while parser.eat(&TokenKind::Comma) {
        paths.push(parser.path()?);
    }
    parser.expect_end()?;
    let refs: Vec<&Path> = paths.iter().collect();
    super::update::check_paths_overlap(&refs, ExpressionKind::Projection)?;
    Ok(paths)
}

pub fn parse_update(source: &str, subs: &Substitutions) -> Result<Vec<UpdateAction>, AwsError> {
    let mut parser = Parser::new(source, ExpressionKind::Update, subs)?;
    let mut actions = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let clause = match &parser.peek().kind {
            TokenKind::Name(name) => name.to_ascii_uppercase(),
            TokenKind::End if !actions.is_empty() => break,
            _ => return Err(parser.syntax_error()),
        };
        if !matches!(clause.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
            return Err(parser.syntax_error());
        }
        if seen.contains(&clause) {
            return Err(parser.kind.error(format!(
                "The \"{clause}\" section can only be used once in an update expression;"
            )));
        }
        seen.push(clause.clone());
        parser.advance();
        loop {
            let path = parser.path()?;
            let action = match clause.as_str() {
                "SET" => {
                    parser.expect(&TokenKind::Equal)?;
                    UpdateAction::Set(path, parser.set_value(0)?)
                }
                "REMOVE" => UpdateAction::Remove(path),
                "ADD" => UpdateAction::Add(path, parser.value_ref()?),
                _ => UpdateAction::Delete(path, parser.value_ref()?),
            };
            actions.push(action);
            if !parser.eat(&TokenKind::Comma) {
                break;
            }
        }
    }
    Ok(actions)
}

struct Parser<'s> {
    source: &'s str,
    kind: ExpressionKind,
    subs: &'s Substitutions,
    tokens: Vec<Token>,
    pos: usize,
    /// Operators and functions seen so far, against MAX_OPERATORS.
    operators: usize,
}

impl<'s> Parser<'s> {
    fn new(source: &'s str, kind: ExpressionKind, subs: &'s Substitutions) -> Result<Self, AwsError> {
        if source.trim().is_empty() {
            return Err(kind.error("The expression can not be empty;"));
        }
        if source.len() > MAX_EXPRESSION_BYTES {
            return Err(kind.error(format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                source.len()
            )));
        }
        let tokens = tokenize(source, kind)?;
        Ok(Parser {
            source,
            kind,
            subs,
            tokens,
            pos: 0,
            operators: 0,
        })
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &TokenKind {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].kind
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if &self.peek().kind == kind {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: &TokenKind) -> Result<(), AwsError> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn expect_end(&mut self) -> Result<(), AwsError> {
        if self.peek().kind == TokenKind::End {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Name(name) if name.eq_ignore_ascii_case(word))
    }

    /// DynamoDB's syntax error at the current token: the token, and the text
    /// from the token before it to the token after it.
    fn syntax_error(&self) -> AwsError {
        let token = self.peek();
        let index = self.pos.min(self.tokens.len() - 1);
        let near_start = if index > 0 {
            self.tokens[index - 1].start
        } else {
            token.start
        };
        let near_end = self.tokens.get(index + 1).map_or(token.end, |t| t.end);
        self.kind.error(format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            token.text(self.source),
            &self.source[near_start..near_end.max(near_start)]
        ))
    }

    /// Counts one operator or function.
    fn operator(&mut self) -> Result<(), AwsError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(self.kind.error(format!(
                "The expression contains too many operators; maximum operators: {MAX_OPERATORS}"
            )));
        }
        Ok(())
    }

    fn too_deep(&self) -> AwsError {
        self.kind.error(format!(
            "The expression is nested too deeply; maximum nesting depth: {MAX_DEPTH}"
        ))
    }

    // condition := or ; or := and (OR and)* ; and := not (AND not)* ; not := NOT not | primary
    fn condition(&mut self) -> Result<Condition, AwsError> {
        self.or(0)
    }

    fn or(&mut self, depth: usize) -> Result<Condition, AwsError> {
        let mut left = self.and(depth)?;
        while self.is_keyword("OR") {
            self.advance();
            self.operator()?;
            let right = self.and(depth)?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Condition, AwsError> {
        let mut left = self.not(depth)?;
        while self.is_keyword("AND") {
            self.advance();
            self.operator()?;
            let right = self.not(depth)?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if depth >= MAX_DEPTH {
            return Err(self.too_deep());
        }
        if self.is_keyword("NOT") {
            self.advance();
            self.operator()?;
            return Ok(Condition::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth + 1)
    }

    fn primary(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if self.peek().kind == TokenKind::LeftParen {
            self.advance();
            // `((x))`: DynamoDB refuses parentheses that group nothing.
            let redundant = self.peek().kind == TokenKind::LeftParen && self.parens_wrap_whole_group();
            let inner = self.or(depth)?;
            self.expect(&TokenKind::RightParen)?;
            if redundant {
                return Err(self.kind.error("The expression has redundant parentheses;"));
            }
            return Ok(inner);
        }
        self.predicate(depth)
    }

    /// A comparison, BETWEEN, IN or function: the leaves of a condition,
    /// kept out of the recursive cycle so its frames stay small.
    #[inline(never)]
    fn predicate(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if let TokenKind::Name(name) = &self.peek().kind
            && self.peek_at(1) == &TokenKind::LeftParen
        {
            let name = name.clone();
            if name != "size" {
                return self.function_condition(&name, depth);
            }
        }
        let left = self.operand(depth)?;
        let comparator = match &self.peek().kind {
            TokenKind::Equal => Some(Comparator::Equal),
            TokenKind::NotEqual => Some(Comparator::NotEqual),
            TokenKind::Less => Some(Comparator::Less),
            TokenKind::LessEqual => Some(Comparator::LessEqual),
            TokenKind::Greater => Some(Comparator::Greater),
            TokenKind::GreaterEqual => Some(Comparator::GreaterEqual),
            _ => None,
        };
        if let Some(comparator) = comparator {
            self.advance();
            self.operator()?;
            let right = self.operand(depth)?;
            return Ok(Condition::Compare(left, comparator, right));
        }
        if self.is_keyword("BETWEEN") {
            self.advance();
            self.operator()?;
            let low = self.operand(depth)?;
            if !self.is_keyword("AND") {
                return Err(self.syntax_error());
            }
            self.advance();
            let high = self.operand(depth)?;
            return Ok(Condition::Between(left, low, high));
        }
        if self.is_keyword("IN") {
            self.advance();
            self.operator()?;
            self.expect(&TokenKind::LeftParen)?;
            let mut options = vec![self.operand(depth)?];
            while self.eat(&TokenKind::Comma) {
                options.push(self.operand(depth)?);
            }
            self.expect(&TokenKind::RightParen)?;
            return Ok(Condition::In(left, options));
        }
        if let Operand::Size(_) = left {
            return Err(self
                .kind
                .error("The function is not allowed to be used this way in an expression; function: size"));
        }
        Err(self.syntax_error())
    }

    /// Whether the `(` just consumed and the `(` at the cursor close together,
    /// i.e. the outer pair wraps exactly one parenthesised group.
    fn parens_wrap_whole_group(&self) -> bool {
        let mut depth = 0usize;
        for (offset, token) in self.tokens[self.pos..].iter().enumerate() {
            match token.kind {
                TokenKind::LeftParen => depth += 1,
                TokenKind::RightParen => {
                    depth -= 1;
                    if depth == 0 {
                        return self.tokens.get(self.pos + offset + 1).map(|t| &t.kind)
                            == Some(&TokenKind::RightParen);
                    }
                }
                TokenKind::End => return false,
                _ => {}
            }
        }
        false
    }

    fn function_condition(&mut self, name: &str, depth: usize) -> Result<Condition, AwsError> {
        let arity = match name {
            "attribute_exists" | "attribute_not_exists" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            "if_not_exists" | "list_append" => {
                return Err(self.kind.error(format!(
                    "The function is not allowed to be used this way in an expression; function: {name}"
                )));
            }
            _ => {
                return Err(self
                    .kind
                    .error(format!("Invalid function name; function: {name}")));
            }
        };
        self.advance();
        self.operator()?;
        self.expect(&TokenKind::LeftParen)?;
        let mut args = vec![self.operand(depth)?];
        while self.eat(&TokenKind::Comma) {
            args.push(self.operand(depth)?);
        }
        self.expect(&TokenKind::RightParen)?;
        if args.len() != arity {
            return Err(self.kind.error(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                args.len()
            )));
        }
        let mut args = args.into_iter();
        let first = args.next().ok_or_else(|| self.syntax_error())?;
        let path_of = |operand: Operand, parser: &Self| match operand {
            Operand::Path(path) => Ok(path),
            _ => Err(parser.kind.error(format!(
                "Operator or function requires a document path; operator or function: {name}"
            ))),
        };
        Ok(match name {
            "attribute_exists" => Condition::Exists(path_of(first, self)?),
            "attribute_not_exists" => Condition::NotExists(path_of(first, self)?),
            "attribute_type" => {
                let path = path_of(first, self)?;
                let type_operand = args.next().ok_or_else(|| self.syntax_error())?;
                if let Operand::Value(value) = &type_operand {
                    match value {
                        AttributeValue::S(t) if TYPE_NAMES.contains(&t.as_str()) => {}
                        AttributeValue::S(t) => {
                            return Err(self.kind.error(format!(
                                "Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                            )));
                        }
                        other => {
                            return Err(self.kind.error(format!(
                                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                                other.type_name()
                            )));
                        }
                    }
                }
                Condition::AttributeType(path, type_operand)
            }
            "begins_with" => {
                let prefix = args.next().ok_or_else(|| self.syntax_error())?;
                if let Operand::Value(value) = &prefix
                    && !matches!(value, AttributeValue::S(_) | AttributeValue::B(_))
                {
                    return Err(self.kind.error(format!(
                        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                        value.type_name()
                    )));
                }
                Condition::BeginsWith(first, prefix)
            }
            _ => Condition::Contains(first, args.next().ok_or_else(|| self.syntax_error())?),
        })
    }

    /// A path, a `:value`, or `size(path)`.
    fn operand(&mut self, _depth: usize) -> Result<Operand, AwsError> {
        match &self.peek().kind {
            TokenKind::ValueRef(_) => Ok(Operand::Value(self.value_ref()?)),
            TokenKind::Name(name) if self.peek_at(1) == &TokenKind::LeftParen => {
                let name = name.clone();
                if name != "size" {
                    if matches!(
                        name.as_str(),
                        "attribute_exists"
                            | "attribute_not_exists"
                            | "attribute_type"
                            | "begins_with"
                            | "contains"
                            | "if_not_exists"
                            | "list_append"
                    ) {
                        return Err(self.kind.error(format!(
                            "The function is not allowed to be used this way in an expression; function: {name}"
                        )));
                    }
                    return Err(self
                        .kind
                        .error(format!("Invalid function name; function: {name}")));
                }
                self.advance();
                self.advance();
                let path = self.path()?;
                self.expect(&TokenKind::RightParen)?;
                Ok(Operand::Size(path))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    fn value_ref(&mut self) -> Result<AttributeValue, AwsError> {
        match &self.peek().kind {
            TokenKind::ValueRef(placeholder) => {
                let placeholder = placeholder.clone();
                let value = self.subs.value(&placeholder, self.kind)?;
                self.advance();
                Ok(value)
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// `name`, `#alias`, then any of `.name`, `.#alias`, `[index]`.
    fn path(&mut self) -> Result<Path, AwsError> {
        let mut elements = vec![PathElement::Name(self.path_name()?)];
        loop {
            match &self.peek().kind {
                TokenKind::Dot => {
                    self.advance();
                    elements.push(PathElement::Name(self.path_name()?));
                }
                TokenKind::LeftBracket => {
                    self.advance();
                    let index = match &self.peek().kind {
                        TokenKind::Integer(digits) => digits.parse::<usize>().ok(),
                        _ => return Err(self.syntax_error()),
                    };
                    let Some(index) = index else {
                        return Err(self
                            .kind
                            .error("List index is not within the allowable range; index: [too large]"));
                    };
                    self.advance();
                    self.expect(&TokenKind::RightBracket)?;
                    elements.push(PathElement::Index(index));
                }
                _ => break,
            }
            if elements.len() > MAX_NESTING {
                return Err(self.kind.error(format!(
                    "The document path has too many nesting levels; nesting levels: {}",
                    elements.len()
                )));
            }
        }
        Ok(Path(elements))
    }

    fn path_name(&mut self) -> Result<String, AwsError> {
        match &self.peek().kind {
            TokenKind::Name(name) => {
                if is_reserved(name) {
                    return Err(self.kind.error(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {name}"
                    )));
                }
                let name = name.clone();
                self.advance();
                Ok(name)
            }
            TokenKind::NameRef(alias) => {
                let alias = alias.clone();
                let name = self.subs.name(&alias, self.kind)?;
                self.advance();
                Ok(name)
            }
            _ => Err(self.syntax_error()),
        }
    }

    // set_value := set_operand (('+' | '-') set_operand)?
    fn set_value(&mut self, depth: usize) -> Result<SetValue, AwsError> {
        let left = self.set_operand(depth)?;
        if matches!(self.peek().kind, TokenKind::Plus | TokenKind::Minus) {
            self.operator()?;
        }
        if self.eat(&TokenKind::Plus) {
            return Ok(SetValue::Plus(Box::new(left), Box::new(self.set_operand(depth)?)));
        }
        if self.eat(&TokenKind::Minus) {
            return Ok(SetValue::Minus(
                Box::new(left),
                Box::new(self.set_operand(depth)?),
            ));
        }
        Ok(left)
    }

    fn set_operand(&mut self, depth: usize) -> Result<SetValue, AwsError> {
        if depth >= MAX_DEPTH {
            return Err(self.too_deep());
        }
        let function = match &self.peek().kind {
            TokenKind::Name(name) if self.peek_at(1) == &TokenKind::LeftParen => {
                Some(name == "if_not_exists")
            }
            _ => None,
        };
        match function {
            Some(true) => {
                self.advance();
                self.advance();
                let path = self.path()?;
                self.expect(&TokenKind::Comma)?;
                let fallback = self.set_value(depth + 1)?;
                self.expect(&TokenKind::RightParen)?;
                Ok(SetValue::IfNotExists(path, Box::new(fallback)))
            }
            Some(false) => self.list_append(depth),
            None if self.peek().kind == TokenKind::LeftParen => Err(self.syntax_error()),
            None => Ok(SetValue::Operand(self.operand(depth)?)),
        }
    }

    /// `list_append(a, b)`, or the error for any other function in a SET value.
    fn list_append(&mut self, depth: usize) -> Result<SetValue, AwsError> {
        let name = match &self.peek().kind {
            TokenKind::Name(name) => name.clone(),
            _ => return Err(self.syntax_error()),
        };
        if name != "list_append" {
            return Err(self.set_function_error(&name));
        }
        self.advance();
        self.advance();
        let first = self.set_value(depth + 1)?;
        self.expect(&TokenKind::Comma)?;
        let second = self.set_value(depth + 1)?;
        self.expect(&TokenKind::RightParen)?;
        Ok(SetValue::ListAppend(Box::new(first), Box::new(second)))
    }

    #[cold]
    #[inline(never)]
    fn set_function_error(&self, name: &str) -> AwsError {
        match name {
            "attribute_exists"
            | "attribute_not_exists"
            | "attribute_type"
            | "begins_with"
            | "contains"
            | "size" => self.kind.error(format!(
                "The function is not allowed in an update expression; function: {name}"
            )),
            _ => self
                .kind
                .error(format!("Invalid function name; function: {name}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(source: &str) -> Result<Condition, AwsError> {
        parse_condition(source, ExpressionKind::Condition, &Substitutions::none())
    }

    #[test]
    fn precedence_and_over_or() {
        let parsed = condition("a = b OR c = d AND NOT e = f").expect("parses");
        let Condition::Or(_, right) = parsed else {
            panic!("OR at the top")
        };
        assert!(matches!(*right, Condition::And(_, _)));
    }

    /// Half the stack of a tokio worker (2 MiB), in a debug build (whose
    /// frames are several times a release build's).
    #[test]
    fn hostile_nesting_is_refused_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(|| {
                let deep = format!("{}a = b{}", "(".repeat(2000), ")".repeat(2000));
                assert!(condition(&deep).is_err());
                assert!(condition(&"(".repeat(4096)).is_err());
                // Thirty levels of meaningful nesting still parse.
                let fine = format!("{}a = b{}", "(a = b AND ".repeat(30), ")".repeat(30));
                assert!(condition(&fine).is_ok(), "{:?}", condition(&fine));
                let nested = format!("{}a = b{}", "(".repeat(99), ")".repeat(99));
                assert!(condition(&nested).is_err());
                let nots = "NOT ".repeat(2000) + "a = b";
                assert!(condition(&nots).is_err());
                let update = format!("SET a = {}:v{}", "if_not_exists(b, ".repeat(500), ")".repeat(500));
                assert!(parse_update(&update, &Substitutions::none()).is_err());
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn hostile_nesting_is_a_validation_error() {
        let deep = "(".repeat(4096);
        let err = condition(&deep).expect_err("too deep");
        assert_eq!(err.code, "ValidationException");
        let nots = "NOT ".repeat(1000) + "a = b";
        assert!(condition(&nots).is_err());
        let huge = "a = b AND ".repeat(1000) + "a = b";
        assert!(
            condition(&huge)
                .expect_err("too long")
                .message
                .contains("Expression size")
        );
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let err = condition("a = ").expect_err("incomplete");
        assert_eq!(
            err.message,
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""
        );
        let err = condition("status = b").expect_err("reserved");
        assert_eq!(
            err.message,
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
        );
        let err = condition("((a = b))").expect_err("redundant");
        assert!(err.message.contains("redundant parentheses"));
        assert!(condition("(a = b) AND (c = d)").is_ok());
        assert!(condition("((a = b) AND c = d)").is_ok());
    }
}
