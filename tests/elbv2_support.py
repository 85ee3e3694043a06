"""What the load balancer tests share: clients, the web app instances run
(it answers who it is, what it was sent, a health endpoint it can be told to
fail, and a slow path), and how to find where a load balancer listens."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest

# Port 80 needs root; elsewhere the app listens on 8080.
PORT = 80 if os.geteuid() == 0 else 8080

# A per-boot web app: GET / answers "<instance id> <path>", /headers the
# request's headers as JSON, /health 200 (503 after /sick, 200 again after
# /well), /slow after two seconds, /login sets the app's own cookie.
WEB_APP = """#!/bin/sh
cat > web.py <<'EOF'
import http.server, json, os, time
SICK = {"on": False}
class Web(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, status, body, headers=()):
        body = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        me = os.environ["NIMBUS_INSTANCE_ID"]
        if self.path == "/health":
            return self.answer(503 if SICK["on"] else 200, "sick" if SICK["on"] else "ok")
        if self.path in ("/sick", "/well"):
            SICK["on"] = self.path == "/sick"
            return self.answer(200, self.path)
        if self.path == "/headers":
            return self.answer(200, json.dumps(dict(self.headers.items())))
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/login":
            return self.answer(200, me, [("Set-Cookie", "session=" + me)])
        self.answer(200, "%s %s" % (me, self.path))
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((os.environ["NIMBUS_PRIVATE_IP"], PORT_HERE), Web).serve_forever()
EOF
mkdir -p var/lib/cloud/scripts/per-boot
printf '#!/bin/sh\\ncd "$HOME" && nohup python3 web.py > web.log 2>&1 &\\n' > var/lib/cloud/scripts/per-boot/web.sh
chmod +x var/lib/cloud/scripts/per-boot/web.sh
var/lib/cloud/scripts/per-boot/web.sh
""".replace("PORT_HERE", str(PORT))

# A TCP server answering each connection with "<instance id>: " and what it read.
TCP_APP = """#!/bin/sh
cat > tcp.py <<'EOF'
import os, socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(65536)
        self.request.sendall(os.environ["NIMBUS_INSTANCE_ID"].encode() + b": " + data)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer((os.environ["NIMBUS_PRIVATE_IP"], 2222), Echo).serve_forever()
EOF
nohup python3 tcp.py > tcp.log 2>&1 &
"""


@pytest.fixture
def elb(aws_client):
    return aws_client("elbv2")


@pytest.fixture
def ec2(aws_client):
    return aws_client("ec2")


@pytest.fixture
def image(ec2) -> str:
    found = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return found["Images"][0]["ImageId"]


@pytest.fixture
def default_subnets(ec2) -> list[dict]:
    """The default VPC's subnets, one per zone, in zone order."""
    found = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return sorted(found, key=lambda s: s["AvailabilityZone"])


@pytest.fixture
def cleanup(ec2, elb):
    """What a test made, removed after it: load balancers, target groups, instances."""
    made: dict[str, list[str]] = {"lbs": [], "tgs": [], "instances": []}
    yield made
    for arn in made["lbs"]:
        elb.delete_load_balancer(LoadBalancerArn=arn)
    for arn in made["tgs"]:
        try:
            elb.delete_target_group(TargetGroupArn=arn)
        except Exception:  # noqa: BLE001  (best effort: a group may still be in use)
            pass
    if made["instances"]:
        ec2.terminate_instances(InstanceIds=made["instances"])


def listing(endpoint: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/_nimbus/load-balancers", timeout=5) as response:
        return json.loads(response.read())


def listener_address(endpoint: str, lb_arn: str, port: int) -> str:
    """`ip:port` where the load balancer's listener on `port` listens."""
    for lb in listing(endpoint):
        if lb["arn"] == lb_arn:
            for listener in lb["listeners"]:
                if listener["port"] == port and listener["address"]:
                    return listener["address"]
    raise AssertionError(f"no listener on {port} for {lb_arn}: {listing(endpoint)}")


def joined(headers) -> dict:
    """Response headers by name; a repeated one's values joined by newlines."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        found[name] = f"{found[name]}\n{value}" if name in found else value
    return found


def fetch(url: str, headers: dict | None = None, timeout: float = 10.0) -> tuple[int, dict, str]:
    """(status, headers, body) of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, joined(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, joined(error.headers), error.read().decode()


def wait_until(check, timeout: float = 30.0, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def serving(address: str, path: str = "/health", timeout: float = 15.0) -> bool:
    """Whether the app at `address` answers (waits for it to start)."""

    def answers():
        try:
            return fetch(f"http://{address}:{PORT}{path}", timeout=2)[0] == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    return bool(wait_until(answers, timeout))


def health_of(elb, tg_arn: str) -> dict[str, dict]:
    described = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"] for d in described}
