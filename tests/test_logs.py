"""CloudWatch Logs through boto3 and the AWS CLI: groups with retention and
tags, streams, events put and read back by stream and by filter pattern,
CloudWatch Logs' own error codes and texts, and state that survives
kill -9."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import client_for


@pytest.fixture
def logs(aws_client):
    return aws_client("logs")


def now_ms() -> int:
    return int(time.time() * 1000)


def new_group(logs, **extra) -> str:
    name = f"/nimbus/test/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name, **extra)
    return name


def error_of(call, **params) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


def test_groups_are_created_described_retained_and_deleted(logs):
    name = new_group(logs, tags={"team": "a"})
    described = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert len(described) == 1
    group = described[0]
    assert group["logGroupName"] == name and group["storedBytes"] == 0
    assert group["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{name}:*"
    assert group["logGroupArn"] == group["arn"][:-2]
    assert abs(group["creationTime"] - now_ms()) < 60_000 and "retentionInDays" not in group
    logs.put_retention_policy(logGroupName=name, retentionInDays=14)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["retentionInDays"] == 14
    logs.delete_retention_policy(logGroupName=name)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "a"}
    logs.tag_resource(resourceArn=group["logGroupArn"], tags={"env": "dev"})
    logs.untag_resource(resourceArn=group["logGroupArn"], tagKeys=["team"])
    assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {"env": "dev"}
    logs.tag_log_group(logGroupName=name, tags={"owner": "me"})
    logs.untag_log_group(logGroupName=name, tags=["env"])
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"owner": "me"}
    pattern = logs.describe_log_groups(logGroupNamePattern=name.split("/")[-1])["logGroups"]
    assert [g["logGroupName"] for g in pattern] == [name]
    logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []


def test_describe_log_groups_pages_in_name_order(logs):
    prefix = f"/nimbus/paged/{uuid.uuid4().hex[:8]}/"
    for i in range(5):
        logs.create_log_group(logGroupName=f"{prefix}{i}")
    pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 2}))
    assert [len(p["logGroups"]) for p in pages] == [2, 2, 1]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == [f"{prefix}{i}" for i in range(5)]


def test_events_are_put_and_read_back_by_stream_with_tokens(logs):
    group = new_group(logs)
    logs.create_log_stream(logGroupName=group, logStreamName="app")
    start = now_ms()
    put = logs.put_log_events(
        logGroupName=group,
        logStreamName="app",
        logEvents=[{"timestamp": start + i, "message": f"line {i}"} for i in range(5)],
    )
    assert len(put["nextSequenceToken"]) == 56 and "rejectedLogEventsInfo" not in put
    newest = logs.get_log_events(logGroupName=group, logStreamName="app", limit=2)
    assert [e["message"] for e in newest["events"]] == ["line 3", "line 4"]
    assert newest["nextForwardToken"].startswith("f/") and newest["nextBackwardToken"].startswith("b/")
    older = logs.get_log_events(logGroupName=group, logStreamName="app", nextToken=newest["nextBackwardToken"], limit=2)
    assert [e["message"] for e in older["events"]] == ["line 1", "line 2"]
    head = logs.get_log_events(logGroupName=group, logStreamName="app", startFromHead=True)
    assert [e["timestamp"] for e in head["events"]] == [start + i for i in range(5)]
    assert all(abs(e["ingestionTime"] - now_ms()) < 60_000 for e in head["events"])
    end = logs.get_log_events(logGroupName=group, logStreamName="app", startFromHead=True, nextToken=head["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == head["nextForwardToken"]
    window = logs.get_log_events(logGroupName=group, logStreamName="app", startTime=start + 1, endTime=start + 3, startFromHead=True)
    assert [e["message"] for e in window["events"]] == ["line 1", "line 2"]
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (start, start + 4)
    assert stream["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:log-stream:app"


def test_events_too_old_or_too_new_are_set_aside_and_reported(logs):
    group = new_group(logs)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    day = 24 * 3600 * 1000
    put = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 15 * day, "message": "ancient"},
            {"timestamp": now, "message": "current"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "future"},
        ],
    )
    assert put["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2}
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["current"]
    assert error_of(
        logs.put_log_events,
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 5, "message": "a"}],
    ) == ("InvalidParameterException", 400, "Log events in a single PutLogEvents request must be in chronological order.")


def test_filter_log_events_interleaves_streams_and_applies_patterns(logs):
    group = new_group(logs)
    start = now_ms()
    for stream, offset in (("a", 0), ("b", 1)):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": start + offset, "message": f"ERROR from {stream}"},
                {"timestamp": start + 10 + offset, "message": json.dumps({"level": "WARN", "latency": 700 + offset})},
            ],
        )
    every = logs.filter_log_events(logGroupName=group)["events"]
    assert [(e["logStreamName"], e["timestamp"]) for e in every] == [("a", start), ("b", start + 1), ("a", start + 10), ("b", start + 11)]
    assert len({e["eventId"] for e in every}) == 4
    errors = logs.filter_log_events(logGroupName=group, filterPattern="ERROR -b")["events"]
    assert [e["message"] for e in errors] == ["ERROR from a"]
    slow = logs.filter_log_events(logGroupName=group, filterPattern="{ $.latency > 700 }")["events"]
    assert [e["logStreamName"] for e in slow] == ["b"]
    named = logs.filter_log_events(logGroupName=group, logStreamNames=["b"], startTime=start + 5)["events"]
    assert [e["timestamp"] for e in named] == [start + 11]
    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName=group, PaginationConfig={"PageSize": 3}))
    assert [len(p["events"]) for p in pages] == [3, 1]
    assert error_of(logs.filter_log_events, logGroupName=group, filterPattern="{ $.a = }")[0] == "InvalidParameterException"


@pytest.mark.parametrize(
    "call, params, expected",
    [
        ("create_log_stream", {"logGroupName": "/nimbus/none", "logStreamName": "s"}, ("ResourceNotFoundException", 400, "The specified log group does not exist.")),
        ("delete_log_group", {"logGroupName": "/nimbus/none"}, ("ResourceNotFoundException", 400, "The specified log group does not exist.")),
        ("describe_log_streams", {"logGroupName": "/nimbus/none"}, ("ResourceNotFoundException", 400, "The specified log group does not exist.")),
        ("get_log_events", {"logGroupName": "/nimbus/none", "logStreamName": "s"}, ("ResourceNotFoundException", 400, "The specified log group does not exist.")),
        ("put_retention_policy", {"logGroupName": "/nimbus/none", "retentionInDays": 2}, ("InvalidParameterException", 400, None)),
        ("describe_log_groups", {"logGroupNamePrefix": "a", "logGroupNamePattern": "b"}, ("InvalidParameterException", 400, "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")),
        ("create_log_group", {"logGroupName": "bad name!"}, ("InvalidParameterException", 400, None)),
    ],
)
def test_bad_requests_get_cloudwatch_logs_errors(logs, call, params, expected):
    code, status, message = error_of(getattr(logs, call), **params)
    assert (code, status) == expected[:2]
    if expected[2]:
        assert message == expected[2]


def test_duplicates_and_missing_streams_are_refused(logs):
    group = new_group(logs)
    assert error_of(logs.create_log_group, logGroupName=group) == (
        "ResourceAlreadyExistsException", 400, "The specified log group already exists",
    )
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(logs.create_log_stream, logGroupName=group, logStreamName="s") == (
        "ResourceAlreadyExistsException", 400, "The specified log stream already exists",
    )
    assert error_of(
        logs.put_log_events, logGroupName=group, logStreamName="none", logEvents=[{"timestamp": now_ms(), "message": "x"}]
    ) == ("ResourceNotFoundException", 400, "The specified log stream does not exist.")
    code, _, message = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=2)
    assert code == "InvalidParameterException" and message.startswith("Invalid retention value. Valid values are: [1, 3, 5, 7,")
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []


def test_logs_survive_kill_9(launch_nimbus, tmp_path):
    server = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    logs = client_for(server.url, "logs")
    logs.create_log_group(logGroupName="/durable")
    logs.create_log_stream(logGroupName="/durable", logStreamName="s")
    logs.put_log_events(logGroupName="/durable", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "kept"}])
    server.process.kill()  # SIGKILL
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(tmp_path), ephemeral=False)
    events = client_for(restarted.url, "logs").get_log_events(logGroupName="/durable", logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["kept"]


def test_the_cli_creates_puts_and_filters(aws):
    group = f"/nimbus/cli/{uuid.uuid4().hex[:8]}"
    assert aws("logs", "create-log-group", "--log-group-name", group).returncode == 0
    assert aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s").returncode == 0
    put = aws(
        "logs", "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
        "--log-events", f"timestamp={now_ms()},message=hello-from-cli",
    )
    assert put.returncode == 0, put.stderr
    found = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "hello").json()
    assert [e["message"] for e in found["events"]] == ["hello-from-cli"]
    missing = aws("logs", "describe-log-streams", "--log-group-name", "/nimbus/none")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
