"""Golden output vectors: nimbus encodes each case's `result` (or error), and
botocore's own response parser must read back exactly that.

For every case of ../shared/aws-protocol-tests/{output,legacy/output}: the
Rust bridge encodes the case's result with encode_response (or an AwsError
with the case's code, message, fields and status with encode_error), the
response goes through botocore.parsers.create_parser(protocol) the way
botocore's client does it (modeled error fields included), and the parsed
dict, normalised as botocore's own protocol tests normalise it, must equal
the case's expectation. Filter with pytest's -k (e.g. `-k rest-xml`).
"""

from __future__ import annotations

import copy
import json

import pytest
from botocore.model import ServiceModel

from protocol_harness import (
    TALLIES,
    VECTORS,
    botocore_response,
    client_view,
    describe_response,
    differences,
    parse_like_client,
    plain,
)

KIND = "output"


def _ignored_by_botocore(ignore: dict, file_stem: str, suite: str, case_id: str | None) -> bool:
    lists = [ignore.get("general", {}).get(KIND, {}), ignore.get("protocols", {}).get(file_stem, {}).get(KIND, {})]
    return any(suite in entry.get("suites", []) or case_id in entry.get("cases", []) for entry in lists)


def load_cases() -> list[dict]:
    ignore_path = VECTORS / "protocol-tests-ignore-list.json"
    ignore = json.loads(ignore_path.read_text()) if ignore_path.exists() else {}
    cases = []
    for folder, prefix in ((VECTORS / "output", ""), (VECTORS / "legacy" / "output", "legacy/")):
        for path in sorted(folder.glob("*.json")):
            file_label = prefix + path.stem
            for suite_index, suite in enumerate(json.loads(path.read_text(encoding="utf-8"))):
                for case_index, case in enumerate(suite.get("cases", [])):
                    case_id = case.get("id") or f"{suite_index}:{case_index}"
                    cases.append({
                        "file": file_label,
                        "id": case_id,
                        "suite": suite,
                        "case": case,
                        "botocore_ignores": _ignored_by_botocore(ignore, path.stem, suite.get("description"), case.get("id")),
                    })
    return cases


CASES = load_cases() if VECTORS.is_dir() else []

if not CASES:
    pytestmark = pytest.mark.skip(reason=f"no protocol test vectors at {VECTORS} (set NIMBUS_PROTOCOL_TESTS)")


def _service_model(suite: dict, given: dict) -> tuple[dict, ServiceModel, str]:
    """The case's one-operation model, as JSON (for the bridge) and for botocore."""
    given = copy.deepcopy(given)
    given.setdefault("http", {"method": "POST", "requestUri": "/"})
    name = given.setdefault("name", "OperationName")
    model_json = {
        "metadata": suite["metadata"],
        "shapes": suite.get("shapes", {}),
        "operations": {name: given},
    }
    botocore_json = copy.deepcopy(model_json)
    output = botocore_json["operations"][name].get("output")
    shapes = botocore_json["shapes"]
    if suite["metadata"]["protocol"] == "query" and output and shapes.get(output["shape"], {}).get("members"):
        # Real query models name the <OpResult> wrapper; the cases leave it to
        # the runner, as botocore's own runner does.
        output.setdefault("resultWrapper", f"{name}Result")
    return model_json, ServiceModel(botocore_json, service_name="golden"), name


def _lowercase_header_maps(shape, value):
    """Header names have no case on the wire (nimbus writes them lowercase),
    so the keys of `headers`-located maps compare without it."""
    if shape is None or not isinstance(value, dict):
        return value
    value = dict(value)
    for name, member in shape.members.items():
        if member.serialization.get("location") == "headers" and isinstance(value.get(name), dict):
            value[name] = {key.lower(): item for key, item in value[name].items()}
    return value


@pytest.mark.parametrize("entry", CASES, ids=[f"{c['file']}/{c['id']}" for c in CASES])
def test_output_case(entry, bridge):
    case = entry["case"]
    if entry["botocore_ignores"]:
        TALLIES.counts[(KIND, entry["file"])]["skip"] += 1
        pytest.skip("in botocore's own ignore list")
    model_json, service_model, operation_name = _service_model(entry["suite"], case["given"])
    operation = service_model.operation_model(operation_name)
    if operation.has_event_stream_output:
        TALLIES.settle(KIND, entry["file"], entry["id"], ["event stream output: the codecs do not encode event streams"])
        return
    is_error = "error" in case or "errorCode" in case
    if is_error:
        message = case.get("errorMessage") or ""
        fields = {key: value for key, value in case.get("error", {}).items()
                  if not (key.lower() == "message" and value == message)}
        command = {
            "cmd": "encode_error",
            "model": model_json,
            "operation": operation_name,
            "error": {
                "code": case.get("errorCode", ""),
                "message": message,
                "status": case["response"].get("status_code", 400),
                "fields": fields,
            },
        }
        expected = {"Error": {"Code": case.get("errorCode", ""), "Message": message}}
        expected.update(case.get("error", {}))
    else:
        command = {"cmd": "encode", "model": model_json, "operation": operation_name, "output": case.get("result", {})}
        expected = case.get("result", {})
    answer = bridge.call(command)
    if "error" in answer or "panic" in answer:
        problem = f"bridge: {answer.get('error') or 'panicked: ' + answer['panic']}"
        TALLIES.settle(KIND, entry["file"], entry["id"], [problem], f"command: {json.dumps(command)[:2000]}")
        return
    response = botocore_response(answer)
    try:
        parsed = client_view(parse_like_client(service_model, operation, response))
    except Exception as error:  # botocore could not read what we wrote
        problems = [f"botocore's parser raised {type(error).__name__}: {error}"]
        TALLIES.settle(KIND, entry["file"], entry["id"], problems, f"response: {describe_response(response)}")
        return
    output_shape = None if is_error else operation.output_shape
    expected = _lowercase_header_maps(output_shape, plain(expected))
    parsed = _lowercase_header_maps(output_shape, parsed)
    found = differences(expected, parsed)
    details = (
        f"suite: {entry['suite'].get('description')}\n"
        f"response: {describe_response(response)}\n"
        f"expected: {json.dumps(expected, ensure_ascii=False)[:3000]}\n"
        f"parsed:   {json.dumps(parsed, ensure_ascii=False, default=str)[:3000]}\n"
        + "".join(f"  - {line}\n" for line in found)
    )
    TALLIES.settle(KIND, entry["file"], entry["id"], found, details)
