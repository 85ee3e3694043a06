"""The front door end to end: internal endpoints, service identification,
NotImplemented in each protocol's shape, malformed requests, panics, logs,
and shutdown, against the real binary (see conftest.py)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
import urllib.request
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError

SIGNED_FOR = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=00"


def raw(endpoint: str, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """One plain HTTP request; returns (status, headers, body)."""
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def get_json(endpoint: str, path: str):
    status, _, body = raw(endpoint, "GET", path)
    assert status == 200, body
    return json.loads(body)


def health(endpoint: str) -> dict:
    return get_json(endpoint, "/_nimbus/health")


def require_not_implemented(endpoint: str, service: str):
    """NotImplemented tests use services nimbus does not serve yet; when one
    gets implemented, the test must move to another service, not skip."""
    assert health(endpoint)["services"].get(service) == "not_implemented", (
        f"{service} is implemented now: pick a service nimbus does not serve for this test"
    )


def error_of(excinfo) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )


# ------------------------------------------------------------ internal endpoints


def test_nimbus_health_lists_every_vendored_service(endpoint):
    document = health(endpoint)
    assert isinstance(document["version"], str) and document["version"]
    assert document["build"] in ("debug", "release")
    services = document["services"]
    for name in ("s3", "sqs", "sts", "dynamodb", "cloudwatch", "ec2", "lambda"):
        assert name in services
    assert set(services.values()) <= {"running", "not_implemented"}


def test_localstack_health_has_localstacks_shape(endpoint):
    document = get_json(endpoint, "/_localstack/health")
    assert set(document) == {"services", "edition", "version"}
    assert document["edition"] == "community"
    assert "s3" in document["services"]
    assert set(document["services"].values()) <= {"running", "disabled"}


def test_head_health_has_no_body(endpoint):
    status, _, body = raw(endpoint, "HEAD", "/_localstack/health")
    assert status == 200
    assert body == b""


def test_reset_endpoints(endpoint):
    status, _, body = raw(endpoint, "POST", "/_nimbus/reset")
    assert status == 200 and json.loads(body) == {"reset": True}
    status, _, body = raw(endpoint, "POST", "/moto-api/reset")
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_unknown_internal_endpoints_are_client_errors(endpoint):
    assert raw(endpoint, "GET", "/_nimbus/reset")[0] == 405
    assert raw(endpoint, "GET", "/_nimbus/no-such-thing")[0] == 404


def test_reset_forgets_issued_credentials(endpoint, aws_client):
    if health(endpoint)["services"].get("sts") != "running":
        pytest.skip("needs STS")
    import boto3

    issued = aws_client("sts").assume_role(
        RoleArn="arn:aws:iam::111111111111:role/reset-check", RoleSessionName="reset-check"
    )["Credentials"]

    def identity():
        return boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=issued["AccessKeyId"],
            aws_secret_access_key=issued["SecretAccessKey"],
            aws_session_token=issued["SessionToken"],
        ).get_caller_identity()

    assert identity()["Account"] == "111111111111"
    raw(endpoint, "POST", "/_nimbus/reset")
    try:
        assert identity()["Account"] != "111111111111"
    except ClientError:
        pass  # STS may reject the forgotten key outright; either way it is gone


# ------------------------------------------------- NotImplemented, per protocol


def test_json_service_not_implemented(endpoint, aws_client):
    require_not_implemented(endpoint, "kms")
    with pytest.raises(ClientError) as excinfo:
        aws_client("kms").list_keys()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("NotImplemented", 501)
    assert "ListKeys" in message


def test_query_service_not_implemented(endpoint, aws_client):
    require_not_implemented(endpoint, "rds")
    with pytest.raises(ClientError) as excinfo:
        aws_client("rds").describe_db_instances()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("NotImplemented", 501)
    assert "DescribeDBInstances" in message


def test_rest_xml_service_not_implemented(endpoint, aws_client):
    require_not_implemented(endpoint, "route53")
    with pytest.raises(ClientError) as excinfo:
        aws_client("route53").list_hosted_zones()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("NotImplemented", 501)
    assert "ListHostedZones" in message


def test_rest_json_operation_not_implemented(aws_client):
    # Lambda is the one vendored rest-json service: an operation it does
    # not serve yet answers NotImplemented, naming it.
    with pytest.raises(ClientError) as excinfo:
        aws_client("lambda").list_capacity_providers()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("NotImplemented", 501)
    assert "ListCapacityProviders" in message


def test_sqs_in_its_query_protocol_is_routed_to_sqs(endpoint):
    status, _, body = raw(
        endpoint,
        "POST",
        "/",
        b"Action=ListQueues&Version=2012-11-05",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": SIGNED_FOR.format("sqs"),
        },
    )
    assert status == 200, body
    assert b"<ListQueuesResponse" in body and b"<ListQueuesResult" in body


def test_gzip_compressed_request_is_routed(endpoint, aws_client):
    require_not_implemented(endpoint, "cloudwatch")
    client = aws_client("cloudwatch", request_min_compression_size_bytes=1)
    with pytest.raises(ClientError) as excinfo:
        client.put_metric_data(Namespace="nimbus/test", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_of(excinfo)[:2] == ("NotImplemented", 501)


def test_cli_reports_not_implemented(endpoint, aws):
    require_not_implemented(endpoint, "kms")
    result = aws("kms", "list-keys")
    assert result.returncode != 0
    assert "NotImplemented" in result.stderr and "ListKeys" in result.stderr


def test_dynamodb_streams_is_told_from_dynamodb_by_target(endpoint, aws_client):
    # Both sign as `dynamodb`; only the target says ListStreams is Streams'.
    streams = aws_client("dynamodbstreams").list_streams()
    assert streams["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert isinstance(streams["Streams"], list)


def test_presigned_sts_url_is_served(endpoint, aws_client):
    if health(endpoint)["services"].get("sts") != "running":
        pytest.skip("needs STS")
    # The shape EKS and Vault use: a presigned GetCallerIdentity as a GET.
    url = aws_client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60)
    parsed = urlparse(url)
    status, _, body = raw(endpoint, "GET", f"{parsed.path}?{parsed.query}")
    assert status == 200, body
    assert b"<Account>000000000000</Account>" in body


# ------------------------------------------------------------------- S3 styles


@pytest.mark.parametrize(
    "host",
    ["my-bucket.s3.localhost", "my-bucket.localhost", "my-bucket.s3.localhost.localstack.cloud"],
)
def test_virtual_hosted_s3_is_rewritten_to_path_style(endpoint, host):
    port = urlparse(endpoint).port
    status, _, body = raw(endpoint, "GET", "/", headers={"Host": f"{host}:{port}"})
    # The bucket became the path: ListObjects on my-bucket, not ListBuckets.
    assert status == 404, body
    assert b"<Code>NoSuchBucket</Code>" in body and b"<BucketName>my-bucket</BucketName>" in body


def test_anonymous_get_defaults_to_s3(endpoint):
    status, _, body = raw(endpoint, "GET", "/some-bucket/some/key.txt")
    assert status == 404, body
    assert b"<Code>NoSuchBucket</Code>" in body and b"<BucketName>some-bucket</BucketName>" in body


def test_presigned_s3_url_is_routed_to_s3(endpoint, aws_client):
    url = aws_client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": "presigned-nowhere", "Key": "k"}, ExpiresIn=60
    )
    parsed = urlparse(url)
    status, _, body = raw(endpoint, "GET", f"{parsed.path}?{parsed.query}")
    assert status == 404, body
    assert b"<BucketName>presigned-nowhere</BucketName>" in body


def test_aws_chunked_upload_is_decoded(endpoint, aws_client):
    aws_client("s3").create_bucket(Bucket="chunked-upload")
    body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
    status, _, response = raw(
        endpoint,
        "PUT",
        "/chunked-upload/key",
        body,
        {
            "Authorization": SIGNED_FOR.format("s3"),
            "Content-Encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "x-amz-decoded-content-length": "5",
            "x-amz-trailer": "x-amz-checksum-crc32",
        },
    )
    assert status == 200, response
    assert aws_client("s3").get_object(Bucket="chunked-upload", Key="key")["Body"].read() == b"hello"


def test_malformed_aws_chunked_body_is_400(endpoint):
    status, _, response = raw(
        endpoint,
        "PUT",
        "/bucket/key",
        b"zz\r\nnot a chunk",
        {
            "Authorization": SIGNED_FOR.format("s3"),
            "Content-Encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        },
    )
    assert status == 400, response


# --------------------------------------------------------- malformed requests


def test_unknown_service_in_scope_is_a_clear_400(endpoint):
    status, _, body = raw(
        endpoint,
        "POST",
        "/",
        b"Action=Frobnicate",
        {"Authorization": SIGNED_FOR.format("nosuchservice"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    assert b"UnknownService" in body and b"nosuchservice" in body


def test_unknown_target_is_a_json_400(endpoint):
    status, headers, body = raw(
        endpoint,
        "POST",
        "/",
        b"{}",
        {"X-Amz-Target": "NoSuchService_20200101.DoIt", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert status == 400
    assert "UnknownService" in json.loads(body)["__type"]


def test_unsigned_unknown_action_is_400(endpoint):
    status, _, body = raw(
        endpoint, "POST", "/", b"Action=NoSuchActionAnywhere", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 400
    assert b"NoSuchActionAnywhere" in body


def test_malformed_signature_is_400(endpoint):
    status, _, body = raw(
        endpoint,
        "POST",
        "/",
        b"Action=GetCallerIdentity&Version=2011-06-15",
        {
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 400, body


# ------------------------------------------------------------ panics and logs


def debug_build(endpoint: str) -> bool:
    return health(endpoint)["build"] == "debug"


def test_handler_panic_is_500_and_server_keeps_serving(endpoint, aws_client):
    if not debug_build(endpoint):
        pytest.skip("the panic hook exists only in debug builds")
    client = aws_client("dynamodb")

    def ask_for_a_panic(request, **_):
        request.headers["x-nimbus-test-panic"] = "1"

    client.meta.events.register("before-sign.dynamodb.*", ask_for_a_panic)
    with pytest.raises(ClientError) as excinfo:
        client.list_tables()
    code, status, _ = error_of(excinfo)
    assert status == 500
    assert code == "InternalError"
    # Still serving, on new and on the same kind of request.
    assert health(endpoint)["services"]
    again = aws_client("dynamodb").list_tables()
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_every_request_is_logged_with_service_operation_status_duration(endpoint, nimbus, aws_client):
    require_not_implemented(endpoint, "rds")
    with pytest.raises(ClientError):
        aws_client("rds").describe_db_instances()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in nimbus.log().splitlines() if "operation=DescribeDBInstances" in line]
        if lines:
            break
        time.sleep(0.05)
    assert lines, nimbus.log()
    line = lines[-1]
    assert "service=rds" in line and "status=501" in line and "micros=" in line


# ----------------------------------------------------------- process lifecycle


def test_env_vars_configure_and_sigterm_exits_cleanly(launch_nimbus):
    server = launch_nimbus(env={"NIMBUS_LOG_LEVEL": "debug", "NIMBUS_DEFAULT_ACCOUNT": "123456789012"})
    assert get_json(server.url, "/_nimbus/health")["services"]
    # A keep-alive connection left open must not hold up shutdown.
    url = urlparse(server.url)
    idle = socket.create_connection((url.hostname, url.port))
    assert server.stop(timeout=10) == 0, server.log()
    idle.close()
    assert "DEBUG" in server.log() and "123456789012" in server.log()


def test_bad_flags_are_refused(nimbus_bin):
    import subprocess

    done = subprocess.run(
        [str(nimbus_bin), "--default-account", "not-an-account"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode != 0
    assert "12 digits" in done.stderr


def test_port_in_use_is_a_clear_failure(nimbus_bin, endpoint):
    import subprocess

    port = str(urlparse(endpoint).port)
    done = subprocess.run(
        [str(nimbus_bin), "--port", port, "--ephemeral"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode != 0
    assert "cannot listen" in done.stderr


def start_slow_request(server) -> tuple[socket.socket, bytes]:
    """Opens a GetCallerIdentity request whose body is only half sent, so it
    stays in flight until the rest arrives."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    url = urlparse(server.url)
    connection = socket.create_connection((url.hostname, url.port), timeout=10)
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: {url.hostname}:{url.port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Authorization: {SIGNED_FOR.format('sts')}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection.sendall(head + body[:10])
    return connection, body[10:]


def test_sigterm_finishes_in_flight_requests(launch_nimbus):
    server = launch_nimbus()
    connection, rest = start_slow_request(server)
    time.sleep(0.2)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert server.process.poll() is None, "exited with a request in flight"
    connection.sendall(rest)
    response = connection.recv(65536)
    connection.close()
    assert response.startswith(b"HTTP/1.1 200"), response
    assert server.process.wait(10) == 0, server.log()


def test_second_signal_exits_at_once(launch_nimbus):
    server = launch_nimbus()
    connection, _ = start_slow_request(server)
    time.sleep(0.2)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert server.process.poll() is None
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(5) != 0
    connection.close()


def test_form_typed_presigned_put_without_action_is_s3(endpoint, aws_client):
    """urllib sends data with a form Content-Type by default; a presigned
    SigV2 PUT carries no Action and no credential scope, so it is S3's."""
    aws_client("s3").create_bucket(Bucket="form-typed-put")
    url = aws_client("s3", signature_version="s3").generate_presigned_url(
        "put_object", Params={"Bucket": "form-typed-put", "Key": "k"}, ExpiresIn=60
    )
    request = urllib.request.Request(url, data=b"uploaded", method="PUT")
    assert request.get_header("Content-type") is None  # urllib adds the form type when sending
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    assert aws_client("s3").get_object(Bucket="form-typed-put", Key="k")["Body"].read() == b"uploaded"
