"""What the EC2 instance tests share: the boto3 client and the Amazon Linux
2023 image they launch (import the fixtures into a test module to use them)."""

from __future__ import annotations

import pytest


@pytest.fixture
def ec2(aws_client):
    return aws_client("ec2")


@pytest.fixture
def image(ec2) -> str:
    found = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return found["Images"][0]["ImageId"]
