"""Network ACLs through boto3 and HTTP: an ACL of the account's own
(deny-all until entries allow), entries added, replaced and deleted in rule
order, a subnet moved to it and back; traffic to an instance's public
address passes only when the subnet's ACL lets it in and its answer out
(stateless, as AWS evaluates them); EC2's refusals."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from ec2_support import ec2, image  # noqa: F401  (fixtures)
from test_ec2_instances import APP, PORT, get, refuses, wait_for_state


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def association_of(ec2, subnet: str) -> str:
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    return next(a["NetworkAclAssociationId"] for a in acls[0]["Associations"] if a["SubnetId"] == subnet)


def test_a_subnets_acl_decides_what_reaches_its_instances(ec2, image):
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    group = ec2.create_security_group(GroupName=f"web-{uuid.uuid4().hex[:6]}", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=APP, SubnetId=subnet, SecurityGroupIds=[group])["Instances"][0]
    instance_id, public = made["InstanceId"], made["PublicIpAddress"]
    default_association = association_of(ec2, subnet)
    acl = None
    try:
        wait_for_state(ec2, instance_id, "running")
        assert get(public) is not None, "the default ACL lets everything through"
        acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]
        acl_id = acl["NetworkAclId"]
        assert acl["IsDefault"] is False and [(e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"]] == [(32767, "deny"), (32767, "deny")]
        moved = ec2.replace_network_acl_association(AssociationId=default_association, NetworkAclId=acl_id)["NewAssociationId"]
        assert moved.startswith("aclassoc-")
        assert refuses(public), "deny-all until entries allow"
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": PORT, "To": PORT})
        assert refuses(public), "the answer cannot get out yet (ACLs are stateless)"
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=True,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": 1024, "To": 65535})
        assert get(public).endswith(instance_id)
        assert refused(ec2.create_network_acl_entry, NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                       CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22}) == (
            "NetworkAclEntryAlreadyExists", "The network acl entry identified by 100 already exists."
        )
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=50, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="127.0.0.0/8")
        assert refuses(public), "rule 50 comes before rule 100"
        ec2.replace_network_acl_entry(NetworkAclId=acl_id, RuleNumber=50, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="10.0.0.0/8")
        assert get(public) is not None, "the deny no longer holds the caller"
        ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Egress=True)
        assert refuses(public)
        assert refused(ec2.delete_network_acl_entry, NetworkAclId=acl_id, RuleNumber=7, Egress=True)[0] == "InvalidNetworkAclEntry.NotFound"
        assert refused(ec2.delete_network_acl, NetworkAclId=acl_id) == (
            "DependencyViolation", f"The network ACL '{acl_id}' has dependencies and cannot be deleted."
        )
        default_acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
        assert refused(ec2.delete_network_acl, NetworkAclId=default_acl["NetworkAclId"])[0] == "InvalidParameterValue"
        ec2.replace_network_acl_association(AssociationId=moved, NetworkAclId=default_acl["NetworkAclId"])
        assert get(public) is not None, "back on the default ACL"
        ec2.delete_network_acl(NetworkAclId=acl_id)
        assert refused(ec2.describe_network_acls, NetworkAclIds=[acl_id])[0] == "InvalidNetworkAclID.NotFound"
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])
        wait_for_state(ec2, instance_id, "terminated")
        if acl is not None and ec2.describe_network_acls(Filters=[{"Name": "network-acl-id", "Values": [acl["NetworkAclId"]]}])["NetworkAcls"]:
            ec2.replace_network_acl_association(AssociationId=association_of(ec2, subnet), NetworkAclId=default_acl_of(ec2, vpc))
            ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
        ec2.delete_security_group(GroupId=group)
        ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)


def default_acl_of(ec2, vpc: str) -> str:
    found = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])
    return found["NetworkAcls"][0]["NetworkAclId"]


def test_an_acl_of_its_own_holds_a_vpc_and_its_default_goes_with_it(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    default_acl = default_acl_of(ec2, vpc)
    ec2.create_network_acl_entry(NetworkAclId=default_acl, RuleNumber=90, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="192.0.2.0/24")
    entries = ec2.describe_network_acls(NetworkAclIds=[default_acl])["NetworkAcls"][0]["Entries"]
    assert sorted((e["RuleNumber"], e["Egress"]) for e in entries) == [(90, False), (100, False), (100, True), (32767, False), (32767, True)]
    own = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    assert refused(ec2.delete_vpc, VpcId=vpc)[0] == "DependencyViolation"
    ec2.delete_network_acl(NetworkAclId=own)
    ec2.delete_vpc(VpcId=vpc)
    assert refused(ec2.describe_network_acls, NetworkAclIds=[default_acl])[0] == "InvalidNetworkAclID.NotFound", "the default ACL went with its VPC"
