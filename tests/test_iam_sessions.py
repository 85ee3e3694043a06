"""Role sessions under `--enforce-iam`, as STS starts them: the trust
policy's conditions (ExternalId, MFA, session name), session policies
(inline and managed) that cap what the session can do, session tags read
as principal tags, the role's MaxSessionDuration, and root users, who
assume no roles.

Helpers and the `cloud` fixture come from test_iam_enforcement.py.
"""

from __future__ import annotations

from test_iam_enforcement import (  # noqa: F401 (cloud is a fixture)
    IDENTITY,
    RESOURCE,
    ROOT,
    SQS_FULL,
    access_denied,
    allow,
    cloud,
    document,
    iam_denied,
    queue_arn,
    refusal,
    role_arn,
    send,
    session_arn,
    sqs_denied,
    trusting,
    user_arn,
)

SESSION_POLICY = "session policy"


def assume(cloud, keys, role: str, session: str = "s1", **extra):
    """AssumeRole as `keys`; the session's keys."""
    from test_iam_enforcement import Keys

    issued = cloud.client("sts", keys).assume_role(RoleArn=role, RoleSessionName=session, **extra)["Credentials"]
    return Keys(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])


def alice_mfa(cloud) -> dict:
    """Enables a virtual MFA device for user alice; AssumeRole's MFA members
    with its current code."""
    from test_iam_account import enable, totp

    iam = cloud.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")["VirtualMFADevice"]
    serial, seed = device["SerialNumber"], device["Base32StringSeed"]
    enable(iam, "alice", serial, seed)
    return {"SerialNumber": serial, "TokenCode": totp(seed, int(__import__("time").time()) // 30)}


def worker_role(cloud, trust_extra: dict | None = None) -> str:
    """Role `worker` with SQS full access, trusting user alice (with
    `trust_extra` merged into the trust statement)."""
    trust = {**trusting(user_arn("alice")), **(trust_extra or {})}
    role = cloud.role("worker", trust)
    cloud.client("iam").attach_role_policy(RoleName="worker", PolicyArn=SQS_FULL)
    return role


def test_root_users_assume_no_roles(cloud):
    role = cloud.role("r", trusting("arn:aws:iam::000000000000:root"))
    assert refusal(cloud.client("sts", ROOT).assume_role, RoleArn=role, RoleSessionName="s1") == access_denied(
        "Roles may not be assumed by root accounts."
    )


def test_external_id_condition_in_the_trust_policy(cloud):
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud, {"Condition": {"StringEquals": {"sts:ExternalId": "partner-42"}}})
    sts = cloud.client("sts", alice)
    denied = access_denied(iam_denied(user_arn("alice"), "sts:AssumeRole", role, RESOURCE))
    assert refusal(sts.assume_role, RoleArn=role, RoleSessionName="s1") == denied
    assert refusal(sts.assume_role, RoleArn=role, RoleSessionName="s1", ExternalId="partner-41") == denied
    session = assume(cloud, alice, role, ExternalId="partner-42")
    assert cloud.client("sts", session).get_caller_identity()["Arn"] == session_arn("worker", "s1")


def test_mfa_condition_in_the_trust_policy(cloud):
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud, {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    sts = cloud.client("sts", alice)
    assert refusal(sts.assume_role, RoleArn=role, RoleSessionName="s1") == access_denied(
        iam_denied(user_arn("alice"), "sts:AssumeRole", role, RESOURCE)
    )
    # A code that is not the device's is refused, whatever the trust policy.
    fake = {"SerialNumber": "arn:aws:iam::000000000000:mfa/alice-mfa", "TokenCode": "123456"}
    code, status, message = refusal(sts.assume_role, RoleArn=role, RoleSessionName="s1", **fake)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith("MultiFactorAuthentication failed with invalid MFA one time pass code.")
    session = assume(cloud, alice, role, **alice_mfa(cloud))
    assert cloud.client("sts", session).get_caller_identity()["Arn"] == session_arn("worker", "s1")


def test_session_name_condition_in_the_trust_policy(cloud):
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud, {"Condition": {"StringLike": {"sts:RoleSessionName": "alice-*"}}})
    assert refusal(cloud.client("sts", alice).assume_role, RoleArn=role, RoleSessionName="bob-1") == (
        access_denied(iam_denied(user_arn("alice"), "sts:AssumeRole", role, RESOURCE))
    )
    assume(cloud, alice, role, "alice-1")


def test_mfa_session_carries_multi_factor_auth_present(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud)
    # The role may send only from a session started with MFA.
    cloud.client("iam").put_role_policy(
        RoleName="worker",
        PolicyName="mfa-only",
        PolicyDocument=document(
            {
                "Effect": "Deny",
                "Action": "sqs:SendMessage",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        ),
    )
    plain = cloud.client("sqs", assume(cloud, alice, role, "plain"))
    assert refusal(send, plain, url) == access_denied(
        sqs_denied(session_arn("worker", "plain"), "sqs:SendMessage", queue_arn("q1"), IDENTITY, explicit=True)
    )
    send(cloud.client("sqs", assume(cloud, alice, role, "with-mfa", **alice_mfa(cloud))), url)
    assert cloud.messages(url) == 1


def test_inline_session_policy_caps_the_session(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud)
    policy = document(allow("sqs:SendMessage", queue_arn("q1")))
    session = assume(cloud, alice, role, "capped", Policy=policy)
    sqs = cloud.client("sqs", session)
    send(sqs, url)
    assert cloud.messages(url) == 1
    # The role allows sqs:*, the session policy only SendMessage.
    me = session_arn("worker", "capped")
    assert refusal(sqs.purge_queue, QueueUrl=url) == access_denied(
        sqs_denied(me, "sqs:PurgeQueue", queue_arn("q1"), SESSION_POLICY)
    )
    assert cloud.messages(url) == 1
    # A session policy grants nothing the role does not.
    narrow = document(allow(["sqs:SendMessage", "iam:CreateUser"]))
    iam = cloud.client("iam", assume(cloud, alice, role, "more", Policy=narrow))
    assert refusal(iam.create_user, UserName="x") == access_denied(
        iam_denied(session_arn("worker", "more"), "iam:CreateUser", user_arn("x"))
    )
    assert cloud.user_names() == ["alice"]


def test_managed_session_policy_caps_the_session(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud)
    read_only = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
    sqs = cloud.client("sqs", assume(cloud, alice, role, "ro", PolicyArns=[{"arn": read_only}]))
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == (
        queue_arn("q1")
    )
    assert refusal(send, sqs, url) == access_denied(
        sqs_denied(session_arn("worker", "ro"), "sqs:SendMessage", queue_arn("q1"), SESSION_POLICY)
    )
    assert cloud.messages(url) == 0
    # A customer managed policy works the same way.
    send_only = cloud.managed_policy("send-only", allow("sqs:SendMessage"))
    send(cloud.client("sqs", assume(cloud, alice, role, "so", PolicyArns=[{"arn": send_only}])), url)
    assert cloud.messages(url) == 1


def test_session_tags_are_principal_tags(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    role = cloud.role(
        "tagged",
        {**trusting(user_arn("alice")), "Action": ["sts:AssumeRole", "sts:TagSession"]},
        allow("sqs:SendMessage", "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
    )
    blue = cloud.client("sqs", assume(cloud, alice, role, "blue", Tags=[{"Key": "team", "Value": "blue"}]))
    send(blue, url)
    assert cloud.messages(url) == 1
    red = cloud.client("sqs", assume(cloud, alice, role, "red", Tags=[{"Key": "team", "Value": "red"}]))
    assert refusal(send, red, url) == access_denied(
        sqs_denied(session_arn("tagged", "red"), "sqs:SendMessage", queue_arn("q1"), IDENTITY)
    )
    assert cloud.messages(url) == 1


def test_duration_is_held_to_the_roles_max_session_duration(cloud):
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud)
    sts = cloud.client("sts", alice)
    code, status, message = refusal(sts.assume_role, RoleArn=role, RoleSessionName="s1", DurationSeconds=7200)
    assert (code, status, message) == (
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    cloud.client("iam").update_role(RoleName="worker", MaxSessionDuration=7200)
    issued = sts.assume_role(RoleArn=role, RoleSessionName="s1", DurationSeconds=7200)["Credentials"]
    lasts = issued["Expiration"].timestamp() - __import__("time").time()
    assert 7100 < lasts <= 7201


# ------------------------------------------------ presigned STS URLs (EKS tokens)


def presigned_identity(cloud, keys, expires: int = 60, minutes_ago: int = 0, headers: dict | None = None):
    """A presigned GetCallerIdentity GET, as `aws eks get-token` makes it
    (signed `minutes_ago`, with `headers` signed too), sent: (status, body)."""
    import datetime
    import urllib.error
    import urllib.request
    from unittest import mock

    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from conftest import REGION

    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago)
    request = AWSRequest(
        method="GET",
        url=cloud.url + "/?Action=GetCallerIdentity&Version=2011-06-15",
        headers=dict(headers or {}),
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=then.replace(tzinfo=None)):
        SigV4QueryAuth(Credentials(keys.key, keys.secret, keys.token), "sts", REGION, expires=expires).add_auth(
            request
        )
    sent = urllib.request.Request(request.url, headers=dict(request.headers), method="GET")
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_presigned_sts_url_verifies_and_names_its_signer(cloud):
    alice = cloud.user("alice")
    status, body = presigned_identity(cloud, alice, headers={"x-k8s-aws-id": "my-cluster"})
    assert status == 200, body
    assert f"<Arn>{user_arn('alice')}</Arn>" in body
    # Signed by a role session, it names the session.
    role = cloud.role("r", trusting(user_arn("alice")))
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="assume", PolicyDocument=document(allow("sts:AssumeRole"))
    )
    status, body = presigned_identity(cloud, assume(cloud, alice, role, "eks"))
    assert status == 200 and f"<Arn>{session_arn('r', 'eks')}</Arn>" in body, body


def test_presigned_sts_url_with_a_wrong_secret_is_refused(cloud):
    from test_iam_enforcement import Keys

    alice = cloud.user("alice")
    status, body = presigned_identity(cloud, Keys(alice.key, "not-the-secret"))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, body


def test_presigned_sts_url_expires(cloud):
    alice = cloud.user("alice")
    # Its own expiry (60 s), signed two minutes ago.
    status, body = presigned_identity(cloud, alice, expires=60, minutes_ago=2)
    assert status == 403 and "Signature expired: " in body and "- 60 sec.)" in body, body
    # A week asked for: STS gives fifteen minutes.
    status, body = presigned_identity(cloud, alice, expires=604800, minutes_ago=20)
    assert status == 403 and "- 15 min.)" in body, body
    status, body = presigned_identity(cloud, alice, expires=604800, minutes_ago=10)
    assert status == 200, body


def test_federation_token_without_a_policy_allows_nothing(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow(["sqs:*", "sts:GetFederationToken"]))
    sts = cloud.client("sts", alice)
    bare = sts.get_federation_token(Name="fed-bare")["Credentials"]
    from test_iam_enforcement import Keys

    keys = Keys(bare["AccessKeyId"], bare["SecretAccessKey"], bare["SessionToken"])
    code, status, _ = refusal(send, cloud.client("sqs", keys), url)
    assert (code, status) == ("AccessDenied", 403)
    scoped = sts.get_federation_token(Name="fed-send", Policy=document(allow("sqs:SendMessage")))["Credentials"]
    send(cloud.client("sqs", Keys(scoped["AccessKeyId"], scoped["SecretAccessKey"], scoped["SessionToken"])), url)
    assert cloud.messages(url) == 1


def test_an_unknown_session_policy_arn_allows_nothing(cloud):
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud)
    missing = "arn:aws:iam::000000000000:policy/does-not-exist"
    sqs = cloud.client("sqs", assume(cloud, alice, role, "s1", PolicyArns=[{"arn": missing}]))
    assert refusal(send, sqs, url) == access_denied(
        sqs_denied(session_arn("worker", "s1"), "sqs:SendMessage", queue_arn("q1"), SESSION_POLICY)
    )


def test_signatures_nimbus_cannot_check_are_refused(cloud):
    """A SigV2 query signature to SQS claims a key without proving it."""
    import urllib.error
    import urllib.request

    alice = cloud.user("alice", allow("sqs:*"))
    query = (
        f"Action=ListQueues&Version=2012-11-05&AWSAccessKeyId={alice.key}"
        "&SignatureVersion=2&SignatureMethod=HmacSHA256&Timestamp=2026-01-01T00%3A00%3A00Z&Signature=forged"
    )
    request = urllib.request.Request(cloud.url + "/?" + query, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, body = answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        status, body = refused.code, refused.read().decode()
    assert status in (400, 403), body
    assert "QueueUrls" not in body and "ListQueuesResult" not in body


def test_issued_sessions_survive_kill_9(launch_nimbus, tmp_path):
    """Credentials STS acknowledged keep working after a kill -9, with their
    session policy, until they expire."""
    from test_iam_enforcement import Cloud

    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--enforce-iam", "--data-dir", data_dir, ephemeral=False)
    cloud = Cloud(server.url)
    url = cloud.queue("q1")
    alice = cloud.user("alice", allow("sts:AssumeRole"))
    role = worker_role(cloud)
    session = assume(cloud, alice, role, "durable", Policy=document(allow("sqs:SendMessage")))
    send(cloud.client("sqs", session), url)

    server.process.kill()  # SIGKILL
    server.process.wait()
    cloud = Cloud(launch_nimbus("--enforce-iam", "--data-dir", data_dir, ephemeral=False).url)

    assert cloud.client("sts", session).get_caller_identity()["Arn"] == session_arn("worker", "durable")
    sqs = cloud.client("sqs", session)
    send(sqs, url)
    assert cloud.messages(url) == 2
    # Still held to its session policy.
    assert refusal(sqs.purge_queue, QueueUrl=url) == access_denied(
        sqs_denied(session_arn("worker", "durable"), "sqs:PurgeQueue", queue_arn("q1"), SESSION_POLICY)
    )
