"""EBS through boto3: every instance's root volume; a volume made in a
zone, attached to an instance there (its folder appears in the instance's
at mnt/<device>, where the instance's programs write), refused to another
zone's instance, snapshotted, and a volume made from the snapshot in
another zone holds what was written; detach, delete, termination."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from ec2_support import ec2, image  # noqa: F401  (fixtures)

from test_ec2_instances import wait_for_state

# Waits for a volume at mnt/<device> and writes into it.
WRITER = "#!/bin/sh\nwhile [ ! -d mnt/sdf ]; do sleep 0.05; done\necho 'kept on the volume' > mnt/sdf/note.txt\necho wrote\n"
# Waits for a volume at mnt/sdg and shows what is on it.
READER = "#!/bin/sh\nwhile [ ! -f mnt/sdg/note.txt ]; do sleep 0.05; done\necho \"read: $(cat mnt/sdg/note.txt)\"\n"


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def volume(ec2, volume_id: str) -> dict:
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def console_has(ec2, instance_id: str, text: str) -> bool:
    return bool(eventually(lambda: text in ec2.get_console_output(InstanceId=instance_id).get("Output", "")))


def launch(ec2, image: str, zone: str, user_data: str) -> dict:
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=user_data, Placement={"AvailabilityZone": zone})["Instances"][0]


def test_volumes_carry_data_between_instances_through_a_snapshot(ec2, image):
    writer = launch(ec2, image, "us-east-1a", WRITER)
    reader = launch(ec2, image, "us-east-1b", READER)
    ids = [writer["InstanceId"], reader["InstanceId"]]
    made: list[str] = []
    try:
        root = writer["BlockDeviceMappings"][0]
        assert root["DeviceName"] == "/dev/xvda" and root["Ebs"]["DeleteOnTermination"] is True
        root_volume = volume(ec2, root["Ebs"]["VolumeId"])
        assert (root_volume["Size"], root_volume["VolumeType"], root_volume["State"]) == (8, "gp3", "in-use")
        assert root_volume["Attachments"][0]["InstanceId"] == writer["InstanceId"]
        data = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp3",
                                 TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}])
        made.append(data["VolumeId"])
        assert data["State"] == "creating" and data["VolumeId"].startswith("vol-")
        assert eventually(lambda: volume(ec2, data["VolumeId"])["State"] == "available")
        for instance_id in ids:
            wait_for_state(ec2, instance_id, "running")
        assert refused(ec2.attach_volume, VolumeId=data["VolumeId"], InstanceId=reader["InstanceId"], Device="/dev/sdf") == (
            "InvalidVolume.ZoneMismatch", f"The volume '{data['VolumeId']}' is not in the same availability zone as instance '{reader['InstanceId']}'"
        )
        attached = ec2.attach_volume(VolumeId=data["VolumeId"], InstanceId=writer["InstanceId"], Device="/dev/sdf")
        assert (attached["State"], attached["Device"]) == ("attaching", "/dev/sdf")
        assert console_has(ec2, writer["InstanceId"], "wrote"), "the instance wrote on its volume"
        assert eventually(lambda: volume(ec2, data["VolumeId"])["Attachments"][0]["State"] == "attached")
        mappings = ec2.describe_instances(InstanceIds=[writer["InstanceId"]])["Reservations"][0]["Instances"][0]["BlockDeviceMappings"]
        assert [m["DeviceName"] for m in mappings] == ["/dev/xvda", "/dev/sdf"]
        assert refused(ec2.delete_volume, VolumeId=data["VolumeId"])[0] == "VolumeInUse"
        snapshot = ec2.create_snapshot(VolumeId=data["VolumeId"], Description="notes")
        made_snapshot = snapshot["SnapshotId"]
        assert snapshot["State"] == "pending" and snapshot["VolumeSize"] == 10
        assert eventually(lambda: ec2.describe_snapshots(SnapshotIds=[made_snapshot])["Snapshots"][0]["State"] == "completed")
        assert [s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [data["VolumeId"]]}])["Snapshots"]] == [made_snapshot]
        copy = ec2.create_volume(AvailabilityZone="us-east-1b", SnapshotId=made_snapshot)
        made.append(copy["VolumeId"])
        assert (copy["Size"], copy["SnapshotId"]) == (10, made_snapshot)
        assert eventually(lambda: volume(ec2, copy["VolumeId"])["State"] == "available")
        ec2.attach_volume(VolumeId=copy["VolumeId"], InstanceId=reader["InstanceId"], Device="/dev/sdg")
        assert console_has(ec2, reader["InstanceId"], "read: kept on the volume"), "the snapshot carried the data to another zone"
        detached = ec2.detach_volume(VolumeId=data["VolumeId"])
        assert detached["State"] == "detaching"
        assert volume(ec2, data["VolumeId"])["State"] == "available"
        ec2.delete_volume(VolumeId=data["VolumeId"])
        made.remove(data["VolumeId"])
        assert refused(ec2.describe_volumes, VolumeIds=[data["VolumeId"]]) == ("InvalidVolume.NotFound", f"The volume '{data['VolumeId']}' does not exist.")
        ec2.delete_snapshot(SnapshotId=made_snapshot)
        assert refused(ec2.describe_snapshots, SnapshotIds=[made_snapshot])[0] == "InvalidSnapshot.NotFound"
    finally:
        ec2.terminate_instances(InstanceIds=ids)
    wait_for_state(ec2, reader["InstanceId"], "terminated")
    assert refused(ec2.describe_volumes, VolumeIds=[root["Ebs"]["VolumeId"]])[0] == "InvalidVolume.NotFound", "the root volume went with its instance"
    left = volume(ec2, copy["VolumeId"])
    assert (left["State"], left["Attachments"]) == ("available", []), "other volumes are detached"
    for volume_id in made:
        ec2.delete_volume(VolumeId=volume_id)
