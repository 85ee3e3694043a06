"""STS end to end: boto3 and the AWS CLI against the real nimbus binary
(`endpoint` and `aws` come from conftest.py)."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, cli_env

ROLE = "arn:aws:iam::111111111111:role/e2e-deployer"
DEFAULT_ACCOUNT = "000000000000"


@pytest.fixture
def url(endpoint: str) -> str:
    return endpoint


def sts(url: str, key: str = "test", secret: str = "test", token: str | None = None, validate: bool = True):
    """An STS client; `validate=False` lets invalid input reach the server."""
    return boto3.client(
        "sts",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(parameter_validation=validate, retries={"max_attempts": 1}),
    )


def with_credentials(url: str, credentials: dict):
    return sts(url, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def aws_cli_as(url: str, credentials: dict, *args: str) -> dict:
    """Like the `aws` fixture, signed with temporary `credentials`."""
    env = cli_env()
    env.update(
        AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
        AWS_SESSION_TOKEN=credentials["SessionToken"],
    )
    done = subprocess.run(
        ["aws", *args, "--endpoint-url", url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def assume(url: str, role_arn: str = ROLE, session: str = "e2e", **extra) -> dict:
    return sts(url).assume_role(RoleArn=role_arn, RoleSessionName=session, **extra)


# ------------------------------------------------------------ GetCallerIdentity


def test_cli_get_caller_identity_is_the_default_account(aws):
    result = aws("sts", "get-caller-identity")
    assert result.returncode == 0, result.stderr
    identity = result.json()
    assert identity["Account"] == DEFAULT_ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"
    assert identity["UserId"] == DEFAULT_ACCOUNT


def test_boto3_get_caller_identity_is_the_default_account(url):
    identity = sts(url).get_caller_identity()
    assert identity["Account"] == DEFAULT_ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


def test_twelve_digit_access_key_is_that_account(url):
    identity = sts(url, key="123456789012").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"


# ------------------------------------------------------------------ AssumeRole


def test_assume_role_credentials_act_as_the_role(url):
    response = assume(url, session="e2e-session")
    credentials = response["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40
    assert credentials["SessionToken"]
    remaining = credentials["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 3500 < remaining.total_seconds() <= 3601
    user = response["AssumedRoleUser"]
    assert user["Arn"] == "arn:aws:sts::111111111111:assumed-role/e2e-deployer/e2e-session"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":e2e-session")

    identity = with_credentials(url, credentials).get_caller_identity()
    assert identity["Account"] == "111111111111"
    assert identity["Arn"] == user["Arn"]
    assert identity["UserId"] == user["AssumedRoleId"]


def test_cli_assume_role_then_get_caller_identity(url, aws):
    result = aws("sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "cli-session")
    assert result.returncode == 0, result.stderr
    credentials = result.json()["Credentials"]
    identity = aws_cli_as(url, credentials, "sts", "get-caller-identity")
    assert identity["Account"] == "111111111111"
    assert identity["Arn"] == "arn:aws:sts::111111111111:assumed-role/e2e-deployer/cli-session"


def test_role_ids_are_stable_per_role(url):
    first = assume(url, session="one")["AssumedRoleUser"]["AssumedRoleId"]
    second = assume(url, session="two")["AssumedRoleUser"]["AssumedRoleId"]
    assert first.split(":")[0] == second.split(":")[0]


def test_assume_role_with_policy_tags_and_external_id(url):
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    response = assume(
        url,
        Policy=json.dumps(policy),
        DurationSeconds=900,
        ExternalId="external-123",
        SourceIdentity="alice",
        Tags=[{"Key": "team", "Value": "infra"}],
    )
    assert 1 <= response["PackedPolicySize"] <= 100
    assert response["SourceIdentity"] == "alice"
    remaining = response["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 800 < remaining.total_seconds() <= 901


@pytest.mark.parametrize(
    "duration, constraint",
    [
        (100, "Member must have value greater than or equal to 900"),
        (43201, "Member must have value less than or equal to 43200"),
    ],
)
def test_invalid_duration_is_a_validation_error(url, duration, constraint):
    client = sts(url, validate=False)
    with pytest.raises(ClientError) as excinfo:
        client.assume_role(RoleArn=ROLE, RoleSessionName="e2e", DurationSeconds=duration)
    assert error_of(excinfo) == (
        "ValidationError",
        f"1 validation error detected: Value '{duration}' at 'durationSeconds' "
        f"failed to satisfy constraint: {constraint}",
        400,
    )


@pytest.mark.parametrize(
    "role_arn",
    ["arn:aws:iam::111111111111:user/alice", "this-is-not-an-arn-at-all"],
)
def test_invalid_role_arn_is_rejected(url, role_arn):
    with pytest.raises(ClientError) as excinfo:
        assume(url, role_arn=role_arn)
    assert error_of(excinfo) == ("ValidationError", "Request ARN is invalid", 400)


def test_invalid_session_name_is_a_validation_error(url):
    client = sts(url, validate=False)
    with pytest.raises(ClientError) as excinfo:
        client.assume_role(RoleArn=ROLE, RoleSessionName="has space")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400)
    assert message == (
        "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    )


def test_role_chaining_is_limited_to_one_hour(url):
    chained = with_credentials(url, assume(url)["Credentials"])
    with pytest.raises(ClientError) as excinfo:
        chained.assume_role(
            RoleArn="arn:aws:iam::222222222222:role/next", RoleSessionName="hop", DurationSeconds=7200
        )
    assert error_of(excinfo) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        400,
    )
    hop = chained.assume_role(RoleArn="arn:aws:iam::222222222222:role/next", RoleSessionName="hop")
    identity = with_credentials(url, hop["Credentials"]).get_caller_identity()
    assert identity["Account"] == "222222222222"


# --------------------------------------------------- session and federation tokens


def test_session_token_acts_as_the_caller(url):
    credentials = sts(url, key="123456789012").get_session_token()["Credentials"]
    remaining = credentials["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 43100 < remaining.total_seconds() <= 43201
    identity = with_credentials(url, credentials).get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"

    with pytest.raises(ClientError) as excinfo:
        with_credentials(url, credentials).get_session_token()
    assert error_of(excinfo) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_federation_token_names_a_federated_user(url):
    response = sts(url).get_federation_token(Name="bob")
    assert response["FederatedUser"]["Arn"] == f"arn:aws:sts::{DEFAULT_ACCOUNT}:federated-user/bob"
    identity = with_credentials(url, response["Credentials"]).get_caller_identity()
    assert identity["Arn"] == response["FederatedUser"]["Arn"]


def test_access_key_info_names_the_account(url):
    client = sts(url)
    issued = assume(url)["Credentials"]["AccessKeyId"]
    assert client.get_access_key_info(AccessKeyId=issued)["Account"] == "111111111111"
    # A 12-digit key names its account, but the model wants 16+ characters,
    # so only the gateway (not GetAccessKeyInfo) ever sees one.
    assert client.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == DEFAULT_ACCOUNT


# ------------------------------------------------------------- web identity


def _jwt(claims: dict) -> str:
    def encode(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{encode({'alg': 'RS256', 'typ': 'JWT'})}.{encode(claims)}.signature"


def test_assume_role_with_web_identity(url):
    token = _jwt({"sub": "user-42", "iss": "https://oidc.example", "aud": "client-1", "exp": int(time.time()) + 600})
    response = sts(url).assume_role_with_web_identity(
        RoleArn=ROLE, RoleSessionName="web", WebIdentityToken=token
    )
    assert response["SubjectFromWebIdentityToken"] == "user-42"
    assert response["Audience"] == "client-1"
    identity = with_credentials(url, response["Credentials"]).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::111111111111:assumed-role/e2e-deployer/web"
