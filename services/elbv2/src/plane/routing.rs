//! Listener rules as the proxy evaluates them: conditions compiled once
//! from the records (host-header, path-pattern, http-header,
//! http-request-method, query-string, source-ip), rules in priority order,
//! the default rule last. Within a condition any value may match; all of a
//! rule's conditions must.

use std::net::IpAddr;

use ipnet::IpNet;
use nimbus_elbv2_api::{Action, Rule, RuleCondition};

/// What a request offers the conditions.
pub struct Request<'r> {
    pub host: &'r str,
    pub path: &'r str,
    pub query: &'r str,
    pub method: &'r str,
    pub header: &'r dyn Fn(&str) -> Vec<&'r str>,
    pub source: IpAddr,
}

#[derive(Debug, Clone)]
pub enum Condition {
    Host(Vec<String>),
    Path(Vec<String>),
    Header(String, Vec<String>),
    Method(Vec<String>),
    /// (key, value) patterns; a missing key matches any key.
    Query(Vec<(Option<String>, String)>),
    Source(Vec<IpNet>),
}

/// A rule ready for requests: its conditions and what its actions
/// compile to (`A`: the plane's answer, with its target groups resolved).
#[derive(Debug, Clone)]
pub struct CompiledRule<A> {
    pub priority: u32,
    pub conditions: Vec<Condition>,
    pub answer: A,
}

/// `*` any run of characters, `?` any one; on bytes, without allocating
/// (a request tries every rule's patterns).
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let same = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // How many bytes the character starting at `text[t]` takes.
    let width = |t: usize| match text[t] {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    };
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'?' {
            p += 1;
            t += width(t);
        } else if p < pattern.len() && pattern[p] != b'*' && same(pattern[p], text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += width(mark);
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn values(condition: &RuleCondition, nested: Option<&Vec<String>>) -> Vec<String> {
    nested.or(condition.values.as_ref()).cloned().unwrap_or_default()
}

/// A record's condition as the proxy checks it (`None`: a field nimbus
/// does not know, which no request matches).
pub fn compile(condition: &RuleCondition) -> Option<Condition> {
    Some(match condition.field.as_deref()? {
        "host-header" => Condition::Host(values(
            condition,
            condition
                .host_header_config
                .as_ref()
                .and_then(|c| c.values.as_ref()),
        )),
        "path-pattern" => Condition::Path(values(
            condition,
            condition
                .path_pattern_config
                .as_ref()
                .and_then(|c| c.values.as_ref()),
        )),
        "http-header" => {
            let config = condition.http_header_config.as_ref()?;
            Condition::Header(
                config.http_header_name.clone()?.to_ascii_lowercase(),
                config.values.clone().unwrap_or_default(),
            )
        }
        "http-request-method" => Condition::Method(values(
            condition,
            condition
                .http_request_method_config
                .as_ref()
                .and_then(|c| c.values.as_ref()),
        )),
        "query-string" => Condition::Query(
            condition
                .query_string_config
                .as_ref()?
                .values
                .iter()
                .flatten()
                .map(|pair| (pair.key.clone(), pair.value.clone().unwrap_or_default()))
                .collect(),
        ),
        "source-ip" => Condition::Source(
            condition
                .source_ip_config
                .as_ref()?
                .values
                .iter()
                .flatten()
                .filter_map(|cidr| cidr.parse().ok())
                .collect(),
        ),
        _ => return None,
    })
}

/// A listener's rules, in the order they are tried; `answer` makes what a
/// rule's actions (sorted by their order) come to.
pub fn compile_rules<A>(
    rules: &[Rule],
    default_actions: &[Action],
    answer: impl Fn(&[Action]) -> A,
) -> Vec<CompiledRule<A>> {
    let mut compiled: Vec<CompiledRule<A>> = rules
        .iter()
        .filter_map(|rule| {
            let priority = rule.priority.as_deref()?.parse().ok()?;
            let conditions = rule
                .conditions
                .iter()
                .flatten()
                .map(compile)
                .collect::<Option<Vec<_>>>()?;
            Some(CompiledRule {
                priority,
                conditions,
                answer: answer(&sorted(rule.actions.clone().unwrap_or_default())),
            })
        })
        .collect();
    compiled.sort_by_key(|r| r.priority);
    compiled.push(CompiledRule {
        priority: u32::MAX,
        conditions: Vec::new(),
        answer: answer(&sorted(default_actions.to_vec())),
    });
    compiled
}

fn sorted(mut actions: Vec<Action>) -> Vec<Action> {
    actions.sort_by_key(|a| a.order.unwrap_or(i32::MAX));
    actions
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode(&s.replace('+', " "));
            (decode(key), decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl Condition {
    pub fn matches(&self, request: &Request<'_>) -> bool {
        match self {
            Condition::Host(patterns) => patterns.iter().any(|p| wildcard(p, request.host, true)),
            Condition::Path(patterns) => patterns.iter().any(|p| wildcard(p, request.path, false)),
            Condition::Header(name, patterns) => (request.header)(name)
                .iter()
                .any(|value| patterns.iter().any(|p| wildcard(p, value, true))),
            Condition::Method(methods) => methods.iter().any(|m| m == request.method),
            Condition::Query(wanted) => {
                let pairs = query_pairs(request.query);
                wanted.iter().any(|(key, value)| {
                    pairs.iter().any(|(k, v)| {
                        key.as_deref().is_none_or(|key| wildcard(key, k, true)) && wildcard(value, v, true)
                    })
                })
            }
            Condition::Source(nets) => nets.iter().any(|net| net.contains(&request.source)),
        }
    }
}

/// The answer of the first rule whose conditions all match.
pub fn route<'c, A>(rules: &'c [CompiledRule<A>], request: &Request<'_>) -> Option<&'c A> {
    rules
        .iter()
        .find(|rule| rule.conditions.iter().all(|c| c.matches(request)))
        .map(|rule| &rule.answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_elbv2_api::{PathPatternConditionConfig, QueryStringConditionConfig, QueryStringKeyValuePair};

    fn request<'r>(
        host: &'r str,
        path: &'r str,
        query: &'r str,
        header: &'r dyn Fn(&str) -> Vec<&'r str>,
    ) -> Request<'r> {
        Request {
            host,
            path,
            query,
            method: "GET",
            header,
            source: "127.0.0.1".parse().unwrap(),
        }
    }

    #[test]
    fn wildcards_match_as_elb_matches() {
        assert!(wildcard("/api/*", "/api/users/1", false));
        assert!(!wildcard("/api/*", "/API/users", false));
        assert!(wildcard("*.example.com", "WWW.example.com", true));
        assert!(wildcard("/img?.png", "/img1.png", false));
        assert!(!wildcard("/img?.png", "/img12.png", false));
        assert!(wildcard("*", "", false));
        assert!(wildcard("/caf?", "/café", false), "? is one character");
        assert!(wildcard("*a*b", "xxaxxb", false));
        assert!(!wildcard("*a*b", "xxaxxc", false));
    }

    #[test]
    fn rules_are_tried_by_priority_with_the_default_last() {
        let forward = |arn: &str| Action {
            r#type: "forward".to_owned(),
            target_group_arn: Some(arn.to_owned()),
            ..Default::default()
        };
        let path_rule = |priority: &str, pattern: &str, arn: &str| Rule {
            priority: Some(priority.to_owned()),
            conditions: Some(vec![RuleCondition {
                field: Some("path-pattern".to_owned()),
                path_pattern_config: Some(PathPatternConditionConfig {
                    values: Some(vec![pattern.to_owned()]),
                    regex_values: None,
                }),
                ..Default::default()
            }]),
            actions: Some(vec![forward(arn)]),
            ..Default::default()
        };
        let query_rule = Rule {
            priority: Some("5".to_owned()),
            conditions: Some(vec![RuleCondition {
                field: Some("query-string".to_owned()),
                query_string_config: Some(QueryStringConditionConfig {
                    values: Some(vec![QueryStringKeyValuePair {
                        key: Some("version".to_owned()),
                        value: Some("v2".to_owned()),
                    }]),
                }),
                ..Default::default()
            }]),
            actions: Some(vec![forward("v2")]),
            ..Default::default()
        };
        let rules = compile_rules(
            &[
                path_rule("20", "/api/*", "api"),
                path_rule("10", "/api/admin*", "admin"),
                query_rule,
            ],
            &[forward("default")],
            <[Action]>::to_vec,
        );
        fn none(_: &str) -> Vec<&'static str> {
            Vec::new()
        }
        let target = |path: &'static str, query: &'static str| {
            route(&rules, &request("a", path, query, &none)).unwrap()[0]
                .target_group_arn
                .clone()
                .unwrap()
        };
        assert_eq!(target("/api/admin/x", ""), "admin");
        assert_eq!(target("/api/x", ""), "api");
        assert_eq!(target("/other", ""), "default");
        assert_eq!(target("/other", "a=1&version=v2"), "v2");
    }
}
