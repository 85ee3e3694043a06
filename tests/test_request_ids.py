"""Request and message ids are random version-4 UUIDs, unique per request
(drawn from a thread-local generator rather than one getrandom(2) each)."""

from __future__ import annotations

import uuid


def assert_random_v4(ids: list[str]) -> None:
    parsed = [uuid.UUID(value) for value in ids]
    assert all(str(value) == text for value, text in zip(parsed, ids)), ids  # lower-case, hyphenated
    assert all(value.version == 4 and value.variant == uuid.RFC_4122 for value in parsed), ids
    assert len(set(ids)) == len(ids), "ids repeat"


def test_request_ids_are_distinct_random_uuids(aws_client):
    sts = aws_client("sts")
    dynamodb = aws_client("dynamodb")
    ids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    ids += [dynamodb.list_tables()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    assert_random_v4(ids)


def test_sqs_message_ids_are_distinct_random_uuids(aws_client):
    sqs = aws_client("sqs")
    queue = sqs.create_queue(QueueName="request-ids")["QueueUrl"]
    ids = [sqs.send_message(QueueUrl=queue, MessageBody=f"m{i}")["MessageId"] for i in range(20)]
    assert_random_v4(ids)
