"""Shared plumbing of the protocol harness: where things are, the skip list,
the Rust wire bridge, botocore's request/response forms, and the tallies the
summary prints.

Strictness works as in crates/nimbus-protocol/tests/golden.rs: by default the
run fails on any failing case not in the skip list and on stale skip entries;
GOLDEN_REPORT_ONLY=1 reports failures (xfail) without failing the run.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import os
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
CRATE = REPO / "crates" / "nimbus-protocol"
MODELS = CRATE / "models"
SKIPS_FILE = CRATE / "tests" / "golden-skips.txt"
VECTORS = Path(
    os.environ.get("NIMBUS_PROTOCOL_TESTS") or REPO.parent / "shared" / "aws-protocol-tests"
).resolve()


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


STRICT = not _flag("GOLDEN_REPORT_ONLY")
VERBOSE = _flag("GOLDEN_VERBOSE")


# ---------------------------------------------------------------- skip list


class SkipList:
    """tests/golden-skips.txt: `<kind> <file|service> <case|operation> <reason>`."""

    def __init__(self, path: Path = SKIPS_FILE):
        self.entries: list[tuple[str, str, str, str, int]] = []
        if not path.exists():
            return
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            if len(words) < 4:
                raise ValueError(f"{path}:{number}: expected `<kind> <file> <case> <reason>`: {raw!r}")
            self.entries.append((words[0], words[1], words[2], " ".join(words[3:]), number))

    def reason(self, kind: str, group: str, case: str) -> str | None:
        for entry_kind, entry_group, entry_case, reason, _ in self.entries:
            if entry_kind == kind and entry_group == group and entry_case in ("*", case):
                return reason
        return None

    def of_kind(self, kind: str):
        return [entry for entry in self.entries if entry[0] == kind]


SKIPS = SkipList()


# ------------------------------------------------------------------ bridge


class BridgeError(RuntimeError):
    pass


class Bridge:
    """The Rust codecs behind `cargo run -p nimbus-protocol --example wire`:
    one process, one JSON object a line each way."""

    def __init__(self, executable: str):
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(
            [executable],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._next_id = 0

    def call(self, command: dict) -> dict:
        self._next_id += 1
        command = dict(command, id=self._next_id)
        try:
            self._process.stdin.write(json.dumps(command) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self._stderr.seek(0)
            raise BridgeError(f"the wire bridge died; its stderr:\n{self._stderr.read()[-4000:]}")
        return json.loads(line)

    def close(self):
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._stderr.close()


def bridge_executable() -> str:
    """$NIMBUS_WIRE_BRIDGE, else the example built (incrementally) by cargo."""
    given = os.environ.get("NIMBUS_WIRE_BRIDGE")
    if given:
        return given
    command = [
        "cargo", "build", "-p", "nimbus-protocol", "--example", "wire",
        "--message-format=json-render-diagnostics",
    ]
    built = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if built.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` failed:\n{built.stderr[-6000:]}", pytrace=False)
    for line in built.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") == "compiler-artifact" and message.get("target", {}).get("name") == "wire":
            if message.get("executable"):
                return message["executable"]
    pytest.fail("cargo built no `wire` example executable", pytrace=False)


# ----------------------------------------------------- requests, responses


def bridge_request(prepared) -> dict:
    """A botocore AWSPreparedRequest in the bridge's request form, with the
    Host header every HTTP client adds on the wire."""
    url = urlsplit(prepared.url)
    uri = url.path or "/"
    if url.query:
        uri += "?" + url.query
    headers = [[name, value if isinstance(value, str) else value.decode("latin-1")]
               for name, value in prepared.headers.items()]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(["Host", url.netloc])
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif hasattr(body, "read"):
        body = body.read()
    return {
        "method": prepared.method,
        "uri": uri,
        "headers": headers,
        "body_base64": base64.b64encode(body).decode(),
    }


def botocore_response(answer: dict) -> dict:
    """The bridge's encoded response as botocore's parsers take it."""
    from botocore.awsrequest import HeadersDict

    response = answer["response"]
    headers = HeadersDict()
    for name, value in response["headers"]:
        headers[name] = value
    return {
        "status_code": response["status"],
        "headers": headers,
        "body": base64.b64decode(response["body_base64"]),
    }


def describe_response(response: dict) -> str:
    body = response["body"]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = "(base64) " + base64.b64encode(body).decode()
    headers = "".join(f"\n      {name}: {value}" for name, value in response["headers"].items())
    return f"HTTP {response['status_code']}{headers}\n      body: {text[:3000]}"


def parse_like_client(service_model, operation_model, response: dict, protocol: str | None = None) -> dict:
    """What botocore's client gets from this response: the parser's reading
    for the operation's output, plus (for an error) the modeled fields of the
    exception shape the error code names (botocore's endpoint does this)."""
    from botocore.parsers import create_parser

    parser = create_parser(protocol or service_model.metadata["protocol"])
    response = dict(response, context={"operation_name": operation_model.name})
    parsed = parser.parse(response, operation_model.output_shape)
    if response["status_code"] >= 300:
        code = parsed.get("Error", {}).get("Code")
        error_shape = service_model.shape_for_error_code(code) if code is not None else None
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    return parsed


def client_view(parsed: dict) -> dict:
    """A parsed response as botocore's own protocol tests compare it: plain
    values, no ResponseMetadata, only Code and Message of the generic Error."""
    parsed = plain(parsed)
    parsed.pop("ResponseMetadata", None)
    if isinstance(parsed.get("Error"), dict):
        parsed["Error"] = {key: value for key, value in parsed["Error"].items() if key in ("Code", "Message")}
    return parsed


# ---------------------------------------------------------- normalising


def plain(value):
    """botocore's parsed values in the test cases' conventions: bytes as
    text (base64 marker when not UTF-8), datetimes as epoch seconds,
    non-finite floats as "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"$base64": base64.b64encode(value).decode()}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return round(value.timestamp(), 6)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if hasattr(value, "read"):  # a StreamingBody
        return plain(value.read())
    return value


def differences(expected, actual, path="") -> list[str]:
    """Where two plain values differ, one line each, by member path."""
    where = path or "(top)"
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in expected:
            if key not in actual:
                found.append(f"{_join(path, key)}: missing, expected {_short(expected[key])}")
            else:
                found.extend(differences(expected[key], actual[key], _join(path, key)))
        for key in actual:
            if key not in expected:
                found.append(f"{_join(path, key)}: unexpected {_short(actual[key])}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: expected {len(expected)} items {_short(expected)}, got {len(actual)} {_short(actual)}"]
        found = []
        for index, (want, got) in enumerate(zip(expected, actual)):
            found.extend(differences(want, got, f"{path}[{index}]"))
        return found
    if _same_scalar(expected, actual):
        return []
    return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]


def _same_scalar(expected, actual) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        # Epoch seconds went through datetimes (microseconds): allow that much.
        return expected == actual or math.isclose(expected, actual, rel_tol=0.0, abs_tol=1e-6)
    return expected == actual


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _short(value, limit: int = 200) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


# ------------------------------------------------------------------ tallies


class Tallies:
    """pass/fail/skip per (kind, group), plus the failures to list at the end."""

    def __init__(self):
        self.counts = defaultdict(lambda: {"pass": 0, "fail": 0, "skip": 0})
        self.failures: list[tuple[str, str, str]] = []  # (name, summary, details)
        self.stale: list[str] = []

    def settle(self, kind: str, group: str, case: str, problems: list[str], details: str = "", skip_as: str | None = None):
        """Records a case's outcome and ends the test accordingly; a skip
        entry may name the case or, for all its variants, `skip_as`."""
        name = f"{kind} {group}/{case}"
        reason = SKIPS.reason(kind, group, case) or (skip_as and SKIPS.reason(kind, group, skip_as))
        counts = self.counts[(kind, group)]
        if not problems:
            if reason is None:
                counts["pass"] += 1
                return
            counts["skip"] += 1
            self.stale.append(name)
            message = f"stale skip: {name} passes now; remove it from tests/golden-skips.txt"
            if STRICT:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        if reason is not None:
            counts["skip"] += 1
            pytest.skip(reason)
        counts["fail"] += 1
        summary = "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else "")
        self.failures.append((name, summary, details))
        if STRICT:
            pytest.fail(f"{summary}\n{details}", pytrace=False)
        pytest.xfail(summary)

    def summary_lines(self) -> list[str]:
        if not self.counts:
            return []
        lines = []
        show_details = VERBOSE or len(self.failures) <= 10
        for name, summary, details in self.failures:
            lines.append(f"FAIL {name}: {summary}")
            if show_details and details:
                lines.extend("    " + line for line in details.splitlines())
        for name in self.stale:
            lines.append(f"STALE SKIP {name}: passes now")
        for kind in sorted({kind for kind, _ in self.counts}):
            lines.append("")
            lines.append(f"{kind:<44} {'pass':>5} {'fail':>5} {'skip':>5}")
            total = {"pass": 0, "fail": 0, "skip": 0}
            for (row_kind, group), counts in self.counts.items():
                if row_kind != kind:
                    continue
                lines.append(f"  {group:<42} {counts['pass']:>5} {counts['fail']:>5} {counts['skip']:>5}")
                for key in total:
                    total[key] += counts[key]
            lines.append(f"  {'total':<42} {total['pass']:>5} {total['fail']:>5} {total['skip']:>5}")
        if self.failures and not show_details:
            lines.append("(GOLDEN_VERBOSE=1 shows each failure in full)")
        mode = "strict" if STRICT else "report only (GOLDEN_REPORT_ONLY=1)"
        lines.append(f"protocol harness mode: {mode}")
        return lines


TALLIES = Tallies()
