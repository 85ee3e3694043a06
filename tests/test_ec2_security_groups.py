"""Security groups through boto3: each VPC's default group, new groups
with their all-out egress, rules authorized and revoked (by what they
allow or by id) with EC2's duplicates and not-founds, references between
groups, deletion rules, filters and tags."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ec2(aws_client):
    return aws_client("ec2")


def refused(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


@pytest.fixture
def vpc(ec2):
    vpc_id = ec2.create_vpc(CidrBlock=f"10.{uuid.uuid4().int % 250}.0.0/16")["Vpc"]["VpcId"]
    yield vpc_id
    for group in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]:
        if group["GroupName"] != "default":
            ec2.delete_security_group(GroupId=group["GroupId"])
    ec2.delete_vpc(VpcId=vpc_id)


def test_every_vpc_has_a_default_group(ec2, vpc):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert [(g["GroupName"], g["Description"]) for g in groups] == [("default", "default VPC security group")]
    default = groups[0]
    assert default["IpPermissions"] == [
        {
            "IpProtocol": "-1",
            "UserIdGroupPairs": [{"GroupId": default["GroupId"], "UserId": "000000000000"}],
            "IpRanges": [],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
        }
    ]
    assert default["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert refused(ec2.delete_security_group, GroupId=default["GroupId"]) == (
        "CannotDelete",
        400,
        f'the specified group: "{default["GroupId"]}" name: "default" cannot be deleted by a user',
    )
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"], "by name: the default VPC's"
    assert default_vpc in [g["VpcId"] for g in ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]]


def test_rules_are_authorized_revoked_and_shown_as_permissions(ec2, vpc):
    made = ec2.create_security_group(
        GroupName="web", Description="web servers", VpcId=vpc, TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "tier", "Value": "web"}]}]
    )
    web = made["GroupId"]
    assert web.startswith("sg-") and made["SecurityGroupArn"] == f"arn:aws:ec2:us-east-1:000000000000:security-group/{web}"
    assert refused(ec2.create_security_group, GroupName="web", Description="again", VpcId=vpc) == (
        "InvalidGroup.Duplicate",
        400,
        f"The security group 'web' already exists for VPC '{vpc}'",
    )
    assert refused(ec2.create_security_group, GroupName="sg-web", Description="x", VpcId=vpc)[2] == (
        "Value (sg-web) for parameter GroupName is invalid. Group names may not be in the format sg-*."
    )
    assert refused(ec2.authorize_security_group_ingress, GroupId=web, IpProtocol="tcp", FromPort=-1, ToPort=80, CidrIp="10.0.0.0/8") == (
        "InvalidPermission.Malformed",
        400,
        "TCP/UDP port (-1) out of range",
    )

    added = ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    assert added["Return"] is True
    rules = added["SecurityGroupRules"]
    assert [(r["FromPort"], r["CidrIpv4"], r["IsEgress"]) for r in rules] == [(80, "0.0.0.0/0", False), (443, "0.0.0.0/0", False)]
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules)
    assert refused(
        ec2.authorize_security_group_ingress, GroupId=web, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0"
    ) == (
        "InvalidPermission.Duplicate",
        400,
        'the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" already exists',
    )
    assert refused(ec2.authorize_security_group_ingress, GroupId=web, IpProtocol="tcp", FromPort=90, ToPort=80, CidrIp="10.0.0.0/8")[:2] == (
        "InvalidParameterValue",
        400,
    )

    app = ec2.create_security_group(GroupName="app", Description="app servers", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=app, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]}]
    )
    shown = ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]
    assert shown["IpPermissions"][0]["UserIdGroupPairs"] == [{"GroupId": web, "UserId": "000000000000"}]
    assert refused(ec2.delete_security_group, GroupId=web) == ("DependencyViolation", 400, f"resource {web} has a dependent object")

    ec2.revoke_security_group_ingress(GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    remaining = ec2.describe_security_groups(GroupIds=[web])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["FromPort"], p["IpRanges"]) for p in remaining] == [(80, [{"CidrIp": "0.0.0.0/0", "Description": "http"}])]
    assert refused(ec2.revoke_security_group_ingress, GroupId=web, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0") == (
        "InvalidPermission.NotFound",
        400,
        "The specified rule does not exist in this security group.",
    )
    by_rule = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [app]}])["SecurityGroupRules"]
    ingress = [r for r in by_rule if not r["IsEgress"]][0]
    assert ingress["ReferencedGroupInfo"]["GroupId"] == web
    ec2.revoke_security_group_ingress(GroupId=app, SecurityGroupRuleIds=[ingress["SecurityGroupRuleId"]])
    ec2.delete_security_group(GroupId=web)

    egress = ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert egress == [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]
    ec2.revoke_security_group_egress(GroupId=app, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]["IpPermissionsEgress"] == []
    assert refused(ec2.delete_vpc, VpcId=vpc)[0] == "DependencyViolation", "a group of its own keeps the VPC"

    tagged = ec2.describe_security_groups(Filters=[{"Name": "tag:tier", "Values": ["web"]}])["SecurityGroups"]
    assert web not in [g["GroupId"] for g in tagged]
    assert refused(ec2.describe_security_groups, GroupIds=[web]) == ("InvalidGroup.NotFound", 400, f"The security group '{web}' does not exist")
    ec2.create_tags(Resources=[app], Tags=[{"Key": "tier", "Value": "app"}])
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [app]}])["Tags"][0]["ResourceType"] == "security-group"


def test_groups_of_the_default_vpc_by_name_and_lenient_revokes(ec2):
    name = f"legacy-{uuid.uuid4().hex[:6]}"
    group = ec2.create_security_group(GroupName=name, Description="in the default VPC")["GroupId"]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["VpcId"] == default_vpc
    ec2.authorize_security_group_ingress(GroupName=name, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="203.0.113.0/24")
    answer = ec2.revoke_security_group_ingress(GroupName=name, IpProtocol="tcp", FromPort=23, ToPort=23, CidrIp="203.0.113.0/24")
    assert answer["Return"] is True
    assert answer["UnknownIpPermissions"][0]["FromPort"] == 23
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 22
    assert refused(ec2.delete_security_group, GroupName="no-such-group")[:2] == ("InvalidGroup.NotFound", 400)
    ec2.delete_security_group(GroupName=name)
