"""botocore as a live oracle, over every operation of every vendored model.

Requests (`oracle`): sample parameters generated from the operation's input
shape (oracle_params.py) are serialized by botocore's own serializer for the
protocol, prepared exactly as botocore's client prepares them
(prepare_request_dict, AWSRequest.prepare), and sent to the Rust bridge,
which must identify the operation and decode the parameters back.

Responses (`oracle-output`): sample output parameters are encoded by the
bridge and parsed by botocore's response parser for the protocol; the parsed
result must equal them.

Errors (`oracle-error`): every exception shape is encoded as an error and
must reach botocore's client with its code, message and modeled members.

Services with several protocols (CloudWatch: smithy-rpc-v2-cbor, json,
query) run in each; their groups are named `<service>/<protocol>`. Filter with
-k, e.g. `pytest tests/protocol/test_oracle.py -k "sqs and SendMessage"`.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import io
import re
from functools import lru_cache

import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from oracle_params import ParamGenerator
from protocol_harness import (
    MODELS,
    TALLIES,
    botocore_response,
    bridge_request,
    client_view,
    describe_response,
    differences,
    parse_like_client,
    plain,
)

ENDPOINT = "http://127.0.0.1:4566"


def vendored_services() -> list[str]:
    lines = (MODELS / "SERVICES").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=None)
def model_json(service: str) -> dict:
    return json.loads((MODELS / f"{service}.json").read_text(encoding="utf-8"))


def protocols_of(service: str) -> list[str]:
    metadata = model_json(service)["metadata"]
    return metadata.get("protocols") or [metadata["protocol"]]


@lru_cache(maxsize=None)
def botocore_model(service: str, protocol: str) -> ServiceModel:
    """The service as botocore sees it when it resolves to `protocol`."""
    description = copy.copy(model_json(service))
    description["metadata"] = dict(description["metadata"], protocol=protocol, protocols=[protocol])
    return ServiceModel(description, service_name=service)


def group_of(service: str, protocol: str) -> str:
    return service if len(protocols_of(service)) == 1 else f"{service}/{protocol}"


def all_operations() -> list[tuple[str, str, str]]:
    return [
        (service, protocol, operation)
        for service in vendored_services()
        for protocol in protocols_of(service)
        for operation in model_json(service)["operations"]
    ]


OPERATIONS = all_operations()
IDS = [f"{group_of(s, p)}/{o}" for s, p, o in OPERATIONS]


def greedy_labels(operation) -> frozenset:
    uri = operation.http.get("requestUri", "")
    return frozenset(re.findall(r"\{([^}]+)\+\}", uri))


def sample(shape, protocol: str, operation, seed: str, required_only: bool = False, response: bool = False) -> dict:
    if shape is None:
        return {}
    generator = ParamGenerator(protocol, greedy_labels(operation), required_only, response)
    # A per-operation start keeps values varied across operations yet stable.
    generator.counter = sum(map(ord, seed)) % 7
    return generator.structure(shape)


def wire_params(value):
    """Parameters in the bridge's JSON conventions (golden/params.rs)."""
    if isinstance(value, dict):
        return {key: wire_params(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire_params(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return {"$base64": base64.b64encode(value).decode()}
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value


@pytest.mark.parametrize("variant", ["all", "required"])
@pytest.mark.parametrize("service, protocol, operation_name", OPERATIONS, ids=IDS)
def test_request(service, protocol, operation_name, variant, bridge):
    """`all`: every member down to a small depth; `required`: only required
    members, so absent members must stay absent."""
    kind, group = "oracle", group_of(service, protocol)
    case = operation_name if variant == "all" else f"{operation_name}(required)"
    model = botocore_model(service, protocol)
    operation = model.operation_model(operation_name)
    params = sample(operation.input_shape, protocol, operation, operation_name, required_only=variant == "required")
    serializer = create_serializer(protocol, include_validation=True)
    try:
        request_dict = serializer.serialize_to_request(params, operation)
    except Exception as error:  # the generator made something botocore refuses
        problem = f"harness: botocore refuses the sample params: {error}"
        TALLIES.settle(kind, group, case, [problem], skip_as=operation_name)
        return
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    request = bridge_request(prepared)
    answer = bridge.call({
        "cmd": "decode",
        "service": service,
        "protocol": protocol,
        "operation": operation_name,
        "request": request,
        "params": wire_params(params),
    })
    problems = []
    if "error" in answer or "panic" in answer:
        problems.append(f"bridge: {answer.get('error') or 'panicked: ' + answer['panic']}")
    if answer.get("identify_error"):
        problems.append(f"identify_operation failed: {answer['identify_error']}")
    elif answer.get("identified") not in (None, operation_name):
        problems.append(f"identify_operation found {answer['identified']}, not {operation_name}")
    if answer.get("decode_error"):
        problems.append(f"decode_request failed: {answer['decode_error']}")
    problems.extend(answer.get("differences") or [])
    details = (
        f"request: {request['method']} {request['uri']}\n"
        + "".join(f"  {name}: {value}\n" for name, value in request["headers"])
        + f"  body: {_body_text(request['body_base64'])}\n"
        f"expected: {json.dumps(answer.get('expected'), ensure_ascii=False)[:3000]}\n"
        f"decoded:  {json.dumps(answer.get('decoded'), ensure_ascii=False)[:3000]}\n"
    )
    TALLIES.settle(kind, group, case, problems, details, skip_as=operation_name)


def _body_text(body_base64: str) -> str:
    body = base64.b64decode(body_base64)
    try:
        return body.decode("utf-8")[:3000]
    except UnicodeDecodeError:
        return "(base64) " + body_base64[:3000]


OUTPUT_OPERATIONS = [entry for entry in OPERATIONS if model_json(entry[0])["operations"][entry[2]].get("output")]
OUTPUT_IDS = [f"{group_of(s, p)}/{o}" for s, p, o in OUTPUT_OPERATIONS]


@pytest.mark.parametrize("service, protocol, operation_name", OUTPUT_OPERATIONS, ids=OUTPUT_IDS)
def test_response(service, protocol, operation_name, bridge):
    kind, group = "oracle-output", group_of(service, protocol)
    model = botocore_model(service, protocol)
    operation = model.operation_model(operation_name)
    if operation.has_event_stream_output:
        TALLIES.settle(kind, group, operation_name, ["event stream output: the codecs do not encode event streams"])
        return
    output = sample(operation.output_shape, protocol, operation, operation_name + "/output", response=True)
    output = _as_a_client_can_read(operation.output_shape, output)
    answer = bridge.call({
        "cmd": "encode",
        "service": service,
        "protocol": protocol,
        "operation": operation_name,
        "output": wire_params(output),
    })
    if "error" in answer or "panic" in answer:
        problem = f"bridge: {answer.get('error') or 'panicked: ' + answer['panic']}"
        TALLIES.settle(kind, group, operation_name, [problem])
        return
    response = botocore_response(answer)
    to_parse = dict(response, context={"operation_name": operation_name})
    if operation.has_streaming_output and response["status_code"] < 300:
        # What botocore's endpoint hands its parser for a streaming output.
        to_parse["body"] = StreamingBody(io.BytesIO(response["body"]), len(response["body"]))
    try:
        parser = create_parser(protocol)
        parsed = parser.parse(to_parse, operation.output_shape)
    except Exception as error:
        problem = f"botocore's parser raised {type(error).__name__}: {error}"
        TALLIES.settle(kind, group, operation_name, [problem], f"response: {describe_response(response)}")
        return
    parsed = plain(parsed)
    parsed.pop("ResponseMetadata", None)
    expected = plain(output)
    found = differences(expected, parsed)
    details = (
        f"response: {describe_response(response)}\n"
        f"expected: {json.dumps(expected, ensure_ascii=False)[:3000]}\n"
        f"parsed:   {json.dumps(parsed, ensure_ascii=False, default=str)[:3000]}\n"
    )
    TALLIES.settle(kind, group, operation_name, found, details)


def _as_a_client_can_read(shape, output: dict) -> dict:
    """Sample output adjusted to what botocore can read at all: a member bound
    to the status code holds a real status, and a non-streaming blob payload
    is text (botocore decodes such a body as UTF-8)."""
    for name, member in shape.members.items():
        if name not in output:
            continue
        if member.serialization.get("location") == "statusCode":
            output[name] = 200
        if (
            shape.serialization.get("payload") == name
            and member.type_name == "blob"
            and not member.serialization.get("streaming")
        ):
            output[name] = b'{"payload": "text"}'
    return output


def all_errors() -> list[tuple[str, str, str]]:
    return [
        (service, protocol, name)
        for service in vendored_services()
        for protocol in protocols_of(service)
        for name, shape in model_json(service)["shapes"].items()
        if shape.get("exception")
    ]


ERRORS = all_errors()
ERROR_IDS = [f"{group_of(s, p)}/{e}" for s, p, e in ERRORS]
ERROR_MESSAGE = "nimbus error é <&> \"quoted\""


def _operation_raising(model: ServiceModel, error_name: str):
    """An operation that lists the error (else the first): its output shape
    is what botocore parses an error response against first."""
    names = model.operation_names
    for name in names:
        if any(error.name == error_name for error in model.operation_model(name).error_shapes):
            return model.operation_model(name)
    return model.operation_model(names[0])


@pytest.mark.parametrize("service, protocol, error_name", ERRORS, ids=ERROR_IDS)
def test_error(service, protocol, error_name, bridge):
    """Errors (`oracle-error`): every exception shape, encoded with a message
    and sample values for its other members, must reach botocore's client as
    that error: Error.Code (the shape's `error.code`, else its name),
    Error.Message, and the modeled members."""
    kind, group = "oracle-error", group_of(service, protocol)
    model = botocore_model(service, protocol)
    shape = model.shape_for(error_name)
    operation = _operation_raising(model, error_name)
    fields = sample(shape, protocol, operation, error_name, response=True)
    message_member = next((name for name in shape.members if name.lower() == "message"), None)
    fields.pop(message_member, None)
    fields = _as_a_client_can_read(shape, fields)
    trait = shape.metadata.get("error", {})
    answer = bridge.call({
        "cmd": "encode_error",
        "service": service,
        "protocol": protocol,
        "operation": operation.name,
        "error": {
            "code": shape.error_code,
            "message": ERROR_MESSAGE,
            "status": trait.get("httpStatusCode", 400),
            "sender_fault": trait.get("senderFault", not shape.metadata.get("fault", False)),
            "fields": wire_params(fields),
        },
    })
    if "error" in answer or "panic" in answer:
        problem = f"bridge: {answer.get('error') or 'panicked: ' + answer['panic']}"
        TALLIES.settle(kind, group, error_name, [problem])
        return
    response = botocore_response(answer)
    try:
        parsed = client_view(parse_like_client(model, operation, response, protocol))
    except Exception as error:
        problem = f"botocore's parser raised {type(error).__name__}: {error}"
        TALLIES.settle(kind, group, error_name, [problem], f"response: {describe_response(response)}")
        return
    expected = {"Error": {"Code": shape.error_code, "Message": ERROR_MESSAGE}, **plain(fields)}
    if message_member in parsed:
        # XML errors carry the message as <Message> whatever the member's
        # case (as AWS writes them), so botocore fills a `message` member
        # only on some wires; where it does, it must hold the message.
        expected[message_member] = ERROR_MESSAGE
    found = differences(expected, parsed)
    if response["status_code"] != trait.get("httpStatusCode", 400):
        found.append(f"HTTP status {response['status_code']}, expected {trait.get('httpStatusCode', 400)}")
    details = (
        f"response: {describe_response(response)}\n"
        f"expected: {json.dumps(expected, ensure_ascii=False)[:3000]}\n"
        f"parsed:   {json.dumps(parsed, ensure_ascii=False, default=str)[:3000]}\n"
    )
    TALLIES.settle(kind, group, error_name, found, details)
