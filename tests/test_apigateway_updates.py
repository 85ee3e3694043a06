"""The Update* operations of REST APIs through boto3, and what they change
on the wire after a redeployment (curl): methods, integrations and their
responses, resources, authorizers, gateway responses, deployments, API
keys and usage plans; models and request validators; tags; the account."""

from __future__ import annotations

import json

import pytest
from apigateway_support import apigateway, curl, invoke_url, new_api  # noqa: F401
from botocore.exceptions import ClientError

REGION = "us-east-1"


def refused(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def mock_api(apigateway, part: str = "items") -> tuple[str, str, str]:
    """An API with GET /{part} answering {"ok": true} from a MOCK; its id,
    root and the resource's id."""
    api_id, root = new_api(apigateway)
    resource = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
    apigateway.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    apigateway.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200")
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apigateway.put_integration_response(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"ok": true}'},
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, root, resource


def patch(op: str, path: str, value: str | None = None) -> dict:
    return {"op": op, "path": path} | ({"value": value} if value is not None else {})


def test_update_method_and_integration_response_change_what_is_served(apigateway, endpoint):
    api_id, _, resource = mock_api(apigateway)
    url = invoke_url(endpoint, api_id, "prod") + "/items"
    at = {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET"}
    assert curl(url)[0] == 200

    method = apigateway.update_method(**at, patchOperations=[patch("replace", "/apiKeyRequired", "true")])
    assert method["apiKeyRequired"] is True
    answer = apigateway.update_integration_response(
        **at, statusCode="200", patchOperations=[patch("replace", "/responseTemplates/application~1json", '{"v": 2}')]
    )
    assert answer["responseTemplates"] == {"application/json": '{"v": 2}'}
    assert curl(url)[0] == 200, "a change is served only once deployed"
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    status, headers, body = curl(url)
    assert (status, json.loads(body), headers["x-amzn-errortype"]) == (403, {"message": "Forbidden"}, ["ForbiddenException"])

    apigateway.update_method(**at, patchOperations=[patch("replace", "/apiKeyRequired", "false")])
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    status, _, body = curl(url)
    assert (status, json.loads(body)) == (200, {"v": 2})


def test_update_method_refusals_keep_the_method(apigateway):
    api_id, _, resource = mock_api(apigateway)
    at = {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET"}
    assert refused(apigateway.update_method, **at, patchOperations=[patch("replace", "/httpMethod", "POST")]) == (
        "BadRequestException",
        400,
        "Invalid patch path /httpMethod",
    )
    code, status, message = refused(
        apigateway.update_method, **at, patchOperations=[patch("replace", "/authorizationType", "CUSTOM")]
    )
    assert (code, status) == ("BadRequestException", 400)
    assert message.startswith("Invalid authorizer ID specified.")
    code, status, message = refused(
        apigateway.update_method, **at, patchOperations=[patch("replace", "/requestValidatorId", "nope00")]
    )
    assert (code, status, message) == ("BadRequestException", 400, "Invalid Request Validator identifier specified")
    assert refused(
        apigateway.update_method, **at, patchOperations=[patch("add", "/requestModels/application~1json", "Missing")]
    ) == ("BadRequestException", 400, "Invalid model identifier specified: Missing")
    assert refused(
        apigateway.update_method, **at | {"httpMethod": "PUT"}, patchOperations=[patch("replace", "/apiKeyRequired", "true")]
    )[:2] == ("NotFoundException", 404)
    method = apigateway.get_method(**at)
    assert (method["authorizationType"], method["apiKeyRequired"]) == ("NONE", False)
    assert "requestModels" not in method and "requestValidatorId" not in method

    changed = apigateway.update_method(
        **at,
        patchOperations=[
            patch("add", "/requestParameters/method.request.querystring.q", "true"),
            patch("replace", "/operationName", "ListItems"),
        ],
    )
    assert changed["requestParameters"] == {"method.request.querystring.q": True}
    assert changed["operationName"] == "ListItems"
    removed = apigateway.update_method(**at, patchOperations=[patch("remove", "/requestParameters/method.request.querystring.q")])
    assert removed.get("requestParameters", {}) == {}


def test_update_method_response_and_integration(apigateway, endpoint):
    api_id, _, resource = mock_api(apigateway)
    at = {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET"}
    response = apigateway.update_method_response(
        **at,
        statusCode="200",
        patchOperations=[
            patch("add", "/responseModels/application~1json", "Empty"),
            patch("add", "/responseParameters/method.response.header.X-Kind", "false"),
        ],
    )
    assert response["responseModels"] == {"application/json": "Empty"}
    assert response["responseParameters"] == {"method.response.header.X-Kind": False}
    assert refused(apigateway.update_method_response, **at, statusCode="418", patchOperations=[])[:2] == (
        "NotFoundException",
        404,
    )

    assert refused(
        apigateway.update_integration, **at, patchOperations=[patch("replace", "/uri", "http://127.0.0.1:9/")]
    ) == ("BadRequestException", 400, "Invalid patch path /uri")
    integration = apigateway.update_integration(
        **at,
        patchOperations=[
            patch("replace", "/timeoutInMillis", "5000"),
            patch("replace", "/requestTemplates/application~1json", '{"statusCode": 200}'),
        ],
    )
    assert (integration["type"], integration["timeoutInMillis"]) == ("MOCK", 5000)
    apigateway.update_integration_response(
        **at,
        statusCode="200",
        patchOperations=[patch("add", "/responseParameters/method.response.header.X-Kind", "'mock'")],
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    status, headers, _ = curl(invoke_url(endpoint, api_id, "prod") + "/items")
    assert (status, headers["x-kind"]) == (200, ["mock"])


def test_update_resource_moves_and_renames_what_is_served(apigateway, endpoint):
    api_id, root, resource = mock_api(apigateway)
    parent = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="v1")["id"]
    moved = apigateway.update_resource(
        restApiId=api_id,
        resourceId=resource,
        patchOperations=[patch("replace", "/parentId", parent), patch("replace", "/pathPart", "things")],
    )
    assert (moved["path"], moved["parentId"], moved["pathPart"]) == ("/v1/things", parent, "things")
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    base = invoke_url(endpoint, api_id, "prod")
    status, _, body = curl(base + "/v1/things")
    assert (status, json.loads(body)) == (200, {"ok": True})
    assert curl(base + "/items")[0] == 403, "the old path is gone"

    assert refused(
        apigateway.update_resource, restApiId=api_id, resourceId=root, patchOperations=[patch("replace", "/pathPart", "x")]
    ) == ("BadRequestException", 400, "Root resource cannot update its pathPart.")
    assert refused(
        apigateway.update_resource, restApiId=api_id, resourceId=parent, patchOperations=[patch("replace", "/parentId", resource)]
    ) == ("BadRequestException", 400, "Resources cannot be cyclical.")
    apigateway.create_resource(restApiId=api_id, parentId=parent, pathPart="other")
    code, status, _ = refused(
        apigateway.update_resource, restApiId=api_id, resourceId=resource, patchOperations=[patch("replace", "/pathPart", "other")]
    )
    assert (code, status) == ("ConflictException", 409)
    assert apigateway.get_resource(restApiId=api_id, resourceId=resource)["path"] == "/v1/things"


def test_models_default_create_update_template_and_delete(apigateway):
    api_id, _, resource = mock_api(apigateway)
    defaults = {m["name"]: m for m in apigateway.get_models(restApiId=api_id)["items"]}
    assert sorted(defaults) == ["Empty", "Error"]
    assert json.loads(defaults["Error"]["schema"])["properties"] == {"message": {"type": "string"}}

    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "count": {"type": "integer"}}}
    created = apigateway.create_model(restApiId=api_id, name="Item", contentType="application/json", schema=json.dumps(schema))
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["name"], created["contentType"]) == ("Item", "application/json")
    assert json.loads(apigateway.get_model(restApiId=api_id, modelName="Item")["schema"]) == schema
    template = apigateway.get_model_template(restApiId=api_id, modelName="Item")["value"]
    assert template.startswith("#set($inputRoot = $input.path('$'))") and '"count" : 42' in template

    assert refused(apigateway.create_model, restApiId=api_id, name="Item", contentType="application/json", schema="{}")[:2] == (
        "BadRequestException",
        400,
    )
    assert refused(
        apigateway.create_model, restApiId=api_id, name="Item", contentType="application/json", schema=json.dumps(schema)
    )[:2] == ("ConflictException", 409)
    assert refused(
        apigateway.create_model, restApiId=api_id, name="bad-name", contentType="application/json", schema=json.dumps(schema)
    ) == ("BadRequestException", 400, "Model name must be alphanumeric: bad-name")
    assert refused(
        apigateway.create_model, restApiId=api_id, name="Broken", contentType="application/json", schema='{"type": 7}'
    )[2].startswith("Invalid model specified")
    assert refused(apigateway.get_model, restApiId=api_id, modelName="Nope") == (
        "NotFoundException",
        404,
        "Invalid model name specified: Nope",
    )

    updated = apigateway.update_model(restApiId=api_id, modelName="Item", patchOperations=[patch("replace", "/description", "an item")])
    assert updated["description"] == "an item"
    code, _, message = refused(
        apigateway.update_model, restApiId=api_id, modelName="Item", patchOperations=[patch("replace", "/name", "Other")]
    )
    assert code == "BadRequestException" and message.startswith("Invalid patch path  '/name' specified for op 'replace'.")

    apigateway.update_method(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[patch("add", "/requestModels/application~1json", "Item")],
    )
    assert refused(apigateway.delete_model, restApiId=api_id, modelName="Item") == (
        "ConflictException",
        409,
        "Cannot delete model 'Item', is referenced in method request: /items/GET",
    )
    apigateway.update_method(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[patch("remove", "/requestModels/application~1json")],
    )
    apigateway.delete_model(restApiId=api_id, modelName="Item")
    assert sorted(m["name"] for m in apigateway.get_models(restApiId=api_id)["items"]) == ["Empty", "Error"]


def test_request_validators_refuse_bad_requests_at_invoke(apigateway, endpoint):
    api_id, root = new_api(apigateway)
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    apigateway.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(schema))
    validator = apigateway.create_request_validator(
        restApiId=api_id, name="all", validateRequestBody=True, validateRequestParameters=True
    )
    assert validator["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (validator["validateRequestBody"], validator["validateRequestParameters"]) == (True, True)
    apigateway.put_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        authorizationType="NONE",
        requestValidatorId=validator["id"],
        requestParameters={"method.request.querystring.owner": True, "method.request.header.x-trace": True},
        requestModels={"application/json": "Pet"},
    )
    apigateway.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="POST", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200", responseTemplates={"application/json": '{"made": true}'}
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(endpoint, api_id, "prod") + "/"
    json_body = ("-H", "content-type: application/json", "-X", "POST")

    status, headers, body = curl(url, *json_body, "-d", '{"name": "rex"}')
    assert (status, json.loads(body), headers["x-amzn-errortype"]) == (
        400,
        {"message": "Missing required request parameters: [owner, x-trace]"},
        ["BadRequestException"],
    )
    status, _, body = curl(url + "?owner=ann", *json_body, "-H", "x-trace: 1", "-d", '{"name": 5}')
    assert (status, json.loads(body)) == (400, {"message": "Invalid request body"})
    status, _, body = curl(url + "?owner=ann", *json_body, "-H", "x-trace: 1", "-d", '{"name": "rex"}')
    assert (status, json.loads(body)) == (200, {"made": True})

    # Body validation off: a bad body passes, parameters are still checked.
    apigateway.update_request_validator(
        restApiId=api_id, requestValidatorId=validator["id"], patchOperations=[patch("replace", "/validateRequestBody", "false")]
    )
    apigateway.put_gateway_response(
        restApiId=api_id,
        responseType="BAD_REQUEST_PARAMETERS",
        statusCode="422",
        responseTemplates={"application/json": '{"problem": $context.error.messageString, "kind": "$context.error.responseType"}'},
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    assert curl(url + "?owner=ann", *json_body, "-H", "x-trace: 1", "-d", '{"name": 5}')[0] == 200
    status, _, body = curl(url, *json_body, "-H", "x-trace: 1", "-d", "{}")
    assert (status, json.loads(body)) == (
        422,
        {"problem": "Missing required request parameters: [owner]", "kind": "BAD_REQUEST_PARAMETERS"},
    )

    listed = apigateway.get_request_validators(restApiId=api_id)["items"]
    assert [(v["id"], v["name"], v["validateRequestBody"]) for v in listed] == [(validator["id"], "all", False)]
    assert refused(
        apigateway.update_request_validator,
        restApiId=api_id,
        requestValidatorId=validator["id"],
        patchOperations=[patch("replace", "/name", "")],
    ) == ("BadRequestException", 400, "Request Validator name cannot be blank")
    assert refused(apigateway.get_request_validator, restApiId=api_id, requestValidatorId="nope00") == (
        "NotFoundException",
        404,
        "Invalid Request Validator identifier specified",
    )
    assert refused(apigateway.create_request_validator, restApiId="nope000000", name="x")[:2] == ("BadRequestException", 400)
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.update_method(
        restApiId=api_id, resourceId=root, httpMethod="POST", patchOperations=[patch("replace", "/requestValidatorId", "")]
    )
    apigateway.delete_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    assert apigateway.get_request_validators(restApiId=api_id)["items"] == []


def test_update_authorizer_gateway_response_and_deployment(apigateway, endpoint):
    api_id, _, _ = mock_api(apigateway)
    authorizer = apigateway.create_authorizer(
        restApiId=api_id,
        name="tokens",
        type="TOKEN",
        identitySource="method.request.header.Authorization",
        authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations",
    )
    changed = apigateway.update_authorizer(
        restApiId=api_id,
        authorizerId=authorizer["id"],
        patchOperations=[patch("replace", "/name", "renamed"), patch("replace", "/authorizerResultTtlInSeconds", "60")],
    )
    assert (changed["name"], changed["authorizerResultTtlInSeconds"]) == ("renamed", 60)
    assert refused(
        apigateway.update_authorizer,
        restApiId=api_id,
        authorizerId=authorizer["id"],
        patchOperations=[patch("replace", "/authorizerResultTtlInSeconds", "4000")],
    ) == ("BadRequestException", 400, "Authorizer result TTL must be between 0 and 3600 seconds")
    assert apigateway.get_authorizer(restApiId=api_id, authorizerId=authorizer["id"])["authorizerResultTtlInSeconds"] == 60

    response = apigateway.update_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        patchOperations=[
            patch("replace", "/statusCode", "404"),
            patch("add", "/responseTemplates/application~1json", '{"error": "no such path"}'),
        ],
    )
    assert (response["statusCode"], response["defaultResponse"]) == ("404", False)
    deployment = apigateway.create_deployment(restApiId=api_id, stageName="prod")
    status, _, body = curl(invoke_url(endpoint, api_id, "prod") + "/nowhere")
    assert (status, json.loads(body)) == (404, {"error": "no such path"})
    assert refused(apigateway.update_gateway_response, restApiId=api_id, responseType="NOT_A_TYPE", patchOperations=[])[1] in (
        400,
        404,
    )

    described = apigateway.update_deployment(
        restApiId=api_id, deploymentId=deployment["id"], patchOperations=[patch("replace", "/description", "second")]
    )
    assert described["description"] == "second"
    assert apigateway.get_deployment(restApiId=api_id, deploymentId=deployment["id"])["description"] == "second"
    assert refused(apigateway.update_deployment, restApiId=api_id, deploymentId="nope00", patchOperations=[])[:2] == (
        "NotFoundException",
        404,
    )


def test_update_api_key_and_usage_plan(apigateway, endpoint):
    api_id, _, resource = mock_api(apigateway)
    key = apigateway.create_api_key(name="k", enabled=True)
    changed = apigateway.update_api_key(
        apiKey=key["id"],
        patchOperations=[
            patch("replace", "/name", "partner"),
            patch("replace", "/enabled", "false"),
            patch("add", "/stages", f"{api_id}/prod"),
        ],
    )
    assert (changed["name"], changed["enabled"], changed["stageKeys"]) == ("partner", False, [f"{api_id}/prod"])
    assert refused(apigateway.update_api_key, apiKey=key["id"], patchOperations=[patch("replace", "/value", "x")])[:2] == (
        "BadRequestException",
        400,
    )

    plan = apigateway.create_usage_plan(name="bronze", quota={"limit": 10, "period": "DAY"})
    updated = apigateway.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            patch("replace", "/quota/limit", "2"),
            patch("add", "/apiStages", f"{api_id}:prod"),
            patch("replace", "/throttle/rateLimit", "50"),
            patch("replace", "/throttle/burstLimit", "50"),
        ],
    )
    assert updated["quota"]["limit"] == 2
    assert updated["apiStages"] == [{"apiId": api_id, "stage": "prod"}]
    assert (updated["throttle"]["rateLimit"], updated["throttle"]["burstLimit"]) == (50.0, 50)
    assert refused(
        apigateway.update_usage_plan, usagePlanId=plan["id"], patchOperations=[patch("add", "/apiStages", f"{api_id}:nostage")]
    ) == ("BadRequestException", 400, f"Invalid API Stage {{api: {api_id}, stage: nostage}} specified")

    # The updated plan limits a key on a method that requires one.
    apigateway.update_method(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[patch("replace", "/apiKeyRequired", "true")],
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    apigateway.update_api_key(apiKey=key["id"], patchOperations=[patch("replace", "/enabled", "true")])
    apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    url = invoke_url(endpoint, api_id, "prod") + "/items"
    statuses = [curl(url, "-H", f"x-api-key: {key['value']}")[0] for _ in range(3)]
    assert statuses == [200, 200, 429]

    removed = apigateway.update_usage_plan(usagePlanId=plan["id"], patchOperations=[patch("remove", "/apiStages", f"{api_id}:prod")])
    assert removed.get("apiStages", []) == []
    assert curl(url, "-H", f"x-api-key: {key['value']}")[0] == 403, "the plan no longer covers the stage"


def test_tags_on_apis_stages_keys_and_plans(apigateway):
    api_id, _, _ = mock_api(apigateway)
    api_arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}"
    apigateway.tag_resource(resourceArn=api_arn, tags={"team": "web", "env": "dev"})
    assert apigateway.get_tags(resourceArn=api_arn)["tags"] == {"team": "web", "env": "dev"}
    assert apigateway.get_rest_api(restApiId=api_id)["tags"] == {"team": "web", "env": "dev"}
    apigateway.untag_resource(resourceArn=api_arn, tagKeys=["env"])
    assert apigateway.get_tags(resourceArn=api_arn)["tags"] == {"team": "web"}

    stage_arn = f"{api_arn}/stages/prod"
    apigateway.tag_resource(resourceArn=stage_arn, tags={"tier": "gold"})
    assert apigateway.get_stage(restApiId=api_id, stageName="prod")["tags"] == {"tier": "gold"}
    key = apigateway.create_api_key(name="tagged")
    key_arn = f"arn:aws:apigateway:{REGION}::/apikeys/{key['id']}"
    apigateway.tag_resource(resourceArn=key_arn, tags={"owner": "ann"})
    assert apigateway.get_api_key(apiKey=key["id"])["tags"] == {"owner": "ann"}

    assert refused(apigateway.tag_resource, resourceArn=api_arn, tags={"aws:x": "y"}) == (
        "BadRequestException",
        400,
        "Invalid tag key: aws:x",
    )
    bad_arn = "arn:aws:apigateway:us-east-1::/widgets/1"
    assert refused(apigateway.get_tags, resourceArn=bad_arn) == (
        "BadRequestException",
        400,
        f"Invalid ARN specified in the request: {bad_arn}",
    )
    assert refused(apigateway.get_tags, resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/nope000000")[:2] == (
        "NotFoundException",
        404,
    )


def test_account_defaults_and_updates(apigateway):
    account = apigateway.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert (account["features"], account["apiKeyVersion"]) == (["UsagePlans"], "4")
    role = "arn:aws:iam::000000000000:role/apigw-logs"
    updated = apigateway.update_account(patchOperations=[patch("replace", "/cloudwatchRoleArn", role)])
    assert updated["cloudwatchRoleArn"] == role
    assert apigateway.get_account()["cloudwatchRoleArn"] == role
    code, status, message = refused(
        apigateway.update_account, patchOperations=[patch("replace", "/cloudwatchRoleArn", "not-an-arn")]
    )
    assert (code, status) == ("BadRequestException", 400) and message.startswith("The role ARN does not have")
    assert refused(apigateway.update_account, patchOperations=[patch("remove", "/features", "UsagePlans")]) == (
        "BadRequestException",
        400,
        "Usage plans cannot be disabled",
    )
    assert apigateway.get_account()["cloudwatchRoleArn"] == role


def test_a_refused_deployment_keeps_nothing_and_empty_names_mean_none(apigateway):
    api_id, _, _ = mock_api(apigateway)
    before = apigateway.get_deployments(restApiId=api_id)["items"]
    assert refused(apigateway.create_deployment, restApiId=api_id, stageName="bad name!")[:2] == ("BadRequestException", 400)
    assert apigateway.get_deployments(restApiId=api_id)["items"] == before
    made = apigateway.create_deployment(restApiId=api_id, stageName="")
    assert [s["stageName"] for s in apigateway.get_stages(restApiId=api_id)["item"]] == ["prod"]
    assert made["id"] in [d["id"] for d in apigateway.get_deployments(restApiId=api_id)["items"]]
    key = apigateway.create_api_key(name="generated", value="")
    assert len(key["value"]) == 40


def test_execution_logs_need_the_account_role_and_write_each_step(launch_nimbus):
    import time

    from conftest import client_for

    server = launch_nimbus()
    apigw, logs = client_for(server.url, "apigateway"), client_for(server.url, "logs")
    api_id, _, _ = mock_api(apigw)
    enable = [patch("replace", "/*/*/logging/loglevel", "INFO"), patch("replace", "/*/*/logging/dataTrace", "true")]
    assert refused(apigw.update_stage, restApiId=api_id, stageName="prod", patchOperations=enable) == (
        "BadRequestException",
        400,
        "CloudWatch Logs role ARN must be set in account settings to enable logging",
    )
    apigw.update_account(patchOperations=[patch("replace", "/cloudwatchRoleArn", "arn:aws:iam::000000000000:role/apigw-logs")])
    assert refused(apigw.update_stage, restApiId=api_id, stageName="prod", patchOperations=[patch("replace", "/*/*/logging/loglevel", "LOUD")])[:2] == (
        "BadRequestException",
        400,
    )
    stage = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=enable)
    assert (stage["methodSettings"]["*/*"]["loggingLevel"], stage["methodSettings"]["*/*"]["dataTraceEnabled"]) == ("INFO", True)
    status, headers, _ = curl(invoke_url(server.url, api_id, "prod") + "/items?q=1")
    assert status == 200
    request_id = headers["x-amzn-requestid"][0]
    group = f"API-Gateway-Execution-Logs_{api_id}/prod"

    def messages() -> list[str]:
        try:
            return [e["message"] for e in logs.filter_log_events(logGroupName=group).get("events", [])]
        except logs.exceptions.ResourceNotFoundException:
            return []

    deadline = time.monotonic() + 10
    while not any("Method completed" in m for m in messages()) and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = messages()
    assert all(line.startswith(f"({request_id}) ") for line in lines)
    steps = [line.split(") ", 1)[1] for line in lines]
    assert steps[1:3] == [f"Starting execution for request: {request_id}", "HTTP Method: GET, Resource Path: /items"]
    assert "Method request query string: {q=1}" in steps
    assert 'Method response body after transformations: {"ok": true}' in steps
    assert steps[-2:] == ["Successfully completed execution", "Method completed with status: 200"]


def test_a_canary_takes_its_share_of_the_stage_and_is_promoted(apigateway, endpoint):
    api_id, _, resource = mock_api(apigateway)
    at = {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET"}
    template = '{"release": "%s", "color": "$stageVariables.color"}'
    apigateway.update_integration_response(
        **at, statusCode="200", patchOperations=[patch("replace", "/responseTemplates/application~1json", template % "main")]
    )
    main = apigateway.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    apigateway.update_integration_response(
        **at, statusCode="200", patchOperations=[patch("replace", "/responseTemplates/application~1json", template % "canary")]
    )
    canary = apigateway.create_deployment(
        restApiId=api_id, stageName="prod", canarySettings={"percentTraffic": 50.0, "stageVariableOverrides": {"color": "green"}}
    )
    stage = apigateway.get_stage(restApiId=api_id, stageName="prod")
    assert (stage["deploymentId"], stage["canarySettings"]["deploymentId"]) == (main["id"], canary["id"])
    assert stage["canarySettings"]["percentTraffic"] == 50.0
    url = invoke_url(endpoint, api_id, "prod") + "/items"
    seen = [json.loads(curl(url)[2]) for _ in range(120)]
    releases = {answer["release"]: answer["color"] for answer in seen}
    assert releases == {"main": "blue", "canary": "green"}
    share = sum(answer["release"] == "canary" for answer in seen)
    assert 25 <= share <= 95, share

    apigateway.update_stage(restApiId=api_id, stageName="prod", patchOperations=[patch("replace", "/canarySettings/percentTraffic", "0")])
    assert {json.loads(curl(url)[2])["release"] for _ in range(20)} == {"main"}
    assert refused(
        apigateway.update_stage, restApiId=api_id, stageName="prod", patchOperations=[patch("replace", "/canarySettings/percentTraffic", "101")]
    )[:2] == ("BadRequestException", 400)
    promoted = apigateway.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[patch("replace", "/deploymentId", canary["id"]), patch("remove", "/canarySettings")],
    )
    assert promoted["deploymentId"] == canary["id"] and "canarySettings" not in promoted
    assert json.loads(curl(url)[2]) == {"release": "canary", "color": "blue"}
    assert refused(apigateway.create_deployment, restApiId=api_id, stageName="nostage", canarySettings={"percentTraffic": 10.0})[:2] == (
        "NotFoundException",
        404,
    )
