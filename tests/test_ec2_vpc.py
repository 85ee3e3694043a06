"""EC2's first part through boto3 and the AWS CLI (ec2 protocol): regions
and zones, the default VPC with a default subnet per zone, VPCs and
subnets with EC2's CIDR rules and errors, Describe filters and pages,
tags, DryRun."""

from __future__ import annotations

import ipaddress
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


def fresh_block() -> str:
    """A /16 in 10.0.0.0/8 no other test of this run took, by chance."""
    return f"10.{uuid.uuid4().int % 250}.0.0/16"


def test_regions_and_zones(ec2):
    regions = {r["RegionName"]: r for r in ec2.describe_regions()["Regions"]}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(regions)
    assert regions["eu-west-1"]["Endpoint"] == "ec2.eu-west-1.amazonaws.com"
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones][:3] == [("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1c", "use1-az2")]
    assert len(zones) == 6 and all(z["State"] == "available" and z["RegionName"] == "us-east-1" for z in zones)
    picked = ec2.describe_availability_zones(Filters=[{"Name": "zone-id", "Values": ["use1-az4"]}])["AvailabilityZones"]
    assert [z["ZoneName"] for z in picked] == ["us-east-1d"]
    assert refused(ec2.describe_availability_zones, ZoneNames=["us-east-1z"])[:2] == ("InvalidParameterValue", 400)


def test_the_default_vpc_and_its_subnets(ec2):
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(default) == 1
    vpc = default[0]
    assert (vpc["CidrBlock"], vpc["State"], vpc["InstanceTenancy"], vpc["IsDefault"]) == ("172.31.0.0/16", "available", "default", True)
    assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21
    assert vpc["CidrBlockAssociationSet"][0]["CidrBlockState"] == {"State": "associated"}
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: s for s in subnets}
    assert sorted(by_zone) == [f"us-east-1{z}" for z in "abcdef"]
    assert by_zone["us-east-1b"]["CidrBlock"] == "172.31.0.0/20" and by_zone["us-east-1a"]["CidrBlock"] == "172.31.32.0/20"
    assert all(s["AvailableIpAddressCount"] == 4091 and s["MapPublicIpOnLaunch"] for s in subnets)
    first = by_zone["us-east-1a"]
    assert first["SubnetArn"] == f"arn:aws:ec2:us-east-1:000000000000:subnet/{first['SubnetId']}"
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"] == default, "the defaults are made once"


def test_vpcs_and_subnets_with_ec2s_rules(ec2):
    block = fresh_block()
    vpc = ec2.create_vpc(CidrBlock=block, TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "app"}]}])["Vpc"]
    vpc_id = vpc["VpcId"]
    assert (vpc["CidrBlock"], vpc["IsDefault"], vpc["Tags"]) == (block, False, [{"Key": "Name", "Value": "app"}])
    assert refused(ec2.create_vpc, CidrBlock="10.0.0.0/8") == ("InvalidVpc.Range", 400, "The CIDR '10.0.0.0/8' is invalid.")
    assert refused(ec2.create_vpc, CidrBlock="banana") == (
        "InvalidParameterValue",
        400,
        "Value (banana) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
    )
    net = ipaddress.ip_network(block)
    first, second = (str(s) for s in list(net.subnets(new_prefix=24))[:2])
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=first, AvailabilityZone="us-east-1c")["Subnet"]
    assert (subnet["AvailableIpAddressCount"], subnet["AvailabilityZoneId"], subnet["DefaultForAz"]) == (251, "use1-az2", False)
    assert refused(ec2.create_subnet, VpcId=vpc_id, CidrBlock=first) == (
        "InvalidSubnet.Conflict",
        400,
        f"The CIDR '{first}' conflicts with another subnet",
    )
    assert refused(ec2.create_subnet, VpcId=vpc_id, CidrBlock="192.168.0.0/24") == (
        "InvalidSubnet.Range",
        400,
        "The CIDR '192.168.0.0/24' is invalid.",
    )
    code, status, message = refused(ec2.create_subnet, VpcId=vpc_id, CidrBlock=second, AvailabilityZone="us-east-1z")
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message.endswith("following availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f.")
    assert refused(ec2.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock=second) == (
        "InvalidVpcID.NotFound",
        400,
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    assert refused(ec2.delete_vpc, VpcId=vpc_id) == ("DependencyViolation", 400, f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    assert refused(ec2.delete_subnet, SubnetId=subnet["SubnetId"], DryRun=True) == (
        "DryRunOperation",
        412,
        "Request would have succeeded, but DryRun flag is set.",
    )
    assert ec2.describe_subnets(SubnetIds=[subnet["SubnetId"]])["Subnets"][0]["CidrBlock"] == first, "a dry run changes nothing"
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    assert refused(ec2.describe_subnets, SubnetIds=[subnet["SubnetId"]])[:2] == ("InvalidSubnetID.NotFound", 400)
    ec2.delete_vpc(VpcId=vpc_id)
    assert refused(ec2.describe_vpcs, VpcIds=[vpc_id]) == ("InvalidVpcID.NotFound", 400, f"The vpc ID '{vpc_id}' does not exist")


def test_filters_pages_and_tags(ec2):
    vpc_id = ec2.create_vpc(CidrBlock=fresh_block())["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "dev"}])
    tagged = ec2.describe_vpcs(Filters=[{"Name": "tag:team", "Values": ["w*"]}, {"Name": "tag-key", "Values": ["env"]}])["Vpcs"]
    assert vpc_id in [v["VpcId"] for v in tagged]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:team", "Values": ["ops"]}, {"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["Tags"]
    assert sorted((t["Key"], t["Value"], t["ResourceType"]) for t in described) == [("env", "dev", "vpc"), ("team", "web", "vpc")]
    ec2.delete_tags(Resources=[vpc_id], Tags=[{"Key": "env"}, {"Key": "team", "Value": "not-this"}])
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Tags"] == [{"Key": "team", "Value": "web"}]
    assert refused(ec2.create_tags, Resources=[vpc_id], Tags=[{"Key": "aws:x", "Value": "y"}]) == (
        "InvalidParameterValue",
        400,
        "Value ( aws:x ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use",
    )
    assert refused(ec2.create_tags, Resources=["i-not-here"], Tags=[{"Key": "a", "Value": "b"}])[:2] == ("InvalidID", 400)
    assert refused(ec2.describe_vpcs, Filters=[{"Name": "colour", "Values": ["red"]}])[:2] == ("InvalidParameterValue", 400)

    pages = list(ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Subnets"]) for p in pages][0] == 5 and sum(len(p["Subnets"]) for p in pages) >= 6
    ec2.delete_vpc(VpcId=vpc_id)


def test_the_aws_cli_describes_and_creates(aws):
    zones = aws("ec2", "describe-availability-zones", "--query", "AvailabilityZones[].ZoneName").json()
    assert zones[0] == "us-east-1a"
    made = aws("ec2", "create-vpc", "--cidr-block", fresh_block(), "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]").json()
    vpc_id = made["Vpc"]["VpcId"]
    found = aws("ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=cli", "--query", "Vpcs[].VpcId").json()
    assert vpc_id in found
    failed = aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/8")
    assert failed.returncode != 0 and "InvalidVpc.Range" in failed.stderr
    assert aws("ec2", "delete-vpc", "--vpc-id", vpc_id).returncode == 0


def test_attributes_default_acls_and_no_interfaces(ec2):
    vpc_id = ec2.create_vpc(CidrBlock=fresh_block())["Vpc"]["VpcId"]
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"] == {"Value": True}
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": False}
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": True}
    assert refused(ec2.describe_vpc_attribute, VpcId=vpc_id, Attribute="colour")[:2] == ("InvalidParameterValue", 400)
    block = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=block.replace(".0.0/16", ".3.0/24"))["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["MapPublicIpOnLaunch"] is True

    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    assert len(acls) == 1 and acls[0]["IsDefault"] is True
    assert [a["SubnetId"] for a in acls[0]["Associations"]] == [subnet]
    assert sorted((e["Egress"], e["RuleNumber"], e["RuleAction"]) for e in acls[0]["Entries"]) == [
        (False, 100, "allow"),
        (False, 32767, "deny"),
        (True, 100, "allow"),
        (True, 32767, "deny"),
    ]
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"] == []
    assert refused(ec2.describe_network_interfaces, Filters=[{"Name": "colour", "Values": ["x"]}])[:2] == ("InvalidParameterValue", 400)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc_id)


def test_what_ec2_acknowledged_survives_kill_9(launch_nimbus, tmp_path):
    from conftest import client_for

    data = tmp_path / "data"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    ec2 = client_for(server.url, "ec2")
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "kept"}]}])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="kept", Description="kept", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8")
    server.process.kill()
    server.process.wait()

    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    ec2 = client_for(restarted.url, "ec2")
    defaults = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert [v["VpcId"] for v in defaults] == [default_vpc], "the defaults are not made twice"
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"] == [{"Key": "Name", "Value": "kept"}]
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"] == vpc
    rules = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["FromPort"], p["IpRanges"]) for p in rules] == [(22, [{"CidrIp": "10.0.0.0/8"}])]


def test_elastic_ips_are_allocated_described_and_released(launch_nimbus):
    from conftest import client_for

    ec2 = client_for(launch_nimbus().url, "ec2")
    first = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}])
    assert (first["Domain"], first["PublicIpv4Pool"]) == ("vpc", "amazon") and first["PublicIp"].startswith("127.200.")
    assert first["AllocationId"].startswith("eipalloc-")
    more = [ec2.allocate_address(Domain="vpc") for _ in range(4)]
    assert len({first["PublicIp"], *(a["PublicIp"] for a in more)}) == 5
    assert refused(ec2.allocate_address, Domain="vpc") == ("AddressLimitExceeded", 400, "The maximum number of addresses has been reached.")
    tagged = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": ["web"]}])["Addresses"]
    assert [a["AllocationId"] for a in tagged] == [first["AllocationId"]]
    assert ec2.describe_addresses(PublicIps=[more[1]["PublicIp"]])["Addresses"][0]["AllocationId"] == more[1]["AllocationId"]
    ec2.release_address(AllocationId=first["AllocationId"])
    assert refused(ec2.release_address, AllocationId=first["AllocationId"]) == (
        "InvalidAllocationID.NotFound",
        400,
        f"The allocation ID '{first['AllocationId']}' does not exist",
    )
    again = ec2.allocate_address(Domain="vpc")["PublicIp"]
    assert again.startswith("127.200.") and again not in [a["PublicIp"] for a in more], "room for one more, at a free address"


def test_dhcp_options_and_account_attributes(ec2):
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    default_set = default_vpc["DhcpOptionsId"]
    assert default_set.startswith("dopt-")
    described = ec2.describe_dhcp_options(DhcpOptionsIds=[default_set])["DhcpOptions"][0]
    configuration = {c["Key"]: [v["Value"] for v in c["Values"]] for c in described["DhcpConfigurations"]}
    assert configuration == {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}
    vpc_id = ec2.create_vpc(CidrBlock=fresh_block())["Vpc"]["VpcId"]
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"] == default_set, "a new VPC gets the default set"

    made = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name", "Values": ["corp.example"]}])["DhcpOptions"]
    ec2.associate_dhcp_options(DhcpOptionsId=made["DhcpOptionsId"], VpcId=vpc_id)
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"] == made["DhcpOptionsId"]
    assert refused(ec2.delete_dhcp_options, DhcpOptionsId=made["DhcpOptionsId"])[:2] == ("DependencyViolation", 400)
    assert refused(ec2.create_dhcp_options, DhcpConfigurations=[{"Key": "colour", "Values": ["red"]}])[:2] == ("InvalidParameterValue", 400)
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
    ec2.delete_dhcp_options(DhcpOptionsId=made["DhcpOptionsId"])
    assert refused(ec2.describe_dhcp_options, DhcpOptionsIds=[made["DhcpOptionsId"]])[:2] == ("InvalidDhcpOptionID.NotFound", 400)
    ec2.delete_vpc(VpcId=vpc_id)

    attributes = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in ec2.describe_account_attributes()["AccountAttributes"]}
    assert attributes["supported-platforms"] == ["VPC"] and attributes["default-vpc"] == [default_vpc["VpcId"]]
    assert attributes["max-elastic-ips"] == ["5"]
