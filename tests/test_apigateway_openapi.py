"""OpenAPI definitions through boto3: a todo API imported from OpenAPI 3
with API Gateway's integration extension, whose Lambda reads and writes
DynamoDB through boto3 inside it, called with curl; PutRestApi merging
and overwriting; GetExport of a stage."""

from __future__ import annotations

import json
import sys
import uuid

import pytest
from apigateway_support import apigateway, curl, invoke_url, lambda_uri  # noqa: F401
from botocore.exceptions import ClientError
from lambda_support import awslambda, create, python_function  # noqa: F401

TODO_HANDLER = """import json, os, uuid
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])

def lambda_handler(event, context):
    method, params = event["httpMethod"], event["pathParameters"] or {}
    if method == "POST":
        item = {"id": uuid.uuid4().hex[:8], **json.loads(event["body"])}
        table.put_item(Item=item)
        return {"statusCode": 201, "body": json.dumps(item)}
    if "id" in params:
        found = table.get_item(Key={"id": params["id"]}).get("Item")
        if found is None:
            return {"statusCode": 404, "body": json.dumps({"message": "no such todo"})}
        return {"statusCode": 200, "body": json.dumps(found)}
    items = sorted(table.scan()["Items"], key=lambda item: item["title"])
    return {"statusCode": 200, "body": json.dumps(items)}
"""


def todo_definition(function_arn: str) -> dict:
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri(function_arn), "passthroughBehavior": "when_no_match"}
    return {
        "openapi": "3.0.1",
        "info": {"title": "todos", "version": "2026-12-07", "description": "a todo list"},
        "paths": {
            "/todos": {
                "get": {"operationId": "listTodos", "responses": {"200": {"description": "ok"}},
                        "x-amazon-apigateway-integration": integration},
                "post": {"responses": {"201": {"description": "created"}}, "x-amazon-apigateway-integration": integration},
            },
            "/todos/{id}": {
                "get": {
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": integration,
                }
            },
        },
    }


@pytest.fixture
def todo_function(awslambda, aws_client) -> str:
    table = f"todos-{uuid.uuid4().hex[:8]}"
    aws_client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    # The host interpreter finds boto3 where the test's own is installed.
    site = next(p for p in sys.path if p.endswith("site-packages"))
    name = create(awslambda, python_function(TODO_HANDLER), Timeout=30,
                  Environment={"Variables": {"PYTHONPATH": site, "TABLE": table}})
    return awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def test_an_imported_todo_api_reads_and_writes_dynamodb_through_its_function(apigateway, todo_function, endpoint):
    api = apigateway.import_rest_api(body=json.dumps(todo_definition(todo_function)).encode())
    assert api["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (api["name"], api["description"], api["version"]) == ("todos", "a todo list", "2026-12-07")
    paths = {r["path"]: r for r in apigateway.get_resources(restApiId=api["id"], embed=["methods"])["items"]}
    assert sorted(paths) == ["/", "/todos", "/todos/{id}"]
    listed = paths["/todos"]["resourceMethods"]["GET"]
    assert listed["operationName"] == "listTodos" and listed["methodIntegration"]["type"] == "AWS_PROXY"
    assert paths["/todos/{id}"]["resourceMethods"]["GET"]["requestParameters"] == {"method.request.path.id": True}
    apigateway.create_deployment(restApiId=api["id"], stageName="prod")
    url = invoke_url(endpoint, api["id"], "prod") + "/todos"
    status, _, body = curl(url, "-X", "POST", "-d", '{"title": "buy milk"}')
    assert status == 201, body
    created = json.loads(body)
    curl(url, "-X", "POST", "-d", '{"title": "call mum"}')
    status, _, body = curl(url)
    assert status == 200 and [todo["title"] for todo in json.loads(body)] == ["buy milk", "call mum"]
    status, _, body = curl(f"{url}/{created['id']}")
    assert (status, json.loads(body)) == (200, created)
    status, _, body = curl(f"{url}/nothing")
    assert (status, json.loads(body)) == (404, {"message": "no such todo"})


def test_put_rest_api_merges_or_overwrites_and_get_export_writes_the_stage(apigateway, todo_function):
    api = apigateway.import_rest_api(body=json.dumps(todo_definition(todo_function)).encode())
    health = {
        "openapi": "3.0.1",
        "info": {"title": "todos v2", "version": "2"},
        "paths": {"/health": {"get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": '{"up": true}'}}},
        }}}},
    }
    apigateway.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(health).encode())
    paths = sorted(r["path"] for r in apigateway.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/health", "/todos", "/todos/{id}"]
    replaced = apigateway.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(health).encode())
    assert replaced["name"] == "todos v2"
    assert sorted(r["path"] for r in apigateway.get_resources(restApiId=api["id"])["items"]) == ["/", "/health"]
    apigateway.create_deployment(restApiId=api["id"], stageName="prod")
    exported = apigateway.get_export(restApiId=api["id"], stageName="prod", exportType="oas30",
                                     parameters={"extensions": "integrations"}, accepts="application/json")
    document = json.loads(exported["body"].read())
    assert document["openapi"] == "3.0.1" and document["info"]["title"] == "todos v2"
    assert document["servers"][0]["variables"]["basePath"]["default"] == "prod"
    integration = document["paths"]["/health"]["get"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock" and integration["responses"]["default"]["statusCode"] == "200"
    swagger = json.loads(apigateway.get_export(restApiId=api["id"], stageName="prod", exportType="swagger")["body"].read())
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/prod"
    assert "x-amazon-apigateway-integration" not in swagger["paths"]["/health"]["get"]


def test_what_is_not_an_openapi_definition_is_refused(apigateway):
    for body in (b"not json", b'{"title": "no version key"}'):
        with pytest.raises(ClientError) as caught:
            apigateway.import_rest_api(body=body)
        error = caught.value.response
        assert (error["Error"]["Code"], error["Error"]["Message"]) == ("BadRequestException", "Invalid OpenAPI input.")
