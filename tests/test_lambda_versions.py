"""Lambda versions and aliases through boto3: published versions keep the
code and configuration they were published with, aliases name a version
and may send a share of invocations to a second one, with Lambda's errors
for what cannot be done."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import client_for
from lambda_support import arn, awslambda, create, error_of, invoke, python_function, wait_for  # noqa: F401


def answering(text: str) -> bytes:
    return python_function(f"def lambda_handler(e, c):\n    return {text!r}\n")


def test_a_published_version_keeps_its_code_while_latest_moves_on(awslambda):
    name = create(awslambda, answering("one"))
    first = awslambda.publish_version(FunctionName=name, Description="first")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (first["Version"], first["FunctionArn"], first["Description"]) == ("1", arn(name, "1"), "first")
    # Nothing changed: the same version comes back.
    again = awslambda.publish_version(FunctionName=name)
    assert (again["Version"], again["RevisionId"]) == ("1", first["RevisionId"])
    awslambda.update_function_code(FunctionName=name, ZipFile=answering("two"))
    second = awslambda.publish_version(FunctionName=name)
    assert second["Version"] == "2"
    response, body = invoke(awslambda, name, {}, Qualifier="1")
    assert (body, response["ExecutedVersion"]) == ("one", "1")
    response, body = invoke(awslambda, name, {})
    assert (body, response["ExecutedVersion"]) == ("two", "$LATEST")
    assert invoke(awslambda, arn(name, "2"), {})[1] == "two"
    got = awslambda.get_function(FunctionName=name, Qualifier="1")["Configuration"]
    assert (got["Version"], got["FunctionArn"], got["Description"]) == ("1", arn(name, "1"), "first")
    versions = awslambda.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[0]["FunctionArn"] == arn(name, "$LATEST")


def test_publishing_checks_the_code_hash_and_revision(awslambda):
    name = create(awslambda, answering("x"))
    code, status, message = error_of(awslambda.publish_version, FunctionName=name, CodeSha256="nope")
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("CodeSHA256 (nope) is different from current CodeSHA256 in $LATEST (")
    assert error_of(awslambda.publish_version, FunctionName=name, RevisionId="stale")[:2] == (
        "PreconditionFailedException", 412,
    )
    created = awslambda.create_function(
        FunctionName=f"fn-{uuid.uuid4().hex[:10]}", Runtime="python3.11", Role="arn:aws:iam::000000000000:role/r",
        Handler="lambda_function.lambda_handler", Code={"ZipFile": answering("p")}, Publish=True,
    )
    assert created["Version"] == "1"
    assert invoke(awslambda, created["FunctionName"], {}, Qualifier="1")[1] == "p"


def test_an_alias_names_a_version_and_shifts_a_share_of_traffic(awslambda):
    name = create(awslambda, answering("one"))
    awslambda.publish_version(FunctionName=name)
    awslambda.update_function_code(FunctionName=name, ZipFile=answering("two"))
    awslambda.publish_version(FunctionName=name)
    alias = awslambda.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert alias["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (alias["AliasArn"], alias["FunctionVersion"], alias["Description"]) == (arn(name, "live"), "1", "")
    assert "RoutingConfig" not in alias
    response, body = invoke(awslambda, f"{name}:live", {})
    assert (body, response["ExecutedVersion"]) == ("one", "1")
    through_alias = awslambda.get_function(FunctionName=name, Qualifier="live")["Configuration"]
    assert (through_alias["FunctionArn"], through_alias["Version"]) == (arn(name, "live"), "1")
    shifted = awslambda.update_alias(
        FunctionName=name, Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        RevisionId=alias["RevisionId"],
    )
    assert shifted["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.5}}
    seen = {invoke(awslambda, name, {}, Qualifier="live")[0]["ExecutedVersion"] for _ in range(40)}
    assert seen == {"1", "2"}
    assert error_of(awslambda.update_alias, FunctionName=name, Name="live", RevisionId=alias["RevisionId"])[:2] == (
        "PreconditionFailedException", 412,
    )
    awslambda.create_alias(FunctionName=name, Name="old", FunctionVersion="1")
    listed = awslambda.list_aliases(FunctionName=name)["Aliases"]
    assert [a["Name"] for a in listed] == ["live", "old"]
    assert [a["Name"] for a in awslambda.list_aliases(FunctionName=name, FunctionVersion="1")["Aliases"]] == ["old"]
    assert awslambda.get_alias(FunctionName=name, Name="old")["FunctionVersion"] == "1"
    assert awslambda.delete_alias(FunctionName=name, Name="old")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(awslambda.get_alias, FunctionName=name, Name="old") == (
        "ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(name, 'old')}",
    )


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"Name": "live", "FunctionVersion": "1"}, ("ResourceConflictException", 409, "Alias already exists: {arn}:live")),
        ({"Name": "next", "FunctionVersion": "9"}, ("ResourceNotFoundException", 404, "Function not found: {arn}:9")),
        ({"Name": "2024", "FunctionVersion": "1"}, ("ValidationException", 400, None)),
        (
            {"Name": "two", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
            ("InvalidParameterValueException", 400, "Invalid function version 1. Function version 1 is already included in routing configuration."),
        ),
        (
            {"Name": "latest", "FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
            ("InvalidParameterValueException", 400, "$LATEST is not supported for an alias pointing to more than 1 version"),
        ),
    ],
)
def test_bad_aliases_are_refused(awslambda, params, expected):
    name = create(awslambda, answering("a"))
    awslambda.publish_version(FunctionName=name)
    awslambda.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    code, status, message = error_of(awslambda.create_alias, FunctionName=name, **params)
    assert (code, status) == expected[:2]
    if expected[2]:
        assert message == expected[2].format(arn=arn(name))


def test_deleting_versions_follows_lambdas_rules(awslambda):
    name = create(awslambda, answering("a"))
    awslambda.publish_version(FunctionName=name)
    awslambda.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert error_of(awslambda.delete_function, FunctionName=name, Qualifier="1") == (
        "ResourceConflictException", 409, "Unable to delete version because the following aliases reference it: [live]",
    )
    assert error_of(awslambda.delete_function, FunctionName=name, Qualifier="$LATEST") == (
        "InvalidParameterValueException", 400, "$LATEST version cannot be deleted without deleting the function.",
    )
    awslambda.delete_alias(FunctionName=name, Name="live")
    assert awslambda.delete_function(FunctionName=name, Qualifier="1")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(awslambda.invoke, FunctionName=name, Qualifier="1") == (
        "ResourceNotFoundException", 404, f"Function not found: {arn(name, '1')}",
    )
    # A version that never existed: nothing to do.
    assert awslambda.delete_function(FunctionName=name, Qualifier="7")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert invoke(awslambda, name, {})[1] == "a"
    awslambda.delete_function(FunctionName=name)
    assert error_of(awslambda.list_versions_by_function, FunctionName=name)[0] == "ResourceNotFoundException"


def test_a_version_logs_under_its_number_and_has_its_own_invoke_config(awslambda, aws_client):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    print('v', c.function_version)\n"))
    awslambda.publish_version(FunctionName=name)
    invoke(awslambda, name, {}, Qualifier="1")
    logs = aws_client("logs")

    def streams():
        try:
            return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]]
        except ClientError:
            return []

    assert wait_for(lambda: streams(), 20)
    assert "/[1]" in streams()[0]

    def lines():
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        return [e["message"] for e in found if e["message"].startswith(("START", "v "))]

    events = wait_for(lambda: len(lines()) == 2 and lines(), 20)
    assert events[0].endswith("Version: 1\n") and events[1] == "v 1\n"
    config = awslambda.put_function_event_invoke_config(FunctionName=name, Qualifier="1", MaximumRetryAttempts=0)
    assert config["FunctionArn"] == arn(name, "1")
    with pytest.raises(ClientError):
        awslambda.get_function_event_invoke_config(FunctionName=name)


def test_versions_and_aliases_survive_kill_9(launch_nimbus, tmp_path):
    server = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    client = client_for(server.url, "lambda")
    name = create(client, answering("old"))
    client.publish_version(FunctionName=name)
    client.update_function_code(FunctionName=name, ZipFile=answering("new"))
    client.create_alias(FunctionName=name, Name="stable", FunctionVersion="1")
    server.process.kill()  # SIGKILL
    server.process.wait()
    restarted = client_for(launch_nimbus("--data-dir", str(tmp_path), ephemeral=False).url, "lambda")
    assert json.loads(restarted.invoke(FunctionName=name, Qualifier="stable")["Payload"].read()) == "old"
    assert json.loads(restarted.invoke(FunctionName=name)["Payload"].read()) == "new"


def test_provisioned_concurrency_keeps_a_version_warm(awslambda):
    name = create(awslambda, python_function("import os\ndef lambda_handler(e, c):\n    return os.getpid()\n"))
    awslambda.publish_version(FunctionName=name)
    awslambda.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as caught:
        awslambda.put_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=2)
    assert caught.value.response["Error"]["Message"] == "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    put = awslambda.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (put["Status"], put["RequestedProvisionedConcurrentExecutions"], put["AvailableProvisionedConcurrentExecutions"]) == ("IN_PROGRESS", 2, 0)
    ready = wait_for(lambda: awslambda.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")["Status"] == "READY", 20)
    assert ready
    got = awslambda.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert (got["AvailableProvisionedConcurrentExecutions"], got["AllocatedProvisionedConcurrentExecutions"]) == (2, 2)
    # The first invocation finds an environment already started: no init in its log.
    response, _ = invoke(awslambda, name, {}, Qualifier="live", LogType="Tail")
    report = base64.b64decode(response["LogResult"]).decode()
    assert "REPORT" in report and "Init Duration" not in report
    listed = awslambda.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"] for c in listed] == [arn(name, "live")]
    assert awslambda.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        awslambda.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ProvisionedConcurrencyConfigNotFoundException", 404)


def test_provisioned_environments_start_again_after_kill_9(launch_nimbus, tmp_path):
    from conftest import client_for

    server = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    client = client_for(server.url, "lambda")
    name = create(client, python_function("def lambda_handler(e, c):\n    return 'warm'\n"))
    client.publish_version(FunctionName=name)
    client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert wait_for(lambda: client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")["Status"] == "READY", 20)

    def started(logs) -> int:
        # Each environment writes INIT_START to a stream of its own.
        try:
            return len(logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="INIT_START")["events"])
        except ClientError:
            return 0

    assert wait_for(lambda: started(client_for(server.url, "logs")) == 1, 20)
    server.process.kill()  # SIGKILL
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    client = client_for(restarted.url, "lambda")
    logs = client_for(restarted.url, "logs")
    assert wait_for(lambda: started(logs) == 2, 20), "the provisioned environment did not start again"
    response, body = invoke(client, name, {}, Qualifier="1", LogType="Tail")
    assert body == "warm" and "Init Duration" not in base64.b64decode(response["LogResult"]).decode()
