"""Public addresses carry traffic, through boto3 and HTTP: an instance's
public address and its Elastic IP reach the app on it for the ports its
security groups open; moving the Elastic IP moves the traffic; the
instance stops, changes type and starts again behind the same Elastic IP;
EC2's refusals on the way."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from ec2_support import ec2, image  # noqa: F401  (fixtures)

from test_ec2_instances import APP, PORT, get, refuses, wait_for_state


@pytest.fixture
def web_group(ec2) -> str:
    group = ec2.create_security_group(GroupName=f"web-{uuid.uuid4().hex[:8]}", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return group


def refused(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def public_ip(ec2, instance_id: str) -> str | None:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0].get("PublicIpAddress")


def test_an_elastic_ip_carries_traffic_and_moves_with_its_association(ec2, image, web_group):
    made = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, UserData=APP, SecurityGroupIds=[web_group])["Instances"]
    first, second = (m["InstanceId"] for m in made)
    allocation = None
    try:
        for instance_id in (first, second):
            wait_for_state(ec2, instance_id, "running")
        pooled = public_ip(ec2, first)
        answer = get(pooled)
        assert answer is not None and answer.endswith(first), "the public address reaches the instance"
        address = ec2.allocate_address(Domain="vpc")
        allocation, eip = address["AllocationId"], address["PublicIp"]
        association = ec2.associate_address(AllocationId=allocation, InstanceId=first)["AssociationId"]
        assert association.startswith("eipassoc-")
        assert public_ip(ec2, first) == eip and refuses(pooled), "the pooled address gave way"
        assert get(eip).endswith(first)
        described = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
        assert (described["InstanceId"], described["AssociationId"]) == (first, association)
        assert described["PrivateIpAddress"] == made[0]["PrivateIpAddress"]
        assert refused(ec2.associate_address, AllocationId=allocation, InstanceId=second) == (
            "Resource.AlreadyAssociated", 400, f"resource {allocation} is already associated with associate-id {association}"
        )
        ec2.associate_address(AllocationId=allocation, InstanceId=second, AllowReassociation=True)
        assert get(eip).endswith(second), "moving the Elastic IP moved the traffic"
        assert public_ip(ec2, second) == eip
        new_pooled = public_ip(ec2, first)
        assert new_pooled not in (None, eip) and get(new_pooled).endswith(first), "the first instance has a pooled address again"
        assert refused(ec2.release_address, AllocationId=allocation)[0] == "InvalidIPAddress.InUse"
    finally:
        ec2.terminate_instances(InstanceIds=[first, second])
    wait_for_state(ec2, second, "terminated")
    left = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert "InstanceId" not in left and "AssociationId" not in left, "termination ends the association"
    assert refuses(eip)
    code, _, message = refused(ec2.associate_address, AllocationId=allocation, InstanceId=second)
    assert (code, message) == ("InvalidInstanceID", f"The terminated instance '{second}' is not in a valid state for this operation.")
    ec2.release_address(AllocationId=allocation)


def test_stop_change_type_and_start_behind_the_same_elastic_ip(ec2, image, web_group):
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=APP, SecurityGroupIds=[web_group], InstanceType="t3.micro")["Instances"][0]
    instance_id = made["InstanceId"]
    assert refused(ec2.associate_address, AllocationId="eipalloc-0123456789abcdef0", InstanceId=instance_id)[0] == "InvalidAllocationID.NotFound"
    allocation = ec2.allocate_address(Domain="vpc")
    try:
        wait_for_state(ec2, instance_id, "running")
        ec2.associate_address(AllocationId=allocation["AllocationId"], InstanceId=instance_id)
        eip = allocation["PublicIp"]
        assert get(eip).endswith(instance_id)
        ec2.stop_instances(InstanceIds=[instance_id])
        wait_for_state(ec2, instance_id, "stopped")
        assert public_ip(ec2, instance_id) == eip, "a stopped instance keeps its Elastic IP"
        assert refuses(eip)
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.large"})
        ec2.start_instances(InstanceIds=[instance_id])
        started = wait_for_state(ec2, instance_id, "running")
        assert started["InstanceType"] == "t3.large" and started["PublicIpAddress"] == eip
        assert get(eip).endswith(instance_id), "the app answers behind the same address"
        group = started["SecurityGroups"][0]["GroupId"]
        ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        assert refuses(eip), "its groups no longer let the caller in"
        assert get(started["PrivateIpAddress"]) is not None, "the instance itself still serves"
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        assert get(eip).endswith(instance_id)
        ec2.disassociate_address(AssociationId=ec2.describe_addresses(PublicIps=[eip])["Addresses"][0]["AssociationId"])
        assert refuses(eip) and public_ip(ec2, instance_id) not in (None, eip)
        assert refused(ec2.delete_security_group, GroupId=web_group) == (
            "DependencyViolation", 400, f"resource {web_group} has a dependent object"
        ), "an instance holds its groups"
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])
        ec2.release_address(AllocationId=allocation["AllocationId"])
