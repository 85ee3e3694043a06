"""The Update* operations of HTTP APIs through boto3, and what they
change on the wire (curl): the API's CORS, a route's key, an
integration's backend, a stage's variables, an authorizer."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from apigateway_support import apigateway, curl  # noqa: F401
from botocore.exceptions import ClientError


@pytest.fixture
def v2(aws_client):
    return aws_client("apigatewayv2")


@pytest.fixture
def backend():
    """A backend that answers the path it was asked."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({"path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def refused(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_updates_change_what_is_served(v2, backend):
    api = v2.create_api(Name="before", ProtocolType="HTTP")
    api_id = api["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri=backend + "/one", PayloadFormatVersion="1.0"
    )
    target = f"integrations/{integration['IntegrationId']}"
    route = v2.create_route(ApiId=api_id, RouteKey="GET /old", Target=target)
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables={"color": "blue"})
    base = api["ApiEndpoint"]
    assert json.loads(curl(base + "/old")[2]) == {"path": "/one"}

    updated = v2.update_api(
        ApiId=api_id, Name="after", Description="renamed", CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET"]}
    )
    assert (updated["Name"], updated["Description"], updated["ProtocolType"]) == ("after", "renamed", "HTTP")
    assert v2.get_api(ApiId=api_id)["CorsConfiguration"]["AllowOrigins"] == ["https://app.example"]
    status, headers, _ = curl(base + "/old", "-X", "OPTIONS", "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: GET")
    assert (status, headers["access-control-allow-origin"]) == (204, ["https://app.example"])

    moved = v2.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="GET /new")
    assert (moved["RouteKey"], moved["Target"], moved["RouteId"]) == ("GET /new", target, route["RouteId"])
    assert curl(base + "/old")[0] == 404
    assert curl(base + "/new")[0] == 200
    other = v2.create_route(ApiId=api_id, RouteKey="GET /other", Target=target)
    assert refused(v2.update_route, ApiId=api_id, RouteId=other["RouteId"], RouteKey="GET /new") == ("ConflictException", 409)
    assert refused(v2.update_route, ApiId=api_id, RouteId=other["RouteId"], Target="integrations/nope") == ("BadRequestException", 400)
    assert refused(v2.update_route, ApiId=api_id, RouteId="nope", RouteKey="GET /x") == ("NotFoundException", 404)
    assert v2.get_route(ApiId=api_id, RouteId=other["RouteId"])["RouteKey"] == "GET /other"

    changed = v2.update_integration(
        ApiId=api_id,
        IntegrationId=integration["IntegrationId"],
        IntegrationUri=backend + "/two",
        ResponseParameters={"200": {"overwrite:header.x-color": "$stageVariables.color"}},
    )
    assert (changed["IntegrationUri"], changed["IntegrationType"]) == (backend + "/two", "HTTP_PROXY")
    status, headers, body = curl(base + "/new")
    assert (status, json.loads(body), headers["x-color"]) == (200, {"path": "/two"}, ["blue"])
    assert refused(
        v2.update_integration, ApiId=api_id, IntegrationId=integration["IntegrationId"], RequestParameters={"bad": "x"}
    ) == ("BadRequestException", 400)

    stage = v2.update_stage(ApiId=api_id, StageName="$default", StageVariables={"color": "green"}, Description="live")
    assert (stage["StageVariables"], stage["Description"], stage["AutoDeploy"]) == ({"color": "green"}, "live", True)
    assert curl(base + "/new")[1]["x-color"] == ["green"]
    assert refused(v2.update_stage, ApiId=api_id, StageName="nope", Description="x") == ("NotFoundException", 404)


def test_update_authorizer(v2):
    api_id = v2.create_api(Name="auth", ProtocolType="HTTP")["ApiId"]
    authorizer = v2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["a"], "Issuer": "https://issuer.example"},
    )
    changed = v2.update_authorizer(
        ApiId=api_id, AuthorizerId=authorizer["AuthorizerId"], Name="renamed", JwtConfiguration={"Audience": ["b"], "Issuer": "https://issuer.example"}
    )
    assert (changed["Name"], changed["JwtConfiguration"]["Audience"], changed["AuthorizerType"]) == ("renamed", ["b"], "JWT")
    assert v2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer["AuthorizerId"])["Name"] == "renamed"
    assert refused(v2.update_authorizer, ApiId=api_id, AuthorizerId="nope", Name="x") == ("NotFoundException", 404)
    assert refused(v2.update_api, ApiId="nope", Name="x") == ("NotFoundException", 404)


def test_a_stage_without_auto_deploy_serves_its_deployment(v2, backend):
    api = v2.create_api(Name="deployed", ProtocolType="HTTP")
    api_id, base = api["ApiId"], api["ApiEndpoint"]
    assert refused(v2.create_deployment, ApiId=api_id) == ("BadRequestException", 400), "no routes yet"
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri=backend + "/v1", PayloadFormatVersion="1.0"
    )
    target = f"integrations/{integration['IntegrationId']}"
    v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=target)
    v2.create_stage(ApiId=api_id, StageName="live")
    assert curl(base + "/live/a")[0] == 404, "nothing deployed yet"

    first = v2.create_deployment(ApiId=api_id, StageName="live", Description="first")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (first["DeploymentStatus"], first["AutoDeployed"], first["Description"]) == ("DEPLOYED", False, "first")
    assert v2.get_stage(ApiId=api_id, StageName="live")["DeploymentId"] == first["DeploymentId"]
    assert json.loads(curl(base + "/live/a")[2]) == {"path": "/v1"}

    # Changes wait for the next deployment.
    v2.create_route(ApiId=api_id, RouteKey="GET /b", Target=target)
    v2.update_integration(ApiId=api_id, IntegrationId=integration["IntegrationId"], IntegrationUri=backend + "/v2")
    assert curl(base + "/live/b")[0] == 404
    assert json.loads(curl(base + "/live/a")[2]) == {"path": "/v1"}
    second = v2.create_deployment(ApiId=api_id)
    assert v2.get_stage(ApiId=api_id, StageName="live")["DeploymentId"] == first["DeploymentId"], "no stage named"
    v2.update_stage(ApiId=api_id, StageName="live", DeploymentId=second["DeploymentId"])
    assert json.loads(curl(base + "/live/b")[2]) == {"path": "/v2"}

    listed = {d["DeploymentId"] for d in v2.get_deployments(ApiId=api_id)["Items"]}
    assert listed == {first["DeploymentId"], second["DeploymentId"]}
    assert v2.update_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"], Description="old")["Description"] == "old"
    assert v2.get_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])["Description"] == "old"
    assert refused(v2.delete_deployment, ApiId=api_id, DeploymentId=second["DeploymentId"]) == ("BadRequestException", 400)
    v2.delete_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])
    assert refused(v2.get_deployment, ApiId=api_id, DeploymentId=first["DeploymentId"]) == ("NotFoundException", 404)
    assert refused(v2.update_stage, ApiId=api_id, StageName="live", DeploymentId="nope00") == ("NotFoundException", 404)
    assert refused(v2.create_deployment, ApiId=api_id, StageName="nope") == ("NotFoundException", 404)


def test_tags_of_http_apis_and_stages(v2):
    api = v2.create_api(Name="tagged", ProtocolType="HTTP", Tags={"team": "web"})
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api['ApiId']}"
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"team": "web"}
    v2.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
    assert v2.get_api(ApiId=api["ApiId"])["Tags"] == {"team": "web", "env": "dev"}
    v2.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"env": "dev"}
    v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    v2.tag_resource(ResourceArn=arn + "/stages/prod", Tags={"tier": "gold"})
    assert v2.get_stage(ApiId=api["ApiId"], StageName="prod")["Tags"] == {"tier": "gold"}
    assert refused(v2.tag_resource, ResourceArn=arn + "/stages/nope", Tags={"a": "b"}) == ("NotFoundException", 404)
    assert refused(v2.get_tags, ResourceArn="arn:aws:apigateway:us-east-1::/widgets/1") == ("BadRequestException", 400)
    assert refused(v2.tag_resource, ResourceArn=arn, Tags={"aws:x": "y"}) == ("BadRequestException", 400)


def test_domain_names_and_api_mappings_route_http_apis(v2, apigateway, backend, endpoint):
    import uuid

    domain = f"http-{uuid.uuid4().hex[:8]}.example.com"
    cert = "arn:aws:acm:us-east-1:000000000000:certificate/0b5e5a37-2a6f-4d2c-9d7a-8f7a1c1b2d3e"
    made = v2.create_domain_name(
        DomainName=domain, DomainNameConfigurations=[{"CertificateArn": cert, "EndpointType": "REGIONAL"}], Tags={"team": "web"}
    )
    configuration = made["DomainNameConfigurations"][0]
    assert (configuration["EndpointType"], configuration["DomainNameStatus"], configuration["HostedZoneId"]) == (
        "REGIONAL",
        "AVAILABLE",
        "Z1UJRXOUMOOFQ8",
    )
    assert configuration["ApiGatewayDomainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert made["ApiMappingSelectionExpression"] == "$request.basepath"
    assert apigateway.get_domain_name(domainName=domain)["regionalCertificateArn"] == cert, "one domain, both APIs"
    assert refused(v2.create_domain_name, DomainName=domain, DomainNameConfigurations=[{"CertificateArn": cert}]) == ("ConflictException", 409)

    api = v2.create_api(Name="mapped", ProtocolType="HTTP")
    integration = v2.create_integration(
        ApiId=api["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri=backend + "/{proxy}", PayloadFormatVersion="1.0"
    )
    v2.create_route(ApiId=api["ApiId"], RouteKey="GET /{proxy+}", Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api["ApiId"], StageName="live", AutoDeploy=True)
    mapping = v2.create_api_mapping(DomainName=domain, ApiId=api["ApiId"], Stage="live", ApiMappingKey="shop")
    assert (mapping["ApiMappingKey"], mapping["Stage"], mapping["ApiId"]) == ("shop", "live", api["ApiId"])
    status, _, body = curl(endpoint + "/shop/hats/1", "-H", f"Host: {domain}")
    assert (status, json.loads(body)) == (200, {"path": "/hats/1"})
    assert [m["ApiMappingId"] for m in v2.get_api_mappings(DomainName=domain)["Items"]] == [mapping["ApiMappingId"]]
    assert apigateway.get_base_path_mappings(domainName=domain)["items"][0]["basePath"] == "shop"
    assert refused(v2.create_api_mapping, DomainName=domain, ApiId=api["ApiId"], Stage="nope", ApiMappingKey="x") == ("BadRequestException", 400)
    assert refused(v2.create_api_mapping, DomainName=domain, ApiId=api["ApiId"], Stage="live", ApiMappingKey="shop") == ("ConflictException", 409)

    moved = v2.update_api_mapping(DomainName=domain, ApiMappingId=mapping["ApiMappingId"], ApiId=api["ApiId"], ApiMappingKey="store")
    assert (moved["ApiMappingKey"], moved["ApiMappingId"]) == ("store", mapping["ApiMappingId"])
    assert v2.get_api_mapping(DomainName=domain, ApiMappingId=mapping["ApiMappingId"])["ApiMappingKey"] == "store"
    assert curl(endpoint + "/store/caps", "-H", f"Host: {domain}")[0] == 200
    assert curl(endpoint + "/shop/caps", "-H", f"Host: {domain}")[0] == 403
    v2.delete_api_mapping(DomainName=domain, ApiMappingId=mapping["ApiMappingId"])
    assert refused(v2.get_api_mapping, DomainName=domain, ApiMappingId=mapping["ApiMappingId"]) == ("NotFoundException", 404)
    assert domain in [d["DomainName"] for d in v2.get_domain_names()["Items"]]
    v2.delete_domain_name(DomainName=domain)
    assert refused(v2.get_domain_name, DomainName=domain) == ("NotFoundException", 404)
