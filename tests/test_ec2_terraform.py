"""Terraform round trip of a VPC stack against nimbus (hashicorp/aws from
the machine's mirror): a VPC, a public subnet, an internet gateway, a route
table with the route out and its association, a security group with rules,
a NAT gateway on an Elastic IP for a private subnet, a key pair; applied,
checked through boto3, planned with nothing to change, destroyed."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from terraform_support import Terraform, needs_terraform, provider

STACK = """
resource "aws_vpc" "main" {
  cidr_block           = "10.42.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}
resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.42.1.0/24"
  availability_zone       = "us-east-1a"
  map_public_ip_on_launch = true
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}
resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}
resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}
resource "aws_security_group" "web" {
  name   = "${var.name}-web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_eip" "nat" {
  domain = "vpc"
}
resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  depends_on    = [aws_internet_gateway.gw]
}
resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.42.2.0/24"
  availability_zone = "us-east-1b"
}
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.nat.id
  }
}
resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}
resource "aws_key_pair" "deployer" {
  key_name   = "${var.name}-deployer"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deployer@example"
}
output "vpc" { value = aws_vpc.main.id }
output "nat" { value = aws_nat_gateway.nat.id }
output "private_subnet" { value = aws_subnet.private.id }
output "subnet" { value = aws_subnet.public.id }
output "group" { value = aws_security_group.web.id }
output "default_acl" { value = aws_vpc.main.default_network_acl_id }
"""


@pytest.fixture
def ec2(aws_client):
    return aws_client("ec2")


@needs_terraform
def test_terraform_applies_plans_nothing_and_destroys_a_vpc_stack(endpoint, ec2, tmp_path):
    (tmp_path / "main.tf").write_text(provider("ec2", "sts") + STACK)
    terraform = Terraform(tmp_path, endpoint, f"tf-{uuid.uuid4().hex[:8]}")
    terraform.init()
    terraform.apply()
    vpc, subnet, group = terraform.output("vpc"), terraform.output("subnet"), terraform.output("group")
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": True}
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    assert [r["DestinationCidrBlock"] for r in tables[0]["Routes"]] == ["10.42.0.0/16", "0.0.0.0/0"]
    rules = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["IpProtocol"], p["FromPort"]) for p in rules] == [("tcp", 80)]
    acls = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
    assert [a["NetworkAclId"] for a in acls] == [terraform.output("default_acl")]
    nat = ec2.describe_nat_gateways(NatGatewayIds=[terraform.output("nat")])["NatGateways"][0]
    assert nat["State"] == "available"
    private = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [terraform.output("private_subnet")]}])["RouteTables"]
    assert [r.get("NatGatewayId") for r in private[0]["Routes"]] == [None, nat["NatGatewayId"]]
    terraform.plan_is_empty()
    terraform.destroy()
    with pytest.raises(ClientError):
        ec2.describe_vpcs(VpcIds=[vpc])
