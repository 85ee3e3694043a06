"""Resource tags as condition keys under `--enforce-iam`: a queue's, a
topic's, a bucket's tags as `aws:ResourceTag/<key>`, a user's or role's as
`aws:ResourceTag/<key>` and `iam:ResourceTag/<key>` (attribute-based access
control), read as the resource is tagged when the request arrives.

Helpers and the `cloud` fixture come from test_iam_enforcement.py.
"""

from __future__ import annotations

from test_iam_enforcement import (  # noqa: F401 (cloud is a fixture)
    IDENTITY,
    access_denied,
    allow,
    cloud,
    iam_denied,
    queue_arn,
    refusal,
    send,
    sqs_denied,
    user_arn,
)

DEV_ONLY = {"StringEquals": {"aws:ResourceTag/env": "dev"}}


def test_queue_tags_decide_an_abac_policy(cloud):
    dev = cloud.queue("dev-q")
    prod = cloud.queue("prod-q")
    root_sqs = cloud.client("sqs")
    root_sqs.tag_queue(QueueUrl=dev, Tags={"env": "dev"})
    root_sqs.tag_queue(QueueUrl=prod, Tags={"env": "prod"})
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:SendMessage", "*", Condition=DEV_ONLY)))
    send(alice, dev)
    assert cloud.messages(dev) == 1
    assert refusal(send, alice, prod) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("prod-q"), IDENTITY)
    )
    assert cloud.messages(prod) == 0
    # Retagged, the queue is judged by its new tags at once.
    root_sqs.tag_queue(QueueUrl=prod, Tags={"env": "dev"})
    send(alice, prod)
    assert cloud.messages(prod) == 1


def test_topic_tags_decide_an_abac_policy(cloud):
    sns = cloud.client("sns")
    dev = sns.create_topic(Name="dev-t", Tags=[{"Key": "env", "Value": "dev"}])["TopicArn"]
    prod = sns.create_topic(Name="prod-t", Tags=[{"Key": "env", "Value": "prod"}])["TopicArn"]
    alice = cloud.client("sns", cloud.user("alice", allow("sns:Publish", "*", Condition=DEV_ONLY)))
    assert alice.publish(TopicArn=dev, Message="hi")["MessageId"]
    code, status, message = refusal(alice.publish, TopicArn=prod, Message="hi")
    assert (code, status) == ("AuthorizationError", 403)
    assert f"SNS:Publish on resource: {prod}" in message


def test_user_tags_are_iam_resource_tags(cloud):
    iam = cloud.client("iam")
    iam.create_user(UserName="intern", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="admin", Tags=[{"Key": "team", "Value": "red"}])
    blue_only = {"StringEquals": {"iam:ResourceTag/team": "blue"}}
    alice = cloud.client("iam", cloud.user("alice", allow("iam:TagUser", "*", Condition=blue_only)))
    alice.tag_user(UserName="intern", Tags=[{"Key": "level", "Value": "1"}])
    assert refusal(alice.tag_user, UserName="admin", Tags=[{"Key": "level", "Value": "9"}]) == access_denied(
        iam_denied(user_arn("alice"), "iam:TagUser", user_arn("admin"))
    )
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="admin")["Tags"]}
    assert tags == {"team": "red"}


def test_bucket_tags_are_resource_tags(cloud):
    s3 = cloud.client("s3")
    for name, env in (("dev-bkt", "dev"), ("prod-bkt", "prod")):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "env", "Value": env}]})
    alice = cloud.client("s3", cloud.user("alice", allow("s3:ListBucket", "*", Condition=DEV_ONLY)))
    assert alice.list_objects_v2(Bucket="dev-bkt")["KeyCount"] == 0
    code, status, _ = refusal(alice.list_objects_v2, Bucket="prod-bkt")
    assert (code, status) == ("AccessDenied", 403)


def test_request_tags_decide_what_may_be_created(cloud):
    tagged_dev = {"StringEquals": {"aws:RequestTag/env": "dev"}}
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:CreateQueue", "*", Condition=tagged_dev)))
    alice.create_queue(QueueName="ok-q", tags={"env": "dev"})
    code, status, _ = refusal(alice.create_queue, QueueName="untagged-q")
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = refusal(alice.create_queue, QueueName="prod-q", tags={"env": "prod"})
    assert (code, status) == ("AccessDenied", 403)
    assert cloud.queue_names() == ["ok-q"]


def test_tag_keys_condition_guards_tagging_and_untagging(cloud):
    iam = cloud.client("iam")
    iam.create_user(UserName="bob", Tags=[{"Key": "owner", "Value": "ops"}])
    no_owner = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}
    alice = cloud.client(
        "iam",
        cloud.user(
            "alice",
            allow(["iam:TagUser", "iam:UntagUser"]),
            {"Effect": "Deny", "Action": ["iam:TagUser", "iam:UntagUser"], "Resource": "*", "Condition": no_owner},
        ),
    )
    alice.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "blue"}])
    explicit = access_denied(iam_denied(user_arn("alice"), "iam:UntagUser", user_arn("bob"), explicit=True))
    assert refusal(alice.untag_user, UserName="bob", TagKeys=["owner"]) == explicit
    code, status, _ = refusal(alice.tag_user, UserName="bob", Tags=[{"Key": "owner", "Value": "me"}])
    assert (code, status) == ("AccessDenied", 403)
    alice.untag_user(UserName="bob", TagKeys=["team"])
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="bob")["Tags"]}
    assert tags == {"owner": "ops"}
