"""Elastic Load Balancing v2 from the outside tools: a round trip through
the AWS CLI (target group, load balancer, listener, a registered instance's
health, deletes, pagination by the CLI's own paginator), and a Terraform
round trip (hashicorp/aws from the machine's mirror) of an ALB in two
default subnets with a health-checked target group, a forwarding listener,
a path rule and an instance attached: applied, checked through boto3,
planned with nothing to change, destroyed and checked gone."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from elbv2_support import cleanup, default_subnets, ec2, elb, image  # noqa: F401  (fixtures)
from terraform_support import Terraform, needs_terraform, provider


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ok(result) -> dict:
    assert result.returncode == 0, result.stderr
    return result.json() if result.stdout.strip() else {}


def wait_running(ec2, instance_id: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
        if state == "running" or time.monotonic() > deadline:
            assert state == "running"
            return
        time.sleep(0.1)


def test_the_cli_creates_a_load_balancer_with_a_listener_and_reports_target_health(aws, ec2, image, default_subnets, cleanup):
    subnets = default_subnets[:2]
    vpc = subnets[0]["VpcId"]
    name = unique("cli")

    group = ok(aws("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80",
                   "--vpc-id", vpc, "--health-check-path", "/health"))["TargetGroups"][0]
    cleanup["tgs"].append(group["TargetGroupArn"])
    assert (group["TargetGroupName"], group["Protocol"], group["Port"], group["VpcId"]) == (name, "HTTP", 80, vpc)
    assert (group["HealthCheckPath"], group["Matcher"], group["TargetType"]) == ("/health", {"HttpCode": "200"}, "instance")

    lb = ok(aws("elbv2", "create-load-balancer", "--name", name, "--subnets", *[s["SubnetId"] for s in subnets],
                "--tags", "Key=app,Value=cli"))["LoadBalancers"][0]
    cleanup["lbs"].append(lb["LoadBalancerArn"])
    assert (lb["LoadBalancerName"], lb["Type"], lb["Scheme"]) == (name, "application", "internet-facing")
    assert lb["DNSName"].startswith(f"{name}-") and lb["DNSName"].endswith(".us-east-1.elb.amazonaws.com")

    listener = ok(aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
                      "--port", "80", "--default-actions",
                      f"Type=forward,TargetGroupArn={group['TargetGroupArn']}"))["Listeners"][0]
    assert (listener["Port"], listener["Protocol"], listener["LoadBalancerArn"]) == (80, "HTTP", lb["LoadBalancerArn"])
    assert listener["DefaultActions"][0]["TargetGroupArn"] == group["TargetGroupArn"]

    instance = ok(aws("ec2", "run-instances", "--image-id", image, "--count", "1",
                      "--subnet-id", subnets[0]["SubnetId"]))["Instances"][0]["InstanceId"]
    cleanup["instances"].append(instance)
    wait_running(ec2, instance)
    assert ok(aws("elbv2", "register-targets", "--target-group-arn", group["TargetGroupArn"],
                  "--targets", f"Id={instance}")) == {}
    health = ok(aws("elbv2", "describe-target-health", "--target-group-arn", group["TargetGroupArn"]))
    described = health["TargetHealthDescriptions"]
    assert [(d["Target"]["Id"], d["Target"]["Port"]) for d in described] == [(instance, 80)]
    assert described[0]["HealthCheckPort"] == "80"
    # Checked every 30 seconds by default: the first check is still to come.
    assert described[0]["TargetHealth"]["State"] == "initial"
    assert described[0]["TargetHealth"]["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")

    # The CLI's paginator follows NextMarker through one-item pages.
    everything = ok(aws("elbv2", "describe-load-balancers", "--page-size", "1"))["LoadBalancers"]
    assert lb["LoadBalancerArn"] in [x["LoadBalancerArn"] for x in everything]
    tags = ok(aws("elbv2", "describe-tags", "--resource-arns", lb["LoadBalancerArn"]))["TagDescriptions"]
    assert tags == [{"ResourceArn": lb["LoadBalancerArn"], "Tags": [{"Key": "app", "Value": "cli"}]}]

    assert ok(aws("elbv2", "deregister-targets", "--target-group-arn", group["TargetGroupArn"],
                  "--targets", f"Id={instance}")) == {}
    assert ok(aws("elbv2", "delete-listener", "--listener-arn", listener["ListenerArn"])) == {}
    assert ok(aws("elbv2", "delete-load-balancer", "--load-balancer-arn", lb["LoadBalancerArn"])) == {}
    assert ok(aws("elbv2", "delete-target-group", "--target-group-arn", group["TargetGroupArn"])) == {}
    gone = aws("elbv2", "describe-target-groups", "--names", name)
    assert gone.returncode == 255, gone.stderr  # the AWS CLI (v1) on a service error
    assert ("An error occurred (TargetGroupNotFound) when calling the DescribeTargetGroups operation: "
            "One or more target groups not found") in gone.stderr
    gone = aws("elbv2", "describe-load-balancers", "--names", name)
    assert gone.returncode == 255, gone.stderr  # the AWS CLI (v1) on a service error
    assert f"(LoadBalancerNotFound) when calling the DescribeLoadBalancers operation: Load balancers '[{name}]' not found" in gone.stderr


STACK = """
data "aws_vpc" "default" {
  default = true
}
data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}
data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}
locals {
  subnets = slice(sort(data.aws_subnets.default.ids), 0, 2)
}
resource "aws_instance" "web" {
  ami           = data.aws_ami.al2023.id
  instance_type = "t3.micro"
  subnet_id     = local.subnets[0]
  tags          = { Name = var.name }
}
resource "aws_lb" "web" {
  name               = var.name
  internal           = false
  load_balancer_type = "application"
  subnets            = local.subnets
  idle_timeout       = 120
  tags               = { App = var.name }
}
resource "aws_lb_target_group" "web" {
  name     = var.name
  port     = 80
  protocol = "HTTP"
  vpc_id   = data.aws_vpc.default.id
  deregistration_delay = 30
  health_check {
    enabled             = true
    path                = "/health"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
    matcher             = "200-299"
  }
  tags = { App = var.name }
}
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}
resource "aws_lb_listener_rule" "api" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
  condition {
    path_pattern {
      values = ["/api/*"]
    }
  }
}
resource "aws_lb_target_group_attachment" "web" {
  target_group_arn = aws_lb_target_group.web.arn
  target_id        = aws_instance.web.id
  port             = 80
}
output "lb" { value = aws_lb.web.arn }
output "dns" { value = aws_lb.web.dns_name }
output "group" { value = aws_lb_target_group.web.arn }
output "listener" { value = aws_lb_listener.http.arn }
output "rule" { value = aws_lb_listener_rule.api.arn }
output "instance" { value = aws_instance.web.id }
"""


def remove_leftovers(aws_client, name: str) -> None:
    """What a failed apply or destroy left behind, found by name, removed."""
    elb, ec2 = aws_client("elbv2"), aws_client("ec2")
    try:
        for lb in elb.describe_load_balancers(Names=[name])["LoadBalancers"]:
            elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    except ClientError:
        pass
    try:
        for group in elb.describe_target_groups(Names=[name])["TargetGroups"]:
            elb.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    except ClientError:
        pass
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [name]}])["Reservations"]
    ids = [i["InstanceId"] for r in found for i in r["Instances"] if i["State"]["Name"] != "terminated"]
    if ids:
        ec2.terminate_instances(InstanceIds=ids)


@needs_terraform
def test_terraform_builds_an_alb_with_a_rule_and_an_attached_instance(endpoint, aws_client, tmp_path):
    (tmp_path / "main.tf").write_text(provider("ec2", "elbv2", "sts") + STACK)
    name = unique("tf")
    terraform = Terraform(tmp_path, endpoint, name)
    terraform.init()
    elb = aws_client("elbv2")
    try:
        terraform.apply()
        lb, group, listener, rule, instance = (
            terraform.output(n) for n in ("lb", "group", "listener", "rule", "instance"))

        found = elb.describe_load_balancers(LoadBalancerArns=[lb])["LoadBalancers"][0]
        assert (found["LoadBalancerName"], found["Type"], found["Scheme"]) == (name, "application", "internet-facing")
        assert found["DNSName"] == terraform.output("dns") and len(found["AvailabilityZones"]) == 2
        attributes = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb)["Attributes"]}
        assert attributes["idle_timeout.timeout_seconds"] == "120"
        assert elb.describe_tags(ResourceArns=[lb])["TagDescriptions"][0]["Tags"] == [{"Key": "App", "Value": name}]

        tg = elb.describe_target_groups(TargetGroupArns=[group])["TargetGroups"][0]
        assert (tg["TargetGroupName"], tg["Protocol"], tg["Port"]) == (name, "HTTP", 80)
        assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"],
                tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"], tg["Matcher"]) == (
            "/health", 10, 5, 2, 3, {"HttpCode": "200-299"})
        assert tg["LoadBalancerArns"] == [lb]
        # The provider sends `ProtocolVersion=` (empty) for an HTTP group: ELB's default applies.
        assert tg["ProtocolVersion"] == "HTTP1"
        tg_attributes = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=group)["Attributes"]}
        assert tg_attributes["deregistration_delay.timeout_seconds"] == "30"

        listeners = elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]
        assert [(l["ListenerArn"], l["Port"], l["Protocol"]) for l in listeners] == [(listener, 80, "HTTP")]
        rules = elb.describe_rules(ListenerArn=listener)["Rules"]
        assert [(r["RuleArn"], r["Priority"]) for r in rules[:1]] == [(rule, "10")]
        assert rules[0]["Conditions"][0]["PathPatternConfig"]["Values"] == ["/api/*"]
        assert [r["Priority"] for r in rules] == ["10", "default"]
        health = elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        assert [(d["Target"]["Id"], d["Target"]["Port"]) for d in health] == [(instance, 80)]

        terraform.plan_is_empty()
    except BaseException:
        # Best effort, without reading first (a read may be what failed); the
        # first failure is the one to see.
        terraform.run("destroy", "-auto-approve", "-refresh=false")
        remove_leftovers(aws_client, name)
        raise
    terraform.destroy()

    for call, kwargs in (
        (elb.describe_load_balancers, {"LoadBalancerArns": [lb]}),
        (elb.describe_target_groups, {"TargetGroupArns": [group]}),
        (elb.describe_listeners, {"ListenerArns": [listener]}),
        (elb.describe_rules, {"RuleArns": [rule]}),
    ):
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] in (
            "LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound", "RuleNotFound")
    state = aws_client("ec2").describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] in ("shutting-down", "terminated")
