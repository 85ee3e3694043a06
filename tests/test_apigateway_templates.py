"""Mapping templates (Velocity) through boto3 and curl: a MOCK whose
request template chooses its status and whose response template reads
$input, $context and $stageVariables; an HTTP (non-proxy) integration that
maps the request and the backend's answer; a CORS preflight answered by an
OPTIONS MOCK as a browser sends it; AWS integrations putting the request on
an SQS queue and in a DynamoDB table; Lambda's custom integration."""

from __future__ import annotations

import http.server
import json
import threading
import uuid

from apigateway_support import ACCOUNT, apigateway, curl, invoke_url, new_api  # noqa: F401
from lambda_support import awslambda  # noqa: F401

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


def aws_method(apigateway, api_id, resource_id, uri, template, parameters=None, http_method="POST"):
    apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="POST", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod="POST", type="AWS", integrationHttpMethod=http_method,
        uri=uri, credentials=f"arn:aws:iam::{ACCOUNT}:role/apigateway-to-aws",
        requestParameters=parameters or {}, requestTemplates={"application/json": template},
    )
    apigateway.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="POST", statusCode="200")
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=resource_id, httpMethod="POST", statusCode="200",
        responseTemplates={"application/json": '{"accepted": true}'},
    )


def test_an_aws_integration_puts_the_request_on_a_queue_and_in_a_table(apigateway, aws_client, endpoint):
    sqs, dynamodb = aws_client("sqs"), aws_client("dynamodb")
    queue = f"ingest-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    table = f"events-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    api_id, root = new_api(apigateway)
    queued = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="queue")
    aws_method(
        apigateway, api_id, queued["id"],
        uri=f"arn:aws:apigateway:us-east-1:sqs:path/{ACCOUNT}/{queue}",
        template="Action=SendMessage&MessageBody=$util.urlEncode($input.body)",
        parameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
    )
    stored = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="store")
    aws_method(
        apigateway, api_id, stored["id"],
        uri="arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        template='{"TableName": "%s", "Item": {"id": {"S": "$input.path(\'$.id\')"}, "kind": {"S": "$input.path(\'$.kind\')"}}}' % table,
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(endpoint, api_id, "prod")
    status, _, body = curl(url + "/queue", "-X", "POST", "-d", '{"reading": 42}')
    assert (status, json.loads(body)) == (200, {"accepted": True})
    message = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"][0]
    assert json.loads(message["Body"]) == {"reading": 42}
    status, _, body = curl(url + "/store", "-X", "POST", "-d", '{"id": "e1", "kind": "click"}')
    assert status == 200, body
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "e1"}})["Item"]
    assert item == {"id": {"S": "e1"}, "kind": {"S": "click"}}


def test_a_lambda_custom_integration_maps_its_errors_by_message(apigateway, awslambda, endpoint):
    from apigateway_support import function, lambda_uri

    handler = (
        "def lambda_handler(event, context):\n"
        "    if event['n'] < 0:\n"
        "        raise ValueError('Invalid: negative')\n"
        "    return {'double': event['n'] * 2}\n"
    )
    api_id, root = new_api(apigateway)
    aws_method(apigateway, api_id, root, uri=lambda_uri(function(awslambda, handler)),
               template='{"n": $input.path(\'$.n\')}')
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200",
        responseTemplates={"application/json": "$input.json('$')"},
    )
    apigateway.put_method_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="400")
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="400", selectionPattern="Invalid:.*",
        responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'},
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(endpoint, api_id, "prod") + "/"
    status, _, body = curl(url, "-X", "POST", "-d", '{"n": 21}')
    assert (status, json.loads(body)) == (200, {"double": 42})
    status, _, body = curl(url, "-X", "POST", "-d", '{"n": -1}')
    assert (status, json.loads(body)) == (400, {"error": "Invalid: negative"})
