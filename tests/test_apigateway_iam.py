"""IAM at the door of REST APIs (curl signing with SigV4 for execute-api):
AWS_IAM methods take only signed requests; under --enforce-iam the signer
must be allowed execute-api:Invoke by its policies or the API's resource
policy, which also holds anonymous callers of the API's other methods."""

from __future__ import annotations

import json

from apigateway_support import ACCOUNT, apigateway, curl, function, invoke_url, new_api  # noqa: F401

SIGV4 = ("--aws-sigv4", "aws:amz:us-east-1:execute-api")


def mock_method(apigw, api_id: str, resource: str, authorization: str) -> None:
    """GET on `resource` answering the signer's access key and account."""
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType=authorization)
    apigw.put_integration(
        restApiId=api_id, resourceId=resource, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"key": "$context.identity.accessKey", "account": "$context.identity.accountId"}'},
    )


def iam_api(apigw) -> tuple[str, str]:
    """An API with an AWS_IAM GET / and a public GET /open; its id and root."""
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, "AWS_IAM")
    public = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="open")["id"]
    mock_method(apigw, api_id, public, "NONE")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, root


def test_aws_iam_methods_take_only_signed_requests(apigateway, endpoint):
    api_id, _ = iam_api(apigateway)
    url = invoke_url(endpoint, api_id, "prod") + "/"
    status, headers, body = curl(url)
    assert (status, json.loads(body), headers["x-amzn-errortype"]) == (
        403,
        {"message": "Missing Authentication Token"},
        ["MissingAuthenticationTokenException"],
    )
    status, _, body = curl(url, *SIGV4, "--user", "AKIDEXAMPLE:secret")
    assert (status, json.loads(body)) == (200, {"key": "AKIDEXAMPLE", "account": ACCOUNT})
    assert curl(invoke_url(endpoint, api_id, "prod") + "/open")[0] == 200, "other methods stay open"


def test_under_enforcement_the_signer_needs_execute_api_invoke(launch_nimbus):
    from test_iam_enforcement import Cloud, allow, deny, user_arn

    cloud = Cloud(launch_nimbus("--enforce-iam").url)
    apigw = cloud.client("apigateway")
    api_id, root = iam_api(apigw)
    method_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/prod/GET/"
    url = invoke_url(cloud.url, api_id, "prod") + "/"
    nobody = cloud.user("nobody")
    caller = cloud.user("caller", allow("execute-api:Invoke", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/prod/*"))

    status, _, body = curl(url, *SIGV4, "--user", f"{nobody.key}:{nobody.secret}")
    assert (status, json.loads(body)) == (
        403,
        {"Message": f"User: {user_arn('nobody')} is not authorized to perform: execute-api:Invoke on resource: {method_arn}"},
    )
    status, _, body = curl(url, *SIGV4, "--user", f"{caller.key}:{caller.secret}")
    assert (status, json.loads(body)) == (200, {"key": caller.key, "account": ACCOUNT})
    status, _, body = curl(url, *SIGV4, "--user", f"{caller.key}:not-the-secret")
    assert status == 403 and json.loads(body)["message"].startswith("The request signature we calculated does not match")
    assert curl(invoke_url(cloud.url, api_id, "prod") + "/open")[0] == 200, "no resource policy: open methods stay open"

    # A resource policy's deny wins, once deployed; it also holds the open method's anonymous callers.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            deny("execute-api:Invoke", method_arn, Principal={"AWS": user_arn("caller")}),
            allow("execute-api:Invoke", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/prod/GET/open", Principal="*"),
        ],
    }
    apigw.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(policy)}])
    assert curl(url, *SIGV4, "--user", f"{caller.key}:{caller.secret}")[0] == 200, "not yet deployed"
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    status, _, body = curl(url, *SIGV4, "--user", f"{caller.key}:{caller.secret}")
    assert (status, json.loads(body)) == (
        403,
        {"Message": f"User: {user_arn('caller')} is not authorized to perform: execute-api:Invoke on resource: {method_arn} with an explicit deny"},
    )
    assert curl(invoke_url(cloud.url, api_id, "prod") + "/open")[0] == 200, "the policy lets anyone in"
    closed = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="closed")["id"]
    mock_method(apigw, api_id, closed, "NONE")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    status, _, body = curl(invoke_url(cloud.url, api_id, "prod") + "/closed")
    closed_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/prod/GET/closed"
    assert (status, json.loads(body)) == (
        403,
        {"Message": f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {closed_arn}"},
    )


def test_http_api_aws_iam_routes(aws_client):
    v2 = aws_client("apigatewayv2")
    arn = function(
        aws_client("lambda"),
        "def lambda_handler(event, context):\n    return event['requestContext']['authorizer']['iam']\n",
    )
    api = v2.create_api(Name="iam-http", ProtocolType="HTTP")
    backend = v2.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0")
    route = v2.create_route(
        ApiId=api["ApiId"], RouteKey="GET /who", AuthorizationType="AWS_IAM", Target=f"integrations/{backend['IntegrationId']}"
    )
    assert route["AuthorizationType"] == "AWS_IAM"
    v2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    url = api["ApiEndpoint"] + "/who"
    status, _, body = curl(url)
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = curl(url, *SIGV4, "--user", "AKIDEXAMPLE:secret")
    assert status == 200
    assert (json.loads(body)["accessKey"], json.loads(body)["accountId"]) == ("AKIDEXAMPLE", ACCOUNT)
