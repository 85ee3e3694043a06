"""SNS end to end through boto3 and the AWS CLI against the real nimbus binary
(`aws_client`, `aws` and `endpoint` come from conftest.py)."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import REGION

ACCOUNT = "000000000000"


@pytest.fixture
def sns(aws_client):
    return aws_client("sns", parameter_validation=False)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(excinfo) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


# --- topics -----------------------------------------------------------------


def test_create_topic_is_idempotent_and_named_by_arn(sns):
    name = unique("orders")
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    assert {"TopicArn": arn} in sns.list_topics()["Topics"]


def test_create_topic_with_different_attributes_is_refused(sns):
    name = unique("attrs")
    sns.create_topic(Name=name, Attributes={"DisplayName": "one"})
    with pytest.raises(ClientError) as excinfo:
        sns.create_topic(Name=name, Attributes={"DisplayName": "two"})
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_topic_names_are_validated(sns):
    for bad in ["", "has space", "x" * 257, "dot.fifo"]:
        with pytest.raises(ClientError) as excinfo:
            sns.create_topic(Name=bad)
        assert error_of(excinfo) == ("InvalidParameter", 400), bad
    with pytest.raises(ClientError) as excinfo:
        sns.create_topic(Name=unique("nofifo"), Attributes={"FifoTopic": "true"})
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_topic_attributes_defaults_and_updates(sns):
    arn = sns.create_topic(Name=unique("attrs"))["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == ACCOUNT
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert attributes["SubscriptionsPending"] == "0"
    assert attributes["SubscriptionsDeleted"] == "0"
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    assert "http" in json.loads(attributes["EffectiveDeliveryPolicy"])
    assert "FifoTopic" not in attributes

    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Orders")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Orders"

    with pytest.raises(ClientError) as excinfo:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Bogus", AttributeValue="x")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as excinfo:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_fifo_topic_attributes(sns):
    name = unique("events") + ".fifo"
    arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true"})["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"] == "true"


def test_missing_topic_is_not_found(sns):
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    with pytest.raises(ClientError) as excinfo:
        sns.get_topic_attributes(TopicArn=missing)
    assert error_of(excinfo) == ("NotFound", 404)
    assert excinfo.value.response["Error"]["Message"] == "Topic does not exist"
    with pytest.raises(ClientError) as excinfo:
        sns.set_topic_attributes(TopicArn=missing, AttributeName="DisplayName", AttributeValue="x")
    assert error_of(excinfo) == ("NotFound", 404)
    with pytest.raises(ClientError) as excinfo:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_delete_topic(sns):
    arn = sns.create_topic(Name=unique("gone"))["TopicArn"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # deleting again succeeds, as on AWS
    with pytest.raises(ClientError) as excinfo:
        sns.get_topic_attributes(TopicArn=arn)
    assert error_of(excinfo) == ("NotFound", 404)
    assert {"TopicArn": arn} not in sns.list_topics()["Topics"]


def test_list_topics_pages_by_100(aws_client):
    sns = aws_client("sns")
    prefix = unique("page")
    created = {sns.create_topic(Name=f"{prefix}-{i:03}")["TopicArn"] for i in range(130)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100
    assert "NextToken" in first
    seen = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]]
    assert len(seen) == len(set(seen))
    assert created <= set(seen)
    for arn in created:
        sns.delete_topic(TopicArn=arn)


def test_tags(sns):
    arn = sns.create_topic(Name=unique("tagged"), Tags=[{"Key": "team", "Value": "core"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "edge"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "edge"}, {"Key": "env", "Value": "dev"}]
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    with pytest.raises(ClientError) as excinfo:
        sns.list_tags_for_resource(ResourceArn=missing)
    assert error_of(excinfo) == ("ResourceNotFound", 404)
    with pytest.raises(ClientError) as excinfo:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert error_of(excinfo) == ("TagLimitExceeded", 400)
