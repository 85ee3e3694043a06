"""Load balancers across a kill -9 of nimbus: what ELB acknowledged (the
load balancer, its listener and rule, the target group and its targets)
is there after the restart, and the listener listens again at the same
address, forwarding to the instance the new run adopted."""

from __future__ import annotations

from conftest import client_for
from elbv2_support import PORT, WEB_APP, fetch, health_of, listener_address, serving, wait_until


def test_a_load_balancer_serves_again_after_a_kill_9(launch_nimbus, tmp_path):
    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    ec2, elb = client_for(server.url, "ec2"), client_for(server.url, "elbv2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    subnets = sorted(
        ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"],
        key=lambda s: s["AvailabilityZone"],
    )[:2]
    instance = ec2.run_instances(
        ImageId=image["Images"][0]["ImageId"], MinCount=1, MaxCount=1, UserData=WEB_APP, SubnetId=subnets[0]["SubnetId"]
    )["Instances"][0]
    tg = elb.create_target_group(
        Name="durable", Protocol="HTTP", Port=PORT, VpcId=subnets[0]["VpcId"], HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, HealthCheckPath="/health",
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance["InstanceId"]}])
    lb = elb.create_load_balancer(Name="durable", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    listener = elb.create_listener(
        LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}]
    )["Listeners"][0]
    elb.create_rule(
        ListenerArn=listener["ListenerArn"], Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/fixed"]}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "kept"}}],
    )
    address = listener_address(server.url, arn, 80)
    assert serving(instance["PrivateIpAddress"])
    assert fetch(f"http://{address}/")[2].startswith(instance["InstanceId"])

    server.process.kill()
    server.process.wait()
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    elb = client_for(server.url, "elbv2")
    assert elb.describe_load_balancers(Names=["durable"])["LoadBalancers"][0]["DNSName"] == lb["DNSName"]
    assert wait_until(lambda: listener_address(server.url, arn, 80) == address, 5), "same address again"
    assert wait_until(lambda: fetch(f"http://{address}/fixed")[2] == "kept", 10)
    assert fetch(f"http://{address}/")[2].startswith(instance["InstanceId"])
    assert wait_until(lambda: health_of(elb, tg)[instance["InstanceId"]]["State"] == "healthy", 15)
    client_for(server.url, "ec2").terminate_instances(InstanceIds=[instance["InstanceId"]])


def test_a_reset_stops_what_the_old_state_ran(launch_nimbus):
    import socket
    import urllib.request

    from elbv2_support import listing

    server = launch_nimbus()
    ec2, elb = client_for(server.url, "ec2"), client_for(server.url, "elbv2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    arn = elb.create_load_balancer(Name="reset", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    elb.create_listener(
        LoadBalancerArn=arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "up"}}],
    )
    address = listener_address(server.url, arn, 80)
    assert fetch(f"http://{address}/")[2] == "up"
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/_nimbus/reset", method="POST"), timeout=5)
    assert wait_until(lambda: listing(server.url) == [], 5)

    def refused():
        host, port = address.split(":")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return True
        return False

    assert wait_until(refused, 5), "the old listener stopped"
