"""Custom domain names and base path mappings through boto3, and requests
to the domain (curl with its Host) that reach the mapped API and stage."""

from __future__ import annotations

import json
import uuid

import pytest
from apigateway_support import apigateway, curl, function, lambda_uri, new_api  # noqa: F401
from botocore.exceptions import ClientError

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0b5e5a37-2a6f-4d2c-9d7a-8f7a1c1b2d3e"


def refused(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def domain_name() -> str:
    return f"api-{uuid.uuid4().hex[:8]}.example.com"


def at_domain(endpoint: str, domain: str, path: str, *args: str):
    """curl of `path` on nimbus's port with the domain as Host."""
    return curl(endpoint + path, "-H", f"Host: {domain}", *args)


def echo_api(apigateway, name: str, stages: tuple[str, ...] = ("prod",)) -> str:
    """An API whose GET /{proxy+} answers with its name, stage and proxy."""
    api_id, root = new_api(apigateway)
    proxy = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigateway.put_method(restApiId=api_id, resourceId=proxy, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=proxy, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    template = '{"api": "%s", "stage": "$context.stage", "proxy": "$input.params(\'proxy\')"}' % name
    apigateway.put_integration_response(
        restApiId=api_id, resourceId=proxy, httpMethod="GET", statusCode="200", responseTemplates={"application/json": template}
    )
    for stage in stages:
        apigateway.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def test_domain_names_regional_and_edge(apigateway):
    regional = domain_name()
    created = apigateway.create_domain_name(
        domainName=regional, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]}, tags={"team": "web"}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["regionalDomainName"].startswith("d-") and created["regionalDomainName"].endswith(
        ".execute-api.us-east-1.amazonaws.com"
    )
    assert (created["regionalHostedZoneId"], created["domainNameStatus"]) == ("Z1UJRXOUMOOFQ8", "AVAILABLE")
    assert created["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert created["domainNameArn"] == f"arn:aws:apigateway:us-east-1::/domainnames/{regional}"
    assert "distributionDomainName" not in created

    edge = domain_name()
    made = apigateway.create_domain_name(domainName=edge, certificateArn=CERT)
    assert made["distributionDomainName"].endswith(".cloudfront.net")
    assert (made["distributionHostedZoneId"], made["endpointConfiguration"]["types"]) == ("Z2FDTNDATAQYW2", ["EDGE"])
    assert made["certificateArn"] == CERT and "certificateUploadDate" in made

    assert apigateway.get_domain_name(domainName=regional)["tags"] == {"team": "web"}
    listed = {d["domainName"] for d in apigateway.get_domain_names()["items"]}
    assert {regional, edge} <= listed
    assert refused(apigateway.create_domain_name, domainName=edge, certificateArn=CERT) == (
        "BadRequestException",
        400,
        "The domain name you provided already exists.",
    )
    assert refused(apigateway.create_domain_name, domainName="not_a domain", certificateArn=CERT)[:2] == ("BadRequestException", 400)
    changed = apigateway.update_domain_name(
        domainName=regional, patchOperations=[{"op": "replace", "path": "/regionalCertificateArn", "value": CERT + "0"}]
    )
    assert changed["regionalCertificateArn"] == CERT + "0"

    apigateway.delete_domain_name(domainName=edge)
    assert refused(apigateway.get_domain_name, domainName=edge) == (
        "NotFoundException",
        404,
        "Invalid domain name identifier specified",
    )
    assert refused(apigateway.delete_domain_name, domainName=edge)[:2] == ("NotFoundException", 404)


def test_base_path_mappings_route_the_domain(apigateway, endpoint):
    domain = domain_name()
    apigateway.create_domain_name(domainName=domain, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
    orders = echo_api(apigateway, "orders", ("prod", "test"))
    shop = echo_api(apigateway, "shop")
    assert at_domain(endpoint, domain, "/orders/a")[0] == 403, "no mapping yet"

    made = apigateway.create_base_path_mapping(domainName=domain, basePath="orders", restApiId=orders, stage="prod")
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (made["basePath"], made["restApiId"], made["stage"]) == ("orders", orders, "prod")
    apigateway.create_base_path_mapping(domainName=domain, basePath="orders/shop", restApiId=shop, stage="prod")
    apigateway.create_base_path_mapping(domainName=domain, basePath="staged", restApiId=orders)

    status, _, body = at_domain(endpoint, domain, "/orders/hats/1")
    assert (status, json.loads(body)) == (200, {"api": "orders", "stage": "prod", "proxy": "hats/1"})
    status, _, body = at_domain(endpoint, domain, "/orders/shop/hats")
    assert (status, json.loads(body)) == (200, {"api": "shop", "stage": "prod", "proxy": "hats"}), "the longest base path"
    status, _, body = at_domain(endpoint, domain, "/staged/test/caps")
    assert (status, json.loads(body)) == (200, {"api": "orders", "stage": "test", "proxy": "caps"}), "the stage from the path"
    assert at_domain(endpoint, domain, "/elsewhere/x")[0] == 403
    port = endpoint.rsplit(":", 1)[1]
    by_name = curl(f"http://{domain}:{port}/orders/a", "--resolve", f"{domain}:{port}:127.0.0.1")
    assert (by_name[0], json.loads(by_name[2])["api"]) == (200, "orders"), "the Host a resolver gives"

    assert [m["basePath"] for m in apigateway.get_base_path_mappings(domainName=domain)["items"]] == ["orders", "orders/shop", "staged"]
    assert apigateway.get_base_path_mapping(domainName=domain, basePath="orders/shop")["restApiId"] == shop
    assert refused(apigateway.create_base_path_mapping, domainName=domain, basePath="orders", restApiId=shop) == (
        "ConflictException",
        409,
        "Base path already exists for this domain name",
    )
    assert refused(apigateway.create_base_path_mapping, domainName=domain, restApiId=shop) == (
        "ConflictException",
        409,
        "Only one base path mapping is allowed if the base path is empty.",
    )
    assert refused(apigateway.create_base_path_mapping, domainName=domain, basePath="x", restApiId="nope000000") == (
        "BadRequestException",
        400,
        "Invalid REST API identifier specified",
    )
    assert refused(apigateway.create_base_path_mapping, domainName=domain, basePath="x", restApiId=shop, stage="gone")[:2] == (
        "BadRequestException",
        400,
    )
    assert refused(apigateway.get_base_path_mapping, domainName=domain, basePath="nope") == (
        "NotFoundException",
        404,
        "Invalid base path mapping identifier specified",
    )
    assert refused(apigateway.create_base_path_mapping, domainName="nope.example.com", restApiId=shop)[:2] == ("NotFoundException", 404)

    moved = apigateway.update_base_path_mapping(
        domainName=domain,
        basePath="orders",
        patchOperations=[{"op": "replace", "path": "/basePath", "value": "v2"}, {"op": "replace", "path": "/stage", "value": "test"}],
    )
    assert (moved["basePath"], moved["stage"]) == ("v2", "test")
    status, _, body = at_domain(endpoint, domain, "/v2/a")
    assert (status, json.loads(body)["stage"]) == (200, "test")
    assert at_domain(endpoint, domain, "/orders/a")[0] == 403
    apigateway.delete_base_path_mapping(domainName=domain, basePath="v2")
    assert at_domain(endpoint, domain, "/v2/a")[0] == 403
    apigateway.delete_domain_name(domainName=domain)
    assert at_domain(endpoint, domain, "/staged/test/caps")[0] != 200


def test_an_empty_base_path_and_the_lambda_event_on_a_domain(apigateway, aws_client, endpoint):
    awslambda = aws_client("lambda")
    arn = function(
        awslambda,
        "import json\n"
        "def lambda_handler(event, context):\n"
        "    seen = {k: event[k] for k in ('path', 'resource', 'pathParameters')}\n"
        "    seen['domainName'] = event['requestContext']['domainName']\n"
        "    seen['contextPath'] = event['requestContext']['path']\n"
        "    return {'statusCode': 200, 'body': json.dumps(seen)}\n",
    )
    api_id, root = new_api(apigateway)
    proxy = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigateway.put_method(restApiId=api_id, resourceId=proxy, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=proxy, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri(arn)
    )
    apigateway.create_deployment(restApiId=api_id, stageName="live")
    domain = domain_name()
    apigateway.create_domain_name(domainName=domain, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
    none = apigateway.create_base_path_mapping(domainName=domain, restApiId=api_id, stage="live")
    assert none["basePath"] == "(none)"

    status, _, body = at_domain(endpoint, domain, "/pets/7")
    assert status == 200, body
    assert json.loads(body) == {
        "path": "/pets/7",
        "resource": "/{proxy+}",
        "pathParameters": {"proxy": "pets/7"},
        "domainName": domain,
        "contextPath": "/pets/7",
    }
    apigateway.update_base_path_mapping(
        domainName=domain, basePath="(none)", patchOperations=[{"op": "replace", "path": "/basePath", "value": "pets"}]
    )
    status, _, body = at_domain(endpoint, domain, "/pets/7")
    assert (status, json.loads(body)["path"], json.loads(body)["pathParameters"]) == (200, "/pets/7", {"proxy": "7"})


def test_a_domain_and_its_mappings_survive_kill_9(launch_nimbus, tmp_path):
    from conftest import client_for

    data = tmp_path / "data"
    server = launch_nimbus("--data-dir", str(data), ephemeral=False)
    apigw = client_for(server.url, "apigateway")
    api_id = echo_api(apigw, "kept")
    domain = domain_name()
    apigw.create_domain_name(domainName=domain, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_base_path_mapping(domainName=domain, basePath="kept", restApiId=api_id, stage="prod")
    assert at_domain(server.url, domain, "/kept/a")[0] == 200
    server.process.kill()
    server.process.wait()
    restarted = launch_nimbus("--data-dir", str(data), ephemeral=False)
    status, _, body = at_domain(restarted.url, domain, "/kept/a")
    assert (status, json.loads(body)["api"]) == (200, "kept"), "the front door knows the domain at once"
    assert client_for(restarted.url, "apigateway").get_base_path_mapping(domainName=domain, basePath="kept")["restApiId"] == api_id
