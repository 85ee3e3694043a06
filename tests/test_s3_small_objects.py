"""Small S3 objects (up to 64 KiB) are kept inside the store rather than as
blob files: no file per object, durable with the commit that records the
object, and indistinguishable for a client from large objects (ranges,
overwrites, deletes, snapshots, reset, restarts, `kill -9`)."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

import pytest

from conftest import client_for

INLINE_MAX = 64 * 1024


def s3_client(url: str):
    return client_for(url, "s3", s3={"addressing_style": "path"})


def body_of(size: int, seed: int) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(size))


def blob_files(data_dir: Path) -> list[Path]:
    blobs = data_dir / "blobs"
    return [path for path in blobs.rglob("*") if path.is_file()] if blobs.exists() else []


def post(url: str) -> dict:
    request = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


SIZES = {"one-byte": 1, "one-kib": 1024, "at-limit": INLINE_MAX, "over-limit": INLINE_MAX + 1, "large": 200_000}


def test_small_objects_have_no_files_and_survive_kill_9(launch_nimbus, tmp_path):
    data_dir = tmp_path / "state"
    server = launch_nimbus("--data-dir", str(data_dir), ephemeral=False)
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="small")
    expected: dict[str, bytes] = {}
    for seed, (key, size) in enumerate(SIZES.items()):
        expected[key] = body_of(size, seed)
        s3.put_object(Bucket="small", Key=key, Body=expected[key])
    # Only the two objects over 64 KiB are files.
    assert len(blob_files(data_dir)) == 2

    for key, body in expected.items():
        got = s3.get_object(Bucket="small", Key=key)
        assert got["ContentLength"] == len(body)
        assert got["Body"].read() == body
    ranged = s3.get_object(Bucket="small", Key="one-kib", Range="bytes=100-199")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert ranged["ContentRange"] == "bytes 100-199/1024"
    assert ranged["Body"].read() == expected["one-kib"][100:200]
    tail = s3.get_object(Bucket="small", Key="at-limit", Range="bytes=-10")["Body"].read()
    assert tail == expected["at-limit"][-10:]

    # A small object replaced by a large one and the other way round; one deleted.
    expected["one-byte"] = body_of(INLINE_MAX + 10, 50)
    s3.put_object(Bucket="small", Key="one-byte", Body=expected["one-byte"])
    expected["large"] = b"now small"
    s3.put_object(Bucket="small", Key="large", Body=expected["large"])
    s3.delete_object(Bucket="small", Key="one-kib")
    del expected["one-kib"]
    # Files: over-limit and the new one-byte; the old large file is gone.
    assert len(blob_files(data_dir)) == 2

    # Everything acknowledged survives SIGKILL (no graceful shutdown).
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data_dir), ephemeral=False)
    s3 = s3_client(restarted.url)
    listed = {item["Key"]: item["Size"] for item in s3.list_objects_v2(Bucket="small")["Contents"]}
    assert listed == {key: len(body) for key, body in expected.items()}
    for key, body in expected.items():
        assert s3.get_object(Bucket="small", Key=key)["Body"].read() == body
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="small", Key="one-kib")
    assert len(blob_files(data_dir)) == 2


def test_small_objects_in_snapshots_and_reset(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="snap")
    s3.put_object(Bucket="snap", Key="small", Body=b"saved small")
    s3.put_object(Bucket="snap", Key="large", Body=body_of(INLINE_MAX + 1, 3))
    assert post(f"{server.url}/_nimbus/snapshots/before") == {"name": "before"}

    s3.put_object(Bucket="snap", Key="small", Body=b"changed")
    s3.delete_object(Bucket="snap", Key="large")
    s3.put_object(Bucket="snap", Key="added", Body=b"added later")

    post(f"{server.url}/_nimbus/snapshots/before/restore")
    assert s3.get_object(Bucket="snap", Key="small")["Body"].read() == b"saved small"
    assert s3.get_object(Bucket="snap", Key="large")["Body"].read() == body_of(INLINE_MAX + 1, 3)
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="snap", Key="added")

    post(f"{server.url}/_nimbus/reset")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.get_object(Bucket="snap", Key="small")
