"""Terraform round trip of API Gateway stacks against nimbus: a REST API
(resources, methods, a MOCK and a Lambda proxy integration, responses, a
model and validator, a gateway response, a deployment and stage, an API
key in a usage plan, a custom domain with a base path mapping) and an
HTTP API (a Lambda route on an auto-deployed stage); applied, served over
HTTP, planned again with nothing to change, destroyed."""

from __future__ import annotations

import json
import uuid

import pytest
from apigateway_support import apigateway, curl  # noqa: F401
from botocore.exceptions import ClientError
from lambda_support import python_function
from terraform_support import Terraform, needs_terraform, provider

STACK = """
resource "aws_iam_role" "fn" {
  name = "${var.name}-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
resource "aws_lambda_function" "fn" {
  function_name    = var.name
  role             = aws_iam_role.fn.arn
  handler          = "lambda_function.lambda_handler"
  runtime          = "python3.11"
  filename         = "fn.zip"
  source_code_hash = filebase64sha256("fn.zip")
}
resource "aws_lambda_permission" "apigw" {
  statement_id  = "AllowAPIGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  principal     = "apigateway.amazonaws.com"
}

resource "aws_api_gateway_rest_api" "api" {
  name        = var.name
  description = "made by terraform"
  tags        = { team = "web" }
}
resource "aws_api_gateway_resource" "hello" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "hello"
}
resource "aws_api_gateway_model" "greeting" {
  rest_api_id  = aws_api_gateway_rest_api.api.id
  name         = "Greeting"
  content_type = "application/json"
  schema = jsonencode({
    type       = "object"
    required   = ["name"]
    properties = { name = { type = "string" } }
  })
}
resource "aws_api_gateway_request_validator" "body" {
  rest_api_id           = aws_api_gateway_rest_api.api.id
  name                  = "body"
  validate_request_body = true
}
resource "aws_api_gateway_method" "get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.hello.id
  http_method   = "GET"
  authorization = "NONE"
  api_key_required = true
}
resource "aws_api_gateway_integration" "get" {
  rest_api_id       = aws_api_gateway_rest_api.api.id
  resource_id       = aws_api_gateway_resource.hello.id
  http_method       = aws_api_gateway_method.get.http_method
  type              = "MOCK"
  request_templates = { "application/json" = jsonencode({ statusCode = 200 }) }
}
resource "aws_api_gateway_method_response" "get" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.hello.id
  http_method = aws_api_gateway_method.get.http_method
  status_code = "200"
}
resource "aws_api_gateway_integration_response" "get" {
  rest_api_id        = aws_api_gateway_rest_api.api.id
  resource_id        = aws_api_gateway_resource.hello.id
  http_method        = aws_api_gateway_method.get.http_method
  status_code        = aws_api_gateway_method_response.get.status_code
  response_templates = { "application/json" = "{\\"hello\\": \\"mock\\"}" }
  depends_on         = [aws_api_gateway_integration.get]
}
resource "aws_api_gateway_method" "post" {
  rest_api_id          = aws_api_gateway_rest_api.api.id
  resource_id          = aws_api_gateway_resource.hello.id
  http_method          = "POST"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models       = { "application/json" = aws_api_gateway_model.greeting.name }
}
resource "aws_api_gateway_integration" "post" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.hello.id
  http_method             = aws_api_gateway_method.post.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.fn.invoke_arn
}
resource "aws_api_gateway_gateway_response" "missing" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  response_type = "MISSING_AUTHENTICATION_TOKEN"
  status_code   = "404"
  response_templates = { "application/json" = "{\\"message\\": \\"no such route\\"}" }
}
resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  depends_on = [
    aws_api_gateway_integration_response.get,
    aws_api_gateway_integration.post,
    aws_api_gateway_gateway_response.missing,
  ]
  lifecycle { create_before_destroy = true }
}
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"
  variables     = { color = "blue" }
}
resource "aws_api_gateway_api_key" "partner" {
  name = "${var.name}-partner"
}
resource "aws_api_gateway_usage_plan" "plan" {
  name = "${var.name}-plan"
  api_stages {
    api_id = aws_api_gateway_rest_api.api.id
    stage  = aws_api_gateway_stage.prod.stage_name
  }
  quota_settings {
    limit  = 100
    period = "DAY"
  }
  throttle_settings {
    burst_limit = 10
    rate_limit  = 10
  }
}
resource "aws_api_gateway_usage_plan_key" "partner" {
  key_id        = aws_api_gateway_api_key.partner.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.plan.id
}
resource "aws_api_gateway_domain_name" "api" {
  domain_name              = "${var.name}.example.com"
  regional_certificate_arn = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"
  endpoint_configuration { types = ["REGIONAL"] }
}
resource "aws_api_gateway_base_path_mapping" "api" {
  api_id      = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  domain_name = aws_api_gateway_domain_name.api.domain_name
  base_path   = "v1"
}

resource "aws_apigatewayv2_api" "http" {
  name          = "${var.name}-http"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_integration" "fn" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.fn.invoke_arn
  payload_format_version = "2.0"
}
resource "aws_apigatewayv2_route" "hello" {
  api_id    = aws_apigatewayv2_api.http.id
  route_key = "POST /hello"
  target    = "integrations/${aws_apigatewayv2_integration.fn.id}"
}
resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true
}

output "rest_url" { value = aws_api_gateway_stage.prod.invoke_url }
output "key" {
  value     = aws_api_gateway_api_key.partner.value
  sensitive = true
}
output "rest_id" { value = aws_api_gateway_rest_api.api.id }
output "http_url" { value = aws_apigatewayv2_api.http.api_endpoint }
"""

HANDLER = """import json
def lambda_handler(event, context):
    body = json.loads(event.get("body") or "{}")
    return {"statusCode": 200, "body": json.dumps({"hello": body.get("name")})}
"""


@needs_terraform
def test_terraform_applies_serves_plans_nothing_and_destroys_api_gateway_stacks(endpoint, apigateway, tmp_path):
    (tmp_path / "main.tf").write_text(provider("apigateway", "apigatewayv2", "lambda", "iam", "sts") + STACK)
    (tmp_path / "fn.zip").write_bytes(python_function(HANDLER))
    name = f"tf-{uuid.uuid4().hex[:8]}"
    terraform = Terraform(tmp_path, endpoint, name)
    terraform.init()
    terraform.apply()

    api_id = terraform.output("rest_id")
    assert apigateway.get_rest_api(restApiId=api_id)["tags"] == {"team": "web"}
    port = endpoint.rsplit(":", 1)[1]
    base = f"http://{api_id}.execute-api.localhost:{port}/prod"
    key = terraform.output("key")
    status, _, body = curl(base + "/hello", "-H", f"x-api-key: {key}")
    assert (status, json.loads(body)) == (200, {"hello": "mock"})
    assert curl(base + "/hello")[0] == 403, "the key is required"
    json_post = ("-X", "POST", "-H", "content-type: application/json")
    status, _, body = curl(base + "/hello", *json_post, "-d", '{"name": "tf"}')
    assert (status, json.loads(body)) == (200, {"hello": "tf"})
    assert curl(base + "/hello", *json_post, "-d", '{"nom": 1}')[0] == 400, "the validator checks the model"
    status, _, body = curl(base + "/nowhere")
    assert (status, json.loads(body)) == (404, {"message": "no such route"})
    status, _, body = curl(endpoint + "/v1/hello", "-H", f"Host: {name}.example.com", "-H", f"x-api-key: {key}")
    assert (status, json.loads(body)) == (200, {"hello": "mock"}), "through the custom domain"
    status, _, body = curl(terraform.output("http_url") + "/hello", *json_post, "-d", '{"name": "v2"}')
    assert (status, json.loads(body)) == (200, {"hello": "v2"})

    terraform.plan_is_empty()
    terraform.destroy()
    with pytest.raises(ClientError):
        apigateway.get_rest_api(restApiId=api_id)
