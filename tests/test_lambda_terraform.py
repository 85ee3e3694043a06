"""Terraform round trip of a Lambda stack against nimbus, with the
hashicorp/aws provider from the machine's filesystem mirror: apply (a role,
a log group with retention, a function published from a zip with
environment variables, an alias, a permission, a function URL), a plan
that finds nothing to change, the URL answering with the function's
response, and destroy."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError

from lambda_support import awslambda, python_function  # noqa: F401
from terraform_support import Terraform, needs_terraform, provider

STACK = """resource "aws_iam_role" "fn" {
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


@needs_terraform
def test_terraform_applies_plans_nothing_and_destroys_a_lambda_stack(endpoint, awslambda, tmp_path):
    (tmp_path / "main.tf").write_text(provider("lambda", "iam", "sts", "logs") + STACK)
    (tmp_path / "fn.zip").write_bytes(python_function(HANDLER))
    name = f"tf-{uuid.uuid4().hex[:8]}"
    terraform = Terraform(tmp_path, endpoint, name)
    terraform.init()
    terraform.apply()
    function = awslambda.get_function(FunctionName=name)["Configuration"]
    assert (function["Version"], function["Environment"]["Variables"]) == ("$LATEST", {"GREETING": "hello from terraform"})
    assert awslambda.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    answered = subprocess.run(["curl", "-s", "--max-time", "30", terraform.output("url")], capture_output=True, text=True, timeout=60)
    assert answered.stdout == "hello from terraform"
    terraform.plan_is_empty()
    terraform.destroy()
    with pytest.raises(ClientError):
        awslambda.get_function(FunctionName=name)
