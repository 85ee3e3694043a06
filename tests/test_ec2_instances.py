"""EC2 instances as local processes, through boto3: the WhatIsTheTime.com
app started by user data answers on each instance's own loopback address
(two instances on port 80 at once), stop / change type / start, reboot,
terminate, shutdown from inside, status checks, console output, and EC2's
refusals."""

from __future__ import annotations

import base64
import os
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ec2_support import ec2, image  # noqa: F401  (fixtures)

# Port 80 needs root; elsewhere the app listens on 8080.
PORT = 80 if os.geteuid() == 0 else 8080

# The WhatIsTheTime.com app: a per-boot script (cloud-init runs those at
# every boot) that serves the time and who answered, started at first boot.
APP = f"""#!/bin/sh
mkdir -p var/lib/cloud/scripts/per-boot
cat > app.py <<'EOF'
import http.server, os, time
class Time(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("%s %s" % (time.strftime("%H:%M:%S"), os.environ["NIMBUS_INSTANCE_ID"])).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer((os.environ["NIMBUS_PRIVATE_IP"], {PORT}), Time).serve_forever()
EOF
cat > var/lib/cloud/scripts/per-boot/app.sh <<'EOF'
#!/bin/sh
cd "$HOME" && nohup python3 app.py > app.log 2>&1 &
echo "app started"
EOF
chmod +x var/lib/cloud/scripts/per-boot/app.sh
var/lib/cloud/scripts/per-boot/app.sh
"""


@pytest.fixture
def launched(ec2):
    """Instances a test launches are terminated after it."""
    ids: list[str] = []
    yield ids
    if ids:
        ec2.terminate_instances(InstanceIds=ids)


def refused(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def wait_for_state(ec2, instance_id: str, state: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = instance(ec2, instance_id)
        if found["State"]["Name"] == state or time.monotonic() > deadline:
            assert found["State"]["Name"] == state, found["State"]
            return found
        time.sleep(0.05)


def get(address: str, timeout: float = 10.0) -> str | None:
    """The app's answer at `address`, once it listens (None if it never does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{address}:{PORT}/", timeout=2) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    return None


def refuses(address: str) -> bool:
    try:
        urllib.request.urlopen(f"http://{address}:{PORT}/", timeout=2)
    except (urllib.error.URLError, ConnectionError):
        return True
    return False


def console(ec2, instance_id: str) -> str:
    return ec2.get_console_output(InstanceId=instance_id).get("Output", "")


def test_what_is_the_time_runs_on_two_instances_from_user_data(ec2, image, launched):
    reservation = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=2, MaxCount=2, UserData=APP,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "whatisthetime"}]}],
    )
    instances = reservation["Instances"]
    launched.extend(i["InstanceId"] for i in instances)
    assert reservation["ReservationId"].startswith("r-") and len(instances) == 2
    first = instances[0]
    assert first["State"] == {"Code": 0, "Name": "pending"}
    assert first["StateReason"] == {"Code": "pending", "Message": "pending"}
    assert first["InstanceId"].startswith("i-") and len(first["InstanceId"]) == 19
    assert (first["InstanceType"], first["ImageId"], first["AmiLaunchIndex"]) == ("t3.micro", image, 0)
    assert first["PrivateIpAddress"].startswith("127.") and first["PrivateIpAddress"] != instances[1]["PrivateIpAddress"]
    assert first["PrivateDnsName"] == "ip-%s.ec2.internal" % first["PrivateIpAddress"].replace(".", "-")
    assert first["Placement"]["AvailabilityZone"] == "us-east-1a" and first["SubnetId"].startswith("subnet-")
    assert first["SecurityGroups"][0]["GroupName"] == "default"
    assert first["Tags"] == [{"Key": "app", "Value": "whatisthetime"}]
    assert first["PublicIpAddress"].startswith("127."), "default subnets give public addresses"
    for each in instances:
        running = wait_for_state(ec2, each["InstanceId"], "running")
        assert "StateReason" not in running and running["StateTransitionReason"] == ""
        answer = get(each["PrivateIpAddress"])
        assert answer is not None and answer.endswith(each["InstanceId"]), answer
    output = console(ec2, first["InstanceId"])
    assert "app started" in output and f"{first['InstanceId']} booted" in output
    tagged = ec2.describe_instances(Filters=[{"Name": "tag:app", "Values": ["whatisthetime"]}, {"Name": "instance-state-name", "Values": ["running"]}])
    assert sorted(i["InstanceId"] for r in tagged["Reservations"] for i in r["Instances"]) == sorted(launched)
    assert tagged["Reservations"][0]["ReservationId"] == reservation["ReservationId"]


def test_stop_change_type_and_start_again(ec2, image, launched):
    made = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=APP)["Instances"][0]
    instance_id, address = made["InstanceId"], made["PrivateIpAddress"]
    launched.append(instance_id)
    wait_for_state(ec2, instance_id, "running")
    assert get(address) is not None
    assert refused(ec2.modify_instance_attribute, InstanceId=instance_id, InstanceType={"Value": "t3.large"}) == (
        "IncorrectInstanceState", 400, f"The instance '{instance_id}' is not in the 'stopped' state."
    )
    change = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]
    assert (change["PreviousState"], change["CurrentState"]) == ({"Code": 16, "Name": "running"}, {"Code": 64, "Name": "stopping"})
    stopped = wait_for_state(ec2, instance_id, "stopped")
    assert stopped["StateReason"] == {"Code": "Client.UserInitiatedShutdown", "Message": "Client.UserInitiatedShutdown: User initiated shutdown"}
    assert stopped["StateTransitionReason"].startswith("User initiated (") and stopped["StateTransitionReason"].endswith(" GMT)")
    assert "PublicIpAddress" not in stopped, "a stopped instance gives its public address back"
    assert refuses(address)
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.large"})
    assert ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="instanceType")["InstanceType"] == {"Value": "t3.large"}
    assert refused(ec2.modify_instance_attribute, InstanceId=instance_id, InstanceType={"Value": "t9.huge"})[2] == "Invalid value 't9.huge' for InstanceType."
    change = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]
    assert (change["PreviousState"]["Name"], change["CurrentState"]["Name"]) == ("stopped", "pending")
    started = wait_for_state(ec2, instance_id, "running")
    assert started["InstanceType"] == "t3.large" and started["PrivateIpAddress"] == address
    assert started["PublicIpAddress"].startswith("127.")
    answer = get(address)
    assert answer is not None and answer.endswith(instance_id), "the per-boot script brought the app back"
    assert console(ec2, instance_id).count("booting at") == 2


def test_reboot_and_terminate(ec2, image, launched):
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=APP)["Instances"][0]
    instance_id, address = made["InstanceId"], made["PrivateIpAddress"]
    launched.append(instance_id)
    assert made["InstanceType"] == "m1.small", "EC2's default type"
    wait_for_state(ec2, instance_id, "running")
    assert get(address) is not None
    ec2.reboot_instances(InstanceIds=[instance_id])
    assert instance(ec2, instance_id)["State"]["Name"] == "running"
    assert get(address) is not None
    assert console(ec2, instance_id).count("booting at") == 2
    assert console(ec2, instance_id).count("app started") == 2, "user data ran once, the per-boot script twice"
    change = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]
    assert change["CurrentState"] == {"Code": 32, "Name": "shutting-down"}
    terminated = wait_for_state(ec2, instance_id, "terminated")
    assert terminated["State"]["Code"] == 48 and refuses(address)
    again = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]
    assert again["PreviousState"]["Name"] == again["CurrentState"]["Name"] == "terminated"
    assert refused(ec2.start_instances, InstanceIds=[instance_id]) == (
        "IncorrectInstanceState", 400, f"The instance '{instance_id}' is not in a state from which it can be started."
    )
    assert refused(ec2.stop_instances, InstanceIds=[instance_id])[2] == f"This instance '{instance_id}' is not in a state from which it can be stopped."


@pytest.mark.parametrize("behaviour,final", [("stop", "stopped"), ("terminate", "terminated")])
def test_a_shutdown_from_inside_follows_the_shutdown_behaviour(ec2, image, launched, behaviour, final):
    made = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceInitiatedShutdownBehavior=behaviour,
        UserData="#!/bin/sh\necho going down\nshutdown -h now\n",
    )["Instances"][0]
    launched.append(made["InstanceId"])
    ended = wait_for_state(ec2, made["InstanceId"], final)
    assert ended["StateReason"] == {"Code": "Client.InstanceInitiatedShutdown", "Message": "Client.InstanceInitiatedShutdown: Instance initiated shutdown"}
    assert "going down" in console(ec2, made["InstanceId"])
    attribute = ec2.describe_instance_attribute(InstanceId=made["InstanceId"], Attribute="instanceInitiatedShutdownBehavior")
    assert attribute["InstanceInitiatedShutdownBehavior"] == {"Value": behaviour}


def test_status_checks_follow_the_process(ec2, image, launched):
    made = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)["Instances"]
    ids = [i["InstanceId"] for i in made]
    launched.extend(ids)
    for instance_id in ids:
        wait_for_state(ec2, instance_id, "running")
    ec2.stop_instances(InstanceIds=[ids[1]])
    wait_for_state(ec2, ids[1], "stopped")
    statuses = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert [s["InstanceId"] for s in statuses] == [ids[0]], "only running instances by default"
    ok = {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}
    assert (statuses[0]["InstanceStatus"], statuses[0]["SystemStatus"]) == (ok, ok)
    assert statuses[0]["InstanceState"] == {"Code": 16, "Name": "running"}
    every = ec2.describe_instance_status(InstanceIds=ids, IncludeAllInstances=True)["InstanceStatuses"]
    stopped = next(s for s in every if s["InstanceId"] == ids[1])
    assert stopped["InstanceStatus"] == {"Status": "not-applicable"}
    impaired = ec2.describe_instance_status(Filters=[{"Name": "instance-status.status", "Values": ["impaired"]}])["InstanceStatuses"]
    assert ids[0] not in [s["InstanceId"] for s in impaired]


def test_protections_and_attributes(ec2, image, launched):
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, DisableApiTermination=True)["Instances"][0]
    instance_id = made["InstanceId"]
    launched.append(instance_id)
    assert refused(ec2.terminate_instances, InstanceIds=[instance_id]) == (
        "OperationNotPermitted", 400,
        f"The instance '{instance_id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.",
    )
    assert ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination")["DisableApiTermination"] == {"Value": True}
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
    wait_for_state(ec2, instance_id, "running")
    user_data = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")["UserData"]
    assert user_data == {}
    groups = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="groupSet")["Groups"]
    assert [g["GroupName"] for g in groups] == ["default"]


def test_refusals(ec2, image):
    assert refused(ec2.run_instances, ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1) == (
        "InvalidAMIID.NotFound", 400, "The image id '[ami-0123456789abcdef0]' does not exist"
    )
    assert refused(ec2.run_instances, ImageId="bogus", MinCount=1, MaxCount=1)[0] == "InvalidAMIID.Malformed"
    assert refused(ec2.run_instances, ImageId=image, InstanceType="t3.bogus", MinCount=1, MaxCount=1) == (
        "InvalidParameterValue", 400, "Invalid value 't3.bogus' for InstanceType."
    )
    code, _, message = refused(ec2.run_instances, ImageId=image, InstanceType="t4g.micro", MinCount=1, MaxCount=1)
    assert code == "InvalidParameterValue" and message.startswith("The architecture 'arm64' of the specified instance type does not match")
    assert refused(ec2.run_instances, ImageId=image, MinCount=2, MaxCount=1)[0] == "InvalidParameterValue"
    assert refused(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, KeyName="nope") == (
        "InvalidKeyPair.NotFound", 400, "The key pair 'nope' does not exist"
    )
    assert refused(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, SubnetId="subnet-0123456789abcdef0")[0] == "InvalidSubnetID.NotFound"
    assert refused(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, SecurityGroupIds=["sg-0123456789abcdef0"])[0] == "InvalidGroup.NotFound"
    assert refused(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, DryRun=True)[:2] == ("DryRunOperation", 412)
    assert refused(ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"]) == (
        "InvalidInstanceID.NotFound", 400, "The instance ID 'i-0123456789abcdef0' does not exist"
    )
    assert refused(ec2.stop_instances, InstanceIds=["i-0123456789abcdef0", "i-0123456789abcdef1"])[2] == (
        "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"
    )
    assert refused(ec2.describe_instances, InstanceIds=["x-1"]) == ("InvalidInstanceID.Malformed", 400, 'Invalid id: "x-1"')
    assert refused(ec2.get_console_output, InstanceId="i-0123456789abcdef0")[0] == "InvalidInstanceID.NotFound"
    assert not [i for r in ec2.describe_instances(Filters=[{"Name": "image-id", "Values": ["ami-0123456789abcdef0"]}])["Reservations"] for i in r["Instances"]]


def test_user_data_as_cloud_config_and_multipart(ec2, image, launched):
    cloud_config = (
        "#cloud-config\npackages:\n  - httpd\nwrite_files:\n  - path: /var/www/html/index.html\n    content: |\n      <h1>hello</h1>\n"
        "runcmd:\n  - echo \"runcmd saw $(cat var/www/html/index.html)\"\n"
    )
    archive = (
        'Content-Type: multipart/mixed; boundary="==B=="\nMIME-Version: 1.0\n\n'
        '--==B==\nContent-Type: text/cloud-config; charset="us-ascii"\n\n' + cloud_config + "\n"
        '--==B==\nContent-Type: text/x-shellscript; charset="us-ascii"\n\n#!/bin/sh\necho "script part ran"\n\n--==B==--\n'
    )
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=archive)["Instances"][0]
    launched.append(made["InstanceId"])
    wait_for_state(ec2, made["InstanceId"], "running")
    deadline = time.monotonic() + 10
    while "booted" not in console(ec2, made["InstanceId"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    output = console(ec2, made["InstanceId"])
    assert "runcmd saw <h1>hello</h1>" in output and "script part ran" in output
    assert "packages recorded, not installed: httpd" in output
    raw = base64.b64decode(ec2.describe_instance_attribute(InstanceId=made["InstanceId"], Attribute="userData")["UserData"]["Value"])
    assert raw.decode() == archive


def test_package_managers_and_services_are_recorded_not_run_on_the_host(ec2, image, launched):
    script = "#!/bin/sh\nsudo yum install -y httpd\nsudo -u root systemctl enable --now httpd\napt-get install -y nginx\necho done\n"
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=script)["Instances"][0]
    launched.append(made["InstanceId"])
    deadline = time.monotonic() + 10
    while "done" not in console(ec2, made["InstanceId"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    output = console(ec2, made["InstanceId"])
    assert "[nimbus] yum install -y httpd: recorded, not run on the host" in output, output
    assert "[nimbus] systemctl enable --now httpd: recorded, not run on the host" in output
    assert "[nimbus] apt-get install -y nginx: recorded, not run on the host" in output


def test_an_image_of_an_instance_starts_new_instances_from_its_folder(ec2, image, launched):
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData=APP)["Instances"][0]
    launched.append(made["InstanceId"])
    wait_for_state(ec2, made["InstanceId"], "running")
    assert get(made["PrivateIpAddress"]) is not None
    name = f"time-{made['InstanceId']}"
    baked = ec2.create_image(InstanceId=made["InstanceId"], Name=name, Description="the app, installed")["ImageId"]
    assert refused(ec2.create_image, InstanceId=made["InstanceId"], Name=name) == (
        "InvalidAMIName.Duplicate", 400, f"AMI name {name} is already in use by AMI {baked}"
    )
    deadline = time.monotonic() + 10
    while ec2.describe_images(ImageIds=[baked])["Images"][0]["State"] != "available" and time.monotonic() < deadline:
        time.sleep(0.05)
    own = ec2.describe_images(Owners=["self"])["Images"]
    found = next(i for i in own if i["ImageId"] == baked)
    assert (found["Name"], found["State"], found["SourceInstanceId"], found["Public"]) == (name, "available", made["InstanceId"], False)
    copy = ec2.run_instances(ImageId=baked, MinCount=1, MaxCount=1)["Instances"][0]
    launched.append(copy["InstanceId"])
    assert copy["ImageId"] == baked
    wait_for_state(ec2, copy["InstanceId"], "running")
    answer = get(copy["PrivateIpAddress"])
    assert answer is not None and answer.endswith(copy["InstanceId"]), "the image's per-boot script started the app"
    ec2.deregister_image(ImageId=baked)
    assert refused(ec2.describe_images, ImageIds=[baked])[0] == "InvalidAMIID.NotFound"


def test_an_instance_brings_its_network_interface(ec2, image, launched):
    made = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    launched.append(made["InstanceId"])
    eni = made["NetworkInterfaces"][0]["NetworkInterfaceId"]
    found = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [made["InstanceId"]]}])["NetworkInterfaces"]
    assert [i["NetworkInterfaceId"] for i in found] == [eni]
    interface = found[0]
    assert (interface["Status"], interface["PrivateIpAddress"], interface["SubnetId"]) == ("in-use", made["PrivateIpAddress"], made["SubnetId"])
    assert interface["Attachment"]["DeviceIndex"] == 0 and interface["Association"]["PublicIp"] == made["PublicIpAddress"]
    assert ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]["MacAddress"] == made["NetworkInterfaces"][0]["MacAddress"]
    ec2.terminate_instances(InstanceIds=[made["InstanceId"]])
    wait_for_state(ec2, made["InstanceId"], "terminated")
    assert refused(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni])[0] == "InvalidNetworkInterfaceID.NotFound"
