"""`--enforce-iam` end to end: every request signature-verified and held to
IAM's policies, as AWS evaluates them (the IAM user guide's "Policy
evaluation logic" and "Cross-account policy evaluation logic").

Each test starts its own nimbus with `--enforce-iam` (`launch_nimbus` from
conftest.py; startup takes a few tens of milliseconds), so tests share no
state. The enforced services today are SQS (queue policies are the queue's
`Policy` attribute), SNS (topic policies), DynamoDB (the calls on one
table), IAM, STS and S3 (tests/test_s3_iam.py).

Principals: key `test` is the root user of 000000000000, a 12-digit key the
root user of that account, keys from CreateAccessKey their IAM user, and
AssumeRole's credentials the role session. Unsigned requests are anonymous.

Every refusal is checked for its code, HTTP status and message, and for
having changed nothing (as the owning account's root user sees it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION

ACCOUNT = "000000000000"
OTHER = "222222222222"
THIRD = "333333333333"
AWS_POLICY = "arn:aws:iam::aws:policy/"
SQS_FULL = AWS_POLICY + "AmazonSQSFullAccess"
SQS_READ_ONLY = AWS_POLICY + "AmazonSQSReadOnlyAccess"

# The kinds of policy refusals name.
IDENTITY = "identity-based policy"
RESOURCE = "resource-based policy"
BOUNDARY = "permissions boundary"

# One botocore session for the module: its clients share loaded models.
SESSION = boto3.session.Session()


# ------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class Keys:
    """Credentials a client signs with."""

    key: str
    secret: str = "test"
    token: str | None = None


ROOT = Keys("test")
OTHER_ROOT = Keys(OTHER)
THIRD_ROOT = Keys(THIRD)


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def queue_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def user_arn(name: str, account: str = ACCOUNT, path: str = "/") -> str:
    return f"arn:aws:iam::{account}:user{path}{name}"


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def session_arn(role: str, session: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def root_arn(account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:root"


def no_allow(kind: str, action: str) -> str:
    return f"because no {kind} allows the {action} action"


def explicit_deny(kind: str) -> str:
    article = "an" if kind[0] in "aeiou" else "a"
    return f"with an explicit deny in {article} {kind}"


def not_authorized(principal: str, action: str, resource: str | None, why: str) -> str:
    """AWS's access denied message (`resource` None for actions on none)."""
    on = f" on resource: {resource}" if resource else ""
    return f"User: {principal} is not authorized to perform: {action}{on} {why}"


def sqs_denied(principal: str, action: str, resource: str | None, kind: str, explicit: bool = False) -> str:
    """SQS's refusal: the action in lower case (`sqs:sendmessage`)."""
    action = action.lower()
    return not_authorized(principal, action, resource, explicit_deny(kind) if explicit else no_allow(kind, action))


def iam_denied(principal: str, action: str, resource: str | None, kind: str = IDENTITY, explicit: bool = False) -> str:
    """IAM's and STS's refusal: the action as IAM spells it."""
    return not_authorized(principal, action, resource, explicit_deny(kind) if explicit else no_allow(kind, action))


def refusal(call: Callable, *args, **kwargs) -> tuple[str, int, str]:
    """Calls `call`, which must fail: (code, HTTP status, message)."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )


def access_denied(message: str) -> tuple[str, int, str]:
    return ("AccessDenied", 403, message)


class Cloud:
    """A nimbus run with --enforce-iam, and clients for its principals."""

    def __init__(self, url: str):
        self.url = url

    def client(self, service: str, keys: Keys | None = ROOT, region: str = REGION):
        """A client signed with `keys` (`None`: unsigned, anonymous)."""
        config = {"retries": {"max_attempts": 1, "mode": "standard"}}
        if keys is None:
            config["signature_version"] = UNSIGNED
            keys = ROOT  # botocore wants some; UNSIGNED never uses them
        return SESSION.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=keys.key,
            aws_secret_access_key=keys.secret,
            aws_session_token=keys.token,
            config=Config(**config),
        )

    # --- IAM, as an account's root user

    def user(
        self,
        name: str,
        *statements: dict,
        attach: tuple[str, ...] = (),
        owner: Keys = ROOT,
        **create,
    ) -> Keys:
        """Creates user `name` (in `owner`'s account) with an inline policy
        of `statements` (if any) and the managed policies `attach`; returns
        a new access key of it."""
        iam = self.client("iam", owner)
        iam.create_user(UserName=name, **create)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=document(*statements))
        for arn in attach:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Keys(key["AccessKeyId"], key["SecretAccessKey"])

    def managed_policy(self, name: str, *statements: dict, owner: Keys = ROOT) -> str:
        return self.client("iam", owner).create_policy(PolicyName=name, PolicyDocument=document(*statements))[
            "Policy"
        ]["Arn"]

    def role(self, name: str, trust: dict, *statements: dict) -> str:
        iam = self.client("iam")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=document(trust))
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=document(*statements))
        return role_arn(name)

    def assume(self, keys: Keys, role: str, session: str = "session") -> Keys:
        issued = self.client("sts", keys).assume_role(RoleArn=role, RoleSessionName=session)["Credentials"]
        return Keys(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])

    def user_names(self, owner: Keys = ROOT) -> list[str]:
        return [u["UserName"] for u in self.client("iam", owner).list_users()["Users"]]

    # --- SQS, as the queue owner's root user

    def queue(self, name: str, region: str = REGION, policy: str | None = None) -> str:
        attributes = {"Policy": policy} if policy else {}
        return self.client("sqs", region=region).create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    def set_queue_policy(self, url: str, *statements: dict) -> None:
        self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": document(*statements)})

    def messages(self, url: str, region: str = REGION) -> int:
        """Messages in the queue, visible or not, as its owner sees them."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        counts = self.client("sqs", region=region).get_queue_attributes(QueueUrl=url, AttributeNames=names)
        return sum(int(counts["Attributes"][n]) for n in names)

    def queue_names(self, region: str = REGION) -> list[str]:
        urls = self.client("sqs", region=region).list_queues().get("QueueUrls", [])
        return [url.rsplit("/", 1)[1] for url in urls]


def trusting(principal: str) -> dict:
    """A trust policy statement letting `principal` assume the role."""
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}


def queue_policy_statement(principal, action: str | list[str], resource: str, effect: str = "Allow") -> dict:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}


@pytest.fixture
def cloud(launch_nimbus) -> Cloud:
    return Cloud(launch_nimbus("--enforce-iam").url)


def send(sqs, url: str, body: str = "hello") -> str:
    return sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]


# ------------------------------------------------------- identity-based policies


def test_root_is_allowed_everything_in_its_account(cloud):
    url = cloud.queue("q1")
    sqs = cloud.client("sqs")
    send(sqs, url)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["hello"]
    cloud.client("iam").create_user(UserName="made-by-root")
    assert cloud.user_names() == ["made-by-root"]


def test_user_without_policies_is_refused_and_nothing_changes(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice"))
    me = user_arn("alice")

    assert refusal(send, alice, url) == access_denied(
        sqs_denied(me, "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 0

    assert refusal(alice.create_queue, QueueName="q2") == access_denied(
        sqs_denied(me, "sqs:CreateQueue", queue_arn("q2"), IDENTITY)
    )
    assert cloud.queue_names() == ["q1"]

    # ListQueues names no resource.
    assert refusal(alice.list_queues) == access_denied(sqs_denied(me, "sqs:ListQueues", None, IDENTITY))
    assert refusal(alice.get_queue_attributes, QueueUrl=url) == access_denied(
        sqs_denied(me, "sqs:GetQueueAttributes", queue_arn("q1"), IDENTITY)
    )


def test_inline_user_policy_allows_what_it_names(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:SendMessage", queue_arn("q1"))))
    send(alice, url)
    alice.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}])
    assert cloud.messages(url) == 3
    # Nothing else.
    assert refusal(alice.receive_message, QueueUrl=url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:ReceiveMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 3


def test_policy_changes_take_effect_at_once(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:SendMessage")))
    send(alice, url)
    cloud.client("iam").delete_user_policy(UserName="alice", PolicyName="inline")
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 1


def test_customer_managed_policy_attached_to_user_allows(cloud):
    url = cloud.queue("q1")
    policy = cloud.managed_policy("send", allow(["sqs:SendMessage", "sqs:ReceiveMessage"], queue_arn("q1")))
    keys = cloud.user("alice", attach=(policy,))
    alice = cloud.client("sqs", keys)
    send(alice, url)
    assert [m["Body"] for m in alice.receive_message(QueueUrl=url)["Messages"]] == ["hello"]

    cloud.client("iam").detach_user_policy(UserName="alice", PolicyArn=policy)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 1


def test_new_default_version_of_a_managed_policy_applies(cloud):
    url = cloud.queue("q1")
    policy = cloud.managed_policy("p", allow("sqs:GetQueueAttributes"))
    alice = cloud.client("sqs", cloud.user("alice", attach=(policy,)))
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    cloud.client("iam").create_policy_version(
        PolicyArn=policy, PolicyDocument=document(allow("sqs:SendMessage")), SetAsDefault=True
    )
    send(alice, url)
    assert cloud.messages(url) == 1


def test_group_policies_apply_to_members(cloud):
    url = cloud.queue("q1")
    iam = cloud.client("iam")
    iam.create_group(GroupName="senders")
    iam.put_group_policy(GroupName="senders", PolicyName="send", PolicyDocument=document(allow("sqs:SendMessage")))
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(
        GroupName="readers", PolicyArn=cloud.managed_policy("read", allow("sqs:GetQueueAttributes"))
    )
    keys = cloud.user("alice")
    alice = cloud.client("sqs", keys)
    me = user_arn("alice")

    assert refusal(send, alice, url) == access_denied(sqs_denied(me, "sqs:SendMessage", queue_arn("q1"), IDENTITY))
    iam.add_user_to_group(GroupName="senders", UserName="alice")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    send(alice, url)  # the group's inline policy
    alice.get_queue_attributes(QueueUrl=url)  # the group's attached policy
    assert cloud.messages(url) == 1

    iam.remove_user_from_group(GroupName="senders", UserName="alice")
    assert refusal(send, alice, url) == access_denied(sqs_denied(me, "sqs:SendMessage", queue_arn("q1"), IDENTITY))
    assert cloud.messages(url) == 1


def test_aws_managed_sqs_full_access(cloud):
    alice = cloud.client("sqs", cloud.user("alice", attach=(SQS_FULL,)))
    url = alice.create_queue(QueueName="mine")["QueueUrl"]
    send(alice, url)
    message = alice.receive_message(QueueUrl=url)["Messages"][0]
    alice.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    alice.delete_queue(QueueUrl=url)
    assert cloud.queue_names() == []
    # Not IAM, though.
    iam = cloud.client("iam", cloud.user("bob", attach=(SQS_FULL,)))
    assert refusal(iam.list_users) == access_denied(iam_denied(user_arn("bob"), "iam:ListUsers", None))


def test_aws_managed_sqs_read_only_access(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", attach=(SQS_READ_ONLY,)))
    me = user_arn("alice")
    assert alice.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"] == {
        "QueueArn": queue_arn("q1")
    }
    assert alice.list_queues()["QueueUrls"] == [url]
    assert alice.get_queue_url(QueueName="q1")["QueueUrl"] == url
    alice.list_queue_tags(QueueUrl=url)

    assert refusal(send, alice, url) == access_denied(sqs_denied(me, "sqs:SendMessage", queue_arn("q1"), IDENTITY))
    assert refusal(alice.receive_message, QueueUrl=url) == access_denied(
        sqs_denied(me, "sqs:ReceiveMessage", queue_arn("q1"), IDENTITY)
    )
    assert refusal(alice.delete_queue, QueueUrl=url) == access_denied(
        sqs_denied(me, "sqs:DeleteQueue", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 0
    assert cloud.queue_names() == ["q1"]


def test_get_queue_url_and_list_queues_need_their_own_actions(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:GetQueueUrl", queue_arn("q1"))))
    assert alice.get_queue_url(QueueName="q1")["QueueUrl"] == url
    assert refusal(alice.get_queue_url, QueueName="q2") == access_denied(
        sqs_denied(user_arn("alice"), "sqs:GetQueueUrl", queue_arn("q2"), IDENTITY)
    )
    # ListQueues names no resource: a statement scoped to a queue does not cover it.
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="list", PolicyDocument=document(allow("sqs:ListQueues", queue_arn("q1")))
    )
    assert refusal(alice.list_queues) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:ListQueues", None, IDENTITY)
    )


def test_explicit_deny_beats_allow(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:*"), deny("sqs:SendMessage")))
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY, explicit=True)
    )
    assert cloud.messages(url) == 0
    alice.get_queue_attributes(QueueUrl=url)


def test_explicit_deny_in_a_group_beats_the_users_allow(cloud):
    url = cloud.queue("q1")
    iam = cloud.client("iam")
    iam.create_group(GroupName="no-send")
    iam.attach_group_policy(GroupName="no-send", PolicyArn=cloud.managed_policy("deny-send", deny("sqs:Send*")))
    alice = cloud.client("sqs", cloud.user("alice", attach=(SQS_FULL,)))
    send(alice, url)
    iam.add_user_to_group(GroupName="no-send", UserName="alice")
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY, explicit=True)
    )
    assert cloud.messages(url) == 1


def test_not_action_allows_all_but_the_named(cloud):
    url = cloud.queue("q1")
    statement = {"Effect": "Allow", "NotAction": ["sqs:DeleteQueue", "sqs:PurgeQueue"], "Resource": "*"}
    alice = cloud.client("sqs", cloud.user("alice", statement))
    send(alice, url)
    assert refusal(alice.purge_queue, QueueUrl=url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:PurgeQueue", queue_arn("q1"), IDENTITY)
    )
    assert refusal(alice.delete_queue, QueueUrl=url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:DeleteQueue", queue_arn("q1"), IDENTITY)
    )
    assert cloud.queue_names() == ["q1"]
    assert cloud.messages(url) == 1


def test_deny_with_not_action_denies_all_but_the_named(cloud):
    url = cloud.queue("q1")
    statement = {"Effect": "Deny", "NotAction": "sqs:GetQueueAttributes", "Resource": "*"}
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:*"), statement))
    alice.get_queue_attributes(QueueUrl=url)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY, explicit=True)
    )
    assert cloud.messages(url) == 0


def test_resource_scoped_to_one_queue(cloud):
    first, second = cloud.queue("q1"), cloud.queue("q2")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:SendMessage", queue_arn("q1"))))
    send(alice, first)
    assert refusal(send, alice, second) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q2"), IDENTITY)
    )
    assert (cloud.messages(first), cloud.messages(second)) == (1, 0)


def test_not_resource_allows_all_but_the_named_queue(cloud):
    first, second = cloud.queue("q1"), cloud.queue("q2")
    statement = {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": queue_arn("q2")}
    alice = cloud.client("sqs", cloud.user("alice", statement))
    send(alice, first)
    assert refusal(send, alice, second) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q2"), IDENTITY)
    )
    assert (cloud.messages(first), cloud.messages(second)) == (1, 0)


def test_wildcards_in_actions(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:Send*")))
    send(alice, url)
    alice.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "b"}])
    assert cloud.messages(url) == 2
    assert refusal(alice.receive_message, QueueUrl=url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:ReceiveMessage", queue_arn("q1"), IDENTITY)
    )


def test_action_names_match_without_regard_to_case(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow(["SQS:SENDMESSAGE", "sqs:getqueue?ttributes"])))
    send(alice, url)
    alice.get_queue_attributes(QueueUrl=url)
    assert cloud.messages(url) == 1


def test_wildcards_in_resources(cloud):
    orders, audit = cloud.queue("orders-eu"), cloud.queue("audit")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:SendMessage", "arn:aws:sqs:*:000000000000:orders-*")))
    send(alice, orders)
    assert refusal(send, alice, audit) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("audit"), IDENTITY)
    )
    assert (cloud.messages(orders), cloud.messages(audit)) == (1, 0)


def test_username_policy_variable_in_resource(cloud):
    mine, theirs = cloud.queue("alice-inbox"), cloud.queue("bob-inbox")
    statement = allow(["sqs:SendMessage", "sqs:CreateQueue"], "arn:aws:sqs:us-east-1:000000000000:${aws:username}-*")
    alice = cloud.client("sqs", cloud.user("alice", statement))
    send(alice, mine)
    alice.create_queue(QueueName="alice-outbox")
    assert refusal(send, alice, theirs) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("bob-inbox"), IDENTITY)
    )
    assert refusal(alice.create_queue, QueueName="bob-outbox") == access_denied(
        sqs_denied(user_arn("alice"), "sqs:CreateQueue", queue_arn("bob-outbox"), IDENTITY)
    )
    assert (cloud.messages(mine), cloud.messages(theirs)) == (1, 0)
    assert sorted(cloud.queue_names()) == ["alice-inbox", "alice-outbox", "bob-inbox"]


def test_principal_tag_condition(cloud):
    url = cloud.queue("q1")
    condition = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:SendMessage", Condition=condition)))
    refused = access_denied(sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY))
    iam = cloud.client("iam")

    assert refusal(send, alice, url) == refused  # untagged
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    send(alice, url)
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
    assert refusal(send, alice, url) == refused
    assert cloud.messages(url) == 1


def test_principal_tag_policy_variable(cloud):
    blue, red = cloud.queue("blue-work"), cloud.queue("red-work")
    statement = allow("sqs:SendMessage", "arn:aws:sqs:*:*:${aws:PrincipalTag/team}-*")
    alice = cloud.client("sqs", cloud.user("alice", statement, Tags=[{"Key": "team", "Value": "blue"}]))
    send(alice, blue)
    assert refusal(send, alice, red) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("red-work"), IDENTITY)
    )
    assert (cloud.messages(blue), cloud.messages(red)) == (1, 0)


def test_requested_region_condition(cloud):
    east = cloud.queue("q1")
    west = cloud.queue("q1", region="us-west-2")
    condition = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    keys = cloud.user("alice", allow("sqs:*", Condition=condition))
    send(cloud.client("sqs", keys), east)
    in_west = cloud.client("sqs", keys, region="us-west-2")
    assert refusal(send, in_west, west) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1", region="us-west-2"), IDENTITY)
    )
    assert refusal(in_west.create_queue, QueueName="q2") == access_denied(
        sqs_denied(user_arn("alice"), "sqs:CreateQueue", queue_arn("q2", region="us-west-2"), IDENTITY)
    )
    assert (cloud.messages(east), cloud.messages(west, region="us-west-2")) == (1, 0)
    assert cloud.queue_names(region="us-west-2") == ["q1"]


def test_current_time_conditions(cloud):
    url = cloud.queue("q1")
    expired = allow("sqs:SendMessage", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    started = allow(
        "sqs:GetQueueAttributes", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    )
    alice = cloud.client("sqs", cloud.user("alice", expired, started))
    alice.get_queue_attributes(QueueUrl=url)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 0


def test_condition_on_a_key_the_request_lacks(cloud):
    url = cloud.queue("q1")
    # No request to nimbus has aws:SourceVpc: a plain operator on it does
    # not match; ...IfExists does.
    plain = allow("sqs:SendMessage", Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})
    if_exists = allow("sqs:GetQueueAttributes", Condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})
    alice = cloud.client("sqs", cloud.user("alice", plain, if_exists))
    alice.get_queue_attributes(QueueUrl=url)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 0


# ------------------------------------------------------------ permissions boundary


def test_permissions_boundary_caps_identity_policies(cloud):
    url = cloud.queue("q1")
    boundary = cloud.managed_policy("boundary", allow(["sqs:ReceiveMessage", "sqs:GetQueueAttributes"]))
    keys = cloud.user("alice", attach=(SQS_FULL,), PermissionsBoundary=boundary)
    alice = cloud.client("sqs", keys)
    alice.get_queue_attributes(QueueUrl=url)
    alice.receive_message(QueueUrl=url)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), BOUNDARY)
    )
    assert cloud.messages(url) == 0

    cloud.client("iam").delete_user_permissions_boundary(UserName="alice")
    send(alice, url)
    assert cloud.messages(url) == 1


def test_permissions_boundary_grants_nothing_by_itself(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", PermissionsBoundary=SQS_FULL))
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 0


def test_permissions_boundary_put_later_applies_at_once(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", attach=(SQS_FULL,)))
    send(alice, url)
    cloud.client("iam").put_user_permissions_boundary(UserName="alice", PermissionsBoundary=SQS_READ_ONLY)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), BOUNDARY)
    )
    alice.get_queue_attributes(QueueUrl=url)
    assert cloud.messages(url) == 1


def test_permissions_boundary_does_not_limit_a_queue_policy_naming_the_user(cloud):
    # "Permissions boundaries do not define the maximum permissions that a
    # resource-based policy can grant to an entity" (CreateUser's reference).
    url = cloud.queue("q1")
    keys = cloud.user("alice", attach=(SQS_FULL,), PermissionsBoundary=SQS_READ_ONLY)
    alice = cloud.client("sqs", keys)
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), BOUNDARY)
    )
    cloud.set_queue_policy(url, queue_policy_statement({"AWS": user_arn("alice")}, "sqs:SendMessage", queue_arn("q1")))
    send(alice, url)
    assert cloud.messages(url) == 1


# --------------------------------------------- resource policies and other accounts


def test_other_accounts_root_needs_the_queue_policy(cloud):
    url = cloud.queue("q1")
    other = cloud.client("sqs", OTHER_ROOT)
    assert refusal(send, other, url) == access_denied(
        sqs_denied(root_arn(OTHER), "sqs:SendMessage", queue_arn("q1"), RESOURCE)
    )
    assert refusal(other.get_queue_attributes, QueueUrl=url) == access_denied(
        sqs_denied(root_arn(OTHER), "sqs:GetQueueAttributes", queue_arn("q1"), RESOURCE)
    )
    assert cloud.messages(url) == 0


def test_queue_policy_lets_another_account_send_but_not_receive(cloud):
    url = cloud.queue("q1")
    cloud.set_queue_policy(url, queue_policy_statement({"AWS": OTHER}, "sqs:SendMessage", queue_arn("q1")))
    other = cloud.client("sqs", OTHER_ROOT)
    send(other, url, "from 222")
    assert cloud.messages(url) == 1
    assert refusal(other.receive_message, QueueUrl=url) == access_denied(
        sqs_denied(root_arn(OTHER), "sqs:ReceiveMessage", queue_arn("q1"), RESOURCE)
    )
    assert refusal(other.purge_queue, QueueUrl=url) == access_denied(
        sqs_denied(root_arn(OTHER), "sqs:PurgeQueue", queue_arn("q1"), RESOURCE)
    )
    assert [m["Body"] for m in cloud.client("sqs").receive_message(QueueUrl=url)["Messages"]] == ["from 222"]
    # A third account is not named.
    assert refusal(send, cloud.client("sqs", THIRD_ROOT), url) == access_denied(
        sqs_denied(root_arn(THIRD), "sqs:SendMessage", queue_arn("q1"), RESOURCE)
    )


def test_queue_policy_set_at_creation_applies(cloud):
    policy = document(queue_policy_statement({"AWS": root_arn(OTHER)}, "sqs:SendMessage", queue_arn("q1")))
    url = cloud.queue("q1", policy=policy)
    send(cloud.client("sqs", OTHER_ROOT), url)
    assert cloud.messages(url) == 1


def test_other_accounts_user_needs_its_own_identity_policy_too(cloud):
    url = cloud.queue("q1")
    cloud.set_queue_policy(url, queue_policy_statement({"AWS": OTHER}, "sqs:SendMessage", queue_arn("q1")))
    carol = cloud.client("sqs", cloud.user("carol", owner=OTHER_ROOT))
    me = user_arn("carol", OTHER)
    assert refusal(send, carol, url) == access_denied(sqs_denied(me, "sqs:SendMessage", queue_arn("q1"), IDENTITY))
    assert cloud.messages(url) == 0

    cloud.client("iam", OTHER_ROOT).put_user_policy(
        UserName="carol", PolicyName="send", PolicyDocument=document(allow("sqs:SendMessage", queue_arn("q1")))
    )
    send(carol, url)
    assert cloud.messages(url) == 1


def test_identity_policy_alone_does_not_reach_another_account(cloud):
    url = cloud.queue("q1")
    carol = cloud.client("sqs", cloud.user("carol", allow("sqs:*"), owner=OTHER_ROOT))
    assert refusal(send, carol, url) == access_denied(
        sqs_denied(user_arn("carol", OTHER), "sqs:SendMessage", queue_arn("q1"), RESOURCE)
    )
    assert cloud.messages(url) == 0


def test_cross_account_queue_policy_naming_the_user_still_needs_its_identity_policy(cloud):
    url = cloud.queue("q1")
    carol_keys = cloud.user("carol", owner=OTHER_ROOT)
    cloud.set_queue_policy(
        url, queue_policy_statement({"AWS": user_arn("carol", OTHER)}, "sqs:SendMessage", queue_arn("q1"))
    )
    carol = cloud.client("sqs", carol_keys)
    assert refusal(send, carol, url) == access_denied(
        sqs_denied(user_arn("carol", OTHER), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 0


def test_queue_policy_condition_on_the_principals_account(cloud):
    url = cloud.queue("q1")
    statement = queue_policy_statement("*", "sqs:SendMessage", queue_arn("q1"))
    statement["Condition"] = {"StringEquals": {"aws:PrincipalAccount": OTHER}}
    cloud.set_queue_policy(url, statement)
    send(cloud.client("sqs", OTHER_ROOT), url)
    assert refusal(send, cloud.client("sqs", THIRD_ROOT), url) == access_denied(
        sqs_denied(root_arn(THIRD), "sqs:SendMessage", queue_arn("q1"), RESOURCE)
    )
    # An anonymous caller has no account: the condition does not match.
    assert refusal(send, cloud.client("sqs", None), url) == access_denied(
        sqs_denied("anonymous", "sqs:SendMessage", queue_arn("q1"), RESOURCE)
    )
    assert cloud.messages(url) == 1


def test_explicit_deny_in_queue_policy_beats_sqs_star(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice", allow("sqs:*")))
    send(alice, url)
    cloud.set_queue_policy(
        url, queue_policy_statement({"AWS": user_arn("alice")}, "sqs:SendMessage", queue_arn("q1"), effect="Deny")
    )
    assert refusal(send, alice, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), RESOURCE, explicit=True)
    )
    assert cloud.messages(url) == 1
    alice.receive_message(QueueUrl=url)  # only SendMessage is denied


def test_explicit_deny_in_queue_policy_binds_the_root_user_too(cloud):
    url = cloud.queue("q1")
    cloud.set_queue_policy(url, queue_policy_statement("*", "sqs:SendMessage", queue_arn("q1"), effect="Deny"))
    assert refusal(send, cloud.client("sqs"), url) == access_denied(
        sqs_denied(root_arn(), "sqs:SendMessage", queue_arn("q1"), RESOURCE, explicit=True)
    )
    assert cloud.messages(url) == 0


def test_queue_policy_naming_the_user_allows_without_identity_policy(cloud):
    url = cloud.queue("q1")
    alice = cloud.client("sqs", cloud.user("alice"))
    cloud.set_queue_policy(url, queue_policy_statement({"AWS": user_arn("alice")}, "sqs:SendMessage", queue_arn("q1")))
    send(alice, url)
    assert cloud.messages(url) == 1
    assert refusal(alice.receive_message, QueueUrl=url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:ReceiveMessage", queue_arn("q1"), IDENTITY)
    )
    # Another user of the account is not named.
    bob = cloud.client("sqs", cloud.user("bob"))
    assert refusal(send, bob, url) == access_denied(
        sqs_denied(user_arn("bob"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 1


def test_queue_policy_for_another_queue_grants_nothing(cloud):
    first, second = cloud.queue("q1"), cloud.queue("q2")
    alice = cloud.client("sqs", cloud.user("alice"))
    cloud.set_queue_policy(
        first, queue_policy_statement({"AWS": user_arn("alice")}, "sqs:SendMessage", queue_arn("q2"))
    )
    assert refusal(send, alice, first) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert refusal(send, alice, second) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q2"), IDENTITY)
    )
    assert (cloud.messages(first), cloud.messages(second)) == (0, 0)


def test_anonymous_request_needs_a_public_queue_policy(cloud):
    url = cloud.queue("q1")
    anonymous = cloud.client("sqs", None)
    assert refusal(send, anonymous, url) == access_denied(
        sqs_denied("anonymous", "sqs:SendMessage", queue_arn("q1"), RESOURCE)
    )
    assert cloud.messages(url) == 0

    cloud.set_queue_policy(url, queue_policy_statement("*", "sqs:SendMessage", queue_arn("q1")))
    send(anonymous, url, "anonymous")
    assert cloud.messages(url) == 1
    assert refusal(anonymous.receive_message, QueueUrl=url) == access_denied(
        sqs_denied("anonymous", "sqs:ReceiveMessage", queue_arn("q1"), RESOURCE)
    )
    assert refusal(anonymous.create_queue, QueueName="q2") == access_denied(
        sqs_denied("anonymous", "sqs:CreateQueue", queue_arn("q2"), RESOURCE)
    )
    assert cloud.queue_names() == ["q1"]
    assert [m["Body"] for m in cloud.client("sqs").receive_message(QueueUrl=url)["Messages"]] == ["anonymous"]


def test_anonymous_iam_request_is_refused(cloud):
    # AWS answers MissingAuthenticationToken before any policy is read (see
    # the STS xfails below); what matters here is that nothing is created.
    # (An unsigned CreateUser names no service: nimbus routes its Action to
    # another one, so CreateRole stands in for it.)
    iam = cloud.client("iam", None)
    _, status, _ = refusal(iam.list_users)
    assert status == 403
    trust = document(trusting("*"))
    _, status, _ = refusal(iam.create_role, RoleName="evil", AssumeRolePolicyDocument=trust)
    assert status == 403
    assert cloud.client("iam").list_roles()["Roles"] == []


def test_cross_account_get_queue_url_needs_the_queue_policy(cloud):
    cloud.queue("q1")
    other = cloud.client("sqs", OTHER_ROOT)
    assert refusal(other.get_queue_url, QueueName="q1", QueueOwnerAWSAccountId=ACCOUNT) == access_denied(
        sqs_denied(root_arn(OTHER), "sqs:GetQueueUrl", queue_arn("q1"), RESOURCE)
    )


# --------------------------------------------------------------------------- STS


def test_assume_role_when_the_trust_policy_names_the_user(cloud):
    alice = cloud.user("alice")
    role = cloud.role("reader", trusting(user_arn("alice")))
    session = cloud.assume(alice, role, "alice-session")
    identity = cloud.client("sts", session).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ACCOUNT, session_arn("reader", "alice-session"))
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":alice-session")


def test_assume_role_refused_for_a_user_the_trust_policy_does_not_name(cloud):
    cloud.user("alice")
    bob = cloud.user("bob", allow("sts:AssumeRole"))
    role = cloud.role("reader", trusting(user_arn("alice")))
    sts = cloud.client("sts", bob)
    assert refusal(sts.assume_role, RoleArn=role, RoleSessionName="bob-session") == access_denied(
        iam_denied(user_arn("bob"), "sts:AssumeRole", role, RESOURCE)
    )


def test_assume_role_refused_for_a_role_that_does_not_exist(cloud):
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    missing = role_arn("missing")
    sts = cloud.client("sts", alice)
    assert refusal(sts.assume_role, RoleArn=missing, RoleSessionName="s1") == access_denied(
        iam_denied(user_arn("alice"), "sts:AssumeRole", missing, RESOURCE)
    )


def test_explicit_deny_in_trust_policy(cloud):
    alice = cloud.user("alice")
    trust = [
        trusting(root_arn()),
        {"Effect": "Deny", "Principal": {"AWS": user_arn("alice")}, "Action": "sts:AssumeRole"},
    ]
    cloud.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=document(*trust))
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="assume", PolicyDocument=document(allow("sts:AssumeRole"))
    )
    sts = cloud.client("sts", alice)
    assert refusal(sts.assume_role, RoleArn=role_arn("r"), RoleSessionName="s1") == access_denied(
        iam_denied(user_arn("alice"), "sts:AssumeRole", role_arn("r"), RESOURCE, explicit=True)
    )


def test_same_account_trust_naming_the_account_needs_an_identity_policy(cloud):
    role = cloud.role("r", trusting(root_arn()))
    alice = cloud.user("alice")
    assert refusal(cloud.client("sts", alice).assume_role, RoleArn=role, RoleSessionName="s1") == access_denied(
        iam_denied(user_arn("alice"), "sts:AssumeRole", role, IDENTITY)
    )
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="assume", PolicyDocument=document(allow("sts:AssumeRole", role))
    )
    session = cloud.assume(alice, role, "s1")
    assert cloud.client("sts", session).get_caller_identity()["Arn"] == session_arn("r", "s1")


def test_cross_account_assume_role(cloud):
    role = cloud.role("shared", trusting(root_arn(OTHER)))

    # Root users assume no roles, trusted or not.
    assert refusal(cloud.client("sts", OTHER_ROOT).assume_role, RoleArn=role, RoleSessionName="r1") == (
        access_denied("Roles may not be assumed by root accounts.")
    )

    # A user of the other account (the account is trusted): only with its
    # own identity policy.
    carol = cloud.user("carol", owner=OTHER_ROOT)
    sts = cloud.client("sts", carol)
    assert refusal(sts.assume_role, RoleArn=role, RoleSessionName="carol") == access_denied(
        iam_denied(user_arn("carol", OTHER), "sts:AssumeRole", role, IDENTITY)
    )
    other_iam = cloud.client("iam", OTHER_ROOT)
    other_iam.put_user_policy(
        UserName="carol", PolicyName="assume", PolicyDocument=document(allow("sts:AssumeRole", role_arn("elsewhere")))
    )
    assert refusal(sts.assume_role, RoleArn=role, RoleSessionName="carol") == access_denied(
        iam_denied(user_arn("carol", OTHER), "sts:AssumeRole", role, IDENTITY)
    )
    other_iam.put_user_policy(
        UserName="carol", PolicyName="assume", PolicyDocument=document(allow("sts:AssumeRole", role))
    )
    carol_session = cloud.assume(carol, role, "carol")
    identity = cloud.client("sts", carol_session).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ACCOUNT, session_arn("shared", "carol"))

    # A third account is not trusted, whatever its own policies say.
    dave = cloud.user("dave", allow("sts:AssumeRole"), owner=THIRD_ROOT)
    assert refusal(cloud.client("sts", dave).assume_role, RoleArn=role, RoleSessionName="dave") == access_denied(
        iam_denied(user_arn("dave", THIRD), "sts:AssumeRole", role, RESOURCE)
    )
    assert refusal(cloud.client("sts", THIRD_ROOT).assume_role, RoleArn=role, RoleSessionName="root3") == (
        access_denied(iam_denied(root_arn(THIRD), "sts:AssumeRole", role, RESOURCE))
    )


def test_role_session_has_the_roles_permissions(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow("sqs:*"))
    role = cloud.role("worker", trusting(user_arn("alice")))
    session = cloud.assume(alice, role, "job-1")
    sqs = cloud.client("sqs", session)
    me = session_arn("worker", "job-1")

    # Not alice's permissions: the role has none yet.
    assert refusal(send, sqs, url) == access_denied(sqs_denied(me, "sqs:SendMessage", queue_arn("q1"), IDENTITY))
    assert cloud.messages(url) == 0
    assert cloud.client("sts", session).get_caller_identity()["Arn"] == me

    cloud.client("iam").attach_role_policy(
        RoleName="worker", PolicyArn=cloud.managed_policy("send", allow("sqs:SendMessage", queue_arn("q1")))
    )
    send(sqs, url)
    assert cloud.messages(url) == 1
    assert refusal(sqs.receive_message, QueueUrl=url) == access_denied(
        sqs_denied(me, "sqs:ReceiveMessage", queue_arn("q1"), IDENTITY)
    )
    # IAM too is held to the role's policies.
    assert refusal(cloud.client("iam", session).create_user, UserName="x") == access_denied(
        iam_denied(me, "iam:CreateUser", user_arn("x"))
    )
    assert cloud.user_names() == ["alice"]


def test_role_session_is_limited_by_the_roles_boundary(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice")
    role = cloud.role("worker", trusting(user_arn("alice")), allow("sqs:*"))
    cloud.client("iam").put_role_permissions_boundary(RoleName="worker", PermissionsBoundary=SQS_READ_ONLY)
    sqs = cloud.client("sqs", cloud.assume(alice, role, "job-1"))
    sqs.get_queue_attributes(QueueUrl=url)
    assert refusal(send, sqs, url) == access_denied(
        sqs_denied(session_arn("worker", "job-1"), "sqs:SendMessage", queue_arn("q1"), BOUNDARY)
    )
    assert cloud.messages(url) == 0


def test_queue_policy_naming_the_role_allows_its_sessions(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice")
    role = cloud.role("worker", trusting(user_arn("alice")))
    cloud.set_queue_policy(url, queue_policy_statement({"AWS": role}, "sqs:SendMessage", queue_arn("q1")))
    send(cloud.client("sqs", cloud.assume(alice, role, "job-1")), url)
    assert cloud.messages(url) == 1


def test_get_caller_identity_needs_no_permission(cloud):
    alice = cloud.user("alice", deny("*"))
    identity = cloud.client("sts", alice).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ACCOUNT, user_arn("alice"))
    other = cloud.client("sts", OTHER_ROOT).get_caller_identity()
    assert (other["Account"], other["Arn"]) == (OTHER, root_arn(OTHER))


def test_session_token_acts_as_the_user(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice")
    issued = cloud.client("sts", alice).get_session_token()["Credentials"]
    temporary = Keys(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    assert cloud.client("sts", temporary).get_caller_identity()["Arn"] == user_arn("alice")
    sqs = cloud.client("sqs", temporary)
    assert refusal(send, sqs, url) == access_denied(
        sqs_denied(user_arn("alice"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="send", PolicyDocument=document(allow("sqs:SendMessage"))
    )
    send(sqs, url)
    assert cloud.messages(url) == 1


def test_anonymous_get_session_token_is_refused(cloud):
    sts = cloud.client("sts", None)
    code, status, _ = refusal(sts.get_session_token)
    assert (code, status) == ("MissingAuthenticationToken", 403)


def test_anonymous_get_caller_identity_is_refused(cloud):
    sts = cloud.client("sts", None)
    code, status, _ = refusal(sts.get_caller_identity)
    assert (code, status) == ("MissingAuthenticationToken", 403)


# ------------------------------------------------------------- IAM self-management


def test_user_without_iam_permissions_cannot_create_users(cloud):
    iam = cloud.client("iam", cloud.user("alice"))
    assert refusal(iam.create_user, UserName="bob") == access_denied(
        iam_denied(user_arn("alice"), "iam:CreateUser", user_arn("bob"))
    )
    assert cloud.user_names() == ["alice"]
    code, status, _ = refusal(cloud.client("iam").get_user, UserName="bob")
    assert (code, status) == ("NoSuchEntity", 404)


def test_create_user_scoped_to_a_path_refuses_other_paths(cloud):
    iam = cloud.client("iam", cloud.user("alice", allow("iam:CreateUser", "arn:aws:iam::000000000000:user/team/*")))
    assert refusal(iam.create_user, UserName="bob") == access_denied(
        iam_denied(user_arn("alice"), "iam:CreateUser", user_arn("bob"))
    )
    code, status, _ = refusal(iam.create_user, UserName="carol", Path="/ops/")
    assert (code, status) == ("AccessDenied", 403)
    assert cloud.user_names() == ["alice"]


def test_create_user_scoped_to_a_path_allows_that_path(cloud):
    iam = cloud.client("iam", cloud.user("alice", allow("iam:CreateUser", "arn:aws:iam::000000000000:user/team/*")))
    created = iam.create_user(UserName="bob", Path="/team/")["User"]
    assert created["Arn"] == user_arn("bob", path="/team/")
    assert sorted(cloud.user_names()) == ["alice", "bob"]
    # A refusal names the ARN with its path.
    assert refusal(iam.create_user, UserName="carol", Path="/ops/") == access_denied(
        iam_denied(user_arn("alice"), "iam:CreateUser", user_arn("carol", path="/ops/"))
    )


def test_create_policy_scoped_to_policy_arns(cloud):
    iam = cloud.client("iam", cloud.user("alice", allow("iam:CreatePolicy", "arn:aws:iam::000000000000:policy/team-*")))
    iam.create_policy(PolicyName="team-read", PolicyDocument=document(allow("sqs:GetQueueAttributes")))
    assert refusal(iam.create_policy, PolicyName="admin", PolicyDocument=document(allow("*"))) == access_denied(
        iam_denied(user_arn("alice"), "iam:CreatePolicy", "arn:aws:iam::000000000000:policy/admin")
    )


def test_iam_actions_on_existing_users_use_their_path(cloud):
    iam_root = cloud.client("iam")
    iam_root.create_user(UserName="bob", Path="/team/")
    iam_root.create_user(UserName="carol")
    iam = cloud.client("iam", cloud.user("alice", allow("iam:GetUser", "arn:aws:iam::000000000000:user/team/*")))
    assert iam.get_user(UserName="bob")["User"]["Arn"] == user_arn("bob", path="/team/")
    assert refusal(iam.get_user, UserName="carol") == access_denied(
        iam_denied(user_arn("alice"), "iam:GetUser", user_arn("carol"))
    )


def test_users_managing_their_own_keys_only(cloud):
    statement = allow(["iam:CreateAccessKey", "iam:ListAccessKeys"], "arn:aws:iam::000000000000:user/${aws:username}")
    alice_keys = cloud.user("alice", statement)
    cloud.user("bob")
    iam = cloud.client("iam", alice_keys)
    assert len(iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1
    iam.create_access_key(UserName="alice")
    assert refusal(iam.create_access_key, UserName="bob") == access_denied(
        iam_denied(user_arn("alice"), "iam:CreateAccessKey", user_arn("bob"))
    )
    assert len(cloud.client("iam").list_access_keys(UserName="bob")["AccessKeyMetadata"]) == 1
    # ... and cannot grant themselves more.
    assert refusal(
        iam.put_user_policy, UserName="alice", PolicyName="more", PolicyDocument=document(allow("*"))
    ) == access_denied(iam_denied(user_arn("alice"), "iam:PutUserPolicy", user_arn("alice")))
    assert refusal(iam.attach_user_policy, UserName="alice", PolicyArn=AWS_POLICY + "AdministratorAccess") == (
        access_denied(iam_denied(user_arn("alice"), "iam:AttachUserPolicy", user_arn("alice")))
    )
    assert cloud.client("iam").list_user_policies(UserName="alice")["PolicyNames"] == ["inline"]
    assert cloud.client("iam").list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []


def test_iam_policy_arn_condition_denies_attaching_admin(cloud):
    admin = AWS_POLICY + "AdministratorAccess"
    statements = (allow("iam:*"), deny("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": admin}}))
    iam = cloud.client("iam", cloud.user("alice", *statements))
    iam.create_user(UserName="bob")
    iam.attach_user_policy(UserName="bob", PolicyArn=SQS_READ_ONLY)
    assert refusal(iam.attach_user_policy, UserName="bob", PolicyArn=admin) == access_denied(
        iam_denied(user_arn("alice"), "iam:AttachUserPolicy", user_arn("bob"), explicit=True)
    )
    attached = cloud.client("iam").list_attached_user_policies(UserName="bob")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [SQS_READ_ONLY]


def test_administrator_access_allows_iam(cloud):
    iam = cloud.client("iam", cloud.user("alice", attach=(AWS_POLICY + "AdministratorAccess",)))
    iam.create_user(UserName="bob", Path="/team/")
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="bob")
    assert sorted(cloud.user_names()) == ["alice", "bob"]


def test_other_accounts_root_manages_only_its_own_users(cloud):
    cloud.user("alice")
    other = cloud.client("iam", OTHER_ROOT)
    # Its IAM calls act in its own account.
    assert other.list_users()["Users"] == []
    other.create_user(UserName="alice")
    assert [u["Arn"] for u in other.list_users()["Users"]] == [user_arn("alice", OTHER)]
    assert cloud.user_names() == ["alice"]


# -------------------------------------------------------------------- signatures


def test_wrong_secret_is_refused(cloud):
    keys = cloud.user("alice", allow("*"))
    wrong = Keys(keys.key, "x" * 40)
    message = (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details."
    )
    assert refusal(cloud.client("sts", wrong).get_caller_identity) == ("SignatureDoesNotMatch", 403, message)
    assert refusal(cloud.client("iam", wrong).create_user, UserName="bob") == ("SignatureDoesNotMatch", 403, message)
    # SQS speaks JSON here.
    url = cloud.queue("q1")
    assert refusal(send, cloud.client("sqs", wrong), url) == ("InvalidSignatureException", 400, message)
    assert cloud.messages(url) == 0
    assert cloud.user_names() == ["alice"]
    # The right secret works.
    send(cloud.client("sqs", keys), url)


def test_wrong_secret_for_a_root_key_is_refused(cloud):
    code, status, _ = refusal(cloud.client("sts", Keys("test", "wrong")).get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    code, status, _ = refusal(cloud.client("sts", Keys(OTHER, "wrong")).get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403)


def test_unknown_key_is_refused(cloud):
    unknown = Keys("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert refusal(cloud.client("sts", unknown).get_caller_identity) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )
    url = cloud.queue("q1")
    code, status, _ = refusal(send, cloud.client("sqs", unknown), url)
    assert (code, status) == ("UnrecognizedClientException", 400)
    assert cloud.messages(url) == 0


def test_deleted_key_is_refused(cloud):
    keys = cloud.user("alice", allow("sqs:*"))
    url = cloud.queue("q1")
    send(cloud.client("sqs", keys), url)
    cloud.client("iam").delete_access_key(UserName="alice", AccessKeyId=keys.key)
    assert refusal(cloud.client("sts", keys).get_caller_identity) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )
    code, status, _ = refusal(send, cloud.client("sqs", keys), url)
    assert (code, status) == ("UnrecognizedClientException", 400)
    assert cloud.messages(url) == 1


def test_inactive_key_is_refused_until_made_active(cloud):
    keys = cloud.user("alice", allow("sqs:*"))
    url = cloud.queue("q1")
    iam = cloud.client("iam")
    iam.update_access_key(UserName="alice", AccessKeyId=keys.key, Status="Inactive")
    assert refusal(cloud.client("sts", keys).get_caller_identity) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )
    code, status, _ = refusal(send, cloud.client("sqs", keys), url)
    assert (code, status) == ("UnrecognizedClientException", 400)
    assert cloud.messages(url) == 0

    iam.update_access_key(UserName="alice", AccessKeyId=keys.key, Status="Active")
    send(cloud.client("sqs", keys), url)
    assert cloud.messages(url) == 1


def test_deleted_user_keys_are_refused(cloud):
    keys = cloud.user("alice")
    iam = cloud.client("iam")
    iam.delete_access_key(UserName="alice", AccessKeyId=keys.key)
    iam.delete_user(UserName="alice")
    code, status, _ = refusal(cloud.client("sts", keys).get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)


# ----------------------------------------------------------- SNS and DynamoDB


def topic_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:sns:{REGION}:{account}:{name}"


def test_sns_publish_needs_an_identity_policy_and_is_refused_as_authorization_error(cloud):
    arn = cloud.client("sns").create_topic(Name="t1")["TopicArn"]
    keys = cloud.user("alice")
    code, status, message = refusal(cloud.client("sns", keys).publish, TopicArn=arn, Message="hi")
    assert (code, status) == ("AuthorizationError", 403)
    assert message == not_authorized(user_arn("alice"), "SNS:Publish", arn, no_allow(IDENTITY, "SNS:Publish"))
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="p", PolicyDocument=document(allow("sns:Publish", topic_arn("t1")))
    )
    assert cloud.client("sns", keys).publish(TopicArn=arn, Message="hi")["MessageId"]
    # The policy names one topic: another is refused.
    other = cloud.client("sns").create_topic(Name="t2")["TopicArn"]
    assert refusal(cloud.client("sns", keys).publish, TopicArn=other, Message="hi")[0] == "AuthorizationError"


def test_sns_topic_policy_lets_another_account_publish(cloud):
    arn = cloud.client("sns").create_topic(Name="t1")["TopicArn"]
    other = cloud.client("sns", OTHER_ROOT)
    message = refusal(other.publish, TopicArn=arn, Message="hi")[2]
    assert message == not_authorized(root_arn(OTHER), "SNS:Publish", arn, no_allow(RESOURCE, "SNS:Publish"))
    cloud.client("sns").set_topic_attributes(
        TopicArn=arn,
        AttributeName="Policy",
        AttributeValue=document(queue_policy_statement({"AWS": OTHER}, "sns:Publish", arn)),
    )
    assert other.publish(TopicArn=arn, Message="hi")["MessageId"]
    # Only Publish: deleting the topic stays refused.
    assert refusal(other.delete_topic, TopicArn=arn)[0] == "AuthorizationError"
    assert arn in [t["TopicArn"] for t in cloud.client("sns").list_topics()["Topics"]]


def test_dynamodb_refusal_is_access_denied_exception_and_writes_nothing(cloud):
    ddb = cloud.client("dynamodb")
    ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    keys = cloud.user("alice", allow("dynamodb:GetItem", table))
    alice = cloud.client("dynamodb", keys)
    code, status, message = refusal(alice.put_item, TableName="orders", Item={"pk": {"S": "a"}})
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == iam_denied(user_arn("alice"), "dynamodb:PutItem", table)
    assert "Item" not in ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    assert alice.get_item(TableName="orders", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_source_ip_condition_sees_the_callers_address(cloud):
    url = cloud.queue("q1")
    loopback = cloud.user("near", allow("sqs:SendMessage", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    elsewhere = cloud.user("far", allow("sqs:SendMessage", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    send(cloud.client("sqs", loopback), url)
    code, _, message = refusal(send, cloud.client("sqs", elsewhere), url)
    assert code == "AccessDenied" and no_allow(IDENTITY, "sqs:sendmessage") in message
    assert cloud.messages(url) == 1


# ------------------------------------------------------------ signature expiry


def signed_in_the_past(url: str, minutes: int) -> tuple[int, str]:
    """Sends STS GetCallerIdentity signed `minutes` ago (a captured request
    replayed later): (HTTP status, body)."""
    import datetime
    import urllib.error
    import urllib.request
    from unittest import mock

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes)
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    request = AWSRequest(
        method="POST", url=url + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=then.replace(tzinfo=None)):
        SigV4Auth(Credentials("test", "test"), "sts", REGION).add_auth(request)
    prepared = request.prepare()
    sent = urllib.request.Request(prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_a_request_replayed_twenty_minutes_later_is_refused(cloud):
    status, body = signed_in_the_past(cloud.url, 20)
    assert status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in body
    assert "Signature expired: " in body and "- 15 min.)" in body


def test_a_request_signed_ten_minutes_ago_passes(cloud):
    status, body = signed_in_the_past(cloud.url, 10)
    assert status == 200 and "arn:aws:iam::000000000000:root" in body
