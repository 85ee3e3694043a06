"""Suite-wide fixtures: the real nimbus binary on a free loopback port, and
helpers that drive it with the AWS CLI and boto3.

- `NIMBUS_BIN=/path/to/nimbus` uses a prebuilt binary instead of running
  `cargo build -p nimbus` (a debug build) once per session.
- `endpoint` is the URL of a nimbus started once for the session with
  `--ephemeral` and the debug-build test hooks on.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")
START_TIMEOUT = 30.0


@dataclass
class Nimbus:
    """A running nimbus process."""

    process: subprocess.Popen
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (graceful), then SIGKILL if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def nimbus_binary() -> Path:
    prebuilt = os.environ.get("NIMBUS_BIN")
    if prebuilt:
        return Path(prebuilt)
    subprocess.run(["cargo", "build", "--quiet", "-p", "nimbus"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "nimbus"


def start_nimbus(
    binary: Path, *args: str, env: dict[str, str] | None = None, ephemeral: bool = True
) -> Nimbus:
    """Starts nimbus on a free port (`--port 0`) and waits until it answers
    `/_nimbus/health`. Extra `args` and `env` are added to the defaults;
    `ephemeral=False` keeps state on disk (pass `--data-dir`)."""
    log_file = tempfile.NamedTemporaryFile(prefix="nimbus-", suffix=".log", delete=False)
    full_env = {**os.environ, "NIMBUS_TEST_HOOKS": "1", **(env or {})}
    command = [str(binary), "--host", "127.0.0.1", "--port", "0", *(["--ephemeral"] if ephemeral else []), *args]
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=full_env)
    log_path = Path(log_file.name)
    log_file.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nimbus exited with {process.returncode}:\n{log_path.read_text()}")
        found = LISTENING.search(log_path.read_text(errors="replace"))
        if found:
            nimbus = Nimbus(process, f"http://{found.group(1)}:{found.group(2)}", log_path)
            if _healthy(nimbus.url):
                return nimbus
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"nimbus did not become healthy in {START_TIMEOUT}s:\n{log_path.read_text()}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_nimbus/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False


@pytest.fixture(scope="session")
def nimbus_bin() -> Path:
    return nimbus_binary()


@pytest.fixture(scope="session")
def nimbus(nimbus_bin: Path):
    """The session's nimbus process (see `endpoint` for its URL)."""
    server = start_nimbus(nimbus_bin)
    yield server
    server.stop()


@pytest.fixture
def launch_nimbus(nimbus_bin: Path):
    """Starts extra nimbus processes for one test (`launch_nimbus("--flag",
    env={...})`); whatever the test leaves running is stopped after it."""
    launched: list[Nimbus] = []

    def launch(*args: str, env: dict[str, str] | None = None, ephemeral: bool = True) -> Nimbus:
        server = start_nimbus(nimbus_bin, *args, env=env, ephemeral=ephemeral)
        launched.append(server)
        return server

    yield launch
    for server in launched:
        server.stop()


@pytest.fixture(scope="session")
def endpoint(nimbus: Nimbus) -> str:
    """The URL AWS clients use, e.g. `http://127.0.0.1:40123`."""
    return nimbus.url


def cli_env() -> dict[str, str]:
    """The environment of an AWS CLI call: dummy credentials, no profile, no
    ambient AWS_* settings, no retries (errors surface at once)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    return env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture(scope="session")
def aws(endpoint: str) -> Callable[..., CliResult]:
    """Runs the AWS CLI against nimbus: `aws("sts", "get-caller-identity")`."""

    def run(*args: str, timeout: float = 60.0) -> CliResult:
        done = subprocess.run(
            ["aws", *args, "--endpoint-url", endpoint, "--output", "json"],
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


def client_for(url: str, service: str, **config) -> object:
    """A boto3 client for the nimbus at `url`. Keyword arguments go to
    botocore's Config; retries are off by default."""
    config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**config),
    )


@pytest.fixture(scope="session")
def aws_client(endpoint: str) -> Callable[..., object]:
    """Builds boto3 clients for the session's nimbus: `aws_client("sqs")`."""

    def make(service: str, **config) -> object:
        return client_for(endpoint, service, **config)

    return make


def object_stored(s3, bucket: str, key: str) -> bool:
    """Whether HeadObject finds `key` (any answer but 200 or 404 fails)."""
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return False
