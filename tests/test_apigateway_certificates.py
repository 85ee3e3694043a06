"""Client certificates through boto3, checked with openssl: a self-signed
X.509 certificate as API Gateway makes it, kept with its description and
tags, named by a stage, deleted."""

from __future__ import annotations

import subprocess

import pytest
from apigateway_support import apigateway, new_api  # noqa: F401
from botocore.exceptions import ClientError


def test_a_generated_certificate_is_real_kept_and_named_by_a_stage(apigateway, tmp_path):
    made = apigateway.generate_client_certificate(description="backend mTLS", tags={"team": "web"})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    cert_id = made["clientCertificateId"]
    assert len(cert_id) == 6 and made["description"] == "backend mTLS"
    lifetime = made["expirationDate"] - made["createdDate"]
    assert abs(lifetime.total_seconds() - 365 * 24 * 3600) < 2
    pem = made["pemEncodedCertificate"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem, capture_output=True, text=True, check=True).stdout
    assert "Public-Key: (2048 bit)" in text and "sha256WithRSAEncryption" in text
    assert "CN=ApiGateway" in text.replace(" = ", "=")
    (tmp_path / "cert.pem").write_text(pem)
    verified = subprocess.run(["openssl", "verify", "-CAfile", "cert.pem", "cert.pem"], cwd=tmp_path, capture_output=True, text=True)
    assert verified.stdout.strip() == "cert.pem: OK", "self-signed, its signature holds" + verified.stderr

    got = apigateway.get_client_certificate(clientCertificateId=cert_id)
    assert (got["pemEncodedCertificate"], got["tags"]) == (pem, {"team": "web"})
    assert cert_id in [c["clientCertificateId"] for c in apigateway.get_client_certificates()["items"]]
    changed = apigateway.update_client_certificate(
        clientCertificateId=cert_id, patchOperations=[{"op": "replace", "path": "/description", "value": "rotated"}]
    )
    assert changed["description"] == "rotated"

    api_id, root = new_api(apigateway)
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    stage = apigateway.update_stage(
        restApiId=api_id, stageName="prod", patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": cert_id}]
    )
    assert stage["clientCertificateId"] == cert_id
    with pytest.raises(ClientError) as caught:
        apigateway.update_stage(
            restApiId=api_id, stageName="prod", patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": "nope00"}]
        )
    assert caught.value.response["Error"]["Code"] == "NotFoundException"

    apigateway.delete_client_certificate(clientCertificateId=cert_id)
    with pytest.raises(ClientError) as caught:
        apigateway.get_client_certificate(clientCertificateId=cert_id)
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("NotFoundException", "Invalid Client Certificate identifier specified")
