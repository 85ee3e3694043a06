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


# --- subscriptions ----------------------------------------------------------


class Endpoint:
    """A local HTTP endpoint that records every POST it receives."""

    def __init__(self, status: int = 200):
        import http.server
        import queue
        import threading

        self.requests: "queue.Queue[tuple[dict, str]]" = queue.Queue()
        self.status = status
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                outer.requests.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout: float = 10.0) -> tuple[dict, str]:
        return self.requests.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_endpoint():
    endpoint = Endpoint()
    yield endpoint
    endpoint.close()


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def test_sqs_subscription_is_confirmed_at_once(sns):
    topic = sns.create_topic(Name=unique("subs"))["TopicArn"]
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("q1"))["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    # Subscribing the same endpoint again answers the same subscription.
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("q1"))["SubscriptionArn"] == arn
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["Protocol"] == "sqs"
    assert attributes["Endpoint"] == queue_arn("q1")
    assert attributes["TopicArn"] == topic
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["RawMessageDelivery"] == "false"
    assert attributes["Owner"] == ACCOUNT
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [
        {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": "sqs", "Endpoint": queue_arn("q1"), "TopicArn": topic}
    ]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"


def test_subscription_attributes(sns):
    topic = sns.create_topic(Name=unique("subattrs"))["TopicArn"]
    arn = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn("q2"),
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"color": ["red"]})},
    )["SubscriptionArn"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    assert json.loads(attributes["FilterPolicy"]) == {"color": ["red"]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"

    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    body_policy = json.dumps({"order": {"kind": ["book"]}})
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=body_policy)
    redrive = json.dumps({"deadLetterTargetArn": queue_arn("dlq")})
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RedrivePolicy", AttributeValue=redrive)
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageBody"
    assert json.loads(attributes["FilterPolicy"]) == {"order": {"kind": ["book"]}}
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": queue_arn("dlq")}

    bad = [
        ("FilterPolicyScope", "Everything"),
        ("RawMessageDelivery", "maybe"),
        ("FilterPolicy", "{not json"),
        ("FilterPolicy", json.dumps({"a": [{"numeric": [">", "x"]}]})),
        ("FilterPolicy", json.dumps({"a": [{"bogus": 1}]})),
        ("RedrivePolicy", json.dumps({"deadLetterTargetArn": "nope"})),
        ("Bogus", "x"),
    ]
    for name, value in bad:
        with pytest.raises(ClientError) as excinfo:
            sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=value)
        assert error_of(excinfo) == ("InvalidParameter", 400), (name, value)
    # Back to attribute scope: the nested body policy no longer fits.
    with pytest.raises(ClientError) as excinfo:
        sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes"
        )
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_subscribe_validates_protocol_and_endpoint(sns):
    topic = sns.create_topic(Name=unique("validate"))["TopicArn"]
    cases = [
        ("carrier-pigeon", "coop"),
        ("sqs", "not-an-arn"),
        ("http", "ftp://example"),
        ("email", "nobody"),
        ("lambda", "arn:aws:sqs:us-east-1:000000000000:q"),
    ]
    for protocol, endpoint in cases:
        with pytest.raises(ClientError) as excinfo:
            sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
        assert error_of(excinfo) == ("InvalidParameter", 400), protocol
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    with pytest.raises(ClientError) as excinfo:
        sns.subscribe(TopicArn=missing, Protocol="sqs", Endpoint=queue_arn("q"))
    assert error_of(excinfo) == ("NotFound", 404)
    fifo = sns.create_topic(Name=unique("f") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    with pytest.raises(ClientError) as excinfo:
        sns.subscribe(TopicArn=fifo, Protocol="email", Endpoint="a@example.com")
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_email_subscription_stays_pending(sns):
    topic = sns.create_topic(Name=unique("mail"))["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"] == (
        "pending confirmation"
    )
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
    assert listed[0]["Endpoint"] == "ops@example.com"
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attributes["SubscriptionsPending"], attributes["SubscriptionsConfirmed"]) == ("1", "0")
    arn = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com", ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"


def test_http_subscription_confirmation_handshake(sns, http_endpoint):
    topic = sns.create_topic(Name=unique("hooks"))["TopicArn"]
    answer = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    assert answer["SubscriptionArn"] == "pending confirmation"
    headers, body = http_endpoint.next()
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["content-type"].startswith("text/plain")
    message = json.loads(body)
    assert headers["x-amz-sns-message-id"] == message["MessageId"]
    assert message["Type"] == "SubscriptionConfirmation"
    assert message["TopicArn"] == topic
    assert set(message) >= {"Token", "SubscribeURL", "Message", "Timestamp", "Signature", "SigningCertURL"}
    assert message["SignatureVersion"] == "1"
    assert "Action=ConfirmSubscription" in message["SubscribeURL"]

    with pytest.raises(ClientError) as excinfo:
        sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    confirmed = sns.confirm_subscription(TopicArn=topic, Token=message["Token"])["SubscriptionArn"]
    assert confirmed.startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=confirmed)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [
        confirmed
    ]


def test_subscribe_url_confirms_like_on_aws(sns, http_endpoint):
    import urllib.request

    topic = sns.create_topic(Name=unique("hooks"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    message = json.loads(http_endpoint.next()[1])
    with urllib.request.urlopen(message["SubscribeURL"], timeout=10) as response:
        assert response.status == 200
        assert b"ConfirmSubscriptionResponse" in response.read()
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed[0]["SubscriptionArn"].startswith(topic + ":")


def test_unsubscribe_and_list_subscriptions_pages(sns):
    topic = sns.create_topic(Name=unique("many"))["TopicArn"]
    arns = [
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(f"q{i:03}"))["SubscriptionArn"]
        for i in range(105)
    ]
    first = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert len(first["Subscriptions"]) == 100
    second = sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert "NextToken" not in second
    listed = [s["SubscriptionArn"] for s in first["Subscriptions"] + second["Subscriptions"]]
    assert sorted(listed) == sorted(arns)
    everywhere = [s["SubscriptionArn"] for p in sns.get_paginator("list_subscriptions").paginate() for s in p["Subscriptions"]]
    assert set(arns) <= set(everywhere)

    sns.unsubscribe(SubscriptionArn=arns[0])
    with pytest.raises(ClientError) as excinfo:
        sns.get_subscription_attributes(SubscriptionArn=arns[0])
    assert error_of(excinfo) == ("NotFound", 404)
    assert excinfo.value.response["Error"]["Message"] == "Subscription does not exist"
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsDeleted"]) == ("104", "1")
    with pytest.raises(ClientError) as excinfo:
        sns.unsubscribe(SubscriptionArn="garbage")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    with pytest.raises(ClientError) as excinfo:
        sns.list_subscriptions_by_topic(TopicArn=missing)
    assert error_of(excinfo) == ("NotFound", 404)
    # Deleting the topic takes its subscriptions with it.
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(ClientError) as excinfo:
        sns.get_subscription_attributes(SubscriptionArn=arns[1])
    assert error_of(excinfo) == ("NotFound", 404)
