"""Internet gateways and route tables through boto3: the default VPC's
gateway and main table, a public subnet made as the VPC guides make it
(gateway attached, a table with 0.0.0.0/0 to it, associated), and EC2's
refusals on the way; a VPC deleted once emptied."""

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


def test_the_default_vpc_routes_to_its_gateway(ec2):
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    assert len(gateways) == 1 and gateways[0]["Attachments"] == [{"State": "available", "VpcId": vpc}]
    igw = gateways[0]["InternetGatewayId"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(main) == 1
    routes = [(r["DestinationCidrBlock"], r["GatewayId"], r["Origin"], r["State"]) for r in main[0]["Routes"]]
    assert routes == [("172.31.0.0/16", "local", "CreateRouteTable", "active"), ("0.0.0.0/0", igw, "CreateRoute", "active")]
    association = main[0]["Associations"][0]
    assert (association["Main"], association["AssociationState"]) == (True, {"State": "associated"})
    assert association["RouteTableAssociationId"].startswith("rtbassoc-") and "SubnetId" not in association


def test_a_public_subnet_step_by_step(ec2):
    block = f"10.{uuid.uuid4().int % 250}.0.0/16"
    vpc = ec2.create_vpc(CidrBlock=block)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=block.replace(".0.0/16", ".1.0/24"))["Subnet"]["SubnetId"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert [(r["DestinationCidrBlock"], r["GatewayId"]) for r in main[0]["Routes"]] == [(block, "local")]

    made = ec2.create_internet_gateway(TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": "gw"}]}])
    igw = made["InternetGateway"]["InternetGatewayId"]
    assert igw.startswith("igw-") and made["InternetGateway"]["Attachments"] == []
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]
    rtb = table["RouteTableId"]
    assert (table["Associations"], [r["GatewayId"] for r in table["Routes"]]) == ([], ["local"])
    assert refused(ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw) == (
        "InvalidParameterValue",
        400,
        f"route table {rtb} and network gateway {igw} belong to different networks",
    )
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert refused(ec2.attach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == (
        "Resource.AlreadyAssociated",
        400,
        f"resource {igw} is already attached to network {vpc}",
    )
    other = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert refused(ec2.attach_internet_gateway, InternetGatewayId=other, VpcId=vpc) == (
        "InvalidParameterValue",
        400,
        f"Network {vpc} already has an internet gateway attached",
    )
    ec2.delete_internet_gateway(InternetGatewayId=other)
    assert ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)["Return"] is True
    assert refused(ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw) == (
        "RouteAlreadyExists",
        400,
        "The route identified by 0.0.0.0/0 already exists.",
    )
    assert refused(ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="1.2.3.0/24", GatewayId="igw-0000000000000000a")[:2] == (
        "InvalidGatewayID.NotFound",
        400,
    )
    association = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert association["AssociationState"] == {"State": "associated"}
    assert refused(ec2.associate_route_table, RouteTableId=rtb, SubnetId=subnet)[:2] == ("Resource.AlreadyAssociated", 400)
    public = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    assert [t["RouteTableId"] for t in public] == [rtb]
    assert ("0.0.0.0/0", igw) in [(r["DestinationCidrBlock"], r["GatewayId"]) for r in public[0]["Routes"]]

    assert refused(ec2.delete_route_table, RouteTableId=rtb) == (
        "DependencyViolation",
        400,
        f"The routeTable '{rtb}' has dependencies and cannot be deleted.",
    )
    assert refused(ec2.delete_internet_gateway, InternetGatewayId=igw) == (
        "DependencyViolation",
        400,
        f"The internetGateway '{igw}' has dependencies and cannot be deleted.",
    )
    main_association = main[0]["Associations"][0]["RouteTableAssociationId"]
    assert refused(ec2.disassociate_route_table, AssociationId=main_association)[:2] == ("InvalidParameterValue", 400)
    assert refused(ec2.delete_route, RouteTableId=rtb, DestinationCidrBlock=block)[:2] == ("InvalidParameterValue", 400), "the local route stays"

    # Take it apart in the order EC2 requires.
    assert refused(ec2.delete_vpc, VpcId=vpc)[0] == "DependencyViolation"
    ec2.disassociate_route_table(AssociationId=association["AssociationId"])
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    assert refused(ec2.delete_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")[:2] == ("InvalidRoute.NotFound", 400)
    ec2.delete_route_table(RouteTableId=rtb)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert refused(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)[:2] == ("Gateway.NotAttached", 400)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert refused(ec2.describe_internet_gateways, InternetGatewayIds=[igw]) == (
        "InvalidInternetGatewayID.NotFound",
        400,
        f"The internetGateway ID '{igw}' does not exist",
    )
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"] == [], "the main table went with it"


def test_a_nat_gateway_for_a_private_subnet(ec2):
    import time

    block = f"10.{uuid.uuid4().int % 250}.0.0/16"
    vpc = ec2.create_vpc(CidrBlock=block)["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=block.replace(".0.0/16", ".1.0/24"))["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")
    made = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocation["AllocationId"])["NatGateway"]
    nat = made["NatGatewayId"]
    assert (made["State"], made["VpcId"], made["ConnectivityType"]) == ("pending", vpc, "public")
    address = made["NatGatewayAddresses"][0]
    assert (address["PublicIp"], address["PrivateIp"]) == (allocation["PublicIp"], block.replace(".0.0/16", ".1.4"))
    held = ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert held["NetworkInterfaceId"] == address["NetworkInterfaceId"] and held["AssociationId"].startswith("eipassoc-")
    assert refused(ec2.release_address, AllocationId=allocation["AllocationId"])[:2] == ("InvalidIPAddress.InUse", 400)
    assert refused(ec2.create_nat_gateway, SubnetId=public, AllocationId=allocation["AllocationId"])[:2] == ("Resource.AlreadyAssociated", 400)
    # The provider's waiter polls until it is available (a second on the nimbus clock).
    deadline = time.monotonic() + 10
    while ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] != "available" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ec2.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"][0]["State"] == "available"

    private = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    routes = ec2.describe_route_tables(RouteTableIds=[private])["RouteTables"][0]["Routes"]
    assert [(r["DestinationCidrBlock"], r.get("NatGatewayId")) for r in routes] == [(block, None), ("0.0.0.0/0", nat)]
    assert refused(ec2.delete_subnet, SubnetId=public)[:2] == ("DependencyViolation", 400)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.replace_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    routes = ec2.describe_route_tables(RouteTableIds=[private])["RouteTables"][0]["Routes"]
    assert [(r.get("GatewayId"), r.get("NatGatewayId")) for r in routes][1] == (igw, None), "replaced: out through the gateway"
    assert refused(ec2.replace_route, RouteTableId=private, DestinationCidrBlock="8.8.8.0/24", GatewayId=igw)[:2] == (
        "InvalidRoute.NotFound",
        400,
    )
    ec2.replace_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)

    assert ec2.delete_nat_gateway(NatGatewayId=nat)["NatGatewayId"] == nat
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] in ("deleting", "deleted")
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0], "its address is let go"
    routes = ec2.describe_route_tables(RouteTableIds=[private])["RouteTables"][0]["Routes"]
    assert [(r.get("NatGatewayId"), r["State"]) for r in routes] == [(None, "active"), (nat, "blackhole")], "its routes lead nowhere"
    ec2.release_address(AllocationId=allocation["AllocationId"])
    assert refused(ec2.describe_nat_gateways, NatGatewayIds=["nat-0123456789abcdef0"]) == (
        "NatGatewayNotFound",
        400,
        "NAT gateway nat-0123456789abcdef0 was not found",
    )
    ec2.delete_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=private)
    ec2.delete_subnet(SubnetId=public)
    ec2.delete_vpc(VpcId=vpc)
