"""S3 event notifications end to end: bucket notification configurations
with SQS queue and SNS topic destinations, against the real nimbus binary."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import REGION


@pytest.fixture
def s3(aws_client):
    return aws_client("s3", s3={"addressing_style": "path"})


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def sns(aws_client):
    return aws_client("sns")


@pytest.fixture
def bucket(s3):
    name = f"ev-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def queue(sqs):
    url = sqs.create_queue(QueueName=f"ev-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url, wait=2):
    """One message body (parsed), or None when nothing arrives in `wait` seconds."""
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait, MaxNumberOfMessages=1).get(
        "Messages", []
    )
    if not messages:
        return None
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return json.loads(messages[0]["Body"])


def configure_queue(s3, bucket, arn, events, prefix=None, suffix=None, config_id="to-queue"):
    config = {"Id": config_id, "QueueArn": arn, "Events": events}
    rules = []
    if prefix is not None:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        rules.append({"Name": "suffix", "Value": suffix})
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [config]}
    )


def test_test_event_on_configuration(s3, sqs, bucket, queue):
    url, arn = queue
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*"])
    body = receive(sqs, url, wait=5)
    assert body is not None
    assert body["Service"] == "Amazon S3"
    assert body["Event"] == "s3:TestEvent"
    assert body["Bucket"] == bucket
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["Time"])
    assert body["RequestId"] and body["HostId"]


def test_put_object_event_with_filters(s3, sqs, bucket, queue):
    url, arn = queue
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*"], prefix="in/", suffix=".txt")
    assert receive(sqs, url, wait=5)["Event"] == "s3:TestEvent"

    s3.put_object(Bucket=bucket, Key="other/skip.txt", Body=b"nope")
    s3.put_object(Bucket=bucket, Key="in/skip.bin", Body=b"nope")
    put = s3.put_object(Bucket=bucket, Key="in/my file.txt", Body=b"hello world")
    body = receive(sqs, url, wait=5)
    assert body is not None
    assert len(body["Records"]) == 1
    record = body["Records"][0]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == REGION
    assert record["eventName"] == "ObjectCreated:Put"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert "principalId" in record["userIdentity"]
    assert "sourceIPAddress" in record["requestParameters"]
    assert record["responseElements"]["x-amz-request-id"] == put["ResponseMetadata"]["RequestId"]
    assert "x-amz-id-2" in record["responseElements"]
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "to-queue"
    assert s3_part["bucket"]["name"] == bucket
    assert s3_part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert "principalId" in s3_part["bucket"]["ownerIdentity"]
    obj = s3_part["object"]
    assert obj["key"] == "in/my+file.txt"
    assert obj["size"] == 11
    assert obj["eTag"] == put["ETag"].strip('"')
    assert "versionId" not in obj
    assert obj["sequencer"]
    # Nothing for the keys the filter rejected.
    assert receive(sqs, url, wait=1) is None


def test_delete_and_copy_events(s3, sqs, bucket, queue):
    url, arn = queue
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "created", "QueueArn": arn, "Events": ["s3:ObjectCreated:Copy"]},
                {"Id": "removed", "QueueArn": arn, "Events": ["s3:ObjectRemoved:*"]},
            ]
        },
    )
    # One test event per destination configuration.
    assert receive(sqs, url, wait=5)["Event"] == "s3:TestEvent"
    receive(sqs, url, wait=1)

    s3.put_object(Bucket=bucket, Key="src", Body=b"abc")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    body = receive(sqs, url, wait=5)
    record = body["Records"][0]
    assert record["eventName"] == "ObjectCreated:Copy"
    assert record["s3"]["configurationId"] == "created"
    assert record["s3"]["object"]["key"] == "dst"
    assert record["s3"]["object"]["size"] == 3

    s3.delete_object(Bucket=bucket, Key="dst")
    body = receive(sqs, url, wait=5)
    record = body["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["configurationId"] == "removed"
    assert record["s3"]["object"]["key"] == "dst"
    assert "size" not in record["s3"]["object"]
    assert receive(sqs, url, wait=1) is None


def test_versioned_delete_marker_event(s3, sqs, bucket, queue):
    url, arn = queue
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:Put", "s3:ObjectRemoved:DeleteMarkerCreated"])
    assert receive(sqs, url, wait=5)["Event"] == "s3:TestEvent"
    put = s3.put_object(Bucket=bucket, Key="v", Body=b"1")
    record = receive(sqs, url, wait=5)["Records"][0]
    assert record["s3"]["object"]["versionId"] == put["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="v")
    record = receive(sqs, url, wait=5)["Records"][0]
    assert record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert record["s3"]["object"]["versionId"] == deleted["VersionId"]


def test_topic_destination_delivers_sns_envelope(s3, sqs, sns, bucket, queue):
    url, queue_arn = queue
    topic_arn = sns.create_topic(Name=f"ev-{uuid.uuid4().hex[:12]}")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {"Id": "to-topic", "TopicArn": topic_arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    envelope = receive(sqs, url, wait=5)
    assert envelope["Type"] == "Notification"
    assert envelope["Subject"] == "Amazon S3 Notification"
    assert json.loads(envelope["Message"])["Event"] == "s3:TestEvent"

    s3.put_object(Bucket=bucket, Key="t.txt", Body=b"topic")
    envelope = receive(sqs, url, wait=5)
    assert envelope["TopicArn"] == topic_arn
    assert envelope["Subject"] == "Amazon S3 Notification"
    record = json.loads(envelope["Message"])["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["configurationId"] == "to-topic"
    assert record["s3"]["object"]["key"] == "t.txt"


def test_multipart_upload_event(s3, sqs, bucket, queue):
    url, arn = queue
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:CompleteMultipartUpload"])
    assert receive(sqs, url, wait=5)["Event"] == "s3:TestEvent"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 10)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    record = receive(sqs, url, wait=5)["Records"][0]
    assert record["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert record["s3"]["object"]["size"] == 10


def test_unknown_destination_is_invalid_argument(s3, bucket):
    missing = f"arn:aws:sqs:{REGION}:000000000000:no-such-queue-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as raised:
        configure_queue(s3, bucket, missing, ["s3:ObjectCreated:*"])
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The configuration was not stored.
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "QueueConfigurations" not in stored


def test_skip_destination_validation_stores_without_test_event(s3, bucket):
    missing = f"arn:aws:sqs:{REGION}:000000000000:no-such-queue-{uuid.uuid4().hex[:8]}"
    config = {"QueueConfigurations": [{"Id": "q", "QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=True
    )
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert stored["QueueConfigurations"][0]["QueueArn"] == missing
    # Events to a missing queue are dropped; the write still succeeds.
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
