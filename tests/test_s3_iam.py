"""S3 held to IAM, end to end against the real nimbus binary.

With `--enforce-iam` every S3 request is authorised as AWS authorises it:
the caller's identity policies (users, groups, roles), the bucket policy
and the ACLs S3 honours (as one resource-based policy), same- or
cross-account. With only `--verify-signatures`, signed requests are not
held to anything, but unsigned (anonymous) ones are held to the bucket
policy and ACLs. The website endpoint asks the same engine about its
anonymous browsers, conditions included.

Each test starts its own nimbus (`launch_nimbus` from conftest.py), so tests
share no state. Helpers come from test_iam_enforcement.py (Keys, Cloud,
document/allow/deny, refusal).

Every refusal is checked for its code, HTTP status and message, and for
having changed nothing, as the bucket owner's root user sees it. S3 explains
a refusal (`User: ... is not authorized to perform: s3:GetObject on
resource: "arn:aws:s3:::b/k" because ...`, the resource ARN quoted) only to
callers of the bucket owner's account; anonymous callers and other accounts
read `Access Denied`. HEAD answers have no body: boto3 reports code "403".
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore import UNSIGNED
from botocore.config import Config

from conftest import REGION
from test_iam_enforcement import (
    ACCOUNT,
    IDENTITY,
    OTHER,
    OTHER_ROOT,
    RESOURCE,
    ROOT,
    SESSION,
    THIRD_ROOT,
    Cloud,
    Keys,
    access_denied,
    allow,
    deny,
    document,
    explicit_deny,
    iam_denied,
    no_allow,
    not_authorized,
    refusal,
    role_arn,
    root_arn,
    session_arn,
    trusting,
    user_arn,
)

AWS_POLICY = "arn:aws:iam::aws:policy/"
S3_FULL = AWS_POLICY + "AmazonS3FullAccess"
S3_READ_ONLY = AWS_POLICY + "AmazonS3ReadOnlyAccess"

# What anonymous callers and other accounts' callers are told.
PLAIN_DENIED = ("AccessDenied", 403, "Access Denied")
# A refused HEAD: no body, so botocore knows only the status.
HEAD_DENIED = ("403", 403, "Forbidden")


# ------------------------------------------------------------------ helpers


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def s3_denied(principal: str, action: str, resource: str | None, kind: str = IDENTITY, explicit: bool = False):
    """S3's explained refusal: (AccessDenied, 403, message), the resource
    ARN in double quotes."""
    why = explicit_deny(kind) if explicit else no_allow(kind, action)
    quoted = f'"{resource}"' if resource else None
    return access_denied(not_authorized(principal, action, quoted, why))


def statement(principal, action, resource, effect: str = "Allow", **extra) -> dict:
    """A bucket policy statement."""
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


class S3Cloud(Cloud):
    """Cloud, with path-style S3 clients and S3 helpers (as the root user of
    the bucket owner's account)."""

    def client(self, service: str, keys: Keys | None = ROOT, region: str = REGION):
        config = {"retries": {"max_attempts": 1, "mode": "standard"}, "s3": {"addressing_style": "path"}}
        if keys is None:
            config["signature_version"] = UNSIGNED
            keys = ROOT
        return SESSION.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=keys.key,
            aws_secret_access_key=keys.secret,
            aws_session_token=keys.token,
            config=Config(**config),
        )

    def s3(self, keys: Keys | None = ROOT):
        return self.client("s3", keys)

    def bucket(self, name: str, *objects: str, owner: Keys = ROOT, acls: bool = False, **create) -> str:
        """Creates bucket `name` with objects `objects` (each's body its key).
        `acls`: ObjectWriter ownership and no public access block, so that
        public ACLs can be set and count."""
        s3 = self.s3(owner)
        if acls:
            create["ObjectOwnership"] = "ObjectWriter"
        s3.create_bucket(Bucket=name, **create)
        if acls:
            s3.delete_public_access_block(Bucket=name)
        for key in objects:
            s3.put_object(Bucket=name, Key=key, Body=key.encode())
        return name

    def policy(self, bucket: str, *statements: dict, public: bool = False, owner: Keys = ROOT) -> None:
        """Puts a bucket policy (`public`: lifts the public access block first)."""
        s3 = self.s3(owner)
        if public:
            s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=document(*statements))

    def restrict_public_buckets(self, bucket: str, ignore_public_acls: bool = False) -> None:
        self.s3().put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": False,
                "IgnorePublicAcls": ignore_public_acls,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": not ignore_public_acls,
            },
        )

    def keys(self, bucket: str, owner: Keys = ROOT) -> list[str]:
        """The bucket's keys, as its owner's root user lists them."""
        listed = self.s3(owner).list_objects_v2(Bucket=bucket)
        return [entry["Key"] for entry in listed.get("Contents", [])]

    def body(self, bucket: str, key: str, owner: Keys = ROOT) -> bytes:
        return self.s3(owner).get_object(Bucket=bucket, Key=key)["Body"].read()

    def bucket_names(self, owner: Keys = ROOT) -> list[str]:
        return [b["Name"] for b in self.s3(owner).list_buckets()["Buckets"]]


@pytest.fixture
def cloud(launch_nimbus) -> S3Cloud:
    """A nimbus with --enforce-iam."""
    return S3Cloud(launch_nimbus("--enforce-iam").url)


@pytest.fixture
def verifying(launch_nimbus) -> S3Cloud:
    """A nimbus with only --verify-signatures."""
    return S3Cloud(launch_nimbus("--verify-signatures").url)


def get(s3, bucket: str, key: str, **kwargs) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


def put(s3, bucket: str, key: str, body: bytes = b"new", **kwargs) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body, **kwargs)


def fetch(url: str) -> tuple[int, str]:
    """GETs a (presigned) URL: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def listed(s3, bucket: str, **kwargs) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket, **kwargs).get("Contents", [])]


# ------------------------------------------------------- identity-based policies


def test_root_is_allowed_everything_in_its_account(cloud):
    s3 = cloud.s3()
    s3.create_bucket(Bucket="bkt")
    put(s3, "bkt", "k", b"v")
    assert get(s3, "bkt", "k") == b"v"
    s3.head_object(Bucket="bkt", Key="k")
    s3.head_bucket(Bucket="bkt")
    assert listed(s3, "bkt") == ["k"]
    s3.copy_object(Bucket="bkt", Key="copy", CopySource={"Bucket": "bkt", "Key": "k"})
    assert cloud.body("bkt", "copy") == b"v"
    s3.put_bucket_tagging(Bucket="bkt", Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
    assert cloud.bucket_names() == ["bkt"]
    s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "k"}, {"Key": "copy"}]})
    assert cloud.keys("bkt") == []
    s3.delete_bucket(Bucket="bkt")
    assert cloud.bucket_names() == []


def test_user_without_policies_is_refused_and_nothing_changes(cloud):
    cloud.bucket("bkt", "k")
    alice = cloud.s3(cloud.user("alice"))
    me = user_arn("alice")

    assert refusal(get, alice, "bkt", "k") == s3_denied(me, "s3:GetObject", object_arn("bkt", "k"))
    assert refusal(put, alice, "bkt", "new") == s3_denied(me, "s3:PutObject", object_arn("bkt", "new"))
    assert refusal(alice.delete_object, Bucket="bkt", Key="k") == s3_denied(
        me, "s3:DeleteObject", object_arn("bkt", "k")
    )
    assert refusal(alice.list_objects_v2, Bucket="bkt") == s3_denied(me, "s3:ListBucket", bucket_arn("bkt"))
    assert refusal(alice.list_objects, Bucket="bkt") == s3_denied(me, "s3:ListBucket", bucket_arn("bkt"))
    # ListBuckets names no resource.
    assert refusal(alice.list_buckets) == s3_denied(me, "s3:ListAllMyBuckets", None)
    assert refusal(alice.create_bucket, Bucket="bkt2") == s3_denied(me, "s3:CreateBucket", bucket_arn("bkt2"))
    assert refusal(alice.delete_bucket, Bucket="bkt") == s3_denied(me, "s3:DeleteBucket", bucket_arn("bkt"))
    assert refusal(alice.get_bucket_policy, Bucket="bkt") == s3_denied(me, "s3:GetBucketPolicy", bucket_arn("bkt"))
    # HEAD answers carry no body.
    assert refusal(alice.head_object, Bucket="bkt", Key="k") == HEAD_DENIED
    assert refusal(alice.head_bucket, Bucket="bkt") == HEAD_DENIED

    assert cloud.keys("bkt") == ["k"]
    assert cloud.body("bkt", "k") == b"k"
    assert cloud.bucket_names() == ["bkt"]


def test_inline_user_policy_allows_what_it_names(cloud):
    cloud.bucket("bkt", "k")
    alice = cloud.s3(cloud.user("alice", allow("s3:GetObject", object_arn("bkt", "*"))))
    assert get(alice, "bkt", "k") == b"k"
    alice.head_object(Bucket="bkt", Key="k")  # HeadObject asks s3:GetObject
    assert refusal(put, alice, "bkt", "k", b"overwritten") == s3_denied(
        user_arn("alice"), "s3:PutObject", object_arn("bkt", "k")
    )
    assert cloud.body("bkt", "k") == b"k"


def test_policy_changes_take_effect_at_once(cloud):
    cloud.bucket("bkt", "k")
    alice = cloud.s3(cloud.user("alice", allow("s3:GetObject")))
    assert get(alice, "bkt", "k") == b"k"
    cloud.client("iam").delete_user_policy(UserName="alice", PolicyName="inline")
    assert refusal(get, alice, "bkt", "k") == s3_denied(user_arn("alice"), "s3:GetObject", object_arn("bkt", "k"))


def test_aws_managed_s3_read_only_access(cloud):
    cloud.bucket("bkt", "k", "dir/x")
    alice = cloud.s3(cloud.user("alice", attach=(S3_READ_ONLY,)))
    me = user_arn("alice")
    assert get(alice, "bkt", "k") == b"k"
    alice.head_object(Bucket="bkt", Key="k")
    alice.head_bucket(Bucket="bkt")
    assert listed(alice, "bkt") == ["dir/x", "k"]
    assert [b["Name"] for b in alice.list_buckets()["Buckets"]] == ["bkt"]
    alice.get_bucket_location(Bucket="bkt")

    assert refusal(put, alice, "bkt", "k") == s3_denied(me, "s3:PutObject", object_arn("bkt", "k"))
    assert refusal(alice.delete_object, Bucket="bkt", Key="k") == s3_denied(
        me, "s3:DeleteObject", object_arn("bkt", "k")
    )
    assert refusal(alice.create_bucket, Bucket="mine") == s3_denied(me, "s3:CreateBucket", bucket_arn("mine"))
    assert refusal(alice.put_bucket_policy, Bucket="bkt", Policy=document(statement({"AWS": me}, "s3:*", "*"))) == (
        s3_denied(me, "s3:PutBucketPolicy", bucket_arn("bkt"))
    )
    assert cloud.keys("bkt") == ["dir/x", "k"]
    assert cloud.body("bkt", "k") == b"k"
    assert cloud.bucket_names() == ["bkt"]


def test_aws_managed_s3_full_access(cloud):
    alice = cloud.s3(cloud.user("alice", attach=(S3_FULL,)))
    alice.create_bucket(Bucket="mine")
    put(alice, "mine", "k", b"v")
    assert get(alice, "mine", "k") == b"v"
    alice.copy_object(Bucket="mine", Key="k2", CopySource="mine/k")
    assert cloud.keys("mine") == ["k", "k2"]
    alice.delete_object(Bucket="mine", Key="k")
    alice.delete_object(Bucket="mine", Key="k2")
    alice.delete_bucket(Bucket="mine")
    assert cloud.bucket_names() == []
    # Not IAM, though.
    iam = cloud.client("iam", cloud.user("bob", attach=(S3_FULL,)))
    assert refusal(iam.list_users) == access_denied(iam_denied(user_arn("bob"), "iam:ListUsers", None))


def test_customer_managed_policy_and_group(cloud):
    cloud.bucket("bkt", "k")
    iam = cloud.client("iam")
    iam.create_group(GroupName="readers")
    arn = cloud.managed_policy("read-b", allow("s3:GetObject", object_arn("bkt", "*")))
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    alice = cloud.s3(cloud.user("alice"))
    assert refusal(get, alice, "bkt", "k") == s3_denied(user_arn("alice"), "s3:GetObject", object_arn("bkt", "k"))
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    assert get(alice, "bkt", "k") == b"k"


def test_resource_scoped_to_a_prefix(cloud):
    cloud.bucket("bkt", "home/alice/a", "home/bob/b")
    cloud.bucket("other", "home/alice/a")
    alice = cloud.s3(cloud.user("alice", allow(["s3:GetObject", "s3:PutObject"], object_arn("bkt", "home/alice/*"))))
    me = user_arn("alice")
    assert get(alice, "bkt", "home/alice/a") == b"home/alice/a"
    put(alice, "bkt", "home/alice/new")
    assert refusal(get, alice, "bkt", "home/bob/b") == s3_denied(me, "s3:GetObject", object_arn("bkt", "home/bob/b"))
    assert refusal(put, alice, "bkt", "home/bob/new") == s3_denied(
        me, "s3:PutObject", object_arn("bkt", "home/bob/new")
    )
    assert refusal(get, alice, "other", "home/alice/a") == s3_denied(
        me, "s3:GetObject", object_arn("other", "home/alice/a")
    )
    assert cloud.keys("bkt") == ["home/alice/a", "home/alice/new", "home/bob/b"]


def test_bucket_and_object_resources_are_distinct(cloud):
    cloud.bucket("bkt", "k")
    # The bucket's ARN covers bucket actions, not its objects.
    alice = cloud.s3(cloud.user("alice", allow("s3:*", bucket_arn("bkt"))))
    assert listed(alice, "bkt") == ["k"]
    assert refusal(get, alice, "bkt", "k") == s3_denied(user_arn("alice"), "s3:GetObject", object_arn("bkt", "k"))
    # b/* covers objects, not the bucket.
    bob = cloud.s3(cloud.user("bob", allow("s3:*", object_arn("bkt", "*"))))
    assert get(bob, "bkt", "k") == b"k"
    assert refusal(bob.list_objects_v2, Bucket="bkt") == s3_denied(user_arn("bob"), "s3:ListBucket", bucket_arn("bkt"))


def test_list_objects_prefix_condition(cloud):
    cloud.bucket("bkt", "home/alice/a", "home/bob/b", "top")
    condition = {"StringLike": {"s3:prefix": ["home/alice/*"]}}
    alice = cloud.s3(cloud.user("alice", allow("s3:ListBucket", bucket_arn("bkt"), Condition=condition)))
    me = user_arn("alice")
    assert listed(alice, "bkt", Prefix="home/alice/") == ["home/alice/a"]
    assert refusal(alice.list_objects_v2, Bucket="bkt", Prefix="home/bob/") == s3_denied(
        me, "s3:ListBucket", bucket_arn("bkt")
    )
    # No prefix: the condition's key is absent, so the statement does not apply.
    assert refusal(alice.list_objects_v2, Bucket="bkt") == s3_denied(me, "s3:ListBucket", bucket_arn("bkt"))
    # ListObjects (v1) gives the key too.
    assert [o["Key"] for o in alice.list_objects(Bucket="bkt", Prefix="home/alice/")["Contents"]] == ["home/alice/a"]
    assert refusal(alice.list_objects, Bucket="bkt", Prefix="home/bob/") == s3_denied(
        me, "s3:ListBucket", bucket_arn("bkt")
    )


def test_list_objects_max_keys_and_delimiter_conditions(cloud):
    cloud.bucket("bkt", "a/1", "a/2", "b/1")
    alice = cloud.s3(
        cloud.user(
            "alice",
            allow("s3:ListBucket", bucket_arn("bkt"), Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        )
    )
    assert listed(alice, "bkt", MaxKeys=5) == ["a/1", "a/2", "b/1"]
    assert refusal(alice.list_objects_v2, Bucket="bkt", MaxKeys=100) == s3_denied(
        user_arn("alice"), "s3:ListBucket", bucket_arn("bkt")
    )
    bob = cloud.s3(
        cloud.user("bob", allow("s3:ListBucket", bucket_arn("bkt"), Condition={"StringEquals": {"s3:delimiter": "/"}}))
    )
    answer = bob.list_objects_v2(Bucket="bkt", Delimiter="/")
    assert [p["Prefix"] for p in answer["CommonPrefixes"]] == ["a/", "b/"]
    assert refusal(bob.list_objects_v2, Bucket="bkt") == s3_denied(user_arn("bob"), "s3:ListBucket", bucket_arn("bkt"))


def test_get_object_with_version_id_needs_get_object_version(cloud):
    cloud.bucket("bkt")
    s3 = cloud.s3()
    s3.put_bucket_versioning(Bucket="bkt", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="bkt", Key="k", Body=b"v1")["VersionId"]
    put(s3, "bkt", "k", b"v2")
    keys = cloud.user("alice", allow("s3:GetObject", object_arn("bkt", "*")))
    alice = cloud.s3(keys)
    assert get(alice, "bkt", "k") == b"v2"
    assert refusal(get, alice, "bkt", "k", VersionId=first) == s3_denied(
        user_arn("alice"), "s3:GetObjectVersion", object_arn("bkt", "k")
    )
    assert refusal(alice.head_object, Bucket="bkt", Key="k", VersionId=first) == HEAD_DENIED
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="versions", PolicyDocument=document(allow("s3:GetObjectVersion"))
    )
    assert get(alice, "bkt", "k", VersionId=first) == b"v1"


def test_delete_object_with_version_id_needs_delete_object_version(cloud):
    cloud.bucket("bkt")
    s3 = cloud.s3()
    s3.put_bucket_versioning(Bucket="bkt", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="bkt", Key="k", Body=b"v1")["VersionId"]
    alice = cloud.s3(cloud.user("alice", allow("s3:DeleteObject", object_arn("bkt", "*"))))
    assert refusal(alice.delete_object, Bucket="bkt", Key="k", VersionId=version) == s3_denied(
        user_arn("alice"), "s3:DeleteObjectVersion", object_arn("bkt", "k")
    )
    assert get(s3, "bkt", "k", VersionId=version) == b"v1"
    # Without a version: a delete marker, which s3:DeleteObject allows.
    alice.delete_object(Bucket="bkt", Key="k")
    assert cloud.keys("bkt") == []
    assert get(s3, "bkt", "k", VersionId=version) == b"v1"


def test_put_object_acl_condition_key(cloud):
    cloud.bucket("bkt")
    condition = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    alice = cloud.s3(cloud.user("alice", allow("s3:PutObject", object_arn("bkt", "*"), Condition=condition)))
    put(alice, "bkt", "with-acl", ACL="bucket-owner-full-control")
    assert refusal(put, alice, "bkt", "without-acl") == s3_denied(
        user_arn("alice"), "s3:PutObject", object_arn("bkt", "without-acl")
    )
    assert cloud.keys("bkt") == ["with-acl"]


def test_explicit_deny_in_identity_policy_beats_s3_star(cloud):
    cloud.bucket("bkt", "k")
    alice = cloud.s3(cloud.user("alice", allow("s3:*"), deny("s3:DeleteObject", object_arn("bkt", "*"))))
    assert refusal(alice.delete_object, Bucket="bkt", Key="k") == s3_denied(
        user_arn("alice"), "s3:DeleteObject", object_arn("bkt", "k"), IDENTITY, explicit=True
    )
    assert cloud.keys("bkt") == ["k"]
    assert get(alice, "bkt", "k") == b"k"


def test_role_session_has_the_roles_s3_permissions(cloud):
    cloud.bucket("bkt", "k")
    role = cloud.role("reader", trusting(root_arn()), allow(["s3:GetObject", "s3:ListBucket"]))
    session = cloud.s3(cloud.assume(cloud.user("runner", allow("sts:AssumeRole")), role, "s1"))
    assert get(session, "bkt", "k") == b"k"
    assert listed(session, "bkt") == ["k"]
    assert refusal(put, session, "bkt", "x") == s3_denied(
        session_arn("reader", "s1"), "s3:PutObject", object_arn("bkt", "x")
    )
    assert cloud.keys("bkt") == ["k"]
    assert role == role_arn("reader")


def test_policy_variable_in_resource(cloud):
    cloud.bucket("home", "home/vera/x", "home/other/y")
    own = allow(["s3:GetObject", "s3:PutObject"], object_arn("home", "home/${aws:username}/*"))
    vera = cloud.s3(cloud.user("vera", own))
    assert get(vera, "home", "home/vera/x") == b"home/vera/x"
    put(vera, "home", "home/vera/new")
    assert refusal(get, vera, "home", "home/other/y") == s3_denied(
        user_arn("vera"), "s3:GetObject", object_arn("home", "home/other/y")
    )
    assert refusal(put, vera, "home", "home/other/new") == s3_denied(
        user_arn("vera"), "s3:PutObject", object_arn("home", "home/other/new")
    )
    assert cloud.keys("home") == ["home/other/y", "home/vera/new", "home/vera/x"]


def test_keys_with_spaces_and_unicode_name_their_own_arn(cloud):
    key = "a b/\u00fc.txt"
    cloud.bucket("bkt", key, "c/d")
    bob = cloud.s3(cloud.user("bob", allow("s3:GetObject", object_arn("bkt", "a b/*"))))
    assert get(bob, "bkt", key) == key.encode()
    assert refusal(get, bob, "bkt", "c/d") == s3_denied(user_arn("bob"), "s3:GetObject", object_arn("bkt", "c/d"))
    nobody = cloud.s3(cloud.user("nobody"))
    assert refusal(get, nobody, "bkt", key) == s3_denied(user_arn("nobody"), "s3:GetObject", object_arn("bkt", key))


def test_presigned_url_acts_as_its_signer(cloud):
    cloud.bucket("bkt", "k")
    plain = cloud.s3(cloud.user("plain"))
    url = plain.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"})
    status, body = fetch(url)
    assert status == 403
    assert "<Code>AccessDenied</Code>" in body
    expected = s3_denied(user_arn("plain"), "s3:GetObject", object_arn("bkt", "k"))[2]
    assert f"<Message>{expected.replace(chr(34), '&quot;')}</Message>" in body
    reader = cloud.s3(cloud.user("reader", allow("s3:GetObject")))
    assert fetch(reader.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"})) == (200, "k")
    assert fetch(cloud.s3().generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"})) == (200, "k")


def test_multipart_upload_actions(cloud):
    cloud.bucket("bkt", "src")
    alice = cloud.s3(cloud.user("alice", allow("s3:PutObject", object_arn("bkt", "big"))))
    me = user_arn("alice")
    upload = alice.create_multipart_upload(Bucket="bkt", Key="big")["UploadId"]
    etag = alice.upload_part(Bucket="bkt", Key="big", UploadId=upload, PartNumber=1, Body=b"x" * 10)["ETag"]
    # Copying a part reads its source.
    assert refusal(
        alice.upload_part_copy, Bucket="bkt", Key="big", UploadId=upload, PartNumber=2, CopySource="bkt/src"
    ) == s3_denied(me, "s3:GetObject", object_arn("bkt", "src"))
    assert refusal(alice.list_parts, Bucket="bkt", Key="big", UploadId=upload) == s3_denied(
        me, "s3:ListMultipartUploadParts", object_arn("bkt", "big")
    )
    assert refusal(alice.abort_multipart_upload, Bucket="bkt", Key="big", UploadId=upload) == s3_denied(
        me, "s3:AbortMultipartUpload", object_arn("bkt", "big")
    )
    assert refusal(alice.create_multipart_upload, Bucket="bkt", Key="other") == s3_denied(
        me, "s3:PutObject", object_arn("bkt", "other")
    )
    assert cloud.keys("bkt") == ["src"]
    alice.complete_multipart_upload(
        Bucket="bkt", Key="big", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert cloud.body("bkt", "big") == b"x" * 10


def test_session_token_credentials_act_as_the_user(cloud):
    cloud.bucket("bkt", "k")
    keys = cloud.user("alice", allow("s3:GetObject"))
    issued = cloud.client("sts", keys).get_session_token()["Credentials"]
    alice = cloud.s3(Keys(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]))
    assert get(alice, "bkt", "k") == b"k"
    assert refusal(put, alice, "bkt", "new") == s3_denied(user_arn("alice"), "s3:PutObject", object_arn("bkt", "new"))
    assert cloud.keys("bkt") == ["k"]


def test_wrong_secret_is_refused_before_any_policy(cloud):
    cloud.bucket("bkt", "k")
    code, status, _ = refusal(get, cloud.s3(Keys("test", "wrong")), "bkt", "k")
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    keys = cloud.user("alice", allow("s3:*"))
    code, status, _ = refusal(put, cloud.s3(Keys(keys.key, "wrong")), "bkt", "k", b"overwritten")
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert cloud.body("bkt", "k") == b"k"


def test_missing_key_without_list_bucket_is_access_denied(cloud):
    # AWS (GetObject): without s3:ListBucket on the bucket a missing key is
    # 403 AccessDenied, so that keys cannot be probed; with it, 404 NoSuchKey.
    cloud.bucket("bkt", "k")
    assert refusal(get, cloud.s3(), "bkt", "missing")[:2] == ("NoSuchKey", 404)
    lister = cloud.s3(cloud.user("lister", allow(["s3:GetObject", "s3:ListBucket"])))
    assert refusal(get, lister, "bkt", "missing")[:2] == ("NoSuchKey", 404)
    cloud.policy("bkt", statement("*", "s3:GetObject", object_arn("bkt", "*")), public=True)
    assert refusal(get, cloud.s3(None), "bkt", "missing") == PLAIN_DENIED
    reader = cloud.s3(cloud.user("reader", allow("s3:GetObject")))
    assert refusal(get, reader, "bkt", "missing")[:2] == ("AccessDenied", 403)


def test_existing_object_tag_condition(cloud):
    cloud.bucket("bkt", "open", "closed")
    s3 = cloud.s3()
    s3.put_object_tagging(Bucket="bkt", Key="open", Tagging={"TagSet": [{"Key": "class", "Value": "public"}]})
    condition = {"StringEquals": {"s3:ExistingObjectTag/class": "public"}}
    alice = cloud.s3(cloud.user("alice", allow("s3:GetObject", Condition=condition)))
    assert refusal(get, alice, "bkt", "closed") == s3_denied(
        user_arn("alice"), "s3:GetObject", object_arn("bkt", "closed")
    )
    assert get(alice, "bkt", "open") == b"open"


# ------------------------------------------------------------- bucket policies


def test_bucket_policy_naming_the_user_allows_without_identity_policy(cloud):
    cloud.bucket("bkt", "k")
    cloud.policy("bkt", statement({"AWS": user_arn("alice")}, "s3:GetObject", object_arn("bkt", "*")))
    alice = cloud.s3(cloud.user("alice"))
    assert get(alice, "bkt", "k") == b"k"
    assert refusal(put, alice, "bkt", "k") == s3_denied(user_arn("alice"), "s3:PutObject", object_arn("bkt", "k"))
    bob = cloud.s3(cloud.user("bob"))
    assert refusal(get, bob, "bkt", "k") == s3_denied(user_arn("bob"), "s3:GetObject", object_arn("bkt", "k"))
    assert cloud.body("bkt", "k") == b"k"


def test_explicit_deny_in_bucket_policy_beats_identity_allow(cloud):
    cloud.bucket("bkt", "k", "keep/me")
    cloud.policy("bkt", statement({"AWS": user_arn("alice")}, "s3:DeleteObject", object_arn("bkt", "keep/*"), "Deny"))
    alice = cloud.s3(cloud.user("alice", attach=(S3_FULL,)))
    assert refusal(alice.delete_object, Bucket="bkt", Key="keep/me") == s3_denied(
        user_arn("alice"), "s3:DeleteObject", object_arn("bkt", "keep/me"), RESOURCE, explicit=True
    )
    alice.delete_object(Bucket="bkt", Key="k")
    assert cloud.keys("bkt") == ["keep/me"]


def test_explicit_deny_in_bucket_policy_binds_the_root_user_too(cloud):
    cloud.bucket("bkt", "k")
    cloud.policy("bkt", statement("*", ["s3:GetObject", "s3:PutObject"], object_arn("bkt", "*"), "Deny"))
    root = cloud.s3()
    assert refusal(get, root, "bkt", "k") == s3_denied(
        root_arn(), "s3:GetObject", object_arn("bkt", "k"), RESOURCE, explicit=True
    )
    assert refusal(put, root, "bkt", "k", b"overwritten") == s3_denied(
        root_arn(), "s3:PutObject", object_arn("bkt", "k"), RESOURCE, explicit=True
    )
    # What the policy does not deny, the root user still may.
    assert listed(root, "bkt") == ["k"]
    root.delete_bucket_policy(Bucket="bkt")
    assert cloud.body("bkt", "k") == b"k"


def test_bucket_policy_source_ip_condition(cloud):
    cloud.bucket("bkt", "k")
    near = {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
    far = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    cloud.policy(
        "bkt",
        statement({"AWS": user_arn("near")}, "s3:GetObject", object_arn("bkt", "*"), Condition=near),
        statement({"AWS": user_arn("far")}, "s3:GetObject", object_arn("bkt", "*"), Condition=far),
    )
    assert get(cloud.s3(cloud.user("near")), "bkt", "k") == b"k"
    assert refusal(get, cloud.s3(cloud.user("far")), "bkt", "k") == s3_denied(
        user_arn("far"), "s3:GetObject", object_arn("bkt", "k")
    )


def test_bucket_policy_denying_other_source_ips_binds_the_root_user(cloud):
    cloud.bucket("bkt", "k")
    only_from = {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    cloud.policy("bkt", statement("*", "s3:GetObject", object_arn("bkt", "*"), "Deny", Condition=only_from))
    assert refusal(get, cloud.s3(), "bkt", "k") == s3_denied(
        root_arn(), "s3:GetObject", object_arn("bkt", "k"), RESOURCE, explicit=True
    )
    from_loopback = {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
    cloud.policy("bkt", statement("*", "s3:GetObject", object_arn("bkt", "*"), "Deny", Condition=from_loopback))
    assert get(cloud.s3(), "bkt", "k") == b"k"


def test_bucket_policy_requiring_secure_transport_refuses_plain_http(cloud):
    cloud.bucket("bkt", "k")
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    cloud.policy("bkt", statement("*", "s3:*", [bucket_arn("bkt"), object_arn("bkt", "*")], "Deny", Condition=insecure))
    root = cloud.s3()
    assert refusal(get, root, "bkt", "k") == s3_denied(
        root_arn(), "s3:GetObject", object_arn("bkt", "k"), RESOURCE, explicit=True
    )
    assert refusal(put, root, "bkt", "k2") == s3_denied(
        root_arn(), "s3:PutObject", object_arn("bkt", "k2"), RESOURCE, explicit=True
    )
    assert refusal(root.list_objects_v2, Bucket="bkt") == s3_denied(
        root_arn(), "s3:ListBucket", bucket_arn("bkt"), RESOURCE, explicit=True
    )
    # ListBuckets is on no bucket: the bucket policy does not speak to it.
    assert [b["Name"] for b in root.list_buckets()["Buckets"]] == ["bkt"]


def test_bucket_policy_prefix_condition_on_list_objects(cloud):
    cloud.bucket("bkt", "public/a", "private/b")
    cloud.policy(
        "bkt",
        statement(
            {"AWS": user_arn("alice")},
            "s3:ListBucket",
            bucket_arn("bkt"),
            Condition={"StringLike": {"s3:prefix": "public/*"}},
        ),
    )
    alice = cloud.s3(cloud.user("alice"))
    assert listed(alice, "bkt", Prefix="public/") == ["public/a"]
    assert refusal(alice.list_objects_v2, Bucket="bkt", Prefix="private/") == s3_denied(
        user_arn("alice"), "s3:ListBucket", bucket_arn("bkt")
    )


def test_bucket_policy_not_principal_deny(cloud):
    # AWS: a Deny with NotPrincipal denies everyone but the principals named;
    # naming the account too (as AWS's example does) keeps the named user
    # exempt, it does not exempt the account's other users.
    cloud.bucket("bkt", "k")
    cloud.policy(
        "bkt",
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [root_arn(), user_arn("admin")]},
            "Action": "s3:GetObject",
            "Resource": object_arn("bkt", "*"),
        },
    )
    assert get(cloud.s3(cloud.user("admin", attach=(S3_FULL,))), "bkt", "k") == b"k"
    assert get(cloud.s3(), "bkt", "k") == b"k"
    other = cloud.s3(cloud.user("other", attach=(S3_FULL,)))
    assert refusal(get, other, "bkt", "k") == s3_denied(
        user_arn("other"), "s3:GetObject", object_arn("bkt", "k"), RESOURCE, explicit=True
    )


def test_bucket_policy_naming_the_own_account_does_not_admit_its_users(cloud):
    # Within one account a resource policy naming the account (its root)
    # delegates to the users' identity policies.
    cloud.bucket("bkt", "k")
    cloud.policy("bkt", statement({"AWS": root_arn()}, "s3:GetObject", object_arn("bkt", "*")))
    alice = cloud.s3(cloud.user("alice"))
    assert refusal(get, alice, "bkt", "k") == s3_denied(user_arn("alice"), "s3:GetObject", object_arn("bkt", "k"))
    # A Deny naming the account binds every principal of it.
    cloud.policy("bkt", statement({"AWS": ACCOUNT}, "s3:GetObject", object_arn("bkt", "*"), "Deny"))
    full = cloud.s3(cloud.user("full", attach=(S3_FULL,)))
    assert refusal(get, full, "bkt", "k") == s3_denied(
        user_arn("full"), "s3:GetObject", object_arn("bkt", "k"), RESOURCE, explicit=True
    )


def test_bucket_policy_naming_a_role_admits_its_sessions(cloud):
    cloud.bucket("bkt", "k")
    role = cloud.role("reader", trusting(root_arn()))
    cloud.policy("bkt", statement({"AWS": role}, "s3:GetObject", object_arn("bkt", "*")))
    session = cloud.s3(cloud.assume(cloud.user("runner", allow("sts:AssumeRole")), role, "s1"))
    assert get(session, "bkt", "k") == b"k"
    assert refusal(session.list_objects_v2, Bucket="bkt") == s3_denied(
        session_arn("reader", "s1"), "s3:ListBucket", bucket_arn("bkt")
    )


def test_bucket_policy_requiring_encryption(cloud):
    cloud.bucket("bkt")
    unencrypted = {"Null": {"s3:x-amz-server-side-encryption": "true"}}
    cloud.policy("bkt", statement("*", "s3:PutObject", object_arn("bkt", "*"), "Deny", Condition=unencrypted))
    alice = cloud.s3(cloud.user("alice", attach=(S3_FULL,)))
    assert refusal(put, alice, "bkt", "plain") == s3_denied(
        user_arn("alice"), "s3:PutObject", object_arn("bkt", "plain"), RESOURCE, explicit=True
    )
    put(alice, "bkt", "sealed", ServerSideEncryption="AES256")
    assert cloud.keys("bkt") == ["sealed"]


def test_create_bucket_acl_condition_key(cloud):
    condition = {"StringEquals": {"s3:x-amz-acl": "private"}}
    alice = cloud.s3(cloud.user("alice", allow("s3:CreateBucket", Condition=condition)))
    assert refusal(alice.create_bucket, Bucket="no-acl") == s3_denied(
        user_arn("alice"), "s3:CreateBucket", bucket_arn("no-acl")
    )
    alice.create_bucket(Bucket="with-acl", ACL="private")
    assert cloud.bucket_names() == ["with-acl"]


# ---------------------------------------------------------------- other accounts


def test_other_accounts_root_needs_a_bucket_policy(cloud):
    cloud.bucket("bkt", "k")
    other = cloud.s3(OTHER_ROOT)
    assert refusal(get, other, "bkt", "k") == PLAIN_DENIED
    assert refusal(put, other, "bkt", "k", b"overwritten") == PLAIN_DENIED
    assert refusal(other.list_objects_v2, Bucket="bkt") == PLAIN_DENIED
    assert refusal(other.delete_object, Bucket="bkt", Key="k") == PLAIN_DENIED
    assert refusal(other.delete_bucket, Bucket="bkt") == PLAIN_DENIED
    assert refusal(other.head_object, Bucket="bkt", Key="k") == HEAD_DENIED
    assert cloud.keys("bkt") == ["k"]
    assert cloud.body("bkt", "k") == b"k"
    assert cloud.bucket_names() == ["bkt"]


def test_bucket_policy_naming_the_account_lets_its_root_in(cloud):
    cloud.bucket("bkt", "k")
    cloud.policy(
        "bkt",
        statement({"AWS": root_arn(OTHER)}, "s3:GetObject", object_arn("bkt", "*")),
        statement({"AWS": root_arn(OTHER)}, "s3:ListBucket", bucket_arn("bkt")),
    )
    other = cloud.s3(OTHER_ROOT)
    assert get(other, "bkt", "k") == b"k"
    assert listed(other, "bkt") == ["k"]
    assert refusal(put, other, "bkt", "k", b"overwritten") == PLAIN_DENIED
    assert refusal(get, cloud.s3(THIRD_ROOT), "bkt", "k") == PLAIN_DENIED
    assert cloud.body("bkt", "k") == b"k"


def test_bucket_policy_naming_the_account_by_id(cloud):
    cloud.bucket("bkt")
    cloud.policy("bkt", statement({"AWS": OTHER}, "s3:PutObject", object_arn("bkt", "drop/*")))
    other = cloud.s3(OTHER_ROOT)
    put(other, "bkt", "drop/x", b"from 222")
    assert refusal(put, other, "bkt", "elsewhere") == PLAIN_DENIED
    assert cloud.keys("bkt") == ["drop/x"]
    assert cloud.body("bkt", "drop/x") == b"from 222"


def test_other_accounts_user_needs_its_own_identity_policy_too(cloud):
    cloud.bucket("bkt", "k")
    cloud.policy("bkt", statement({"AWS": root_arn(OTHER)}, "s3:GetObject", object_arn("bkt", "*")))
    carol = cloud.s3(cloud.user("carol", owner=OTHER_ROOT))
    assert refusal(get, carol, "bkt", "k") == PLAIN_DENIED
    cloud.client("iam", OTHER_ROOT).put_user_policy(
        UserName="carol", PolicyName="read", PolicyDocument=document(allow("s3:GetObject", object_arn("bkt", "*")))
    )
    assert get(carol, "bkt", "k") == b"k"


def test_identity_policy_alone_does_not_reach_another_account(cloud):
    cloud.bucket("bkt", "k")
    carol = cloud.s3(cloud.user("carol", allow("s3:*"), owner=OTHER_ROOT))
    assert refusal(get, carol, "bkt", "k") == PLAIN_DENIED
    assert refusal(put, carol, "bkt", "k", b"overwritten") == PLAIN_DENIED
    # Its own account's buckets, though.
    carol.create_bucket(Bucket="carols")
    put(carol, "carols", "x")
    assert cloud.keys("carols", owner=OTHER_ROOT) == ["x"]
    assert cloud.body("bkt", "k") == b"k"


def test_bucket_policy_condition_on_the_principals_account(cloud):
    cloud.bucket("bkt", "k")
    condition = {"StringEquals": {"aws:PrincipalAccount": OTHER}}
    cloud.policy("bkt", statement("*", "s3:GetObject", object_arn("bkt", "*"), Condition=condition), public=True)
    assert get(cloud.s3(OTHER_ROOT), "bkt", "k") == b"k"
    assert refusal(get, cloud.s3(THIRD_ROOT), "bkt", "k") == PLAIN_DENIED
    # An anonymous caller has no account: the condition does not match.
    assert refusal(get, cloud.s3(None), "bkt", "k") == PLAIN_DENIED


def test_other_account_head_bucket_with_list_bucket_policy(cloud):
    cloud.bucket("bkt")
    other = cloud.s3(OTHER_ROOT)
    assert refusal(other.head_bucket, Bucket="bkt") == HEAD_DENIED
    cloud.policy("bkt", statement({"AWS": OTHER}, "s3:ListBucket", bucket_arn("bkt")))
    other.head_bucket(Bucket="bkt")
    # The bucket name is taken for every account.
    assert refusal(other.create_bucket, Bucket="bkt")[:2] == ("BucketAlreadyExists", 409)


def test_other_account_refusal_in_its_own_bucket_is_explained(cloud):
    cloud.bucket("theirs", "k", owner=OTHER_ROOT)
    dave = cloud.s3(cloud.user("dave", owner=OTHER_ROOT))
    assert refusal(get, dave, "theirs", "k") == s3_denied(
        user_arn("dave", OTHER), "s3:GetObject", object_arn("theirs", "k")
    )
    # The 000000000000 root user is the outsider here.
    assert refusal(get, cloud.s3(), "theirs", "k") == PLAIN_DENIED


# ------------------------------------------------------- copies, batch deletes


def test_copy_object_needs_read_on_its_source(cloud):
    cloud.bucket("src", "k")
    cloud.bucket("dst")
    keys = cloud.user("alice", allow("s3:PutObject", object_arn("dst", "*")))
    alice = cloud.s3(keys)
    assert refusal(alice.copy_object, Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "k"}) == (
        s3_denied(user_arn("alice"), "s3:GetObject", object_arn("src", "k"))
    )
    assert cloud.keys("dst") == []
    cloud.client("iam").put_user_policy(
        UserName="alice", PolicyName="read", PolicyDocument=document(allow("s3:GetObject", object_arn("src", "*")))
    )
    alice.copy_object(Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "k"})
    assert cloud.body("dst", "copy") == b"k"


def test_copy_object_needs_put_on_its_destination(cloud):
    cloud.bucket("src", "k")
    cloud.bucket("dst")
    alice = cloud.s3(cloud.user("alice", allow("s3:GetObject", object_arn("src", "*"))))
    assert refusal(alice.copy_object, Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "k"}) == (
        s3_denied(user_arn("alice"), "s3:PutObject", object_arn("dst", "copy"))
    )
    assert cloud.keys("dst") == []


def test_copy_of_a_source_version_needs_get_object_version(cloud):
    cloud.bucket("src")
    cloud.bucket("dst")
    s3 = cloud.s3()
    s3.put_bucket_versioning(Bucket="src", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="src", Key="k", Body=b"v1")["VersionId"]
    put(s3, "src", "k", b"v2")
    alice = cloud.s3(cloud.user("alice", allow(["s3:GetObject", "s3:PutObject"])))
    source = {"Bucket": "src", "Key": "k", "VersionId": first}
    assert refusal(alice.copy_object, Bucket="dst", Key="copy", CopySource=source) == s3_denied(
        user_arn("alice"), "s3:GetObjectVersion", object_arn("src", "k")
    )
    assert cloud.keys("dst") == []
    alice.copy_object(Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "k"})
    assert cloud.body("dst", "copy") == b"v2"


def test_cross_account_copy_source_refused(cloud):
    cloud.bucket("src", "k")
    cloud.bucket("dst", owner=OTHER_ROOT)
    other = cloud.s3(OTHER_ROOT)
    assert refusal(other.copy_object, Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "k"}) == (
        PLAIN_DENIED
    )
    assert cloud.keys("dst", owner=OTHER_ROOT) == []
    cloud.policy("src", statement({"AWS": OTHER}, "s3:GetObject", object_arn("src", "*")))
    other.copy_object(Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "k"})
    assert cloud.body("dst", "copy", owner=OTHER_ROOT) == b"k"


def test_delete_objects_refuses_the_denied_keys_and_deletes_the_rest(cloud):
    cloud.bucket("bkt", "a", "keep/b", "c")
    cloud.policy("bkt", statement("*", "s3:DeleteObject", object_arn("bkt", "keep/*"), "Deny"))
    alice = cloud.s3(cloud.user("alice", attach=(S3_FULL,)))
    answer = alice.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "a"}, {"Key": "keep/b"}, {"Key": "c"}]})
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["a", "c"]
    errors = answer["Errors"]
    assert [(e["Key"], e["Code"]) for e in errors] == [("keep/b", "AccessDenied")]
    assert errors[0]["Message"] == s3_denied(
        user_arn("alice"), "s3:DeleteObject", object_arn("bkt", "keep/b"), RESOURCE, explicit=True
    )[2]
    assert cloud.keys("bkt") == ["keep/b"]
    # Quiet mode still reports the refused keys.
    put(cloud.s3(), "bkt", "d")
    answer = alice.delete_objects(Bucket="bkt", Delete={"Quiet": True, "Objects": [{"Key": "keep/b"}, {"Key": "d"}]})
    assert "Deleted" not in answer
    assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("keep/b", "AccessDenied")]
    assert cloud.keys("bkt") == ["keep/b"]


def test_delete_objects_without_permission_deletes_nothing(cloud):
    cloud.bucket("bkt", "a", "c")
    alice = cloud.s3(cloud.user("alice", allow("s3:DeleteObject", object_arn("bkt", "a"))))
    answer = alice.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "a"}, {"Key": "c"}]})
    assert [d["Key"] for d in answer["Deleted"]] == ["a"]
    assert [(e["Key"], e["Code"], e["Message"]) for e in answer["Errors"]] == [
        ("c", "AccessDenied", s3_denied(user_arn("alice"), "s3:DeleteObject", object_arn("bkt", "c"))[2])
    ]
    assert cloud.keys("bkt") == ["c"]
    # Another account: every key refused, plainly.
    answer = cloud.s3(OTHER_ROOT).delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "c"}]})
    assert "Deleted" not in answer or answer["Deleted"] == []
    assert [(e["Key"], e["Code"], e["Message"]) for e in answer["Errors"]] == [("c", "AccessDenied", "Access Denied")]
    assert cloud.keys("bkt") == ["c"]


# ------------------------------------------------------------ anonymous callers


def test_anonymous_requests_are_refused_by_default(cloud):
    cloud.bucket("bkt", "k")
    anonymous = cloud.s3(None)
    assert refusal(get, anonymous, "bkt", "k") == PLAIN_DENIED
    assert refusal(put, anonymous, "bkt", "k", b"overwritten") == PLAIN_DENIED
    assert refusal(anonymous.list_objects_v2, Bucket="bkt") == PLAIN_DENIED
    assert refusal(anonymous.delete_object, Bucket="bkt", Key="k") == PLAIN_DENIED
    assert refusal(anonymous.create_bucket, Bucket="bkt2") == PLAIN_DENIED
    assert refusal(anonymous.head_object, Bucket="bkt", Key="k") == HEAD_DENIED
    assert refusal(anonymous.head_bucket, Bucket="bkt") == HEAD_DENIED
    assert refusal(anonymous.list_buckets) == PLAIN_DENIED
    assert cloud.keys("bkt") == ["k"]
    assert cloud.body("bkt", "k") == b"k"
    assert cloud.bucket_names() == ["bkt"]


def test_public_bucket_policy_lets_anonymous_callers_read(cloud):
    cloud.bucket("bkt", "k", "private/p")
    cloud.policy(
        "bkt",
        statement("*", "s3:GetObject", object_arn("bkt", "*")),
        statement("*", "s3:GetObject", object_arn("bkt", "private/*"), "Deny"),
        public=True,
    )
    anonymous = cloud.s3(None)
    assert get(anonymous, "bkt", "k") == b"k"
    anonymous.head_object(Bucket="bkt", Key="k")
    assert refusal(get, anonymous, "bkt", "private/p") == PLAIN_DENIED
    assert refusal(anonymous.list_objects_v2, Bucket="bkt") == PLAIN_DENIED
    assert refusal(put, anonymous, "bkt", "k", b"overwritten") == PLAIN_DENIED
    # Another account's root user, too: the policy names everyone.
    assert get(cloud.s3(OTHER_ROOT), "bkt", "k") == b"k"
    assert cloud.body("bkt", "k") == b"k"


def test_restrict_public_buckets_takes_the_public_policys_grant_away(cloud):
    cloud.bucket("bkt", "k")
    cloud.policy("bkt", statement("*", "s3:GetObject", object_arn("bkt", "*")), public=True)
    assert get(cloud.s3(None), "bkt", "k") == b"k"
    cloud.restrict_public_buckets("bkt")
    assert refusal(get, cloud.s3(None), "bkt", "k") == PLAIN_DENIED
    assert refusal(get, cloud.s3(OTHER_ROOT), "bkt", "k") == PLAIN_DENIED
    # Callers of the owner's account are not outsiders: the policy still speaks for them.
    assert get(cloud.s3(cloud.user("alice")), "bkt", "k") == b"k"


def test_public_read_object_acl_lets_anonymous_callers_read_it(cloud):
    cloud.bucket("bkt", "private", acls=True)
    put(cloud.s3(), "bkt", "open", b"open", ACL="public-read")
    anonymous = cloud.s3(None)
    assert get(anonymous, "bkt", "open") == b"open"
    assert refusal(get, anonymous, "bkt", "private") == PLAIN_DENIED
    assert refusal(anonymous.list_objects_v2, Bucket="bkt") == PLAIN_DENIED
    assert refusal(put, anonymous, "bkt", "open", b"overwritten") == PLAIN_DENIED
    assert cloud.body("bkt", "open") == b"open"


def test_object_acls_grant_nothing_once_the_bucket_owner_enforces_ownership(cloud):
    cloud.bucket("bkt", acls=True)
    put(cloud.s3(), "bkt", "open", b"open", ACL="public-read")
    assert get(cloud.s3(None), "bkt", "open") == b"open"
    cloud.s3().put_bucket_ownership_controls(
        Bucket="bkt", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    assert refusal(get, cloud.s3(None), "bkt", "open") == PLAIN_DENIED


def test_ignore_public_acls_takes_acl_grants_away(cloud):
    cloud.bucket("bkt", acls=True)
    put(cloud.s3(), "bkt", "open", b"open", ACL="public-read")
    cloud.s3().put_bucket_acl(Bucket="bkt", ACL="public-read")
    assert listed(cloud.s3(None), "bkt") == ["open"]
    cloud.restrict_public_buckets("bkt", ignore_public_acls=True)
    assert refusal(get, cloud.s3(None), "bkt", "open") == PLAIN_DENIED
    assert refusal(cloud.s3(None).list_objects_v2, Bucket="bkt") == PLAIN_DENIED


def test_authenticated_read_object_acl_admits_signed_callers_only(cloud):
    cloud.bucket("bkt", acls=True)
    put(cloud.s3(), "bkt", "k", b"k", ACL="authenticated-read")
    assert refusal(get, cloud.s3(None), "bkt", "k") == PLAIN_DENIED
    assert get(cloud.s3(OTHER_ROOT), "bkt", "k") == b"k"
    assert get(cloud.s3(THIRD_ROOT), "bkt", "k") == b"k"
    assert refusal(put, cloud.s3(OTHER_ROOT), "bkt", "k", b"overwritten") == PLAIN_DENIED
    assert cloud.body("bkt", "k") == b"k"


def test_public_read_bucket_acl_lets_anyone_list(cloud):
    cloud.bucket("bkt", "k", acls=True, ACL="public-read")
    anonymous = cloud.s3(None)
    assert listed(anonymous, "bkt") == ["k"]
    anonymous.head_bucket(Bucket="bkt")
    # The bucket's ACL does not open its objects.
    assert refusal(get, anonymous, "bkt", "k") == PLAIN_DENIED
    assert refusal(put, anonymous, "bkt", "new") == PLAIN_DENIED
    assert cloud.keys("bkt") == ["k"]


def test_public_read_write_bucket_acl_lets_anyone_put_and_delete(cloud):
    cloud.bucket("bkt", "k", acls=True, ACL="public-read-write")
    anonymous = cloud.s3(None)
    put(anonymous, "bkt", "dropped", b"anon")
    anonymous.delete_object(Bucket="bkt", Key="k")
    assert cloud.keys("bkt") == ["dropped"]
    assert cloud.body("bkt", "dropped") == b"anon"
    assert refusal(anonymous.delete_bucket, Bucket="bkt") == PLAIN_DENIED
    assert cloud.bucket_names() == ["bkt"]


def test_authenticated_read_bucket_acl_is_not_for_anonymous_callers(cloud):
    cloud.bucket("bkt", "k", acls=True, ACL="authenticated-read")
    assert refusal(cloud.s3(None).list_objects_v2, Bucket="bkt") == PLAIN_DENIED
    assert listed(cloud.s3(OTHER_ROOT), "bkt") == ["k"]


def raw_get(url: str, path: str, host: str) -> tuple[int, bytes]:
    """An unsigned GET with any Host header (the connection goes to nimbus)."""
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": f"{host}:{parsed.port}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_anonymous_virtual_hosted_requests_are_held_to_the_bucket_policy(cloud):
    cloud.bucket("pub", "k")
    status, body = raw_get(cloud.url, "/k", "pub.localhost")
    assert status == 403 and b"<Code>AccessDenied</Code><Message>Access Denied</Message>" in body
    cloud.policy("pub", statement("*", "s3:GetObject", object_arn("pub", "*")), public=True)
    assert raw_get(cloud.url, "/k", "pub.localhost") == (200, b"k")
    status, body = raw_get(cloud.url, "/", "pub.localhost")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body


def test_anonymous_get_of_a_version_needs_get_object_version(cloud):
    cloud.bucket("pvb")
    s3 = cloud.s3()
    s3.put_bucket_versioning(Bucket="pvb", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="pvb", Key="k", Body=b"1")["VersionId"]
    cloud.policy("pvb", statement("*", "s3:GetObject", object_arn("pvb", "*")), public=True)
    anonymous = cloud.s3(None)
    assert get(anonymous, "pvb", "k") == b"1"
    assert refusal(get, anonymous, "pvb", "k", VersionId=first) == PLAIN_DENIED
    cloud.policy("pvb", statement("*", ["s3:GetObject", "s3:GetObjectVersion"], object_arn("pvb", "*")))
    assert get(anonymous, "pvb", "k", VersionId=first) == b"1"


def test_put_object_acl_makes_an_object_public(cloud):
    cloud.bucket("bkt", "k", acls=True)
    anonymous = cloud.s3(None)
    assert refusal(get, anonymous, "bkt", "k") == PLAIN_DENIED
    alice = cloud.s3(cloud.user("alice", allow("s3:PutObjectAcl")))
    alice.put_object_acl(Bucket="bkt", Key="k", ACL="public-read")
    assert get(anonymous, "bkt", "k") == b"k"
    bob = cloud.s3(cloud.user("bob", allow("s3:GetObject")))
    assert refusal(bob.put_object_acl, Bucket="bkt", Key="k", ACL="private") == s3_denied(
        user_arn("bob"), "s3:PutObjectAcl", object_arn("bkt", "k")
    )
    assert get(anonymous, "bkt", "k") == b"k"


def test_object_acl_of_an_old_version_decides_for_that_version(cloud):
    cloud.bucket("ver", acls=True)
    s3 = cloud.s3()
    s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
    private = s3.put_object(Bucket="ver", Key="k", Body=b"old-private")["VersionId"]
    s3.put_object(Bucket="ver", Key="k", Body=b"new-public", ACL="public-read")
    anonymous = cloud.s3(None)
    assert get(anonymous, "ver", "k") == b"new-public"
    # The old version's ACL is private: the current version's grant must not reach it.
    assert refusal(get, anonymous, "ver", "k", VersionId=private) == PLAIN_DENIED


def test_public_read_acl_of_an_old_version_lets_it_be_read(cloud):
    cloud.bucket("ver", acls=True)
    s3 = cloud.s3()
    s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
    public = s3.put_object(Bucket="ver", Key="k", Body=b"old-public", ACL="public-read")["VersionId"]
    s3.delete_object(Bucket="ver", Key="k")  # a delete marker is now current
    assert get(cloud.s3(None), "ver", "k", VersionId=public) == b"old-public"


# ------------------------------------------------- --verify-signatures alone


def test_verify_signatures_alone_does_not_hold_signed_requests(verifying):
    cloud = verifying
    cloud.bucket("bkt", "k")
    alice = cloud.s3(cloud.user("alice"))  # no policies
    put(alice, "bkt", "by-alice", b"a")
    assert get(alice, "bkt", "k") == b"k"
    other = cloud.s3(OTHER_ROOT)
    assert get(other, "bkt", "by-alice") == b"a"
    other.delete_object(Bucket="bkt", Key="by-alice")
    assert cloud.keys("bkt") == ["k"]


def test_verify_signatures_alone_holds_anonymous_requests_to_the_bucket(verifying):
    cloud = verifying
    cloud.bucket("bkt", "k", "private/p")
    anonymous = cloud.s3(None)
    assert refusal(get, anonymous, "bkt", "k") == PLAIN_DENIED
    assert refusal(put, anonymous, "bkt", "new") == PLAIN_DENIED
    assert refusal(anonymous.list_objects_v2, Bucket="bkt") == PLAIN_DENIED
    assert refusal(anonymous.create_bucket, Bucket="anon") == PLAIN_DENIED
    assert refusal(anonymous.list_buckets) == PLAIN_DENIED
    assert refusal(anonymous.head_object, Bucket="bkt", Key="k") == HEAD_DENIED
    cloud.policy(
        "bkt",
        statement("*", "s3:GetObject", object_arn("bkt", "*")),
        statement("*", "s3:GetObject", object_arn("bkt", "private/*"), "Deny"),
        public=True,
    )
    assert get(anonymous, "bkt", "k") == b"k"
    assert refusal(get, anonymous, "bkt", "private/p") == PLAIN_DENIED
    assert refusal(put, anonymous, "bkt", "new") == PLAIN_DENIED
    assert cloud.keys("bkt") == ["k", "private/p"]
    assert cloud.bucket_names() == ["bkt"]
    # Signed callers are still not held to the policy's Deny.
    assert get(cloud.s3(OTHER_ROOT), "bkt", "private/p") == b"private/p"


def test_verify_signatures_alone_honours_object_acls_for_anonymous_callers(verifying):
    cloud = verifying
    cloud.bucket("bkt", "private", acls=True)
    put(cloud.s3(), "bkt", "open", b"open", ACL="public-read")
    anonymous = cloud.s3(None)
    assert get(anonymous, "bkt", "open") == b"open"
    assert refusal(get, anonymous, "bkt", "private") == PLAIN_DENIED


def test_verify_signatures_alone_unsigned_sqs(verifying):
    # SQS's profile admits unsigned requests too (its queue policies decide):
    # with signatures verified, an anonymous caller is held to the queue policy.
    cloud = verifying
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="q1")["QueueUrl"]
    anonymous = cloud.client("sqs", None)
    code, status, message = refusal(anonymous.send_message, QueueUrl=url, MessageBody="x")
    assert (code, status) == ("AccessDenied", 403), message
    names = ["ApproximateNumberOfMessages"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"][names[0]] == "0"
    assert message == not_authorized(
        "anonymous",
        "sqs:sendmessage",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:q1",
        no_allow(RESOURCE, "sqs:sendmessage"),
    )
    policy = document(statement("*", "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q1"))
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    anonymous.send_message(QueueUrl=url, MessageBody="x")
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"][names[0]] == "1"


# ------------------------------------------------------------- website endpoint


def website_get(url: str, bucket: str, path: str) -> tuple[int, bytes]:
    return raw_get(url, path, f"{bucket}.s3-website.localhost")


@pytest.mark.parametrize("flags", [(), ("--enforce-iam",)], ids=["plain", "enforce-iam"])
def test_website_evaluates_public_policy_conditions(launch_nimbus, flags):
    cloud = S3Cloud(launch_nimbus(*flags).url)
    cloud.bucket("site")
    s3 = cloud.s3()
    s3.put_bucket_website(Bucket="site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    put(s3, "site", "index.html", b"home", ContentType="text/html")
    put(s3, "site", "secure.html", b"secure", ContentType="text/html")
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    secure = {"Bool": {"aws:SecureTransport": "true"}}
    cloud.policy(
        "site",
        statement("*", "s3:GetObject", object_arn("site", "index.html"), Condition=insecure),
        statement("*", "s3:GetObject", object_arn("site", "secure.html"), Condition=secure),
        public=True,
    )
    assert website_get(cloud.url, "site", "/") == (200, b"home")
    status, body = website_get(cloud.url, "site", "/secure.html")
    assert status == 403 and b"<li>Code: AccessDenied</li>" in body
