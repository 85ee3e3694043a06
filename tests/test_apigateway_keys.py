"""API keys and usage plans through boto3 and curl: a method that requires
an API key refuses requests without a key of a plan that includes its
stage, and the plan's quota and throttle limit the key."""

from __future__ import annotations

import json

import pytest
from apigateway_support import apigateway, curl, invoke_url, new_api  # noqa: F401
from botocore.exceptions import ClientError


def keyed_api(apigateway) -> str:
    api_id, root = new_api(apigateway)
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigateway.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", responseTemplates={"application/json": '{"ok": true}'}
    )
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def error_of(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_key_of_a_plan_is_required_and_its_quota_counts(apigateway, endpoint):
    api_id = keyed_api(apigateway)
    url = invoke_url(endpoint, api_id, "prod") + "/"
    status, headers, body = curl(url)
    assert (status, json.loads(body), headers["x-amzn-errortype"]) == (403, {"message": "Forbidden"}, ["ForbiddenException"])

    key = apigateway.create_api_key(name="partner", enabled=True)
    assert key["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(key["value"]) == 40 and key["value"].isalnum() and key["enabled"] is True
    assert "value" not in apigateway.get_api_key(apiKey=key["id"])
    assert apigateway.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    assert key["id"] in [k["id"] for k in apigateway.get_api_keys(nameQuery="part")["items"]]
    assert curl(url, "-H", f"x-api-key: {key['value']}")[0] == 403, "a key in no plan"

    plan = apigateway.create_usage_plan(
        name="bronze",
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        throttle={"rateLimit": 100.0, "burstLimit": 100},
        quota={"limit": 3, "period": "DAY"},
    )
    member = apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert (member["id"], member["type"], member["name"]) == (key["id"], "API_KEY", "partner")
    assert [k["id"] for k in apigateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert [p["id"] for p in apigateway.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    answers = [curl(url, "-H", f"x-api-key: {key['value']}") for _ in range(4)]
    assert [status for status, _, _ in answers] == [200, 200, 200, 429]
    assert json.loads(answers[3][2]) == {"message": "Limit Exceeded"}
    assert curl(url, "-H", "x-api-key: not-a-key-of-anyone-at-all")[0] == 403

    apigateway.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert curl(url, "-H", f"x-api-key: {key['value']}")[0] == 403
    apigateway.delete_usage_plan(usagePlanId=plan["id"])
    apigateway.delete_api_key(apiKey=key["id"])
    assert error_of(apigateway.get_api_key, apiKey=key["id"]) == ("NotFoundException", 404)
    assert error_of(apigateway.get_usage_plan, usagePlanId=plan["id"]) == ("NotFoundException", 404)


def test_bad_keys_and_plans_are_refused(apigateway):
    assert error_of(apigateway.create_api_key, name="short", value="tooshort") == ("BadRequestException", 400)
    assert error_of(apigateway.create_usage_plan, name="p", apiStages=[{"apiId": "nope000000", "stage": "prod"}]) == (
        "BadRequestException",
        400,
    )
    plan = apigateway.create_usage_plan(name="empty")
    assert error_of(apigateway.create_usage_plan_key, usagePlanId=plan["id"], keyId="nokey00000", keyType="API_KEY") == (
        "NotFoundException",
        404,
    )
