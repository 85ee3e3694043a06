"""S3 object bodies streamed end to end: large uploads and downloads through
boto3's transfer manager, aws-chunked uploads with trailing checksums, and
uploads that fail part-way (nothing may be stored)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import uuid
import zlib
from urllib.parse import urlparse

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from conftest import object_stored

MIB = 1024 * 1024
# The round-trip object; NIMBUS_STREAM_TEST_MIB overrides it (e.g. 1024).
ROUND_TRIP_MIB = int(os.environ.get("NIMBUS_STREAM_TEST_MIB", "256"))
UNSIGNED = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


@pytest.fixture
def bucket(s3):
    name = f"stream-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def error_of(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def pattern(size: int) -> bytes:
    """Bytes that differ from one MiB to the next, so misplaced chunks show."""
    block = os.urandom(MIB)
    return b"".join(block[i % MIB :] + block[: i % MIB] for i in range(size // MIB)) + block[: size % MIB]


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def aws_chunked(data: bytes, chunk: int, trailers: dict[str, str], signed: bool = False) -> bytes:
    """An aws-chunked body: `chunk`-byte chunks, the final empty one, trailers."""
    extension = ";chunk-signature=" + "0" * 64 if signed else ""
    out = bytearray()
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        out += f"{len(piece):x}{extension}\r\n".encode() + piece + b"\r\n"
    out += f"0{extension}\r\n".encode()
    for name, value in trailers.items():
        out += f"{name}:{value}\r\n".encode()
    return bytes(out + b"\r\n")


def chunked_headers(decoded_len: int, trailer: str | None = None) -> dict[str, str]:
    headers = {
        "Authorization": UNSIGNED,
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": str(decoded_len),
    }
    if trailer:
        headers["x-amz-trailer"] = trailer
    return headers


def raw_put(endpoint: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        connection.request("PUT", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ------------------------------------------------------------ round trips


def test_large_object_round_trips_through_the_transfer_manager(s3, bucket, tmp_path):
    """upload_file (multipart: streamed UploadPart) and download_file (ranged,
    streamed GETs), compared by hash; the object is also read back whole as a
    stream of chunks."""
    size = ROUND_TRIP_MIB * MIB
    source = tmp_path / "source.bin"
    digest = hashlib.sha256()
    block = os.urandom(MIB)
    with source.open("wb") as out:
        for index in range(ROUND_TRIP_MIB):
            piece = block[index:] + block[:index]
            digest.update(piece)
            out.write(piece)
    config = TransferConfig(multipart_chunksize=32 * MIB, max_concurrency=4)
    s3.upload_file(str(source), bucket, "big", Config=config)
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == size

    target = tmp_path / "target.bin"
    s3.download_file(bucket, "big", str(target), Config=config)
    copied = hashlib.sha256()
    with target.open("rb") as stream:
        while piece := stream.read(8 * MIB):
            copied.update(piece)
    assert copied.hexdigest() == digest.hexdigest()

    whole = hashlib.sha256()
    body = s3.get_object(Bucket=bucket, Key="big")["Body"]
    for piece in body.iter_chunks(chunk_size=4 * MIB):
        whole.update(piece)
    assert whole.hexdigest() == digest.hexdigest()


def test_single_put_streams_with_its_checksum_and_ranges_read_back(s3, bucket):
    data = pattern(12 * MIB + 123)
    put = s3.put_object(Bucket=bucket, Key="one", Body=data, ChecksumAlgorithm="SHA256")
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    expected_sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert put["ChecksumSHA256"] == expected_sha

    got = s3.get_object(Bucket=bucket, Key="one", ChecksumMode="ENABLED")
    assert got["ContentLength"] == len(data)
    assert got["ChecksumSHA256"] == expected_sha
    assert got["Body"].read() == data

    ranged = s3.get_object(Bucket=bucket, Key="one", Range=f"bytes={3 * MIB}-{9 * MIB + 7}")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert ranged["ContentRange"] == f"bytes {3 * MIB}-{9 * MIB + 7}/{len(data)}"
    assert ranged["Body"].read() == data[3 * MIB : 9 * MIB + 8]

    head = s3.head_object(Bucket=bucket, Key="one")
    assert head["ContentLength"] == len(data)


def test_aws_chunked_upload_streams_with_its_trailing_checksum(endpoint, s3, bucket):
    data = pattern(3 * MIB + 5)
    body = aws_chunked(data, 64 * 1024, {"x-amz-checksum-crc32": crc32_b64(data)})
    status, response = raw_put(
        endpoint, f"/{bucket}/chunked", body, chunked_headers(len(data), "x-amz-checksum-crc32")
    )
    assert status == 200, response
    head = s3.head_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(data)
    assert head["ChecksumCRC32"] == crc32_b64(data)
    assert head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data


def test_streamed_parts_carry_the_uploads_checksum(s3, bucket):
    parts = [pattern(5 * MIB), pattern(MIB + 3)]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        part = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=data, ChecksumAlgorithm="SHA256"
        )
        expected = base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert part["ChecksumSHA256"] == expected
        assert part["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        done.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumSHA256": expected})
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(parts)


def test_large_copy_streams_and_computes_a_new_checksum(s3, bucket):
    data = pattern(6 * MIB + 17)
    s3.put_object(Bucket=bucket, Key="source", Body=data)
    copied = s3.copy_object(
        Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "source"}, ChecksumAlgorithm="CRC32"
    )["CopyObjectResult"]
    assert copied["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert copied["ChecksumCRC32"] == crc32_b64(data)
    got = s3.get_object(Bucket=bucket, Key="copy", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(data)
    assert got["Body"].read() == data


# ------------------------------------------------- failures store nothing


def test_wrong_trailing_checksum_is_bad_digest_and_stores_nothing(endpoint, s3, bucket):
    data = pattern(2 * MIB)
    body = aws_chunked(data, 64 * 1024, {"x-amz-checksum-crc32": crc32_b64(b"something else")})
    status, response = raw_put(
        endpoint, f"/{bucket}/bad-trailer", body, chunked_headers(len(data), "x-amz-checksum-crc32")
    )
    assert status == 400 and b"<Code>BadDigest</Code>" in response, response
    assert not object_stored(s3, bucket, "bad-trailer")


def test_broken_chunk_framing_mid_stream_is_incomplete_body(endpoint, s3, bucket):
    data = pattern(2 * MIB)
    body = aws_chunked(data, 64 * 1024, {})
    # Corrupt the CRLF after the twentieth chunk's data (past the first MiB).
    framed_chunk = len(f"{64 * 1024:x}\r\n") + 64 * 1024 + 2
    cut = 20 * framed_chunk - 2
    broken = body[:cut] + b"XX" + body[cut + 2 :]
    status, response = raw_put(endpoint, f"/{bucket}/broken", broken, chunked_headers(len(data)))
    assert status == 400 and b"<Code>IncompleteBody</Code>" in response, response
    assert not object_stored(s3, bucket, "broken")


def test_decoded_length_mismatch_is_incomplete_body(endpoint, s3, bucket):
    data = pattern(MIB)
    body = aws_chunked(data, 64 * 1024, {})
    status, response = raw_put(endpoint, f"/{bucket}/short", body, chunked_headers(len(data) + 10))
    assert status == 400 and b"<Code>IncompleteBody</Code>" in response, response
    assert not object_stored(s3, bucket, "short")


def test_small_chunks_in_a_signed_stream_are_refused(endpoint, s3, bucket):
    data = pattern(MIB)
    body = aws_chunked(data, 4096, {}, signed=True)
    headers = chunked_headers(len(data))
    headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    status, response = raw_put(endpoint, f"/{bucket}/tiny-chunks", body, headers)
    assert status == 400 and b"<Code>InvalidChunkSizeError</Code>" in response, response
    assert not object_stored(s3, bucket, "tiny-chunks")


def test_content_md5_mismatch_on_a_large_body_stores_nothing(s3, bucket):
    data = pattern(4 * MIB)
    wrong = base64.b64encode(hashlib.md5(b"not the body").digest()).decode()
    code, status = error_of(s3.put_object, Bucket=bucket, Key="md5", Body=data, ContentMD5=wrong)
    assert (code, status) == ("BadDigest", 400)
    assert not object_stored(s3, bucket, "md5")

    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="part-md5")["UploadId"]
    code, status = error_of(
        s3.upload_part, Bucket=bucket, Key="part-md5", UploadId=upload_id, PartNumber=1, Body=data, ContentMD5=wrong
    )
    assert (code, status) == ("BadDigest", 400)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="part-md5", UploadId=upload_id)


def test_large_upload_to_a_missing_bucket_is_refused(endpoint, s3):
    data = pattern(8 * MIB)
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    # boto3 waits for 100 Continue, so the body is never sent.
    code, status = error_of(s3.put_object, Bucket=missing, Key="k", Body=data)
    assert (code, status) == ("NoSuchBucket", 404)
    # A client that sends the whole body first still reads the answer.
    headers = {"Authorization": UNSIGNED, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    status, response = raw_put(endpoint, f"/{missing}/k", data, headers)
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in response, response


def test_client_that_stops_sending_leaves_nothing_behind(endpoint, s3, bucket):
    url = urlparse(endpoint)
    sent = pattern(MIB)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        head = (
            f"PUT /{bucket}/cut-off HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
            f"Authorization: {UNSIGNED}\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
            f"Content-Length: {4 * MIB}\r\n\r\n"
        )
        connection.sendall(head.encode() + sent)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    if answer:
        assert b" 400 " in answer.split(b"\r\n", 1)[0] and b"IncompleteBody" in answer, answer
    assert not object_stored(s3, bucket, "cut-off")


def test_announced_body_over_the_limit_is_entity_too_large(endpoint, bucket):
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("PUT", f"/{bucket}/huge")
        connection.putheader("Authorization", UNSIGNED)
        connection.putheader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        connection.putheader("Content-Length", str(6 * 1024 * MIB))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400
        assert b"<Code>EntityTooLarge</Code>" in response.read()
    finally:
        connection.close()
