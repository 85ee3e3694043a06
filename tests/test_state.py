"""State that lasts: snapshots, reset, restarts, and the durability promise
(every write nimbus acknowledged survives `kill -9`). SQS queues and messages
are the state these tests write, since every change to them is durable."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import REGION


def call(url: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=b"" if method != "GET" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def sqs(url: str):
    return boto3.client(
        "sqs",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def queue_names(client) -> list[str]:
    urls = client.list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[1] for url in urls)


def test_snapshot_endpoints_save_list_restore_delete(launch_nimbus):
    server = launch_nimbus()
    client = sqs(server.url)
    client.create_queue(QueueName="kept")

    assert call(f"{server.url}/_nimbus/snapshots") == (200, {"snapshots": []})
    assert call(f"{server.url}/_nimbus/snapshots/base", "POST") == (200, {"name": "base"})
    status, listing = call(f"{server.url}/_nimbus/snapshots")
    assert status == 200
    assert [entry["name"] for entry in listing["snapshots"]] == ["base"]

    client.create_queue(QueueName="added-later")
    client.delete_queue(QueueUrl=client.get_queue_url(QueueName="kept")["QueueUrl"])
    assert queue_names(client) == ["added-later"]

    assert call(f"{server.url}/_nimbus/snapshots/base/restore", "POST") == (200, {"name": "base"})
    assert queue_names(client) == ["kept"]

    assert call(f"{server.url}/_nimbus/snapshots/base", "DELETE") == (200, {"name": "base"})
    assert call(f"{server.url}/_nimbus/snapshots") == (200, {"snapshots": []})


def test_snapshot_errors_are_clear(launch_nimbus):
    server = launch_nimbus()
    status, body = call(f"{server.url}/_nimbus/snapshots/missing/restore", "POST")
    assert status == 404 and "missing" in body["error"]
    status, body = call(f"{server.url}/_nimbus/snapshots/..%2Fescape", "POST")
    assert status == 400 and body["error"]
    status, body = call(f"{server.url}/_nimbus/snapshot", "POST")
    assert status == 400 and "name" in body["error"]
    # The query-string forms work too.
    assert call(f"{server.url}/_nimbus/snapshot?name=q", "POST") == (200, {"name": "q"})
    assert call(f"{server.url}/_nimbus/restore?name=q", "POST") == (200, {"name": "q"})


def test_reset_empties_the_store(launch_nimbus):
    server = launch_nimbus()
    client = sqs(server.url)
    client.create_queue(QueueName="gone-after-reset")
    assert call(f"{server.url}/_nimbus/reset", "POST") == (200, {"reset": True})
    assert queue_names(client) == []
    client.create_queue(QueueName="gone-after-moto-reset")
    assert call(f"{server.url}/moto-api/reset", "POST") == (200, {"status": "ok"})
    assert queue_names(client) == []


def test_snapshot_cli_subcommand(launch_nimbus, nimbus_bin):
    server = launch_nimbus()
    port = server.url.rsplit(":", 1)[1]
    sqs(server.url).create_queue(QueueName="via-cli")

    def nimbus(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(nimbus_bin), "--port", port, "snapshot", *args], capture_output=True, text=True, timeout=30
        )

    saved = nimbus("save", "cli-base")
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout) == {"name": "cli-base"}
    listed = nimbus("list")
    assert [entry["name"] for entry in json.loads(listed.stdout)["snapshots"]] == ["cli-base"]
    call(f"{server.url}/_nimbus/reset", "POST")
    assert nimbus("restore", "cli-base").returncode == 0
    assert queue_names(sqs(server.url)) == ["via-cli"]
    missing = nimbus("restore", "no-such-snapshot")
    assert missing.returncode != 0 and "404" in missing.stderr


def test_state_survives_a_graceful_restart(launch_nimbus, tmp_path):
    data_dir = tmp_path / "state"
    first = launch_nimbus("--data-dir", str(data_dir), ephemeral=False)
    client = sqs(first.url)
    url = client.create_queue(QueueName="durable")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="still here")
    assert first.stop() == 0

    second = launch_nimbus("--data-dir", str(data_dir), ephemeral=False)
    client = sqs(second.url)
    url = client.get_queue_url(QueueName="durable")["QueueUrl"]
    messages = client.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert [message["Body"] for message in messages] == ["still here"]


def test_acknowledged_writes_survive_kill_9(launch_nimbus, tmp_path):
    """A client sends in a loop; nimbus is killed with SIGKILL at a random
    moment; after a restart every acknowledged message is there."""
    data_dir = tmp_path / "state"
    server = launch_nimbus("--data-dir", str(data_dir), ephemeral=False)
    url = sqs(server.url).create_queue(QueueName="kill-9")["QueueUrl"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        client = sqs(server.url)
        for n in range(100_000):
            if stop.is_set():
                return
            body = f"{worker}-{n}"
            try:
                client.send_message(QueueUrl=url, MessageBody=body)
            except Exception:  # the server died mid-request: not acknowledged
                return
            acknowledged.append(body)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(random.uniform(0.3, 1.2))
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert acknowledged, "no write was acknowledged before the kill"

    restarted = launch_nimbus("--data-dir", str(data_dir), ephemeral=False)
    client = sqs(restarted.url)
    url = client.get_queue_url(QueueName="kill-9")["QueueUrl"]
    received: set[str] = set()
    while True:
        batch = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        messages = batch.get("Messages", [])
        if not messages:
            break
        received.update(message["Body"] for message in messages)
    missing = set(acknowledged) - received
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
