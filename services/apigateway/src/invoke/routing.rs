//! Which resource and method of a deployment answer a request: from the
//! root, a path segment goes to the child of that name, else to the
//! variable child (`{id}`), else to a greedy one (`{proxy+}`, the rest of
//! the path, never the root itself); a resource without the request's
//! method (or ANY) lets the search go on to the next candidate, as AWS
//! falls through to `ANY /{proxy+}`.

use std::collections::HashMap;

use indexmap::IndexMap;
use nimbus_apigateway_api::{Method, ResourceShape};

/// The resource and method a request goes to, with its path parameters
/// by name (as the path spells them: API Gateway does not decode them).
#[derive(Debug)]
pub struct Route<'d> {
    pub resource: &'d ResourceShape,
    pub method: &'d Method,
    pub path_parameters: IndexMap<String, String>,
}

struct Tree<'d> {
    children: HashMap<&'d str, Vec<&'d ResourceShape>>,
}

/// The route of `verb` on `path` (encoded, starting with `/`).
pub fn route<'d>(resources: &'d [ResourceShape], path: &str, verb: &str) -> Option<Route<'d>> {
    let root = resources.iter().find(|r| r.parent_id.is_none())?;
    let mut children: HashMap<&str, Vec<&ResourceShape>> = HashMap::new();
    for resource in resources {
        if let Some(parent) = resource.parent_id.as_deref() {
            children.entry(parent).or_default().push(resource);
        }
    }
    let tree = Tree { children };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut parameters = IndexMap::new();
    let (resource, method) = tree.find(root, &segments, verb, &mut parameters)?;
    Some(Route {
        resource,
        method,
        path_parameters: parameters,
    })
}

/// The method of `resource` a request of `verb` takes: its own, else ANY.
fn method_of<'d>(resource: &'d ResourceShape, verb: &str) -> Option<&'d Method> {
    let methods = resource.resource_methods.as_ref()?;
    methods.get(verb).or_else(|| methods.get("ANY"))
}

fn variable_name(part: &str) -> Option<(&str, bool)> {
    let name = part.strip_prefix('{')?.strip_suffix('}')?;
    Some(match name.strip_suffix('+') {
        Some(greedy) => (greedy, true),
        None => (name, false),
    })
}

impl<'d> Tree<'d> {
    fn find(
        &self,
        node: &'d ResourceShape,
        segments: &[&str],
        verb: &str,
        parameters: &mut IndexMap<String, String>,
    ) -> Option<(&'d ResourceShape, &'d Method)> {
        let Some((first, rest)) = segments.split_first() else {
            return method_of(node, verb).map(|method| (node, method));
        };
        let children = self
            .children
            .get(node.id.as_deref()?)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let part = |r: &&ResourceShape| r.path_part.as_deref().unwrap_or_default().to_owned();
        // A name first, then a variable, then a greedy variable.
        if let Some(named) = children.iter().find(|r| part(r) == *first)
            && let Some(found) = self.find(named, rest, verb, parameters)
        {
            return Some(found);
        }
        for child in children {
            let path_part = part(child);
            let Some((name, greedy)) = variable_name(&path_part) else {
                continue;
            };
            if greedy {
                if let Some(method) = method_of(child, verb) {
                    parameters.insert(name.to_owned(), segments.join("/"));
                    return Some((child, method));
                }
                continue;
            }
            parameters.insert(name.to_owned(), (*first).to_owned());
            if let Some(found) = self.find(child, rest, verb, parameters) {
                return Some(found);
            }
            parameters.shift_remove(name);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, parent: Option<&str>, part: &str, methods: &[&str]) -> ResourceShape {
        ResourceShape {
            id: Some(id.to_owned()),
            parent_id: parent.map(str::to_owned),
            path_part: parent.map(|_| part.to_owned()),
            path: None,
            resource_methods: Some(
                methods
                    .iter()
                    .map(|m| ((*m).to_owned(), Method::default()))
                    .collect(),
            ),
        }
    }

    fn tree() -> Vec<ResourceShape> {
        vec![
            resource("root", None, "", &["GET"]),
            resource("pets", Some("root"), "pets", &["GET", "POST"]),
            resource("pet", Some("pets"), "{id}", &["GET"]),
            resource("proxy", Some("root"), "{proxy+}", &["ANY"]),
        ]
    }

    fn routed(path: &str, verb: &str) -> Option<(String, Vec<(String, String)>)> {
        let resources = tree();
        route(&resources, path, verb).map(|r| {
            (
                r.resource.id.clone().unwrap_or_default(),
                r.path_parameters.into_iter().collect(),
            )
        })
    }

    #[test]
    fn names_win_over_variables_and_greedy_variables_take_the_rest() {
        assert_eq!(routed("/", "GET"), Some(("root".into(), vec![])));
        assert_eq!(routed("/pets", "POST"), Some(("pets".into(), vec![])));
        assert_eq!(
            routed("/pets/7", "GET"),
            Some(("pet".into(), vec![("id".into(), "7".into())]))
        );
        assert_eq!(
            routed("/pets/7", "DELETE"),
            Some(("proxy".into(), vec![("proxy".into(), "pets/7".into())])),
            "a resource without the method falls through to ANY /{{proxy+}}"
        );
        assert_eq!(
            routed("/a%20b/c", "PUT"),
            Some(("proxy".into(), vec![("proxy".into(), "a%20b/c".into())]))
        );
        assert_eq!(
            routed("/", "POST"),
            None,
            "the greedy variable never takes the root"
        );
    }
}
