//! A policy's text value, compiled when the policy is parsed: plain text,
//! a wildcard pattern, or a template whose variables are replaced per
//! request. Deciding then allocates nothing for the first two.

use crate::context::Context;
use crate::variables::{plain, resolve};
use crate::wildcard::{Token, matches, tokens};

#[derive(Debug, Clone)]
enum Form {
    /// No wildcard and no variable.
    Plain,
    /// Wildcards, no variable.
    Glob(Vec<Token>),
    /// Holds `${...}` (in a 2012-10-17 policy): resolved per request.
    Template,
}

/// One compiled value.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    form: Form,
}

impl Pattern {
    /// Compiles `text`; `variables` when the policy's version knows them.
    pub(crate) fn new(text: &str, variables: bool) -> Pattern {
        let form = if variables && text.contains("${") {
            Form::Template
        } else if text.contains(['*', '?']) {
            Form::Glob(tokens(text))
        } else {
            Form::Plain
        };
        Pattern {
            text: text.to_owned(),
            form,
        }
    }

    /// Whether the value holds variables (it reads the request's keys).
    pub fn is_template(&self) -> bool {
        matches!(self.form, Form::Template)
    }

    /// The text as written in the policy.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Wildcard matching (`*`, `?`), variables replaced.
    pub(crate) fn matches(&self, value: &str, ignore_case: bool, context: &Context) -> bool {
        match &self.form {
            Form::Plain if ignore_case => self.text.eq_ignore_ascii_case(value),
            Form::Plain => self.text == value,
            Form::Glob(tokens) => matches(tokens, value, ignore_case),
            Form::Template => {
                resolve(&self.text, context).is_some_and(|tokens| matches(&tokens, value, ignore_case))
            }
        }
    }

    /// The text with its variables replaced (wildcards kept as written);
    /// `None` when a variable names a key the request lacks.
    pub(crate) fn resolved(&self, context: &Context) -> Option<std::borrow::Cow<'_, str>> {
        match &self.form {
            Form::Template => resolve(&self.text, context).map(|tokens| plain(&tokens).into()),
            _ => Some(self.text.as_str().into()),
        }
    }
}
