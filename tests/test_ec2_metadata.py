"""The instance metadata service: IMDSv2 tokens and the metadata tree,
read with curl from inside an instance (its user data) and over HTTP from
the test; the instance profile's role credentials, with which boto3 and
the AWS CLI inside the instance call nimbus as that role."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from ec2_support import ec2  # noqa: F401  (fixture)

from test_ec2_instances import wait_for_state

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
BIN = os.path.dirname(sys.executable)

# Inside the instance: IMDSv2 with curl, then boto3 and the AWS CLI as the role.
INSIDE = f"""#!/bin/sh
IMDS="$AWS_EC2_METADATA_SERVICE_ENDPOINT"
TOKEN=$(curl -s -X PUT "${{IMDS}}latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
echo "imds instance-id: $(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" "${{IMDS}}latest/meta-data/instance-id")"
echo "imds zone: $(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" "${{IMDS}}latest/meta-data/placement/availability-zone")"
echo "imds without token: $(curl -s -o /dev/null -w '%{{http_code}}' "${{IMDS}}latest/meta-data/instance-id")"
echo "boto3 as: $({sys.executable} -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])' 2>&1)"
echo "cli as: $({BIN}/aws sts get-caller-identity --query Arn --output text 2>&1)"
"""


@pytest.fixture
def iam(aws_client):
    return aws_client("iam")


@pytest.fixture
def profile(iam):
    name = f"web-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), {k.lower(): v for k, v in error.headers.items()}


def console_until(ec2, instance_id: str, text: str) -> str:
    deadline = time.monotonic() + 30
    output = ""
    while time.monotonic() < deadline:
        output = ec2.get_console_output(InstanceId=instance_id).get("Output", "")
        if text in output:
            break
        time.sleep(0.1)
    return output


def test_inside_an_instance_imdsv2_gives_the_role_to_boto3_and_the_cli(ec2, profile, aws_client):
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]["ImageId"]
    made = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, UserData=INSIDE, IamInstanceProfile={"Name": profile},
        MetadataOptions={"HttpTokens": "required", "InstanceMetadataTags": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "metadata"}]}],
    )["Instances"][0]
    instance_id = made["InstanceId"]
    try:
        assert made["IamInstanceProfile"]["Arn"].endswith(f":instance-profile/{profile}")
        assert made["MetadataOptions"]["HttpTokens"] == "required"
        output = console_until(ec2, instance_id, "booted")
        assert f"imds instance-id: {instance_id}" in output, output
        assert "imds zone: us-east-1a" in output
        assert "imds without token: 401" in output, "tokens are required"
        account = aws_client("sts").get_caller_identity()["Account"]
        role_arn = f"arn:aws:sts::{account}:assumed-role/{profile}/{instance_id}"
        assert f"boto3 as: {role_arn}" in output, output
        assert f"cli as: {role_arn}" in output, output
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])


def test_the_metadata_tree_over_http(ec2, profile):
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]["ImageId"]
    made = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, UserData="#!/bin/sh\necho hi\n", IamInstanceProfile={"Name": profile}, InstanceType="t3.small",
        MetadataOptions={"InstanceMetadataTags": "enabled"}, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "web"}]}],
    )["Instances"][0]
    instance_id = made["InstanceId"]
    base = f"http://{made['PrivateIpAddress']}:1338/latest/"
    try:
        wait_for_state(ec2, instance_id, "running")
        status, token, headers = fetch(base + "api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "120"})
        assert status == 200 and token and headers.get("x-aws-ec2-metadata-token-ttl-seconds") == "120"
        assert fetch(base + "api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "21601"})[0] == 400
        assert fetch(base + "api/token", "PUT")[0] == 400
        assert fetch(base + "api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "1.2.3.4"})[0] == 403
        with_token = {"X-aws-ec2-metadata-token": token}
        assert fetch(base + "meta-data/instance-id", headers={"X-aws-ec2-metadata-token": "bogus"})[0] == 401
        assert fetch(base + "meta-data/instance-id")[1] == instance_id, "IMDSv1 answers while tokens are optional"
        listing = fetch(base + "meta-data/", headers=with_token)[1].split("\n")
        for entry in ("ami-id", "iam/", "instance-id", "instance-type", "local-ipv4", "placement/", "public-ipv4", "tags/", "network/"):
            assert entry in listing, listing
        value = lambda path: fetch(base + path, headers=with_token)[1]  # noqa: E731
        assert value("meta-data/instance-type") == "t3.small"
        assert value("meta-data/local-ipv4") == made["PrivateIpAddress"]
        assert value("meta-data/public-ipv4") == made["PublicIpAddress"]
        assert value("meta-data/placement/region") == "us-east-1"
        assert value("meta-data/placement/availability-zone-id") == "use1-az6"
        assert value("meta-data/tags/instance") == "team" and value("meta-data/tags/instance/team") == "web"
        assert value("meta-data/security-groups") == "default"
        mac = value("meta-data/mac")
        assert value(f"meta-data/network/interfaces/macs/{mac}/interface-id").startswith("eni-")
        assert value("user-data") == "#!/bin/sh\necho hi\n"
        info = json.loads(value("meta-data/iam/info"))
        assert info["Code"] == "Success" and info["InstanceProfileArn"].endswith(f"instance-profile/{profile}")
        assert value("meta-data/iam/security-credentials/") == profile
        credentials = json.loads(value(f"meta-data/iam/security-credentials/{profile}"))
        assert (credentials["Code"], credentials["Type"]) == ("Success", "AWS-HMAC")
        assert credentials["AccessKeyId"].startswith("ASIA") and credentials["Token"]
        assert time.strptime(credentials["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
        again = json.loads(value(f"meta-data/iam/security-credentials/{profile}"))
        assert again["AccessKeyId"] == credentials["AccessKeyId"], "a session is kept until near its end"
        document = json.loads(value("dynamic/instance-identity/document"))
        assert (document["instanceId"], document["instanceType"], document["region"]) == (instance_id, "t3.small", "us-east-1")
        assert fetch(base + "meta-data/nothing-here", headers=with_token)[0] == 404
        assert fetch(f"http://{made['PrivateIpAddress']}:1338/2021-03-23/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 403
        changed = ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required")
        assert changed["InstanceMetadataOptions"]["HttpTokens"] == "required"
        assert fetch(base + "meta-data/instance-id")[0] == 401, "tokens are now required"
        assert value("meta-data/instance-id") == instance_id
        options = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["MetadataOptions"]
        assert (options["HttpTokens"], options["State"]) == ("required", "applied")
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpEndpoint="disabled")
        assert fetch(base + "meta-data/instance-id", headers=with_token)[0] == 403, "the service is turned off"
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])
