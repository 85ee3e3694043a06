"""Mapping templates (Velocity) through boto3 and curl: a MOCK whose
request template chooses its status and whose response template reads
$input, $context and $stageVariables; an HTTP (non-proxy) integration that
maps the request and the backend's answer; a CORS preflight answered by an
OPTIONS MOCK as a browser sends it."""

from __future__ import annotations

import http.server
import json
import threading

from apigateway_support import apigateway, curl, invoke_url, new_api  # noqa: F401

STATUS_TEMPLATE = """#if($input.params('fail') == 'yes')
{"statusCode": 500}
#else
{"statusCode": 200}
#end"""

GREETING_TEMPLATE = """#set($names = $input.params('names').split(','))
{
  "greeting": "$stageVariables.greeting",
  "names": [#foreach($name in $names)"$util.escapeJavaScript($name)"#if($foreach.hasNext), #end#end],
  "count": $names.size(),
  "requestId": "$context.requestId",
  "stage": "$context.stage"
}"""


def mock_method(apigateway, api_id, resource_id, verb="GET", request_template='{"statusCode": 200}'):
    apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb, authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod=verb, type="MOCK",
        requestTemplates={"application/json": request_template},
    )


def test_a_mock_renders_its_templates_with_input_context_and_stage_variables(apigateway, endpoint):
    api_id, root = new_api(apigateway)
    mock_method(apigateway, api_id, root, request_template=STATUS_TEMPLATE)
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": GREETING_TEMPLATE},
    )
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="500", selectionPattern="5\\d\\d",
        responseTemplates={"application/json": '{"failed": "$input.params(\'fail\')"}'},
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod", variables={"greeting": "hello"})
    url = invoke_url(endpoint, api_id, "prod") + "/"
    status, headers, body = curl(url + "?names=ann,bob%22o")
    assert status == 200, body
    answer = json.loads(body)
    assert answer == {
        "greeting": "hello",
        "names": ["ann", 'bob"o'],
        "count": 2,
        "requestId": headers["x-amzn-requestid"][0],
        "stage": "prod",
    }
    status, _, body = curl(url + "?fail=yes")
    assert (status, json.loads(body)) == (500, {"failed": "yes"})


def test_an_http_integration_maps_the_request_and_the_backends_answer(apigateway, endpoint):
    received = []

    class Backend(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            received.append((self.path, self.headers.get("X-Tenant"), json.loads(self.rfile.read(length))))
            body = json.dumps({"items": [{"id": 1}, {"id": 2}, {"id": 3}], "backend": "v1"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend-Version", "v1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    try:
        api_id, root = new_api(apigateway)
        orders = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="orders")
        apigateway.put_method(
            restApiId=api_id, resourceId=orders["id"], httpMethod="PUT", authorizationType="NONE",
            requestParameters={"method.request.querystring.tenant": True},
        )
        apigateway.put_integration(
            restApiId=api_id, resourceId=orders["id"], httpMethod="PUT", type="HTTP", integrationHttpMethod="POST",
            uri=f"http://127.0.0.1:{backend.server_address[1]}/intake",
            requestParameters={
                "integration.request.header.X-Tenant": "method.request.querystring.tenant",
                "integration.request.querystring.source": "'gateway'",
            },
            requestTemplates={"application/json": '{"order": $input.json(\'$.order\'), "path": "$context.resourcePath"}'},
        )
        apigateway.put_method_response(
            restApiId=api_id, resourceId=orders["id"], httpMethod="PUT", statusCode="200",
            responseParameters={"method.response.header.X-Version": False},
        )
        apigateway.put_integration_response(
            restApiId=api_id, resourceId=orders["id"], httpMethod="PUT", statusCode="200",
            responseParameters={"method.response.header.X-Version": "integration.response.header.X-Backend-Version"},
            responseTemplates={"application/json": '#set($b = $input.path(\'$\')){"count": $b.items.size(), "first": $input.json(\'$.items[0]\')}'},
        )
        apigateway.create_deployment(restApiId=api_id, stageName="prod")
        status, headers, body = curl(
            invoke_url(endpoint, api_id, "prod") + "/orders?tenant=acme", "-X", "PUT",
            "-H", "Content-Type: application/json", "-d", '{"order": {"sku": "a1", "qty": 2}, "ignored": true}',
        )
        assert (status, json.loads(body), headers["x-version"]) == (200, {"count": 3, "first": {"id": 1}}, ["v1"])
        assert received == [("/intake?source=gateway", "acme", {"order": {"sku": "a1", "qty": 2}, "path": "/orders"})]
    finally:
        backend.shutdown()


def test_a_cors_preflight_is_answered_by_an_options_mock_as_a_browser_sends_it(apigateway, endpoint):
    api_id, root = new_api(apigateway)
    items = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="items")
    mock_method(apigateway, api_id, items["id"], verb="OPTIONS")
    cors = {
        "method.response.header.Access-Control-Allow-Origin": "'https://app.example'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
    }
    apigateway.put_method_response(
        restApiId=api_id, resourceId=items["id"], httpMethod="OPTIONS", statusCode="200",
        responseParameters={name: False for name in cors},
    )
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=items["id"], httpMethod="OPTIONS", statusCode="200", responseParameters=cors,
        responseTemplates={"application/json": ""},
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    status, headers, body = curl(
        invoke_url(endpoint, api_id, "prod") + "/items", "-X", "OPTIONS",
        "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: POST",
        "-H", "Access-Control-Request-Headers: content-type",
    )
    assert (status, body) == (200, "")
    assert headers["access-control-allow-origin"] == ["https://app.example"]
    assert headers["access-control-allow-methods"] == ["GET,POST,OPTIONS"]
    assert headers["access-control-allow-headers"] == ["Content-Type,X-Api-Key"]
