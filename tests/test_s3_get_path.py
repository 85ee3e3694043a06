"""What a GET or HEAD reads of its bucket (that it exists, whether it ever had
versioning) follows every change at once: PutBucketVersioning, other bucket
configurations, delete and re-create, snapshot restore and reset. The server
keeps decoded bucket facts in memory, so these tests pin that a changed bucket
is never answered from an older state. Also: HeadObject answers exactly what
GetObject does, without the body."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import client_for


def s3_client(url: str):
    return client_for(url, "s3", s3={"addressing_style": "path"})


def post(url: str) -> dict:
    request = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def version_of_get(s3, bucket: str, key: str) -> str | None:
    return s3.get_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPHeaders"].get("x-amz-version-id")


def version_of_head(s3, bucket: str, key: str) -> str | None:
    return s3.head_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPHeaders"].get("x-amz-version-id")


def error_code(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_versioning_changes_show_in_the_next_get(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="facts")
    s3.put_object(Bucket="facts", Key="k", Body=b"null version")
    # Read twice: the second read is the one answered from remembered facts.
    for _ in range(2):
        assert version_of_get(s3, "facts", "k") is None
        assert version_of_head(s3, "facts", "k") is None
    # Another configuration changes the record but not the answer.
    s3.put_bucket_tagging(Bucket="facts", Tagging={"TagSet": [{"Key": "team", "Value": "b"}]})
    assert version_of_get(s3, "facts", "k") is None
    s3.put_bucket_versioning(Bucket="facts", VersioningConfiguration={"Status": "Enabled"})
    assert version_of_get(s3, "facts", "k") == "null"
    assert version_of_head(s3, "facts", "k") == "null"
    s3.put_bucket_versioning(Bucket="facts", VersioningConfiguration={"Status": "Suspended"})
    assert version_of_get(s3, "facts", "k") == "null"


def test_a_recreated_bucket_starts_unversioned(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="again")
    s3.put_bucket_versioning(Bucket="again", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="again", Key="k", Body=b"one")["VersionId"]
    assert version_of_get(s3, "again", "k") == version
    s3.delete_object(Bucket="again", Key="k", VersionId=version)
    s3.delete_bucket(Bucket="again")
    assert error_code(s3.get_object, Bucket="again", Key="k") == ("NoSuchBucket", 404)
    assert error_code(s3.head_object, Bucket="again", Key="k") == ("404", 404)
    s3.create_bucket(Bucket="again")
    s3.put_object(Bucket="again", Key="k", Body=b"two")
    assert s3.get_object(Bucket="again", Key="k")["Body"].read() == b"two"
    assert version_of_get(s3, "again", "k") is None


def test_restore_and_reset_bring_back_the_saved_bucket(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="saved")
    s3.put_object(Bucket="saved", Key="k", Body=b"kept")
    assert version_of_get(s3, "saved", "k") is None
    assert post(f"{server.url}/_nimbus/snapshots/plain") == {"name": "plain"}
    s3.put_bucket_versioning(Bucket="saved", VersioningConfiguration={"Status": "Enabled"})
    assert version_of_get(s3, "saved", "k") == "null"
    post(f"{server.url}/_nimbus/snapshots/plain/restore")
    assert version_of_get(s3, "saved", "k") is None
    assert version_of_head(s3, "saved", "k") is None
    post(f"{server.url}/_nimbus/reset")
    assert error_code(s3.get_object, Bucket="saved", Key="k") == ("NoSuchBucket", 404)


def test_head_answers_what_get_does(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="heads")
    s3.put_object(
        Bucket="heads",
        Key="k",
        Body=b"0123456789",
        ContentType="text/plain",
        CacheControl="max-age=60",
        ContentDisposition="inline",
        ContentEncoding="identity",
        ContentLanguage="en",
        Metadata={"colour": "blue", "size": "ten"},
        StorageClass="STANDARD_IA",
        Tagging="a=1&b=2",
        ChecksumAlgorithm="SHA256",
    )
    got = s3.get_object(Bucket="heads", Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"0123456789"
    head = s3.head_object(Bucket="heads", Key="k", ChecksumMode="ENABLED")
    for name in (
        "ETag",
        "ContentLength",
        "ContentType",
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
        "ContentLanguage",
        "Metadata",
        "StorageClass",
        "LastModified",
        "ChecksumSHA256",
        "AcceptRanges",
    ):
        assert head[name] == got[name], name
    assert head["Metadata"] == {"colour": "blue", "size": "ten"}
    assert head["StorageClass"] == "STANDARD_IA"
    # GET counts the tags; HEAD does not carry the count.
    assert got["TagCount"] == 2 and "TagCount" not in head
    # HEAD takes GET's conditions, range and partNumber.
    etag = got["ETag"]
    assert error_code(s3.head_object, Bucket="heads", Key="k", IfNoneMatch=etag) == ("304", 304)
    assert error_code(s3.head_object, Bucket="heads", Key="k", IfMatch='"other"') == ("412", 412)
    ranged = s3.head_object(Bucket="heads", Key="k", Range="bytes=2-4")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert ranged["ContentLength"] == 3 and ranged["ContentRange"] == "bytes 2-4/10"
    assert s3.head_object(Bucket="heads", Key="k", PartNumber=1)["ContentLength"] == 10
    assert error_code(s3.head_object, Bucket="heads", Key="k", PartNumber=2) == ("416", 416)
    assert error_code(s3.head_object, Bucket="heads", Key="missing") == ("404", 404)


def test_writes_follow_versioning_changes(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    s3.create_bucket(Bucket="writes")
    # Unversioned: no version ids, a delete leaves no marker.
    assert "VersionId" not in s3.put_object(Bucket="writes", Key="k", Body=b"one")
    assert "DeleteMarker" not in s3.delete_object(Bucket="writes", Key="k")
    s3.put_object(Bucket="writes", Key="k", Body=b"two")
    s3.put_bucket_versioning(Bucket="writes", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="writes", Key="k", Body=b"three")["VersionId"]
    assert version and version != "null"
    deleted = s3.delete_object(Bucket="writes", Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] not in (version, "null")
    batch = s3.delete_objects(Bucket="writes", Delete={"Objects": [{"Key": "other"}]})
    assert batch["Deleted"][0]["DeleteMarker"] is True
    s3.put_bucket_versioning(Bucket="writes", VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket="writes", Key="k", Body=b"four")["VersionId"] == "null"
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket="writes", Prefix="k")["Versions"]]
    assert ids == ["null", version]
    # Conditional writes still read the current version.
    assert error_code(s3.put_object, Bucket="writes", Key="k", Body=b"x", IfNoneMatch="*") == (
        "PreconditionFailed",
        412,
    )
    assert error_code(s3.put_object, Bucket="writes", Key="none", Body=b"x", IfMatch='"abc"') == ("NoSuchKey", 404)
    s3.delete_object(Bucket="writes", Key="k", VersionId="null")
    s3.delete_object(Bucket="writes", Key="k", VersionId=version)
    for marker in s3.list_object_versions(Bucket="writes").get("DeleteMarkers", []):
        s3.delete_object(Bucket="writes", Key=marker["Key"], VersionId=marker["VersionId"])
    s3.delete_bucket(Bucket="writes")
    assert error_code(s3.put_object, Bucket="writes", Key="k", Body=b"x") == ("NoSuchBucket", 404)
    assert error_code(s3.delete_object, Bucket="writes", Key="k") == ("NoSuchBucket", 404)


def test_notifications_configured_after_writes_are_sent(launch_nimbus):
    server = launch_nimbus()
    s3 = s3_client(server.url)
    sqs = client_for(server.url, "sqs")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="notify")
    # A write before the configuration: nothing to send (and the bucket's glance is remembered).
    s3.put_object(Bucket="notify", Key="before", Body=b"x")
    s3.put_bucket_notification_configuration(
        Bucket="notify",
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
        SkipDestinationValidation=True,
    )
    s3.put_object(Bucket="notify", Key="after", Body=b"y")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10).get("Messages", [])
    keys = [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in messages]
    assert keys == ["after"]
