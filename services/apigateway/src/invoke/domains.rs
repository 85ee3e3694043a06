//! Invocations through a custom domain name: the longest base path that
//! begins the request's path chooses the mapping (else the `(none)` one),
//! whose API and stage answer the rest of the path; a mapping without a
//! stage takes the stage from the path's next segment. Lambda still sees
//! the whole path the client asked for.

use indexmap::IndexMap;
use nimbus_apigateway_api::{ApiRequest, BasePathMapping};

use crate::ApiGateway;
use crate::domains::{DomainRecord, NO_BASE_PATH, domain_key};
use crate::invoke::Home;
use crate::records;

/// `(api id, stage, path)` the mappings make of `path`.
fn map_path(mappings: &IndexMap<String, BasePathMapping>, path: &str) -> Option<(String, String, String)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let begins = |base: &str| {
        let base: Vec<&str> = base.split('/').collect();
        segments.starts_with(&base).then_some(base.len())
    };
    let chosen = mappings
        .iter()
        .filter(|(base, _)| base.as_str() != NO_BASE_PATH)
        .filter_map(|(base, mapping)| Some((begins(base)?, mapping)))
        .max_by_key(|(taken, _)| *taken)
        .or_else(|| Some((0, mappings.get(NO_BASE_PATH)?)));
    let (mut taken, mapping) = chosen?;
    let stage = match mapping.stage.as_deref().filter(|s| *s != NO_BASE_PATH) {
        Some(stage) => stage.to_owned(),
        None => {
            taken += 1;
            (*segments.get(taken - 1)?).to_owned()
        }
    };
    let rest = format!("/{}", segments[taken..].join("/"));
    Some((mapping.rest_api_id.clone()?, stage, rest))
}

impl ApiGateway {
    /// The request `request` (on a custom domain) is for its mapped API;
    /// `None` when the domain or no mapping covers it.
    pub(super) async fn through_domain(&self, request: &ApiRequest) -> Option<ApiRequest> {
        let key = domain_key(&request.domain);
        let home: Home = self.store.get_json(&records::homes().ok()?, &key).await.ok()??;
        let namespace = records::namespace(&home.account, &home.region).ok()?;
        let record: DomainRecord = self.store.get_json(&namespace, &key).await.ok()??;
        let asked = request.domain_path.as_deref().unwrap_or("/");
        let (api_id, stage, path) = map_path(&record.mappings, asked)?;
        Some(ApiRequest {
            api_id,
            stage,
            path,
            ..request.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(api: &str, stage: Option<&str>) -> BasePathMapping {
        BasePathMapping {
            base_path: None,
            rest_api_id: Some(api.to_owned()),
            stage: stage.map(str::to_owned),
        }
    }

    fn mapped(pairs: &[(&str, BasePathMapping)], path: &str) -> Option<(String, String, String)> {
        let mappings = pairs.iter().map(|(b, m)| ((*b).to_owned(), m.clone())).collect();
        map_path(&mappings, path)
    }

    fn triple(api: &str, stage: &str, path: &str) -> Option<(String, String, String)> {
        Some((api.to_owned(), stage.to_owned(), path.to_owned()))
    }

    #[test]
    fn the_longest_base_path_wins_and_its_stage_answers_the_rest() {
        let pairs = [
            ("orders", mapping("a", Some("prod"))),
            ("orders/shop/5", mapping("b", Some("test"))),
        ];
        assert_eq!(
            mapped(&pairs, "/orders/shop/5/hats"),
            triple("b", "test", "/hats")
        );
        assert_eq!(mapped(&pairs, "/orders/shop/6"), triple("a", "prod", "/shop/6"));
        assert_eq!(mapped(&pairs, "/orders"), triple("a", "prod", "/"));
        assert_eq!(
            mapped(&pairs, "/ordersx/1"),
            None,
            "a base path is whole segments"
        );
    }

    #[test]
    fn without_a_stage_the_path_names_it_and_none_takes_the_rest() {
        let pairs = [("(none)", mapping("c", None))];
        assert_eq!(mapped(&pairs, "/dev/pets/1"), triple("c", "dev", "/pets/1"));
        assert_eq!(mapped(&pairs, "/"), None, "no stage named");
        let pairs = [("(none)", mapping("c", Some("prod")))];
        assert_eq!(mapped(&pairs, "/pets"), triple("c", "prod", "/pets"));
    }
}
