"""Elastic Load Balancing v2's API through boto3, against what AWS answers:
load balancers (ALB in several zones, NLB, internal; DNS names, hosted
zones, idempotent creation, deletion protection, paging, name rules,
attributes), target groups (defaults of each kind, refusals, in-use
deletion, attributes), targets and their health, listeners, rules, tags,
account limits and SSL policies. Every refusal is checked for its code,
its HTTP status and its message, as AWS words it."""

from __future__ import annotations

import re
import time
import urllib.error
import uuid

import pytest
from botocore.exceptions import ClientError

from elbv2_support import (  # noqa: F401  (fixtures)
    cleanup,
    default_subnets,
    ec2,
    elb,
    fetch,
    image,
    listener_address,
    listing,
    wait_until,
)

REGION = "us-east-1"


def unique(prefix: str) -> str:
    """A name no other test uses (the server is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def refused(call, **kwargs) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def subnet_ids(subnets) -> list[str]:
    return [s["SubnetId"] for s in subnets]


def new_alb(elb, cleanup, subnets, name: str | None = None, **extra) -> dict:
    lb = elb.create_load_balancer(Name=name or unique("alb"), Subnets=subnet_ids(subnets), **extra)["LoadBalancers"][0]
    cleanup["lbs"].append(lb["LoadBalancerArn"])
    return lb


def new_group(elb, cleanup, vpc: str, name: str | None = None, **extra) -> dict:
    extra.setdefault("Protocol", "HTTP")
    extra.setdefault("Port", 80)
    group = elb.create_target_group(Name=name or unique("tg"), VpcId=vpc, **extra)["TargetGroups"][0]
    cleanup["tgs"].append(group["TargetGroupArn"])
    return group


def forward(tg_arn: str) -> list[dict]:
    return [{"Type": "forward", "TargetGroupArn": tg_arn}]


def fixed(body: str) -> list[dict]:
    return [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "200", "ContentType": "text/plain", "MessageBody": body}}]


def path(*values: str) -> list[dict]:
    return [{"Field": "path-pattern", "PathPatternConfig": {"Values": list(values)}}]


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def as_dict(pairs) -> dict[str, str]:
    return {p["Key"]: p["Value"] for p in pairs}


def wait_for_instance(ec2, instance_id: str, state: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        if found["State"]["Name"] == state or time.monotonic() > deadline:
            assert found["State"]["Name"] == state, found["State"]
            return found
        time.sleep(0.1)


# ---------------------------------------------------------------- load balancers


def test_an_alb_in_two_zones_is_described_by_arn_by_name_and_in_the_list_then_deleted(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    name = unique("alb")
    lb = new_alb(elb, cleanup, subnets, name)
    arn = lb["LoadBalancerArn"]
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:{REGION}:\d{{12}}:loadbalancer/app/{name}/[0-9a-f]{{16}}", arn)
    assert re.fullmatch(rf"{name}-\d{{1,10}}\.{REGION}\.elb\.amazonaws\.com", lb["DNSName"]), lb["DNSName"]
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert (lb["LoadBalancerName"], lb["Type"], lb["Scheme"], lb["IpAddressType"]) == (
        name, "application", "internet-facing", "ipv4")
    assert lb["VpcId"] == subnets[0]["VpcId"]
    assert {(z["ZoneName"], z["SubnetId"]) for z in lb["AvailabilityZones"]} == {
        (s["AvailabilityZone"], s["SubnetId"]) for s in subnets}
    assert len(lb["SecurityGroups"]) == 1, "an ALB given no group gets the VPC's default group"
    assert "CreatedTime" in lb

    by_arn = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert [x["LoadBalancerArn"] for x in by_arn] == [arn]
    assert by_arn[0]["DNSName"] == lb["DNSName"]
    by_name = elb.describe_load_balancers(Names=[name])["LoadBalancers"]
    assert [x["LoadBalancerArn"] for x in by_name] == [arn]
    everything = elb.describe_load_balancers()["LoadBalancers"]
    assert arn in {x["LoadBalancerArn"] for x in everything}

    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert refused(elb.describe_load_balancers, LoadBalancerArns=[arn]) == (
        "LoadBalancerNotFound", 400, "One or more load balancers not found")
    assert refused(elb.describe_load_balancers, Names=[name]) == (
        "LoadBalancerNotFound", 400, f"Load balancers '[{name}]' not found")
    assert arn not in {x["LoadBalancerArn"] for x in elb.describe_load_balancers()["LoadBalancers"]}


def test_a_new_load_balancer_is_provisioning_then_becomes_active(elb, default_subnets, cleanup):
    lb = new_alb(elb, cleanup, default_subnets[:2])
    # CreateLoadBalancer answers State.Code=provisioning; the
    # LoadBalancerAvailable waiter then sees it active.
    assert lb["State"] == {"Code": "provisioning"}
    elb.get_waiter("load_balancer_available").wait(
        LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    described = elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]
    assert described["State"] == {"Code": "active"}


def test_internal_albs_and_nlbs_take_their_own_dns_shapes(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    name = unique("int")
    internal = new_alb(elb, cleanup, subnets, name, Scheme="internal")
    assert internal["Scheme"] == "internal"
    assert re.fullmatch(rf"internal-{name}-\d{{1,10}}\.{REGION}\.elb\.amazonaws\.com", internal["DNSName"])

    nlb_name = unique("nlb")
    nlb = elb.create_load_balancer(
        Name=nlb_name, Type="network", Scheme="internal", Subnets=subnet_ids(subnets)
    )["LoadBalancers"][0]
    cleanup["lbs"].append(nlb["LoadBalancerArn"])
    assert re.fullmatch(
        rf"arn:aws:elasticloadbalancing:{REGION}:\d{{12}}:loadbalancer/net/{nlb_name}/[0-9a-f]{{16}}",
        nlb["LoadBalancerArn"])
    lb_id = nlb["LoadBalancerArn"].rsplit("/", 1)[1]
    # An NLB's DNS name carries its ARN's id, and no `internal-`.
    assert nlb["DNSName"] == f"{nlb_name}-{lb_id}.elb.{REGION}.amazonaws.com"
    assert nlb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI"
    assert (nlb["Type"], nlb["Scheme"]) == ("network", "internal")
    assert "SecurityGroups" not in nlb, "an NLB given no group has none"
    assert {z["SubnetId"] for z in nlb["AvailabilityZones"]} == set(subnet_ids(subnets))


def test_describe_load_balancers_pages_with_page_size_and_marker(elb, default_subnets, cleanup):
    names = [unique("page") for _ in range(3)]
    arns = [new_alb(elb, cleanup, default_subnets[:2], name)["LoadBalancerArn"] for name in names]

    first = elb.describe_load_balancers(Names=names, PageSize=2)
    assert len(first["LoadBalancers"]) == 2 and first["NextMarker"]
    second = elb.describe_load_balancers(Names=names, PageSize=2, Marker=first["NextMarker"])
    assert len(second["LoadBalancers"]) == 1 and "NextMarker" not in second
    assert sorted(x["LoadBalancerName"] for x in first["LoadBalancers"] + second["LoadBalancers"]) == sorted(names)

    # Every load balancer, one per page: each of ours exactly once.
    seen, marker, pages = [], None, 0
    while True:
        page = elb.describe_load_balancers(PageSize=1, **({"Marker": marker} if marker else {}))
        assert len(page["LoadBalancers"]) <= 1
        seen += [x["LoadBalancerArn"] for x in page["LoadBalancers"]]
        pages += 1
        marker = page.get("NextMarker")
        if not marker:
            break
        assert pages < 500
    assert all(seen.count(arn) == 1 for arn in arns), seen


def test_a_page_size_over_400_is_refused(elb):
    assert refused(elb.describe_load_balancers, PageSize=401) == (
        "ValidationError", 400,
        "1 validation error detected: Value '401' at 'pageSize' failed to satisfy constraint: "
        "Member must have value less than or equal to 400")


def test_the_same_load_balancer_again_is_the_same_one_and_other_settings_are_refused(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    name = unique("same")
    lb = new_alb(elb, cleanup, subnets, name)
    again = elb.create_load_balancer(Name=name, Subnets=subnet_ids(subnets))["LoadBalancers"][0]
    assert again["LoadBalancerArn"] == lb["LoadBalancerArn"]
    assert again["DNSName"] == lb["DNSName"]
    assert len(elb.describe_load_balancers(Names=[name])["LoadBalancers"]) == 1

    message = f"A load balancer with the same name '{name}' exists, but with different settings"
    assert refused(elb.create_load_balancer, Name=name, Subnets=subnet_ids(subnets), Scheme="internal") == (
        "DuplicateLoadBalancerName", 400, message)
    assert refused(elb.create_load_balancer, Name=name, Subnets=subnet_ids(default_subnets[1:3])) == (
        "DuplicateLoadBalancerName", 400, message)


def test_deletion_protection_refuses_delete_and_an_unknown_arn_deletes_fine(elb, default_subnets, cleanup):
    lb = new_alb(elb, cleanup, default_subnets[:2])
    arn = lb["LoadBalancerArn"]
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
    try:
        assert refused(elb.delete_load_balancer, LoadBalancerArn=arn) == (
            "OperationNotPermitted", 400,
            f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")
        assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    finally:
        elb.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert refused(elb.describe_load_balancers, LoadBalancerArns=[arn])[0] == "LoadBalancerNotFound"
    # Deleting what is not there (any more) succeeds.
    elb.delete_load_balancer(LoadBalancerArn=arn)
    unknown = f"arn:aws:elasticloadbalancing:{REGION}:{account_of(arn)}:loadbalancer/app/{unique('gone')}/0123456789abcdef"
    assert elb.delete_load_balancer(LoadBalancerArn=unknown)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(
    "name, message",
    [
        ("a" * 33, "The load balancer name '{name}' cannot be longer than '32' characters"),
        ("bad_name", "The load balancer name '{name}' can only contain characters that are alphanumeric characters and hyphens(-)"),
        ("bad.name", "The load balancer name '{name}' can only contain characters that are alphanumeric characters and hyphens(-)"),
        ("-web", "The load balancer name '{name}' cannot begin with a hyphen(-)"),
        ("web-", "The load balancer name '{name}' cannot end with a hyphen(-)"),
        ("internal-web", "The load balancer name '{name}' cannot begin with 'internal-'"),
    ],
)
def test_load_balancer_names_are_validated(elb, default_subnets, name, message):
    assert refused(elb.create_load_balancer, Name=name, Subnets=subnet_ids(default_subnets[:2])) == (
        "ValidationError", 400, message.format(name=name))


def test_an_alb_needs_subnets_in_two_zones(elb, default_subnets):
    assert refused(elb.create_load_balancer, Name=unique("one"), Subnets=subnet_ids(default_subnets[:1])) == (
        "ValidationError", 400, "At least two subnets in two different Availability Zones must be specified")


ALB_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}

NLB_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "load_balancing.cross_zone.enabled": "false",
    "dns_record.client_routing_policy": "any_availability_zone",
    "zonal_shift.config.enabled": "false",
}


def test_alb_attributes_have_defaults_change_and_refuse_unknown_keys(elb, default_subnets, cleanup):
    arn = new_alb(elb, cleanup, default_subnets[:2])["LoadBalancerArn"]
    described = as_dict(elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
    assert {k: described.get(k) for k in ALB_DEFAULTS} == ALB_DEFAULTS

    changed = elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
        {"Key": "routing.http2.enabled", "Value": "false"},
    ])["Attributes"]
    assert as_dict(changed)["idle_timeout.timeout_seconds"] == "120"
    assert as_dict(changed)["routing.http2.enabled"] == "false"
    described = as_dict(elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
    assert (described["idle_timeout.timeout_seconds"], described["routing.http2.enabled"]) == ("120", "false")
    assert described["deletion_protection.enabled"] == "false", "the others stay"

    assert refused(elb.modify_load_balancer_attributes, LoadBalancerArn=arn,
                   Attributes=[{"Key": "nope.enabled", "Value": "true"}]) == (
        "ValidationError", 400, "Load balancer attribute key 'nope.enabled' is not recognized")
    # A refused change changes nothing.
    assert refused(elb.modify_load_balancer_attributes, LoadBalancerArn=arn, Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "30"}, {"Key": "nope.enabled", "Value": "true"},
    ])[0] == "ValidationError"
    described = as_dict(elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
    assert described["idle_timeout.timeout_seconds"] == "120"

    gone = f"arn:aws:elasticloadbalancing:{REGION}:{account_of(arn)}:loadbalancer/app/{unique('gone')}/0123456789abcdef"
    assert refused(elb.describe_load_balancer_attributes, LoadBalancerArn=gone) == (
        "LoadBalancerNotFound", 400, "One or more load balancers not found")


def test_nlb_attributes_have_their_defaults_and_refuse_alb_keys(elb, default_subnets, cleanup):
    nlb = elb.create_load_balancer(
        Name=unique("nlba"), Type="network", Subnets=subnet_ids(default_subnets[:2])
    )["LoadBalancers"][0]
    arn = nlb["LoadBalancerArn"]
    cleanup["lbs"].append(arn)
    described = as_dict(elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
    assert {k: described.get(k) for k in NLB_DEFAULTS} == NLB_DEFAULTS
    assert "idle_timeout.timeout_seconds" not in described
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "load_balancing.cross_zone.enabled", "Value": "true"}])
    described = as_dict(elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
    assert described["load_balancing.cross_zone.enabled"] == "true"
    # A key ALBs have, on an NLB (aws-cli answer quoted in terraform-provider-aws#3611).
    assert refused(elb.modify_load_balancer_attributes, LoadBalancerArn=arn,
                   Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}]) == (
        "InvalidConfigurationRequest", 400,
        "Load balancer attribute key 'idle_timeout.timeout_seconds' is not supported on load balancers with type 'network'")


# ---------------------------------------------------------------- target groups

HTTP_GROUP_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}

TCP_GROUP_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "deregistration_delay.connection_termination.enabled": "false",
    "preserve_client_ip.enabled": "true",
    "proxy_protocol_v2.enabled": "false",
    "stickiness.enabled": "false",
    "stickiness.type": "source_ip",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
    "target_health_state.unhealthy.connection_termination.enabled": "true",
    "target_health_state.unhealthy.draining_interval_seconds": "0",
}


def test_an_http_target_group_has_elb_defaults(elb, default_subnets, cleanup):
    vpc = default_subnets[0]["VpcId"]
    name = unique("http")
    group = new_group(elb, cleanup, vpc, name)
    assert re.fullmatch(
        rf"arn:aws:elasticloadbalancing:{REGION}:\d{{12}}:targetgroup/{name}/[0-9a-f]{{16}}", group["TargetGroupArn"])
    expected = {
        "TargetGroupName": name, "Protocol": "HTTP", "Port": 80, "VpcId": vpc,
        "HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2, "HealthCheckPath": "/",
        "Matcher": {"HttpCode": "200"}, "TargetType": "instance", "ProtocolVersion": "HTTP1",
        "IpAddressType": "ipv4", "LoadBalancerArns": [],
    }
    assert {k: group.get(k) for k in expected} == expected
    described = elb.describe_target_groups(TargetGroupArns=[group["TargetGroupArn"]])["TargetGroups"]
    assert described == [group]
    assert elb.describe_target_groups(Names=[name])["TargetGroups"] == [group]
    attributes = as_dict(elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"])
    assert attributes == HTTP_GROUP_ATTRIBUTES


def test_an_empty_protocol_version_is_the_default_http1(elb, default_subnets, cleanup):
    # What the Terraform provider sends for an HTTP group without protocol_version.
    group = new_group(elb, cleanup, default_subnets[0]["VpcId"], ProtocolVersion="")
    assert group["ProtocolVersion"] == "HTTP1"
    described = elb.describe_target_groups(TargetGroupArns=[group["TargetGroupArn"]])["TargetGroups"][0]
    assert described["ProtocolVersion"] == "HTTP1"


def test_a_tcp_target_group_has_nlb_defaults(elb, default_subnets, cleanup):
    vpc = default_subnets[0]["VpcId"]
    group = new_group(elb, cleanup, vpc, Protocol="TCP", Port=2222)
    expected = {
        "Protocol": "TCP", "Port": 2222, "HealthCheckProtocol": "TCP", "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True, "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 10,
        "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2, "TargetType": "instance",
    }
    assert {k: group.get(k) for k in expected} == expected
    assert "HealthCheckPath" not in group and "Matcher" not in group and "ProtocolVersion" not in group
    attributes = as_dict(elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"])
    assert {k: attributes.get(k) for k in TCP_GROUP_ATTRIBUTES} == TCP_GROUP_ATTRIBUTES

    # An HTTP health check on a TCP group: timeout 6, path /, codes 200-399.
    checked = new_group(elb, cleanup, vpc, Protocol="TCP", Port=2222, HealthCheckProtocol="HTTP")
    assert (checked["HealthCheckProtocol"], checked["HealthCheckTimeoutSeconds"], checked["HealthCheckPath"],
            checked["Matcher"]) == ("HTTP", 6, "/", {"HttpCode": "200-399"})


def test_a_lambda_target_group_has_no_port_and_its_checks_are_off(elb, default_subnets, cleanup):
    name = unique("fn")
    group = elb.create_target_group(Name=name, TargetType="lambda")["TargetGroups"][0]
    cleanup["tgs"].append(group["TargetGroupArn"])
    assert group["TargetType"] == "lambda" and group["HealthCheckEnabled"] is False
    assert "Port" not in group and "Protocol" not in group and "VpcId" not in group
    attributes = as_dict(elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"])
    assert attributes["lambda.multi_value_headers.enabled"] == "false"

    assert refused(elb.create_target_group, Name=unique("fn"), TargetType="lambda", Port=80) == (
        "ValidationError", 400, "Port cannot be specified for target groups with target type 'lambda'")


def test_an_instance_target_group_needs_a_port_and_a_vpc(elb, default_subnets):
    vpc = default_subnets[0]["VpcId"]
    assert refused(elb.create_target_group, Name=unique("tg"), Protocol="HTTP", VpcId=vpc) == (
        "ValidationError", 400, "A port must be specified")
    assert refused(elb.create_target_group, Name=unique("tg"), Protocol="HTTP", Port=80) == (
        "ValidationError", 400, "A VPC ID must be specified")


def test_target_group_names_are_validated(elb, default_subnets):
    vpc = default_subnets[0]["VpcId"]
    long = "t" * 33
    assert refused(elb.create_target_group, Name=long, Protocol="HTTP", Port=80, VpcId=vpc) == (
        "ValidationError", 400, f"Target group name '{long}' cannot be longer than '32' characters")


def test_the_same_target_group_again_is_the_same_one_and_other_settings_are_refused(elb, default_subnets, cleanup):
    vpc = default_subnets[0]["VpcId"]
    name = unique("dup")
    group = new_group(elb, cleanup, vpc, name)
    again = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    assert again["TargetGroupArn"] == group["TargetGroupArn"]
    assert refused(elb.create_target_group, Name=name, Protocol="HTTP", Port=8080, VpcId=vpc) == (
        "DuplicateTargetGroupName", 400,
        f"A target group with the same name '{name}' exists, but with different settings")


def test_groups_by_load_balancer_and_a_group_in_use_cannot_be_deleted(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    used = new_group(elb, cleanup, subnets[0]["VpcId"])
    unused = new_group(elb, cleanup, subnets[0]["VpcId"])
    lb = new_alb(elb, cleanup, subnets)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=forward(used["TargetGroupArn"]))

    by_lb = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    assert [g["TargetGroupArn"] for g in by_lb] == [used["TargetGroupArn"]]
    assert by_lb[0]["LoadBalancerArns"] == [lb["LoadBalancerArn"]]
    both = elb.describe_target_groups(TargetGroupArns=[used["TargetGroupArn"], unused["TargetGroupArn"]])["TargetGroups"]
    assert {g["TargetGroupArn"]: g["LoadBalancerArns"] for g in both} == {
        used["TargetGroupArn"]: [lb["LoadBalancerArn"]], unused["TargetGroupArn"]: []}

    arn = used["TargetGroupArn"]
    assert refused(elb.delete_target_group, TargetGroupArn=arn) == (
        "ResourceInUse", 400, f"Target group '{arn}' is currently in use by a listener or a rule")
    elb.delete_target_group(TargetGroupArn=unused["TargetGroupArn"])
    assert refused(elb.describe_target_groups, TargetGroupArns=[unused["TargetGroupArn"]]) == (
        "TargetGroupNotFound", 400, "One or more target groups not found")
    # Once its load balancer is gone, the group can go.
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.delete_target_group(TargetGroupArn=arn)
    assert refused(elb.describe_target_groups, TargetGroupArns=[arn])[0] == "TargetGroupNotFound"


def test_modify_target_group_changes_its_health_check(elb, default_subnets, cleanup):
    group = new_group(elb, cleanup, default_subnets[0]["VpcId"])
    changed = elb.modify_target_group(
        TargetGroupArn=group["TargetGroupArn"], HealthCheckPath="/health", HealthCheckIntervalSeconds=10,
        HealthCheckTimeoutSeconds=3, HealthyThresholdCount=3, UnhealthyThresholdCount=4,
        HealthCheckPort="8080", Matcher={"HttpCode": "200-299"},
    )["TargetGroups"][0]
    expected = {
        "HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 3,
        "HealthyThresholdCount": 3, "UnhealthyThresholdCount": 4, "HealthCheckPort": "8080",
        "Matcher": {"HttpCode": "200-299"}, "Port": 80, "Protocol": "HTTP",
    }
    assert {k: changed.get(k) for k in expected} == expected
    described = elb.describe_target_groups(TargetGroupArns=[group["TargetGroupArn"]])["TargetGroups"][0]
    assert {k: described.get(k) for k in expected} == expected


def test_target_group_attributes_change_and_refuse_unknown_keys(elb, default_subnets, cleanup):
    arn = new_group(elb, cleanup, default_subnets[0]["VpcId"])["TargetGroupArn"]
    changed = elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
        {"Key": "stickiness.enabled", "Value": "true"},
    ])["Attributes"]
    assert as_dict(changed)["deregistration_delay.timeout_seconds"] == "30"
    described = as_dict(elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"])
    assert (described["deregistration_delay.timeout_seconds"], described["stickiness.enabled"]) == ("30", "true")
    assert refused(elb.modify_target_group_attributes, TargetGroupArn=arn,
                   Attributes=[{"Key": "tcp_keepalive.enabled", "Value": "true"}]) == (
        "ValidationError", 400, "Target group attribute key 'tcp_keepalive.enabled' is not recognized")


def test_unknown_target_groups_are_not_found(elb, default_subnets, cleanup):
    # An account's real id comes from a group of its own.
    known = new_group(elb, cleanup, default_subnets[0]["VpcId"])["TargetGroupArn"]
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{account_of(known)}:targetgroup/{unique('nope')}/0123456789abcdef"
    assert refused(elb.describe_target_groups, TargetGroupArns=[arn]) == (
        "TargetGroupNotFound", 400, "One or more target groups not found")
    assert refused(elb.describe_target_groups, Names=[unique("nope")]) == (
        "TargetGroupNotFound", 400, "One or more target groups not found")
    named = ("TargetGroupNotFound", 400, f"Target groups '{arn}' not found")
    assert refused(elb.register_targets, TargetGroupArn=arn, Targets=[{"Id": "i-0123456789abcdef0"}]) == named
    assert refused(elb.modify_target_group_attributes, TargetGroupArn=arn,
                   Attributes=[{"Key": "stickiness.enabled", "Value": "true"}]) == named


# ---------------------------------------------------------------- targets


def test_registering_an_instance_that_does_not_exist_is_refused(elb, default_subnets, cleanup):
    arn = new_group(elb, cleanup, default_subnets[0]["VpcId"])["TargetGroupArn"]
    ghost = "i-0123456789abcdef0"
    assert refused(elb.register_targets, TargetGroupArn=arn, Targets=[{"Id": ghost}]) == (
        "InvalidTarget", 400, f"The following instances do not exist: '{ghost}'")


def test_target_health_of_unregistered_unused_and_stopped_instances(elb, ec2, image, default_subnets, cleanup):
    subnet = default_subnets[0]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet["SubnetId"])["Instances"][0]
    instance_id = instance["InstanceId"]
    cleanup["instances"].append(instance_id)
    wait_for_instance(ec2, instance_id, "running")
    group = new_group(elb, cleanup, subnet["VpcId"])
    arn = group["TargetGroupArn"]

    assert elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] == []
    # A valid target that is not registered: no error, "unused".
    described = elb.describe_target_health(TargetGroupArn=arn, Targets=[{"Id": instance_id}])["TargetHealthDescriptions"]
    assert len(described) == 1
    assert described[0]["Target"]["Id"] == instance_id and described[0]["Target"]["Port"] == 80
    assert described[0]["TargetHealth"] == {
        "State": "unused", "Reason": "Target.NotRegistered",
        "Description": "Target is not registered to the target group"}

    # Registered in a group no load balancer uses.
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": instance_id}])
    described = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    assert [(d["Target"]["Id"], d["Target"]["Port"]) for d in described] == [(instance_id, 80)]
    assert described[0]["HealthCheckPort"] == "80"
    assert described[0]["TargetHealth"] == {
        "State": "unused", "Reason": "Target.NotInUse",
        "Description": "Target group is not configured to receive traffic from the load balancer"}
    elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": instance_id}])

    # A stopped instance cannot be registered.
    ec2.stop_instances(InstanceIds=[instance_id])
    wait_for_instance(ec2, instance_id, "stopped")
    other = new_group(elb, cleanup, subnet["VpcId"])["TargetGroupArn"]
    assert refused(elb.register_targets, TargetGroupArn=other, Targets=[{"Id": instance_id}]) == (
        "InvalidTarget", 400,
        f"The following targets are not in a running state and cannot be registered: '{instance_id}'")


# ---------------------------------------------------------------- listeners


def test_listener_refusals(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    vpc = subnets[0]["VpcId"]
    http = new_group(elb, cleanup, vpc)["TargetGroupArn"]
    tcp = new_group(elb, cleanup, vpc, Protocol="TCP", Port=2222)["TargetGroupArn"]
    alb = new_alb(elb, cleanup, subnets)["LoadBalancerArn"]
    nlb = elb.create_load_balancer(Name=unique("nlbl"), Type="network", Subnets=subnet_ids(subnets))["LoadBalancers"][0]
    nlb = nlb["LoadBalancerArn"]
    cleanup["lbs"].append(nlb)

    listener = elb.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=forward(http))["Listeners"][0]
    assert re.fullmatch(re.escape(alb.replace(":loadbalancer/", ":listener/")) + r"/[0-9a-f]{16}", listener["ListenerArn"])
    assert (listener["LoadBalancerArn"], listener["Port"], listener["Protocol"]) == (alb, 80, "HTTP")
    assert listener["DefaultActions"][0]["Type"] == "forward"
    assert listener["DefaultActions"][0]["TargetGroupArn"] == http

    assert refused(elb.create_listener, LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=forward(http)) == (
        "DuplicateListener", 400, f"A listener already exists on this port for this load balancer '{alb}'")
    assert refused(elb.create_listener, LoadBalancerArn=alb, Protocol="TCP", Port=81, DefaultActions=forward(http)) == (
        "ValidationError", 400, "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'")
    assert refused(elb.create_listener, LoadBalancerArn=nlb, Protocol="HTTP", Port=81, DefaultActions=forward(tcp)) == (
        "ValidationError", 400, "Listener protocol 'HTTP' must be one of 'TLS, TCP, TCP_UDP, UDP'")
    assert refused(elb.create_listener, LoadBalancerArn=alb, Protocol="HTTPS", Port=443, DefaultActions=forward(http)) == (
        "ValidationError", 400, "A certificate must be specified for HTTPS listeners")
    assert refused(elb.create_listener, LoadBalancerArn=nlb, Protocol="TCP", Port=80, DefaultActions=forward(http)) == (
        "IncompatibleProtocols", 400,
        f"The listener and its associated target group '{http}' have incompatible protocols")
    missing = http.rsplit("/", 2)[0] + f"/{unique('nope')}/0123456789abcdef"
    assert refused(elb.create_listener, LoadBalancerArn=alb, Protocol="HTTP", Port=82, DefaultActions=forward(missing)) == (
        "TargetGroupNotFound", 400, f"Target groups '{missing}' not found")
    gone = f"arn:aws:elasticloadbalancing:{REGION}:{account_of(alb)}:loadbalancer/app/{unique('gone')}/0123456789abcdef"
    assert refused(elb.create_listener, LoadBalancerArn=gone, Protocol="HTTP", Port=80, DefaultActions=forward(http)) == (
        "LoadBalancerNotFound", 400, "One or more load balancers not found")
    # None of the refused listeners was kept.
    assert [l["Port"] for l in elb.describe_listeners(LoadBalancerArn=alb)["Listeners"]] == [80]
    assert elb.describe_listeners(LoadBalancerArn=nlb)["Listeners"] == []


def test_unknown_listeners_are_not_found(elb, default_subnets, cleanup):
    alb = new_alb(elb, cleanup, default_subnets[:2])["LoadBalancerArn"]
    under_lb = alb.replace(":loadbalancer/", ":listener/") + "/0123456789abcdef"
    under_nothing = (f"arn:aws:elasticloadbalancing:{REGION}:{account_of(alb)}:listener/app/"
                     f"{unique('gone')}/0123456789abcdef/0123456789abcdef")
    not_found = ("ListenerNotFound", 400, "One or more listeners not found")
    for arn in (under_lb, under_nothing):
        assert refused(elb.describe_listeners, ListenerArns=[arn]) == not_found
        assert refused(elb.modify_listener, ListenerArn=arn, Port=8080) == not_found
        assert refused(elb.delete_listener, ListenerArn=arn) == not_found


def test_modify_listener_moves_its_port_and_traffic_follows_then_delete_stops_it(endpoint, elb, default_subnets, cleanup):
    lb = new_alb(elb, cleanup, default_subnets[:2])["LoadBalancerArn"]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=8081, DefaultActions=fixed("moved"))
    arn = listener["Listeners"][0]["ListenerArn"]
    old = listener_address(endpoint, lb, 8081)
    assert wait_until(lambda: fetch(f"http://{old}/")[0] == 200, 10)
    assert fetch(f"http://{old}/")[2] == "moved"

    changed = elb.modify_listener(ListenerArn=arn, Port=8082)["Listeners"][0]
    assert (changed["ListenerArn"], changed["Port"], changed["Protocol"]) == (arn, 8082, "HTTP")
    assert [l["Port"] for l in elb.describe_listeners(ListenerArns=[arn])["Listeners"]] == [8082]
    ports = {l["port"] for x in listing(endpoint) if x["arn"] == lb for l in x["listeners"]}
    assert ports == {8082}
    new = listener_address(endpoint, lb, 8082)
    status, headers, body = fetch(f"http://{new}/")
    assert (status, body, headers["Content-Type"]) == (200, "moved", "text/plain")

    def old_refuses() -> bool:
        try:
            fetch(f"http://{old}/", timeout=2)
            return False
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return True

    assert wait_until(old_refuses, 5), "nothing listens on the old port any more"

    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=8083, DefaultActions=fixed("other"))
    assert refused(elb.modify_listener, ListenerArn=arn, Port=8083) == (
        "ValidationError", 400, "Listener port '8083' is already in use")

    elb.delete_listener(ListenerArn=arn)
    assert [l["Port"] for l in elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]] == [8083]
    assert refused(elb.describe_listeners, ListenerArns=[arn]) == (
        "ListenerNotFound", 400, "One or more listeners not found")
    ports = {l["port"] for x in listing(endpoint) if x["arn"] == lb for l in x["listeners"]}
    assert ports == {8083}


# ---------------------------------------------------------------- rules


@pytest.fixture
def listener(elb, default_subnets, cleanup) -> dict:
    """An ALB's HTTP listener forwarding to a group (both made for the test)."""
    subnets = default_subnets[:2]
    group = new_group(elb, cleanup, subnets[0]["VpcId"])["TargetGroupArn"]
    lb = new_alb(elb, cleanup, subnets)["LoadBalancerArn"]
    made = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward(group))
    return {"arn": made["Listeners"][0]["ListenerArn"], "lb": lb, "group": group}


def test_rule_priorities_condition_limits_and_the_default_rule(elb, listener):
    arn, group = listener["arn"], listener["group"]
    rule = elb.create_rule(ListenerArn=arn, Priority=10, Conditions=path("/a/*"), Actions=forward(group))["Rules"][0]
    assert re.fullmatch(re.escape(arn.replace(":listener/", ":listener-rule/")) + r"/[0-9a-f]{16}", rule["RuleArn"])
    assert (rule["Priority"], rule["IsDefault"]) == ("10", False)
    assert rule["Conditions"][0]["Field"] == "path-pattern"
    assert rule["Conditions"][0]["PathPatternConfig"] == {"Values": ["/a/*"]}
    assert rule["Actions"][0]["Type"] == "forward" and rule["Actions"][0]["TargetGroupArn"] == group

    assert refused(elb.create_rule, ListenerArn=arn, Priority=10, Conditions=path("/b/*"), Actions=forward(group)) == (
        "PriorityInUse", 400, "Priority '10' is currently in use")
    six = [{"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com", "b.example.com", "c.example.com"]}},
           {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/1", "/2", "/3"]}}]
    assert refused(elb.create_rule, ListenerArn=arn, Priority=11, Conditions=six, Actions=forward(group)) == (
        "ValidationError", 400, "A rule can only have '5' condition values")

    rules = elb.describe_rules(ListenerArn=arn)["Rules"]
    assert [(r["Priority"], r["IsDefault"]) for r in rules] == [("10", False), ("default", True)]
    default = rules[-1]
    assert default["Conditions"] == []
    assert default["Actions"][0]["TargetGroupArn"] == group
    assert refused(elb.modify_rule, RuleArn=default["RuleArn"], Actions=fixed("no")) == (
        "OperationNotPermitted", 400, f"Default rule '{default['RuleArn']}' cannot be modified")
    assert refused(elb.delete_rule, RuleArn=default["RuleArn"]) == (
        "OperationNotPermitted", 400, f"Default rule '{default['RuleArn']}' cannot be deleted")
    assert len(elb.describe_rules(ListenerArn=arn)["Rules"]) == 2


def test_rules_are_reordered_modified_described_by_arn_and_deleted(elb, listener):
    arn, group = listener["arn"], listener["group"]
    first = elb.create_rule(ListenerArn=arn, Priority=10, Conditions=path("/a/*"), Actions=forward(group))["Rules"][0]
    second = elb.create_rule(ListenerArn=arn, Priority=20, Conditions=path("/b/*"), Actions=fixed("b"))["Rules"][0]

    moved = elb.set_rule_priorities(RulePriorities=[{"RuleArn": first["RuleArn"], "Priority": 30}])["Rules"]
    assert [(r["RuleArn"], r["Priority"]) for r in moved] == [(first["RuleArn"], "30")]
    assert [r["Priority"] for r in elb.describe_rules(ListenerArn=arn)["Rules"]] == ["20", "30", "default"]
    assert refused(elb.set_rule_priorities, RulePriorities=[{"RuleArn": first["RuleArn"], "Priority": 20}]) == (
        "PriorityInUse", 400, "Priority '20' is currently in use")

    changed = elb.modify_rule(
        RuleArn=second["RuleArn"],
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}}],
        Actions=forward(group),
    )["Rules"][0]
    assert changed["RuleArn"] == second["RuleArn"] and changed["Priority"] == "20"
    assert changed["Conditions"][0]["Field"] == "host-header"
    assert changed["Conditions"][0]["HostHeaderConfig"] == {"Values": ["api.example.com"]}
    assert changed["Actions"][0]["TargetGroupArn"] == group
    by_arn = elb.describe_rules(RuleArns=[second["RuleArn"]])["Rules"]
    assert by_arn == [changed]

    elb.delete_rule(RuleArn=first["RuleArn"])
    assert [r["Priority"] for r in elb.describe_rules(ListenerArn=arn)["Rules"]] == ["20", "default"]
    not_found = ("RuleNotFound", 400, "One or more rules not found")
    assert refused(elb.describe_rules, RuleArns=[first["RuleArn"]]) == not_found
    assert refused(elb.delete_rule, RuleArn=first["RuleArn"]) == not_found
    assert refused(elb.modify_rule, RuleArn=first["RuleArn"], Actions=fixed("x")) == not_found


# ---------------------------------------------------------------- tags


def test_tags_on_a_load_balancer_a_group_a_listener_and_a_rule(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    group = new_group(elb, cleanup, subnets[0]["VpcId"])["TargetGroupArn"]
    lb = new_alb(elb, cleanup, subnets, Tags=[{"Key": "team", "Value": "web"}])["LoadBalancerArn"]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                                   DefaultActions=forward(group))["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=1, Conditions=path("/x"),
                           Actions=forward(group))["Rules"][0]["RuleArn"]
    arns = [lb, group, listener, rule]

    def tags() -> list[dict]:
        described = {d["ResourceArn"]: as_dict(d["Tags"]) for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"]}
        assert sorted(described) == sorted(arns)
        return [described[arn] for arn in arns]

    assert tags() == [{"team": "web"}, {}, {}, {}]
    elb.add_tags(ResourceArns=arns, Tags=[{"Key": "env", "Value": "test"}])
    assert tags() == [{"team": "web", "env": "test"}, {"env": "test"}, {"env": "test"}, {"env": "test"}]
    elb.add_tags(ResourceArns=[lb], Tags=[{"Key": "env", "Value": "prod"}])
    assert tags()[0] == {"team": "web", "env": "prod"}
    elb.remove_tags(ResourceArns=arns, TagKeys=["env"])
    assert tags() == [{"team": "web"}, {}, {}, {}]


def test_tagging_what_is_not_there(elb, default_subnets, cleanup):
    account = account_of(new_group(elb, cleanup, default_subnets[0]["VpcId"])["TargetGroupArn"])
    lb = f"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/{unique('gone')}/0123456789abcdef"
    tg = f"arn:aws:elasticloadbalancing:{REGION}:{account}:targetgroup/{unique('gone')}/0123456789abcdef"
    tag = [{"Key": "k", "Value": "v"}]
    assert refused(elb.add_tags, ResourceArns=[lb], Tags=tag) == (
        "LoadBalancerNotFound", 400, "One or more load balancers not found")
    assert refused(elb.add_tags, ResourceArns=[tg], Tags=tag) == (
        "TargetGroupNotFound", 400, f"Target groups '{tg}' not found")


# ---------------------------------------------------------------- limits and policies

# DescribeAccountLimits's names (API reference, `Limit.Name`) and the
# default quotas of those whose value is documented.
LIMITS = {
    "application-load-balancers": "50",
    "condition-values-per-alb-rule": "5",
    "condition-wildcards-per-alb-rule": "5",
    "gateway-load-balancers": None,
    "gateway-load-balancers-per-vpc": None,
    "geneve-target-groups": None,
    "listeners-per-application-load-balancer": "50",
    "listeners-per-network-load-balancer": "50",
    "network-load-balancers": "50",
    "rules-per-application-load-balancer": "100",
    "target-groups": "3000",
    "target-groups-per-action-on-application-load-balancer": "5",
    "target-groups-per-action-on-network-load-balancer": "1",
    "target-groups-per-application-load-balancer": "100",
    "targets-per-application-load-balancer": "1000",
    "targets-per-availability-zone-per-gateway-load-balancer": None,
    "targets-per-availability-zone-per-network-load-balancer": "500",
    "targets-per-network-load-balancer": None,
}


def test_account_limits_name_each_quota_and_page(elb):
    limits = elb.describe_account_limits()["Limits"]
    found = {l["Name"]: l["Max"] for l in limits}
    assert sorted(set(LIMITS) - set(found)) == [], "limits AWS lists that are missing"
    assert {k: found[k] for k, v in LIMITS.items() if v is not None} == {k: v for k, v in LIMITS.items() if v is not None}

    paged, marker = [], None
    while True:
        page = elb.describe_account_limits(PageSize=3, **({"Marker": marker} if marker else {}))
        assert len(page["Limits"]) <= 3
        paged += page["Limits"]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert paged == limits


def test_ssl_policies_list_their_protocols_and_ciphers(elb):
    policies = {p["Name"]: p for p in elb.describe_ssl_policies()["SslPolicies"]}
    for name in ("ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS-1-2-2017-01"):
        assert name in policies, name
    legacy = policies["ELBSecurityPolicy-2016-08"]
    assert legacy["SslProtocols"] == ["TLSv1", "TLSv1.1", "TLSv1.2"]
    assert set(legacy["SupportedLoadBalancerTypes"]) >= {"application", "network"}
    assert legacy["Ciphers"][:2] == [
        {"Name": "ECDHE-ECDSA-AES128-GCM-SHA256", "Priority": 1},
        {"Name": "ECDHE-RSA-AES128-GCM-SHA256", "Priority": 2},
    ]
    chosen = elb.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-2-2021-06"])["SslPolicies"]
    assert [p["Name"] for p in chosen] == ["ELBSecurityPolicy-TLS13-1-2-2021-06"]
    assert chosen[0]["SslProtocols"] == ["TLSv1.2", "TLSv1.3"]
    assert {"Name": "TLS_AES_128_GCM_SHA256", "Priority": 1} in chosen[0]["Ciphers"]


def test_modify_listener_checks_what_it_changes(elb, default_subnets, cleanup):
    lb = new_alb(elb, cleanup, default_subnets[:2])
    group = new_group(elb, cleanup, default_subnets[0]["VpcId"])
    arn = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8090, DefaultActions=forward(group["TargetGroupArn"])
    )["Listeners"][0]["ListenerArn"]
    code, status, message = refused(elb.modify_listener, ListenerArn=arn, Protocol="TCP")
    assert (code, status, message) == ("ValidationError", 400, "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'")
    code, status, message = refused(elb.modify_listener, ListenerArn=arn, Protocol="HTTPS")
    assert (code, message) == ("ValidationError", "A certificate must be specified for HTTPS listeners")
    code, status, _ = refused(elb.modify_listener, ListenerArn=arn, Port=70000)
    assert (code, status) == ("ValidationError", 400)
    described = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]
    assert (described["Protocol"], described["Port"]) == ("HTTP", 8090), "nothing changed"


def test_nlb_listeners_forward_only_to_groups_of_a_matching_protocol(elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    nlb = elb.create_load_balancer(Name=unique("udp"), Type="network", Subnets=subnet_ids(subnets))["LoadBalancers"][0]
    cleanup["lbs"].append(nlb["LoadBalancerArn"])
    tcp = new_group(elb, cleanup, subnets[0]["VpcId"], Protocol="TCP", Port=53)
    code, status, message = refused(
        elb.create_listener, LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="UDP", Port=53,
        DefaultActions=forward(tcp["TargetGroupArn"]),
    )
    assert (code, status) == ("IncompatibleProtocols", 400)
    assert message == (
        f"The listener and its associated target group '{tcp['TargetGroupArn']}' have incompatible protocols"
    )
    both = new_group(elb, cleanup, subnets[0]["VpcId"], Protocol="TCP_UDP", Port=53)
    listener = elb.create_listener(
        LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="UDP", Port=53, DefaultActions=forward(both["TargetGroupArn"])
    )["Listeners"][0]
    assert listener["Protocol"] == "UDP"


def test_subnets_security_groups_and_address_type_change(endpoint, elb, ec2, default_subnets, cleanup):
    from elbv2_support import listing

    lb = new_alb(elb, cleanup, default_subnets[:2])
    arn = lb["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=8091, DefaultActions=fixed("up"))
    zones = elb.set_subnets(LoadBalancerArn=arn, Subnets=subnet_ids(default_subnets[:3]))["AvailabilityZones"]
    assert {z["ZoneName"] for z in zones} == {s["AvailabilityZone"] for s in default_subnets[:3]}
    listed = next(x for x in listing(endpoint) if x["arn"] == arn)
    assert len(listed["nodes"]) == 3 and len(listed["listeners"][0]["addresses"]) == 3, "a node per zone listens"

    group = ec2.create_security_group(GroupName=unique("lb-group"), Description="lb", VpcId=default_subnets[0]["VpcId"])
    assert elb.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[group["GroupId"]])["SecurityGroupIds"] == [
        group["GroupId"]
    ]
    assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["SecurityGroups"] == [group["GroupId"]]
    code, status, message = refused(elb.set_security_groups, LoadBalancerArn=arn, SecurityGroups=["sg-0000000000000dead"])
    assert (code, status, message) == ("InvalidSecurityGroup", 400, "One or more security groups are invalid")

    assert elb.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="dualstack")["IpAddressType"] == "dualstack"
    code, status, _ = refused(elb.set_ip_address_type, LoadBalancerArn=arn, IpAddressType="ipv5")
    assert (code, status) == ("ValidationError", 400)
    elb.delete_load_balancer(LoadBalancerArn=arn)
    cleanup["lbs"].remove(arn)
    ec2.delete_security_group(GroupId=group["GroupId"])


def test_listener_attributes_and_capacity_reservations(elb, default_subnets, cleanup):
    nlb = elb.create_load_balancer(Name=unique("attr"), Type="network", Subnets=subnet_ids(default_subnets[:2]))
    arn = nlb["LoadBalancers"][0]["LoadBalancerArn"]
    cleanup["lbs"].append(arn)
    group = new_group(elb, cleanup, default_subnets[0]["VpcId"], Protocol="TCP", Port=22)
    listener = elb.create_listener(
        LoadBalancerArn=arn, Protocol="TCP", Port=22, DefaultActions=forward(group["TargetGroupArn"])
    )["Listeners"][0]["ListenerArn"]
    described = as_dict(elb.describe_listener_attributes(ListenerArn=listener)["Attributes"])
    assert described == {"tcp.idle_timeout.seconds": "350"}
    changed = elb.modify_listener_attributes(
        ListenerArn=listener, Attributes=[{"Key": "tcp.idle_timeout.seconds", "Value": "600"}]
    )["Attributes"]
    assert as_dict(changed) == {"tcp.idle_timeout.seconds": "600"}
    assert as_dict(elb.describe_listener_attributes(ListenerArn=listener)["Attributes"])["tcp.idle_timeout.seconds"] == "600"
    code, status, message = refused(
        elb.modify_listener_attributes, ListenerArn=listener, Attributes=[{"Key": "nope", "Value": "1"}]
    )
    assert (code, status, message) == ("ValidationError", 400, "Listener attribute key 'nope' is not recognized")

    capacity = elb.describe_capacity_reservation(LoadBalancerArn=arn)
    assert capacity["DecreaseRequestsRemaining"] == 0
    assert {z["AvailabilityZone"] for z in capacity["CapacityReservationState"]} == {
        s["AvailabilityZone"] for s in default_subnets[:2]
    }
    code, status, _ = refused(elb.describe_capacity_reservation, LoadBalancerArn=arn.replace(arn[-16:], "0" * 16))
    assert (code, status) == ("LoadBalancerNotFound", 400)
