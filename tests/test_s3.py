"""S3 end to end: boto3, the AWS CLI, curl-style raw HTTP and presigned URLs
against the real nimbus binary (`endpoint`, `aws`, `aws_client` come from
conftest.py)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.client
import os
import urllib.parse
import urllib.request
import uuid
import zlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION


@pytest.fixture
def s3(aws_client):
    return aws_client("s3", s3={"addressing_style": "path"})


@pytest.fixture
def bucket(s3):
    name = f"e2e-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def error_of(call, *args, **kwargs) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# ---------------------------------------------------------------- buckets


def test_bucket_lifecycle_and_listing(s3):
    run = uuid.uuid4().hex[:8]
    names = [f"e2e-list-{run}-{i}" for i in range(3)]
    for name in names:
        s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=names[0])
    listed = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert set(names) <= set(listed)
    assert listed == sorted(listed)
    page = s3.list_buckets(MaxBuckets=1, Prefix=names[0][:-2])
    assert [b["Name"] for b in page["Buckets"]] == [names[0]]
    assert page["ContinuationToken"]
    rest = s3.list_buckets(MaxBuckets=5, Prefix=names[0][:-2], ContinuationToken=page["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == names[1:]
    assert s3.get_bucket_location(Bucket=names[0])["LocationConstraint"] is None
    s3.delete_bucket(Bucket=names[0])
    code, status, _ = error_of(s3.head_bucket, Bucket=names[0])
    assert (code, status) == ("404", 404)
    code, status, err = error_of(s3.delete_bucket, Bucket=names[0])
    assert (code, status, err["BucketName"]) == ("NoSuchBucket", 404, names[0])


def test_create_bucket_rules(s3, bucket, aws_client):
    code, status, _ = error_of(s3.create_bucket, Bucket="Bad_Name")
    assert (code, status) == ("InvalidBucketName", 400)
    # us-east-1 answers a repeated create of one's own bucket with success.
    s3.create_bucket(Bucket=bucket)
    eu = boto3.client(
        "s3",
        endpoint_url=s3.meta.endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    name = f"e2e-eu-{uuid.uuid4().hex[:10]}"
    eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    code, status, _ = error_of(eu.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert (code, status) == ("BucketAlreadyOwnedByYou", 409)
    code, status, _ = error_of(
        s3.create_bucket, Bucket=f"e2e-x-{uuid.uuid4().hex[:8]}", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
    )
    assert (code, status) == ("InvalidLocationConstraint", 400)
    code, status, err = error_of(
        s3.create_bucket, Bucket=f"e2e-x-{uuid.uuid4().hex[:8]}", CreateBucketConfiguration={"LocationConstraint": "xx-nowhere-1"}
    )
    assert (code, status, err["LocationConstraint"]) == ("InvalidLocationConstraint", 400, "xx-nowhere-1")
    other = boto3.client(
        "s3",
        endpoint_url=s3.meta.endpoint_url,
        region_name=REGION,
        aws_access_key_id="222222222222",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    code, status, _ = error_of(other.create_bucket, Bucket=bucket)
    assert (code, status) == ("BucketAlreadyExists", 409)


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    code, status, _ = error_of(s3.delete_bucket, Bucket=bucket)
    assert (code, status) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_bucket_tagging_ownership_public_access_block(s3, bucket):
    code, status, _ = error_of(s3.get_bucket_tagging, Bucket=bucket)
    assert (code, status) == ("NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "env", "Value": "dev"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[0] == "NoSuchTagSet"

    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    code, status, _ = error_of(s3.get_bucket_ownership_controls, Bucket=bucket)
    assert (code, status) == ("OwnershipControlsNotFoundError", 404)

    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block["BlockPublicAcls"] is True
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    s3.delete_public_access_block(Bucket=bucket)
    code, status, _ = error_of(s3.get_public_access_block, Bucket=bucket)
    assert (code, status) == ("NoSuchPublicAccessBlockConfiguration", 404)


def enable_public_acls(s3, bucket):
    """New buckets disable ACLs (BucketOwnerEnforced) and block public ones."""
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=bucket)


def test_bucket_acl(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    enable_public_acls(s3, bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    uris = [g["Grantee"].get("URI") for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]]
    assert "http://acs.amazonaws.com/groups/global/AllUsers" in uris


# ---------------------------------------------------------------- objects


def test_put_get_head_delete(s3, bucket):
    body = b"hello nimbus"
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/a.txt",
        Body=body,
        ContentType="text/plain",
        CacheControl="max-age=60",
        ContentDisposition="attachment",
        Metadata={"color": "blue"},
        StorageClass="STANDARD_IA",
    )
    assert put["ETag"] == f'"{md5_hex(body)}"'
    got = s3.get_object(Bucket=bucket, Key="dir/a.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "text/plain"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == "attachment"
    assert got["Metadata"] == {"color": "blue"}
    assert got["StorageClass"] == "STANDARD_IA"
    assert got["ContentLength"] == len(body)
    head = s3.head_object(Bucket=bucket, Key="dir/a.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == put["ETag"]
    assert head["Metadata"] == {"color": "blue"}
    assert isinstance(head["LastModified"], datetime.datetime)
    s3.delete_object(Bucket=bucket, Key="dir/a.txt")
    code, status, err = error_of(s3.get_object, Bucket=bucket, Key="dir/a.txt")
    assert (code, status, err["Key"]) == ("NoSuchKey", 404, "dir/a.txt")
    code, status, _ = error_of(s3.head_object, Bucket=bucket, Key="dir/a.txt")
    assert (code, status) == ("404", 404)
    # Deleting a missing key is not an error.
    s3.delete_object(Bucket=bucket, Key="dir/a.txt")
    code, status, err = error_of(s3.get_object, Bucket="e2e-no-such-bucket-x", Key="k")
    assert (code, status, err["BucketName"]) == ("NoSuchBucket", 404, "e2e-no-such-bucket-x")


def test_key_and_metadata_limits(s3, bucket):
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert (code, status) == ("KeyTooLongError", 400)
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})
    assert (code, status) == ("MetadataTooLarge", 400)


def test_empty_object_and_default_content_type(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert got["ContentType"] == "binary/octet-stream"


def test_delete_objects(s3, bucket):
    for key in ["a", "b", "c"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "b", "zz"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["c"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object_directives_and_conditions(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"}, ContentType="text/x-src", Tagging="t=1")
    copy = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copy["CopyObjectResult"]["ETag"] == put["ETag"]
    dst = s3.head_object(Bucket=bucket, Key="dst")
    assert dst["Metadata"] == {"a": "1"} and dst["ContentType"] == "text/x-src"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="text/x-new",
    )
    dst2 = s3.get_object(Bucket=bucket, Key="dst2")
    assert dst2["Metadata"] == {"b": "2"} and dst2["ContentType"] == "text/x-new"
    assert dst2["Body"].read() == b"payload"
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert (code, status) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src", MetadataDirective="REPLACE", Metadata={"c": "3"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"c": "3"}
    code, status, _ = error_of(
        s3.copy_object, Bucket=bucket, Key="d3", CopySource=f"{bucket}/src", CopySourceIfMatch='"nope"'
    )
    assert (code, status) == ("PreconditionFailed", 412)
    code, status, _ = error_of(
        s3.copy_object, Bucket=bucket, Key="d3", CopySource=f"{bucket}/src", CopySourceIfNoneMatch=put["ETag"]
    )
    assert (code, status) == ("PreconditionFailed", 412)
    s3.copy_object(Bucket=bucket, Key="d3", CopySource=f"{bucket}/src", CopySourceIfMatch=put["ETag"])
    code, status, err = error_of(s3.copy_object, Bucket=bucket, Key="d4", CopySource=f"{bucket}/missing")
    assert (code, status, err["Key"]) == ("NoSuchKey", 404, "missing")


def test_object_tagging_and_acl(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=two%20words")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "two words"},
    ]
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "x", "Value": "y"}]
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    enable_public_acls(s3, bucket)
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    assert len(s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]) == 2
    code, status, _ = error_of(s3.get_object_tagging, Bucket=bucket, Key="missing")
    assert (code, status) == ("NoSuchKey", 404)


# ---------------------------------------------------------------- listing


def test_list_objects_v2_prefix_delimiter_pagination(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b/4", "c", "d"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    all_keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert all_keys == keys
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in top["Contents"]] == ["c", "d"]
    assert top["KeyCount"] == 4
    inner = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inner["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["a/b/"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, StartAfter="b/4")["Contents"]] == ["c", "d"]
    seen, token = [], None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, Delimiter="/", **kwargs)
        seen += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert sorted(seen) == ["a/", "b/", "c", "d"]
    paginated = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}) for o in p["Contents"]]
    assert paginated == keys
    assert s3.list_objects_v2(Bucket=bucket, MaxKeys=0)["KeyCount"] == 0


def test_list_objects_v1_and_url_encoding(s3, bucket):
    for key in ["x y/1", "x y/2", "z+"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    v1 = s3.list_objects(Bucket=bucket, MaxKeys=1, Delimiter="/")
    assert v1["IsTruncated"] is True
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["x y/"]
    assert v1["NextMarker"] == "x y/"
    v1 = s3.list_objects(Bucket=bucket, Marker=v1["NextMarker"], Delimiter="/")
    assert [o["Key"] for o in v1["Contents"]] == ["z+"]
    assert v1["Contents"][0]["Owner"]["ID"]
    # Asked for explicitly, the encoding reaches the caller (botocore decodes only what it asked for itself).
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, EncodingType="url")["Contents"]] == ["x%20y/1", "x%20y/2", "z%2B"]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == ["x y/1", "x y/2", "z+"]
    code, status, err = error_of(s3.list_objects_v2, Bucket="e2e-missing-bucket-q")
    assert (code, status, err["BucketName"]) == ("NoSuchBucket", 404, "e2e-missing-bucket-q")


def test_url_encoding_on_the_wire(endpoint, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a b", Body=b"x")
    with urllib.request.urlopen(f"{endpoint}/{bucket}?list-type=2&encoding-type=url") as response:
        text = response.read().decode()
    assert "<Key>a%20b</Key>" in text
    assert "<ListBucketResult" in text


# ---------------------------------------------------------------- ranges and conditions


def test_range_gets(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    part = s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-4")
    assert part["Body"].read() == b"234"
    assert part["ContentRange"] == "bytes 2-4/10"
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=8-100")["Body"].read() == b"89"
    code, status, err = error_of(s3.get_object, Bucket=bucket, Key="r", Range="bytes=10-")
    assert (code, status, err["ActualObjectSize"]) == ("InvalidRange", 416, "10")


def test_conditional_get_head_put(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="c", IfMatch='"other"')
    assert (code, status) == ("PreconditionFailed", 412)
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert (code, status) == ("304", 304)
    code, status, _ = error_of(s3.head_object, Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert (code, status) == ("304", 304)
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=modified)
    assert (code, status) == ("304", 304)
    past = modified - datetime.timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"v1"
    code, status, _ = error_of(s3.head_object, Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert (code, status) == ("412", 412)
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="c", Body=b"v2", IfNoneMatch="*")
    assert (code, status) == ("PreconditionFailed", 412)
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="c", Body=b"v2", IfMatch='"nope"')
    assert (code, status) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfMatch=etag)
    s3.put_object(Bucket=bucket, Key="new", Body=b"v1", IfNoneMatch="*")


# ---------------------------------------------------------------- multipart


def test_multipart_upload(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big", ContentType="application/x-big", Metadata={"m": "1"})
    upload_id = upload["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [("big", upload_id)]
    part1 = os.urandom(5 * 1024 * 1024)
    part2 = b"tail"
    e1 = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=2, Body=part2)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, e1, len(part1)), (2, e2, 4)]
    code, status, _ = error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]},
    )
    assert (code, status) == ("InvalidPartOrder", 400)
    code, status, _ = error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
    )
    assert (code, status) == ("InvalidPart", 400)
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    digest = hashlib.md5(bytes.fromhex(e1.strip('"')) + bytes.fromhex(e2.strip('"'))).hexdigest()
    assert done["ETag"] == f'"{digest}-2"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["Body"].read() == part1 + part2
    assert got["ContentType"] == "application/x-big" and got["Metadata"] == {"m": "1"}
    assert s3.get_object(Bucket=bucket, Key="big", PartNumber=2)["Body"].read() == b"tail"
    code, status, err = error_of(s3.list_parts, Bucket=bucket, Key="big", UploadId=upload_id)
    assert (code, status) == ("NoSuchUpload", 404)


def test_multipart_too_small_copy_and_abort(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"abcdefghij")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    copied = s3.upload_part_copy(
        Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=2, CopySource=f"{bucket}/src", CopySourceRange="bytes=2-4"
    )
    assert copied["CopyPartResult"]["ETag"] == f'"{md5_hex(b"cde")}"'
    code, status, _ = error_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="m",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": copied["CopyPartResult"]["ETag"]}]},
    )
    assert (code, status) == ("EntityTooSmall", 400)
    s3.abort_multipart_upload(Bucket=bucket, Key="m", UploadId=upload_id)
    code, status, _ = error_of(s3.abort_multipart_upload, Bucket=bucket, Key="m", UploadId=upload_id)
    assert (code, status) == ("NoSuchUpload", 404)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_cli_cp_100_mib_round_trip(aws, bucket, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(100 * 1024 * 1024))
    result = aws("s3", "cp", str(source), f"s3://{bucket}/big.bin", timeout=300)
    assert result.returncode == 0, result.stderr
    back = tmp_path / "back.bin"
    result = aws("s3", "cp", f"s3://{bucket}/big.bin", str(back), timeout=300)
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    listed = aws("s3api", "list-objects-v2", "--bucket", bucket).json()
    assert listed["Contents"][0]["Key"] == "big.bin"
    assert listed["Contents"][0]["ETag"].endswith('-13"') or "-" in listed["Contents"][0]["ETag"]


# ---------------------------------------------------------------- versioning


def test_versioning(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"null-version")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null-version"
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert error_of(s3.get_object, Bucket=bucket, Key="k")[:2] == ("NoSuchKey", 404)
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=marker)
    assert (code, status) == ("MethodNotAllowed", 405)
    versions = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in versions["Versions"]] == [(v2, False), (v1, False), ("null", False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in versions["DeleteMarkers"]] == [(marker, True)]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    # Removing the marker brings v2 back.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId="no-such-version")
    assert (code, status) == ("NoSuchVersion", 404)
    # Suspended: writes replace the null version.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"null-2").get("VersionId") == "null"
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert ids == ["null", v1]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null-2"
    # A bucket that has had versioning names the null version too.
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"


# ---------------------------------------------------------------- checksums


def _reflected_crc(data: bytes, poly: int, width: int) -> int:
    mask = (1 << width) - 1
    crc = mask
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc ^ mask


def crc32c(data: bytes) -> bytes:
    return _reflected_crc(data, 0x82F63B78, 32).to_bytes(4, "big")


def crc64nvme(data: bytes) -> bytes:
    return _reflected_crc(data, 0x9A6C9329AC4BC9B5, 64).to_bytes(8, "big")


def test_content_md5_and_checksums(s3, bucket):
    body = b"checksummed"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="md5", Body=body, ContentMD5=bad)
    assert (code, status) == ("BadDigest", 400)
    for algorithm in ["CRC32", "SHA1", "SHA256"]:
        put = s3.put_object(Bucket=bucket, Key=f"sum-{algorithm}", Body=body, ChecksumAlgorithm=algorithm)
        member = f"Checksum{algorithm}"
        assert put[member]
        got = s3.get_object(Bucket=bucket, Key=f"sum-{algorithm}", ChecksumMode="ENABLED")
        assert got[member] == put[member]
        attributes = s3.get_object_attributes(
            Bucket=bucket, Key=f"sum-{algorithm}", ObjectAttributes=["Checksum", "ETag", "ObjectSize", "StorageClass"]
        )
        assert attributes["Checksum"][member] == put[member]
        assert attributes["ObjectSize"] == len(body)
        assert attributes["ETag"] == md5_hex(body)
    crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert s3.head_object(Bucket=bucket, Key="sum-CRC32", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc32
    # CRC32C and CRC64NVME need botocore[crt] to compute client-side: send the values.
    for member, value in [("ChecksumCRC32C", crc32c(body)), ("ChecksumCRC64NVME", crc64nvme(body))]:
        encoded = base64.b64encode(value).decode()
        s3.put_object(Bucket=bucket, Key=member, Body=body, **{member: encoded})
        attributes = s3.get_object_attributes(Bucket=bucket, Key=member, ObjectAttributes=["Checksum"])
        assert attributes["Checksum"][member] == encoded
        assert attributes["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    code, status, _ = error_of(
        s3.put_object, Bucket=bucket, Key="bad", Body=body, ChecksumCRC32C=base64.b64encode(crc32c(b"x")).decode()
    )
    assert (code, status) == ("BadDigest", 400)
    sha = base64.b64encode(hashlib.sha256(b"wrong").digest()).decode()
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="bad", Body=body, ChecksumSHA256=sha)
    assert (code, status) == ("BadDigest", 400)


# ---------------------------------------------------------------- bucket configurations


def test_bucket_policy_cors_website_lifecycle_notifications(s3, bucket):
    assert error_of(s3.get_bucket_policy, Bucket=bucket)[:2] == ("NoSuchBucketPolicy", 404)
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}' % bucket
    s3.delete_public_access_block(Bucket=bucket)  # BlockPublicPolicy would refuse this public policy
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    s3.delete_bucket_policy(Bucket=bucket)
    assert error_of(s3.put_bucket_policy, Bucket=bucket, Policy="not json")[:2] == ("MalformedPolicy", 400)

    assert error_of(s3.get_bucket_cors, Bucket=bucket)[:2] == ("NoSuchCORSConfiguration", 404)
    rule = {"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://example.com"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 300}
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [rule]
    s3.delete_bucket_cors(Bucket=bucket)

    assert error_of(s3.get_bucket_website, Bucket=bucket)[:2] == ("NoSuchWebsiteConfiguration", 404)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err.html"}})
    website = s3.get_bucket_website(Bucket=bucket)
    assert website["IndexDocument"] == {"Suffix": "index.html"} and website["ErrorDocument"] == {"Key": "err.html"}
    s3.delete_bucket_website(Bucket=bucket)

    assert error_of(s3.get_bucket_lifecycle_configuration, Bucket=bucket)[:2] == ("NoSuchLifecycleConfiguration", 404)
    lifecycle = {"Rules": [{"ID": "expire", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}}]}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lifecycle)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == lifecycle["Rules"]
    s3.delete_bucket_lifecycle(Bucket=bucket)

    empty = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "QueueConfigurations" not in empty
    notification = {
        "QueueConfigurations": [
            {"Id": "q", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:events", "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    # The queue does not exist: stored only because destination validation is skipped.
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=notification, SkipDestinationValidation=True
    )
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"] == notification["QueueConfigurations"]


# ---------------------------------------------------------------- addressing, presigning, raw HTTP


def test_virtual_hosted_style_by_host_header(endpoint, s3, bucket):
    s3.put_object(Bucket=bucket, Key="vh.txt", Body=b"virtual")
    host = urllib.parse.urlparse(endpoint)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.request("GET", "/vh.txt", headers={"Host": f"{bucket}.s3.localhost.localstack.cloud:{host.port}"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.read() == b"virtual"
    connection.request("GET", "/", headers={"Host": f"{bucket}.s3.localhost:{host.port}"})
    response = connection.getresponse()
    assert response.status == 200
    assert b"<Key>vh.txt</Key>" in response.read()
    connection.close()


@pytest.mark.parametrize("signature", ["s3", "s3v4"])
def test_presigned_get_and_put(aws_client, signature):
    s3 = aws_client("s3", s3={"addressing_style": "path"}, signature_version=signature)
    bucket = f"e2e-presign-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p.txt"}, ExpiresIn=300)
    # As curl -T sends it: no form content type.
    request = urllib.request.Request(put_url, data=b"presigned body", method="PUT", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p.txt"}, ExpiresIn=300)
    with urllib.request.urlopen(get_url) as response:
        assert response.read() == b"presigned body"


def test_head_errors_have_no_body_and_request_ids(endpoint, bucket):
    host = urllib.parse.urlparse(endpoint)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.request("HEAD", f"/{bucket}/missing")
    response = connection.getresponse()
    assert response.status == 404
    assert response.read() == b""
    assert response.getheader("x-amz-request-id") and response.getheader("x-amz-id-2")
    connection.request("GET", f"/{bucket}/missing")
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 404
    assert "<Code>NoSuchKey</Code>" in body and "<Key>missing</Key>" in body
    connection.close()


def test_state_survives_restart(launch_nimbus, tmp_path):
    data = tmp_path / "data"
    first = launch_nimbus("--data-dir", str(data), ephemeral=False)
    client = boto3.client(
        "s3",
        endpoint_url=first.url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    client.create_bucket(Bucket="durable-bucket")
    client.put_object(Bucket="durable-bucket", Key="k", Body=b"kept")
    # kill -9: what was acknowledged must already be on disk.
    first.process.kill()
    first.process.wait()
    second = launch_nimbus("--data-dir", str(data), ephemeral=False)
    client = boto3.client(
        "s3",
        endpoint_url=second.url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    assert client.get_object(Bucket="durable-bucket", Key="k")["Body"].read() == b"kept"


# ---------------------------------------------------------------- the AWS CLI


def test_cli_s3_and_s3api(aws, tmp_path):
    name = f"e2e-cli-{uuid.uuid4().hex[:10]}"
    assert aws("s3", "mb", f"s3://{name}").returncode == 0
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from the cli")
    result = aws("s3", "cp", str(source), f"s3://{name}/docs/hello.txt")
    assert result.returncode == 0, result.stderr
    listing = aws("s3", "ls", f"s3://{name}/docs/")
    assert "hello.txt" in listing.stdout
    put = aws(
        "s3api", "put-object", "--bucket", name, "--key", "sum.txt", "--body", str(source), "--checksum-algorithm", "SHA256"
    )
    assert put.returncode == 0, put.stderr
    assert put.json()["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"hello from the cli").digest()).decode()
    head = aws("s3api", "head-object", "--bucket", name, "--key", "docs/hello.txt").json()
    assert head["ContentLength"] == len(b"hello from the cli")
    assert head["ETag"] == f'"{md5_hex(b"hello from the cli")}"'
    missing = aws("s3api", "head-object", "--bucket", name, "--key", "nope")
    assert missing.returncode != 0 and "404" in missing.stderr
    not_empty = aws("s3api", "delete-bucket", "--bucket", name)
    assert not_empty.returncode != 0 and "BucketNotEmpty" in not_empty.stderr
    assert aws("s3", "rb", f"s3://{name}", "--force").returncode == 0
    gone = aws("s3api", "head-bucket", "--bucket", name)
    assert gone.returncode != 0 and "404" in gone.stderr


def test_list_object_versions_pagination(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    expected = []
    for key in ["a", "b"]:
        for body in [b"1", b"2"]:
            expected.append((key, s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]))
    # Newest first within a key.
    expected = [expected[1], expected[0], expected[3], expected[2]]
    seen = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}):
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
    assert seen == expected
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": expected[2][1]}]})
    by_key = {d["Key"]: d for d in result["Deleted"]}
    assert by_key["a"]["DeleteMarker"] is True and by_key["a"]["DeleteMarkerVersionId"]
    assert by_key["b"]["VersionId"] == expected[2][1]
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"1"


def test_default_checksum_of_a_plain_put(s3, bucket):
    # Newer botocore sends a CRC32 by default (header or aws-chunked trailer); it is stored.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain body")
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    expected = base64.b64encode(zlib.crc32(b"plain body").to_bytes(4, "big")).decode()
    assert head.get("ChecksumCRC32") in (None, expected)


def _chunked_put(endpoint: str, path: str, body: bytes, trailer_value: str) -> tuple[int, bytes]:
    """An unsigned aws-chunked upload with a trailing CRC32, as the SDKs send over HTTPS."""
    framed = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n" + f"x-amz-checksum-crc32:{trailer_value}\r\n\r\n".encode()
    host = urllib.parse.urlparse(endpoint)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.request(
        "PUT",
        path,
        body=framed,
        headers={
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(body)),
            "x-amz-trailer": "x-amz-checksum-crc32",
            "Content-Type": "text/plain",
        },
    )
    response = connection.getresponse()
    result = (response.status, response.read())
    connection.close()
    return result


def test_aws_chunked_upload_with_trailing_checksum(endpoint, s3, bucket):
    body = b"chunked body " * 100
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    status, _ = _chunked_put(endpoint, f"/{bucket}/chunked", body, crc)
    assert status == 200
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32"] == crc
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    status, text = _chunked_put(endpoint, f"/{bucket}/chunked-bad", body, wrong)
    assert status == 400 and b"<Code>BadDigest</Code>" in text


def test_list_multipart_uploads_prefix_delimiter_and_pages(s3, bucket):
    ids = {}
    for key in ["logs/a", "logs/b", "top", "zz/deep/x"]:
        ids[key] = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    folded = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in folded["Uploads"]] == ["top"]
    assert [p["Prefix"] for p in folded["CommonPrefixes"]] == ["logs/", "zz/"]
    inner = s3.list_multipart_uploads(Bucket=bucket, Prefix="logs/")
    assert [(u["Key"], u["UploadId"]) for u in inner["Uploads"]] == [("logs/a", ids["logs/a"]), ("logs/b", ids["logs/b"])]
    first = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert first["IsTruncated"] is True and first["NextKeyMarker"] == "logs/a"
    rest = s3.list_multipart_uploads(
        Bucket=bucket, KeyMarker=first["NextKeyMarker"], UploadIdMarker=first["NextUploadIdMarker"]
    )
    assert [u["Key"] for u in rest["Uploads"]] == ["logs/b", "top", "zz/deep/x"]
    for key, upload_id in ids.items():
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_conditional_complete_multipart_upload(s3, bucket):
    s3.put_object(Bucket=bucket, Key="exists", Body=b"x")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="exists")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="exists", UploadId=upload_id, PartNumber=1, Body=b"part")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    code, status, _ = error_of(
        s3.complete_multipart_upload, Bucket=bucket, Key="exists", UploadId=upload_id, MultipartUpload=parts, IfNoneMatch="*"
    )
    assert (code, status) == ("PreconditionFailed", 412)
    # The upload is still there after a failed condition.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="exists", UploadId=upload_id, MultipartUpload=parts)
    assert done["ETag"].endswith('-1"')
    assert s3.get_object(Bucket=bucket, Key="exists")["Body"].read() == b"part"
