"""EC2 instances across nimbus restarts: an instance's processes outlive a
kill -9 of nimbus and the next run adopts them (they keep serving, and stop
when told); after a graceful stop, the next run boots them again and what
their user data started runs again."""

from __future__ import annotations

import time

from conftest import client_for
from test_ec2_instances import APP, get, refuses


def launch(server) -> tuple[object, str, str]:
    ec2 = client_for(server.url, "ec2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]["ImageId"]
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=APP)["Instances"][0]
    return ec2, made["InstanceId"], made["PrivateIpAddress"]


def state(ec2, instance_id: str) -> str:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def wait_for(ec2, instance_id: str, wanted: str) -> None:
    deadline = time.monotonic() + 10
    while state(ec2, instance_id) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state(ec2, instance_id) == wanted


def test_instances_outlive_a_kill_9_and_are_adopted(launch_nimbus, tmp_path):
    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    ec2, instance_id, address = launch(server)
    wait_for(ec2, instance_id, "running")
    before = get(address)
    assert before is not None and before.endswith(instance_id)
    server.process.kill()
    server.process.wait()
    assert get(address) is not None, "the instance runs on without nimbus"
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    ec2 = client_for(server.url, "ec2")
    assert state(ec2, instance_id) == "running"
    status = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"][0]
    assert status["InstanceStatus"]["Status"] == "ok", "the new run adopted the instance's processes"
    console = ec2.get_console_output(InstanceId=instance_id)["Output"]
    assert console.count("booting at") == 1, "adopted, not booted again"
    ec2.stop_instances(InstanceIds=[instance_id])
    wait_for(ec2, instance_id, "stopped")
    assert refuses(address)
    ec2.terminate_instances(InstanceIds=[instance_id])


def test_a_graceful_stop_ends_instances_and_the_next_run_boots_them(launch_nimbus, tmp_path):
    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    ec2, instance_id, address = launch(server)
    wait_for(ec2, instance_id, "running")
    assert get(address) is not None
    assert server.stop() == 0
    assert refuses(address), "nimbus ends its instances' processes when it stops"
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    ec2 = client_for(server.url, "ec2")
    assert state(ec2, instance_id) == "running"
    answer = get(address)
    assert answer is not None and answer.endswith(instance_id), "booted again, the app came back"
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_for(ec2, instance_id, "terminated")
    assert refuses(address)
