//! Canary releases: a stage with canary settings sends their share of its
//! requests (`percentTraffic`) to the canary's deployment, with the
//! canary's stage variable overrides; the rest go to the stage's own.

use std::sync::Arc;

use nimbus_apigateway_api::Stage;

/// A roll of the dice in `[0, 100)`, to two decimals.
pub fn roll() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 100.0
}

/// The deployment a request to `stage` goes to, and the stage as it sees
/// it: the canary's when `roll` (asked only of stages with a canary) falls
/// in its share.
pub fn pick(stage: Arc<Stage>, roll: impl FnOnce() -> f64) -> (String, Arc<Stage>) {
    let canary = stage
        .canary_settings
        .as_ref()
        .filter(|c| roll() < c.percent_traffic.unwrap_or(0.0));
    let Some(deployment) = canary.and_then(|c| c.deployment_id.clone()) else {
        return (stage.deployment_id.clone().unwrap_or_default(), stage);
    };
    let mut seen = Stage::clone(&stage);
    let overrides = canary
        .and_then(|c| c.stage_variable_overrides.clone())
        .unwrap_or_default();
    if !overrides.is_empty() {
        seen.variables.get_or_insert_default().extend(overrides);
    }
    (deployment, Arc::new(seen))
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use nimbus_apigateway_api::CanarySettings;

    use super::*;

    #[test]
    fn the_canary_takes_its_share_with_its_variables() {
        let stage = Arc::new(Stage {
            deployment_id: Some("main".into()),
            variables: Some(IndexMap::from([("color".to_owned(), "blue".to_owned())])),
            canary_settings: Some(CanarySettings {
                deployment_id: Some("canary".into()),
                percent_traffic: Some(25.0),
                stage_variable_overrides: Some(IndexMap::from([("color".to_owned(), "green".to_owned())])),
                use_stage_cache: None,
            }),
            ..Default::default()
        });
        let (deployment, seen) = pick(Arc::clone(&stage), || 24.99);
        assert_eq!(deployment, "canary");
        assert_eq!(seen.variables.as_ref().unwrap()["color"], "green");
        let (deployment, seen) = pick(Arc::clone(&stage), || 25.0);
        assert_eq!(deployment, "main");
        assert_eq!(seen.variables.as_ref().unwrap()["color"], "blue");
        let plain = Arc::new(Stage {
            deployment_id: Some("main".into()),
            ..Default::default()
        });
        assert_eq!(pick(plain, || unreachable!("no canary, no roll")).0, "main");
        assert!((0..1000).map(|_| roll()).all(|r| (0.0..100.0).contains(&r)));
    }
}
