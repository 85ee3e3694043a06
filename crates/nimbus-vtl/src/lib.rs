//! Velocity (VTL) templates, the subset AWS mapping templates are written
//! in: text with `$references` (properties, method calls, indexes, `$!quiet`
//! and `${formal}` forms), `#set`, `#if`/`#elseif`/`#else`, `#foreach`
//! (with `$foreach.hasNext` and `$velocityCount`), `##` and `#* *#`
//! comments, and expressions of literals, lists, maps, ranges and
//! operators. A service gives the template its variables, some of them
//! host objects ([`Host`]) whose methods it answers (`$input.json('$')`).

mod eval;
mod parse;
mod value;

pub use eval::render;
pub use parse::{Template, TemplateError};
pub use value::{Host, Value};

#[cfg(test)]
mod tests;
