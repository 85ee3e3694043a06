"""Terraform round trip of the WhatIsTheTime.com stack against nimbus
(hashicorp/aws from the machine's mirror): the Amazon Linux image looked
up, a security group open on the app's port, an instance whose user data
starts the app, an Elastic IP on it; applied, the app answered through the
Elastic IP, planned with nothing to change, destroyed."""

from __future__ import annotations

import uuid

from terraform_support import Terraform, needs_terraform, provider
from test_ec2_instances import APP, PORT, get, refuses

STACK = """
data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}
resource "aws_security_group" "web" {
  name = "${var.name}-web"
  ingress {
    from_port   = PORT
    to_port     = PORT
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_instance" "web" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data              = file("app.sh")
  tags                   = { Name = var.name }
}
resource "aws_eip" "web" {
  domain   = "vpc"
  instance = aws_instance.web.id
}
output "instance" { value = aws_instance.web.id }
output "ip" { value = aws_eip.web.public_ip }
"""


@needs_terraform
def test_terraform_runs_what_is_the_time_behind_an_elastic_ip(endpoint, aws_client, tmp_path):
    (tmp_path / "main.tf").write_text(provider("ec2", "sts") + STACK.replace("PORT", str(PORT)))
    (tmp_path / "app.sh").write_text(APP)
    terraform = Terraform(tmp_path, endpoint, f"tf-{uuid.uuid4().hex[:8]}")
    terraform.init()
    terraform.apply()
    instance, ip = terraform.output("instance"), terraform.output("ip")
    answer = get(ip)
    assert answer is not None and answer.endswith(instance), "the app answers through the Elastic IP"
    ec2 = aws_client("ec2")
    found = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]
    assert (found["State"]["Name"], found["PublicIpAddress"], found["InstanceType"]) == ("running", ip, "t3.micro")
    terraform.plan_is_empty()
    terraform.destroy()
    assert refuses(ip)
    gone = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]
    assert gone["State"]["Name"] in ("shutting-down", "terminated")
