"""Services acting as their principals under --enforce-iam: S3 sends event
notifications as s3.amazonaws.com and SNS delivers as sns.amazonaws.com,
so a function's policy (AddPermission) or a queue's policy must let them
in, by aws:SourceArn and aws:SourceAccount when it says so, as on AWS."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_support import create, python_function, wait_for
from test_iam_enforcement import ACCOUNT, Cloud

WRITER = """import json, os
def lambda_handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
"""


@pytest.fixture
def cloud(launch_nimbus) -> Cloud:
    return Cloud(launch_nimbus("--enforce-iam").url)


def recording_function(cloud: Cloud, out) -> tuple[str, str]:
    awslambda = cloud.client("lambda")
    name = create(awslambda, python_function(WRITER), Environment={"Variables": {"OUT": str(out)}})
    return name, f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def events_in(out) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def notify_function(s3, bucket: str, function_arn: str):
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )


def invalid_argument(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidArgument", 400)
    assert error["Error"]["Message"] == "Unable to validate the following destination configurations"
    return error["Error"]


def test_s3_invokes_a_function_only_once_its_policy_lets_s3_in_for_that_bucket(cloud, tmp_path):
    out = tmp_path / "events.jsonl"
    name, function_arn = recording_function(cloud, out)
    s3, awslambda = cloud.client("s3"), cloud.client("lambda")
    bucket = f"pics-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)

    error = invalid_argument(notify_function, s3, bucket, function_arn)
    assert error.get("ArgumentName") == function_arn
    assert error.get("ArgumentValue") == f"Not authorized to invoke function [{function_arn}]"
    assert "NotificationConfiguration" not in s3.get_bucket_notification_configuration(Bucket=bucket) or not (
        s3.get_bucket_notification_configuration(Bucket=bucket).get("LambdaFunctionConfigurations")
    )

    # Another bucket's permission does not cover this one.
    awslambda.add_permission(
        FunctionName=name,
        StatementId="other-bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::some-other-bucket",
    )
    invalid_argument(notify_function, s3, bucket, function_arn)

    awslambda.add_permission(
        FunctionName=name,
        StatementId="this-bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount=ACCOUNT,
    )
    notify_function(s3, bucket, function_arn)
    s3.put_object(Bucket=bucket, Key="cat.jpg", Body=b"jpeg")
    assert wait_for(lambda: events_in(out))
    record = events_in(out)[0]["Records"][0]
    assert (record["eventSource"], record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]) == (
        "aws:s3",
        bucket,
        "cat.jpg",
    )


def test_sns_reaches_a_function_only_with_permission_and_a_refused_message_goes_to_the_dlq(cloud, tmp_path):
    out = tmp_path / "events.jsonl"
    name, function_arn = recording_function(cloud, out)
    sns, sqs, awslambda = cloud.client("sns"), cloud.client("sqs"), cloud.client("lambda")
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    dlq_url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # The DLQ takes SNS's messages from this topic only.
    sqs.set_queue_attributes(
        QueueUrl=dlq_url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": dlq_arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                        }
                    ],
                }
            )
        },
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=function_arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )

    sns.publish(TopicArn=topic, Message="refused")
    received = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages"))
    assert json.loads(received[0]["Body"])["Message"] == "refused"
    assert events_in(out) == []

    awslambda.add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.publish(TopicArn=topic, Message="allowed")
    assert wait_for(lambda: events_in(out))
    assert events_in(out)[0]["Records"][0]["Sns"]["Message"] == "allowed"


def test_s3_sends_to_a_queue_only_once_the_queue_policy_lets_s3_in(cloud):
    s3, sqs = cloud.client("s3"), cloud.client("sqs")
    bucket = f"up-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    config = {"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]}

    error = invalid_argument(s3.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration=config)
    assert error.get("ArgumentValue") == (
        "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
    )

    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    )
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    bodies = []

    def object_event():
        for message in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(message["Body"]))
        return [b for b in bodies if "Records" in b]

    records = wait_for(object_event)
    assert records[0]["Records"][0]["s3"]["object"]["key"] == "a.txt"
    assert any(b.get("Event") == "s3:TestEvent" for b in bodies)
