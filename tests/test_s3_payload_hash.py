"""S3 payload integrity, end to end against the real nimbus binary: a body
must match the hex SHA-256 its `x-amz-content-sha256` declares (buffered and
streamed uploads; nothing is stored otherwise), a value that is neither a
hash nor a known keyword is refused, and boto3 is unaffected. With
--verify-signatures, the chained chunk signatures of signed aws-chunked
uploads are checked too."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import re
import uuid
from urllib.parse import urlparse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import client_for, object_stored

KIB = 1024
WRONG_SHA256 = hashlib.sha256(b"not the body").hexdigest()
INVALID_ARGUMENT_MESSAGE = (
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
    "or a valid sha256 value."
)


@pytest.fixture
def s3(aws_client):
    return aws_client("s3", s3={"addressing_style": "path"})


@pytest.fixture
def bucket(s3):
    name = f"hash-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def signed_request(
    endpoint: str, method: str, path: str, body: bytes, content_sha256: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """A request signed with SigV4 over `content_sha256` as the payload hash
    (whatever the body really is), sent as is."""
    request = AWSRequest(
        method=method,
        url=endpoint + path,
        data=body,
        headers={"x-amz-content-sha256": content_sha256, **(headers or {})},
    )
    SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def xml_field(body: str, name: str) -> str | None:
    found = re.search(f"<{name}>(.*?)</{name}>", body, re.S)
    return found.group(1) if found else None


def assert_mismatch(status: int, body: str, declared: str, data: bytes) -> None:
    assert status == 400, body
    assert xml_field(body, "Code") == "XAmzContentSHA256Mismatch", body
    assert xml_field(body, "Message") == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert xml_field(body, "ClientComputedContentSHA256") == declared
    assert xml_field(body, "S3ComputedContentSHA256") == hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------ buffered bodies


def test_matching_hash_is_accepted(endpoint, s3, bucket):
    data = b"exactly these bytes"
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/ok", data, hashlib.sha256(data).hexdigest())
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == data
    # Upper-case hex is the same hash.
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/upper", data, hashlib.sha256(data).hexdigest().upper())
    assert status == 200, body


def test_wrong_hash_is_refused_and_nothing_stored(endpoint, s3, bucket):
    data = b"x" * KIB
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/wrong", data, WRONG_SHA256)
    assert_mismatch(status, body, WRONG_SHA256, data)
    assert not object_stored(s3, bucket, "wrong")


def test_wrong_hash_on_an_upload_part_stores_no_part(endpoint, s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    data = b"part data"
    status, body = signed_request(
        endpoint, "PUT", f"/{bucket}/parts?partNumber=1&uploadId={upload_id}", data, WRONG_SHA256
    )
    assert_mismatch(status, body, WRONG_SHA256, data)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="parts", UploadId=upload_id)


def test_bodyless_request_checks_the_empty_hash(endpoint, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    empty = hashlib.sha256(b"").hexdigest()
    assert signed_request(endpoint, "GET", f"/{bucket}/k", b"", empty) == (200, "v")
    status, body = signed_request(endpoint, "GET", f"/{bucket}/k", b"", WRONG_SHA256)
    assert_mismatch(status, body, WRONG_SHA256, b"")


@pytest.mark.parametrize("value", ["not-a-hash", "UNSIGNED", "a" * 63, "g" * 64, "streaming-unsigned-payload-trailer"])
def test_garbled_value_is_invalid_argument(endpoint, s3, bucket, value):
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/garbled", b"data", value)
    assert status == 400, body
    assert xml_field(body, "Code") == "InvalidArgument", body
    assert xml_field(body, "Message") == INVALID_ARGUMENT_MESSAGE
    assert xml_field(body, "ArgumentName") == "x-amz-content-sha256"
    assert xml_field(body, "ArgumentValue") == value
    assert not object_stored(s3, bucket, "garbled")


def test_keywords_skip_the_check(endpoint, s3, bucket):
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/unsigned", b"anything", "UNSIGNED-PAYLOAD")
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="unsigned")["Body"].read() == b"anything"


def test_boto3_uploads_still_work(s3, bucket):
    """boto3 signs the body's hash over plain HTTP: it must verify."""
    s3.put_object(Bucket=bucket, Key="boto", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="boto")["Body"].read() == b"hello"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"p" * KIB)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p" * KIB


# ------------------------------------------------------------ streamed bodies (>= 256 KiB)


def test_streamed_upload_with_wrong_hash_stores_nothing(endpoint, s3, bucket):
    data = os.urandom(600 * KIB)
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/big-wrong", data, WRONG_SHA256)
    assert_mismatch(status, body, WRONG_SHA256, data)
    assert not object_stored(s3, bucket, "big-wrong")

    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big-part")["UploadId"]
    status, body = signed_request(
        endpoint, "PUT", f"/{bucket}/big-part?partNumber=1&uploadId={upload_id}", data, WRONG_SHA256
    )
    assert_mismatch(status, body, WRONG_SHA256, data)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="big-part", UploadId=upload_id)


def test_streamed_upload_with_matching_hash_is_stored(endpoint, s3, bucket):
    data = os.urandom(600 * KIB)
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/big-ok", data, hashlib.sha256(data).hexdigest())
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="big-ok")["Body"].read() == data


def test_boto3_streamed_upload_still_works(s3, bucket):
    data = os.urandom(2 * 1024 * KIB)
    s3.put_object(Bucket=bucket, Key="boto-big", Body=data)
    assert s3.get_object(Bucket=bucket, Key="boto-big")["Body"].read() == data


# ------------------------------------------------------------ chunk signatures (--verify-signatures)

STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@pytest.fixture
def verifying(launch_nimbus):
    """A nimbus started with --verify-signatures, its URL and an S3 client."""
    server = launch_nimbus("--verify-signatures")
    client = client_for(server.url, "s3", s3={"addressing_style": "path"})
    bucket = f"chunks-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return server.url, client, bucket


def signing_key(secret: str, date: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def chunked_upload(
    endpoint: str, path: str, data: bytes, chunk: int, tamper: int | None = None, payload_hash: str | None = None
) -> tuple[int, str]:
    """A signed aws-chunked upload built by hand: the seed signature by
    botocore, each chunk's chained to the one before. `tamper` is the index
    of a chunk (the final empty one included) whose signature is garbled."""
    pieces = [data[start : start + chunk] for start in range(0, len(data), chunk)] + [b""]
    framed_len = sum(len(f"{len(p):x};chunk-signature=".encode()) + 64 + 2 + len(p) + 2 for p in pieces)
    headers = {
        "x-amz-content-sha256": STREAMING,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Length": str(framed_len),
    }
    request = AWSRequest(method="PUT", url=endpoint + path, headers=headers)
    SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    timestamp = request.headers["X-Amz-Date"]
    scope = f"{timestamp[:8]}/us-east-1/s3/aws4_request"
    key = signing_key("test", timestamp[:8])
    previous = re.search(r"Signature=([0-9a-f]{64})", request.headers["Authorization"]).group(1)
    body = bytearray()
    for index, piece in enumerate(pieces):
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                timestamp,
                scope,
                previous,
                EMPTY_SHA256,
                payload_hash or hashlib.sha256(piece).hexdigest(),
            ]
        )
        signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        previous = signature
        if index == tamper:
            signature = signature[::-1]
        body += f"{len(piece):x};chunk-signature={signature}\r\n".encode() + piece + b"\r\n"
    assert len(body) == framed_len
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        connection.request("PUT", path, body=bytes(body), headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("size", [20 * KIB, 600 * KIB], ids=["buffered", "streamed"])
def test_signed_chunks_verify(verifying, size):
    endpoint, s3, bucket = verifying
    data = os.urandom(size)
    status, body = chunked_upload(endpoint, f"/{bucket}/chunked", data, 64 * KIB if size > 64 * KIB else 8 * KIB)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data


@pytest.mark.parametrize(
    ("size", "tamper"),
    [(20 * KIB, 1), (20 * KIB, 3), (600 * KIB, 9), (600 * KIB, 10)],
    ids=["buffered-middle", "buffered-final", "streamed-last-data", "streamed-final"],
)
def test_tampered_chunk_signature_is_refused(verifying, size, tamper):
    endpoint, s3, bucket = verifying
    data = os.urandom(size)
    chunk = 64 * KIB if size > 64 * KIB else 8 * KIB
    status, body = chunked_upload(endpoint, f"/{bucket}/tampered", data, chunk, tamper=tamper)
    assert status == 403, body
    assert xml_field(body, "Code") == "SignatureDoesNotMatch", body
    assert xml_field(body, "StringToSign").startswith("AWS4-HMAC-SHA256-PAYLOAD")
    assert not object_stored(s3, bucket, "tampered")


def test_chunk_signed_over_other_data_is_refused(verifying):
    endpoint, s3, bucket = verifying
    status, body = chunked_upload(
        endpoint, f"/{bucket}/other", os.urandom(20 * KIB), 8 * KIB, payload_hash=hashlib.sha256(b"x").hexdigest()
    )
    assert status == 403 and xml_field(body, "Code") == "SignatureDoesNotMatch", body
    assert not object_stored(s3, bucket, "other")


def test_unverified_server_ignores_chunk_signatures(endpoint, s3, bucket):
    data = os.urandom(20 * KIB)
    status, body = chunked_upload(endpoint, f"/{bucket}/lenient", data, 8 * KIB, tamper=1)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="lenient")["Body"].read() == data


def test_mismatched_body_hash_under_verification(verifying):
    """The signature covers the (wrong) declared hash, so it verifies; the
    body check still refuses the upload."""
    endpoint, s3, bucket = verifying
    data = b"verified but wrong"
    status, body = signed_request(endpoint, "PUT", f"/{bucket}/v-wrong", data, WRONG_SHA256)
    assert_mismatch(status, body, WRONG_SHA256, data)
    assert not object_stored(s3, bucket, "v-wrong")
