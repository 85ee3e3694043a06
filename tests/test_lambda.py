"""Lambda through boto3: functions kept durably, run as local processes
that speak the Runtime API (Python and Node.js on the host's interpreter,
provided runtimes through their own bootstrap), answered as Lambda
answers: payloads, function errors, timeouts and log tails."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import client_for
from lambda_support import ROLE, awslambda, create, invoke, python_function, wait_for, zipped  # noqa: F401


ECHO = """import os
def lambda_handler(event, context):
    print("hello from", context.function_name)
    return {
        "event": event,
        "name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "region": os.environ["AWS_REGION"],
        "task_root": os.environ["LAMBDA_TASK_ROOT"] == os.getcwd(),
        "greeting": os.environ.get("GREETING"),
    }
"""


def test_a_created_function_is_pending_then_active_with_lambdas_defaults(awslambda):
    code = python_function(ECHO)
    name = f"fn-{uuid.uuid4().hex[:10]}"
    created = awslambda.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="lambda_function.lambda_handler",
        Code={"ZipFile": code}, Tags={"team": "a"},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert "LastUpdateStatus" not in created and "Environment" not in created
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert (created["Timeout"], created["MemorySize"], created["Version"]) == (3, 128, "$LATEST")
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["CodeSize"] == len(code)
    import hashlib

    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    got = awslambda.get_function(FunctionName=name)
    assert (got["Configuration"]["State"], got["Configuration"]["LastUpdateStatus"]) == ("Active", "Successful")
    assert got["Code"]["RepositoryType"] == "S3" and got["Tags"] == {"team": "a"}
    config = awslambda.get_function_configuration(FunctionName=got["Configuration"]["FunctionArn"])
    assert config["RevisionId"] == got["Configuration"]["RevisionId"]
    listed = [f["FunctionName"] for f in awslambda.get_paginator("list_functions").paginate().build_full_result()["Functions"]]
    assert name in listed


def download(url: str) -> tuple[int, str, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["Content-Type"], refused.read()


def test_get_functions_code_location_downloads_each_versions_package(awslambda):
    first = python_function("def lambda_handler(e, c):\n    return 1\n")
    name = create(awslambda, first, Publish=True)
    location = awslambda.get_function(FunctionName=name)["Code"]["Location"]
    assert download(location) == (200, "application/zip", first)
    second = python_function("def lambda_handler(e, c):\n    return 2\n")
    awslambda.update_function_code(FunctionName=name, ZipFile=second)
    wait_for(lambda: awslambda.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful")
    assert download(awslambda.get_function(FunctionName=name)["Code"]["Location"])[2] == second
    assert download(awslambda.get_function(FunctionName=name, Qualifier="1")["Code"]["Location"])[2] == first
    status, content_type, body = download(location)
    assert (status, content_type) == (403, "application/xml") and b"<Code>AccessDenied</Code>" in body


def test_delete_answers_204_and_the_function_is_gone(awslambda):
    name = create(awslambda, python_function(ECHO))
    deleted = awslambda.delete_function(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        awslambda.get_function(FunctionName=name)
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Message"] == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}"


@pytest.mark.parametrize(
    "change, code, status, message",
    [
        ({"Role": "not-a-role"}, "ValidationException", 400, "1 validation error detected: Value 'not-a-role' at 'role'"),
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException", 400, "Could not unzip uploaded file."),
        ({"Runtime": "python2.7"}, "InvalidParameterValueException", 400, "The runtime parameter of python2.7 is no longer supported"),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            400,
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            "in this request: AWS_REGION",
        ),
        ({"PackageType": "Image", "Code": {"ImageUri": "x"}}, "InvalidParameterValueException", 400, "nimbus runs functions as local processes"),
    ],
)
def test_bad_functions_are_refused_and_nothing_is_stored(awslambda, change, code, status, message):
    name = f"bad-{uuid.uuid4().hex[:10]}"
    arguments = dict(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="lambda_function.lambda_handler",
                     Code={"ZipFile": python_function(ECHO)})
    arguments.update(change)
    with pytest.raises(ClientError) as caught:
        awslambda.create_function(**arguments)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert error["Error"]["Message"].startswith(message)
    with pytest.raises(ClientError):
        awslambda.get_function(FunctionName=name)


def test_creating_twice_is_a_conflict(awslambda):
    name = create(awslambda, python_function(ECHO))
    with pytest.raises(ClientError) as caught:
        create(awslambda, python_function(ECHO), FunctionName=name)
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert caught.value.response["Error"]["Message"] == f"Function already exist: {name}"


def test_a_python_function_runs_with_its_event_context_and_environment(awslambda):
    name = create(awslambda, python_function(ECHO), Environment={"Variables": {"GREETING": "hi"}}, MemorySize=256)
    response, result = invoke(awslambda, name, {"a": 1}, LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert result["event"] == {"a": 1} and result["name"] == name and result["memory"] == "256"
    assert result["region"] == "us-east-1" and result["greeting"] == "hi" and result["task_root"]
    assert 0 < result["remaining"] <= 3000
    assert result["arn"].endswith(f":function:{name}")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = result["request_id"]
    assert log.startswith(f"START RequestId: {request_id} Version: $LATEST\n")
    assert f"hello from {name}\n" in log and f"END RequestId: {request_id}\n" in log
    assert f"REPORT RequestId: {request_id}\tDuration: " in log and "\tMemory Size: 256 MB\t" in log
    # Warm: the same environment answers again.
    _, again = invoke(awslambda, name, {"b": 2})
    assert again["event"] == {"b": 2} and again["request_id"] != request_id


def test_a_node_function_runs_async_and_callback_handlers(awslambda):
    code = zipped({
        "index.js": "exports.handler = async (event, context) => ({ got: event, name: context.functionName, "
                    "memory: context.memoryLimitInMB, left: context.getRemainingTimeInMillis() > 0 });\n",
        "cb.js": "exports.handler = (event, context, callback) => callback(null, { doubled: event.n * 2 });\n",
    })
    name = create(awslambda, code, runtime="nodejs20.x", handler="index.handler")
    _, result = invoke(awslambda, name, {"x": 1})
    assert result == {"got": {"x": 1}, "name": name, "memory": "128", "left": True}
    callback = create(awslambda, code, runtime="nodejs20.x", handler="cb.handler")
    assert invoke(awslambda, callback, {"n": 21})[1] == {"doubled": 42}


def test_a_provided_runtime_runs_its_own_bootstrap(awslambda):
    bootstrap = """#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -LD "$HEADERS" "$API/next")"
  ID="$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
  curl -sS -X POST "$API/$ID/response" -d "{\\"echo\\": $EVENT, \\"handler\\": \\"$_HANDLER\\"}" > /dev/null
done
"""
    code = zipped({"bootstrap": bootstrap}, modes={"bootstrap": 0o755})
    name = create(awslambda, code, runtime="provided.al2023", handler="function.handler")
    assert invoke(awslambda, name, {"shell": True})[1] == {"echo": {"shell": True}, "handler": "function.handler"}


def test_a_raised_exception_is_an_unhandled_function_error(awslambda):
    name = create(awslambda, python_function("def lambda_handler(event, context):\n    raise ValueError('boom')\n"))
    response, error = invoke(awslambda, name, {})
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (error["errorMessage"], error["errorType"]) == ("boom", "ValueError")
    assert error["stackTrace"][0].endswith("line 2, in lambda_handler\n    raise ValueError('boom')\n")


@pytest.mark.parametrize(
    "files, handler, error_type, message",
    [
        ({"other.py": "x = 1\n"}, "lambda_function.lambda_handler", "Runtime.ImportModuleError",
         "Unable to import module 'lambda_function': No module named 'lambda_function'"),
        ({"lambda_function.py": "x = 1\n"}, "lambda_function.lambda_handler", "Runtime.HandlerNotFound",
         "Handler 'lambda_handler' missing on module 'lambda_function'"),
        ({"lambda_function.py": "x = 1\n"}, "nodot", "Runtime.MalformedHandlerName",
         "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"),
    ],
)
def test_a_handler_that_cannot_load_reports_an_init_error(awslambda, files, handler, error_type, message):
    name = create(awslambda, zipped(files), handler=handler)
    response, error = invoke(awslambda, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert error == {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}


def test_a_function_past_its_timeout_is_ended_and_the_next_invoke_starts_afresh(awslambda):
    code = python_function(
        "import time\ndef lambda_handler(event, context):\n    if event.get('sleep'):\n        time.sleep(30)\n    return 'ok'\n"
    )
    name = create(awslambda, code, Timeout=1)
    response, error = invoke(awslambda, name, {"sleep": True})
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert invoke(awslambda, name, {})[1] == "ok"


def test_invoke_refuses_bad_payloads_and_dry_runs_nothing(awslambda):
    name = create(awslambda, python_function(ECHO))
    with pytest.raises(ClientError) as caught:
        awslambda.invoke(FunctionName=name, Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert caught.value.response["Error"]["Message"].startswith("Could not parse request body into json")
    dry = awslambda.invoke(FunctionName=name, InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    with pytest.raises(ClientError) as missing:
        awslambda.invoke(FunctionName="no-such-function", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_updates_make_a_new_revision_that_the_next_invoke_runs(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return 'v1'\n"))
    assert invoke(awslambda, name, {})[1] == "v1"
    updated = awslambda.update_function_code(
        FunctionName=name, ZipFile=python_function("import os\ndef lambda_handler(e, c):\n    return 'v2 ' + os.environ.get('MODE', '-')\n")
    )
    assert (updated["LastUpdateStatus"], updated["LastUpdateStatusReasonCode"]) == ("InProgress", "Creating")
    assert invoke(awslambda, name, {})[1] == "v2 -"
    configured = awslambda.update_function_configuration(FunctionName=name, Environment={"Variables": {"MODE": "on"}}, Timeout=7)
    assert configured["Timeout"] == 7 and configured["Environment"] == {"Variables": {"MODE": "on"}}
    assert invoke(awslambda, name, {})[1] == "v2 on"
    with pytest.raises(ClientError) as stale:
        awslambda.update_function_configuration(FunctionName=name, Timeout=8, RevisionId=updated["RevisionId"])
    assert stale.value.response["Error"]["Code"] == "PreconditionFailedException"
    final = awslambda.get_function_configuration(FunctionName=name)
    assert (final["Timeout"], final["LastUpdateStatus"]) == (7, "Successful")


def test_a_function_calls_nimbus_through_the_sdk_with_no_endpoint_configured(awslambda, aws_client):
    table = f"t-{uuid.uuid4().hex[:8]}"
    aws_client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    code = python_function(
        "import boto3\ndef lambda_handler(event, context):\n"
        "    boto3.client('dynamodb').put_item(TableName=event['table'], Item={'pk': {'S': 'from-lambda'}})\n"
        "    return 'stored'\n"
    )
    # The host interpreter finds boto3 where the test's own is installed.
    site = next(p for p in sys.path if p.endswith("site-packages"))
    name = create(awslambda, code, Environment={"Variables": {"PYTHONPATH": site}}, Timeout=30)
    response, result = invoke(awslambda, name, {"table": table})
    assert result == "stored", result
    item = aws_client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "from-lambda"}})
    assert item["Item"]["pk"]["S"] == "from-lambda"


def test_functions_survive_kill_9(launch_nimbus, tmp_path):
    server = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    client = client_for(server.url, "lambda")
    name = create(client, python_function("def lambda_handler(e, c):\n    return {'kept': e}\n"))
    server.process.kill()  # SIGKILL
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    client = client_for(restarted.url, "lambda")
    assert client.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    assert invoke(client, name, {"x": 1})[1] == {"kept": {"x": 1}}


def test_the_cli_creates_lists_and_invokes(aws, tmp_path):
    package = tmp_path / "function.zip"
    package.write_bytes(python_function("def lambda_handler(event, context):\n    return {'cli': event['n'] + 1}\n"))
    name = f"cli-{uuid.uuid4().hex[:8]}"
    created = aws("lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--role", ROLE,
                  "--handler", "lambda_function.lambda_handler", "--zip-file", f"fileb://{package}")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["FunctionName"] == name
    listed = aws("lambda", "list-functions")
    assert name in [f["FunctionName"] for f in json.loads(listed.stdout)["Functions"]]
    out = tmp_path / "out.json"
    invoked = aws("lambda", "invoke", "--function-name", name,
                  "--payload", '{"n": 41}', str(out))
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text()) == {"cli": 42}


def test_under_enforcement_invoking_needs_lambda_invoke_function_on_the_function(launch_nimbus):
    from test_iam_enforcement import Cloud, allow, iam_denied, refusal, user_arn

    cloud = Cloud(launch_nimbus("--enforce-iam").url)
    root = cloud.client("lambda")
    name = create(root, python_function("def lambda_handler(e, c):\n    return 'ran'\n"))
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    reader = cloud.user("reader", allow("lambda:GetFunction", arn))
    invoker = cloud.user("invoker", allow("lambda:InvokeFunction", arn))
    assert refusal(cloud.client("lambda", reader).invoke, FunctionName=name, Payload=b"{}") == (
        "AccessDeniedException",
        403,
        iam_denied(user_arn("reader"), "lambda:InvokeFunction", arn, "identity-based policy"),
    )
    assert cloud.client("lambda", reader).get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    assert json.loads(cloud.client("lambda", invoker).invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "ran"


RECORDER = """import os
def lambda_handler(event, context):
    import time
    time.sleep(event.get("sleep", 0))
    with open(event["file"], "a") as out:
        out.write(os.environ["AWS_ENDPOINT_URL"] + " " + context.aws_request_id + "\\n")
"""


def test_an_event_invocation_is_accepted_then_run_in_the_background(awslambda, tmp_path):
    name = create(awslambda, python_function(RECORDER))
    marker = tmp_path / "ran.txt"
    response = awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"file": str(marker)}))
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    assert "FunctionError" not in response
    assert wait_for(lambda: marker.exists() and marker.read_text().strip())
    with pytest.raises(ClientError) as caught:
        awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=b'"' + b"x" * 1_048_600 + b'"')
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("RequestEntityTooLargeException", 413)
    assert "for the Event invocation type (limit 1048576 bytes)" in error["Error"]["Message"]


def test_an_accepted_event_survives_kill_9_and_runs_after_the_restart(launch_nimbus, tmp_path):
    data = tmp_path / "data"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    client = client_for(server.url, "lambda")
    name = create(client, python_function(RECORDER))
    marker = tmp_path / "ran.txt"
    accepted = client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"file": str(marker), "sleep": 2}))
    assert accepted["StatusCode"] == 202
    server.process.kill()  # SIGKILL, while the first attempt sleeps
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    ran_after_restart = lambda: marker.exists() and restarted.url in marker.read_text()  # noqa: E731
    assert wait_for(ran_after_restart, 30)


def test_an_sns_message_reaches_a_subscribed_function_as_lambda_receives_it(awslambda, aws_client, tmp_path):
    code = python_function(
        "import json\ndef lambda_handler(event, context):\n"
        "    with open(event['Records'][0]['Sns']['MessageAttributes']['file']['Value'], 'w') as out:\n"
        "        json.dump(event, out)\n"
    )
    name = create(awslambda, code)
    function_arn = awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    sns = aws_client("sns")
    topic = sns.create_topic(Name=f"to-lambda-{uuid.uuid4().hex[:8]}")["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn)["SubscriptionArn"]
    marker = tmp_path / "event.json"
    message_id = sns.publish(
        TopicArn=topic, Message="hello function", Subject="greeting",
        MessageAttributes={"file": {"DataType": "String", "StringValue": str(marker)}},
    )["MessageId"]
    assert wait_for(lambda: marker.exists() and marker.read_text())
    record = json.loads(marker.read_text())["Records"][0]
    assert (record["EventSource"], record["EventVersion"]) == ("aws:sns", "1.0")
    assert record["EventSubscriptionArn"] == subscription
    notification = record["Sns"]
    assert (notification["Type"], notification["MessageId"], notification["TopicArn"]) == ("Notification", message_id, topic)
    assert (notification["Message"], notification["Subject"]) == ("hello function", "greeting")
    assert notification["MessageAttributes"]["file"] == {"Type": "String", "Value": str(marker)}
    assert "SigningCertUrl" in notification and "UnsubscribeUrl" in notification


def test_an_upload_triggers_a_function_that_writes_a_derived_object(awslambda, aws_client):
    s3 = aws_client("s3")
    source, target = f"src-{uuid.uuid4().hex[:8]}", f"dst-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    code = python_function(
        "import boto3, os, urllib.parse\ndef lambda_handler(event, context):\n"
        "    record = event['Records'][0]\n"
        "    bucket = record['s3']['bucket']['name']\n"
        "    key = urllib.parse.unquote_plus(record['s3']['object']['key'])\n"
        "    s3 = boto3.client('s3')\n"
        "    body = s3.get_object(Bucket=bucket, Key=key)['Body'].read()\n"
        "    s3.put_object(Bucket=os.environ['TARGET'], Key='thumb-' + key, Body=body[:4])\n"
        "    return record['eventName']\n"
    )
    site = next(p for p in sys.path if p.endswith("site-packages"))
    name = create(awslambda, code, Timeout=30, Environment={"Variables": {"TARGET": target, "PYTHONPATH": site}})
    function_arn = awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    s3.put_bucket_notification_configuration(
        Bucket=source,
        NotificationConfiguration={"LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}},
        }]},
    )
    s3.put_object(Bucket=source, Key="notes.txt", Body=b"not an image")
    s3.put_object(Bucket=source, Key="cat photo.jpg", Body=b"JPEGDATA")

    def derived():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=target).get("Contents", [])]
        return keys if keys else None

    assert wait_for(derived, 30) == ["thumb-cat photo.jpg"]
    assert s3.get_object(Bucket=target, Key="thumb-cat photo.jpg")["Body"].read() == b"JPEG"
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_notification_configuration(
            Bucket=source,
            NotificationConfiguration={"LambdaFunctionConfigurations": [{
                "LambdaFunctionArn": function_arn + "-missing", "Events": ["s3:ObjectCreated:*"],
            }]},
        )
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"


def test_an_sqs_mapping_feeds_the_function_and_a_poison_message_reaches_the_dlq(awslambda, aws_client, tmp_path):
    sqs = aws_client("sqs")
    dlq = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName=f"work-{uuid.uuid4().hex[:8]}",
        Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    marker = tmp_path / "bodies.txt"
    code = python_function(
        "def lambda_handler(event, context):\n"
        "    for record in event['Records']:\n"
        "        assert record['eventSource'] == 'aws:sqs' and record['eventSourceARN'] == '" + queue_arn + "'\n"
        "        if record['body'] == 'poison':\n"
        "            raise ValueError('cannot take this one')\n"
        "        with open('" + str(marker) + "', 'a') as out:\n"
        "            out.write(record['body'] + ' ' + record['attributes']['ApproximateReceiveCount'] + '\\n')\n"
    )
    name = create(awslambda, code)
    mapping = awslambda.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name, BatchSize=1)
    assert mapping["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (mapping["State"], mapping["BatchSize"], mapping["EventSourceArn"]) == ("Creating", 1, queue_arn)
    assert awslambda.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    assert [m["UUID"] for m in awslambda.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]] == [mapping["UUID"]]
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    sqs.send_message(QueueUrl=queue, MessageBody="poison")
    assert wait_for(lambda: marker.exists() and marker.read_text() == "hello 1\n")

    def dead_lettered():
        got = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
        return got[0]["Body"] if got else None

    assert wait_for(dead_lettered, 30) == "poison"
    assert marker.read_text() == "hello 1\n"
    deleted = awslambda.delete_event_source_mapping(UUID=mapping["UUID"])
    assert deleted["State"] == "Deleting"
    with pytest.raises(ClientError) as caught:
        awslambda.get_event_source_mapping(UUID=mapping["UUID"])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_with_report_batch_item_failures_only_the_named_messages_stay(awslambda, aws_client, tmp_path):
    sqs = aws_client("sqs")
    queue = sqs.create_queue(QueueName=f"partial-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    marker = tmp_path / "seen.txt"
    code = python_function(
        "def lambda_handler(event, context):\n"
        "    failures = []\n"
        "    for record in event['Records']:\n"
        "        with open('" + str(marker) + "', 'a') as out:\n"
        "            out.write(record['body'] + '\\n')\n"
        "        if record['body'].startswith('retry'):\n"
        "            failures.append({'itemIdentifier': record['messageId']})\n"
        "    return {'batchItemFailures': failures}\n"
    )
    name = create(awslambda, code)
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "1", "MessageBody": "done"}, {"Id": "2", "MessageBody": "retry-me"},
    ])
    mapping = awslambda.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    # The failed one comes back (again and again); the other is seen once.
    assert wait_for(lambda: marker.exists() and marker.read_text().count("retry-me") >= 2, 30)
    assert marker.read_text().count("done") == 1
    awslambda.delete_event_source_mapping(UUID=mapping["UUID"])


def test_tags_are_added_listed_and_removed_on_the_function_arn(awslambda):
    name = create(awslambda, python_function(ECHO), Tags={"team": "a"})
    arn = awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert awslambda.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    tagged = awslambda.tag_resource(Resource=arn, Tags={"env": "dev", "team": "b"})
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert awslambda.list_tags(Resource=arn)["Tags"] == {"team": "b", "env": "dev"}
    awslambda.untag_resource(Resource=arn, TagKeys=["team"])
    assert awslambda.list_tags(Resource=arn)["Tags"] == {"env": "dev"}
    assert awslambda.get_function(FunctionName=name)["Tags"] == {"env": "dev"}
    with pytest.raises(ClientError) as reserved:
        awslambda.tag_resource(Resource=arn, Tags={"aws:owner": "x"})
    assert reserved.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as too_many:
        awslambda.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert too_many.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert awslambda.list_tags(Resource=arn)["Tags"] == {"env": "dev"}
    with pytest.raises(ClientError) as missing:
        awslambda.list_tags(Resource=arn + "-gone")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_mapping_survives_kill_9_and_polls_again_after_the_restart(launch_nimbus, tmp_path):
    data = tmp_path / "data"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    lam, sqs = client_for(server.url, "lambda"), client_for(server.url, "sqs")
    queue = sqs.create_queue(QueueName="kept-mapping")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    marker = tmp_path / "seen.txt"
    code = python_function(
        "def lambda_handler(event, context):\n"
        "    with open('" + str(marker) + "', 'a') as out:\n"
        "        out.writelines(r['body'] + '\\n' for r in event['Records'])\n"
    )
    name = create(lam, code)
    uuid_ = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name)["UUID"]
    server.process.kill()  # SIGKILL
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    lam, sqs = client_for(restarted.url, "lambda"), client_for(restarted.url, "sqs")
    assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Enabled"
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="kept-mapping")["QueueUrl"], MessageBody="after restart")
    assert wait_for(lambda: marker.exists() and marker.read_text() == "after restart\n", 30)


def test_a_functions_output_lands_in_its_log_group_with_lambdas_lines(awslambda, aws_client, aws):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    print('hello', e['n'])\n    return 1\n"))
    first, _ = invoke(awslambda, name, {"n": 1})
    invoke(awslambda, name, {"n": 2})
    logs = aws_client("logs")
    group = f"/aws/lambda/{name}"

    def messages():
        try:
            return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
        except ClientError:
            return []

    assert wait_for(lambda: sum(m.startswith("REPORT") for m in messages()) == 2, 20)
    lines = messages()
    init = lines.pop(0)
    assert init.startswith("INIT_START Runtime Version: python:3.11.v1\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:")
    request_id = first["ResponseMetadata"]["RequestId"]
    assert lines[:4] == [
        f"START RequestId: {request_id} Version: $LATEST\n",
        "hello 1\n",
        f"END RequestId: {request_id}\n",
        lines[3],
    ]
    assert lines[3].startswith(f"REPORT RequestId: {request_id}\tDuration: ") and lines[3].endswith("\t\n")
    assert "Memory Size: 128 MB" in lines[3] and "hello 2\n" in lines
    # The environment's first REPORT says how long its init took; the next does not.
    reports = [line for line in lines if line.startswith("REPORT")]
    assert re.search(r"\tInit Duration: \d+\.\d\d ms\t\n$", reports[0]) and "Init Duration" not in reports[1]
    # One warm environment wrote both invocations: one stream, named as Lambda names it.
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", streams[0]["logStreamName"])
    found = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", '"hello 2"').json()
    assert [e["message"] for e in found["events"]] == ["hello 2\n"]


def test_a_function_over_its_memory_size_is_ended_with_lambdas_error(awslambda):
    code = python_function(
        "import time\ndef lambda_handler(event, context):\n"
        "    if event.get('grow'):\n        hog = b'x' * (200 * 1024 * 1024)\n        time.sleep(0.5)\n"
        "    return 'ok'\n"
    )
    name = create(awslambda, code, MemorySize=128, Timeout=10)
    response, error = invoke(awslambda, name, {"grow": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Runtime.OutOfMemory"
    assert error["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    assert "Status: error\tError Type: Runtime.OutOfMemory" in base64.b64decode(response["LogResult"]).decode()
    response, result = invoke(awslambda, name, {}, LogType="Tail")
    assert result == "ok"
    report = next(line for line in base64.b64decode(response["LogResult"]).decode().splitlines() if line.startswith("REPORT"))
    used = int(re.search(r"Max Memory Used: (\d+) MB", report).group(1))
    assert 5 < used < 128, report
