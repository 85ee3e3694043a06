//! The parameters of a query request, as a tree keyed by the dotted segments
//! of their names (`Tags.member.1.Key` → `Tags` / `member` / `1` / `Key`).

use indexmap::IndexMap;

use crate::codec::form;
use crate::http_types::HttpRequest;

/// Parameter names with more segments than this name nothing in any model;
/// they are ignored like other unknown parameters, which also keeps the tree
/// (and every walk over it) shallow.
const MAX_SEGMENTS: usize = 64;

/// Every parameter of a query request: the query string's, then the form
/// body's (AWS reads both; a body parameter wins over a query-string one).
pub fn request_params(request: &HttpRequest) -> Vec<(String, String)> {
    let mut params = request.query_params();
    if has_form_body(request) {
        params.extend(form::parse(&request.body));
    }
    params
}

/// A body is form-encoded when it says so, or says nothing at all.
fn has_form_body(request: &HttpRequest) -> bool {
    match request.header("content-type") {
        None => !request.body.is_empty(),
        Some(content_type) => content_type.split(';').next().is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        }),
    }
}

/// One segment of parameter names and everything below it.
#[derive(Debug, Default)]
pub struct ParamTree {
    /// The value of the parameter whose name ends here (`A=` gives `Some("")`).
    pub value: Option<String>,
    children: IndexMap<String, ParamTree>,
}

impl ParamTree {
    /// The tree of `params`; a later duplicate overrides an earlier one.
    pub fn build<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut root = ParamTree::default();
        for (name, value) in params {
            if name.split('.').count() > MAX_SEGMENTS {
                continue;
            }
            let mut node = &mut root;
            for segment in name.split('.') {
                node = node.children.entry(segment.to_owned()).or_default();
            }
            node.value = Some(value.to_owned());
        }
        root
    }

    pub fn child(&self, segment: &str) -> Option<&ParamTree> {
        self.children.get(segment)
    }

    /// The children named by a positive index (`.1`, `.2`, ...), in index
    /// order; gaps are allowed, other names are ignored.
    pub fn indexed(&self) -> Vec<(u32, &ParamTree)> {
        let mut items: Vec<(u32, &ParamTree)> = self
            .children
            .iter()
            .filter_map(|(segment, node)| {
                let index: u32 = segment.parse().ok()?;
                (index > 0 && segment.bytes().all(|b| b.is_ascii_digit())).then_some((index, node))
            })
            .collect();
        items.sort_by_key(|(index, _)| *index);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_of_dotted_names() {
        let tree = ParamTree::build([
            ("List.member.2", "b"),
            ("List.member.1", "a"),
            ("List.member.x", "ignored"),
            ("List.member.0", "ignored"),
            ("Empty", ""),
        ]);
        let members = tree
            .child("List")
            .and_then(|l| l.child("member"))
            .expect("member");
        let values: Vec<_> = members
            .indexed()
            .into_iter()
            .map(|(i, node)| (i, node.value.as_deref()))
            .collect();
        assert_eq!(values, vec![(1, Some("a")), (2, Some("b"))]);
        assert_eq!(tree.child("Empty").and_then(|e| e.value.as_deref()), Some(""));
    }

    #[test]
    fn ignores_absurdly_deep_names() {
        let deep = vec!["a"; 10_000].join(".");
        let tree = ParamTree::build([(deep.as_str(), "x")]);
        assert!(tree.child("a").is_none());
    }
}
