"""Load balancers that carry traffic, through boto3 and plain HTTP/TCP
clients: an ALB over three instances in three zones answering round-robin,
path and host rules, fixed responses and redirects, stickiness, health
checks that take a failing instance out of rotation and bring it back,
draining that lets a slow request finish, ELB's own 502/503 pages, and an
NLB forwarding raw TCP to two instances in two zones."""

from __future__ import annotations

import collections
import json
import socket
import threading
import time

import pytest

from elbv2_support import (  # noqa: F401  (fixtures)
    PORT,
    TCP_APP,
    WEB_APP,
    cleanup,
    default_subnets,
    ec2,
    elb,
    fetch,
    health_of,
    image,
    listener_address,
    listing,
    serving,
    wait_until,
)

FAST_CHECKS = {
    "HealthCheckPath": "/health",
    "HealthCheckIntervalSeconds": 5,
    "HealthCheckTimeoutSeconds": 2,
    "HealthyThresholdCount": 2,
    "UnhealthyThresholdCount": 2,
}


def web_instances(ec2, image, subnets, cleanup, user_data=WEB_APP) -> list[dict]:
    """One instance running the app in each subnet, answering."""
    made = []
    for subnet in subnets:
        made += ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, UserData=user_data, SubnetId=subnet["SubnetId"]
        )["Instances"]
    cleanup["instances"] += [i["InstanceId"] for i in made]
    return made


def target_group(elb, cleanup, name: str, vpc: str, **extra) -> str:
    arn = elb.create_target_group(
        Name=name, Protocol=extra.pop("Protocol", "HTTP"), Port=extra.pop("Port", PORT), VpcId=vpc, **extra
    )["TargetGroups"][0]["TargetGroupArn"]
    cleanup["tgs"].append(arn)
    return arn


def alb(elb, cleanup, name: str, subnets) -> dict:
    lb = elb.create_load_balancer(Name=name, Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0]
    cleanup["lbs"].append(lb["LoadBalancerArn"])
    return lb


def forward(tg_arn: str) -> list[dict]:
    return [{"Type": "forward", "TargetGroupArn": tg_arn}]


def who(url: str, **kwargs) -> str:
    status, _, body = fetch(url, **kwargs)
    assert status == 200, (status, body)
    return body.split()[0]


def test_an_alb_spreads_requests_over_three_zones_and_follows_its_rules(endpoint, ec2, elb, image, default_subnets, cleanup):
    subnets = default_subnets[:3]
    instances = web_instances(ec2, image, subnets, cleanup)
    ids = [i["InstanceId"] for i in instances]
    vpc = subnets[0]["VpcId"]
    web = target_group(elb, cleanup, "web", vpc, **FAST_CHECKS)
    elb.register_targets(TargetGroupArn=web, Targets=[{"Id": i} for i in ids])
    lb = alb(elb, cleanup, "time", subnets)
    assert lb["DNSName"].startswith("time-") and lb["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    assert {z["ZoneName"] for z in lb["AvailabilityZones"]} == {s["AvailabilityZone"] for s in subnets}
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(web)
    )["Listeners"][0]
    for instance in instances:
        assert serving(instance["PrivateIpAddress"])

    listed = next(x for x in listing(endpoint) if x["arn"] == lb["LoadBalancerArn"])
    assert listed["dnsName"] == lb["DNSName"]
    assert {n["zone"] for n in listed["nodes"]} == {s["AvailabilityZone"] for s in subnets}
    address = listener_address(endpoint, lb["LoadBalancerArn"], 80)
    assert address.split(":")[0] in {n["address"] for n in listed["nodes"]}

    # Round robin over the three, before and after their checks pass.
    answered = collections.Counter(who(f"http://{address}/") for _ in range(9))
    assert set(answered) == set(ids) and set(answered.values()) == {3}, answered
    assert wait_until(lambda: all(h["State"] == "healthy" for h in health_of(elb, web).values()), 20)
    answered = collections.Counter(who(f"http://{address}/") for _ in range(6))
    assert set(answered) == set(ids), answered

    # What the target is told of the client.
    status, _, body = fetch(f"http://{address}/headers")
    sent = {k.lower(): v for k, v in json.loads(body).items()}
    many = ", ".join(f"10.0.0.{n}" for n in range(31))
    assert fetch(f"http://{address}/", headers={"X-Forwarded-For": many})[0] == 463, "more than 30 addresses"
    assert sent["x-forwarded-for"] == "127.0.0.1" and sent["x-forwarded-proto"] == "http"
    assert sent["x-forwarded-port"] == "80" and sent["x-amzn-trace-id"].startswith("Root=1-")
    assert sent["host"] == address

    # A path rule to a group of one, a host rule with a fixed response, a redirect.
    api = target_group(elb, cleanup, "api", vpc)
    elb.register_targets(TargetGroupArn=api, Targets=[{"Id": ids[1]}])
    arn = listener["ListenerArn"]
    elb.create_rule(
        ListenerArn=arn, Priority=10, Actions=forward(api),
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
    )
    elb.create_rule(
        ListenerArn=arn, Priority=5,
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "200", "ContentType": "text/plain", "MessageBody": "admin console"}}],
        Conditions=[{"Field": "host-header", "Values": ["admin.example.com"]}],
    )
    elb.create_rule(
        ListenerArn=arn, Priority=20,
        Actions=[{"Type": "redirect", "RedirectConfig": {"Path": "/new/#{path}", "StatusCode": "HTTP_301"}}],
        Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
    )
    assert {who(f"http://{address}/api/users") for _ in range(4)} == {ids[1]}
    status, headers, body = fetch(f"http://{address}/api/x", headers={"Host": "admin.example.com"})
    assert (status, body, headers["Content-Type"]) == (200, "admin console", "text/plain")
    assert len({who(f"http://{address}/other") for _ in range(6)}) == 3
    rules = elb.describe_rules(ListenerArn=arn)["Rules"]
    assert [r["Priority"] for r in rules] == ["5", "10", "20", "default"]

    import http.client

    connection = http.client.HTTPConnection(address, timeout=5)
    connection.request("GET", "/old/page?x=1")
    moved = connection.getresponse()
    assert moved.status == 301
    assert moved.getheader("Location") == f"http://{address.split(':')[0]}/new/old/page?x=1"


def test_stickiness_keeps_a_client_on_its_instance(endpoint, ec2, elb, image, default_subnets, cleanup):
    subnets = default_subnets[:2]
    instances = web_instances(ec2, image, subnets, cleanup)
    ids = [i["InstanceId"] for i in instances]
    web = target_group(elb, cleanup, "sticky", subnets[0]["VpcId"])
    elb.modify_target_group_attributes(
        TargetGroupArn=web,
        Attributes=[{"Key": "stickiness.enabled", "Value": "true"},
                    {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "600"}],
    )
    elb.register_targets(TargetGroupArn=web, Targets=[{"Id": i} for i in ids])
    lb = alb(elb, cleanup, "sticky", subnets)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(web))
    address = listener_address(endpoint, lb["LoadBalancerArn"], 80)
    for instance in instances:
        assert serving(instance["PrivateIpAddress"]), "both apps answer before the load balancer is asked"

    status, headers, body = fetch(f"http://{address}/")
    cookie, cors = headers["Set-Cookie"].split("\n")
    assert cookie.startswith("AWSALB=") and "Expires=" in cookie and "Path=/" in cookie
    assert cors.startswith("AWSALBCORS=") and cors.endswith("SameSite=None; Secure")
    first = body.split()[0]
    value = cookie.split(";")[0]
    assert {who(f"http://{address}/", headers={"Cookie": value}) for _ in range(6)} == {first}
    # Without the cookie, clients spread.
    assert {who(f"http://{address}/") for _ in range(6)} == set(ids)

    # Application cookies: the load balancer follows the app's own session cookie.
    elb.modify_target_group_attributes(
        TargetGroupArn=web,
        Attributes=[{"Key": "stickiness.type", "Value": "app_cookie"},
                    {"Key": "stickiness.app_cookie.cookie_name", "Value": "session"}],
    )
    status, headers, body = fetch(f"http://{address}/")
    assert "Set-Cookie" not in headers, "no app cookie, no stickiness cookie"
    status, headers, body = fetch(f"http://{address}/login")
    own, sticky = headers["Set-Cookie"].split("\n")
    assert own == f"session={body}" and sticky.startswith("AWSALBAPP-0=")
    value = sticky.split(";")[0]
    assert {who(f"http://{address}/", headers={"Cookie": f"session=x; {value}"}) for _ in range(6)} == {body}


def test_a_failing_health_check_takes_an_instance_out_and_it_comes_back(endpoint, ec2, elb, image, default_subnets, cleanup):
    subnets = default_subnets[:2]
    instances = web_instances(ec2, image, subnets, cleanup)
    ids = [i["InstanceId"] for i in instances]
    web = target_group(elb, cleanup, "health", subnets[0]["VpcId"], **FAST_CHECKS)
    elb.register_targets(TargetGroupArn=web, Targets=[{"Id": i} for i in ids])
    assert {h["Reason"] for h in health_of(elb, web).values()} == {"Target.NotInUse"}, "no load balancer yet"
    lb = alb(elb, cleanup, "health", subnets)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(web))
    address = listener_address(endpoint, lb["LoadBalancerArn"], 80)
    assert {h["State"] for h in health_of(elb, web).values()} == {"initial"}
    assert wait_until(lambda: all(h["State"] == "healthy" for h in health_of(elb, web).values()), 20)

    sick = instances[0]
    assert fetch(f"http://{sick['PrivateIpAddress']}:{PORT}/sick")[0] == 200
    # Two failed checks five seconds apart: out within interval x threshold.
    went = wait_until(lambda: health_of(elb, web)[sick["InstanceId"]]["State"] == "unhealthy", 15)
    assert went, health_of(elb, web)
    state = health_of(elb, web)[sick["InstanceId"]]
    assert state["Reason"] == "Target.ResponseCodeMismatch"
    assert state["Description"] == "Health checks failed with these codes: [503]"
    assert {who(f"http://{address}/") for _ in range(6)} == {ids[1]}

    fetch(f"http://{sick['PrivateIpAddress']}:{PORT}/well")
    assert wait_until(lambda: health_of(elb, web)[sick["InstanceId"]]["State"] == "healthy", 15)
    assert {who(f"http://{address}/") for _ in range(6)} == set(ids)


def test_draining_lets_a_slow_request_finish(endpoint, ec2, elb, image, default_subnets, cleanup):
    subnets = default_subnets[:1]
    instance = web_instances(ec2, image, subnets, cleanup)[0]
    web = target_group(elb, cleanup, "drain", subnets[0]["VpcId"])
    elb.modify_target_group_attributes(
        TargetGroupArn=web, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
    )
    elb.register_targets(TargetGroupArn=web, Targets=[{"Id": instance["InstanceId"]}])
    # An ALB needs two zones: this one spans the first two.
    lb2 = alb(elb, cleanup, "drain-alb", default_subnets[:2])
    elb.create_listener(LoadBalancerArn=lb2["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(web))
    address = listener_address(endpoint, lb2["LoadBalancerArn"], 80)
    assert serving(instance["PrivateIpAddress"])

    answers = []
    slow = threading.Thread(target=lambda: answers.append(fetch(f"http://{address}/slow")))
    slow.start()
    time.sleep(0.5)
    elb.deregister_targets(TargetGroupArn=web, Targets=[{"Id": instance["InstanceId"]}])
    state = health_of(elb, web)[instance["InstanceId"]]
    assert (state["State"], state["Reason"]) == ("draining", "Target.DeregistrationInProgress")
    status, _, body = fetch(f"http://{address}/")
    assert status == 503 and "503 Service Temporarily Unavailable" in body, "no new requests while draining"
    slow.join(10)
    assert answers and answers[0][0] == 200 and answers[0][2].endswith("/slow")
    # With nothing left in flight it is gone before the delay ends.
    assert wait_until(lambda: instance["InstanceId"] not in health_of(elb, web), 5)


def test_elb_answers_its_own_errors(endpoint, elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    vpc = subnets[0]["VpcId"]
    empty = target_group(elb, cleanup, "empty", vpc)
    lb = alb(elb, cleanup, "errors", subnets)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(empty))
    address = listener_address(endpoint, lb["LoadBalancerArn"], 80)
    status, headers, body = fetch(f"http://{address}/")
    assert status == 503 and headers["Server"] == "awselb/2.0"
    assert body == (
        "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
        "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    # A target nobody listens at: 502.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    gone = target_group(elb, cleanup, "gone", vpc, TargetType="ip", Port=port)
    elb.register_targets(TargetGroupArn=gone, Targets=[{"Id": "127.0.0.1"}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=81, DefaultActions=forward(gone))
    status, headers, body = fetch(f"http://{listener_address(endpoint, lb['LoadBalancerArn'], 81)}/")
    assert status == 502 and "502 Bad Gateway" in body


def test_an_nlb_forwards_tcp_to_two_zones(endpoint, ec2, elb, image, default_subnets, cleanup):
    subnets = default_subnets[:2]
    instances = web_instances(ec2, image, subnets, cleanup, user_data=TCP_APP)
    ids = [i["InstanceId"] for i in instances]

    def accepts(address: str) -> bool:
        try:
            socket.create_connection((address, 2222), timeout=1).close()
            return True
        except OSError:
            return False

    for instance in instances:
        assert wait_until(lambda: accepts(instance["PrivateIpAddress"]), 15), "both apps listen first"
    tcp = target_group(elb, cleanup, "bastions", subnets[0]["VpcId"], Protocol="TCP", Port=2222)
    described = elb.describe_target_groups(TargetGroupArns=[tcp])["TargetGroups"][0]
    assert (described["HealthCheckProtocol"], described["HealthCheckTimeoutSeconds"]) == ("TCP", 10)
    elb.register_targets(TargetGroupArn=tcp, Targets=[{"Id": i} for i in ids])
    lb = elb.create_load_balancer(
        Name="bastion", Type="network", Scheme="internal", Subnets=[s["SubnetId"] for s in subnets]
    )["LoadBalancers"][0]
    cleanup["lbs"].append(lb["LoadBalancerArn"])
    assert lb["DNSName"].endswith(".elb.us-east-1.amazonaws.com") and "SecurityGroups" not in lb
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=22, DefaultActions=forward(tcp))
    listed = next(x for x in listing(endpoint) if x["arn"] == lb["LoadBalancerArn"])
    addresses = next(l for l in listed["listeners"] if l["port"] == 22)["addresses"]
    assert len(addresses) == 2, "one node per zone"

    def talk(address: str) -> str:
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(b"hello")
            return connection.recv(1024).decode()

    def answered():
        try:
            return talk(addresses[0])
        except OSError:
            return None

    assert wait_until(answered, 15)
    replies = [talk(addresses[n % 2]) for n in range(6)]
    assert {r.split(":")[0] for r in replies} == set(ids), replies
    assert all(r.endswith(": hello") for r in replies)


LAMBDA_TARGET = '''
import base64, json
def lambda_handler(event, context):
    return {
        "statusCode": 201,
        "statusDescription": "201 Created",
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json", "X-Seen-Path": event["path"]},
        "body": json.dumps({
            "group": event["requestContext"]["elb"]["targetGroupArn"],
            "method": event["httpMethod"],
            "query": event["queryStringParameters"],
            "forwardedFor": event["headers"]["x-forwarded-for"],
            "body": event["body"],
        }),
    }
'''


def test_an_alb_invokes_a_lambda_target(endpoint, aws_client, elb, default_subnets, cleanup):
    from lambda_support import create, python_function

    awslambda = aws_client("lambda")
    name = create(awslambda, python_function(LAMBDA_TARGET))
    function_arn = awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    group = elb.create_target_group(Name="fn", TargetType="lambda")["TargetGroups"][0]
    cleanup["tgs"].append(group["TargetGroupArn"])
    assert group["HealthCheckEnabled"] is False and "Port" not in group
    elb.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": function_arn}])
    lb = alb(elb, cleanup, "fn", default_subnets[:2])
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(group["TargetGroupArn"])
    )
    health = health_of(elb, group["TargetGroupArn"])[function_arn]
    assert (health["State"], health["Reason"]) == ("unavailable", "Target.HealthCheckDisabled")
    address = listener_address(endpoint, lb["LoadBalancerArn"], 80)

    import urllib.request

    request = urllib.request.Request(f"http://{address}/orders?id=7", data=b"payload", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        assert response.headers["X-Seen-Path"] == "/orders"
        seen = json.loads(response.read())
    assert seen == {
        "group": group["TargetGroupArn"], "method": "POST", "query": {"id": "7"},
        "forwardedFor": "127.0.0.1", "body": "payload",
    }


def local_server(kind: int):
    """A loopback socket of `kind` (TCP or UDP) on a free port."""
    server = socket.socket(socket.AF_INET, kind)
    server.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        server.listen()
    return server, server.getsockname()[1]


def nlb_to(elb, cleanup, default_subnets, endpoint, name: str, protocol: str, port: int, **group_attributes) -> str:
    """An NLB whose `protocol` listener forwards to 127.0.0.1:`port`; its address."""
    subnets = default_subnets[:2]
    tg = target_group(
        elb, cleanup, name, subnets[0]["VpcId"], Protocol=protocol, Port=port, TargetType="ip",
        HealthCheckProtocol="TCP",
    )
    if group_attributes:
        elb.modify_target_group_attributes(
            TargetGroupArn=tg, Attributes=[{"Key": k, "Value": v} for k, v in group_attributes.items()]
        )
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
    lb = elb.create_load_balancer(Name=name, Type="network", Subnets=[s["SubnetId"] for s in subnets])
    arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    cleanup["lbs"].append(arn)
    elb.create_listener(LoadBalancerArn=arn, Protocol=protocol, Port=7000, DefaultActions=forward(tg))
    return listener_address(endpoint, arn, 7000)


def test_an_nlb_tells_the_target_the_client_with_proxy_protocol_v2(endpoint, elb, default_subnets, cleanup):
    server, port = local_server(socket.SOCK_STREAM)
    address = nlb_to(elb, cleanup, default_subnets, endpoint, "ppv2", "TCP", port, **{"proxy_protocol_v2.enabled": "true"})
    host, listener_port = address.split(":")
    with server, socket.create_connection((host, int(listener_port)), timeout=5) as client:
        client_address = client.getsockname()
        client.sendall(b"hello")
        server.settimeout(5)
        received = b""
        # Health checks connect too, and close without a byte: skip them.
        while not received:
            accepted, _ = server.accept()
            with accepted:
                accepted.settimeout(5)
                while len(received) < 28 + 5:
                    chunk = accepted.recv(1024)
                    if not chunk:
                        break
                    received += chunk
    assert received[:12] == b"\r\n\r\n\x00\r\nQUIT\n" and received[12:16] == bytes([0x21, 0x11, 0, 12])
    source = socket.inet_ntoa(received[16:20]), int.from_bytes(received[24:26], "big")
    destination = socket.inet_ntoa(received[20:24]), int.from_bytes(received[26:28], "big")
    assert source == client_address and destination == (host, int(listener_port))
    assert received[28:] == b"hello"


def test_an_nlb_forwards_udp_flows(endpoint, elb, default_subnets, cleanup):
    server, port = local_server(socket.SOCK_DGRAM)

    def echo():
        with server:
            server.settimeout(10)
            for _ in range(2):
                data, sender = server.recvfrom(1024)
                server.sendto(b"echo " + data, sender)

    thread = threading.Thread(target=echo)
    thread.start()
    address = nlb_to(elb, cleanup, default_subnets, endpoint, "udp", "UDP", port)
    host, listener_port = address.split(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        for word in (b"one", b"two"):
            client.sendto(word, (host, int(listener_port)))
            answer, sender = client.recvfrom(1024)
            assert answer == b"echo " + word and sender == (host, int(listener_port))
    thread.join(5)


def test_a_failed_zone_takes_its_node_out(endpoint, elb, default_subnets, cleanup):
    import urllib.request

    subnets = default_subnets[:2]
    lb = alb(elb, cleanup, "zones", subnets)
    tg = target_group(elb, cleanup, "zones", subnets[0]["VpcId"])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(tg))

    def addresses():
        found = next(x for x in listing(endpoint) if x["arn"] == lb["LoadBalancerArn"])
        return {a.split(":")[0] for a in found["listeners"][0]["addresses"]}, found["nodes"]

    listening, nodes = addresses()
    assert len(listening) == 2
    failed = next(n for n in nodes if n["zone"] == subnets[0]["AvailabilityZone"])
    drill = f"{endpoint}/_nimbus/zones/{failed['zone']}"
    urllib.request.urlopen(urllib.request.Request(f"{drill}/fail", method="POST"), timeout=5)
    try:
        assert wait_until(lambda: addresses()[0] == {n["address"] for n in nodes} - {failed["address"]}, 5)
        with pytest.raises(OSError):
            socket.create_connection((failed["address"], 80), timeout=2).close()
        status, _, _ = fetch(f"http://{listener_address(endpoint, lb['LoadBalancerArn'], 80)}/")
        assert status == 503, "the other zone's node still answers"
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{drill}/restore", method="POST"), timeout=5)
    assert wait_until(lambda: len(addresses()[0]) == 2, 5)


def websocket_like_target() -> int:
    """A target that switches protocols when asked and then echoes "pong:<bytes>"."""
    server, port = local_server(socket.SOCK_STREAM)

    def serve(connection):
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(1024)
                if not chunk:
                    return
                request += chunk
            if b"upgrade: websocket" not in request.lower():
                connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                return
            connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            while data := connection.recv(1024):
                connection.sendall(b"pong:" + data)

    def accept():
        with server:
            server.settimeout(30)
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return port


def test_an_alb_passes_websockets_through(endpoint, elb, default_subnets, cleanup):
    subnets = default_subnets[:2]
    port = websocket_like_target()
    tg = target_group(elb, cleanup, "ws", subnets[0]["VpcId"], TargetType="ip", Port=port)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
    lb = alb(elb, cleanup, "ws", subnets)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward(tg))
    host, listener_port = listener_address(endpoint, lb["LoadBalancerArn"], 80).split(":")
    with socket.create_connection((host, int(listener_port)), timeout=5) as client:
        client.sendall(
            b"GET /chat HTTP/1.1\r\nHost: chat.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(1024)
        assert head.startswith(b"HTTP/1.1 101"), head
        for word in (b"ping", b"again"):
            client.sendall(word)
            assert client.recv(1024) == b"pong:" + word
