//! API Gateway: a deployed REST API whose method answers from a MOCK
//! integration (a request template's status, a response template), called
//! as a browser would, by its path form (`/_aws/execute-api/<id>/<stage>/`).

use super::{Context, throughput_figures};
use crate::aws::{Problem, json_body};
use crate::http_client::BodyHandling;
use crate::load::{Replay, ReplyCheck};
use http::Method;
use serde_json::json;

pub async fn mock(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let requests = &context.requests;
    // The limit server answers anything: the same GET, no API to make.
    let id = match context.reference {
        true => "limit".to_owned(),
        false => deploy_mock(context).await?,
    };
    let invoke = requests.get(&format!("/_aws/execute-api/{id}/prod/"));
    let answered = context.call(&invoke, "invoke the MOCK").await?;
    if !context.reference && !String::from_utf8_lossy(&answered.body).contains("\"ok\": true") {
        return Err(Problem::failed(
            "invoke the MOCK",
            "the response template was not rendered",
        ));
    }
    let check = match context.reference {
        true => ReplyCheck::Success,
        false => ReplyCheck::Contains("ok"),
    };
    let report = context
        .load(
            Replay {
                operation: "MOCK invoke",
                requests: vec![invoke],
                handling: BodyHandling::Keep,
                check,
            },
            context.small_plan(),
        )
        .await?;
    Ok(throughput_figures(&report))
}

/// A REST API with a MOCK `GET /`, deployed to `prod`: its id.
async fn deploy_mock(context: &Context<'_>) -> Result<String, Problem> {
    let requests = &context.requests;
    let created = context
        .call(
            &requests.apigateway(Method::POST, "/restapis", &json!({"name": "bench"})),
            "CreateRestApi",
        )
        .await?;
    let api = json_body(&created, "CreateRestApi")?;
    let (Some(id), Some(root)) = (api["id"].as_str(), api["rootResourceId"].as_str()) else {
        return Err(Problem::failed("CreateRestApi", "no id or root resource id"));
    };
    let method = format!("/restapis/{id}/resources/{root}/methods/GET");
    let setup = [
        (
            Method::PUT,
            method.clone(),
            json!({"authorizationType": "NONE"}),
            "PutMethod",
        ),
        (
            Method::PUT,
            format!("{method}/integration"),
            json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
            "PutIntegration",
        ),
        (
            Method::PUT,
            format!("{method}/integration/responses/200"),
            json!({"responseTemplates": {"application/json": "{\"ok\": true}"}}),
            "PutIntegrationResponse",
        ),
        (
            Method::POST,
            format!("/restapis/{id}/deployments"),
            json!({"stageName": "prod"}),
            "CreateDeployment",
        ),
        // Past the account's 10,000 requests a second, as a raised quota
        // would be: the benchmark measures nimbus, not its throttle.
        (
            Method::PATCH,
            format!("/restapis/{id}/stages/prod"),
            json!({"patchOperations": [
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000000"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1000000"},
            ]}),
            "UpdateStage",
        ),
    ];
    for (verb, path, input, operation) in setup {
        context
            .call(&requests.apigateway(verb, &path, &input), operation)
            .await?;
    }
    Ok(id.to_owned())
}
