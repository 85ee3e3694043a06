"""API Gateway figure of issue 15, measured against a running nimbus: what a
Lambda proxy integration adds to a warm invoke. One keep-alive client calls
the same trivial Python function alternately in batches, directly (Lambda's
Invoke, a routing-only Authorization header: nimbus's default mode verifies
no signatures) and through a deployed REST API's AWS_PROXY method (a plain
GET, as a browser sends it); it prints the p50 and p99 of both and the
difference of the p50s.

Usage: python apigateway_proxy.py http://127.0.0.1:4566 [requests]
"""

from __future__ import annotations

import http.client
import io
import json
import statistics
import sys
import time
import urllib.parse
import zipfile

import boto3

ROUTING_ONLY = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host, Signature=0000")
HANDLER = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def clients(endpoint: str):
    keys = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    return boto3.client("lambda", **keys), boto3.client("apigateway", **keys)


def setup(endpoint: str) -> tuple[str, str]:
    lam, apigw = clients(endpoint)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    name = f"bench-proxy-{int(time.time())}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.11", Role="arn:aws:iam::000000000000:role/r",
                              Handler="lambda_function.lambda_handler", Code={"ZipFile": buffer.getvalue()})["FunctionArn"]
    api = apigw.create_rest_api(name="bench-proxy")
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    return name, api["id"]


def timed(conn: http.client.HTTPConnection, method: str, path: str, headers: dict) -> float:
    started = time.perf_counter()
    conn.request(method, path, body=b"{}" if method == "POST" else None, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {body!r}")
    return elapsed


def main() -> None:
    endpoint = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    name, api_id = setup(endpoint)
    url = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    direct_path = f"/2015-03-31/functions/{name}/invocations"
    direct_headers = {"Content-Type": "application/json", "Authorization": ROUTING_ONLY}
    proxy_path = f"/_aws/execute-api/{api_id}/prod/"
    for _ in range(50):  # warm both paths
        timed(conn, "POST", direct_path, direct_headers)
        timed(conn, "GET", proxy_path, {})
    direct, proxied = [], []
    for _ in range(requests // 100):
        direct += [timed(conn, "POST", direct_path, direct_headers) for _ in range(100)]
        proxied += [timed(conn, "GET", proxy_path, {}) for _ in range(100)]

    def quantile(values: list[float], q: float) -> float:
        return round(statistics.quantiles(values, n=100)[q - 1], 3)

    print(json.dumps({
        "requests_each": len(direct),
        "direct_invoke_p50_ms": quantile(direct, 50),
        "direct_invoke_p99_ms": quantile(direct, 99),
        "lambda_proxy_p50_ms": quantile(proxied, 50),
        "lambda_proxy_p99_ms": quantile(proxied, 99),
        "added_p50_ms": round(quantile(proxied, 50) - quantile(direct, 50), 3),
    }, indent=2))


if __name__ == "__main__":
    main()
