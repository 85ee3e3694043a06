"""IAM end to end: boto3 and the AWS CLI against the real nimbus binary
(`endpoint`, `aws_client`, `aws` and `launch_nimbus` come from conftest.py).

The session's nimbus is shared by every test of the run, so each test names
its users, groups, roles, policies and instance profiles uniquely and never
assumes an empty account; listings are narrowed with a unique path prefix.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from typing import Callable

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, CliResult, cli_env

ACCOUNT = "000000000000"
AWS_POLICY = "arn:aws:iam::aws:policy/"
ADMIN = AWS_POLICY + "AdministratorAccess"
READ_ONLY = AWS_POLICY + "ReadOnlyAccess"
LAMBDA_BASIC = AWS_POLICY + "service-role/AWSLambdaBasicExecutionRole"
# IAM's unique ids: a four-letter prefix, then 17 characters of A-Z and 2-7.
UNIQUE_ID = r"[A-Z2-7]{17}"


# ------------------------------------------------------------------ helpers


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def client_as(url: str, service: str, key: str = "test", secret: str = "test", validate: bool = True):
    """A boto3 client signed with the given keys; `validate=False` lets
    invalid input reach the server."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(parameter_validation=validate, retries={"max_attempts": 1, "mode": "standard"}),
    )


def error_of(call: Callable, *args, **kwargs) -> tuple[str, str, int]:
    """Calls `call`, which must fail: (code, message, HTTP status)."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def identity_policy(action: str | list[str] = "s3:GetObject", resource: str = "*", **extra) -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def trust_policy(service: str = "ec2.amazonaws.com", **extra) -> dict:
    """A trust policy letting `service` assume the role (`extra` joins its statement)."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", **extra}
    return {"Version": "2012-10-17", "Statement": [statement]}


def make_user(iam, **extra) -> str:
    name = unique("user")
    iam.create_user(UserName=name, **extra)
    return name


def make_group(iam, **extra) -> str:
    name = unique("group")
    iam.create_group(GroupName=name, **extra)
    return name


def make_role(iam, trust: dict | None = None, **extra) -> str:
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust or trust_policy()), **extra)
    return name


def make_policy(iam, document: str | None = None, **extra) -> str:
    """Creates a customer managed policy; returns its ARN."""
    name = unique("policy")
    created = iam.create_policy(PolicyName=name, PolicyDocument=document or identity_policy(), **extra)
    return created["Policy"]["Arn"]


def make_profile(iam, **extra) -> str:
    name = unique("profile")
    iam.create_instance_profile(InstanceProfileName=name, **extra)
    return name


def caller_arn(url: str, key: str, secret: str) -> str | None:
    """The ARN GetCallerIdentity names for these keys, or None if refused."""
    try:
        return client_as(url, "sts", key, secret).get_caller_identity()["Arn"]
    except ClientError:
        return None


def aws_as(url: str, key: str, secret: str, *args: str) -> CliResult:
    """Like the `aws` fixture, signed with the given long-term keys."""
    env = cli_env()
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    done = subprocess.run(
        ["aws", *args, "--endpoint-url", url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def ok(result: CliResult):
    """The JSON output of a CLI call that must succeed."""
    assert result.returncode == 0, result.stderr
    return result.json() if result.stdout.strip() else None


@pytest.fixture
def iam(aws_client):
    return aws_client("iam")


@pytest.fixture
def raw_iam(endpoint):
    """An IAM client that skips botocore's own parameter validation."""
    return client_as(endpoint, "iam", validate=False)


# -------------------------------------------------------------------- users


def test_create_user_with_path_tags_and_boundary(iam):
    name = unique("user")
    tags = [{"Key": "team", "Value": "infra"}, {"Key": "cost-center", "Value": "42"}]
    created = iam.create_user(UserName=name, Path="/engineering/", Tags=tags, PermissionsBoundary=READ_ONLY)["User"]
    assert created["UserName"] == name
    assert created["Path"] == "/engineering/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/engineering/{name}"
    assert re.fullmatch("AIDA" + UNIQUE_ID, created["UserId"])
    assert created["Tags"] == tags

    user = iam.get_user(UserName=name)["User"]
    assert {k: user[k] for k in ("UserName", "Path", "Arn", "UserId", "CreateDate")} == {
        k: created[k] for k in ("UserName", "Path", "Arn", "UserId", "CreateDate")
    }
    assert user["Tags"] == tags
    assert user["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": READ_ONLY,
    }


def test_user_ids_are_unique(iam):
    first = iam.get_user(UserName=make_user(iam))["User"]["UserId"]
    second = iam.get_user(UserName=make_user(iam))["User"]["UserId"]
    assert first != second
    for user_id in (first, second):
        assert len(user_id) == 21 and re.fullmatch("AIDA" + UNIQUE_ID, user_id)


def test_get_user_without_a_name_is_the_root_caller(iam):
    user = iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert user["UserId"] == ACCOUNT


def test_list_users_by_path_prefix_and_pages(iam):
    path = f"/{unique('list')}/"
    names = sorted(make_user(iam, Path=path) for _ in range(5))
    other = make_user(iam, Path=f"{path}nested/")
    make_user(iam)  # outside the prefix

    everything = iam.list_users(PathPrefix=path)
    assert [u["UserName"] for u in everything["Users"]] == sorted(names + [other])
    assert everything["IsTruncated"] is False and "Marker" not in everything

    seen, marker, pages = [], None, 0
    while True:
        page = iam.list_users(PathPrefix=path, MaxItems=2, **({"Marker": marker} if marker else {}))
        pages += 1
        assert len(page["Users"]) <= 2
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert pages == 3
    assert seen == sorted(names + [other])

    paginated = iam.get_paginator("list_users").paginate(PathPrefix=path, PaginationConfig={"PageSize": 4})
    assert [u["UserName"] for page in paginated for u in page["Users"]] == sorted(names + [other])
    assert iam.list_users(PathPrefix=f"/{unique('none')}/")["Users"] == []


def test_update_user_renames_and_moves(iam, endpoint):
    name = make_user(iam, Path="/old/")
    group = make_group(iam)
    iam.add_user_to_group(GroupName=group, UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=identity_policy())
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_id = iam.get_user(UserName=name)["User"]["UserId"]

    new_name = unique("renamed")
    iam.update_user(UserName=name, NewUserName=new_name, NewPath="/new/")

    assert error_of(iam.get_user, UserName=name) == (
        "NoSuchEntity",
        f"The user with name {name} cannot be found.",
        404,
    )
    user = iam.get_user(UserName=new_name)["User"]
    assert user["Path"] == "/new/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/new/{new_name}"
    assert user["UserId"] == user_id
    # What the user had follows it.
    keys = iam.list_access_keys(UserName=new_name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["UserName"]) for k in keys] == [(key["AccessKeyId"], new_name)]
    assert iam.list_user_policies(UserName=new_name)["PolicyNames"] == ["inline"]
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [new_name]
    # And the key signs as the renamed user.
    identity = client_as(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert identity["Arn"] == user["Arn"]


def test_rename_to_a_taken_name_is_refused(iam):
    first, second = make_user(iam), make_user(iam)
    assert error_of(iam.update_user, UserName=first, NewUserName=second.upper()) == (
        "EntityAlreadyExists",
        f"User with name {second.upper()} already exists.",
        409,
    )
    # Changing only the case of one's own name is allowed.
    iam.update_user(UserName=first, NewUserName=first.upper())
    assert iam.get_user(UserName=first)["User"]["UserName"] == first.upper()


def test_duplicate_user_names_are_refused_without_regard_to_case(iam):
    name = make_user(iam)
    assert error_of(iam.create_user, UserName=name) == (
        "EntityAlreadyExists",
        f"User with name {name} already exists.",
        409,
    )
    assert error_of(iam.create_user, UserName=name.upper()) == (
        "EntityAlreadyExists",
        f"User with name {name.upper()} already exists.",
        409,
    )
    # Lookups ignore case too.
    assert iam.get_user(UserName=name.upper())["User"]["UserName"] == name


def test_delete_user_and_missing_user(iam):
    name = make_user(iam)
    iam.delete_user(UserName=name)
    message = f"The user with name {name} cannot be found."
    assert error_of(iam.get_user, UserName=name) == ("NoSuchEntity", message, 404)
    assert error_of(iam.delete_user, UserName=name) == ("NoSuchEntity", message, 404)


def test_delete_user_must_first_lose_what_it_has(iam):
    name = make_user(iam)
    group = make_group(iam)
    policy = make_policy(iam)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=identity_policy())
    iam.attach_user_policy(UserName=name, PolicyArn=policy)
    iam.add_user_to_group(GroupName=group, UserName=name)

    def conflict() -> str:
        code, message, status = error_of(iam.delete_user, UserName=name)
        assert (code, status) == ("DeleteConflict", 409)
        return message

    assert conflict() == "Cannot delete entity, must delete access keys first."
    iam.delete_access_key(UserName=name, AccessKeyId=key)
    assert conflict() == "Cannot delete entity, must delete policies first."
    iam.delete_user_policy(UserName=name, PolicyName="inline")
    assert conflict() == "Cannot delete entity, must detach all policies first."
    iam.detach_user_policy(UserName=name, PolicyArn=policy)
    assert conflict() == "Cannot delete entity, must remove user from all groups first."
    iam.remove_user_from_group(GroupName=group, UserName=name)
    iam.delete_user(UserName=name)
    assert error_of(iam.get_user, UserName=name)[0] == "NoSuchEntity"


@pytest.mark.parametrize(
    "bad_name, constraint",
    [
        ("has space", "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
        ("x" * 65, "Member must have length less than or equal to 64"),
    ],
)
def test_invalid_user_name_is_a_validation_error(raw_iam, bad_name, constraint):
    assert error_of(raw_iam.create_user, UserName=bad_name) == (
        "ValidationError",
        f"1 validation error detected: Value '{bad_name}' at 'userName' failed to satisfy constraint: {constraint}",
        400,
    )


def test_users_belong_to_their_account(endpoint, iam):
    account = "210987654321"
    other = client_as(endpoint, "iam", key=account)
    name = unique("user")
    created = other.create_user(UserName=name)["User"]
    assert created["Arn"] == f"arn:aws:iam::{account}:user/{name}"
    assert other.get_user(UserName=name)["User"]["UserId"] == created["UserId"]
    assert error_of(iam.get_user, UserName=name)[0] == "NoSuchEntity"


def test_list_users_leaves_out_tags_and_boundary(iam):
    path = f"/{unique('bare')}/"
    make_user(iam, Path=path, Tags=[{"Key": "k", "Value": "v"}], PermissionsBoundary=READ_ONLY)
    [listed] = iam.list_users(PathPrefix=path)["Users"]
    assert "Tags" not in listed
    assert "PermissionsBoundary" not in listed


def test_cli_user_lifecycle(aws, iam):
    path = f"/{unique('cli')}/"
    name = unique("cli-user")
    created = ok(aws("iam", "create-user", "--user-name", name, "--path", path, "--tags", "Key=team,Value=cli"))
    assert created["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user{path}{name}"
    assert created["User"]["Tags"] == [{"Key": "team", "Value": "cli"}]
    second = make_user(iam, Path=path)

    # --page-size 1 makes the CLI follow the markers page by page.
    listed = ok(aws("iam", "list-users", "--path-prefix", path, "--page-size", "1"))
    assert sorted(u["UserName"] for u in listed["Users"]) == sorted([name, second])
    assert ok(aws("iam", "get-user", "--user-name", name))["User"]["UserId"] == created["User"]["UserId"]

    assert ok(aws("iam", "delete-user", "--user-name", name)) is None
    missing = aws("iam", "get-user", "--user-name", name)
    assert missing.returncode != 0
    assert "NoSuchEntity" in missing.stderr
    assert f"The user with name {name} cannot be found." in missing.stderr


# ------------------------------------------------------------------- groups


def test_group_membership_lifecycle(iam):
    path = f"/{unique('teams')}/"
    name = unique("group")
    created = iam.create_group(GroupName=name, Path=path)["Group"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:group{path}{name}"
    assert re.fullmatch("AGPA" + UNIQUE_ID, created["GroupId"])

    members = sorted([make_user(iam), make_user(iam)])
    for member in members:
        iam.add_user_to_group(GroupName=name, UserName=member)
    iam.add_user_to_group(GroupName=name, UserName=members[0])  # twice is once

    got = iam.get_group(GroupName=name)
    assert got["Group"]["GroupId"] == created["GroupId"]
    assert [u["UserName"] for u in got["Users"]] == members
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix=path)["Groups"]] == [name]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=members[0])["Groups"]] == [name]

    assert error_of(iam.delete_group, GroupName=name) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
        409,
    )
    iam.remove_user_from_group(GroupName=name, UserName=members[0])
    assert [u["UserName"] for u in iam.get_group(GroupName=name)["Users"]] == [members[1]]
    assert iam.list_groups_for_user(UserName=members[0])["Groups"] == []
    assert error_of(iam.remove_user_from_group, GroupName=name, UserName=members[0]) == (
        "NoSuchEntity",
        f"The user with name {members[0]} cannot be found.",
        404,
    )

    iam.remove_user_from_group(GroupName=name, UserName=members[1])
    iam.delete_group(GroupName=name)
    assert error_of(iam.get_group, GroupName=name) == (
        "NoSuchEntity",
        f"The group with name {name} cannot be found.",
        404,
    )


def test_update_group_rename_keeps_members(iam):
    name = make_group(iam, Path="/before/")
    member = make_user(iam)
    iam.add_user_to_group(GroupName=name, UserName=member)
    group_id = iam.get_group(GroupName=name)["Group"]["GroupId"]

    new_name = unique("renamed-group")
    iam.update_group(GroupName=name, NewGroupName=new_name, NewPath="/after/")
    assert error_of(iam.get_group, GroupName=name)[0] == "NoSuchEntity"
    got = iam.get_group(GroupName=new_name)
    assert got["Group"]["GroupId"] == group_id
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/after/{new_name}"
    assert [u["UserName"] for u in got["Users"]] == [member]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=member)["Groups"]] == [new_name]


def test_group_errors(iam):
    name = make_group(iam)
    assert error_of(iam.create_group, GroupName=name.upper()) == (
        "EntityAlreadyExists",
        f"Group with name {name.upper()} already exists.",
        409,
    )
    missing = unique("no-group")
    assert error_of(iam.add_user_to_group, GroupName=missing, UserName=make_user(iam)) == (
        "NoSuchEntity",
        f"The group with name {missing} cannot be found.",
        404,
    )
    nobody = unique("nobody")
    assert error_of(iam.add_user_to_group, GroupName=name, UserName=nobody) == (
        "NoSuchEntity",
        f"The user with name {nobody} cannot be found.",
        404,
    )


def test_delete_group_with_policies_is_a_conflict(iam):
    name = make_group(iam)
    iam.put_group_policy(GroupName=name, PolicyName="inline", PolicyDocument=identity_policy())
    assert error_of(iam.delete_group, GroupName=name) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
        409,
    )
    iam.delete_group_policy(GroupName=name, PolicyName="inline")
    iam.attach_group_policy(GroupName=name, PolicyArn=READ_ONLY)
    assert error_of(iam.delete_group, GroupName=name) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    iam.detach_group_policy(GroupName=name, PolicyArn=READ_ONLY)
    iam.delete_group(GroupName=name)


# -------------------------------------------------------------------- roles


def test_create_role_with_trust_policy(iam):
    name = unique("role")
    trust = trust_policy("lambda.amazonaws.com")
    created = iam.create_role(
        RoleName=name, Path="/service/", AssumeRolePolicyDocument=json.dumps(trust), Description="runs lambdas"
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{name}"
    assert re.fullmatch("AROA" + UNIQUE_ID, created["RoleId"])
    # The document comes back URL-encoded; botocore decodes it to a dict.
    assert created["AssumeRolePolicyDocument"] == trust

    role = iam.get_role(RoleName=name)["Role"]
    assert role["RoleId"] == created["RoleId"]
    assert role["AssumeRolePolicyDocument"] == trust
    assert role["Description"] == "runs lambdas"
    assert role["MaxSessionDuration"] == 3600
    assert "PermissionsBoundary" not in role

    assert name in [r["RoleName"] for r in iam.list_roles(PathPrefix="/service/", MaxItems=1000)["Roles"]]
    assert error_of(iam.create_role, RoleName=name.upper(), AssumeRolePolicyDocument=json.dumps(trust)) == (
        "EntityAlreadyExists",
        f"Role with name {name.upper()} already exists.",
        409,
    )


def test_update_role_description_and_trust(iam):
    name = make_role(iam, Description="first", MaxSessionDuration=7200)
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200

    iam.update_role(RoleName=name, Description="second", MaxSessionDuration=43200)
    role = iam.get_role(RoleName=name)["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 43200)

    updated = iam.update_role_description(RoleName=name, Description="third")["Role"]
    assert updated["RoleName"] == name and updated["Description"] == "third"
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "third"

    account_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(account_trust))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == account_trust


def test_max_session_duration_is_validated(raw_iam):
    name = make_role(raw_iam)
    assert error_of(raw_iam.update_role, RoleName=name, MaxSessionDuration=100) == (
        "ValidationError",
        "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: "
        "Member must have value greater than or equal to 3600",
        400,
    )


def test_missing_role(iam):
    name = unique("no-role")
    message = f"The role with name {name} cannot be found."
    assert error_of(iam.get_role, RoleName=name) == ("NoSuchEntity", message, 404)
    assert error_of(iam.update_role, RoleName=name, Description="x") == ("NoSuchEntity", message, 404)
    assert error_of(iam.delete_role, RoleName=name) == ("NoSuchEntity", message, 404)


def test_delete_role_must_first_lose_what_it_has(iam):
    name = make_role(iam)
    profile = make_profile(iam)
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=identity_policy())
    iam.attach_role_policy(RoleName=name, PolicyArn=LAMBDA_BASIC)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=name)

    def conflict() -> str:
        code, message, status = error_of(iam.delete_role, RoleName=name)
        assert (code, status) == ("DeleteConflict", 409)
        return message

    assert conflict() == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    assert conflict() == "Cannot delete entity, must detach all policies first."
    iam.detach_role_policy(RoleName=name, PolicyArn=LAMBDA_BASIC)
    assert conflict() == "Cannot delete entity, must remove roles from instance profile first."
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=name)
    iam.delete_role(RoleName=name)
    assert error_of(iam.get_role, RoleName=name)[0] == "NoSuchEntity"


@pytest.mark.parametrize(
    "document, message",
    [
        (json.dumps(trust_policy(Resource="*")), "Has prohibited field Resource"),
        ('{"Version": "2012-10-17", "Statement": [', "This policy contains invalid Json"),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
            "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
            "The passed in policy has a statement with no principals!",
        ),
    ],
    ids=["resource", "invalid-json", "no-principal"],
)
def test_malformed_trust_policy(iam, document, message):
    name = unique("role")
    assert error_of(iam.create_role, RoleName=name, AssumeRolePolicyDocument=document) == (
        "MalformedPolicyDocument",
        message,
        400,
    )
    assert error_of(iam.get_role, RoleName=name)[0] == "NoSuchEntity"
    existing = make_role(iam)
    assert error_of(iam.update_assume_role_policy, RoleName=existing, PolicyDocument=document) == (
        "MalformedPolicyDocument",
        message,
        400,
    )
    assert iam.get_role(RoleName=existing)["Role"]["AssumeRolePolicyDocument"] == trust_policy()


def test_create_role_response_has_its_tags(iam):
    tags = [{"Key": "Department", "Value": "Accounting"}]
    created = iam.create_role(
        RoleName=unique("role"), AssumeRolePolicyDocument=json.dumps(trust_policy()), Tags=tags
    )["Role"]
    assert created.get("Tags") == tags


def test_list_roles_leaves_out_the_boundary(iam):
    path = f"/{unique('bare')}/"
    make_role(iam, Path=path, PermissionsBoundary=READ_ONLY)
    [listed] = iam.list_roles(PathPrefix=path)["Roles"]
    assert "PermissionsBoundary" not in listed


def test_cli_role_with_trust_policy(aws, tmp_path):
    name = unique("cli-role")
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(trust_policy("ecs-tasks.amazonaws.com")))
    created = ok(
        aws(
            "iam", "create-role", "--role-name", name,
            "--assume-role-policy-document", f"file://{trust_file}",
            "--description", "from the cli",
        )
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    role = ok(aws("iam", "get-role", "--role-name", name))["Role"]
    assert role["AssumeRolePolicyDocument"] == trust_policy("ecs-tasks.amazonaws.com")
    assert role["Description"] == "from the cli"
    assert role["MaxSessionDuration"] == 3600


# --------------------------------------------------------- managed policies


def test_create_and_get_policy(iam):
    name = unique("policy")
    document = identity_policy(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::bucket/*")
    tags = [{"Key": "owner", "Value": "me"}]
    created = iam.create_policy(
        PolicyName=name, Path="/team/", PolicyDocument=document, Description="object access", Tags=tags
    )["Policy"]
    assert created["PolicyName"] == name
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team/{name}"
    assert re.fullmatch("ANPA" + UNIQUE_ID, created["PolicyId"])
    assert created["DefaultVersionId"] == "v1"
    assert created["AttachmentCount"] == 0
    assert created["IsAttachable"] is True
    assert created["Tags"] == tags

    policy = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    for field in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount"):
        assert policy[field] == created[field]
    assert policy["Description"] == "object access"
    version = iam.get_policy_version(PolicyArn=created["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(document)
    assert version["IsDefaultVersion"] is True


def test_missing_policy(iam):
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{unique('no-policy')}"
    assert error_of(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    assert error_of(iam.delete_policy, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_duplicate_policy_name_is_refused(iam):
    arn = make_policy(iam)
    name = arn.rsplit("/", 1)[1]
    assert error_of(iam.create_policy, PolicyName=name.upper(), PolicyDocument=identity_policy()) == (
        "EntityAlreadyExists",
        f"A policy called {name.upper()} already exists. Duplicate names are not allowed.",
        409,
    )


@pytest.mark.parametrize(
    "document, message",
    [
        (identity_policy(Principal="*"), "Policy document should not specify a principal."),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
            "Policy statement must contain resources.",
        ),
        ("not json at all", "This policy contains invalid Json"),
    ],
    ids=["principal", "no-resource", "invalid-json"],
)
def test_malformed_identity_policy(iam, document, message):
    expected = ("MalformedPolicyDocument", message, 400)
    assert error_of(iam.create_policy, PolicyName=unique("policy"), PolicyDocument=document) == expected
    assert error_of(iam.create_policy_version, PolicyArn=make_policy(iam), PolicyDocument=document) == expected
    user = make_user(iam)
    assert error_of(iam.put_user_policy, UserName=user, PolicyName="p", PolicyDocument=document) == expected
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []


def test_policy_versions(iam):
    arn = make_policy(iam, document=identity_policy("sqs:SendMessage"))
    documents = {"v1": identity_policy("sqs:SendMessage")}
    for number in range(2, 6):
        document = identity_policy(f"sqs:Action{number}")
        made = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=(number == 3))
        assert made["PolicyVersion"]["VersionId"] == f"v{number}"
        assert made["PolicyVersion"]["IsDefaultVersion"] is (number == 3)
        documents[f"v{number}"] = document

    assert error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=identity_policy("sqs:Too")) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
        "existing version.",
        409,
    )

    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in listed) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["VersionId"] for v in listed if v["IsDefaultVersion"]] == ["v3"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    for version_id, document in documents.items():
        got = iam.get_policy_version(PolicyArn=arn, VersionId=version_id)["PolicyVersion"]
        assert got["Document"] == json.loads(document)
        assert got["IsDefaultVersion"] is (version_id == "v3")

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v5") == (
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
        409,
    )

    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]) == [
        "v1", "v3", "v4", "v5"
    ]
    missing = ("NoSuchEntity", f"Policy {arn} version v2 does not exist.", 404)
    assert error_of(iam.get_policy_version, PolicyArn=arn, VersionId="v2") == missing
    assert error_of(iam.set_default_policy_version, PolicyArn=arn, VersionId="v2") == missing
    # Room again for one more; numbers are never reused.
    again = iam.create_policy_version(PolicyArn=arn, PolicyDocument=identity_policy("sqs:Again"))
    assert again["PolicyVersion"]["VersionId"] == "v6"


def test_delete_policy(iam):
    arn = make_policy(iam)
    user = make_user(iam)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert error_of(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
        409,
    )
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=identity_policy("s3:ListBucket"))
    assert error_of(iam.delete_policy, PolicyArn=arn)[0] == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")

    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_list_policies_by_scope(iam):
    path = f"/{unique('scope')}/"
    arn = make_policy(iam, Path=path)

    local = iam.list_policies(Scope="Local", MaxItems=1000)["Policies"]
    assert arn in [p["Arn"] for p in local]
    assert not any(p["Arn"].startswith(AWS_POLICY) for p in local)

    aws_managed = iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]
    aws_arns = [p["Arn"] for p in aws_managed]
    assert ADMIN in aws_arns and LAMBDA_BASIC in aws_arns
    assert all(a.startswith(AWS_POLICY) for a in aws_arns)

    everything = [p["Arn"] for p in iam.list_policies(Scope="All", MaxItems=1000)["Policies"]]
    assert arn in everything and ADMIN in everything

    assert [p["Arn"] for p in iam.list_policies(PathPrefix=path)["Policies"]] == [arn]
    service_roles = iam.list_policies(Scope="AWS", PathPrefix="/service-role/", MaxItems=1000)["Policies"]
    assert LAMBDA_BASIC in [p["Arn"] for p in service_roles]
    assert all(p["Path"] == "/service-role/" for p in service_roles)


def test_list_policies_only_attached(iam):
    path = f"/{unique('attached')}/"
    attached, idle = make_policy(iam, Path=path), make_policy(iam, Path=path)
    iam.attach_role_policy(RoleName=make_role(iam), PolicyArn=attached)

    listed = iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"]
    assert [(p["Arn"], p["AttachmentCount"]) for p in listed] == [(attached, 1)]
    assert sorted(p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]) == sorted(
        [attached, idle]
    )


def test_aws_managed_policies(iam):
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert admin["PolicyName"] == "AdministratorAccess"
    assert admin["Path"] == "/"
    assert re.fullmatch("ANPA" + UNIQUE_ID, admin["PolicyId"])
    assert admin["IsAttachable"] is True
    version = iam.get_policy_version(PolicyArn=ADMIN, VersionId=admin["DefaultVersionId"])["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    assert version["Document"]["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]

    basic = iam.get_policy(PolicyArn=LAMBDA_BASIC)["Policy"]
    assert basic["PolicyName"] == "AWSLambdaBasicExecutionRole"
    assert basic["Path"] == "/service-role/"
    document = iam.get_policy_version(PolicyArn=LAMBDA_BASIC, VersionId=basic["DefaultVersionId"])[
        "PolicyVersion"
    ]["Document"]
    [statement] = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} <= set(statement["Action"])
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=LAMBDA_BASIC)["Versions"]] == [
        basic["DefaultVersionId"]
    ]


def test_aws_managed_policies_are_read_only(iam):
    code, _, _ = error_of(iam.create_policy_version, PolicyArn=ADMIN, PolicyDocument=identity_policy())
    assert code in ("NoSuchEntity", "AccessDenied")
    code, _, _ = error_of(iam.delete_policy, PolicyArn=ADMIN)
    assert code in ("NoSuchEntity", "AccessDenied")
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["DefaultVersionId"] == "v1"


def test_attaching_a_policy_that_does_not_exist(iam):
    user = make_user(iam)
    for arn in (AWS_POLICY + "NoSuchPolicy", f"arn:aws:iam::{ACCOUNT}:policy/{unique('missing')}"):
        assert error_of(iam.attach_user_policy, UserName=user, PolicyArn=arn) == (
            "NoSuchEntity",
            f"Policy {arn} does not exist or is not attachable.",
            404,
        )
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == []


def test_get_aws_managed_policy_has_its_description(iam):
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"].get("Description") == (
        "Provides full access to AWS services and resources."
    )


def test_list_policies_pages_return_every_policy(iam):
    whole = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]]
    pages = iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 5})
    paged = [p["Arn"] for page in pages for p in page["Policies"]]
    assert sorted(paged) == sorted(whole)


def test_list_policy_versions_pages(iam):
    arn = make_policy(iam)
    for number in range(2, 5):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=identity_policy(f"s3:Action{number}"))
    first = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert len(first["Versions"]) == 2
    assert first["IsTruncated"] is True and first.get("Marker")
    pages = iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 2})
    assert sorted(v["VersionId"] for page in pages for v in page["Versions"]) == ["v1", "v2", "v3", "v4"]


def test_delete_policy_used_as_a_boundary_is_a_conflict(iam):
    arn = make_policy(iam)
    user = make_user(iam, PermissionsBoundary=arn)
    assert error_of(iam.delete_policy, PolicyArn=arn)[::2] == ("DeleteConflict", 409)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn


def test_cli_policy_and_versions(aws, tmp_path):
    name = unique("cli-policy")
    document = tmp_path / "policy.json"
    document.write_text(identity_policy("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:000000000000:table/t"))
    arn = ok(aws("iam", "create-policy", "--policy-name", name, "--policy-document", f"file://{document}"))[
        "Policy"
    ]["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/{name}"

    document.write_text(identity_policy("dynamodb:Query", "*"))
    made = ok(
        aws(
            "iam", "create-policy-version", "--policy-arn", arn,
            "--policy-document", f"file://{document}", "--set-as-default",
        )
    )
    assert made["PolicyVersion"]["VersionId"] == "v2"
    version = ok(aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v2"))["PolicyVersion"]
    assert version["Document"] == json.loads(identity_policy("dynamodb:Query", "*"))
    assert version["IsDefaultVersion"] is True


# ---------------------------------------------------------- inline policies

INLINE = {
    # kind: (create, put, get, list, delete, name parameter)
    "user": (make_user, "put_user_policy", "get_user_policy", "list_user_policies", "delete_user_policy", "UserName"),
    "group": (
        make_group, "put_group_policy", "get_group_policy", "list_group_policies", "delete_group_policy", "GroupName"
    ),
    "role": (make_role, "put_role_policy", "get_role_policy", "list_role_policies", "delete_role_policy", "RoleName"),
}


@pytest.mark.parametrize("kind", list(INLINE))
def test_inline_policies(iam, kind):
    create, put, get, list_, delete, param = INLINE[kind]
    holder = create(iam)
    first = identity_policy("s3:GetObject", "arn:aws:s3:::bucket/*")
    getattr(iam, put)(**{param: holder}, PolicyName="zeta", PolicyDocument=first)
    getattr(iam, put)(**{param: holder}, PolicyName="alpha", PolicyDocument=identity_policy("sqs:*"))

    got = getattr(iam, get)(**{param: holder}, PolicyName="zeta")
    assert got[param] == holder
    assert got["PolicyName"] == "zeta"
    assert got["PolicyDocument"] == json.loads(first)
    assert getattr(iam, list_)(**{param: holder})["PolicyNames"] == ["alpha", "zeta"]

    # Putting again replaces the document.
    getattr(iam, put)(**{param: holder}, PolicyName="zeta", PolicyDocument=identity_policy("sns:Publish"))
    assert getattr(iam, get)(**{param: holder}, PolicyName="zeta")["PolicyDocument"] == json.loads(
        identity_policy("sns:Publish")
    )

    getattr(iam, delete)(**{param: holder}, PolicyName="zeta")
    assert getattr(iam, list_)(**{param: holder})["PolicyNames"] == ["alpha"]
    missing = ("NoSuchEntity", f"The {kind} policy with name zeta cannot be found.", 404)
    assert error_of(getattr(iam, get), **{param: holder}, PolicyName="zeta") == missing
    assert error_of(getattr(iam, delete), **{param: holder}, PolicyName="zeta") == missing

    nobody = unique("nobody")
    assert error_of(getattr(iam, list_), **{param: nobody}) == (
        "NoSuchEntity",
        f"The {kind} with name {nobody} cannot be found.",
        404,
    )


def test_inline_policy_document_round_trips_exactly(iam):
    user = make_user(iam)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Odd0Characters",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": "arn:aws:s3:::bucket/a b+c%20&d=<e>/ü*",
                "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}},
            }
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="odd", PolicyDocument=json.dumps(document))
    assert iam.get_user_policy(UserName=user, PolicyName="odd")["PolicyDocument"] == document


def test_inline_policy_pages_return_every_name(iam):
    user = make_user(iam)
    for name in ("B", "a"):
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=identity_policy())
    pages = iam.get_paginator("list_user_policies").paginate(UserName=user, PaginationConfig={"PageSize": 1})
    assert sorted(n for page in pages for n in page["PolicyNames"]) == ["B", "a"]


# -------------------------------------------------------------- attachments

ATTACHED = {
    # kind: (create, attach, list, detach, name parameter)
    "user": (make_user, "attach_user_policy", "list_attached_user_policies", "detach_user_policy", "UserName"),
    "group": (make_group, "attach_group_policy", "list_attached_group_policies", "detach_group_policy", "GroupName"),
    "role": (make_role, "attach_role_policy", "list_attached_role_policies", "detach_role_policy", "RoleName"),
}


@pytest.mark.parametrize("kind", list(ATTACHED))
def test_attach_list_and_detach(iam, kind):
    create, attach, list_, detach, param = ATTACHED[kind]
    holder = create(iam)
    local = make_policy(iam, Path="/custom/")
    for arn in (LAMBDA_BASIC, local, LAMBDA_BASIC):  # attaching twice is attaching once
        getattr(iam, attach)(**{param: holder}, PolicyArn=arn)

    listed = getattr(iam, list_)(**{param: holder})
    assert sorted((p["PolicyName"], p["PolicyArn"]) for p in listed["AttachedPolicies"]) == sorted(
        [("AWSLambdaBasicExecutionRole", LAMBDA_BASIC), (local.rsplit("/", 1)[1], local)]
    )
    assert listed["IsTruncated"] is False
    service_roles = getattr(iam, list_)(**{param: holder}, PathPrefix="/service-role/")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in service_roles] == [LAMBDA_BASIC]
    custom = getattr(iam, list_)(**{param: holder}, PathPrefix="/custom/")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in custom] == [local]

    getattr(iam, detach)(**{param: holder}, PolicyArn=LAMBDA_BASIC)
    assert [p["PolicyArn"] for p in getattr(iam, list_)(**{param: holder})["AttachedPolicies"]] == [local]
    assert error_of(getattr(iam, detach), **{param: holder}, PolicyArn=LAMBDA_BASIC) == (
        "NoSuchEntity",
        f"Policy {LAMBDA_BASIC} was not found.",
        404,
    )


def test_attachment_count_and_entities_for_policy(iam):
    arn = make_policy(iam)
    user, group, role = make_user(iam), make_group(iam), make_role(iam)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3

    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [group]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    assert entities["PolicyUsers"][0]["UserId"] == iam.get_user(UserName=user)["User"]["UserId"]
    assert entities["PolicyRoles"][0]["RoleId"] == iam.get_role(RoleName=role)["Role"]["RoleId"]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert (only_roles["PolicyUsers"], only_roles["PolicyGroups"]) == ([], [])
    assert [r["RoleName"] for r in only_roles["PolicyRoles"]] == [role]

    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert (entities["PolicyUsers"], entities["PolicyGroups"], entities["PolicyRoles"]) == ([], [], [])


def test_attachments_to_a_missing_holder(iam):
    nobody = unique("nobody")
    assert error_of(iam.attach_role_policy, RoleName=nobody, PolicyArn=ADMIN) == (
        "NoSuchEntity",
        f"The role with name {nobody} cannot be found.",
        404,
    )


def test_attached_policy_pages_return_every_policy(iam):
    user = make_user(iam)
    later = iam.create_policy(PolicyName="zz-" + unique("p"), PolicyDocument=identity_policy())["Policy"]["Arn"]
    earlier = iam.create_policy(PolicyName="aa-" + unique("p"), PolicyDocument=identity_policy())["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=later)
    iam.attach_user_policy(UserName=user, PolicyArn=earlier)
    pages = iam.get_paginator("list_attached_user_policies").paginate(
        UserName=user, PaginationConfig={"PageSize": 1}
    )
    assert sorted(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"]) == sorted([later, earlier])


# ----------------------------------------------------- permissions boundaries


def test_user_permissions_boundary(iam):
    arn = make_policy(iam)
    user = make_user(iam)
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]

    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arn)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (policy["PermissionsBoundaryUsageCount"], policy["AttachmentCount"]) == (1, 0)

    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=ADMIN)  # replaces it
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == ADMIN
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0

    iam.delete_user_permissions_boundary(UserName=user)
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]


def test_role_permissions_boundary(iam):
    arn = make_policy(iam)
    role = make_role(iam, PermissionsBoundary=LAMBDA_BASIC)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == LAMBDA_BASIC

    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1

    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0


def test_boundary_must_be_an_existing_policy(iam):
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('missing')}"
    user, role = make_user(iam), make_role(iam)
    expected = ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    assert error_of(iam.put_user_permissions_boundary, UserName=user, PermissionsBoundary=missing) == expected
    assert error_of(iam.put_role_permissions_boundary, RoleName=role, PermissionsBoundary=missing) == expected
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]


def test_entities_for_policy_by_boundary_usage(iam):
    arn = make_policy(iam)
    user = make_user(iam, PermissionsBoundary=arn)
    listed = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert [u["UserName"] for u in listed["PolicyUsers"]] == [user]


# -------------------------------------------------------------- access keys


def test_access_keys_shape_and_quota(iam):
    user = make_user(iam)
    first = iam.create_access_key(UserName=user)["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", first["AccessKeyId"])
    assert len(first["SecretAccessKey"]) == 40
    assert (first["UserName"], first["Status"]) == (user, "Active")
    second = iam.create_access_key(UserName=user)["AccessKey"]
    assert second["AccessKeyId"] != first["AccessKeyId"]

    assert error_of(iam.create_access_key, UserName=user) == (
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
        409,
    )
    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([first["AccessKeyId"], second["AccessKeyId"]])
    assert all(k["UserName"] == user and k["Status"] == "Active" and "SecretAccessKey" not in k for k in listed)

    nobody = unique("nobody")
    assert error_of(iam.create_access_key, UserName=nobody) == (
        "NoSuchEntity",
        f"The user with name {nobody} cannot be found.",
        404,
    )


def test_update_and_delete_access_keys(iam):
    user = make_user(iam)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]

    iam.update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
    assert [k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]] == ["Inactive"]
    iam.update_access_key(UserName=user, AccessKeyId=key, Status="Active")
    assert [k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]] == ["Active"]

    iam.delete_access_key(UserName=user, AccessKeyId=key)
    assert iam.list_access_keys(UserName=user)["AccessKeyMetadata"] == []
    missing = ("NoSuchEntity", f"The Access Key with id {key} cannot be found.", 404)
    assert error_of(iam.delete_access_key, UserName=user, AccessKeyId=key) == missing
    assert error_of(iam.update_access_key, UserName=user, AccessKeyId=key, Status="Active") == missing
    # A quota of two counts the keys a user has now.
    iam.create_access_key(UserName=user)
    iam.create_access_key(UserName=user)


def test_access_key_of_another_user_is_not_found(iam):
    owner, other = make_user(iam), make_user(iam)
    key = iam.create_access_key(UserName=owner)["AccessKey"]["AccessKeyId"]
    assert error_of(iam.delete_access_key, UserName=other, AccessKeyId=key) == (
        "NoSuchEntity",
        f"The Access Key with id {key} cannot be found.",
        404,
    )
    assert len(iam.list_access_keys(UserName=owner)["AccessKeyMetadata"]) == 1


def test_get_access_key_last_used_of_an_unused_key(iam):
    user = make_user(iam)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    answer = iam.get_access_key_last_used(AccessKeyId=key)
    assert answer["UserName"] == user
    assert answer["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert answer["AccessKeyLastUsed"]["Region"] == "N/A"
    assert "LastUsedDate" not in answer["AccessKeyLastUsed"]


def test_access_key_signs_as_its_user(iam, endpoint):
    user = make_user(iam, Path="/signers/")
    described = iam.get_user(UserName=user)["User"]
    key = iam.create_access_key(UserName=user)["AccessKey"]

    identity = client_as(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/signers/{user}"
    assert identity["UserId"] == described["UserId"]

    # IAM calls signed with the key act on that user when they name none.
    as_user = client_as(endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert as_user.get_user()["User"]["Arn"] == described["Arn"]
    second = as_user.create_access_key()["AccessKey"]
    assert second["UserName"] == user
    listed = as_user.list_access_keys()["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])


def test_inactive_or_deleted_key_no_longer_names_the_user(iam, endpoint):
    user = make_user(iam)
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
    assert caller_arn(endpoint, key_id, secret) == arn

    iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
    assert caller_arn(endpoint, key_id, secret) != arn
    iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Active")
    assert caller_arn(endpoint, key_id, secret) == arn

    iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    assert caller_arn(endpoint, key_id, secret) != arn


def test_cli_access_key_signs_get_caller_identity(aws, iam, endpoint):
    user = make_user(iam)
    key = ok(aws("iam", "create-access-key", "--user-name", user))["AccessKey"]
    assert key["UserName"] == user and key["Status"] == "Active"
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"]) and len(key["SecretAccessKey"]) == 40

    identity = ok(aws_as(endpoint, key["AccessKeyId"], key["SecretAccessKey"], "sts", "get-caller-identity"))
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{user}"
    assert identity["UserId"] == iam.get_user(UserName=user)["User"]["UserId"]

    listed = ok(aws("iam", "list-access-keys", "--user-name", user))["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]


# -------------------------------------------------------- instance profiles


def test_instance_profile_lifecycle(iam):
    path = f"/{unique('ec2')}/"
    name = unique("profile")
    created = iam.create_instance_profile(InstanceProfileName=name, Path=path)["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile{path}{name}"
    assert re.fullmatch("AIPA" + UNIQUE_ID, created["InstanceProfileId"])
    assert created["Roles"] == []
    assert error_of(iam.create_instance_profile, InstanceProfileName=name) == (
        "EntityAlreadyExists",
        f"Instance Profile {name} already exists.",
        409,
    )

    role, second_role = make_role(iam), make_role(iam)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName=name, RoleName=second_role) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        409,
    )

    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert got["InstanceProfileId"] == created["InstanceProfileId"]
    [held] = got["Roles"]
    assert held["RoleName"] == role
    assert held["AssumeRolePolicyDocument"] == trust_policy()
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix=path)["InstanceProfiles"]] == [
        name
    ]
    for_role = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == [name]
    assert iam.list_instance_profiles_for_role(RoleName=second_role)["InstanceProfiles"] == []

    assert error_of(iam.delete_instance_profile, InstanceProfileName=name) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
        409,
    )
    assert error_of(iam.remove_role_from_instance_profile, InstanceProfileName=name, RoleName=second_role)[
        0
    ] == "NoSuchEntity"
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"] == []
    iam.delete_instance_profile(InstanceProfileName=name)
    assert error_of(iam.get_instance_profile, InstanceProfileName=name) == (
        "NoSuchEntity",
        f"Instance Profile {name} cannot be found.",
        404,
    )


def test_instance_profile_needs_an_existing_role(iam):
    profile = make_profile(iam)
    nobody = unique("no-role")
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=nobody) == (
        "NoSuchEntity",
        f"The role with name {nobody} cannot be found.",
        404,
    )
    assert error_of(iam.list_instance_profiles_for_role, RoleName=nobody)[0] == "NoSuchEntity"


# --------------------------------------------------------------------- tags


def _user_tagging(iam):
    name = make_user(iam, Tags=[{"Key": "initial", "Value": "1"}])
    return (
        lambda tags: iam.tag_user(UserName=name, Tags=tags),
        lambda keys: iam.untag_user(UserName=name, TagKeys=keys),
        lambda: iam.list_user_tags(UserName=name),
        lambda: iam.get_user(UserName=name)["User"].get("Tags", []),
    )


def _role_tagging(iam):
    name = make_role(iam, Tags=[{"Key": "initial", "Value": "1"}])
    return (
        lambda tags: iam.tag_role(RoleName=name, Tags=tags),
        lambda keys: iam.untag_role(RoleName=name, TagKeys=keys),
        lambda: iam.list_role_tags(RoleName=name),
        lambda: iam.get_role(RoleName=name)["Role"].get("Tags", []),
    )


def _policy_tagging(iam):
    arn = make_policy(iam, Tags=[{"Key": "initial", "Value": "1"}])
    return (
        lambda tags: iam.tag_policy(PolicyArn=arn, Tags=tags),
        lambda keys: iam.untag_policy(PolicyArn=arn, TagKeys=keys),
        lambda: iam.list_policy_tags(PolicyArn=arn),
        lambda: iam.get_policy(PolicyArn=arn)["Policy"].get("Tags", []),
    )


def _profile_tagging(iam):
    name = make_profile(iam, Tags=[{"Key": "initial", "Value": "1"}])
    return (
        lambda tags: iam.tag_instance_profile(InstanceProfileName=name, Tags=tags),
        lambda keys: iam.untag_instance_profile(InstanceProfileName=name, TagKeys=keys),
        lambda: iam.list_instance_profile_tags(InstanceProfileName=name),
        lambda: iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get("Tags", []),
    )


TAGGING = {"user": _user_tagging, "role": _role_tagging, "policy": _policy_tagging, "profile": _profile_tagging}


@pytest.mark.parametrize("kind", list(TAGGING))
def test_tag_untag_and_list(iam, kind):
    tag, untag, list_tags, described = TAGGING[kind](iam)

    def as_dict(tags: list[dict]) -> dict:
        return {t["Key"]: t["Value"] for t in tags}

    assert as_dict(list_tags()["Tags"]) == {"initial": "1"}
    tag([{"Key": "team", "Value": "infra"}, {"Key": "env", "Value": "dev"}])
    tag([{"Key": "env", "Value": "prod"}])  # same key: the value is replaced
    listed = list_tags()
    assert as_dict(listed["Tags"]) == {"initial": "1", "team": "infra", "env": "prod"}
    assert listed["IsTruncated"] is False
    assert as_dict(described()) == {"initial": "1", "team": "infra", "env": "prod"}

    untag(["initial", "env", "not-there"])
    assert list_tags()["Tags"] == [{"Key": "team", "Value": "infra"}]

    assert error_of(tag, [{"Key": "Dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )
    assert list_tags()["Tags"] == [{"Key": "team", "Value": "infra"}]


def test_tags_on_missing_entities(iam):
    nobody = unique("nobody")
    assert error_of(iam.tag_user, UserName=nobody, Tags=[{"Key": "k", "Value": "v"}]) == (
        "NoSuchEntity",
        f"The user with name {nobody} cannot be found.",
        404,
    )
    assert error_of(iam.list_role_tags, RoleName=nobody)[0] == "NoSuchEntity"
    assert error_of(iam.list_instance_profile_tags, InstanceProfileName=nobody)[0] == "NoSuchEntity"
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{nobody}"
    assert error_of(iam.list_policy_tags, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_at_most_fifty_tags(iam):
    user = make_user(iam)
    iam.tag_user(UserName=user, Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(50)])
    code, _, status = error_of(iam.tag_user, UserName=user, Tags=[{"Key": "one-more", "Value": "x"}])
    assert (code, status) == ("LimitExceeded", 409)
    assert len(iam.list_user_tags(UserName=user)["Tags"]) == 50


# --------------------------------------------------------------- durability


def test_iam_state_survives_kill_9(launch_nimbus, tmp_path):
    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    iam = client_as(server.url, "iam")

    user = make_user(iam, Path="/durable/", Tags=[{"Key": "keep", "Value": "me"}])
    user_id = iam.get_user(UserName=user)["User"]["UserId"]
    role = make_role(iam, Description="durable role")
    policy = make_policy(iam, document=identity_policy("s3:GetObject"))
    iam.create_policy_version(PolicyArn=policy, PolicyDocument=identity_policy("s3:PutObject"), SetAsDefault=True)
    iam.attach_role_policy(RoleName=role, PolicyArn=policy)
    iam.attach_user_policy(UserName=user, PolicyArn=ADMIN)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert caller_arn(server.url, key["AccessKeyId"], key["SecretAccessKey"]).endswith(f":user/durable/{user}")

    server.process.kill()
    server.process.wait()
    again = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    iam = client_as(again.url, "iam")

    got = iam.get_user(UserName=user)["User"]
    assert (got["UserId"], got["Path"], got["Tags"]) == (user_id, "/durable/", [{"Key": "keep", "Value": "me"}])
    got_role = iam.get_role(RoleName=role)["Role"]
    assert got_role["Description"] == "durable role"
    assert got_role["AssumeRolePolicyDocument"] == trust_policy()

    assert iam.get_policy(PolicyArn=policy)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy(PolicyArn=policy)["Policy"]["AttachmentCount"] == 1
    assert sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=policy)["Versions"]) == ["v1", "v2"]
    assert iam.get_policy_version(PolicyArn=policy, VersionId="v2")["PolicyVersion"]["Document"] == json.loads(
        identity_policy("s3:PutObject")
    )
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [policy]
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]] == [ADMIN]

    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(key["AccessKeyId"], "Active")]
    identity = client_as(again.url, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/durable/{user}"
    assert identity["UserId"] == user_id


# --------------------------------------------------------- policy simulator


def test_simulate_custom_policy_decides_each_action_and_resource(iam):
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"},
            ],
        }
    )
    results = iam.simulate_custom_policy(
        PolicyInputList=[document],
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::b/a.txt", "arn:aws:s3:::b/secret/x"],
    )["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in results}
    assert decisions == {
        ("s3:GetObject", "arn:aws:s3:::b/a.txt"): "allowed",
        ("s3:GetObject", "arn:aws:s3:::b/secret/x"): "explicitDeny",
        ("s3:PutObject", "arn:aws:s3:::b/a.txt"): "implicitDeny",
        ("s3:PutObject", "arn:aws:s3:::b/secret/x"): "implicitDeny",
    }


def test_simulate_custom_policy_reads_context_entries_and_a_boundary(iam):
    document = identity_policy("sqs:SendMessage", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    entry = {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}
    [inside] = iam.simulate_custom_policy(
        PolicyInputList=[document], ActionNames=["sqs:SendMessage"], ContextEntries=[entry]
    )["EvaluationResults"]
    assert inside["EvalDecision"] == "allowed"
    [unknown] = iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["sqs:SendMessage"])[
        "EvaluationResults"
    ]
    assert unknown["EvalDecision"] == "implicitDeny"
    assert unknown["MissingContextValues"] == ["aws:SourceIp"]
    [bounded] = iam.simulate_custom_policy(
        PolicyInputList=[identity_policy("sqs:*")],
        PermissionsBoundaryPolicyInputList=[identity_policy("sqs:ReceiveMessage")],
        ActionNames=["sqs:SendMessage"],
    )["EvaluationResults"]
    assert bounded["EvalDecision"] == "implicitDeny"
    assert bounded["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_simulate_principal_policy_uses_the_users_own_and_group_policies(iam):
    name = make_user(iam)
    group = make_group(iam)
    iam.add_user_to_group(GroupName=group, UserName=name)
    iam.put_group_policy(GroupName=group, PolicyName="send", PolicyDocument=identity_policy("sqs:SendMessage"))
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["sqs:SendMessage", "s3:GetObject", "sqs:DeleteQueue"]
    )["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in results} == {
        "sqs:SendMessage": "allowed",
        "s3:GetObject": "allowed",
        "sqs:DeleteQueue": "implicitDeny",
    }
    code, _, status = error_of(
        iam.simulate_principal_policy,
        PolicySourceArn=arn.replace(name, unique("ghost")),
        ActionNames=["sqs:SendMessage"],
    )
    assert (code, status) == ("NoSuchEntity", 404)


def test_simulate_custom_policy_refuses_a_malformed_policy(iam):
    code, message, status = error_of(iam.simulate_custom_policy, PolicyInputList=["{"], ActionNames=["s3:GetObject"])
    assert (code, status) == ("InvalidInput", 400)
    assert message == "This policy contains invalid Json"
