//! Reading a template: text, references and directives into nodes, and
//! the expressions inside directives and method arguments.

use crate::value::Value;

/// A template that parsed.
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) nodes: Vec<Node>,
}

/// Why a template did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    /// A reference in the text; `raw` is written when it resolves to nothing.
    Ref {
        reference: Reference,
        quiet: bool,
        raw: String,
    },
    Set(Reference, Expr),
    If(Vec<(Expr, Vec<Node>)>, Vec<Node>),
    Foreach {
        name: String,
        items: Expr,
        body: Vec<Node>,
    },
    Break,
}

#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub root: String,
    pub chain: Vec<Access>,
}

#[derive(Debug, Clone)]
pub(crate) enum Access {
    Property(String),
    Method(String, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Literal(Value),
    /// A double-quoted string: references in it are rendered.
    Interpolated(Vec<Node>),
    Ref(Reference),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let (nodes, end) = parser.block(&[])?;
        match end {
            None => Ok(Template { nodes }),
            Some(directive) => Err(TemplateError(format!("unexpected #{directive}"))),
        }
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

fn error<T>(message: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError(message.into()))
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn starts(&self, text: &str) -> bool {
        text.chars().enumerate().all(|(i, c)| self.peek_at(i) == Some(c))
    }

    /// Nodes up to one of the `ends` directives (`else`, `elseif`, `end`),
    /// which is consumed and answered; `None` at the end of the text.
    fn block(&mut self, ends: &[&str]) -> Result<(Vec<Node>, Option<String>), TemplateError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        while let Some(c) = self.peek() {
            match c {
                '#' => {
                    if let Some(directive) = self.directive_name() {
                        if !text.is_empty() {
                            nodes.push(Node::Text(std::mem::take(&mut text)));
                        }
                        if ends.contains(&directive.as_str()) {
                            self.gobble_newline();
                            return Ok((nodes, Some(directive)));
                        }
                        match self.directive(&directive)? {
                            Some(node) => nodes.push(node),
                            None => return error(format!("unexpected #{directive}")),
                        }
                    } else if self.starts("##") {
                        while self.peek().is_some_and(|c| c != '\n') {
                            self.at += 1;
                        }
                    } else if self.starts("#*") {
                        while self.peek().is_some() && !self.starts("*#") {
                            self.at += 1;
                        }
                        self.at += 2;
                    } else {
                        text.push(c);
                        self.at += 1;
                    }
                }
                '$' => match self.text_reference()? {
                    Some(node) => {
                        if !text.is_empty() {
                            nodes.push(Node::Text(std::mem::take(&mut text)));
                        }
                        nodes.push(node);
                    }
                    None => {
                        text.push('$');
                        self.at += 1;
                    }
                },
                '\\' if matches!(self.peek_at(1), Some('$' | '#')) => {
                    text.push(self.peek_at(1).unwrap_or_default());
                    self.at += 2;
                }
                _ => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        match ends.is_empty() {
            true => Ok((nodes, None)),
            false => error("#end missing"),
        }
    }

    /// The directive at `#` (`set`, `if`, ..., in `#name` or `#{name}`
    /// form), consumed; none when `#` starts no directive.
    fn directive_name(&mut self) -> Option<String> {
        const NAMES: [&str; 7] = ["foreach", "elseif", "else", "break", "set", "end", "if"];
        for name in NAMES {
            for spelled in [format!("#{name}"), format!("#{{{name}}}")] {
                let after = self.chars.get(self.at + spelled.chars().count()).copied();
                let whole = !after.is_some_and(|c| c.is_ascii_alphanumeric());
                if self.starts(&spelled) && whole {
                    self.at += spelled.chars().count();
                    return Some(name.to_owned());
                }
            }
        }
        None
    }

    /// After a directive that ends its line, the newline is not output.
    fn gobble_newline(&mut self) {
        let mut look = self.at;
        while matches!(self.chars.get(look), Some(' ' | '\t')) {
            look += 1;
        }
        match self.chars.get(look) {
            Some('\n') => self.at = look + 1,
            Some('\r') if self.chars.get(look + 1) == Some(&'\n') => self.at = look + 2,
            _ => {}
        }
    }

    fn directive(&mut self, name: &str) -> Result<Option<Node>, TemplateError> {
        let node = match name {
            "set" => {
                let (target, value) = self.in_parens(|p| {
                    let target = match p.expression()? {
                        Expr::Ref(reference) => reference,
                        _ => return error("#set needs a reference to set"),
                    };
                    p.skip_space();
                    if p.peek() != Some('=') {
                        return error("#set needs =");
                    }
                    p.at += 1;
                    Ok((target, p.expression()?))
                })?;
                self.gobble_newline();
                Node::Set(target, value)
            }
            "if" => {
                let mut branches = Vec::new();
                let mut condition = self.in_parens(Parser::expression)?;
                self.gobble_newline();
                loop {
                    let (body, end) = self.block(&["elseif", "else", "end"])?;
                    branches.push((condition, body));
                    match end.as_deref() {
                        Some("elseif") => condition = self.in_parens(Parser::expression)?,
                        Some("else") => {
                            let (otherwise, _) = self.block(&["end"])?;
                            return Ok(Some(Node::If(branches, otherwise)));
                        }
                        _ => return Ok(Some(Node::If(branches, Vec::new()))),
                    }
                }
            }
            "foreach" => {
                let (name, items) = self.in_parens(|p| {
                    p.skip_space();
                    let Some(Expr::Ref(reference)) = p.primary()? else {
                        return error("#foreach needs a variable");
                    };
                    p.skip_space();
                    if !p.starts("in") {
                        return error("#foreach needs `in`");
                    }
                    p.at += 2;
                    Ok((reference.root, p.expression()?))
                })?;
                self.gobble_newline();
                let (body, _) = self.block(&["end"])?;
                Node::Foreach { name, items, body }
            }
            "break" => Node::Break,
            _ => return Ok(None),
        };
        Ok(Some(node))
    }

    fn in_parens<T>(
        &mut self,
        inside: impl FnOnce(&mut Parser) -> Result<T, TemplateError>,
    ) -> Result<T, TemplateError> {
        self.skip_space();
        if self.peek() != Some('(') {
            return error("( expected");
        }
        self.at += 1;
        let value = inside(self)?;
        self.skip_space();
        if self.peek() != Some(')') {
            return error(") expected");
        }
        self.at += 1;
        Ok(value)
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// A reference in text (`$a.b`, `$!a`, `${a.b}`); none when `$` starts
    /// no reference.
    fn text_reference(&mut self) -> Result<Option<Node>, TemplateError> {
        let start = self.at;
        self.at += 1;
        let quiet = self.peek() == Some('!');
        if quiet {
            self.at += 1;
        }
        let formal = self.peek() == Some('{');
        if formal {
            self.at += 1;
        }
        if !self.peek().is_some_and(is_name_start) {
            self.at = start;
            return Ok(None);
        }
        let reference = self.reference_body()?;
        if formal {
            if self.peek() != Some('}') {
                return error("} expected");
            }
            self.at += 1;
        }
        let raw: String = self.chars[start..self.at].iter().collect();
        Ok(Some(Node::Ref {
            reference,
            quiet,
            raw,
        }))
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek().filter(|c| is_name(*c)) {
            // A trailing hyphen belongs to the text (`$a-` in `$a-$b`).
            if c == '-' && !self.peek_at(1).is_some_and(|n| n.is_ascii_alphanumeric()) {
                break;
            }
            name.push(c);
            self.at += 1;
        }
        name
    }

    fn reference_body(&mut self) -> Result<Reference, TemplateError> {
        let root = self.name();
        let mut chain = Vec::new();
        loop {
            match self.peek() {
                Some('.') if self.peek_at(1).is_some_and(is_name_start) => {
                    self.at += 1;
                    let name = self.name();
                    if self.peek() == Some('(') {
                        self.at += 1;
                        let args = self.arguments(')')?;
                        chain.push(Access::Method(name, args));
                    } else {
                        chain.push(Access::Property(name));
                    }
                }
                Some('[') => {
                    self.at += 1;
                    let index = self.expression()?;
                    self.skip_space();
                    if self.peek() != Some(']') {
                        return error("] expected");
                    }
                    self.at += 1;
                    chain.push(Access::Index(index));
                }
                _ => return Ok(Reference { root, chain }),
            }
        }
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn arguments(&mut self, close: char) -> Result<Vec<Expr>, TemplateError> {
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.at += 1;
                return Ok(args);
            }
            args.push(self.expression()?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.at += 1,
                Some(c) if c == close => {
                    self.at += 1;
                    return Ok(args);
                }
                _ => return error(format!("{close} expected")),
            }
        }
    }

    pub(crate) fn expression(&mut self) -> Result<Expr, TemplateError> {
        self.binary(0)
    }

    /// Operators by precedence, loosest first.
    fn operator(&mut self, level: usize) -> Option<Op> {
        const LEVELS: [&[(&str, Op)]; 6] = [
            &[("||", Op::Or), ("or ", Op::Or)],
            &[("&&", Op::And), ("and ", Op::And)],
            &[("==", Op::Eq), ("!=", Op::Ne), ("eq ", Op::Eq), ("ne ", Op::Ne)],
            &[
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
                ("le ", Op::Le),
                ("ge ", Op::Ge),
                ("lt ", Op::Lt),
                ("gt ", Op::Gt),
            ],
            &[("+", Op::Add), ("-", Op::Sub)],
            &[("*", Op::Mul), ("/", Op::Div), ("%", Op::Rem)],
        ];
        self.skip_space();
        for (spelled, op) in LEVELS.get(level)?.iter() {
            if self.starts(spelled) {
                self.at += spelled.len();
                return Some(*op);
            }
        }
        None
    }

    fn binary(&mut self, level: usize) -> Result<Expr, TemplateError> {
        if level == 6 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(op) = self.operator(level) {
            let right = self.binary(level + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, TemplateError> {
        self.skip_space();
        if self.peek() == Some('!') && self.peek_at(1) != Some('=') {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.starts("not ") {
            self.at += 4;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some('-') && !self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        match self.primary()? {
            Some(expr) => Ok(expr),
            None => error(format!("expression expected at {}", self.at)),
        }
    }

    fn primary(&mut self) -> Result<Option<Expr>, TemplateError> {
        self.skip_space();
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let expr = match c {
            '$' => {
                self.at += 1;
                if self.peek() == Some('!') {
                    self.at += 1;
                }
                let formal = self.peek() == Some('{');
                if formal {
                    self.at += 1;
                }
                let reference = self.reference_body()?;
                if formal && self.peek() == Some('}') {
                    self.at += 1;
                }
                Expr::Ref(reference)
            }
            '\'' => Expr::Literal(Value::String(self.quoted('\'')?)),
            '"' => {
                let text = self.quoted('"')?;
                let mut inner = Parser {
                    chars: text.chars().collect(),
                    at: 0,
                };
                Expr::Interpolated(inner.block(&[])?.0)
            }
            '(' => {
                self.at += 1;
                let inner = self.expression()?;
                self.skip_space();
                if self.peek() != Some(')') {
                    return error(") expected");
                }
                self.at += 1;
                inner
            }
            '[' => {
                self.at += 1;
                Expr::List(self.arguments(']')?)
            }
            '{' => {
                self.at += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_space();
                    if self.peek() == Some('}') {
                        self.at += 1;
                        break;
                    }
                    let key = self.expression()?;
                    self.skip_space();
                    if self.peek() != Some(':') {
                        return error(": expected");
                    }
                    self.at += 1;
                    entries.push((key, self.expression()?));
                    self.skip_space();
                    if self.peek() == Some(',') {
                        self.at += 1;
                    }
                }
                Expr::Map(entries)
            }
            c if c.is_ascii_digit() || c == '-' => self.number()?,
            _ if self.starts("true") => {
                self.at += 4;
                Expr::Literal(Value::Bool(true))
            }
            _ if self.starts("false") => {
                self.at += 5;
                Expr::Literal(Value::Bool(false))
            }
            _ if self.starts("null") => {
                self.at += 4;
                Expr::Literal(Value::Null)
            }
            _ => return Ok(None),
        };
        Ok(Some(expr))
    }

    fn quoted(&mut self, quote: char) -> Result<String, TemplateError> {
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return error("unterminated string"),
                Some(c) if c == quote => {
                    // Doubled quotes stand for one.
                    if self.peek_at(1) == Some(quote) {
                        text.push(quote);
                        self.at += 2;
                        continue;
                    }
                    self.at += 1;
                    return Ok(text);
                }
                Some(c) => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
    }

    /// A number, or a range `[a..b]`'s first bound followed by `..`.
    fn number(&mut self) -> Result<Expr, TemplateError> {
        let start = self.at;
        if self.peek() == Some('-') {
            self.at += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let float = self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit());
        if float {
            self.at += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.at += 1;
            }
        }
        let text: String = self.chars[start..self.at].iter().collect();
        let number = match float {
            true => text
                .parse()
                .map(Value::Float)
                .map_err(|_| TemplateError(format!("bad number {text}")))?,
            false => text
                .parse()
                .map(Value::Int)
                .map_err(|_| TemplateError(format!("bad number {text}")))?,
        };
        if self.starts("..") {
            self.at += 2;
            let end = self.expression()?;
            return Ok(Expr::Range(Box::new(Expr::Literal(number)), Box::new(end)));
        }
        Ok(Expr::Literal(number))
    }
}
