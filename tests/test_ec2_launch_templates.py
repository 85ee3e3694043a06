"""Launch templates through boto3: versions ($Default, $Latest, numbers,
SourceVersion), the default moved, RunInstances taking what its request
leaves out from a version (and the template's system tags), versions and
templates deleted; EC2's refusals."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from ec2_support import ec2, image  # noqa: F401  (fixtures)

from test_ec2_instances import APP, get, wait_for_state


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def tags_of(instance: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def test_versions_and_launches_from_a_template(ec2, image):
    name = f"web-{uuid.uuid4().hex[:8]}"
    made = ec2.create_launch_template(
        LaunchTemplateName=name, VersionDescription="first",
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "UserData": __import__("base64").b64encode(APP.encode()).decode(),
                            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "time"}]}]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "web"}]}],
    )["LaunchTemplate"]
    template_id = made["LaunchTemplateId"]
    assert template_id.startswith("lt-") and (made["DefaultVersionNumber"], made["LatestVersionNumber"]) == (1, 1)
    assert made["CreatedBy"].endswith(":root") and made["Tags"] == [{"Key": "team", "Value": "web"}]
    assert refused(ec2.create_launch_template, LaunchTemplateName=name, LaunchTemplateData={"ImageId": image}) == (
        "InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use."
    )
    second = ec2.create_launch_template_version(LaunchTemplateId=template_id, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.small"})
    version = second["LaunchTemplateVersion"]
    assert (version["VersionNumber"], version["DefaultVersion"]) == (2, False)
    assert version["LaunchTemplateData"]["ImageId"] == image and version["LaunchTemplateData"]["InstanceType"] == "t3.small"
    described = ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=["$Latest", "$Default"])["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in described] == [2, 1]
    found = ec2.describe_launch_templates(Filters=[{"Name": "tag:team", "Values": ["web"]}, {"Name": "launch-template-name", "Values": [name]}])
    assert [t["LatestVersionNumber"] for t in found["LaunchTemplates"]] == [2]

    launched = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": name})["Instances"][0]
    latest = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template_id, "Version": "$Latest"}, InstanceType="t3.medium")["Instances"][0]
    ids = [launched["InstanceId"], latest["InstanceId"]]
    try:
        assert (launched["ImageId"], launched["InstanceType"]) == (image, "t3.micro"), "the default version"
        assert latest["InstanceType"] == "t3.medium", "the request's own parameters win"
        tags = tags_of(launched)
        assert tags == {"app": "time", "aws:ec2launchtemplate:id": template_id, "aws:ec2launchtemplate:version": "1"}
        assert tags_of(latest)["aws:ec2launchtemplate:version"] == "2"
        wait_for_state(ec2, launched["InstanceId"], "running")
        answer = get(launched["PrivateIpAddress"])
        assert answer is not None and answer.endswith(launched["InstanceId"]), "the template's user data ran"
    finally:
        ec2.terminate_instances(InstanceIds=ids)

    modified = ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion="2")["LaunchTemplate"]
    assert modified["DefaultVersionNumber"] == 2
    result = ec2.delete_launch_template_versions(LaunchTemplateId=template_id, Versions=["1", "2", "7"])
    assert [v["VersionNumber"] for v in result["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    assert [v["VersionNumber"] for v in result["UnsuccessfullyDeletedLaunchTemplateVersions"]] == [2, 7]
    assert refused(ec2.describe_launch_template_versions, LaunchTemplateId=template_id, Versions=["1"]) == (
        "InvalidLaunchTemplateId.VersionNotFound", f"Could not find the specified version 1 for the launch template with ID {template_id}."
    )
    assert ec2.delete_launch_template(LaunchTemplateName=name)["LaunchTemplate"]["LaunchTemplateId"] == template_id
    assert refused(ec2.describe_launch_templates, LaunchTemplateNames=[name]) == (
        "InvalidLaunchTemplateName.NotFoundException", f"The specified launch template, with template name {name}, does not exist."
    )


def test_refusals(ec2):
    assert refused(ec2.create_launch_template, LaunchTemplateName="has spaces!", LaunchTemplateData={"InstanceType": "t3.micro"})[0] == "InvalidLaunchTemplateName.MalformedException"
    assert refused(ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": "lt-0123456789abcdef0"}) == (
        "InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID lt-0123456789abcdef0, does not exist."
    )
    name = f"bare-{uuid.uuid4().hex[:8]}"
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.micro"})
    assert refused(ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": name}) == (
        "MissingParameter", "The request must contain the parameter ImageId"
    )
    ec2.delete_launch_template(LaunchTemplateName=name)
