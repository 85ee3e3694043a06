"""S3 for browsers, end to end against the real nimbus binary: CORS
preflights and CORS response headers, the static website endpoint, and the
validity window of presigned URLs (SigV4 and SigV2)."""

from __future__ import annotations

import datetime
import http.client
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from unittest import mock

import boto3
import pytest
from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import cli_env

CORS_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
    "whitelisted by the resource's CORS spec."
)
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


@pytest.fixture
def s3(aws_client):
    return aws_client("s3", s3={"addressing_style": "path"})


@pytest.fixture
def s3v4(aws_client):
    """Presigns with SigV4 (botocore presigns S3 URLs with SigV2 by default)."""
    return aws_client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")


@pytest.fixture
def bucket(s3):
    name = f"web-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


class Raw:
    """Plain HTTP to nimbus, with any Host header."""

    def __init__(self, endpoint: str):
        url = urllib.parse.urlparse(endpoint)
        self.host, self.port = url.hostname, url.port

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, host: str | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        all_headers = dict(headers or {})
        if host is not None:
            all_headers["Host"] = f"{host}:{self.port}"
        connection.request(method, path, headers=all_headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body


@pytest.fixture
def raw(endpoint):
    return Raw(endpoint)


def put_cors(s3, bucket):
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["http://*.example.com"],
                    "AllowedMethods": ["GET", "PUT"],
                    "AllowedHeaders": ["Content-Type", "x-amz-*"],
                    "ExposeHeaders": ["ETag", "x-amz-request-id"],
                    "MaxAgeSeconds": 3000,
                },
                {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
            ]
        },
    )


# ---------------------------------------------------------------- CORS preflight


def test_preflight_grants_a_matching_rule(s3, raw, bucket):
    put_cors(s3, bucket)
    response, body = raw.request(
        "OPTIONS",
        f"/{bucket}/some/key.txt",
        {
            "Origin": "http://app.example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "Content-Type, X-Amz-Date",
        },
    )
    assert response.status == 200, body
    assert body == b""
    assert response.getheader("Access-Control-Allow-Origin") == "http://app.example.com"
    assert response.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    assert response.getheader("Access-Control-Allow-Headers") == "content-type, x-amz-date"
    assert response.getheader("Access-Control-Expose-Headers") == "ETag, x-amz-request-id"
    assert response.getheader("Access-Control-Max-Age") == "3000"
    assert response.getheader("Access-Control-Allow-Credentials") == "true"
    assert response.getheader("Vary") == VARY


def test_preflight_with_any_origin_answers_star(s3, raw, bucket):
    put_cors(s3, bucket)
    response, _ = raw.request(
        "OPTIONS", f"/{bucket}", {"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "HEAD"}
    )
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert response.getheader("Access-Control-Allow-Methods") == "GET, HEAD"
    assert response.getheader("Access-Control-Allow-Credentials") is None
    assert response.getheader("Access-Control-Max-Age") is None


def test_preflight_virtual_hosted(s3, raw, bucket):
    put_cors(s3, bucket)
    response, _ = raw.request(
        "OPTIONS",
        "/k",
        {"Origin": "http://a.example.com", "Access-Control-Request-Method": "GET"},
        host=f"{bucket}.s3.localhost",
    )
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "http://a.example.com"


@pytest.mark.parametrize(
    "origin, method, headers",
    [
        ("http://example.org", "PUT", None),  # origin matches no PUT rule
        ("http://app.example.com", "DELETE", None),  # method not allowed
        ("http://app.example.com", "PUT", "Authorization"),  # header not allowed
    ],
)
def test_preflight_refused_when_no_rule_matches(s3, raw, bucket, origin, method, headers):
    put_cors(s3, bucket)
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    response, body = raw.request("OPTIONS", f"/{bucket}/key", request_headers)
    text = body.decode()
    assert response.status == 403
    assert "<Code>AccessForbidden</Code>" in text
    assert f"<Message>{CORS_NOT_ALLOWED.replace(chr(39), '&apos;')}</Message>" in text or CORS_NOT_ALLOWED in text
    assert f"<Method>{method}</Method>" in text
    assert "<ResourceType>OBJECT</ResourceType>" in text
    assert response.getheader("Access-Control-Allow-Origin") is None


def test_preflight_without_cors_configuration(raw, bucket):
    response, body = raw.request(
        "OPTIONS", f"/{bucket}", {"Origin": "http://a.test", "Access-Control-Request-Method": "GET"}
    )
    assert response.status == 403
    assert "<Message>CORSResponse: CORS is not enabled for this bucket.</Message>" in body.decode()
    assert "<ResourceType>BUCKET</ResourceType>" in body.decode()


def test_preflight_bad_requests_and_missing_bucket(raw, bucket):
    response, body = raw.request("OPTIONS", f"/{bucket}/k", {"Access-Control-Request-Method": "GET"})
    assert response.status == 400
    assert "<Code>BadRequest</Code>" in body.decode()
    assert "Insufficient information. Origin request header needed." in body.decode()

    response, body = raw.request("OPTIONS", f"/{bucket}/k", {"Origin": "http://a.test"})
    assert response.status == 400
    assert "<Message>Invalid Access-Control-Request-Method: null</Message>" in body.decode()

    response, body = raw.request(
        "OPTIONS", "/no-such-bucket-web", {"Origin": "http://a.test", "Access-Control-Request-Method": "GET"}
    )
    assert response.status == 404
    assert "<Code>NoSuchBucket</Code>" in body.decode()


# ---------------------------------------------------------------- CORS on actual requests


def test_cors_headers_on_requests_with_an_origin(s3, raw, bucket):
    put_cors(s3, bucket)
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"hello")
    response, body = raw.request("GET", f"/{bucket}/k.txt", {"Origin": "http://app.example.com"})
    assert response.status == 200 and body == b"hello"
    assert response.getheader("Access-Control-Allow-Origin") == "http://app.example.com"
    assert response.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    assert response.getheader("Access-Control-Expose-Headers") == "ETag, x-amz-request-id"
    assert response.getheader("Access-Control-Max-Age") == "3000"
    assert response.getheader("Access-Control-Allow-Credentials") == "true"
    assert response.getheader("Vary") == VARY

    # HEAD only matches the second rule.
    response, _ = raw.request("HEAD", f"/{bucket}/k.txt", {"Origin": "http://app.example.com"})
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "*"

    # A method no rule allows, and requests without an Origin, get none.
    response, _ = raw.request("DELETE", f"/{bucket}/k.txt", {"Origin": "http://app.example.com"})
    assert response.status == 204
    assert response.getheader("Access-Control-Allow-Origin") is None
    response, _ = raw.request("GET", f"/{bucket}", {})
    assert response.getheader("Access-Control-Allow-Origin") is None


def test_boto3_round_trip_of_cors_still_works(s3, bucket):
    put_cors(s3, bucket)
    rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rules[0]["AllowedOrigins"] == ["http://*.example.com"]
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as error:
        s3.get_bucket_cors(Bucket=bucket)
    assert error.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"


# ---------------------------------------------------------------- website endpoint


def website_host(bucket: str) -> str:
    return f"{bucket}.s3-website.localhost"


def public_read_policy(bucket: str, listable: bool = True, extra: list | None = None) -> str:
    """The policy static sites use: anyone may read objects (and list the
    bucket, so that missing pages are 404 rather than 403)."""
    statements = [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    ]
    if listable:
        statements.append(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements + (extra or [])})


def make_public(s3, bucket: str, **kwargs) -> None:
    """What users do for a public website: lift the public access block,
    then put a public-read policy."""
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket, **kwargs))


@pytest.fixture
def site(s3, bucket):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
            "RoutingRules": [
                {
                    "Condition": {"KeyPrefixEquals": "old/"},
                    "Redirect": {"ReplaceKeyPrefixWith": "new/", "HttpRedirectCode": "302"},
                },
                {
                    "Condition": {"KeyPrefixEquals": "docs/"},
                    "Redirect": {"HostName": "docs.example.com", "Protocol": "https", "ReplaceKeyWith": "home"},
                },
                {
                    "Condition": {"HttpErrorCodeReturnedEquals": "404", "KeyPrefixEquals": "gone/"},
                    "Redirect": {"HostName": "archive.example.com"},
                },
            ],
        },
    )
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="about/index.html", Body=b"about", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"page", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="error.html", Body=b"custom error", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="moved", Body=b"", WebsiteRedirectLocation="/page.html")
    make_public(s3, bucket)
    return bucket


def test_website_serves_index_and_objects(raw, site):
    host = website_host(site)
    response, body = raw.request("GET", "/", host=host)
    assert response.status == 200 and body == b"<h1>home</h1>"
    assert response.getheader("Content-Type") == "text/html"
    assert response.getheader("ETag")
    response, body = raw.request("GET", "/about/", host=host)
    assert response.status == 200 and body == b"about"
    response, body = raw.request("GET", "/page.html", host=host)
    assert response.status == 200 and body == b"page"
    response, body = raw.request("HEAD", "/page.html", host=host)
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Length") == "4"
    # The AWS host forms name the bucket too.
    for aws_host in (f"{site}.s3-website-us-east-1.amazonaws.com", f"{site}.s3-website.eu-west-1.amazonaws.com"):
        response, body = raw.request("GET", "/page.html", host=aws_host)
        assert response.status == 200 and body == b"page"


def test_website_applies_cors_rules(s3, raw, site):
    put_cors(s3, site)
    host = website_host(site)
    response, _ = raw.request(
        "OPTIONS", "/page.html", {"Origin": "http://app.example.com", "Access-Control-Request-Method": "GET"}, host=host
    )
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "http://app.example.com"
    response, body = raw.request("GET", "/page.html", {"Origin": "http://app.example.com"}, host=host)
    assert response.status == 200 and body == b"page"
    assert response.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    response, _ = raw.request("GET", "/page.html", host=host)
    assert response.getheader("Access-Control-Allow-Origin") is None


def test_website_conditional_get(raw, site):
    host = website_host(site)
    response, _ = raw.request("GET", "/page.html", host=host)
    etag = response.getheader("ETag")
    response, body = raw.request("GET", "/page.html", {"If-None-Match": etag}, host=host)
    assert response.status == 304 and body == b""


def test_website_folder_without_slash_redirects(raw, site):
    response, body = raw.request("GET", "/about", host=website_host(site))
    assert response.status == 302
    assert response.getheader("Location") == "/about/"


def test_website_error_document_and_routing_rules(raw, site):
    host = website_host(site)
    response, body = raw.request("GET", "/missing.html", host=host)
    assert response.status == 404 and body == b"custom error"

    response, _ = raw.request("GET", "/old/a/b.html", host=host)
    assert response.status == 302
    assert response.getheader("Location") == f"http://{host}:{raw.port}/new/a/b.html"

    response, _ = raw.request("GET", "/docs/anything", host=host)
    assert response.status == 301
    assert response.getheader("Location") == "https://docs.example.com/home"

    response, _ = raw.request("GET", "/gone/x.html", host=host)
    assert response.status == 301
    assert response.getheader("Location") == "http://archive.example.com/gone/x.html"

    response, _ = raw.request("GET", "/moved", host=host)
    assert response.status == 301
    assert response.getheader("Location") == "/page.html"


def test_website_error_pages(s3, raw, bucket):
    host = website_host(bucket)
    response, body = raw.request("GET", "/", host=host)
    page = body.decode()
    assert response.status == 404
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "<title>404 Not Found</title>" in page
    assert "<li>Code: NoSuchWebsiteConfiguration</li>" in page
    assert "<li>Message: The specified bucket does not have a website configuration</li>" in page
    assert f"<li>BucketName: {bucket}</li>" in page
    assert re.search(r"<li>RequestId: [\w-]+</li>", page)

    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    make_public(s3, bucket)
    response, body = raw.request("GET", "/nope.html", host=host)
    page = body.decode()
    assert response.status == 404
    assert "<li>Code: NoSuchKey</li>" in page
    assert "<li>Message: The specified key does not exist.</li>" in page
    assert "<li>Key: nope.html</li>" in page

    response, body = raw.request("GET", "/", host=website_host("no-such-bucket-web"))
    assert response.status == 404
    assert "<li>Code: NoSuchBucket</li>" in body.decode()

    response, body = raw.request("PUT", "/x", host=host)
    page = body.decode()
    assert response.status == 405
    assert "<title>405 Method Not Allowed</title>" in page
    assert "<li>Code: MethodNotAllowed</li>" in page
    assert "<li>Method: PUT</li>" in page


def test_website_missing_error_document(s3, raw, bucket):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err.html"}},
    )
    make_public(s3, bucket)
    response, body = raw.request("GET", "/absent", host=website_host(bucket))
    page = body.decode()
    assert response.status == 404
    assert "<li>Key: absent</li>" in page
    assert "An Error Occurred While Attempting to Retrieve a Custom Error Document" in page
    assert "<li>Key: err.html</li>" in page


def test_website_redirect_all_requests(s3, raw, bucket):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}},
    )
    response, _ = raw.request("GET", "/a/b.html", host=website_host(bucket))
    assert response.status == 301
    assert response.getheader("Location") == "https://www.example.com/a/b.html"


# ---------------------------------------------------------------- website access (policy, ACLs, public access block)


def simple_site(s3, bucket: str, error_document: bool = False) -> str:
    config = {"IndexDocument": {"Suffix": "index.html"}}
    if error_document:
        config["ErrorDocument"] = {"Key": "error.html"}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"home", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="private/secret.html", Body=b"secret", ContentType="text/html")
    return website_host(bucket)


def assert_access_denied_page(response, body):
    page = body.decode()
    assert response.status == 403, page
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "<title>403 Forbidden</title>" in page
    assert "<li>Code: AccessDenied</li>" in page
    assert "<li>Message: Access Denied</li>" in page


def test_website_without_policy_is_forbidden(s3, raw, bucket):
    host = simple_site(s3, bucket)
    for path in ("/", "/index.html", "/missing.html"):
        assert_access_denied_page(*raw.request("GET", path, host=host))
    # Lifting the block alone grants nothing: a policy must say so.
    s3.delete_public_access_block(Bucket=bucket)
    assert_access_denied_page(*raw.request("GET", "/", host=host))
    # Plain API requests are not access-checked.
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"home"


def test_website_restrict_public_buckets_ignores_public_policy(s3, raw, bucket):
    host = simple_site(s3, bucket)
    make_public(s3, bucket)
    response, body = raw.request("GET", "/", host=host)
    assert response.status == 200 and body == b"home"
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )
    assert_access_denied_page(*raw.request("GET", "/", host=host))


def test_website_deny_on_a_prefix(s3, raw, bucket):
    host = simple_site(s3, bucket)
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:Get*",
        "Resource": f"arn:aws:s3:::{bucket}/private/*",
    }
    make_public(s3, bucket, extra=[deny])
    assert_access_denied_page(*raw.request("GET", "/private/secret.html", host=host))
    response, body = raw.request("GET", "/index.html", host=host)
    assert response.status == 200 and body == b"home"


def test_website_missing_key_without_list_permission_is_403(s3, raw, bucket):
    host = simple_site(s3, bucket)
    make_public(s3, bucket, listable=False)
    assert raw.request("GET", "/", host=host)[0].status == 200
    assert_access_denied_page(*raw.request("GET", "/missing.html", host=host))


def test_website_error_document_answers_403(s3, raw, bucket):
    host = simple_site(s3, bucket, error_document=True)
    # Unreadable error document: the 403 page tells so.
    response, body = raw.request("GET", "/", host=host)
    assert_access_denied_page(response, body)
    assert "An Error Occurred While Attempting to Retrieve a Custom Error Document" in body.decode()
    assert "<li>Key: error.html</li>" in body.decode()
    # A readable error document is served under the 403.
    s3.put_object(Bucket=bucket, Key="error.html", Body=b"custom error", ContentType="text/html")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/private/*"}
    make_public(s3, bucket, extra=[deny])
    response, body = raw.request("GET", "/private/secret.html", host=host)
    assert response.status == 403 and body == b"custom error"
    response, body = raw.request("GET", "/missing.html", host=host)
    assert response.status == 404 and body == b"custom error"


def test_website_public_read_object_acl(s3, raw, bucket):
    host = simple_site(s3, bucket)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.put_object(Bucket=bucket, Key="open.html", Body=b"open", ACL="public-read")
    response, body = raw.request("GET", "/open.html", host=host)
    assert response.status == 200 and body == b"open"
    # Objects without the ACL stay private.
    assert_access_denied_page(*raw.request("GET", "/index.html", host=host))
    # IgnorePublicAcls makes S3 disregard the grant.
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    assert_access_denied_page(*raw.request("GET", "/open.html", host=host))


def test_website_redirects_need_no_object_access(s3, raw, bucket):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "new/"}}],
        },
    )
    response, _ = raw.request("GET", "/old/a.html", host=website_host(bucket))
    assert response.status == 301
    assert response.getheader("Location").endswith("/new/a.html")
    # An object's redirect location is only followed when the object is readable.
    s3.put_object(Bucket=bucket, Key="moved", Body=b"", WebsiteRedirectLocation="/index.html")
    assert_access_denied_page(*raw.request("GET", "/moved", host=website_host(bucket)))


def test_block_public_policy_refuses_public_policies(s3, bucket):
    policy = public_read_policy(bucket)
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    error = caught.value.response
    assert error["Error"]["Code"] == "AccessDenied"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "because public policies are blocked by the BlockPublicPolicy block public access setting" in (
        error["Error"]["Message"]
    )
    assert f'resource: "arn:aws:s3:::{bucket}"' in error["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=bucket)
    assert caught.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    # A policy for a named principal, or one pinned to a source IP range, is not public.
    named = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*",
                 "Resource": f"arn:aws:s3:::{bucket}/*"},
            ]
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=named)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == named
    # Accepted once the block is lifted, either way.
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={"BlockPublicPolicy": False, "RestrictPublicBuckets": True},
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)


# ---------------------------------------------------------------- presigned URL validity


def fetch(url: str):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_presigned_sigv4_expired(s3v4, bucket):
    s3 = s3v4
    s3.put_object(Bucket=bucket, Key="p.txt", Body=b"x")
    signed_at = datetime.datetime(2020, 1, 2, 3, 4, 5)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p.txt"}, ExpiresIn=60)
    assert "X-Amz-Date=20200102T030405Z" in url
    status, body = fetch(url)
    assert status == 403
    assert "<Code>AccessDenied</Code>" in body
    assert "<Message>Request has expired</Message>" in body
    assert "<X-Amz-Expires>60</X-Amz-Expires>" in body
    assert "<Expires>2020-01-02T03:05:05Z</Expires>" in body
    assert re.search(r"<ServerTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</ServerTime>", body)

    # A fresh URL works.
    status, body = fetch(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p.txt"}))
    assert (status, body) == (200, "x")


def test_presigned_sigv4_limits(s3v4, bucket):
    s3 = s3v4
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=604801)
    status, body = fetch(url)
    assert status == 400
    assert "<Code>AuthorizationQueryParametersError</Code>" in body
    assert "X-Amz-Expires must be less than a week (in seconds) that is 604800" in body

    future = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(hours=1)
    with mock.patch("botocore.auth.get_current_datetime", return_value=future):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=60)
    status, body = fetch(url)
    assert status == 403
    assert "<Message>Request is not yet valid</Message>" in body


def test_presigned_sigv2_expired(aws_client, bucket):
    s3v2 = aws_client("s3", s3={"addressing_style": "path"}, signature_version="s3")
    s3v2.put_object(Bucket=bucket, Key="v2.txt", Body=b"v2")
    status, body = fetch(s3v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2.txt"}, ExpiresIn=-30))
    assert status == 403
    assert "<Message>Request has expired</Message>" in body
    assert "<Expires>" in body and "<ServerTime>" in body
    assert "<X-Amz-Expires>" not in body
    status, body = fetch(s3v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2.txt"}, ExpiresIn=60))
    assert (status, body) == (200, "v2")


# ---------------------------------------------------------------- signature verification (opt-in)


@pytest.fixture
def verifying(launch_nimbus):
    """A nimbus started with --verify-signatures, and a client factory for it."""
    server = launch_nimbus("--verify-signatures")

    def client(service: str, key: str = "test", secret: str = "test", token: str | None = None, **config):
        config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
        return boto3.client(
            service,
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(**config),
        )

    return server, client


def error_code(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as error:
        call()
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_verified_s3_requests(verifying):
    server, client = verifying
    s3 = client("s3", s3={"addressing_style": "path"})
    bucket = f"sig-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a b/c.txt", Body=b"signed", Metadata={"k": "v"})
    assert s3.get_object(Bucket=bucket, Key="a b/c.txt")["Body"].read() == b"signed"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="a b/")["Contents"]] == ["a b/c.txt"]

    assert error_code(lambda: client("s3", secret="wrong").list_buckets()) == ("SignatureDoesNotMatch", 403)
    assert error_code(lambda: client("s3", key="AKIAUNKNOWN").list_buckets()) == ("InvalidAccessKeyId", 403)

    # Presigned URLs (SigV4 and its tampered twin).
    presigner = client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a b/c.txt"})
    assert fetch(url) == (200, "signed")
    tampered = re.sub(r"X-Amz-Signature=[0-9a-f]{4}", "X-Amz-Signature=0000", url)
    status, body = fetch(tampered)
    assert status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in body
    assert re.search(r"<CanonicalRequest>GET(\n|&#xA;|&#10;)/" + bucket, body), body


def test_verified_json_and_query_services(verifying):
    _, client = verifying
    assert client("dynamodb").list_tables()["TableNames"] == []
    assert error_code(lambda: client("dynamodb", secret="wrong").list_tables()) == ("InvalidSignatureException", 400)
    assert error_code(lambda: client("dynamodb", key="AKIAUNKNOWN").list_tables()) == (
        "UnrecognizedClientException",
        400,
    )
    sts = client("sts")
    assert sts.get_caller_identity()["Account"]
    assert error_code(lambda: client("sts", secret="wrong").get_caller_identity()) == ("SignatureDoesNotMatch", 403)
    assert error_code(lambda: client("sts", key="AKIAUNKNOWN").get_caller_identity()) == ("InvalidClientTokenId", 403)

    # Keys issued by STS verify with their own secret.
    issued = sts.get_session_token()["Credentials"]
    temporary = client(
        "sqs", key=issued["AccessKeyId"], secret=issued["SecretAccessKey"], token=issued["SessionToken"]
    )
    name = f"sig-{uuid.uuid4().hex[:8]}"
    assert temporary.create_queue(QueueName=name)["QueueUrl"].endswith("/" + name)
    wrong = client("sqs", key=issued["AccessKeyId"], secret="x" * 40, token=issued["SessionToken"])
    assert error_code(lambda: wrong.list_queues()) == ("InvalidSignatureException", 400)


def test_verified_aws_cli(verifying, tmp_path):
    server, _ = verifying
    bucket = f"sig-cli-{uuid.uuid4().hex[:8]}"
    source = tmp_path / "f.txt"
    source.write_bytes(b"cli body")

    def aws(*args: str, secret: str = "test") -> subprocess.CompletedProcess:
        env = {**cli_env(), "AWS_SECRET_ACCESS_KEY": secret}
        return subprocess.run(
            ["aws", *args, "--endpoint-url", server.url], env=env, capture_output=True, text=True, timeout=60
        )

    assert aws("s3", "mb", f"s3://{bucket}").returncode == 0
    assert aws("s3", "cp", str(source), f"s3://{bucket}/dir/f.txt").returncode == 0
    listed = aws("s3", "ls", f"s3://{bucket}/dir/")
    assert listed.returncode == 0 and "f.txt" in listed.stdout
    refused = aws("s3", "ls", f"s3://{bucket}/", secret="wrong")
    assert refused.returncode != 0 and "SignatureDoesNotMatch" in refused.stderr


def test_verified_sigv2(verifying):
    _, client = verifying
    s3 = client("s3", signature_version="s3", s3={"addressing_style": "path"})
    bucket = f"sig2-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="v2 key.txt", Body=b"v2", ContentType="text/plain")
    assert s3.get_object(Bucket=bucket, Key="v2 key.txt", ResponseContentType="x/y")["ContentType"] == "x/y"
    s3.put_object_acl(Bucket=bucket, Key="v2 key.txt", ACL="bucket-owner-full-control")  # the ?acl subresource is signed too
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == ["v2 key.txt"]

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2 key.txt"})
    assert "AWSAccessKeyId=test" in url
    assert fetch(url) == (200, "v2")
    status, body = fetch(re.sub(r"Signature=[^&]{4}", "Signature=AAAA", url))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body

    wrong = client("s3", secret="wrong", signature_version="s3", s3={"addressing_style": "path"})
    assert error_code(lambda: wrong.list_objects(Bucket=bucket)) == ("SignatureDoesNotMatch", 403)


@pytest.mark.parametrize("signer", ["s3v4", "s3"])
def test_verified_virtual_hosted_requests(verifying, signer):
    """Signed for `<bucket>.localhost` and sent with that Host header (the
    name need not resolve: the connection goes to 127.0.0.1)."""
    server, client = verifying
    bucket = f"sigvh-{uuid.uuid4().hex[:10]}"
    s3 = client("s3", s3={"addressing_style": "path"})
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"vh")
    port = urllib.parse.urlparse(server.url).port
    host = f"{bucket}.localhost:{port}"

    def get(path: str, secret: str = "test") -> tuple[int, bytes]:
        request = AWSRequest(method="GET", url=f"http://{host}{path}")
        credentials = Credentials("test", secret)
        if signer == "s3v4":
            S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
        else:
            request.auth_path = f"/{bucket}{path.split('?')[0]}"
            HmacV1Auth(credentials).add_auth(request)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers={**dict(request.headers.items()), "Host": host})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    first = get("/dir/a%20b.txt")
    assert first == (200, b"vh"), first[1].decode()
    status, body = get("/?prefix=dir%2F")
    assert status == 200 and b"<Key>dir/a b.txt</Key>" in body, body.decode()
    status, body = get("/dir/a%20b.txt", secret="wrong")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body


# ---------------------------------------------------------------- ACLs S3 refuses to set


ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def error_of(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_owner_enforced_refuses_acls_first(s3, bucket):
    # New buckets: BucketOwnerEnforced (checked first) and BlockPublicAcls.
    not_supported = ("AccessControlListNotSupported", 400)
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ACL="public-read") == not_supported
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ACL="private") == not_supported
    assert error_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == not_supported
    assert error_of(s3.head_object, Bucket=bucket, Key="k") == ("404", 404)
    # The owner's full control is the one ACL such a bucket takes.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_block_public_acls_refuses_public_acls(s3, bucket):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    denied = ("AccessDenied", 403)
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ACL="public-read") == denied
    assert error_of(s3.head_object, Bucket=bucket, Key="k") == ("404", 404)
    assert error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", GrantRead=f'uri="{ALL_USERS}"') == denied
    assert error_of(s3.put_object_acl, Bucket=bucket, Key="src", ACL="public-read-write") == denied
    assert error_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == denied
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    policy = {
        "Owner": owner,
        "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}],
    }
    assert error_of(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=policy) == denied
    assert error_of(
        s3.copy_object, Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"}, ACL="public-read"
    ) == denied
    assert error_of(s3.create_multipart_upload, Bucket=bucket, Key="mp", ACL="authenticated-read") == denied
    assert len(s3.get_object_acl(Bucket=bucket, Key="src")["Grants"]) == 1
    # Private ACLs are fine; public ones once the block is lifted.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": False, "IgnorePublicAcls": True}
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    uris = [grant["Grantee"].get("URI") for grant in s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]]
    assert ALL_USERS in uris


def test_aws_cli_put_object_with_public_acl_is_refused(s3, bucket, endpoint, tmp_path):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    source = tmp_path / "page.html"
    source.write_text("page")
    result = subprocess.run(
        ["aws", "s3api", "put-object", "--bucket", bucket, "--key", "page.html", "--body", str(source),
         "--acl", "public-read", "--endpoint-url", endpoint],
        env=cli_env(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "AccessDenied" in result.stderr


def test_create_bucket_with_acl_needs_acls_enabled(s3):
    name = f"acl-{uuid.uuid4().hex[:16]}"
    assert error_of(s3.create_bucket, Bucket=name, ACL="public-read") == ("InvalidBucketAclWithObjectOwnership", 400)
    assert error_of(s3.head_bucket, Bucket=name) == ("404", 404)
    s3.create_bucket(Bucket=name, ACL="private")
    other = f"acl-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=other, ACL="public-read", ObjectOwnership="ObjectWriter")
    uris = [grant["Grantee"].get("URI") for grant in s3.get_bucket_acl(Bucket=other)["Grants"]]
    assert ALL_USERS in uris
