"""SQS end to end: boto3 (JSON protocol), raw query-protocol requests and the
AWS CLI against the real nimbus binary."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION

ACCOUNT = "000000000000"


@pytest.fixture
def sqs(endpoint: str):
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(excinfo) -> tuple[str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def attributes_md5(attributes: dict) -> str:
    """MD5OfMessageAttributes as SQS documents it."""
    buffer = b""
    for key in sorted(attributes):
        value = attributes[key]
        buffer += struct.pack(">I", len(key.encode())) + key.encode()
        buffer += struct.pack(">I", len(value["DataType"])) + value["DataType"].encode()
        if "BinaryValue" in value:
            buffer += b"\x02" + struct.pack(">I", len(value["BinaryValue"])) + value["BinaryValue"]
        else:
            data = value["StringValue"].encode()
            buffer += b"\x01" + struct.pack(">I", len(data)) + data
    return hashlib.md5(buffer).hexdigest()


# --- queues -----------------------------------------------------------------


def test_queue_lifecycle(sqs, endpoint):
    qname = name()
    url = sqs.create_queue(QueueName=qname, Attributes={"VisibilityTimeout": "45"}, tags={"team": "a"})["QueueUrl"]
    host = endpoint.split("://", 1)[1]
    assert url == f"http://{host}/{ACCOUNT}/{qname}"
    # Same attributes: idempotent; different: QueueAlreadyExists.
    assert sqs.create_queue(QueueName=qname, Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=qname, Attributes={"VisibilityTimeout": "46"})
    assert error_of(e) == ("QueueAlreadyExists", 400)
    assert sqs.get_queue_url(QueueName=qname)["QueueUrl"] == url
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{qname}"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert "CreatedTimestamp" in attrs and "LastModifiedTimestamp" in attrs
    only = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
    assert only == {"DelaySeconds": "0"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5", "MaximumMessageSize": "2048"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["DelaySeconds"], attrs["MaximumMessageSize"]) == ("5", "2048")
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName=qname)
    assert error_of(e) == ("AWS.SimpleQueueService.NonExistentQueue", 400)


def test_attribute_validation(sqs):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name(), Attributes={"VisibilityTimeout": "99999"})
    assert error_of(e) == ("InvalidAttributeValue", 400)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name(), Attributes={"Bogus": "1"})
    # The model's enum check in the codec answers before the service does.
    assert error_of(e) in (("InvalidAttributeName", 400), ("InvalidParameterValue", 400))
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="bad name!")
    assert error_of(e) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name() + ".fifo")
    assert error_of(e) == ("InvalidParameterValue", 400)
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["FifoQueue"])
    assert error_of(e) == ("InvalidAttributeName", 400)


def test_list_queues_prefix_and_pages(sqs):
    prefix = name("list")
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(5))
    assert sorted(sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]) == urls
    seen, token = [], None
    while True:
        kwargs = {"QueueNamePrefix": prefix, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = sqs.list_queues(**kwargs)
        seen += page["QueueUrls"]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == urls
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=name("none"))


def test_purge(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.purge_queue(QueueUrl=url)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ]["ApproximateNumberOfMessages"] == "0"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


# --- messages ---------------------------------------------------------------


def test_send_receive_delete_with_attributes(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    attributes = {
        "colour": {"DataType": "String", "StringValue": "blue"},
        "count": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
    }
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes=attributes,
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}},
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert sent["MD5OfMessageAttributes"] == attributes_md5(attributes)
    assert "MD5OfMessageSystemAttributes" in sent
    plain = sqs.send_message(QueueUrl=url, MessageBody="plain")
    assert "MD5OfMessageAttributes" not in plain
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in got] == ["hello", "plain"]
    first = got[0]
    assert first["MessageId"] == sent["MessageId"]
    assert first["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert first["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01\x02"
    assert first["MD5OfMessageAttributes"] == attributes_md5(attributes)
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert first["Attributes"]["AWSTraceHeader"] == "Root=1-abc"
    assert "SentTimestamp" in first["Attributes"]
    assert "MD5OfMessageAttributes" not in got[1]
    for m in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_message_attribute_name_filter(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    attributes = {
        "a.x": {"DataType": "String", "StringValue": "1"},
        "b": {"DataType": "String", "StringValue": "2"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["a.*"])["Messages"][0]
    assert list(msg["MessageAttributes"]) == ["a.x"]
    assert msg["MD5OfMessageAttributes"] == attributes_md5({"a.x": attributes["a.x"]})


def test_send_validation(sqs):
    url = sqs.create_queue(QueueName=name(), Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_of(e) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert error_of(e) == ("InvalidMessageContents", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_of(e) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}})
    assert error_of(e) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url + "-missing", MessageBody="x")
    assert error_of(e) == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_of(e) == ("InvalidParameterValue", 400)
    big = sqs.create_queue(QueueName=name())["QueueUrl"]
    sqs.send_message(QueueUrl=big, MessageBody="x" * 262144)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=big, MessageBody="x" * 262145)
    assert error_of(e) == ("InvalidParameterValue", 400)


def test_batches(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "one"},
            {"Id": "b", "MessageBody": "two", "DelaySeconds": 1000},
            {"Id": "c", "MessageBody": "three"},
        ],
    )
    assert sorted(s["Id"] for s in result["Successful"]) == ["a", "c"]
    assert [f["Id"] for f in result["Failed"]] == ["b"]
    assert result["Failed"][0]["Code"] == "InvalidParameterValue" and result["Failed"][0]["SenderFault"]
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}])
    assert error_of(e) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(11)])
    assert error_of(e) == ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[])
    assert error_of(e)[0] in ("AWS.SimpleQueueService.EmptyBatchRequest", "MissingParameter")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in msgs) == ["one", "three"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[{"Id": "v0", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 0},
                 {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0}],
    )
    assert [s["Id"] for s in changed["Successful"]] == ["v0"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    again = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert again["Body"] == msgs[0]["Body"]
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "d0", "ReceiptHandle": again["ReceiptHandle"]},
                 {"Id": "d1", "ReceiptHandle": msgs[1]["ReceiptHandle"]}],
    )
    assert sorted(s["Id"] for s in deleted["Successful"]) == ["d0", "d1"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
        "ApproximateNumberOfMessagesNotVisible"] == "0"


def test_visibility_timeout_redelivers_with_new_handle(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    second = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="not-a-handle", VisibilityTimeout=5)
    assert error_of(e) == ("ReceiptHandleIsInvalid", 404)
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert error_of(e) == ("ReceiptHandleIsInvalid", 404)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    # Deleting an already deleted message succeeds, as on AWS.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=5)
    assert error_of(e) == ("AWS.SimpleQueueService.MessageNotInflight", 400)


def test_long_poll_returns_on_send(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    result = {}

    def poll():
        start = time.monotonic()
        result["messages"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
        result["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    sqs.send_message(QueueUrl=url, MessageBody="wake")
    thread.join(10)
    assert [m["Body"] for m in result["messages"]] == ["wake"]
    assert result["elapsed"] < 2
    start = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert 0.9 < time.monotonic() - start < 3


def test_delay_queue_and_message_delay(sqs):
    url = sqs.create_queue(QueueName=name(), Attributes={"DelaySeconds": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="late")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)["Messages"]
    assert got[0]["Body"] == "late"
    other = sqs.create_queue(QueueName=name())["QueueUrl"]
    sqs.send_message(QueueUrl=other, MessageBody="now")
    sqs.send_message(QueueUrl=other, MessageBody="later", DelaySeconds=1)
    first = sqs.receive_message(QueueUrl=other, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["now"]
    assert sqs.receive_message(QueueUrl=other, WaitTimeSeconds=3)["Messages"][0]["Body"] == "later"


# --- dead-letter queues -----------------------------------------------------


def test_dead_letter_queue_and_redrive(sqs):
    dlq_name = name("dlq")
    dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    src = sqs.create_queue(QueueName=name("src"), Attributes={"RedrivePolicy": policy})["QueueUrl"]
    src_arn = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stored = json.loads(sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    assert stored == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        m = sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"][0]
        assert m["MessageId"] == sent["MessageId"]
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    dead = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
    # Redrive back to the source.
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    for _ in range(50):
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        if tasks[0]["Status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert tasks[0]["Status"] == "COMPLETED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 1
    back = sqs.receive_message(QueueUrl=src)["Messages"][0]
    assert back["Body"] == "poison"
    with pytest.raises(ClientError) as e:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_of(e) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        sqs.start_message_move_task(SourceArn=src_arn)
    assert error_of(e) == ("InvalidParameterValue", 400)


def test_redrive_policy_validation(sqs):
    url = sqs.create_queue(QueueName=name())["QueueUrl"]
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name('nope')}"
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": missing, "maxReceiveCount": 3})})
    assert error_of(e) == ("InvalidParameterValue", 400)
    deny = sqs.create_queue(QueueName=name(), Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})["QueueUrl"]
    deny_arn = sqs.get_queue_attributes(QueueUrl=deny, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": deny_arn, "maxReceiveCount": 3})})
    assert error_of(e) == ("InvalidParameterValue", 400)


# --- FIFO -------------------------------------------------------------------


def test_fifo_order_groups_and_dedup(sqs):
    url = sqs.create_queue(QueueName=name("f") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    seqs = []
    for i in range(3):
        r = sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A", MessageDeduplicationId=f"a{i}")
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs)
    sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="B", MessageDeduplicationId="b0")
    dup = sqs.send_message(QueueUrl=url, MessageBody="a0 again", MessageGroupId="A", MessageDeduplicationId="a0")
    assert int(dup["SequenceNumber"]) == seqs[0]
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "A"
    assert "SequenceNumber" in first[0]["Attributes"]
    # Group A is blocked while a0/a1 are in flight; B is free.
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in nxt] == ["b0"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for m in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["a2"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="x")
    assert error_of(e) == ("MissingParameter", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="A")
    assert error_of(e) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="A", MessageDeduplicationId="y", DelaySeconds=2)
    assert error_of(e) == ("InvalidParameterValue", 400)


def test_fifo_content_based_dedup_and_attributes(sqs):
    url = sqs.create_queue(
        QueueName=name("cb") + ".fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true",
                    "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
    )["QueueUrl"]
    a = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true" and attrs["ContentBasedDeduplication"] == "true"
    assert attrs["DeduplicationScope"] == "messageGroup"
    assert attrs["FifoThroughputLimit"] == "perMessageGroupId"
    assert attrs["ApproximateNumberOfMessages"] == "1"
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageDeduplicationId"])["Messages"][0]
    assert msg["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


# --- concurrency ------------------------------------------------------------


def test_parallel_consumers_never_share_a_message(sqs, endpoint):
    url = sqs.create_queue(QueueName=name("par"), Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    total = 200
    for start in range(0, total, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)])
    seen: list[str] = []
    lock = threading.Lock()

    def consume():
        client = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION,
                              aws_access_key_id="test", aws_secret_access_key="test")
        while True:
            msgs = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                return
            with lock:
                seen.extend(m["Body"] for m in msgs)
            client.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])

    threads = [threading.Thread(target=consume) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(seen) == total
    assert sorted(seen, key=int) == [str(i) for i in range(total)]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


# --- the query protocol -----------------------------------------------------


def query(endpoint: str, params: dict) -> tuple[int, ET.Element]:
    body = urllib.parse.urlencode({"Version": "2012-11-05", **params}).encode()
    request = urllib.request.Request(
        endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read())


def strip(tag: str) -> str:
    return tag.split("}", 1)[-1]


def find_all(root: ET.Element, tag: str) -> list[ET.Element]:
    return [e for e in root.iter() if strip(e.tag) == tag]


def text_of(root: ET.Element, tag: str) -> str | None:
    found = find_all(root, tag)
    return found[0].text if found else None


def test_query_protocol(sqs, endpoint):
    qname = name("query")
    status, root = query(endpoint, {"Action": "CreateQueue", "QueueName": qname})
    assert status == 200, ET.tostring(root)
    url = text_of(root, "QueueUrl")
    assert url and url.endswith(f"/{ACCOUNT}/{qname}")
    status, root = query(endpoint, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "via query"})
    assert status == 200, ET.tostring(root)
    assert text_of(root, "MD5OfMessageBody") == hashlib.md5(b"via query").hexdigest()
    query(endpoint, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "second"})
    status, root = query(endpoint, {"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "10"})
    assert status == 200, ET.tostring(root)
    assert sorted(e.text for e in find_all(root, "Body")) == ["second", "via query"]
    status, root = query(endpoint, {"Action": "GetQueueUrl", "QueueName": name("missing")})
    assert status == 400
    assert text_of(root, "Code") == "AWS.SimpleQueueService.NonExistentQueue"


def test_cli_send_and_receive(aws, sqs):
    url = sqs.create_queue(QueueName=name("cli"))["QueueUrl"]
    sent = aws("sqs", "send-message", "--queue-url", url, "--message-body", "from cli").json()
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"from cli").hexdigest()
    got = aws("sqs", "receive-message", "--queue-url", url).json()
    assert got["Messages"][0]["Body"] == "from cli"


def test_query_protocol_flattened_names(sqs, endpoint):
    qname = name("queryattr")
    status, root = query(endpoint, {"Action": "CreateQueue", "QueueName": qname,
                                    "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40"})
    assert status == 200, ET.tostring(root)
    url = text_of(root, "QueueUrl")
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "40"
    status, root = query(endpoint, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "a",
                                    "MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String",
                                    "MessageAttribute.1.Value.StringValue": "v"})
    assert text_of(root, "MD5OfMessageAttributes") == attributes_md5({"k": {"DataType": "String", "StringValue": "v"}})
    status, root = query(endpoint, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    names = [text_of(a, "Name") for a in find_all(root, "Attribute")]
    assert "ApproximateNumberOfMessagesNotVisible" in names
    # The old query API names each received message <Message>, flattened.
    query(endpoint, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "b"})
    status, root = query(endpoint, {"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "10"})
    assert [text_of(m, "Body") for m in find_all(root, "Message")] != []


@pytest.fixture(scope="module")
def query_sqs(endpoint, tmp_path_factory):
    """A boto3 SQS client that speaks the query protocol, as SDKs from before
    SQS's move to JSON do: botocore loads nimbus's vendored query-era model."""
    import botocore.session

    data = tmp_path_factory.mktemp("query-model")
    model_dir = data / "sqs" / "2012-11-05"
    model_dir.mkdir(parents=True)
    source = Path(__file__).resolve().parent.parent / "crates/nimbus-protocol/models/sqs-query.json"
    (model_dir / "service-2.json").write_text(source.read_text())
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(data))
    client = session.create_client(
        "sqs", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
    )
    assert client.meta.service_model.protocol == "query"
    return client


def test_query_protocol_client_round_trip(query_sqs, sqs):
    """Attributes, message attributes, batches and received messages travel
    in the query protocol's flattened names; botocore verifies the MD5s."""
    url = query_sqs.create_queue(QueueName=name("qclient"), Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "40"
    }
    sent = query_sqs.send_message(
        QueueUrl=url, MessageBody="a",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    assert sent["MD5OfMessageAttributes"] == attributes_md5({"k": {"DataType": "String", "StringValue": "v"}})
    batch = query_sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "b"}, {"Id": "2", "MessageBody": "c"}]
    )
    assert sorted(entry["Id"] for entry in batch["Successful"]) == ["1", "2"]
    received = query_sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
    )["Messages"]
    assert sorted(m["Body"] for m in received) == ["a", "b", "c"]
    with_attributes = next(m for m in received if m["Body"] == "a")
    assert with_attributes["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert with_attributes["Attributes"]["ApproximateReceiveCount"] == "1"
    attributes = query_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "3"
    assert query_sqs.list_queues(QueueNamePrefix=url.rsplit("/", 1)[1])["QueueUrls"] == [url]
    deleted = query_sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
    )
    assert len(deleted["Successful"]) == 3
    with pytest.raises(ClientError) as missing:
        query_sqs.get_queue_url(QueueName=name("missing"))
    assert missing.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
