"""Built-in images and the instance type catalogue through boto3 and the
AWS CLI, looked up the way scripts and Terraform data sources do."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ec2(aws_client):
    return aws_client("ec2")


def test_the_latest_amazon_linux_and_ubuntu_as_scripts_find_them(ec2):
    found = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"]
    assert len(found) == 1
    al2023 = found[0]
    assert (al2023["ImageOwnerAlias"], al2023["OwnerId"], al2023["Architecture"], al2023["State"]) == ("amazon", "137112412989", "x86_64", "available")
    assert al2023["ImageId"].startswith("ami-") and len(al2023["ImageId"]) == 21
    assert al2023["BlockDeviceMappings"][0]["DeviceName"] == al2023["RootDeviceName"] == "/dev/xvda"
    ubuntu = ec2.describe_images(
        Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-amd64-server-*"]}]
    )["Images"]
    assert [i["Name"] for i in ubuntu] == ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241206"]
    assert "ImageOwnerAlias" not in ubuntu[0]
    arm = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["arm64"]}])["Images"]
    assert [i["Name"] for i in arm] == ["al2023-ami-2023.6.20241212.0-kernel-6.1-arm64"]
    assert ec2.describe_images(ImageIds=[al2023["ImageId"]])["Images"][0]["Name"] == al2023["Name"], "ids are stable"
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    with pytest.raises(ClientError) as caught:
        ec2.describe_images(ImageIds=["ami-0123456789abcdef0"])
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidAMIID.NotFound", "The image id '[ami-0123456789abcdef0]' does not exist")
    with pytest.raises(ClientError) as caught:
        ec2.describe_images(ImageIds=["nonsense"])
    assert caught.value.response["Error"]["Code"] == "InvalidAMIID.Malformed"


def test_instance_types(ec2, aws):
    micro = ec2.describe_instance_types(InstanceTypes=["t3.micro"])["InstanceTypes"][0]
    assert (micro["VCpuInfo"]["DefaultVCpus"], micro["MemoryInfo"]["SizeInMiB"], micro["FreeTierEligible"]) == (2, 1024, True)
    free = ec2.describe_instance_types(Filters=[{"Name": "free-tier-eligible", "Values": ["true"]}])["InstanceTypes"]
    assert sorted(t["InstanceType"] for t in free) == ["t2.micro", "t3.micro", "t4g.micro"]
    with pytest.raises(ClientError) as caught:
        ec2.describe_instance_types(InstanceTypes=["t3.micro", "x9.huge"])
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidInstanceType", "The following supplied instance types do not exist: [x9.huge]")
    listed = aws("ec2", "describe-instance-types", "--filters", "Name=vcpu-info.default-vcpus,Values=8", "--query", "InstanceTypes[].InstanceType").json()
    assert sorted(listed) == ["m5.2xlarge", "t3.2xlarge"]


def test_key_pairs_made_and_imported(ec2, tmp_path):
    import shutil
    import subprocess
    import uuid

    name = f"key-{uuid.uuid4().hex[:8]}"
    made = ec2.create_key_pair(KeyName=name, TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "team", "Value": "ops"}]}])
    assert made["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert made["KeyPairId"].startswith("key-") and len(made["KeyFingerprint"].split(":")) == 20, "SHA-1, colon hex"
    (tmp_path / "made.pem").write_text(made["KeyMaterial"])
    (tmp_path / "made.pem").chmod(0o600)
    der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "made.pem", "-outform", "DER"], cwd=tmp_path, capture_output=True, check=True).stdout
    sha1 = subprocess.run(["openssl", "sha1", "-c"], input=der, capture_output=True, check=True).stdout.decode().split()[-1]
    assert sha1 == made["KeyFingerprint"], "EC2's fingerprint of a key it made: SHA-1 of the PKCS#8 DER"
    with pytest.raises(ClientError) as caught:
        ec2.create_key_pair(KeyName=name)
    assert (caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]) == (
        "InvalidKeyPair.Duplicate",
        f"The keypair '{name}' already exists.",
    )
    described = ec2.describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"][0]
    assert (described["KeyType"], described["Tags"]) == ("rsa", [{"Key": "team", "Value": "ops"}])
    assert described["PublicKey"].startswith("ssh-rsa ")
    has_ssh_keygen = shutil.which("ssh-keygen") is not None
    if has_ssh_keygen:
        public = subprocess.run(["ssh-keygen", "-y", "-f", "made.pem"], cwd=tmp_path, capture_output=True, text=True, check=True)
        assert public.stdout.split()[1] == described["PublicKey"].split()[1], "the public half of the key it gave"

    ed = ec2.create_key_pair(KeyName=name + "-ed", KeyType="ed25519")
    assert ed["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----") and ed["KeyFingerprint"].endswith("=")

    subprocess.run(["openssl", "genrsa", "-out", "mine.pem", "2048"], cwd=tmp_path, capture_output=True, check=True)
    spki = subprocess.run(["openssl", "rsa", "-in", "mine.pem", "-pubout", "-outform", "DER"], cwd=tmp_path, capture_output=True, check=True).stdout
    md5 = subprocess.run(["openssl", "md5", "-c"], input=spki, capture_output=True, check=True).stdout.decode().split()[-1]
    if has_ssh_keygen:
        public_line = subprocess.run(["ssh-keygen", "-y", "-f", "mine.pem"], cwd=tmp_path, capture_output=True, text=True, check=True)
        imported = ec2.import_key_pair(KeyName=name + "-imported", PublicKeyMaterial=public_line.stdout.encode())
        assert imported["KeyFingerprint"] == md5, "EC2's fingerprint of an imported RSA key: MD5 of its public DER"
    with pytest.raises(ClientError) as caught:
        ec2.import_key_pair(KeyName=name + "-bad", PublicKeyMaterial=b"not a key")
    assert caught.value.response["Error"]["Code"] == "InvalidKey.Format"

    ec2.delete_key_pair(KeyName=name)
    assert ec2.delete_key_pair(KeyName=name)["Return"] is True, "deleting it again succeeds"
    with pytest.raises(ClientError) as caught:
        ec2.describe_key_pairs(KeyNames=[name])
    assert caught.value.response["Error"]["Message"] == f"The key pair '{name}' does not exist"
