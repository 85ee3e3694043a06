"""EC2 instances through the AWS CLI, as the WhatIsTheTime.com walkthrough
runs them: run-instances with user data from a file, wait instance-running,
the app over HTTP, get-console-output, stop / modify-instance-attribute /
start, terminate; an error as the CLI prints it."""

from __future__ import annotations

import time

from test_ec2_instances import APP, get


def state_of(aws, instance_id: str) -> str:
    found = aws("ec2", "describe-instances", "--instance-ids", instance_id, "--query", "Reservations[0].Instances[0].State.Name").json()
    return found


def wait_for(aws, instance_id: str, wanted: str) -> None:
    deadline = time.monotonic() + 15
    while state_of(aws, instance_id) != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state_of(aws, instance_id) == wanted


def test_what_is_the_time_with_the_cli(aws, tmp_path):
    script = tmp_path / "app.sh"
    script.write_text(APP)
    ami = aws("ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023.*-x86_64", "--query", "Images[0].ImageId").json()
    made = aws(
        "ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro", "--count", "1", "--user-data", f"file://{script}",
        "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=whatisthetime}]",
    ).json()
    instance = made["Instances"][0]
    instance_id = instance["InstanceId"]
    try:
        assert instance["State"]["Name"] == "pending" and instance["Tags"] == [{"Key": "Name", "Value": "whatisthetime"}]
        waited = aws("ec2", "wait", "instance-running", "--instance-ids", instance_id)
        assert waited.returncode == 0, waited.stderr
        address = aws("ec2", "describe-instances", "--filters", "Name=tag:Name,Values=whatisthetime", "Name=instance-state-name,Values=running",
                      "--query", "Reservations[].Instances[].PrivateIpAddress").json()
        assert address == [instance["PrivateIpAddress"]]
        answer = get(instance["PrivateIpAddress"])
        assert answer is not None and answer.endswith(instance_id)
        console = aws("ec2", "get-console-output", "--instance-id", instance_id).json()
        assert "app started" in console["Output"], "the CLI decodes the console output"
        stopping = aws("ec2", "stop-instances", "--instance-ids", instance_id).json()["StoppingInstances"][0]
        assert stopping["CurrentState"]["Name"] == "stopping"
        wait_for(aws, instance_id, "stopped")
        changed = aws("ec2", "modify-instance-attribute", "--instance-id", instance_id, "--instance-type", "Value=t3.medium")
        assert changed.returncode == 0, changed.stderr
        aws("ec2", "start-instances", "--instance-ids", instance_id)
        assert aws("ec2", "wait", "instance-running", "--instance-ids", instance_id).returncode == 0
        assert aws("ec2", "describe-instances", "--instance-ids", instance_id, "--query", "Reservations[0].Instances[0].InstanceType").json() == "t3.medium"
        assert get(instance["PrivateIpAddress"]) is not None
    finally:
        aws("ec2", "terminate-instances", "--instance-ids", instance_id)
    wait_for(aws, instance_id, "terminated")
    missing = aws("ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0")
    assert missing.returncode == 255, "the AWS CLI (v1) exits 255 on a service error"
    assert (
        "An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: "
        "The instance ID 'i-0123456789abcdef0' does not exist"
    ) in missing.stderr
