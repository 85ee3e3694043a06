"""Terraform round trip of a Lambda stack against nimbus, with the
hashicorp/aws provider from the machine's filesystem mirror: apply (a role,
a log group with retention, a function published from a zip with
environment variables, an alias, a permission, a function URL), a plan
that finds nothing to change, the URL answering with the function's
response, and destroy."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lambda_support import awslambda, python_function  # noqa: F401

MIRROR = Path(os.environ.get("NIMBUS_TF_PLUGINS", "/opt/tf-plugins"))

CLI_CONFIG = f"""provider_installation {{
  filesystem_mirror {{
    path    = "{MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{ exclude = ["registry.terraform.io/hashicorp/aws"] }}
}}
"""

STACK = """terraform {
  required_providers { aws = { source = "hashicorp/aws" } }
}
variable "endpoint" {}
variable "name" {}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {
    lambda = var.endpoint
    iam    = var.endpoint
    sts    = var.endpoint
    logs   = var.endpoint
  }
}
resource "aws_iam_role" "fn" {
  name = "${var.name}-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
resource "aws_cloudwatch_log_group" "fn" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = 7
}
resource "aws_lambda_function" "fn" {
  function_name    = var.name
  role             = aws_iam_role.fn.arn
  handler          = "lambda_function.lambda_handler"
  runtime          = "python3.11"
  filename         = "fn.zip"
  source_code_hash = filebase64sha256("fn.zip")
  publish          = true
  environment { variables = { GREETING = "hello from terraform" } }
  depends_on = [aws_cloudwatch_log_group.fn]
}
resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.fn.function_name
  function_version = aws_lambda_function.fn.version
}
resource "aws_lambda_permission" "s3" {
  statement_id  = "AllowS3"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  principal     = "s3.amazonaws.com"
  source_arn    = "arn:aws:s3:::some-bucket"
}
resource "aws_lambda_function_url" "url" {
  function_name      = aws_lambda_function.fn.function_name
  authorization_type = "NONE"
}
output "url" { value = aws_lambda_function_url.url.function_url }
"""

HANDLER = """import os
def lambda_handler(event, context):
    return {"statusCode": 200, "body": os.environ["GREETING"]}
"""


@pytest.mark.skipif(shutil.which("terraform") is None or not MIRROR.is_dir(), reason="needs terraform and its aws provider mirror")
def test_terraform_applies_plans_nothing_and_destroys_a_lambda_stack(endpoint, awslambda, tmp_path):
    (tmp_path / "main.tf").write_text(STACK)
    (tmp_path / "fn.zip").write_bytes(python_function(HANDLER))
    (tmp_path / "cli.tfrc").write_text(CLI_CONFIG)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "cli.tfrc"), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    name = f"tf-{uuid.uuid4().hex[:8]}"
    variables = ["-var", f"endpoint={endpoint}", "-var", f"name={name}"]

    def terraform(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["terraform", *args, "-input=false", "-no-color"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    init = subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    applied = terraform("apply", "-auto-approve", *variables)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
    function = awslambda.get_function(FunctionName=name)["Configuration"]
    assert (function["Version"], function["Environment"]["Variables"]) == ("$LATEST", {"GREETING": "hello from terraform"})
    assert awslambda.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    url = subprocess.run(["terraform", "output", "-raw", "url"], cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    answered = subprocess.run(["curl", "-s", "--max-time", "30", url], capture_output=True, text=True, timeout=60)
    assert answered.stdout == "hello from terraform"
    planned = terraform("plan", "-detailed-exitcode", *variables)
    assert planned.returncode == 0, "the plan after apply wants changes:\n" + planned.stdout[-3000:]
    destroyed = terraform("destroy", "-auto-approve", *variables)
    assert destroyed.returncode == 0, destroyed.stdout[-3000:] + destroyed.stderr
    with pytest.raises(ClientError):
        awslambda.get_function(FunctionName=name)
