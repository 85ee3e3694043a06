"""InvokeWithResponseStream: the answer as an event stream (PayloadChunk
events, then InvokeComplete), heard as a Node function streaming with
awslambda.streamifyResponse writes it; a function answering whole sends
one chunk."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError
from lambda_support import awslambda, create, python_function, zipped  # noqa: F401

STREAMING = """exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain');
  responseStream.write('first ');
  await new Promise((resolve) => setTimeout(resolve, event.pause || 0));
  responseStream.write('second ');
  if (event.fail) throw new Error('broke mid-stream');
  responseStream.write('third');
  responseStream.end();
});
"""


def node_streaming(awslambda) -> str:
    return create(awslambda, zipped({"index.js": STREAMING}), runtime="nodejs20.x", handler="index.handler")


def events_of(response) -> list[tuple[float, dict]]:
    return [(time.monotonic(), event) for event in response["EventStream"]]


def test_a_streaming_node_function_is_heard_chunk_by_chunk(awslambda):
    name = node_streaming(awslambda)
    started = time.monotonic()
    response = awslambda.invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"pause": 600}))
    assert response["StatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    received = events_of(response)
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in received if "PayloadChunk" in event]
    assert b"".join(payload for _, payload in chunks) == b"first second third"
    # The first chunk came while the function was still waiting to write the rest.
    assert chunks[0][1] == b"first " and chunks[-1][0] - chunks[0][0] > 0.3
    assert chunks[0][0] - started < received[-1][0] - started
    assert received[-1][1] == {"InvokeComplete": {}}


def test_an_error_mid_stream_ends_with_its_error_in_invoke_complete(awslambda):
    name = node_streaming(awslambda)
    response = awslambda.invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"fail": True}), LogType="Tail")
    received = [event for _, event in events_of(response)]
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in received if "PayloadChunk" in e)
    assert payload == b"first second "
    complete = received[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Error"
    details = json.loads(complete["ErrorDetails"])
    assert (details["errorType"], details["errorMessage"]) == ("Error", "broke mid-stream")
    assert "broke mid-stream" in base64.b64decode(complete["LogResult"]).decode()


def test_plain_invoke_of_a_streaming_function_gets_the_whole_answer(awslambda):
    name = node_streaming(awslambda)
    response = awslambda.invoke(FunctionName=name, Payload=b"{}")
    assert response["Payload"].read() == b"first second third" and "FunctionError" not in response


def test_a_function_answering_whole_sends_one_chunk_and_the_log_tail(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    print('hello log')\n    return {'echo': e}\n"))
    response = awslambda.invoke_with_response_stream(FunctionName=name, Payload=b'{"a": 1}', LogType="Tail")
    received = [event for _, event in events_of(response)]
    assert [list(event) for event in received] == [["PayloadChunk"], ["InvokeComplete"]]
    assert json.loads(received[0]["PayloadChunk"]["Payload"]) == {"echo": {"a": 1}}
    assert "hello log" in base64.b64decode(received[1]["InvokeComplete"]["LogResult"]).decode()
    failing = create(awslambda, python_function("def lambda_handler(e, c):\n    raise KeyError('k')\n"))
    received = [event for _, event in events_of(awslambda.invoke_with_response_stream(FunctionName=failing))]
    assert list(received[0]) == ["InvokeComplete"] and received[0]["InvokeComplete"]["ErrorCode"] == "KeyError"


def test_dry_runs_and_bad_calls_answer_as_lambda_does(awslambda):
    name = create(awslambda, python_function("def lambda_handler(e, c):\n    return 1\n"))
    assert awslambda.invoke_with_response_stream(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        awslambda.invoke_with_response_stream(FunctionName="no-such-function")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as caught:
        awslambda.invoke_with_response_stream(FunctionName=name, InvocationType="Event")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
