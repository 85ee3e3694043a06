"""Failure drills: `nimbus zone fail us-east-1a` freezes that zone's
instances (they stop answering, their status checks fail, the zone shows
impaired and takes no new instances) while other zones serve on; restoring
it brings them back. A fault under one instance kills its processes; a stop
and start puts it on healthy hardware again."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ec2_support import ec2, image  # noqa: F401  (fixtures)

from test_ec2_instances import APP, PORT, get, wait_for_state


def answers(address: str) -> bool:
    """Whether the app answers within a second (a frozen one does not)."""
    try:
        with urllib.request.urlopen(f"http://{address}:{PORT}/", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def drill(endpoint: str, method: str, path: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{endpoint}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def nimbus_cli(nimbus_bin, endpoint: str, *args: str) -> dict:
    port = endpoint.rsplit(":", 1)[1]
    done = subprocess.run([str(nimbus_bin), "--port", port, *args], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def statuses(ec2, ids: list[str]) -> dict[str, tuple[str, str]]:
    found = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    return {s["InstanceId"]: (s["SystemStatus"]["Status"], s["InstanceStatus"]["Status"]) for s in found}


def launch_in(ec2, image: str, zone: str) -> dict:
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=APP, Placement={"AvailabilityZone": zone})["Instances"][0]


def test_a_failed_zone_freezes_its_instances_until_restored(ec2, image, endpoint, nimbus_bin):
    in_a, in_b = launch_in(ec2, image, "us-east-1a"), launch_in(ec2, image, "us-east-1b")
    ids = [in_a["InstanceId"], in_b["InstanceId"]]
    try:
        assert in_b["Placement"]["AvailabilityZone"] == "us-east-1b"
        for made in (in_a, in_b):
            wait_for_state(ec2, made["InstanceId"], "running")
            assert get(made["PrivateIpAddress"]) is not None
        failed = nimbus_cli(nimbus_bin, endpoint, "zone", "fail", "us-east-1a")
        assert failed["zone"] == "us-east-1a" and in_a["InstanceId"] in failed["instances"]
        assert in_b["InstanceId"] not in failed["instances"]
        assert not answers(in_a["PrivateIpAddress"]) and answers(in_b["PrivateIpAddress"])
        assert statuses(ec2, ids) == {ids[0]: ("impaired", "impaired"), ids[1]: ("ok", "ok")}
        zone = ec2.describe_availability_zones(ZoneNames=["us-east-1a"])["AvailabilityZones"][0]
        assert zone["State"] == "impaired"
        with pytest.raises(ClientError) as caught:
            launch_in(ec2, image, "us-east-1a")
        assert caught.value.response["Error"]["Code"] == "InsufficientInstanceCapacity"
        assert "(us-east-1a)" in caught.value.response["Error"]["Message"]
        assert drill(endpoint, "GET", "/_nimbus/zones") == (200, {"failed": ["us-east-1a"]})
        restored = nimbus_cli(nimbus_bin, endpoint, "zone", "restore", "us-east-1a")
        assert restored["state"] == "available" and restored["instances"] == [in_a["InstanceId"]]
        assert answers(in_a["PrivateIpAddress"]), "the frozen processes go on"
        assert statuses(ec2, ids) == {ids[0]: ("ok", "ok"), ids[1]: ("ok", "ok")}
        assert ec2.describe_availability_zones(ZoneNames=["us-east-1a"])["AvailabilityZones"][0]["State"] == "available"
    finally:
        drill(endpoint, "POST", "/_nimbus/zones/us-east-1a/restore")
        ec2.terminate_instances(InstanceIds=ids)


def test_a_hardware_fault_kills_an_instance_until_stopped_and_started(ec2, image, endpoint):
    made = launch_in(ec2, image, "us-east-1c")
    instance_id, address = made["InstanceId"], made["PrivateIpAddress"]
    try:
        wait_for_state(ec2, instance_id, "running")
        assert get(address) is not None
        status, answer = drill(endpoint, "POST", f"/_nimbus/ec2/instances/{instance_id}/fail")
        assert (status, answer["status"]) == (200, "impaired")
        assert not answers(address)
        found = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"][0]
        assert found["InstanceState"]["Name"] == "running"
        assert found["SystemStatus"]["Status"] == "impaired" and found["InstanceStatus"]["Status"] == "impaired"
        assert found["InstanceStatus"]["Details"][0]["Status"] == "failed" and "ImpairedSince" in found["InstanceStatus"]["Details"][0]
        ec2.stop_instances(InstanceIds=[instance_id])
        wait_for_state(ec2, instance_id, "stopped")
        ec2.start_instances(InstanceIds=[instance_id])
        wait_for_state(ec2, instance_id, "running")
        assert get(address) is not None, "started again on healthy hardware"
        assert statuses(ec2, [instance_id]) == {instance_id: ("ok", "ok")}
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])


def test_drills_refuse_what_they_do_not_know(endpoint):
    assert drill(endpoint, "POST", "/_nimbus/zones/us-east-1z/fail")[0] == 404
    assert drill(endpoint, "GET", "/_nimbus/zones/us-east-1a/fail")[0] == 405
    status, answer = drill(endpoint, "POST", "/_nimbus/ec2/instances/i-0123456789abcdef0/fail")
    assert status == 404 and answer["code"] == "InvalidInstanceID.NotFound"
    assert drill(endpoint, "GET", "/_nimbus/no-such-thing")[0] == 404
