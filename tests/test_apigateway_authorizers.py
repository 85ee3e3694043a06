"""Lambda authorizers of REST APIs through boto3 and curl: TOKEN and
REQUEST authorizers whose function's policy lets a request on or not, the
grant cached for the authorizer's TTL, and its context reaching the
method's function."""

from __future__ import annotations

import json

import pytest
from apigateway_support import apigateway, curl, function, invoke_url, lambda_uri, new_api  # noqa: F401
from botocore.exceptions import ClientError
from lambda_support import awslambda  # noqa: F401

AUTHORIZER = """def lambda_handler(event, context):
    with open({calls!r}, "a") as out:
        out.write(event["type"] + "\\n")
    token = event.get("authorizationToken") or (event.get("queryStringParameters") or {{}}).get("key")
    if token == "boom":
        raise Exception("Unauthorized")
    effect = "Allow" if token in ("allow", "k1") else "Deny"
    return {{
        "principalId": "ann",
        "policyDocument": {{"Version": "2012-10-17", "Statement": [
            {{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}}
        ]}},
        "context": {{"team": "blue", "level": 3}},
    }}
"""

ECHO_AUTHORIZER = """import json
def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""


def guarded_api(apigateway, awslambda, tmp_path, **authorizer) -> tuple[str, str]:
    api_id, root = new_api(apigateway)
    calls = tmp_path / "calls.txt"
    created = apigateway.create_authorizer(
        restApiId=api_id, name="gate", authorizerUri=lambda_uri(function(awslambda, AUTHORIZER.format(calls=str(calls)))),
        **authorizer,
    )
    apigateway.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId=created["id"]
    )
    apigateway.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=lambda_uri(function(awslambda, ECHO_AUTHORIZER)),
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, str(calls)


def test_a_token_authorizer_lets_in_what_its_policy_allows_and_caches_its_answer(apigateway, awslambda, endpoint, tmp_path):
    api_id, calls = guarded_api(
        apigateway, awslambda, tmp_path, type="TOKEN", identitySource="method.request.header.Authorization"
    )
    assert [a["name"] for a in apigateway.get_authorizers(restApiId=api_id)["items"]] == ["gate"]
    url = invoke_url(endpoint, api_id, "prod") + "/"
    status, headers, body = curl(url)
    assert (status, json.loads(body), headers["x-amzn-errortype"]) == (401, {"message": "Unauthorized"}, ["UnauthorizedException"])
    for _ in range(2):
        status, _, body = curl(url, "-H", "Authorization: allow")
        assert (status, json.loads(body)) == (200, {"principalId": "ann", "team": "blue", "level": "3"})
    assert open(calls).read() == "TOKEN\n", "the second request was answered from the cache"
    status, _, body = curl(url, "-H", "Authorization: deny")
    assert (status, json.loads(body)) == (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    status, _, body = curl(url, "-H", "Authorization: boom")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_a_request_authorizer_needs_every_identity_source_and_without_a_ttl_asks_each_time(apigateway, awslambda, endpoint, tmp_path):
    api_id, calls = guarded_api(
        apigateway, awslambda, tmp_path, type="REQUEST", identitySource="method.request.querystring.key",
        authorizerResultTtlInSeconds=0,
    )
    url = invoke_url(endpoint, api_id, "prod") + "/"
    assert curl(url)[0] == 401
    assert [curl(url + "?key=k1")[0] for _ in range(2)] == [200, 200]
    assert curl(url + "?key=other")[0] == 403
    assert open(calls).read() == "REQUEST\nREQUEST\nREQUEST\n"


def test_authorizers_are_checked_when_methods_name_them(apigateway):
    api_id, root = new_api(apigateway)
    with pytest.raises(ClientError) as caught:
        apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId="nope00")
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as caught:
        apigateway.create_authorizer(restApiId=api_id, name="x", type="TOKEN", identitySource="method.request.header.A")
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as caught:
        apigateway.get_authorizer(restApiId=api_id, authorizerId="nope00")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
