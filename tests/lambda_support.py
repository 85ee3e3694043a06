"""What the Lambda tests share: packaging a function, creating and
invoking it, and waiting for what happens in the background."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zipped(files: dict[str, str], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, 0o644) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def python_function(body: str) -> bytes:
    return zipped({"lambda_function.py": body})


@pytest.fixture
def awslambda(aws_client):
    return aws_client("lambda")


def create(awslambda, code: bytes, runtime="python3.11", handler="lambda_function.lambda_handler", **extra) -> str:
    name = extra.pop("FunctionName", f"fn-{uuid.uuid4().hex[:10]}")
    awslambda.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, Code={"ZipFile": code}, **extra
    )
    return name


def invoke(awslambda, name: str, payload=None, **extra):
    body = json.dumps(payload).encode() if payload is not None else b""
    response = awslambda.invoke(FunctionName=name, Payload=body, **extra)
    return response, json.loads(response["Payload"].read() or b"null")


def wait_for(predicate, seconds: float = 20.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    return predicate()


def arn(name: str, qualifier: str | None = None) -> str:
    """A function's ARN in the tests' account, qualified if asked."""
    base = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base


def error_of(call, **params) -> tuple[str, int, str]:
    """Calls `call`, which must fail: (code, HTTP status, message)."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]
