"""Lambda resource policies, reserved concurrency and packages from S3,
through boto3: AddPermission/GetPolicy/RemovePermission as Lambda writes
the statements (and, under --enforce-iam, another account let in by the
policy), invocations throttled past the reservation, and code read from
nimbus's own S3."""

from __future__ import annotations

import json
import sys
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from lambda_support import ROLE, arn, awslambda, create, error_of, invoke, python_function, zipped  # noqa: F401


HELLO = python_function("def lambda_handler(e, c):\n    return 'hello'\n")


def test_permissions_are_added_read_and_removed_as_lambda_writes_them(awslambda):
    name = create(awslambda, HELLO)
    before = awslambda.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    added = awslambda.add_permission(
        FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads", SourceAccount="000000000000",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {
        "Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": arn(name),
        "Condition": {"StringEquals": {"AWS:SourceAccount": "000000000000"}, "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}},
    }
    awslambda.add_permission(FunctionName=name, StatementId="other", Action="lambda:InvokeFunction", Principal="111122223333")
    got = awslambda.get_policy(FunctionName=name)
    policy = json.loads(got["Policy"])
    assert (policy["Version"], policy["Id"]) == ("2012-10-17", "default")
    assert [s["Sid"] for s in policy["Statement"]] == ["s3", "other"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    revision = awslambda.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    assert got["RevisionId"] == revision != before
    assert error_of(
        awslambda.add_permission, FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    ) == (
        "ResourceConflictException", 409,
        "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.",
    )
    assert error_of(awslambda.remove_permission, FunctionName=name, StatementId="nope") == (
        "ResourceNotFoundException", 404, "Statement nope is not found in resource policy.",
    )
    assert awslambda.remove_permission(FunctionName=name, StatementId="s3")["ResponseMetadata"]["HTTPStatusCode"] == 204
    awslambda.remove_permission(FunctionName=name, StatementId="other")
    assert error_of(awslambda.get_policy, FunctionName=name) == (
        "ResourceNotFoundException", 404, "The resource you requested does not exist.",
    )


def test_policies_belong_to_one_qualifier_and_bad_requests_are_refused(awslambda):
    name = create(awslambda, HELLO)
    awslambda.publish_version(FunctionName=name)
    awslambda.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    on_alias = awslambda.add_permission(
        FunctionName=name, Qualifier="live", StatementId="a", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    )
    assert json.loads(on_alias["Statement"])["Resource"] == arn(name, "live")
    assert awslambda.get_policy(FunctionName=name, Qualifier="live")["RevisionId"] == awslambda.get_alias(FunctionName=name, Name="live")["RevisionId"]
    assert error_of(awslambda.get_policy, FunctionName=name)[0] == "ResourceNotFoundException"
    refusals = [
        ({"Qualifier": "$LATEST"}, ("InvalidParameterValueException", 400, "We currently do not support adding policies for $LATEST.")),
        ({"Qualifier": "gone"}, ("ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(name, 'gone')}")),
        ({"Qualifier": "42"}, ("ResourceNotFoundException", 404, f"Function not found: {arn(name, '42')}")),
        ({"Principal": "notaprincipal"}, ("InvalidParameterValueException", 400, "The provided principal was invalid. Please check the principal and try again.")),
        ({"RevisionId": "stale"}, ("PreconditionFailedException", 412, None)),
    ]
    for change, expected in refusals:
        params = {"FunctionName": name, "StatementId": "x", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com", **change}
        code, status, message = error_of(awslambda.add_permission, **params)
        assert (code, status) == expected[:2], change
        if expected[2]:
            assert message == expected[2]
    assert error_of(awslambda.remove_permission, FunctionName="no-such-fn", StatementId="x") == (
        "ResourceNotFoundException", 404, f"No policy found for: {arn('no-such-fn')}",
    )
    assert error_of(awslambda.remove_permission, FunctionName=name, StatementId="x") == (
        "ResourceNotFoundException", 404, "No policy is associated with the given resource.",
    )


def test_under_enforcement_another_account_invokes_only_once_the_policy_lets_it(launch_nimbus):
    from test_iam_enforcement import OTHER, OTHER_ROOT, Cloud, allow, refusal

    cloud = Cloud(launch_nimbus("--enforce-iam").url)
    owner = cloud.client("lambda")
    name = create(owner, HELLO)
    caller = cloud.client("lambda", cloud.user("caller", allow("lambda:InvokeFunction", arn(name)), owner=OTHER_ROOT))
    code, status, _ = refusal(caller.invoke, FunctionName=arn(name), Payload=b"{}")
    assert (code, status) == ("AccessDeniedException", 403)
    owner.add_permission(FunctionName=name, StatementId="partner", Action="lambda:InvokeFunction", Principal=OTHER)
    assert json.loads(caller.invoke(FunctionName=arn(name), Payload=b"{}")["Payload"].read()) == "hello"


SLOW = python_function("import time\ndef lambda_handler(e, c):\n    time.sleep(e.get('sleep', 0))\n    return 'done'\n")


def test_reserved_concurrency_throttles_what_goes_past_it(awslambda):
    name = create(awslambda, SLOW)
    assert awslambda.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    put = awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    assert put["ReservedConcurrentExecutions"] == 1
    assert awslambda.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    assert awslambda.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] <= 999
    started = threading.Event()
    results = {}

    def slow():
        started.set()
        results["slow"] = invoke(awslambda, name, {"sleep": 2})[1]

    worker = threading.Thread(target=slow)
    worker.start()
    started.wait()
    import time

    deadline = time.monotonic() + 10
    throttled = None
    while time.monotonic() < deadline and throttled is None:
        try:
            invoke(awslambda, name, {})
            time.sleep(0.05)
        except ClientError as error:
            throttled = error.response
    worker.join()
    assert results["slow"] == "done"
    assert throttled is not None, "a second invocation beside the first was not throttled"
    assert (throttled["Error"]["Code"], throttled["ResponseMetadata"]["HTTPStatusCode"]) == ("TooManyRequestsException", 429)
    assert throttled["Error"]["Message"] == "Rate Exceeded." and throttled["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert error_of(awslambda.invoke, FunctionName=name)[:2] == ("TooManyRequestsException", 429)
    awslambda.delete_function_concurrency(FunctionName=name)
    assert invoke(awslambda, name, {})[1] == "done"


def test_concurrency_requests_lambda_refuses(awslambda):
    name = create(awslambda, SLOW)
    awslambda.publish_version(FunctionName=name)
    assert error_of(awslambda.put_function_concurrency, FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)[:2] == (
        "InvalidParameterValueException", 400,
    )
    assert error_of(awslambda.put_function_concurrency, FunctionName=name, ReservedConcurrentExecutions=950) == (
        "InvalidParameterValueException", 400,
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    )
    assert error_of(awslambda.put_function_concurrency, FunctionName="no-such-fn", ReservedConcurrentExecutions=1) == (
        "ResourceNotFoundException", 404, f"Function not found: {arn('no-such-fn', '$LATEST')}",
    )


def test_a_package_is_read_from_s3(awslambda, aws_client):
    s3 = aws_client("s3")
    bucket = f"code-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="v1.zip", Body=python_function("def lambda_handler(e, c):\n    return 'from s3'\n"))
    s3.put_object(Bucket=bucket, Key="v2.zip", Body=python_function("def lambda_handler(e, c):\n    return 'v2'\n"))
    name = f"fn-{uuid.uuid4().hex[:10]}"
    awslambda.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="lambda_function.lambda_handler",
        Code={"S3Bucket": bucket, "S3Key": "v1.zip"},
    )
    assert invoke(awslambda, name, {})[1] == "from s3"
    awslambda.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="v2.zip")
    assert invoke(awslambda, name, {})[1] == "v2"
    code, status, message = error_of(awslambda.update_function_code, FunctionName=name, S3Bucket=bucket, S3Key="missing.zip")
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message:")
    assert invoke(awslambda, name, {})[1] == "v2"


CALLER = """import boto3
def lambda_handler(event, context):
    return boto3.client("sts").get_caller_identity()["Arn"]
"""


def with_boto3() -> dict:
    """The function's interpreter finds boto3 where the test's own is installed."""
    site = next(p for p in sys.path if p.endswith("site-packages"))
    return {"Variables": {"PYTHONPATH": site}}


def test_a_function_runs_as_a_session_of_its_execution_role(awslambda):
    name = create(awslambda, python_function(CALLER), Environment=with_boto3(), Timeout=30)
    arn_seen = invoke(awslambda, name, {})[1]
    assert arn_seen == f"arn:aws:sts::000000000000:assumed-role/lambda-role/{name}"


TABLE_WRITER = """import boto3
def lambda_handler(event, context):
    table = boto3.client("dynamodb")
    try:
        table.put_item(TableName=event["table"], Item={"id": {"S": "x"}})
        return "written"
    except Exception as error:
        return type(error).__name__ + ": " + str(error)[:200]
"""


def test_under_enforcement_a_function_is_held_to_its_roles_policies(launch_nimbus):
    from test_iam_enforcement import Cloud, allow

    cloud = Cloud(launch_nimbus("--enforce-iam").url)
    dynamodb = cloud.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    )
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    reader = cloud.role("reader-role", trust, allow("dynamodb:GetItem", "*"))
    writer = cloud.role("writer-role", trust, allow("dynamodb:PutItem", "*"))
    owner = cloud.client("lambda")
    name = f"fn-{uuid.uuid4().hex[:10]}"
    owner.create_function(FunctionName=name, Runtime="python3.11", Role=reader, Handler="lambda_function.lambda_handler",
                          Code={"ZipFile": python_function(TABLE_WRITER)}, Environment=with_boto3(), Timeout=30)
    refused = json.loads(owner.invoke(FunctionName=name, Payload=json.dumps({"table": table}))["Payload"].read())
    assert refused.startswith("ClientError") and "AccessDeniedException" in refused and "reader-role" in refused
    owner.update_function_configuration(FunctionName=name, Role=writer)
    written = json.loads(owner.invoke(FunctionName=name, Payload=json.dumps({"table": table}))["Payload"].read())
    assert written == "written"


def test_code_signing_configs_are_kept_and_associated(awslambda):
    name = create(awslambda, HELLO)
    assert awslambda.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == ""
    profile = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abc"
    created = awslambda.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [profile]}, Description="team"
    )["CodeSigningConfig"]
    arn_ = created["CodeSigningConfigArn"]
    assert arn_.startswith("arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-")
    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    awslambda.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn_)
    assert awslambda.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == arn_
    assert awslambda.list_functions_by_code_signing_config(CodeSigningConfigArn=arn_)["FunctionArns"] == [arn(name)]
    assert error_of(awslambda.delete_code_signing_config, CodeSigningConfigArn=arn_)[:2] == ("ResourceConflictException", 409)
    awslambda.delete_function_code_signing_config(FunctionName=name)
    updated = awslambda.update_code_signing_config(CodeSigningConfigArn=arn_, Description="changed")["CodeSigningConfig"]
    assert updated["Description"] == "changed"
    assert arn_ in [c["CodeSigningConfigArn"] for c in awslambda.list_code_signing_configs()["CodeSigningConfigs"]]
    awslambda.delete_code_signing_config(CodeSigningConfigArn=arn_)
    assert error_of(awslambda.get_code_signing_config, CodeSigningConfigArn=arn_)[:2] == ("ResourceNotFoundException", 404)
