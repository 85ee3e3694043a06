"""HTTP APIs' parameter mapping through boto3 and curl: an HTTP_PROXY
integration's request parameters change the headers, query and path the
backend sees; its response parameters change the answer by status."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from apigateway_support import curl
from botocore.exceptions import ClientError


@pytest.fixture
def v2(aws_client):
    return aws_client("apigatewayv2")


@pytest.fixture
def backend():
    """A backend that answers what it was asked: path, query and headers."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            seen = {"path": self.path, "x-user": self.headers.get("X-User"), "x-secret": self.headers.get("X-Secret")}
            seen["x-request"] = self.headers.get("X-Request")
            body = json.dumps(seen).encode()
            self.send_response(404 if "missing" in self.path else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend-Id", "b-7")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_request_and_response_parameters_change_what_passes(v2, backend):
    api = v2.create_api(Name="mapped", ProtocolType="HTTP")
    integration = v2.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=backend + "/items/{id}",
        PayloadFormatVersion="1.0",
        RequestParameters={
            "overwrite:header.x-user": "user-$request.body.user.name",
            "remove:header.x-secret": "''",
            "append:querystring.source": "${request.path.id}-api",
            "overwrite:querystring.page": "$request.querystring.p",
            "overwrite:header.x-request": "$context.requestId",
        },
        ResponseParameters={
            "200": {"overwrite:header.x-served-by": "$response.header.x-backend-id", "append:header.x-stage": "$context.stage"},
            "404": {"overwrite:statuscode": "410", "overwrite:header.x-gone": "$response.body.path"},
        },
    )
    assert integration["RequestParameters"]["remove:header.x-secret"] == "''"
    assert integration["ResponseParameters"]["404"]["overwrite:statuscode"] == "410"
    target = f"integrations/{integration['IntegrationId']}"
    v2.create_route(ApiId=api["ApiId"], RouteKey="POST /items/{id}", Target=target)
    v2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    url = api["ApiEndpoint"] + "/items/7?p=3"
    body = '{"user": {"name": "ann"}}'
    status, headers, answer = curl(url, "-X", "POST", "-H", "X-Secret: s3cret", "-H", "Content-Type: application/json", "-d", body)
    assert status == 200, answer
    seen = json.loads(answer)
    assert seen["path"] == "/items/7?p=3&source=7-api&page=3"
    assert (seen["x-user"], seen["x-secret"]) == ("user-ann", None)
    assert seen["x-request"] == headers["apigw-requestid"][0]
    assert (headers["x-served-by"], headers["x-stage"]) == (["b-7"], ["$default"])

    status, headers, _ = curl(api["ApiEndpoint"] + "/items/missing?p=1", "-X", "POST", "-d", "{}")
    assert (status, headers["x-gone"]) == (410, ["/items/missing?p=1&source=missing-api&page=1"])


def test_path_overwrite_and_bad_keys(v2, backend):
    api = v2.create_api(Name="paths", ProtocolType="HTTP")
    integration = v2.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=backend + "/ignored",
        PayloadFormatVersion="1.0",
        RequestParameters={"overwrite:path": "/v2/$request.path.name"},
    )
    v2.create_route(ApiId=api["ApiId"], RouteKey="POST /{name}", Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    status, _, answer = curl(api["ApiEndpoint"] + "/books", "-X", "POST", "-d", "{}")
    assert (status, json.loads(answer)["path"]) == (200, "/v2/books")

    for parameters in ({"rename:header.x": "1"}, {"overwrite:statuscode": "200"}, {"append:path": "/x"}):
        with pytest.raises(ClientError) as caught:
            v2.create_integration(
                ApiId=api["ApiId"],
                IntegrationType="HTTP_PROXY",
                IntegrationMethod="GET",
                IntegrationUri=backend,
                PayloadFormatVersion="1.0",
                RequestParameters=parameters,
            )
        assert caught.value.response["Error"]["Code"] == "BadRequestException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
