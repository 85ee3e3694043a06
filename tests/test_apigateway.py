"""API Gateway REST APIs through boto3 and curl: the control plane (APIs,
resources, methods, integrations, deployments, stages) with API Gateway's
errors, and deployed APIs answering HTTP through Lambda proxy, MOCK and
HTTP_PROXY integrations."""

from __future__ import annotations

import http.server
import json
import threading
import uuid

import pytest
from apigateway_support import (
    ACCOUNT,
    apigateway,  # noqa: F401
    curl,
    function,
    invoke_url,
    new_api,
    proxy_method,
)
from botocore.exceptions import ClientError
from lambda_support import awslambda  # noqa: F401

ECHO = """import json
def lambda_handler(event, context):
    return {"statusCode": 200, "headers": {"X-Resource": event["resource"]}, "body": json.dumps(event)}
"""


def refusal(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


def test_a_rest_api_is_created_with_its_root_resource_listed_and_deleted(apigateway):
    api = apigateway.create_rest_api(name="todo", description="a todo API")
    assert api["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(api["id"]) == 10 and api["id"].isalnum() and api["id"].islower()
    assert (api["name"], api["description"], api["apiKeySource"]) == ("todo", "a todo API", "HEADER")
    assert api["endpointConfiguration"]["types"] == ["EDGE"] and api["disableExecuteApiEndpoint"] is False
    resources = apigateway.get_resources(restApiId=api["id"])["items"]
    assert resources == [{"id": api["rootResourceId"], "path": "/"}]
    assert api["id"] in [item["id"] for item in apigateway.get_rest_apis()["items"]]
    assert apigateway.get_rest_api(restApiId=api["id"])["name"] == "todo"
    assert apigateway.delete_rest_api(restApiId=api["id"])["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert refusal(apigateway.get_rest_api, restApiId=api["id"]) == (
        "NotFoundException",
        404,
        f"Invalid API identifier specified {ACCOUNT}:{api['id']}",
    )


def test_resources_form_a_tree_and_clashing_or_malformed_parts_are_refused(apigateway):
    api_id, root = new_api(apigateway)
    pets = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    assert (pets["path"], pets["pathPart"], pets["parentId"], len(pets["id"])) == ("/pets", "pets", root, 6)
    pet = apigateway.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
    assert pet["path"] == "/pets/{petId}"
    assert refusal(apigateway.create_resource, restApiId=api_id, parentId=root, pathPart="pets") == (
        "ConflictException",
        409,
        "Another resource with the same parent already has this name: pets",
    )
    assert refusal(apigateway.create_resource, restApiId=api_id, parentId=pets["id"], pathPart="{other}")[:2] == (
        "BadRequestException",
        400,
    )
    assert refusal(apigateway.create_resource, restApiId=api_id, parentId=root, pathPart="a?b")[:2] == (
        "BadRequestException",
        400,
    )
    assert refusal(apigateway.create_resource, restApiId=api_id, parentId="nope00", pathPart="x") == (
        "NotFoundException",
        404,
        "Invalid Resource identifier specified",
    )
    apigateway.delete_resource(restApiId=api_id, resourceId=pets["id"])
    assert [r["path"] for r in apigateway.get_resources(restApiId=api_id)["items"]] == ["/"]


def test_methods_integrations_and_their_responses_are_put_read_and_deleted(apigateway):
    api_id, root = new_api(apigateway)
    method = apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    assert (method["httpMethod"], method["authorizationType"], method["apiKeyRequired"]) == ("GET", "NONE", False)
    assert refusal(
        apigateway.put_method, restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
    ) == ("ConflictException", 409, "Method already exists for this resource")
    assert refusal(apigateway.get_method, restApiId=api_id, resourceId=root, httpMethod="POST") == (
        "NotFoundException",
        404,
        "Invalid Method identifier specified",
    )
    assert refusal(apigateway.get_integration, restApiId=api_id, resourceId=root, httpMethod="GET") == (
        "NotFoundException",
        404,
        "Invalid Integration identifier specified",
    )
    assert refusal(
        apigateway.put_integration, restApiId=api_id, resourceId=root, httpMethod="GET", type="HTTP_PROXY", uri="http://x"
    ) == ("BadRequestException", 400, "Enumeration value for HttpMethod must be non-empty")
    integration = apigateway.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    assert (integration["passthroughBehavior"], integration["timeoutInMillis"], integration["cacheNamespace"]) == (
        "WHEN_NO_MATCH",
        29000,
        root,
    )
    apigateway.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", responseTemplates={"application/json": "{}"}
    )
    got = apigateway.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert list(got["methodResponses"]) == ["200"]
    assert list(got["methodIntegration"]["integrationResponses"]) == ["200"]
    embedded = apigateway.get_resources(restApiId=api_id, embed=["methods"])["items"][0]["resourceMethods"]["GET"]
    assert embedded["methodIntegration"]["type"] == "MOCK"
    assert apigateway.get_resources(restApiId=api_id)["items"][0]["resourceMethods"] == {"GET": {}}
    apigateway.delete_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    assert refusal(
        apigateway.get_integration_response, restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200"
    ) == ("NotFoundException", 404, "Invalid Response status code specified")
    apigateway.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert refusal(apigateway.get_method, restApiId=api_id, resourceId=root, httpMethod="GET")[0] == "NotFoundException"


def test_deployments_freeze_the_api_and_stages_point_at_them(apigateway, awslambda, endpoint):
    api_id, root = new_api(apigateway)
    assert refusal(apigateway.create_deployment, restApiId=api_id) == (
        "BadRequestException",
        400,
        "The REST API doesn't contain any methods",
    )
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    assert refusal(apigateway.create_deployment, restApiId=api_id)[2] == "No integration defined for method"
    proxy_method_root = function(awslambda, ECHO)
    apigateway.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    proxy_method(apigateway, api_id, root, proxy_method_root)
    first = apigateway.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    stage = apigateway.get_stage(restApiId=api_id, stageName="prod")
    assert (stage["deploymentId"], stage["variables"], stage["cacheClusterStatus"]) == (first["id"], {"color": "blue"}, "NOT_AVAILABLE")
    # A method added after the deployment is not served until deployed again.
    pets = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    proxy_method(apigateway, api_id, pets["id"], proxy_method_root)
    url = invoke_url(endpoint, api_id, "prod")
    assert curl(url + "/pets")[0] == 403
    second = apigateway.create_deployment(restApiId=api_id)
    apigateway.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": second["id"]},
            {"op": "replace", "path": "/variables/color", "value": "green"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
        ],
    )
    status, _, body = curl(url + "/pets")
    assert status == 200 and json.loads(body)["stageVariables"] == {"color": "green"}
    updated = apigateway.get_stage(restApiId=api_id, stageName="prod")
    assert updated["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert sorted(d["id"] for d in apigateway.get_deployments(restApiId=api_id)["items"]) == sorted([first["id"], second["id"]])
    assert refusal(apigateway.delete_deployment, restApiId=api_id, deploymentId=second["id"])[:2] == (
        "BadRequestException",
        400,
    )
    apigateway.delete_deployment(restApiId=api_id, deploymentId=first["id"])
    assert refusal(apigateway.create_stage, restApiId=api_id, stageName="prod", deploymentId=second["id"]) == (
        "ConflictException",
        409,
        "Stage already exists",
    )
    apigateway.delete_stage(restApiId=api_id, stageName="prod")
    assert refusal(apigateway.get_stage, restApiId=api_id, stageName="prod") == (
        "NotFoundException",
        404,
        "Invalid stage identifier specified",
    )
    assert curl(url + "/pets")[0] == 403


def test_a_lambda_proxy_method_gets_api_gateways_event_and_shapes_the_answer(apigateway, awslambda, endpoint):
    api_id, root = new_api(apigateway)
    pets = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    pet = apigateway.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
    proxy_method(apigateway, api_id, pet["id"], function(awslambda, ECHO), verb="ANY")
    deployment = apigateway.create_deployment(restApiId=api_id, stageName="dev")
    status, headers, body = curl(
        invoke_url(endpoint, api_id, "dev") + "/pets/7?tag=a&tag=b", "-X", "POST", "-H", "X-Trace: 1", "-d", '{"name": "rex"}'
    )
    assert status == 200 and headers["x-resource"] == ["/pets/{petId}"]
    assert headers["x-amzn-requestid"] and headers["x-amz-apigw-id"]
    event = json.loads(body)
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/pets/{petId}", "/pets/7", "POST")
    assert event["pathParameters"] == {"petId": "7"} and event["stageVariables"] is None
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["headers"]["x-trace"] == "1" and event["multiValueHeaders"]["x-trace"] == ["1"]
    assert json.loads(event["body"]) == {"name": "rex"} and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert (context["apiId"], context["stage"], context["path"], context["resourcePath"]) == (
        api_id,
        "dev",
        "/dev/pets/7",
        "/pets/{petId}",
    )
    assert (context["deploymentId"], context["accountId"], context["identity"]["sourceIp"]) == (
        deployment["id"],
        ACCOUNT,
        "127.0.0.1",
    )
    assert context["requestId"] == headers["x-amzn-requestid"][0]
    # The same API by path, with no DNS, in both spellings.
    assert curl(f"{endpoint}/_aws/execute-api/{api_id}/dev/pets/8")[0] == 200
    assert curl(f"{endpoint}/restapis/{api_id}/dev/_user_request_/pets/9")[0] == 200
    status, headers, body = curl(invoke_url(endpoint, api_id, "dev") + "/owners")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert headers["x-amzn-errortype"] == ["MissingAuthenticationTokenException"]
    status, headers, body = curl(invoke_url(endpoint, api_id, "nostage") + "/pets/7")
    assert (status, json.loads(body), headers["x-amzn-errortype"]) == (403, {"message": "Forbidden"}, ["ForbiddenException"])


@pytest.mark.parametrize(
    "handler",
    [
        "def lambda_handler(e, c):\n    return {'statusCode': 200, 'body': {'not': 'a string'}}\n",
        "def lambda_handler(e, c):\n    return 'just text'\n",
        "def lambda_handler(e, c):\n    raise ValueError('boom')\n",
    ],
)
def test_a_malformed_or_failed_lambda_answer_is_a_502(apigateway, awslambda, endpoint, handler):
    api_id, root = new_api(apigateway)
    proxy_method(apigateway, api_id, root, function(awslambda, handler))
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    status, _, body = curl(invoke_url(endpoint, api_id, "prod") + "/")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_a_mock_integration_answers_from_its_integration_responses(apigateway, endpoint):
    api_id, root = new_api(apigateway)
    health = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="health")
    for resource, status in ((root, "200"), (health["id"], "503")):
        apigateway.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE")
        apigateway.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="GET",
            type="MOCK",
            requestTemplates={"application/json": json.dumps({"statusCode": int(status)})},
        )
        apigateway.put_method_response(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="GET",
            statusCode=status,
            responseParameters={"method.response.header.X-Mocked": False},
        )
        apigateway.put_integration_response(
            restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200",
            responseTemplates={"application/json": '{"ok": true}'},
            responseParameters={"method.response.header.X-Mocked": "'yes'"},
        )
        apigateway.put_integration_response(
            restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="503", selectionPattern="5\\d{2}",
            responseTemplates={"application/json": '{"ok": false}'},
        )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(endpoint, api_id, "prod")
    status, headers, body = curl(url + "/")
    assert (status, json.loads(body), headers["x-mocked"]) == (200, {"ok": True}, ["yes"])
    status, _, body = curl(url + "/health")
    assert (status, json.loads(body)) == (503, {"ok": False})


def test_an_http_proxy_integration_forwards_to_the_endpoint(apigateway, endpoint):
    seen = []

    class Backend(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("X-Client")))
            body = b'{"from": "backend"}'
            self.send_response(207)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend", "1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    try:
        api_id, root = new_api(apigateway)
        proxy = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
        apigateway.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
        apigateway.put_integration(
            restApiId=api_id,
            resourceId=proxy["id"],
            httpMethod="ANY",
            type="HTTP_PROXY",
            integrationHttpMethod="ANY",
            uri=f"http://127.0.0.1:{backend.server_address[1]}/backend/{{proxy}}",
        )
        apigateway.create_deployment(restApiId=api_id, stageName="prod")
        status, headers, body = curl(invoke_url(endpoint, api_id, "prod") + "/a/b?q=1", "-H", "X-Client: c1")
        assert (status, json.loads(body), headers["x-backend"]) == (207, {"from": "backend"}, ["1"])
        assert seen == [("/backend/a/b?q=1", "c1")]
    finally:
        backend.shutdown()


def test_a_deployed_api_survives_kill_9(launch_nimbus, tmp_path):
    from conftest import client_for

    data = tmp_path / "data"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    apigw, functions = client_for(server.url, "apigateway"), client_for(server.url, "lambda")
    api_id, root = new_api(apigw)
    proxy_method(apigw, api_id, root, function(functions, ECHO))
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert curl(invoke_url(server.url, api_id, "prod") + "/")[0] == 200
    server.process.kill()
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    assert client_for(restarted.url, "apigateway").get_stage(restApiId=api_id, stageName="prod")["stageName"] == "prod"
    status, _, body = curl(invoke_url(restarted.url, api_id, "prod") + "/")
    assert status == 200 and json.loads(body)["requestContext"]["apiId"] == api_id


def test_under_enforcement_api_gateway_invokes_a_function_only_with_its_permission(launch_nimbus):
    from test_iam_enforcement import Cloud

    cloud = Cloud(launch_nimbus("--enforce-iam").url)
    apigw, functions = cloud.client("apigateway"), cloud.client("lambda")
    api_id, root = new_api(apigw)
    function_arn = function(functions, ECHO)
    proxy_method(apigw, api_id, root, function_arn)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(cloud.url, api_id, "prod") + "/"
    status, _, body = curl(url)
    assert (status, json.loads(body)) == (500, {"message": "Internal server error"})
    functions.add_permission(
        FunctionName=function_arn,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/GET/",
    )
    assert curl(url)[0] == 200


def test_a_stage_throttles_past_its_burst_then_recovers_at_its_rate(apigateway, endpoint):
    import time

    api_id, root = new_api(apigateway)
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    apigateway.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    apigateway.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "2"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        ],
    )
    url = invoke_url(endpoint, api_id, "prod") + "/"
    answers = [curl(url) for _ in range(3)]
    assert [status for status, _, _ in answers] == [200, 200, 429]
    _, headers, body = answers[2]
    assert (json.loads(body), headers["x-amzn-errortype"]) == ({"message": "Too Many Requests"}, ["TooManyRequestsException"])
    time.sleep(0.6)  # one token back at 2 a second
    assert curl(url)[0] == 200


COUNTER = """import json
def lambda_handler(event, context):
    with open({path!r}, "a") as out:
        out.write("x")
    return {{"statusCode": 200, "body": json.dumps({{"calls": len(open({path!r}).read())}})}}
"""


def test_a_stage_cache_answers_within_its_ttl_and_is_flushed(apigateway, awslambda, endpoint, tmp_path):
    import time

    calls = tmp_path / "calls.txt"
    api_id, root = new_api(apigateway)
    proxy_method(apigateway, api_id, root, function(awslambda, COUNTER.format(path=str(calls))))
    apigateway.create_deployment(restApiId=api_id, stageName="prod", cacheClusterEnabled=True, cacheClusterSize="0.5")
    assert apigateway.get_stage(restApiId=api_id, stageName="prod")["cacheClusterStatus"] == "AVAILABLE"
    apigateway.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "1"},
        ],
    )
    url = invoke_url(endpoint, api_id, "prod") + "/"
    answers = [curl(url) for _ in range(2)]
    assert [(h["x-nimbus-cache"], json.loads(b)) for _, h, b in answers] == [
        (["Miss"], {"calls": 1}),
        (["Hit"], {"calls": 1}),
    ]
    apigateway.flush_stage_cache(restApiId=api_id, stageName="prod")
    _, headers, body = curl(url)
    assert (headers["x-nimbus-cache"], json.loads(body)) == (["Miss"], {"calls": 2})
    time.sleep(1.1)  # past the TTL of one second
    _, headers, body = curl(url)
    assert (headers["x-nimbus-cache"], json.loads(body)) == (["Miss"], {"calls": 3})


def test_gateway_responses_reword_api_gateways_own_answers(apigateway, endpoint):
    api_id, root = new_api(apigateway)
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    defaults = apigateway.get_gateway_responses(restApiId=api_id, limit=100)["items"]
    assert len(defaults) == 21 and all(r["defaultResponse"] for r in defaults)
    missing = apigateway.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert (missing["statusCode"], missing["responseTemplates"]) == ("403", {"application/json": '{"message":$context.error.messageString}'})
    put = apigateway.put_gateway_response(
        restApiId=api_id, responseType="DEFAULT_4XX",
        responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
        responseTemplates={"application/json": '{"error": $context.error.messageString, "kind": "$context.error.responseType"}'},
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 201 and put["defaultResponse"] is False
    apigateway.put_gateway_response(restApiId=api_id, responseType="INVALID_API_KEY", statusCode="401")
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(endpoint, api_id, "prod")
    status, headers, body = curl(url + "/nowhere")
    assert (status, headers["access-control-allow-origin"]) == (403, ["*"])
    assert json.loads(body) == {"error": "Missing Authentication Token", "kind": "MISSING_AUTHENTICATION_TOKEN"}
    status, _, body = curl(url + "/")
    assert (status, json.loads(body)) == (401, {"message": "Forbidden"}), "its own type: status changed, template kept"
    apigateway.delete_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX")
    assert apigateway.get_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX")["defaultResponse"] is True


def test_a_stage_writes_its_access_log_to_cloudwatch_logs(apigateway, aws_client, endpoint):
    import time

    logs = aws_client("logs")
    group = f"/apigateway/access-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    api_id, root = new_api(apigateway)
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    apigateway.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    apigateway.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"},
            {"op": "replace", "path": "/accessLogSettings/format",
             "value": '{"requestId":"$context.requestId","method":"$context.httpMethod","path":"$context.path","status":$context.status}'},
        ],
    )
    url = invoke_url(endpoint, api_id, "prod")
    _, headers, _ = curl(url + "/")
    curl(url + "/missing")

    def lines():
        events = logs.filter_log_events(logGroupName=group).get("events", [])
        return [json.loads(e["message"]) for e in events]

    deadline = time.monotonic() + 10
    while len(lines()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted((line["path"], line["status"]) for line in lines()) == [("/prod/", 200), ("/prod/missing", 403)]
    assert {line["requestId"] for line in lines()} >= {headers["x-amzn-requestid"][0]}


def test_update_rest_api_patches_its_settings_and_refuses_unknown_paths(apigateway):
    api_id, _ = new_api(apigateway)
    updated = apigateway.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "replace", "path": "/description", "value": "now described"},
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
            {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        ],
    )
    assert (updated["name"], updated["description"], updated["binaryMediaTypes"], updated["apiKeySource"]) == (
        "renamed", "now described", ["image/png"], "AUTHORIZER",
    )
    assert apigateway.get_rest_api(restApiId=api_id)["name"] == "renamed"
    assert refusal(apigateway.update_rest_api, restApiId=api_id, patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}])[:2] == (
        "BadRequestException",
        400,
    )
    assert apigateway.get_rest_api(restApiId=api_id)["description"] == "now described", "a refused patch changes nothing"
