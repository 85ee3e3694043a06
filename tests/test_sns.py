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

    def __init__(self, statuses: list[int] | None = None, port: int = 0):
        import http.server
        import queue
        import threading

        self.requests: "queue.Queue[tuple[dict, str]]" = queue.Queue()
        # Answers in order, then 200 for ever.
        self.statuses = list(statuses or [])
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                outer.requests.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
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
        ("FilterPolicy", json.dumps({k: ["v"] for k in "abcdef"})),  # more than 5 keys
        ("FilterPolicy", json.dumps({"a": [f"v{i}" for i in range(151)]})),  # over 150 combinations
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
    with pytest.raises(ClientError) as excinfo:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("ordered.fifo"))
    assert error_of(excinfo) == ("InvalidParameter", 400)
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
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (counts["SubscriptionsConfirmed"], counts["SubscriptionsPending"]) == ("1", "0")
    # The token stays valid: confirming again answers the same subscription.
    assert sns.confirm_subscription(TopicArn=topic, Token=message["Token"])["SubscriptionArn"] == confirmed
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
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


# --- publish and fan-out ----------------------------------------------------


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def make_queue(sqs, name: str, **attributes) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive_all(sqs, url: str, expected: int, wait: float = 5.0) -> list[dict]:
    """Receives until `expected` messages arrived (or `wait` passed), deleting them."""
    import time

    messages: list[dict] = []
    deadline = time.monotonic() + wait
    while len(messages) < expected and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(got)
    return messages


def assert_empty(sqs, url: str):
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)


def test_fan_out_to_queues_with_envelope_raw_and_filters(sns, sqs):
    topic = sns.create_topic(Name=unique("fanout"))["TopicArn"]
    envelope_url, envelope_arn = make_queue(sqs, unique("envelope"))
    raw_url, raw_arn = make_queue(sqs, unique("raw"))
    red_url, red_arn = make_queue(sqs, unique("red"))
    big_url, big_arn = make_queue(sqs, unique("big"))
    body_url, body_arn = make_queue(sqs, unique("body"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=envelope_arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=red_arn,
        Attributes={"FilterPolicy": json.dumps({"color": ["red", {"prefix": "crim"}]})},
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=big_arn,
        Attributes={"FilterPolicy": json.dumps({"amount": [{"numeric": [">=", 100]}], "color": [{"exists": True}]})},
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=body_arn,
        Attributes={
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps({"order": {"kind": [{"anything-but": ["toy"]}]}}),
        },
    )

    first = sns.publish(
        TopicArn=topic,
        Subject="Greetings",
        Message=json.dumps({"order": {"kind": "book"}}),
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "red"},
            "amount": {"DataType": "Number", "StringValue": "150"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    second = sns.publish(
        TopicArn=topic,
        Message=json.dumps({"order": {"kind": "toy"}}),
        MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}},
    )

    envelopes = receive_all(sqs, envelope_url, 2)
    assert len(envelopes) == 2
    by_id = {json.loads(m["Body"])["MessageId"]: json.loads(m["Body"]) for m in envelopes}
    envelope = by_id[first["MessageId"]]
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == "Greetings"
    assert json.loads(envelope["Message"]) == {"order": {"kind": "book"}}
    assert envelope["SignatureVersion"] == "1"
    assert {"Timestamp", "Signature", "SigningCertURL", "UnsubscribeURL"} <= set(envelope)
    assert envelope["MessageAttributes"]["color"] == {"Type": "String", "Value": "red"}
    assert envelope["MessageAttributes"]["amount"] == {"Type": "Number", "Value": "150"}
    assert envelope["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": "AAE="}
    assert "Subject" not in by_id[second["MessageId"]]

    raws = receive_all(sqs, raw_url, 2)
    bodies = sorted(m["Body"] for m in raws)
    assert bodies == sorted([json.dumps({"order": {"kind": "book"}}), json.dumps({"order": {"kind": "toy"}})])
    red_raw = next(m for m in raws if "book" in m["Body"])
    assert red_raw["MessageAttributes"]["color"] == {"StringValue": "red", "DataType": "String"}
    assert red_raw["MessageAttributes"]["amount"] == {"StringValue": "150", "DataType": "Number"}
    assert red_raw["MessageAttributes"]["blob"] == {"BinaryValue": b"\x00\x01", "DataType": "Binary"}

    reds = receive_all(sqs, red_url, 1)
    assert [json.loads(m["Body"])["MessageId"] for m in reds] == [first["MessageId"]]
    bigs = receive_all(sqs, big_url, 1)
    assert [json.loads(m["Body"])["MessageId"] for m in bigs] == [first["MessageId"]]
    books = receive_all(sqs, body_url, 1)
    assert [json.loads(m["Body"])["MessageId"] for m in books] == [first["MessageId"]]
    for url in (red_url, big_url, body_url):
        assert_empty(sqs, url)


def test_message_structure_json_picks_the_sqs_body(sns, sqs):
    topic = sns.create_topic(Name=unique("structured"))["TopicArn"]
    url, arn = make_queue(sqs, unique("structured"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "plain", "sqs": "for sqs"}))
    assert [m["Body"] for m in receive_all(sqs, url, 1)] == ["for sqs"]
    for message in ["not json", json.dumps({"sqs": "no default"})]:
        with pytest.raises(ClientError) as excinfo:
            sns.publish(TopicArn=topic, MessageStructure="json", Message=message)
        assert error_of(excinfo) == ("InvalidParameter", 400)


def test_publish_errors(sns):
    topic = sns.create_topic(Name=unique("errors"))["TopicArn"]
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=missing, Message="hi")
    assert error_of(excinfo) == ("NotFound", 404)
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="x" * (256 * 1024 + 1))
    assert error_of(excinfo) == ("InvalidParameter", 400)
    assert "too long" in excinfo.value.response["Error"]["Message"]
    sns.publish(TopicArn=topic, Message="x" * (256 * 1024))  # exactly the limit is fine
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="hi", Subject="line\nbreak")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    bad_attributes = [
        {"a": {"DataType": "Decimal", "StringValue": "1"}},
        {"a": {"DataType": "Number", "StringValue": "one"}},
        {"a": {"DataType": "String", "StringValue": ""}},
    ]
    for attributes in bad_attributes:
        with pytest.raises(ClientError) as excinfo:
            sns.publish(TopicArn=topic, Message="hi", MessageAttributes=attributes)
        assert error_of(excinfo) == ("ParameterValueInvalid", 400), attributes
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="hi", MessageDeduplicationId="d1")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as excinfo:
        sns.publish(Message="nowhere")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    assert sns.publish(PhoneNumber="+15555550100", Message="sms")["MessageId"]


def test_publish_batch(sns, sqs):
    topic = sns.create_topic(Name=unique("batch"))["TopicArn"]
    url, arn = make_queue(sqs, unique("batch"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    answer = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "one", "Message": "first"},
            {"Id": "two", "Message": "second", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "2"}}},
            {"Id": "bad", "Message": ""},
        ],
    )
    assert sorted(e["Id"] for e in answer["Successful"]) == ["one", "two"]
    assert all(e["MessageId"] for e in answer["Successful"])
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in answer["Failed"]] == [("bad", "InvalidParameter", True)]
    assert sorted(m["Body"] for m in receive_all(sqs, url, 2)) == ["first", "second"]

    cases = [
        ([], "EmptyBatchRequest"),
        ([{"Id": f"e{i}", "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "bad id!", "Message": "a"}], "InvalidBatchEntryId"),
        ([{"Id": f"e{i}", "Message": "x" * 60_000} for i in range(5)], "BatchRequestTooLong"),
    ]
    for entries, code in cases:
        with pytest.raises(ClientError) as excinfo:
            sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        assert error_of(excinfo) == (code, 400)
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    with pytest.raises(ClientError) as excinfo:
        sns.publish_batch(TopicArn=missing, PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}])
    assert error_of(excinfo) == ("NotFound", 404)


def test_fifo_topic_to_fifo_queue_keeps_order_and_dedups(sns, sqs):
    topic = sns.create_topic(Name=unique("orders") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = make_queue(sqs, unique("orders") + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="no group", MessageDeduplicationId="x")
    assert error_of(excinfo) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="no dedup", MessageGroupId="g")
    assert error_of(excinfo) == ("InvalidParameter", 400)

    answers = [
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g1", MessageDeduplicationId=f"d{i}")
        for i in range(5)
    ]
    sequence_numbers = [int(a["SequenceNumber"]) for a in answers]
    assert sequence_numbers == sorted(sequence_numbers) and len(set(sequence_numbers)) == 5
    again = sns.publish(TopicArn=topic, Message="m0 again", MessageGroupId="g1", MessageDeduplicationId="d0")
    assert again["MessageId"] == answers[0]["MessageId"]

    received = []
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"])
        for message in got.get("Messages", []):
            received.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(received) >= 5:
            break
    assert [m["Body"] for m in received] == [f"m{i}" for i in range(5)]
    assert all(m["Attributes"]["MessageGroupId"] == "g1" for m in received)

    # Content-based deduplication once the topic asks for it.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    one = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g2")
    two = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g2")
    assert one["MessageId"] == two["MessageId"]
    assert [m["Body"] for m in receive_all(sqs, url, 1)] == ["same body"]
    assert_empty(sqs, url)


def test_http_notification_delivery(sns, http_endpoint):
    topic = sns.create_topic(Name=unique("http"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    token = json.loads(http_endpoint.next()[1])["Token"]
    subscription = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    published = sns.publish(
        TopicArn=topic, Message="hello", Subject="s", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    headers, body = http_endpoint.next()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == published["MessageId"]
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-subscription-arn"] == subscription
    notification = json.loads(body)
    assert notification["Type"] == "Notification"
    assert notification["Message"] == "hello"
    assert notification["Subject"] == "s"
    assert notification["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}

    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="raw hello")
    headers, body = http_endpoint.next()
    assert body == "raw hello"
    assert headers["x-amz-sns-rawdelivery"] == "true"


def test_failed_deliveries_go_to_the_subscription_dlq(sns, sqs):
    topic = sns.create_topic(Name=unique("dlq"))["TopicArn"]
    dlq_url, dlq_arn = make_queue(sqs, unique("dlq"))
    gone = queue_arn(unique("never-created"))
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=gone,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn}), "RawMessageDelivery": "true"},
    )
    sns.publish(TopicArn=topic, Message="lost", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    dead = receive_all(sqs, dlq_url, 1)
    assert [m["Body"] for m in dead] == ["lost"]
    assert dead[0]["MessageAttributes"]["k"]["StringValue"] == "v"


def test_cli_fan_out(aws, sqs):
    topic = aws("sns", "create-topic", "--name", unique("cli")).json()["TopicArn"]
    url, arn = make_queue(sqs, unique("cli"))
    assert aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn).returncode == 0
    published = aws(
        "sns", "publish", "--topic-arn", topic, "--message", "from the cli",
        "--message-attributes", '{"team": {"DataType": "String", "StringValue": "core"}}',
    )
    assert published.returncode == 0, published.stderr
    message_id = published.json()["MessageId"]
    received = aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5")
    assert received.returncode == 0, received.stderr
    envelope = json.loads(received.json()["Messages"][0]["Body"])
    assert envelope["MessageId"] == message_id
    assert envelope["Message"] == "from the cli"
    assert envelope["MessageAttributes"]["team"] == {"Type": "String", "Value": "core"}


def test_http_delivery_is_retried_after_a_server_error(sns, http_endpoint):
    import time

    topic = sns.create_topic(Name=unique("retry"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    token = json.loads(http_endpoint.next()[1])["Token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    http_endpoint.statuses = [500]
    published = sns.publish(TopicArn=topic, Message="again")["MessageId"]
    first = time.monotonic()
    assert http_endpoint.next()[0]["x-amz-sns-message-id"] == published
    assert http_endpoint.next()[0]["x-amz-sns-message-id"] == published
    assert time.monotonic() - first >= 0.9  # after the first backoff


def test_http_client_error_goes_to_the_dlq(sns, sqs):
    endpoint = Endpoint()
    try:
        topic = sns.create_topic(Name=unique("http-dlq"))["TopicArn"]
        dlq_url, dlq_arn = make_queue(sqs, unique("http-dlq"))
        subscription = sns.subscribe(
            TopicArn=topic, Protocol="http", Endpoint=endpoint.url, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        sns.confirm_subscription(TopicArn=topic, Token=json.loads(endpoint.next()[1])["Token"])
        sns.set_subscription_attributes(
            SubscriptionArn=subscription,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}),
        )
        endpoint.statuses = [403]
        published = sns.publish(TopicArn=topic, Message="refused")["MessageId"]
        dead = receive_all(sqs, dlq_url, 1)
        assert len(dead) == 1
        assert json.loads(dead[0]["Body"])["MessageId"] == published
    finally:
        endpoint.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_state_and_pending_deliveries_survive_kill_9(launch_nimbus, tmp_path):
    import boto3
    from botocore.config import Config

    def client(server):
        return boto3.client(
            "sns",
            endpoint_url=server.url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )

    data = str(tmp_path / "data")
    port = free_port()  # the endpoint is down until after the crash
    first = launch_nimbus("--data-dir", data, ephemeral=False)
    sns = client(first)
    topic = sns.create_topic(Name="durable", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://127.0.0.1:{port}/hook")
    first.process.kill()
    first.process.wait()

    endpoint = Endpoint(port=port)
    try:
        second = launch_nimbus("--data-dir", data, ephemeral=False)
        sns = client(second)
        assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
        # The confirmation promised before the crash is sent after the restart.
        headers, body = endpoint.next(timeout=15)
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        confirmed = sns.confirm_subscription(TopicArn=topic, Token=json.loads(body)["Token"])["SubscriptionArn"]
        assert confirmed.startswith(topic + ":")
    finally:
        endpoint.close()


def test_envelope_names_the_topic_signature_version(sns, sqs):
    topic = sns.create_topic(Name=unique("sigv2"), Attributes={"SignatureVersion": "2"})["TopicArn"]
    url, arn = make_queue(sqs, unique("sigv2"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="signed")
    envelope = json.loads(receive_all(sqs, url, 1)[0]["Body"])
    assert envelope["SignatureVersion"] == "2"
    with pytest.raises(ClientError) as excinfo:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="3")
    assert error_of(excinfo) == ("InvalidParameter", 400)


def test_lambda_subscription_is_confirmed_and_failures_reach_its_dlq(sns, sqs):
    topic = sns.create_topic(Name=unique("lambda"))["TopicArn"]
    dlq_url, dlq_arn = make_queue(sqs, unique("lambda-dlq"))
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler"
    arn = sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=function,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    published = sns.publish(TopicArn=topic, Message="to lambda")["MessageId"]
    # No such function: the message is dead-lettered, not lost.
    dead = receive_all(sqs, dlq_url, 1)
    assert json.loads(dead[0]["Body"])["MessageId"] == published


def test_attribute_limits_names_and_structure(sns, sqs):
    topic = sns.create_topic(Name=unique("attrs"))["TopicArn"]
    envelope_url, envelope_arn = make_queue(sqs, unique("envelope"))
    raw_url, raw_arn = make_queue(sqs, unique("raw"))
    dlq_url, dlq_arn = make_queue(sqs, unique("raw-dlq"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=envelope_arn)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=raw_arn,
        Attributes={"RawMessageDelivery": "true", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    # More than 10 attributes publish fine; a raw SQS delivery cannot carry them.
    many = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(12)}
    sns.publish(TopicArn=topic, Message="many", MessageAttributes=many)
    envelope = json.loads(receive_all(sqs, envelope_url, 1)[0]["Body"])
    assert len(envelope["MessageAttributes"]) == 12
    assert [m["Body"] for m in receive_all(sqs, dlq_url, 1)] == ["many"]
    assert_empty(sqs, raw_url)

    # Attributes travel only with String-structured messages.
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "structured"}),
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    envelope = json.loads(receive_all(sqs, envelope_url, 1)[0]["Body"])
    assert envelope["Message"] == "structured"
    assert "MessageAttributes" not in envelope
    raw = receive_all(sqs, raw_url, 1)[0]
    assert raw["Body"] == "structured"
    assert "MessageAttributes" not in raw

    for name in ["AWS.reserved", "amazon.x", ".lead", "trail.", "two..dots", "sp ace", "x" * 257]:
        with pytest.raises(ClientError) as excinfo:
            sns.publish(TopicArn=topic, Message="m", MessageAttributes={name: {"DataType": "String", "StringValue": "v"}})
        assert error_of(excinfo) == ("ParameterValueInvalid", 400), name
