"""Lambda layers through boto3: versions published from a zip or from S3,
listed and deleted as Lambda answers, and their contents found by the
functions that use them (a Python package under python/, a Node.js module
under nodejs/node_modules/, an executable under bin/)."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from lambda_support import awslambda, create, invoke, python_function, zipped  # noqa: F401

HELPER = zipped({"python/greeting.py": "def hello(name):\n    return 'hello ' + name\n"})
NODE_HELPER = zipped({"nodejs/node_modules/greeting/index.js": "exports.hello = (n) => 'hi ' + n;\n"})


def layer_name() -> str:
    return f"layer-{uuid.uuid4().hex[:10]}"


def test_a_layer_is_published_listed_and_deleted(awslambda):
    name = layer_name()
    first = awslambda.publish_layer_version(LayerName=name, Content={"ZipFile": HELPER}, CompatibleRuntimes=["python3.11"], Description="v1")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    arn = f"arn:aws:lambda:us-east-1:000000000000:layer:{name}"
    assert (first["LayerArn"], first["LayerVersionArn"], first["Version"]) == (arn, f"{arn}:1", 1)
    assert first["Content"]["CodeSize"] == len(HELPER) and first["Description"] == "v1"
    second = awslambda.publish_layer_version(LayerName=name, Content={"ZipFile": HELPER})
    assert second["Version"] == 2
    assert awslambda.get_layer_version(LayerName=name, VersionNumber=1)["Description"] == "v1"
    assert awslambda.get_layer_version_by_arn(Arn=f"{arn}:2")["Version"] == 2
    assert [v["Version"] for v in awslambda.list_layer_versions(LayerName=name)["LayerVersions"]] == [2, 1]
    assert [v["Version"] for v in awslambda.list_layer_versions(LayerName=name, CompatibleRuntime="python3.11")["LayerVersions"]] == [1]
    listed = [layer for layer in awslambda.list_layers()["Layers"] if layer["LayerName"] == name]
    assert listed[0]["LatestMatchingVersion"]["Version"] == 2
    assert awslambda.delete_layer_version(LayerName=name, VersionNumber=2)["ResponseMetadata"]["HTTPStatusCode"] == 204
    # Numbers are never given again.
    assert awslambda.publish_layer_version(LayerName=name, Content={"ZipFile": HELPER})["Version"] == 3
    with pytest.raises(ClientError) as caught:
        awslambda.get_layer_version(LayerName=name, VersionNumber=2)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_functions_find_their_layers_contents(awslambda, aws_client):
    python_layer = awslambda.publish_layer_version(LayerName=layer_name(), Content={"ZipFile": HELPER})["LayerVersionArn"]
    name = create(
        awslambda,
        python_function("import greeting\ndef lambda_handler(e, c):\n    return greeting.hello(e['who'])\n"),
        Layers=[python_layer],
    )
    assert awslambda.get_function(FunctionName=name)["Configuration"]["Layers"] == [{"Arn": python_layer, "CodeSize": len(HELPER)}]
    assert invoke(awslambda, name, {"who": "layer"})[1] == "hello layer"
    s3 = aws_client("s3")
    bucket = f"layers-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="node.zip", Body=NODE_HELPER)
    node_layer = awslambda.publish_layer_version(LayerName=layer_name(), Content={"S3Bucket": bucket, "S3Key": "node.zip"})["LayerVersionArn"]
    node = create(
        awslambda,
        zipped({"index.js": "const g = require('greeting');\nexports.handler = async (e) => g.hello(e.who);\n"}),
        runtime="nodejs20.x", handler="index.handler", Layers=[node_layer],
    )
    assert invoke(awslambda, node, {"who": "node"})[1] == "hi node"
    tool = zipped({"bin/layer-tool": "#!/bin/sh\necho from-the-layer\n"}, modes={"bin/layer-tool": 0o755})
    tool_layer = awslambda.publish_layer_version(LayerName=layer_name(), Content={"ZipFile": tool})["LayerVersionArn"]
    awslambda.update_function_configuration(FunctionName=name, Layers=[python_layer, tool_layer])
    shell = create(
        awslambda,
        python_function("import subprocess\ndef lambda_handler(e, c):\n    return subprocess.run(['layer-tool'], capture_output=True, text=True).stdout.strip()\n"),
        Layers=[tool_layer],
    )
    assert invoke(awslambda, shell, {})[1] == "from-the-layer"


def test_a_missing_layer_version_is_refused(awslambda):
    missing = "arn:aws:lambda:us-east-1:000000000000:layer:nothing-here:1"
    with pytest.raises(ClientError) as caught:
        create(awslambda, python_function("def lambda_handler(e, c):\n    return 1\n"), Layers=[missing])
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("InvalidParameterValueException", f"Layer version {missing} does not exist.")


def test_layer_version_permissions_are_added_read_and_removed(awslambda):
    name = layer_name()
    version = awslambda.publish_layer_version(LayerName=name, Content={"ZipFile": HELPER})
    with pytest.raises(ClientError) as caught:
        awslambda.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    added = awslambda.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="partner", Action="lambda:GetLayerVersion", Principal="111122223333"
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "lambda:GetLayerVersion", "Resource": version["LayerVersionArn"],
    }
    policy = awslambda.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == added["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["partner"]
    with pytest.raises(ClientError) as caught:
        awslambda.add_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="partner", Action="lambda:GetLayerVersion", Principal="*"
        )
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    awslambda.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="partner")
    with pytest.raises(ClientError) as caught:
        awslambda.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
