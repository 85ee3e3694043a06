//! Finding the operation a rest request calls. Every operation's
//! `http.requestUri` is compiled once per model into a [`Route`]; a request is
//! matched against the routes of its method and the most specific match wins.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;

use crate::model::{Location, Model, Operation, XmlNamespace};

/// The compiled routes of one model, kept with the model itself.
#[derive(Debug)]
pub struct RouteIndex {
    /// One route per operation, in the model's operation order.
    routes: Vec<Route>,
    /// The routes of each HTTP method (upper case): a handful of methods,
    /// found by comparing names faster than by hashing them.
    by_method: Vec<(String, MethodRoutes)>,
    /// The namespace the service's documents use (S3's
    /// `http://s3.amazonaws.com/doc/2006-03-01/`), taken from the model's
    /// request bodies; responses declare it on their root element as AWS does.
    pub service_namespace: Option<XmlNamespace>,
}

/// The route positions of one method.
#[derive(Debug, Default)]
struct MethodRoutes {
    all: Vec<usize>,
    /// Those whose template requires no query key: the only ones a request
    /// without a query string can match (most of S3's GET routes need one).
    without_query: Vec<usize>,
}

/// One operation's `requestUri`, compiled.
#[derive(Debug)]
pub struct Route {
    /// The operation's position in `model.operations`.
    operation: usize,
    pub path: PathTemplate,
    /// Query keys the template requires (`?uploads`), with the value when it
    /// names one (`?list-type=2`).
    pub query: Vec<(String, Option<String>)>,
    /// Required input members bound to the query string or a header. Their
    /// presence tells apart operations that share a route (S3's `UploadPart`
    /// needs `partNumber` and `uploadId`, `PutObject` does not).
    required_bindings: Vec<Binding>,
    deprecated: bool,
}

#[derive(Debug)]
enum Binding {
    Query(String),
    /// A lower-case header name.
    Header(String),
}

/// The path part of a `requestUri`: literal segments, `{Label}`s and at most
/// one `{Greedy+}` label.
#[derive(Debug, PartialEq)]
pub struct PathTemplate {
    segments: Vec<Segment>,
    /// Where the greedy label is, if any.
    greedy_at: Option<usize>,
    /// Characters of literal text, the measure of how specific a path is.
    literal_chars: usize,
}

#[derive(Debug, PartialEq)]
enum Segment {
    Literal(String),
    Label(String),
    Greedy(String),
}

/// The label values a path matched (`(name, text)`), still percent-encoded:
/// slices of the path, except a greedy label spanning several segments.
pub type RawLabels<'t, 'p> = Vec<(&'t str, Cow<'p, str>)>;

impl PathTemplate {
    pub fn parse(template: &str) -> PathTemplate {
        let segments: Vec<Segment> = split_path(template)
            .into_iter()
            .filter(|segment| !segment.is_empty())
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(label) => match label.strip_suffix('+') {
                        Some(greedy) => Segment::Greedy(greedy.to_owned()),
                        None => Segment::Label(label.to_owned()),
                    },
                    None => Segment::Literal(segment.to_owned()),
                },
            )
            .collect();
        let greedy_at = segments.iter().position(|s| matches!(s, Segment::Greedy(_)));
        let literal_chars = segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.len() + 1,
                _ => 1,
            })
            .sum();
        PathTemplate {
            segments,
            greedy_at,
            literal_chars,
        }
    }

    /// The labels of `path` (raw, still percent-encoded, as `(name, text)`)
    /// when it matches. A trailing slash is ignored (`/bucket/` is `/bucket`)
    /// except where a greedy label ends the template: S3 keys may end in `/`.
    pub fn match_path<'t, 'p>(&'t self, path: &'p str) -> Option<RawLabels<'t, 'p>> {
        with_split_path(path, |parts| self.match_parts(parts))
    }

    /// [`Self::match_path`] for a path already split by [`split_path`], so a
    /// request is split once whatever the number of routes tried.
    fn match_parts<'t, 'p>(&'t self, parts: &[&'p str]) -> Option<RawLabels<'t, 'p>> {
        let mut labels = Vec::new();
        self.walk_parts(parts, Some(&mut labels))?;
        Some(labels)
    }

    /// Whether the split path matches, without building its labels: routing
    /// tries many templates per request and needs only the answer.
    fn matches_parts(&self, parts: &[&str]) -> bool {
        self.walk_parts(parts, None).is_some()
    }

    /// Matches the split path segment by segment, collecting the labels
    /// when asked to.
    fn walk_parts<'t, 'p>(
        &'t self,
        parts: &[&'p str],
        mut labels: Option<&mut RawLabels<'t, 'p>>,
    ) -> Option<()> {
        let mut parts = parts;
        let greedy_ends_template = self.greedy_at.is_some_and(|at| at + 1 == self.segments.len());
        if !greedy_ends_template && parts.len() > 1 && parts.last() == Some(&"") {
            parts = &parts[..parts.len() - 1];
        }
        if parts == [""] {
            parts = &[];
        }
        match self.greedy_at {
            None => {
                if parts.len() != self.segments.len() {
                    return None;
                }
                for (segment, part) in self.segments.iter().zip(parts) {
                    match_segment(segment, part, labels.as_deref_mut())?;
                }
            }
            Some(at) => {
                let suffix = &self.segments[at + 1..];
                if parts.len() < self.segments.len() {
                    return None;
                }
                let greedy_end = parts.len() - suffix.len();
                for (segment, part) in self.segments[..at].iter().zip(&parts[..at]) {
                    match_segment(segment, part, labels.as_deref_mut())?;
                }
                for (segment, part) in suffix.iter().zip(&parts[greedy_end..]) {
                    match_segment(segment, part, labels.as_deref_mut())?;
                }
                // The greedy label takes at least one character (`a//b` gives `/`).
                let greedy_parts = &parts[at..greedy_end];
                if greedy_parts.len() <= 1 && greedy_parts.iter().all(|part| part.is_empty()) {
                    return None;
                }
                if let (Some(labels), Segment::Greedy(name)) = (labels, &self.segments[at]) {
                    let text = match greedy_parts {
                        [one] => Cow::Borrowed(*one),
                        _ => Cow::Owned(greedy_parts.join("/")),
                    };
                    labels.push((name.as_str(), text));
                }
            }
        }
        Some(())
    }
}

/// `/a/b/` into `["a", "b", ""]`; the leading slash is not a segment.
fn split_path(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// The most path segments [`with_split_path`] keeps on the stack.
const STACK_SEGMENTS: usize = 16;

/// Calls `f` with `path` split as [`split_path`] splits it, without
/// allocating for paths of up to [`STACK_SEGMENTS`] segments (every request
/// is split once to route it and once to read its labels).
fn with_split_path<'p, R>(path: &'p str, f: impl FnOnce(&[&'p str]) -> R) -> R {
    let mut stack = [""; STACK_SEGMENTS];
    let mut count = 0;
    for part in path.strip_prefix('/').unwrap_or(path).split('/') {
        if count == STACK_SEGMENTS {
            return f(&split_path(path));
        }
        stack[count] = part;
        count += 1;
    }
    f(&stack[..count])
}

fn match_segment<'t, 'p>(
    segment: &'t Segment,
    part: &'p str,
    labels: Option<&mut RawLabels<'t, 'p>>,
) -> Option<()> {
    match segment {
        Segment::Literal(text) if !part.contains('%') => (part == text.as_str()).then_some(()),
        Segment::Literal(text) => {
            (percent_decode_str(part).decode_utf8_lossy() == text.as_str()).then_some(())
        }
        Segment::Label(name) | Segment::Greedy(name) => {
            if part.is_empty() {
                return None;
            }
            if let Some(labels) = labels {
                labels.push((name.as_str(), Cow::Borrowed(part)));
            }
            Some(())
        }
    }
}

/// `uploads&select-type=2` into `[("uploads", None), ("select-type", Some("2"))]`.
fn parse_template_query(query: &str) -> Vec<(String, Option<String>)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
            None => (pair.to_owned(), None),
        })
        .collect()
}

impl Route {
    fn compile(model: &Model, operation: &Operation) -> Route {
        let (path, query) = operation
            .http
            .request_uri
            .split_once('?')
            .unwrap_or((operation.http.request_uri.as_str(), ""));
        Route {
            operation: operation.position,
            path: PathTemplate::parse(path),
            query: parse_template_query(query),
            required_bindings: required_bindings(model, operation),
            deprecated: operation.deprecated,
        }
    }

    /// Whether the request carries every query key the template requires.
    fn query_matches(&self, params: &[(String, String)]) -> bool {
        self.query.iter().all(|(key, value)| {
            params
                .iter()
                .any(|(k, v)| k == key && value.as_ref().is_none_or(|value| value == v))
        })
    }

    /// How many of the required query/header bindings the request carries.
    fn bindings_present(&self, params: &[(String, String)], headers: &HeaderMap) -> usize {
        self.required_bindings
            .iter()
            .filter(|binding| match binding {
                Binding::Query(key) => params.iter().any(|(k, _)| k == key),
                Binding::Header(name) => headers.contains_key(name.as_str()),
            })
            .count()
    }
}

fn required_bindings(model: &Model, operation: &Operation) -> Vec<Binding> {
    let Some(shape) = model.input_of(operation) else {
        return Vec::new();
    };
    shape
        .members
        .iter()
        .filter(|member| member.required)
        .filter_map(|member| match member.location? {
            Location::Querystring => Some(Binding::Query(member.json_key.clone())),
            Location::Header => Some(Binding::Header(member.json_key.to_ascii_lowercase())),
            _ => None,
        })
        .collect()
}

/// The namespace a service's request bodies declare, from operation inputs
/// (Route 53's `ChangeResourceRecordSetsRequest`) or their payload members
/// (S3's `CreateBucketConfiguration`).
fn service_namespace(model: &Model) -> Option<XmlNamespace> {
    model.operations.iter().find_map(|operation| {
        let input = operation.input.as_ref()?;
        if let Some(namespace) = &input.xml_namespace {
            return Some(namespace.clone());
        }
        model.shape(input.shape).payload_member()?.xml_namespace.clone()
    })
}

impl RouteIndex {
    /// The route table of `model`, compiled on first use.
    pub fn of(model: &Model) -> &RouteIndex {
        model.routes.get_or_init(|| RouteIndex::build(model))
    }

    fn build(model: &Model) -> RouteIndex {
        let routes: Vec<Route> = model
            .operations
            .iter()
            .map(|operation| Route::compile(model, operation))
            .collect();
        let mut by_method: Vec<(String, MethodRoutes)> = Vec::new();
        for operation in &model.operations {
            let method = operation.http.method.to_ascii_uppercase();
            let index = match by_method.iter().position(|(known, _)| *known == method) {
                Some(index) => index,
                None => {
                    by_method.push((method, MethodRoutes::default()));
                    by_method.len() - 1
                }
            };
            let method_routes = &mut by_method[index].1;
            method_routes.all.push(operation.position);
            if routes[operation.position].query.is_empty() {
                method_routes.without_query.push(operation.position);
            }
        }
        RouteIndex {
            routes,
            by_method,
            service_namespace: service_namespace(model),
        }
    }

    /// The route of an operation of this model.
    pub fn route_of(&self, operation: &Operation) -> Option<&Route> {
        self.routes.get(operation.position)
    }

    /// The operation the request calls: among the routes matching method,
    /// path and template query, the one with the most literal path text, then
    /// the most template query keys, then all of its required query/header
    /// members present, then the most of them, then not deprecated, then the
    /// first in the model.
    pub fn find<'m>(
        &self,
        model: &'m Model,
        method: &str,
        path: &str,
        params: &[(String, String)],
        headers: &HeaderMap,
    ) -> Option<&'m Operation> {
        // Clients send methods in upper case; only others pay for converting.
        let routes_of = |method: &str| {
            self.by_method
                .iter()
                .find(|(known, _)| known == method)
                .map(|(_, positions)| positions)
        };
        let method_routes = match routes_of(method) {
            Some(method_routes) => method_routes,
            None => routes_of(&method.to_ascii_uppercase())?,
        };
        let candidates = if params.is_empty() {
            &method_routes.without_query
        } else {
            &method_routes.all
        };
        let best = with_split_path(path, |parts| {
            candidates
                .iter()
                .map(|&position| &self.routes[position])
                .filter(|route| route.query_matches(params) && route.path.matches_parts(parts))
                .max_by_key(|route| {
                    let present = route.bindings_present(params, headers);
                    (
                        route.path.literal_chars,
                        route.query.len(),
                        present == route.required_bindings.len(),
                        present,
                        !route.deprecated,
                        std::cmp::Reverse(route.operation),
                    )
                })
        })?;
        model.operations.get(best.operation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(template: &str, path: &str) -> Option<Vec<(String, String)>> {
        PathTemplate::parse(template).match_path(path).map(|labels| {
            labels
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into_owned()))
                .collect()
        })
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn literal_and_label_segments() {
        assert_eq!(labels("/", "/"), Some(vec![]));
        assert_eq!(labels("/", "/x"), None);
        assert_eq!(labels("/{Bucket}", "/"), None);
        assert_eq!(labels("/{Bucket}", "/b"), Some(pairs(&[("Bucket", "b")])));
        assert_eq!(labels("/{Bucket}", "/b/"), Some(pairs(&[("Bucket", "b")])));
        assert_eq!(labels("/{Bucket}", "/b/k"), None);
        assert_eq!(
            labels("/2015-03-31/functions/", "/2015-03-31/functions"),
            Some(vec![])
        );
        assert_eq!(
            labels(
                "/2015-03-31/functions/{FunctionName}/invocations",
                "/2015-03-31/functions/f%3A1/invocations"
            ),
            Some(pairs(&[("FunctionName", "f%3A1")]))
        );
        assert_eq!(
            labels("/ReDosLiteral/{str}/(a+)+", "/ReDosLiteral/abc/(a+)+"),
            Some(pairs(&[("str", "abc")]))
        );
    }

    #[test]
    fn greedy_labels_keep_slashes() {
        let t = "/{Bucket}/{Key+}";
        assert_eq!(labels(t, "/b/k"), Some(pairs(&[("Bucket", "b"), ("Key", "k")])));
        assert_eq!(
            labels(t, "/b/a/b/c"),
            Some(pairs(&[("Bucket", "b"), ("Key", "a/b/c")]))
        );
        assert_eq!(
            labels(t, "/b/dir/"),
            Some(pairs(&[("Bucket", "b"), ("Key", "dir/")]))
        );
        assert_eq!(labels(t, "/b//x"), Some(pairs(&[("Bucket", "b"), ("Key", "/x")])));
        assert_eq!(labels(t, "/b/"), None);
        assert_eq!(labels(t, "/b"), None);
        let t = "/HttpRequestWithGreedyLabelInPath/foo/{foo}/baz/{baz+}";
        assert_eq!(
            labels(
                t,
                "/HttpRequestWithGreedyLabelInPath/foo/hello%2Fescape/baz/there/guy"
            ),
            Some(pairs(&[("foo", "hello%2Fescape"), ("baz", "there/guy")]))
        );
        let t = "/prefix/{Rest+}/suffix";
        assert_eq!(labels(t, "/prefix/a/b/suffix"), Some(pairs(&[("Rest", "a/b")])));
        assert_eq!(labels(t, "/prefix/suffix"), None);
    }

    #[test]
    fn long_paths_split_as_short_ones_do() {
        let deep: String = (0..40).map(|i| format!("/s{i}")).collect();
        for path in ["/", "", "/a", "/a/", "//", "/a/b/c", deep.as_str()] {
            assert_eq!(
                with_split_path(path, <[&str]>::to_vec),
                split_path(path),
                "{path}"
            );
        }
        let t = "/{Bucket}/{Key+}";
        let key: String = (0..40).map(|i| format!("s{i}/")).collect();
        assert_eq!(
            labels(t, &format!("/b/{key}")),
            Some(pairs(&[("Bucket", "b"), ("Key", key.as_str())]))
        );
    }

    #[test]
    fn template_query_parts() {
        assert_eq!(
            parse_template_query("select&select-type=2"),
            vec![
                ("select".to_owned(), None),
                ("select-type".to_owned(), Some("2".to_owned()))
            ]
        );
    }
}
