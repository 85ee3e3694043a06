"""HTTP APIs (API Gateway V2) through boto3 and curl: quick create, routes
and integrations, the Lambda event of payload format 2.0, HTTP proxying,
CORS preflights, and a missing route's 404."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from apigateway_support import function  # noqa: F401
from botocore.exceptions import ClientError
from lambda_support import awslambda  # noqa: F401

ECHO = """import json
def lambda_handler(event, context):
    return {"statusCode": 200, "headers": {"X-Route": event["routeKey"]}, "cookies": ["seen=1"], "body": json.dumps(event)}
"""


@pytest.fixture
def apigatewayv2(aws_client):
    return aws_client("apigatewayv2")


def http_url(api: dict) -> str:
    return api["ApiEndpoint"]


def curl(url: str, *args: str) -> tuple[int, dict[str, list[str]], str]:
    from apigateway_support import curl as run

    return run(url, *args)


def test_a_quick_created_api_invokes_its_function_with_the_2_0_event(apigatewayv2, awslambda, endpoint):
    function_arn = function(awslambda, ECHO)
    api = apigatewayv2.create_api(Name="quick", ProtocolType="HTTP", Target=function_arn)
    assert api["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert api["ProtocolType"] == "HTTP" and api["RouteSelectionExpression"] == "$request.method $request.path"
    port = endpoint.rsplit(":", 1)[1]
    assert api["ApiEndpoint"] == f"http://{api['ApiId']}.execute-api.us-east-1.localhost:{port}"
    assert [r["RouteKey"] for r in apigatewayv2.get_routes(ApiId=api["ApiId"])["Items"]] == ["$default"]
    assert [s["StageName"] for s in apigatewayv2.get_stages(ApiId=api["ApiId"])["Items"]] == ["$default"]
    status, headers, body = curl(http_url(api) + "/any/path?a=1&a=2", "-H", "Cookie: x=1; y=2", "-X", "POST", "-d", "hello")
    assert status == 200 and headers["x-route"] == ["$default"] and headers["set-cookie"] == ["seen=1"]
    event = json.loads(body)
    assert (event["version"], event["routeKey"], event["rawPath"], event["rawQueryString"]) == ("2.0", "$default", "/any/path", "a=1&a=2")
    assert event["queryStringParameters"] == {"a": "1,2"} and event["cookies"] == ["x=1", "y=2"]
    assert event["body"] == "hello" and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert (context["http"]["method"], context["stage"], context["apiId"]) == ("POST", "$default", api["ApiId"])


def test_routes_choose_by_method_and_path_and_cors_answers_preflights(apigatewayv2, awslambda, endpoint):
    api = apigatewayv2.create_api(
        Name="pets", ProtocolType="HTTP",
        CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["content-type"], "MaxAge": 300},
    )
    api_id = api["ApiId"]
    integration = apigatewayv2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function(awslambda, ECHO), PayloadFormatVersion="2.0"
    )
    for key in ("GET /pets", "GET /pets/{id}", "ANY /{proxy+}"):
        apigatewayv2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}")
    with pytest.raises(ClientError) as caught:
        apigatewayv2.create_route(ApiId=api_id, RouteKey="GET /pets", Target=f"integrations/{integration['IntegrationId']}")
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    apigatewayv2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True, StageVariables={"color": "red"})
    url = http_url(api) + "/prod"
    routed = {path: curl(url + path)[1]["x-route"][0] for path in ("/pets", "/pets/7", "/owners/1/x")}
    assert routed == {"/pets": "GET /pets", "/pets/7": "GET /pets/{id}", "/owners/1/x": "ANY /{proxy+}"}
    event = json.loads(curl(url + "/pets/7")[2])
    assert event["pathParameters"] == {"id": "7"} and event["stageVariables"] == {"color": "red"}
    assert event["requestContext"]["stage"] == "prod"
    status, headers, body = curl(
        url + "/pets", "-X", "OPTIONS", "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: POST"
    )
    assert status == 204 and headers["access-control-allow-origin"] == ["https://app.example"]
    assert headers["access-control-allow-methods"] == ["GET,POST"] and headers["access-control-max-age"] == ["300"]
    _, headers, _ = curl(url + "/pets", "-H", "Origin: https://app.example")
    assert headers["access-control-allow-origin"] == ["https://app.example"]
    apigatewayv2.delete_stage(ApiId=api_id, StageName="prod")
    status, _, body = curl(url + "/pets")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_an_http_proxy_route_forwards_and_apis_are_deleted(apigatewayv2):
    seen = []

    class Backend(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            body = b"from backend"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    try:
        api = apigatewayv2.create_api(
            Name="proxy", ProtocolType="HTTP", Target=f"http://127.0.0.1:{backend.server_address[1]}/up", RouteKey="GET /up"
        )
        status, _, body = curl(http_url(api) + "/up?x=1")
        assert (status, body) == (200, "from backend") and seen == ["/up?x=1"]
        assert curl(http_url(api) + "/down")[0] == 404
        apigatewayv2.delete_api(ApiId=api["ApiId"])
        with pytest.raises(ClientError) as caught:
            apigatewayv2.get_api(ApiId=api["ApiId"])
        assert caught.value.response["Error"]["Code"] == "NotFoundException"
    finally:
        backend.shutdown()


def b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """An OpenID issuer on loopback: an RSA key made with openssl, its JWKS
    served over HTTP, and tokens signed with it."""

    def __init__(self, tmp_path):
        import subprocess

        self.key = tmp_path / "key.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(self.key), "2048"], check=True, capture_output=True, timeout=60)
        modulus = subprocess.run(
            ["openssl", "rsa", "-in", str(self.key), "-noout", "-modulus"], check=True, capture_output=True, text=True, timeout=60
        ).stdout.strip().split("=", 1)[1]
        jwk = {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": b64url(bytes.fromhex(modulus)), "e": "AQAB"}
        issuer = self

        class Keys(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                documents = {
                    "/.well-known/openid-configuration": {"issuer": issuer.url, "jwks_uri": issuer.url + "/keys"},
                    "/keys": {"keys": [jwk]},
                }
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Keys)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key=None, **claims) -> str:
        import subprocess
        import time

        body = {"iss": self.url, "aud": "my-app", "sub": "ann", "exp": int(time.time()) + 600, "scope": "read write"}
        body.update(claims)
        signed = f"{b64url(json.dumps({'alg': 'RS256', 'kid': 'k1', 'typ': 'JWT'}).encode())}.{b64url(json.dumps(body).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(key or self.key)], input=signed.encode(), check=True, capture_output=True, timeout=60
        ).stdout
        return f"{signed}.{b64url(signature)}"


def test_a_jwt_authorizer_checks_signature_issuer_audience_expiry_and_scopes(apigatewayv2, awslambda, tmp_path):
    import subprocess

    issuer = Issuer(tmp_path)
    try:
        api = apigatewayv2.create_api(Name="jwt", ProtocolType="HTTP")
        api_id = api["ApiId"]
        integration = apigatewayv2.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function(awslambda, ECHO), PayloadFormatVersion="2.0"
        )
        authorizer = apigatewayv2.create_authorizer(
            ApiId=api_id, Name="users", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": issuer.url, "Audience": ["my-app"]},
        )
        apigatewayv2.create_route(
            ApiId=api_id, RouteKey="GET /me", Target=f"integrations/{integration['IntegrationId']}",
            AuthorizationType="JWT", AuthorizerId=authorizer["AuthorizerId"], AuthorizationScopes=["read"],
        )
        apigatewayv2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        url = http_url(api) + "/me"
        status, _, body = curl(url)
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        status, _, body = curl(url, "-H", f"Authorization: Bearer {issuer.token()}")
        assert status == 200, body
        jwt = json.loads(body)["requestContext"]["authorizer"]["jwt"]
        assert (jwt["claims"]["sub"], jwt["claims"]["aud"], jwt["scopes"]) == ("ann", "my-app", ["read", "write"])
        assert curl(url, "-H", f"Authorization: Bearer {issuer.token(aud='other-app')}")[0] == 401
        assert curl(url, "-H", f"Authorization: Bearer {issuer.token(exp=1)}")[0] == 401
        assert curl(url, "-H", f"Authorization: Bearer {issuer.token(iss='http://127.0.0.1:1')}")[0] == 401
        stranger = tmp_path / "stranger.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(stranger), "2048"], check=True, capture_output=True, timeout=60)
        assert curl(url, "-H", f"Authorization: Bearer {issuer.token(key=stranger)}")[0] == 401
        status, _, body = curl(url, "-H", f"Authorization: Bearer {issuer.token(scope='write')}")
        assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    finally:
        issuer.server.shutdown()


GATE = """def lambda_handler(event, context):
    token = event["identitySource"][0]
    if token == "boom":
        raise Exception("Unauthorized")
    if event.get("version") == "2.0" and {simple}:
        return {{"isAuthorized": token == "open", "context": {{"user": "ann"}}}}
    effect = "Allow" if token == "open" else "Deny"
    return {{"principalId": "ann", "context": {{"user": "ann"}}, "policyDocument": {{"Version": "2012-10-17",
        "Statement": [{{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["routeArn"]}}]}}}}
"""


@pytest.mark.parametrize("simple", [True, False])
def test_a_lambda_authorizer_lets_in_what_it_allows_and_shares_its_context(apigatewayv2, awslambda, simple):
    api = apigatewayv2.create_api(Name="gated", ProtocolType="HTTP")
    api_id = api["ApiId"]
    integration = apigatewayv2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function(awslambda, ECHO), PayloadFormatVersion="2.0"
    )
    gate = function(awslambda, GATE.format(simple=simple))
    authorizer = apigatewayv2.create_authorizer(
        ApiId=api_id, Name="gate", AuthorizerType="REQUEST", IdentitySource=["$request.header.X-Token"],
        AuthorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{gate}/invocations",
        AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=simple,
    )
    apigatewayv2.create_route(
        ApiId=api_id, RouteKey="GET /doors", Target=f"integrations/{integration['IntegrationId']}",
        AuthorizationType="CUSTOM", AuthorizerId=authorizer["AuthorizerId"],
    )
    apigatewayv2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    url = http_url(api) + "/doors"
    assert curl(url)[0] == 401, "no identity source"
    status, _, body = curl(url, "-H", "X-Token: open")
    assert status == 200, body
    assert json.loads(body)["requestContext"]["authorizer"]["lambda"] == {"user": "ann"}
    status, _, body = curl(url, "-H", "X-Token: shut")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    assert curl(url, "-H", "X-Token: boom")[0] == 401



def test_payload_format_1_0_sends_the_rest_style_event(apigatewayv2, awslambda):
    api = apigatewayv2.create_api(Name="v1", ProtocolType="HTTP")
    integration = apigatewayv2.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function(awslambda, ECHO), PayloadFormatVersion="1.0"
    )
    apigatewayv2.create_route(ApiId=api["ApiId"], RouteKey="GET /items/{id}", Target=f"integrations/{integration['IntegrationId']}")
    apigatewayv2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    status, _, body = curl(http_url(api) + "/items/9?tag=a&tag=b")
    assert status == 200, body
    event = json.loads(body)
    assert (event["version"], event["resource"], event["path"], event["httpMethod"]) == ("1.0", "/items/{id}", "/items/9", "GET")
    assert event["pathParameters"] == {"id": "9"} and event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["queryStringParameters"] == {"tag": "b"} and event["requestContext"]["resourcePath"] == "/items/{id}"
