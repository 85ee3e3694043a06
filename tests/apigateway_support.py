"""What the API Gateway tests share: clients, an API with a Lambda proxy
method, and calls to a deployed API over HTTP (curl)."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from lambda_support import create, python_function

ACCOUNT = "000000000000"


@pytest.fixture
def apigateway(aws_client):
    return aws_client("apigateway")


def curl(url: str, *args: str) -> tuple[int, dict[str, list[str]], str]:
    done = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "30", *args, url], capture_output=True, text=True, timeout=60, check=True
    )
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(lines[0].split()[1]), headers, body


def invoke_url(endpoint: str, api_id: str, stage: str) -> str:
    """The API's invoke URL as AWS names it, on nimbus's port."""
    port = endpoint.rsplit(":", 1)[1]
    return f"http://{api_id}.execute-api.localhost:{port}/{stage}"


def lambda_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def function(awslambda, body: str) -> str:
    """A Python function; its ARN."""
    name = create(awslambda, python_function(body))
    return awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def proxy_method(apigateway, api_id: str, resource_id: str, function_arn: str, verb: str = "GET") -> None:
    apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb, authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=lambda_uri(function_arn),
    )


def new_api(apigateway) -> tuple[str, str]:
    """A new REST API: its id and root resource id."""
    api = apigateway.create_rest_api(name=f"api-{uuid.uuid4().hex[:8]}")
    return api["id"], api["rootResourceId"]
