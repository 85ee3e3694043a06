"""Event filtering of event source mappings (FilterCriteria, EventBridge
patterns): only the records a filter matches reach the function; SQS
messages no filter matches are deleted, stream records passed over."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_support import awslambda, create, python_function, wait_for  # noqa: F401
from test_lambda_async import RECORDING, new_queue, sqs, stream_table  # noqa: F401

ORDERS_ONLY = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}})}]}


def recorded(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_an_sqs_mapping_passes_only_matching_messages_and_deletes_the_rest(awslambda, sqs, tmp_path):
    url, arn = new_queue(sqs)
    seen = tmp_path / "records.jsonl"
    name = create(awslambda, python_function(RECORDING.format(path=str(seen))))
    mapping = awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, FilterCriteria=ORDERS_ONLY)
    assert mapping["FilterCriteria"] == ORDERS_ONLY
    assert awslambda.get_event_source_mapping(UUID=mapping["UUID"])["FilterCriteria"] == ORDERS_ONLY
    bodies = [
        {"kind": "order", "total": 25},
        {"kind": "ping"},
        "plain text, not JSON",
        {"kind": "order", "total": 5},
        {"kind": "order", "total": 99},
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body if isinstance(body, str) else json.dumps(body))
    assert wait_for(lambda: len(recorded(seen)) == 2, 30)

    def queue_empty():
        counts = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}

    assert wait_for(queue_empty, 30), "messages no filter matched are deleted"
    assert sorted(json.loads(r["body"])["total"] for r in recorded(seen)) == [25, 99]


def test_a_stream_mapping_passes_over_records_no_filter_matches(awslambda, aws_client, tmp_path):
    table, stream = stream_table(aws_client)
    seen = tmp_path / "records.jsonl"
    name = create(awslambda, python_function(RECORDING.format(path=str(seen))))
    inserts = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}
    awslambda.create_event_source_mapping(
        FunctionName=name, EventSourceArn=stream, StartingPosition="TRIM_HORIZON", FilterCriteria=inserts
    )
    dynamodb = aws_client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}})
    dynamodb.update_item(TableName=table, Key={"id": {"S": "a"}}, UpdateExpression="SET n = :n",
                         ExpressionAttributeValues={":n": {"N": "2"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "b"}})
    assert wait_for(lambda: len(recorded(seen)) == 2, 30)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in recorded(seen)] == [("INSERT", "a"), ("INSERT", "b")]


@pytest.mark.parametrize(
    "criteria",
    [
        {"Filters": [{"Pattern": "{\"body\": \"not an array\"}"}]},
        {"Filters": [{"Pattern": "{\"body\": [{\"prefx\": \"a\"}]}"}]},
        {"Filters": [{"Pattern": "not json"}]},
        {"Filters": [{"Pattern": json.dumps({"k": [str(i)]})} for i in range(6)]},
    ],
)
def test_bad_filter_criteria_are_refused_and_nothing_is_created(awslambda, sqs, criteria):
    _, arn = new_queue(sqs)
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return 1\n"))
    with pytest.raises(ClientError) as caught:
        awslambda.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, FilterCriteria=criteria)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameterValueException", 400)
    assert awslambda.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []
