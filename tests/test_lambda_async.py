"""Asynchronous invocations through boto3: event invoke configuration
(retries, maximum age, destinations), the invocation records Lambda sends
to OnSuccess and OnFailure destinations, and the failed events it sends to
a function's dead-letter queue."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from lambda_support import awslambda, create, python_function, wait_for  # noqa: F401

FAILING = """def lambda_handler(event, context):
    raise ValueError("cannot process order %s" % event["order"])
"""

DOUBLING = """def lambda_handler(event, context):
    return {"doubled": event["n"] * 2}
"""


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def new_queue(sqs) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive_one(sqs, url: str) -> dict:
    def poll():
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"])
        return got.get("Messages", [None])[0]

    message = wait_for(poll, 30)
    assert message, f"nothing arrived in {url}"
    return message


def test_event_invoke_config_is_put_updated_listed_and_deleted(awslambda, sqs):
    name = create(awslambda, python_function(DOUBLING))
    _, queue_arn = new_queue(sqs)
    put = awslambda.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    assert put["FunctionArn"] == f"{function_arn(name)}:$LATEST"
    assert put["MaximumRetryAttempts"] == 1 and "MaximumEventAgeInSeconds" not in put
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": queue_arn}}
    assert put["LastModified"].year >= 2024
    updated = awslambda.update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=120)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 120)
    assert updated["DestinationConfig"]["OnFailure"] == {"Destination": queue_arn}
    got = awslambda.get_function_event_invoke_config(FunctionName=function_arn(name))
    assert got["MaximumEventAgeInSeconds"] == 120
    # Put replaces what Update merges.
    replaced = awslambda.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=300)
    assert "MaximumRetryAttempts" not in replaced and replaced["DestinationConfig"]["OnFailure"] == {}
    listed = awslambda.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert [c["MaximumEventAgeInSeconds"] for c in listed] == [300]
    deleted = awslambda.delete_function_event_invoke_config(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        awslambda.get_function_event_invoke_config(FunctionName=name)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)
    assert error["Error"]["Message"] == f"The function {function_arn(name)}:$LATEST doesn't have an EventInvokeConfig"
    assert awslambda.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"] == []


@pytest.mark.parametrize(
    "config, code",
    [
        ({"MaximumRetryAttempts": 3}, "ValidationException"),
        ({"MaximumEventAgeInSeconds": 30_000}, "ValidationException"),
        ({"DestinationConfig": {"OnFailure": {"Destination": "not-an-arn"}}}, "ValidationException"),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:dynamodb:us-east-1:000000000000:table/t"}}},
            "InvalidParameterValueException",
        ),
        (
            {"DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:events:us-east-1:000000000000:event-bus/default"}}},
            "InvalidParameterValueException",
        ),
    ],
)
def test_bad_event_invoke_configs_are_refused_and_nothing_is_stored(awslambda, config, code):
    name = create(awslambda, python_function(DOUBLING))
    with pytest.raises(ClientError) as caught:
        awslambda.put_function_event_invoke_config(FunctionName=name, **config)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)
    with pytest.raises(ClientError) as caught:
        awslambda.get_function_event_invoke_config(FunctionName=name)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_config_for_a_missing_function_or_destination_is_refused(awslambda):
    with pytest.raises(ClientError) as caught:
        awslambda.put_function_event_invoke_config(FunctionName="no-such-function", MaximumRetryAttempts=0)
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ResourceNotFoundException", "The function doesn't exist.")
    with pytest.raises(ClientError) as caught:
        awslambda.get_function_event_invoke_config(FunctionName="no-such-function")
    assert caught.value.response["Error"]["Message"] == (
        f"The function {function_arn('no-such-function')}:$LATEST doesn't have an EventInvokeConfig"
    )
    name = create(awslambda, python_function(DOUBLING))
    missing = function_arn("no-such-function")
    refusals = [
        ({}, "You must specify at least one of error handling or destination setting."),
        ({"DestinationConfig": {"OnFailure": {"Destination": missing}}}, f"The destination ARN {missing} is invalid."),
        (
            {"DestinationConfig": {"OnSuccess": {"Destination": function_arn(name)}}},
            "You can't specify the function as a destination for itself.",
        ),
        (
            {"DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:iam:us-east-1:000000000000:function:x"}}},
            "The provided destination config DestinationConfig(onSuccess=OnSuccess("
            "destination=arn:aws:iam:us-east-1:000000000000:function:x), onFailure=null) is invalid.",
        ),
    ]
    for config, message in refusals:
        with pytest.raises(ClientError) as caught:
            awslambda.put_function_event_invoke_config(FunctionName=name, **config)
        error = caught.value.response
        assert (error["Error"]["Code"], error["Error"]["Message"]) == ("InvalidParameterValueException", message)


def test_a_failed_event_reaches_the_on_failure_queue_and_the_dead_letter_queue(awslambda, sqs):
    failures_url, failures_arn = new_queue(sqs)
    dlq_url, dlq_arn = new_queue(sqs)
    name = create(awslambda, python_function(FAILING), DeadLetterConfig={"TargetArn": dlq_arn})
    awslambda.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": failures_arn}}
    )
    accepted = awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"order": 42}))
    request_id = accepted["ResponseMetadata"]["RequestId"]

    record = json.loads(receive_one(sqs, failures_url)["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{function_arn(name)}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"order": 42}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "cannot process order 42"

    dead = receive_one(sqs, dlq_url)
    assert json.loads(dead["Body"]) == {"order": 42}
    attributes = {k: (v["DataType"], v["StringValue"]) for k, v in dead["MessageAttributes"].items()}
    assert attributes["RequestID"] == ("String", request_id)
    assert attributes["ErrorCode"] == ("Number", "200")
    assert attributes["ErrorMessage"] == ("String", "cannot process order 42")


def test_a_successful_event_reaches_the_on_success_topic_and_function(awslambda, sqs, aws_client, tmp_path):
    sns = aws_client("sns")
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:10]}")["TopicArn"]
    subscriber_url, subscriber_arn = new_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=subscriber_arn, Attributes={"RawMessageDelivery": "true"})
    name = create(awslambda, python_function(DOUBLING))
    awslambda.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": topic}})
    awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 21}))
    record = json.loads(receive_one(sqs, subscriber_url)["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}

    # A function as the destination receives the record as its event.
    marker = tmp_path / "record.json"
    keeper = create(
        awslambda,
        python_function(
            "import json\ndef lambda_handler(event, context):\n"
            f"    open({str(marker)!r}, 'w').write(json.dumps(event))\n"
        ),
    )
    awslambda.update_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": function_arn(keeper)}}
    )
    awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 5}))
    assert wait_for(lambda: marker.exists() and marker.read_text(), 30)
    assert json.loads(marker.read_text())["responsePayload"] == {"doubled": 10}


def stream_table(aws_client) -> tuple[str, str]:
    dynamodb = aws_client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:10]}"
    created = dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return table, created["TableDescription"]["LatestStreamArn"]


RECORDING = """import json
def lambda_handler(event, context):
    with open({path!r}, "a") as out:
        for record in event["Records"]:
            out.write(json.dumps(record) + "\\n")
"""


def test_a_table_stream_feeds_the_function_in_order(awslambda, aws_client, tmp_path):
    table, stream = stream_table(aws_client)
    seen = tmp_path / "records.jsonl"
    name = create(awslambda, python_function(RECORDING.format(path=str(seen))))
    mapping = awslambda.create_event_source_mapping(
        FunctionName=name, EventSourceArn=stream, StartingPosition="TRIM_HORIZON", BatchSize=10
    )
    assert (mapping["BatchSize"], mapping["StartingPosition"], mapping["MaximumRetryAttempts"]) == (10, "TRIM_HORIZON", -1)
    assert mapping["BisectBatchOnFunctionError"] is False and mapping["DestinationConfig"] == {"OnFailure": {}}
    dynamodb = aws_client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    dynamodb.update_item(TableName=table, Key={"id": {"S": "a"}}, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": "2"}})
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "a"}})

    def records():
        return [json.loads(line) for line in seen.read_text().splitlines()] if seen.exists() else []

    assert wait_for(lambda: len(records()) == 3, 30)
    got = records()
    assert [r["eventName"] for r in got] == ["INSERT", "MODIFY", "REMOVE"]
    first = got[0]
    assert (first["eventSource"], first["eventSourceARN"], first["awsRegion"]) == ("aws:dynamodb", stream, "us-east-1")
    assert first["dynamodb"]["Keys"] == {"id": {"S": "a"}} and first["dynamodb"]["NewImage"]["n"] == {"N": "1"}
    assert got[1]["dynamodb"]["OldImage"]["n"] == {"N": "1"} and got[1]["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], (int, float))


def test_a_failing_stream_batch_goes_to_on_failure_after_its_retries(awslambda, aws_client, sqs):
    table, stream = stream_table(aws_client)
    failures_url, failures_arn = new_queue(sqs)
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    raise ValueError('no')\n"))
    awslambda.create_event_source_mapping(
        FunctionName=name, EventSourceArn=stream, StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    aws_client("dynamodb").put_item(TableName=table, Item={"id": {"S": "poison"}})
    record = json.loads(receive_one(sqs, failures_url)["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    info = record["DDBStreamBatchInfo"]
    assert (info["batchSize"], info["streamArn"]) == (1, stream)
    assert info["startSequenceNumber"] == info["endSequenceNumber"]


def test_a_stream_mapping_needs_a_starting_position(awslambda, aws_client):
    _, stream = stream_table(aws_client)
    name = create(awslambda, python_function(DOUBLING))
    with pytest.raises(ClientError) as caught:
        awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=stream)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_a_stream_mapping_goes_on_from_where_it_was_after_kill_9(launch_nimbus, tmp_path):
    from conftest import client_for

    data = tmp_path / "data"
    seen = tmp_path / "records.jsonl"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    awslambda, dynamodb = client_for(server.url, "lambda"), client_for(server.url, "dynamodb")
    table, stream = stream_table(lambda service: client_for(server.url, service))
    name = create(awslambda, python_function(RECORDING.format(path=str(seen))))
    awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=stream, StartingPosition="TRIM_HORIZON")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "before"}})

    def keys():
        lines = seen.read_text().splitlines() if seen.exists() else []
        return [json.loads(line)["dynamodb"]["Keys"]["id"]["S"] for line in lines]

    assert wait_for(lambda: keys() == ["before"], 30)
    import time

    time.sleep(0.3)  # the checkpoint is written just after the invocation
    server.process.kill()  # SIGKILL
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    client_for(restarted.url, "dynamodb").put_item(TableName=table, Item={"id": {"S": "after"}})
    assert wait_for(lambda: keys() == ["before", "after"], 30), keys()


BATCH_COUNTER = """import json
def lambda_handler(event, context):
    with open({path!r}, "a") as out:
        out.write(json.dumps(sorted(r["body"] for r in event["Records"])) + "\\n")
"""


def test_a_mapping_is_disabled_updated_and_gathers_batches_in_its_window(awslambda, sqs, tmp_path):
    url, arn = new_queue(sqs)
    seen = tmp_path / "batches.jsonl"
    name = create(awslambda, python_function(BATCH_COUNTER.format(path=str(seen))))
    with pytest.raises(ClientError) as caught:
        awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=50)
    assert caught.value.response["Error"]["Message"] == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )
    mapping = awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=1, Enabled=False)
    assert mapping["State"] == "Disabled"
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    updated = awslambda.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True, BatchSize=3, MaximumBatchingWindowInSeconds=2)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (updated["State"], updated["BatchSize"], updated["MaximumBatchingWindowInSeconds"]) == ("Updating", 3, 2)
    assert awslambda.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"

    def batches():
        return [json.loads(line) for line in seen.read_text().splitlines()] if seen.exists() else []

    assert wait_for(lambda: sum(len(b) for b in batches()) == 3, 30)
    assert batches() == [["a", "b", "c"]], "the window gathered the three messages into one batch"
    awslambda.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    assert awslambda.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="d")
    import time

    time.sleep(1.5)
    assert sum(len(b) for b in batches()) == 3, "a disabled mapping takes nothing"
    with pytest.raises(ClientError) as caught:
        awslambda.update_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000", Enabled=True)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_fifo_queue_mapping_keeps_each_groups_order(awslambda, sqs, tmp_path):
    name_q = f"q-{uuid.uuid4().hex[:8]}.fifo"
    url = sqs.create_queue(QueueName=name_q, Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    seen = tmp_path / "order.txt"
    code = python_function(
        "import time\ndef lambda_handler(event, context):\n"
        "    for record in event['Records']:\n"
        "        time.sleep(0.01)\n"
        f"        open({str(seen)!r}, 'a').write(record['attributes']['MessageGroupId'] + ' ' + record['body'] + '\\n')\n"
    )
    name = create(awslambda, code)
    for i in range(8):
        for group in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=f"{group}{i}", MessageGroupId=group)
    awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=2)

    def lines():
        return seen.read_text().splitlines() if seen.exists() else []

    assert wait_for(lambda: len(lines()) == 24, 60), lines()
    for group in ("a", "b", "c"):
        bodies = [line.split()[1] for line in lines() if line.startswith(group + " ")]
        assert bodies == [f"{group}{i}" for i in range(8)], bodies


SLOW_RECORDER = """import json, os, time
def lambda_handler(event, context):
    began = time.time()
    time.sleep(0.8)
    with open({path!r}, "a") as out:
        out.write(json.dumps([os.getpid(), began, time.time()]) + "\\n")
"""


def test_an_sqs_mapping_adds_pollers_while_messages_wait(awslambda, sqs, tmp_path):
    url, arn = new_queue(sqs)
    seen = tmp_path / "runs.jsonl"
    name = create(awslambda, python_function(SLOW_RECORDER.format(path=str(seen))))
    for start in range(0, 60, 10):
        entries = [{"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=1)

    def runs():
        return [json.loads(line) for line in seen.read_text().splitlines()] if seen.exists() else []

    assert wait_for(lambda: len(runs()) == 60, 60)
    # Five pollers would run at most five at once; with messages waiting
    # Lambda adds more, each in an environment of its own.
    most_at_once = max(sum(1 for _, b, e in runs() if b <= at < e) for _, at, _ in runs())
    assert most_at_once > 5 and len({pid for pid, _, _ in runs()}) > 5


def test_a_throttled_event_waits_and_runs_once_the_function_has_concurrency(awslambda, sqs, tmp_path):
    marker = tmp_path / "ran.txt"
    name = create(awslambda, python_function(f"def lambda_handler(e, c):\n    open({str(marker)!r}, 'a').write('ran\\n')\n"))
    failures_url, failures_arn = new_queue(sqs)
    awslambda.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": failures_arn}}
    )
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    import time

    time.sleep(1.5)
    assert not marker.exists(), "no concurrency: the event waits"
    assert "Messages" not in sqs.receive_message(QueueUrl=failures_url, WaitTimeSeconds=0)
    awslambda.delete_function_concurrency(FunctionName=name)
    assert wait_for(lambda: marker.exists(), 15)
    assert marker.read_text() == "ran\n", "throttles are not attempts: it ran once, not as a failure"


def test_an_event_keeps_its_attempt_count_across_kill_9(launch_nimbus, tmp_path):
    from conftest import client_for

    data = tmp_path / "data"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    awslambda, queues = client_for(server.url, "lambda"), client_for(server.url, "sqs")
    attempts = tmp_path / "attempts.txt"
    name = create(awslambda, python_function(
        f"def lambda_handler(e, c):\n    open({str(attempts)!r}, 'a').write('x')\n    raise ValueError('no')\n"
    ))
    failures_url, failures_arn = new_queue(queues)
    awslambda.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": failures_arn}}
    )
    awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert wait_for(lambda: attempts.exists() and attempts.read_text() == "x", 30)
    import time

    time.sleep(0.5)  # the count is kept as the attempt ends
    server.process.kill()  # SIGKILL, while the retry waits its minute
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    # After the restart the event has its one retry, not two more.
    record = json.loads(receive_one(client_for(restarted.url, "sqs"), failures_url)["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert attempts.read_text() == "xx"
