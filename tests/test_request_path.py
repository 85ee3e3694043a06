"""The request path's wire details, end to end through boto3 and raw HTTP:
what the gateway parses from the head (SigV4 forms, header-bound members,
URI labels) and what the rest codec writes back (request ids, header-bound
output members, HTTP-dates). These guard the hand-written fast paths in
sigv4.rs, identify.rs and codec/rest (request.rs, response.rs, timestamp.rs)."""

from __future__ import annotations

import base64
import email.utils
import http.client
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, urlparse

import boto3
import pytest
from botocore.exceptions import ClientError

HTTP_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$")


def raw(endpoint: str, method: str, path: str, headers: dict | None = None, body: bytes = b""):
    """One plain HTTP request; returns (status, lower-cased headers, body)."""
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def authorization(signed_headers: str, service: str = "s3", key: str = "test") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={key}/20240101/us-east-1/{service}/aws4_request, "
        f"SignedHeaders={signed_headers}, Signature={'0' * 64}"
    )


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


@pytest.fixture
def bucket(s3):
    name = f"request-path-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def test_get_object_headers_on_the_wire(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 1024, ContentType="text/csv", Metadata={"colour": "blue"})
    got = s3.get_object(Bucket=bucket, Key="k")
    headers = got["ResponseMetadata"]["HTTPHeaders"]
    assert got["Body"].read() == b"x" * 1024
    assert got["ContentType"] == "text/csv"
    assert got["ContentLength"] == 1024
    assert got["Metadata"] == {"colour": "blue"}
    # Last-Modified is an HTTP-date, to the second, and it parses back.
    assert HTTP_DATE.match(headers["last-modified"]), headers["last-modified"]
    modified = email.utils.parsedate_to_datetime(headers["last-modified"])
    assert abs((modified - datetime.now(timezone.utc)).total_seconds()) < 600
    assert got["LastModified"] == modified
    # S3's request id pair: the host id is derived from the request id.
    request_id = headers["x-amz-request-id"]
    assert got["ResponseMetadata"]["RequestId"] == request_id
    assert headers["x-amz-id-2"] == base64.b64encode(request_id.encode()).decode()


def test_header_bound_request_members(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    ranged = s3.get_object(Bucket=bucket, Key="k", Range="bytes=2-5")
    assert ranged["Body"].read() == b"2345"
    assert ranged["ContentRange"] == "bytes 2-5/10"
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=put["ETag"])
    assert not_modified.value.response["Error"]["Code"] == "304"
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"0000"')
    assert failed.value.response["Error"]["Code"] == "PreconditionFailed"
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as unmodified:
        s3.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert unmodified.value.response["Error"]["Code"] == "PreconditionFailed"


def test_keys_that_need_decoding_and_keys_that_do_not(s3, bucket, endpoint):
    keys = ["plain", "dir/sub/file.txt", "with space", "percent%41", "ünï/cødé", "trailing/"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode(), key
    # The same objects through raw, unsigned paths: escaped and not.
    status, _, body = raw(endpoint, "GET", f"/{bucket}/{quote('with space')}")
    assert (status, body) == (200, b"with space")
    status, _, body = raw(endpoint, "GET", f"/{bucket}/dir/sub/file.txt")
    assert (status, body) == (200, b"dir/sub/file.txt")
    status, _, body = raw(endpoint, "GET", f"/{bucket}/percent%2541")
    assert (status, body) == (200, b"percent%41")
    # A label that is not UTF-8 once decoded is the protocol's error, not a 500.
    status, _, body = raw(endpoint, "GET", f"/{bucket}/bad%FF")
    assert status == 400, body


def test_signature_forms_the_gateway_reads(endpoint, bucket, s3):
    s3.put_object(Bucket=bucket, Key="k", Body=b"body")
    base = {"x-amz-date": "20240101T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    # boto3's normalized list, and a list with capitals, blanks and an empty name.
    for signed in ["host;x-amz-content-sha256;x-amz-date", "Host ; X-Amz-Date;;x-amz-content-sha256"]:
        status, headers, body = raw(endpoint, "GET", f"/{bucket}/k", {**base, "Authorization": authorization(signed)})
        assert (status, body) == (200, b"body"), signed
        assert headers["x-amz-request-id"]
    # Malformed scopes are S3's AuthorizationHeaderMalformed.
    for credential in ["test/20240101/us-east-1/s3", "test/2024/us-east-1/s3/aws4_request", "test/20240101/us-east-1/s3/aws4_request/extra"]:
        malformed = f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=00"
        status, _, body = raw(endpoint, "GET", f"/{bucket}/k", {**base, "Authorization": malformed})
        assert status == 400 and b"AuthorizationHeaderMalformed" in body, credential
    missing = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, Signature=00"
    status, _, body = raw(endpoint, "GET", f"/{bucket}/k", {**base, "Authorization": missing})
    assert status == 400 and b"SignedHeaders" in body


def test_the_scope_key_names_the_account(endpoint, aws_client):
    # A 12-digit access key acts in that account: its tables are its own.
    table = f"request-path-{uuid.uuid4().hex[:12]}"
    mine = aws_client("dynamodb")
    mine.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    other = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="123456789012",
        aws_secret_access_key="test",
    )
    assert table in mine.list_tables()["TableNames"]
    assert table not in other.list_tables()["TableNames"]
    arn = mine.describe_table(TableName=table)["Table"]["TableArn"]
    assert ":123456789012:" not in arn
    other.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert ":123456789012:" in other.describe_table(TableName=table)["Table"]["TableArn"]


def test_json_and_query_services_route_by_content_type_without_case(endpoint, aws_client):
    # DynamoDB by X-Amz-Target; the request id in x-amzn-requestid.
    status, headers, body = raw(
        endpoint,
        "POST",
        "/",
        {
            "Authorization": authorization("host", service="dynamodb"),
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "Application/X-Amz-Json-1.0",
        },
        b"{}",
    )
    assert status == 200, body
    assert b"TableNames" in body
    assert headers["x-amzn-requestid"]
    # SQS in its query protocol, told apart by a form Content-Type in capitals.
    status, _, body = raw(
        endpoint,
        "POST",
        "/",
        {
            "Authorization": authorization("host", service="sqs"),
            "Content-Type": "Application/X-WWW-Form-Urlencoded; charset=utf-8",
        },
        b"Action=ListQueues&Version=2012-11-05",
    )
    assert status == 200, body
    assert b"<ListQueuesResponse" in body
    # And through the real clients.
    assert "TableNames" in aws_client("dynamodb").list_tables()
    assert aws_client("sqs").list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
