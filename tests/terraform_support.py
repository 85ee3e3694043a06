"""Terraform against nimbus: the hashicorp/aws provider from the machine's
filesystem mirror, a working directory per test, and the provider block
that points the named services at nimbus."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

MIRROR = Path(os.environ.get("NIMBUS_TF_PLUGINS", "/opt/tf-plugins"))

needs_terraform = pytest.mark.skipif(
    shutil.which("terraform") is None or not MIRROR.is_dir(), reason="needs terraform and its aws provider mirror"
)

CLI_CONFIG = f"""provider_installation {{
  filesystem_mirror {{
    path    = "{MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{ exclude = ["registry.terraform.io/hashicorp/aws"] }}
}}
"""


def provider(*services: str) -> str:
    """The terraform and provider blocks, `services` at `var.endpoint`."""
    endpoints = "\n".join(f"    {service} = var.endpoint" for service in services)
    return f"""terraform {{
  required_providers {{ aws = {{ source = "hashicorp/aws" }} }}
}}
variable "endpoint" {{}}
variable "name" {{}}
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {{
{endpoints}
  }}
}}
"""


class Terraform:
    """`terraform` in `directory`, with nimbus's endpoint and a name."""

    def __init__(self, directory: Path, endpoint: str, name: str):
        self.directory = directory
        (directory / "cli.tfrc").write_text(CLI_CONFIG)
        self.env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(directory / "cli.tfrc"),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
        self.variables = ["-var", f"endpoint={endpoint}", "-var", f"name={name}"]

    def run(self, *args: str, variables: bool = True) -> subprocess.CompletedProcess:
        extra = self.variables if variables else []
        return subprocess.run(
            ["terraform", *args, "-input=false", "-no-color", *extra],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def init(self) -> None:
        done = self.run("init", variables=False)
        assert done.returncode == 0, done.stderr

    def apply(self) -> None:
        done = self.run("apply", "-auto-approve")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr

    def plan_is_empty(self) -> None:
        done = self.run("plan", "-detailed-exitcode")
        assert done.returncode == 0, "the plan after apply wants changes:\n" + done.stdout[-3000:] + done.stderr

    def output(self, name: str) -> str:
        done = subprocess.run(
            ["terraform", "output", "-raw", name], cwd=self.directory, env=self.env, capture_output=True, text=True, timeout=60
        )
        return done.stdout

    def destroy(self) -> None:
        done = self.run("destroy", "-auto-approve")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
