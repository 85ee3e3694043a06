"""VPC peering through boto3: a connection requested between two VPCs,
accepted, routed to, deleted (its routes then read blackhole); rejected and
overlapping requests; EC2's refusals."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import client_for


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_peering_connections_are_requested_accepted_routed_and_deleted(launch_nimbus):
    ec2 = client_for(launch_nimbus().url, "ec2")
    account = client_for(ec2.meta.endpoint_url, "sts").get_caller_identity()["Account"]
    left = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    right = ec2.create_vpc(CidrBlock="10.81.0.0/16")["Vpc"]["VpcId"]
    clash = ec2.create_vpc(CidrBlock="10.80.0.0/20")["Vpc"]["VpcId"]
    requested = ec2.create_vpc_peering_connection(VpcId=left, PeerVpcId=right,
                                                  TagSpecifications=[{"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": "l-r"}]}])["VpcPeeringConnection"]
    pcx = requested["VpcPeeringConnectionId"]
    assert pcx.startswith("pcx-") and requested["Status"] == {"Code": "pending-acceptance", "Message": f"Pending Acceptance by {account}"}
    assert (requested["RequesterVpcInfo"]["CidrBlock"], requested["AccepterVpcInfo"]["CidrBlock"]) == ("10.80.0.0/16", "10.81.0.0/16")
    assert requested["Tags"] == [{"Key": "Name", "Value": "l-r"}] and "ExpirationTime" in requested
    accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)["VpcPeeringConnection"]
    assert accepted["Status"]["Code"] == "active"
    assert refused(ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx) == (
        "InvalidStateTransition", f"Invalid state transition for {pcx}, attempted to transition from active to active"
    )
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [left]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="10.81.0.0/16", VpcPeeringConnectionId=pcx)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[main])["RouteTables"][0]["Routes"] if r["DestinationCidrBlock"] == "10.81.0.0/16"][0]
    assert (route["VpcPeeringConnectionId"], route["State"]) == (pcx, "active")
    clash_table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [clash]}])["RouteTables"][0]["RouteTableId"]
    assert refused(ec2.create_route, RouteTableId=clash_table, DestinationCidrBlock="10.81.0.0/16", VpcPeeringConnectionId=pcx)[0] == "InvalidParameterValue"
    failed = ec2.create_vpc_peering_connection(VpcId=left, PeerVpcId=clash)["VpcPeeringConnection"]
    assert failed["Status"] == {"Code": "failed", "Message": "Overlapping CIDR range"}
    other = ec2.create_vpc_peering_connection(VpcId=right, PeerVpcId=clash)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=other)
    pending = ec2.describe_vpc_peering_connections(Filters=[{"Name": "status-code", "Values": ["rejected"]}])["VpcPeeringConnections"]
    assert [p["VpcPeeringConnectionId"] for p in pending] == [other]
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    gone = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert gone["Status"] == {"Code": "deleted", "Message": f"Deleted by {account}"}
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[main])["RouteTables"][0]["Routes"] if r["DestinationCidrBlock"] == "10.81.0.0/16"][0]
    assert route["State"] == "blackhole", "a route to a deleted connection leads nowhere"
    assert refused(ec2.describe_vpc_peering_connections, VpcPeeringConnectionIds=["pcx-0123456789abcdef0"]) == (
        "InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist"
    )
    assert refused(ec2.create_vpc_peering_connection, VpcId=left, PeerVpcId="vpc-0123456789abcdef0")[0] == "InvalidVpcID.NotFound"
