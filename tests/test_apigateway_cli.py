"""API Gateway through the AWS CLI, as its documentation's examples run:
a MOCK API built, deployed, patched and exported; an HTTP API quick
created; errors as the CLI prints them."""

from __future__ import annotations

import json

from apigateway_support import curl, invoke_url


def test_a_rest_api_built_deployed_patched_and_exported_with_the_cli(aws, endpoint, tmp_path):
    api = aws("apigateway", "create-rest-api", "--name", "cli-api", "--description", "made by the CLI").json()
    api_id, root = api["id"], api["rootResourceId"]
    pets = aws("apigateway", "create-resource", "--rest-api-id", api_id, "--parent-id", root, "--path-part", "pets").json()
    assert pets["path"] == "/pets"
    common = ["--rest-api-id", api_id, "--resource-id", pets["id"], "--http-method", "GET"]
    assert aws("apigateway", "put-method", *common, "--authorization-type", "NONE").returncode == 0
    integration = aws(
        "apigateway", "put-integration", *common, "--type", "MOCK", "--request-templates", '{"application/json": "{\\"statusCode\\": 200}"}'
    ).json()
    assert integration["type"] == "MOCK"
    aws("apigateway", "put-method-response", *common, "--status-code", "200")
    aws(
        "apigateway", "put-integration-response", *common, "--status-code", "200",
        "--response-templates", '{"application/json": "[{\\"name\\": \\"rex\\"}]"}',
    )
    deployment = aws("apigateway", "create-deployment", "--rest-api-id", api_id, "--stage-name", "dev").json()
    assert deployment["id"]
    status, _, body = curl(invoke_url(endpoint, api_id, "dev") + "/pets")
    assert (status, json.loads(body)) == (200, [{"name": "rex"}])

    patched = aws(
        "apigateway", "update-stage", "--rest-api-id", api_id, "--stage-name", "dev",
        "--patch-operations", "op=replace,path=/*/*/throttling/rateLimit,value=100", "op=replace,path=/variables/color,value=red",
    ).json()
    assert patched["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0 and patched["variables"] == {"color": "red"}
    renamed = aws(
        "apigateway", "update-resource", "--rest-api-id", api_id, "--resource-id", pets["id"],
        "--patch-operations", "op=replace,path=/pathPart,value=dogs",
    ).json()
    assert renamed["path"] == "/dogs"

    out = tmp_path / "api.json"
    exported = aws(
        "apigateway", "get-export", "--rest-api-id", api_id, "--stage-name", "dev", "--export-type", "oas30",
        "--parameters", "extensions=integrations", str(out),
    )
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text())
    assert document["openapi"].startswith("3.0") and "/pets" in document["paths"], "the stage's deployment, not the rename"
    assert document["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"]["type"] == "mock"

    missing = aws("apigateway", "get-rest-api", "--rest-api-id", "nope000000")
    assert missing.returncode != 0
    assert "An error occurred (NotFoundException) when calling the GetRestApi operation: Invalid API identifier specified" in missing.stderr


def test_an_http_api_quick_created_with_the_cli(aws, aws_client):
    functions = aws_client("lambda")
    from apigateway_support import function

    arn = function(functions, "def lambda_handler(event, context):\n    return {'path': event['rawPath']}\n")
    api = aws("apigatewayv2", "create-api", "--name", "quick", "--protocol-type", "HTTP", "--target", arn).json()
    assert api["ProtocolType"] == "HTTP" and api["ApiEndpoint"].startswith("http://")
    stages = aws("apigatewayv2", "get-stages", "--api-id", api["ApiId"]).json()["Items"]
    assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)]
    status, _, body = curl(api["ApiEndpoint"] + "/any/path")
    assert (status, json.loads(body)) == (200, {"path": "/any/path"})
    routes = aws("apigatewayv2", "get-routes", "--api-id", api["ApiId"]).json()["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
