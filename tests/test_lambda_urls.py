"""Lambda function URLs: configured through boto3, called with curl at the
URL Lambda answers (`http://<id>.lambda-url.<region>.localhost:<port>/`,
which curl resolves to loopback itself): the event a function gets, the
response it shapes, CORS, AuthType AWS_IAM, and Lambda's errors."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from botocore.exceptions import ClientError

from lambda_support import awslambda, create, python_function  # noqa: F401

ECHO_EVENT = """import json
def lambda_handler(event, context):
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-From": "function"},
        "cookies": ["session=abc"],
        "body": json.dumps(event),
    }
"""


def curl(url: str, *args: str) -> tuple[int, dict[str, list[str]], str]:
    done = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "30", *args, url], capture_output=True, text=True, timeout=60, check=True
    )
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, body


def test_a_function_url_answers_http_with_the_functions_response(awslambda):
    name = create(awslambda, python_function(ECHO_EVENT))
    created = awslambda.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    url = created["FunctionUrl"]
    assert re.fullmatch(r"http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/", url)
    assert created["AuthType"] == "NONE" and created["InvokeMode"] == "BUFFERED"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    status, headers, body = curl(url + "items/7?color=red&size=2", "-X", "POST", "-H", "Content-Type: application/json",
                                 "-H", "Cookie: a=1; b=2", "-d", '{"order": 1}')
    assert status == 201
    assert headers["x-from"] == ["function"] and headers["set-cookie"] == ["session=abc"]
    event = json.loads(body)
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/items/7")
    assert event["rawQueryString"] == "color=red&size=2"
    assert event["queryStringParameters"] == {"color": "red", "size": "2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert json.loads(event["body"]) == {"order": 1} and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"]["method"] == "POST" and context["accountId"] == "anonymous"
    assert context["domainPrefix"] == url.split("//")[1].split(".")[0]
    got = awslambda.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == url and "LastModifiedTime" in got
    assert [c["FunctionUrl"] for c in awslambda.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]] == [url]


def test_a_value_that_is_not_a_status_document_is_the_json_body(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return {'hello': 'world'}\n"))
    url = awslambda.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    status, headers, body = curl(url)
    assert (status, headers["content-type"], json.loads(body)) == (200, ["application/json"], {"hello": "world"})
    failing = create(awslambda, python_function("def lambda_handler(e, c):\n    raise ValueError('x')\n"))
    failing_url = awslambda.create_function_url_config(FunctionName=failing, AuthType="NONE")["FunctionUrl"]
    status, _, body = curl(failing_url)
    assert (status, json.loads(body)) == (502, {"Message": "Internal Server Error"})


def test_cors_rules_answer_preflights_and_mark_responses(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return 'ok'\n"))
    url = awslambda.create_function_url_config(
        FunctionName=name, AuthType="NONE",
        Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-token"], "MaxAge": 60},
    )["FunctionUrl"]
    status, headers, _ = curl(url, "-X", "OPTIONS", "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: POST")
    assert status == 200
    assert headers["access-control-allow-origin"] == ["https://app.example"]
    assert headers["access-control-allow-methods"] == ["GET,POST"] and headers["access-control-max-age"] == ["60"]
    _, headers, _ = curl(url, "-H", "Origin: https://app.example")
    assert headers["access-control-allow-origin"] == ["https://app.example"]
    _, headers, _ = curl(url, "-H", "Origin: https://evil.example")
    assert "access-control-allow-origin" not in headers


def test_aws_iam_urls_refuse_unsigned_requests_and_deleted_urls_answer_no_more(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return 'ok'\n"))
    url = awslambda.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    status, _, body = curl(url)
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    status, _, body = curl(url, "--aws-sigv4", "aws:amz:us-east-1:lambda", "--user", "test:test")
    assert (status, json.loads(body)) == (200, "ok")
    awslambda.update_function_url_config(FunctionName=name, AuthType="NONE")
    assert curl(url)[0] == 200
    assert awslambda.delete_function_url_config(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert curl(url)[0] == 403


SIGV4 = ("--aws-sigv4", "aws:amz:us-east-1:lambda")


def test_under_enforcement_url_callers_are_held_to_invoke_function_url(launch_nimbus):
    from test_iam_enforcement import Cloud, allow

    cloud = Cloud(launch_nimbus("--enforce-iam").url)
    root = cloud.client("lambda")
    name = create(root, python_function(ECHO_EVENT))
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    url = root.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    assert curl(url, *SIGV4, "--user", "test:not-the-secret")[0] == 403
    reader = cloud.user("reader", allow("lambda:GetFunction", arn))
    caller = cloud.user(
        "caller",
        allow("lambda:InvokeFunctionUrl", arn, Condition={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}),
    )
    status, _, body = curl(url, *SIGV4, "--user", f"{reader.key}:{reader.secret}")
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    status, _, body = curl(url, *SIGV4, "--user", f"{caller.key}:{caller.secret}")
    assert status == 201
    context = json.loads(body)["requestContext"]
    assert context["accountId"] == "000000000000"
    assert context["authorizer"]["iam"]["accessKey"] == caller.key
    assert context["authorizer"]["iam"]["accountId"] == "000000000000"

    # A URL open to everyone still needs the function's policy to say so.
    root.update_function_url_config(FunctionName=name, AuthType="NONE")
    assert curl(url)[0] == 403
    root.add_permission(
        FunctionName=name,
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    status, _, body = curl(url)
    assert status == 201 and json.loads(body)["requestContext"]["accountId"] == "anonymous"


def test_url_config_errors_are_lambdas(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return 'ok'\n"))
    awslambda.create_function_url_config(FunctionName=name, AuthType="NONE")
    with pytest.raises(ClientError) as caught:
        awslambda.create_function_url_config(FunctionName=name, AuthType="NONE")
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceConflictException", 409)
    assert "FunctionUrlConfig exists for this Lambda function" in error["Error"]["Message"]
    other = create(awslambda, python_function("def lambda_handler(e, c):\n    return 'ok'\n"))
    with pytest.raises(ClientError) as caught:
        awslambda.get_function_url_config(FunctionName=other)
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    with pytest.raises(ClientError) as caught:
        awslambda.create_function_url_config(FunctionName=other, AuthType="SOMETIMES")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
