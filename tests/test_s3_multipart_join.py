"""CompleteMultipartUpload joins the parts' bytes into one object: parts
stored as files are copied by the kernel, a small last part (kept inside the
store) is appended from memory, and a full-object checksum reads every byte.
Whatever the path, the object reads back byte for byte, ranges across part
boundaries included, and survives a restart of a durable store."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import zlib

import boto3
import pytest
from botocore.config import Config

MIB = 1024 * 1024


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def upload_in_parts(s3, bucket: str, key: str, parts: list[bytes], checksum: str | None = None) -> dict:
    extra = {"ChecksumAlgorithm": checksum, "ChecksumType": "FULL_OBJECT"} if checksum else {}
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
    done = []
    for number, body in enumerate(parts, start=1):
        part_extra = {"ChecksumAlgorithm": checksum} if checksum else {}
        etag = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body, **part_extra
        )["ETag"]
        entry = {"PartNumber": number, "ETag": etag}
        if checksum:
            entry[f"Checksum{checksum}"] = crc32_b64(body)
        done.append(entry)
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
    )


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(part).digest() for part in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def parts_of(sizes: list[int]) -> list[bytes]:
    return [os.urandom(size) for size in sizes]


@pytest.mark.parametrize("checksum", [None, "CRC32"])
def test_parts_join_into_the_object_byte_for_byte(s3, checksum):
    bucket = f"join-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=bucket)
    # Two file-sized parts and a last one small enough to live inside the store.
    parts = parts_of([5 * MIB, 5 * MIB + 3, 10])
    data = b"".join(parts)
    done = upload_in_parts(s3, bucket, "joined", parts, checksum)
    assert done["ETag"] == multipart_etag(parts)
    if checksum:
        assert done["ChecksumCRC32"] == crc32_b64(data)
        assert done["ChecksumType"] == "FULL_OBJECT"
    else:
        assert "ChecksumCRC32" not in done

    got = s3.get_object(Bucket=bucket, Key="joined")
    assert got["ContentLength"] == len(data)
    assert got["ETag"] == multipart_etag(parts)
    assert got["Body"].read() == data
    # A range across both boundaries between parts.
    start, end = 5 * MIB - 7, 10 * MIB + 5
    ranged = s3.get_object(Bucket=bucket, Key="joined", Range=f"bytes={start}-{end}")
    assert ranged["ContentRange"] == f"bytes {start}-{end}/{len(data)}"
    assert ranged["Body"].read() == data[start : end + 1]


def test_joined_object_survives_a_restart_of_a_durable_store(launch_nimbus, tmp_path):
    def client(endpoint):
        return boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(s3={"addressing_style": "path"}),
        )

    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    s3 = client(server.url)
    s3.create_bucket(Bucket="durable-join")
    parts = parts_of([5 * MIB, 1 * MIB + 1])
    upload_in_parts(s3, "durable-join", "kept", parts)
    assert server.stop() == 0

    again = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    got = client(again.url).get_object(Bucket="durable-join", Key="kept")
    assert got["ETag"] == multipart_etag(parts)
    assert got["Body"].read() == b"".join(parts)
