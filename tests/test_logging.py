"""nimbus's log on stderr: one line per request, written in batches yet
promptly, nothing lost at shutdown, exit or panic, filtered by --log-level."""

from __future__ import annotations

import json
import re
import signal
import socket
import time
import urllib.request
from urllib.parse import urlparse

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCESS_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z  INFO POST / service=sts operation=GetCallerIdentity "
    r"status=200 micros=\d+$"
)


def client(server, service: str):
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def wait_for_line(server, needle: str, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        found = [line for line in server.log().splitlines() if needle in line]
        if found or time.monotonic() > deadline:
            assert found, f"no line with {needle!r} after {within}s:\n{server.log()}"
            return found[-1]
        time.sleep(0.01)


def test_an_access_line_reaches_the_log_within_a_moment(launch_nimbus):
    server = launch_nimbus()
    client(server, "sts").get_caller_identity()
    # Lines are buffered for at most 50 ms; an access line that waited for
    # a full buffer would never show here.
    line = wait_for_line(server, "operation=GetCallerIdentity", within=1.0)
    assert ACCESS_LINE.match(line), line


def test_lines_logged_just_before_a_graceful_stop_are_kept(launch_nimbus):
    server = launch_nimbus()
    sts = client(server, "sts")
    for _ in range(20):
        sts.get_caller_identity()
    assert server.stop(timeout=10) == 0
    lines = server.log().splitlines()
    assert sum(1 for line in lines if ACCESS_LINE.match(line)) == 20, server.log()
    assert lines[-1].endswith(" INFO stopped"), lines[-3:]


def open_unfinished_request(server) -> socket.socket:
    """A request whose body never arrives keeps a graceful stop waiting."""
    url = urlparse(server.url)
    connection = socket.create_connection((url.hostname, url.port), timeout=10)
    connection.sendall(
        (
            "POST / HTTP/1.1\r\n"
            f"Host: {url.hostname}:{url.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=00\r\n"
            "Content-Length: 100\r\n\r\nAction="
        ).encode()
    )
    return connection


def test_a_second_signal_exits_without_losing_the_log(launch_nimbus):
    server = launch_nimbus()
    client(server, "sts").get_caller_identity()
    unfinished = open_unfinished_request(server)
    time.sleep(0.2)
    server.process.send_signal(signal.SIGTERM)
    wait_for_line(server, "shutting down", within=1.0)
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(5) != 0
    unfinished.close()
    log = server.log()
    # The exit skips every destructor: the warning is written at once and
    # takes the buffered lines before it along.
    assert "operation=GetCallerIdentity" in log and "shutting down" in log, log
    assert log.rstrip().endswith("second signal: exiting now"), log[-500:]


def test_a_panic_message_follows_the_lines_logged_before_it(launch_nimbus):
    server = launch_nimbus()
    with urllib.request.urlopen(f"{server.url}/_nimbus/health") as response:
        if json.load(response)["build"] != "debug":
            pytest.skip("the panic hook exists only in debug builds")
    dynamodb = client(server, "dynamodb")
    dynamodb.list_tables()

    def ask_for_a_panic(request, **_):
        request.headers["x-nimbus-test-panic"] = "1"

    dynamodb.meta.events.register("before-sign.dynamodb.*", ask_for_a_panic)
    with pytest.raises(ClientError) as excinfo:
        dynamodb.list_tables()
    assert excinfo.value.response["Error"]["Code"] == "InternalError"
    wait_for_line(server, "handler failed", within=1.0)
    lines = server.log().splitlines()
    listed = next(i for i, line in enumerate(lines) if "operation=ListTables status=200" in line)
    panicked = next(i for i, line in enumerate(lines) if "panicked at" in line)
    failed = next(i for i, line in enumerate(lines) if "handler failed" in line)
    assert listed < panicked < failed, "\n".join(lines)


def test_log_level_filters_access_lines(launch_nimbus):
    # The gateway's access lines off, the binary's own lines (the
    # "listening" line the fixture waits for) on.
    server = launch_nimbus("--log-level", "info,nimbus_gateway=warn")
    client(server, "sts").get_caller_identity()
    assert server.stop(timeout=10) == 0
    log = server.log()
    assert "listening on" in log and "stopped" in log, log
    assert "operation=GetCallerIdentity" not in log, log
