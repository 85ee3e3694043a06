//! Service-linked roles: the roles an AWS service creates for itself, with
//! the name, path, trust policy and managed policy the service decides,
//! protected from every change but their description, deleted through a
//! deletion task (done at once here).

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    CreateServiceLinkedRoleRequest, CreateServiceLinkedRoleResponse, DeleteServiceLinkedRoleRequest,
    DeleteServiceLinkedRoleResponse, GetServiceLinkedRoleDeletionStatusRequest,
    GetServiceLinkedRoleDeletionStatusResponse, Role,
};

use crate::Iam;
use crate::account::load_account;
use crate::entities::{Read, require, save};
use crate::errors::{invalid_input, no_such_entity, role_not_found, unmodifiable_entity};
use crate::ids::{IdKind, new_id};
use crate::records::{Kind, RoleRecord, account_key};
use crate::roles::role_shape;

/// The services nimbus knows the service-linked roles of: principal, role
/// name, the managed policy under `aws-service-role/`, whether a custom
/// suffix is allowed.
const SERVICES: &[(&str, &str, &str, bool)] = &[
    (
        "autoscaling.amazonaws.com",
        "AWSServiceRoleForAutoScaling",
        "AutoScalingServiceRolePolicy",
        true,
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
        "AWSElasticLoadBalancingServiceRolePolicy",
        false,
    ),
    (
        "ecs.amazonaws.com",
        "AWSServiceRoleForECS",
        "AmazonECSServiceRolePolicy",
        false,
    ),
    (
        "rds.amazonaws.com",
        "AWSServiceRoleForRDS",
        "AmazonRDSServiceRolePolicy",
        false,
    ),
    (
        "replicator.lambda.amazonaws.com",
        "AWSServiceRoleForLambdaReplicator",
        "AWSLambdaReplicator",
        false,
    ),
    (
        "ops.apigateway.amazonaws.com",
        "AWSServiceRoleForAPIGateway",
        "APIGatewayServiceRolePolicy",
        false,
    ),
    (
        "elasticache.amazonaws.com",
        "AWSServiceRoleForElastiCache",
        "ElastiCacheServiceRolePolicy",
        false,
    ),
    (
        "elasticbeanstalk.amazonaws.com",
        "AWSServiceRoleForElasticBeanstalk",
        "AWSElasticBeanstalkServiceRolePolicy",
        false,
    ),
    (
        "eks.amazonaws.com",
        "AWSServiceRoleForAmazonEKS",
        "AmazonEKSServiceRolePolicy",
        false,
    ),
    (
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
        "AWSServiceRoleForAmazonEKSNodegroup",
        false,
    ),
    (
        "eks-fargate.amazonaws.com",
        "AWSServiceRoleForAmazonEKSForFargate",
        "AmazonEKSForFargateServiceRolePolicy",
        false,
    ),
    (
        "cloudtrail.amazonaws.com",
        "AWSServiceRoleForCloudTrail",
        "CloudTrailServiceRolePolicy",
        false,
    ),
    (
        "config.amazonaws.com",
        "AWSServiceRoleForConfig",
        "AWSConfigServiceRolePolicy",
        false,
    ),
    (
        "ssm.amazonaws.com",
        "AWSServiceRoleForAmazonSSM",
        "AmazonSSMServiceRolePolicy",
        false,
    ),
    (
        "sso.amazonaws.com",
        "AWSServiceRoleForSSO",
        "AWSSSOServiceRolePolicy",
        false,
    ),
    (
        "acm.amazonaws.com",
        "AWSServiceRoleForCertificateManager",
        "CertificateManagerServiceRolePolicy",
        false,
    ),
    (
        "backup.amazonaws.com",
        "AWSServiceRoleForBackup",
        "AWSBackupServiceLinkedRolePolicyForBackup",
        false,
    ),
    (
        "batch.amazonaws.com",
        "AWSServiceRoleForBatch",
        "BatchServiceRolePolicy",
        false,
    ),
    (
        "kafka.amazonaws.com",
        "AWSServiceRoleForKafka",
        "KafkaServiceRolePolicy",
        false,
    ),
    (
        "mq.amazonaws.com",
        "AWSServiceRoleForAmazonMQ",
        "AmazonMQServiceRolePolicy",
        false,
    ),
    (
        "redshift.amazonaws.com",
        "AWSServiceRoleForRedshift",
        "AmazonRedshiftServiceLinkedRolePolicy",
        false,
    ),
    (
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
        "AmazonOpenSearchServiceRolePolicy",
        false,
    ),
    (
        "elasticfilesystem.amazonaws.com",
        "AWSServiceRoleForAmazonElasticFileSystem",
        "AmazonElasticFileSystemServiceRolePolicy",
        false,
    ),
    (
        "lakeformation.amazonaws.com",
        "AWSServiceRoleForLakeFormationDataAccess",
        "LakeFormationDataAccessServiceRolePolicy",
        false,
    ),
    (
        "ram.amazonaws.com",
        "AWSServiceRoleForResourceAccessManager",
        "AWSResourceAccessManagerServiceRolePolicy",
        false,
    ),
    (
        "replication.ecr.amazonaws.com",
        "AWSServiceRoleForECRReplication",
        "ECRReplicationServiceRolePolicy",
        false,
    ),
    (
        "lex.amazonaws.com",
        "AWSServiceRoleForLexBots",
        "AmazonLexBotPolicy",
        false,
    ),
    (
        "lexv2.amazonaws.com",
        "AWSServiceRoleForLexV2Bots",
        "AmazonLexV2BotPolicy",
        true,
    ),
    (
        "connect.amazonaws.com",
        "AWSServiceRoleForAmazonConnect",
        "AmazonConnectServiceLinkedRolePolicy",
        true,
    ),
    (
        "ec2.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
        "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy",
        false,
    ),
    (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
        "AWSApplicationAutoscalingECSServicePolicy",
        false,
    ),
    (
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        "AWSApplicationAutoscalingDynamoDBTablePolicy",
        false,
    ),
    (
        "spot.amazonaws.com",
        "AWSServiceRoleForEC2Spot",
        "AWSEC2SpotServiceRolePolicy",
        false,
    ),
    (
        "spotfleet.amazonaws.com",
        "AWSServiceRoleForEC2SpotFleet",
        "AWSEC2SpotFleetServiceRolePolicy",
        false,
    ),
    (
        "organizations.amazonaws.com",
        "AWSServiceRoleForOrganizations",
        "AWSOrganizationsServiceTrustPolicy",
        false,
    ),
    (
        "events.amazonaws.com",
        "AWSServiceRoleForCloudWatchEvents",
        "CloudWatchEventsServiceRolePolicy",
        false,
    ),
    (
        "support.amazonaws.com",
        "AWSServiceRoleForSupport",
        "AWSSupportServiceRolePolicy",
        false,
    ),
    (
        "trustedadvisor.amazonaws.com",
        "AWSServiceRoleForTrustedAdvisor",
        "AWSTrustedAdvisorServiceRolePolicy",
        false,
    ),
    (
        "logger.cloudfront.amazonaws.com",
        "AWSServiceRoleForCloudFrontLogger",
        "AWSCloudFrontLogger",
        false,
    ),
];

/// The path every service-linked role of a service has.
fn service_path(service: &str) -> String {
    format!("/aws-service-role/{service}/")
}

/// Whether a role is service-linked: only AWS may change it.
pub fn is_protected(role: &RoleRecord) -> bool {
    role.path.starts_with("/aws-service-role/")
}

/// UnmodifiableEntity for a change to a service-linked role.
pub fn refuse_protected(role: &RoleRecord) -> Result<(), AwsError> {
    if is_protected(role) {
        return Err(unmodifiable_entity(format!(
            "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
            role.name
        )));
    }
    Ok(())
}

/// The role a request asks to create, or why it cannot be.
fn linked_role(input: &CreateServiceLinkedRoleRequest, now: i64) -> Result<RoleRecord, AwsError> {
    let service = input.aws_service_name.as_str();
    let &(_, name, policy, suffix_allowed) = SERVICES
        .iter()
        .find(|(principal, ..)| *principal == service)
        .ok_or_else(|| invalid_input(format!("Unrecognized service principal: {service}")))?;
    let name = match &input.custom_suffix {
        Some(_) if !suffix_allowed => {
            return Err(invalid_input(format!(
                "Custom suffix is not allowed for {service}"
            )));
        }
        Some(suffix) => format!("{name}_{suffix}"),
        None => name.to_owned(),
    };
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    Ok(RoleRecord {
        name,
        path: service_path(service),
        id: new_id(IdKind::Role),
        created: now,
        trust_policy: trust,
        description: input.description.clone(),
        max_session_duration: 3600,
        attached: vec![format!("arn:aws:iam::aws:policy/aws-service-role/{policy}")],
        ..RoleRecord::default()
    })
}

impl Iam {
    pub(crate) async fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: CreateServiceLinkedRoleRequest,
    ) -> Result<CreateServiceLinkedRoleResponse, AwsError> {
        let record = linked_role(&input, self.now())?;
        let account = ctx.account_id.clone();
        let role: Role = Role {
            role_last_used: None,
            ..role_shape(&account, &record, true)
        };
        self.write(&account, move |table| {
            if table.load::<RoleRecord>(Kind::Role, &record.name)?.is_some() {
                return Err(invalid_input(format!(
                    "Service role name {} has been taken in this account, please try a different suffix.",
                    record.name
                )));
            }
            save(table, Kind::Role, &record.name.clone(), &record)
        })
        .await?;
        Ok(CreateServiceLinkedRoleResponse { role: Some(role) })
    }

    pub(crate) async fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: DeleteServiceLinkedRoleRequest,
    ) -> Result<DeleteServiceLinkedRoleResponse, AwsError> {
        let task = uuid::Uuid::new_v4();
        self.write(&ctx.account_id, move |table| {
            let role: RoleRecord = require(table, Kind::Role, &input.role_name, role_not_found)?;
            if !is_protected(&role) {
                return Err(invalid_input(format!(
                    "Role {} is not a service-linked role.",
                    role.name
                )));
            }
            let id = format!("task{}{}/{task}", role.path, role.name);
            table.delete(&Kind::Role.key(&role.name))?;
            let mut account = load_account(table)?;
            account.deletion_tasks.push(id.clone());
            table.put_json(account_key(), &account)?;
            Ok(DeleteServiceLinkedRoleResponse { deletion_task_id: id })
        })
        .await
    }

    pub(crate) async fn get_service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        input: GetServiceLinkedRoleDeletionStatusRequest,
    ) -> Result<GetServiceLinkedRoleDeletionStatusResponse, AwsError> {
        let id = input.deletion_task_id;
        if !id.starts_with("task/aws-service-role/") {
            return Err(invalid_input(format!("Invalid deletion task id: {id}")));
        }
        let account = self.read(&ctx.account_id, load_account).await?;
        if !account.deletion_tasks.contains(&id) {
            return Err(no_such_entity(format!("Deletion task {id} cannot be found.")));
        }
        Ok(GetServiceLinkedRoleDeletionStatusResponse {
            status: "SUCCEEDED".to_owned(),
            reason: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(service: &str, suffix: Option<&str>) -> CreateServiceLinkedRoleRequest {
        CreateServiceLinkedRoleRequest {
            aws_service_name: service.to_owned(),
            custom_suffix: suffix.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn services_name_their_roles() {
        let role = linked_role(&request("autoscaling.amazonaws.com", None), 0).expect("known");
        assert_eq!(role.name, "AWSServiceRoleForAutoScaling");
        assert_eq!(role.path, "/aws-service-role/autoscaling.amazonaws.com/");
        assert!(is_protected(&role));
        let suffixed = linked_role(&request("autoscaling.amazonaws.com", Some("x")), 0).expect("suffix");
        assert_eq!(suffixed.name, "AWSServiceRoleForAutoScaling_x");
        let refused =
            linked_role(&request("elasticloadbalancing.amazonaws.com", Some("x")), 0).expect_err("no suffix");
        assert_eq!(
            refused.message,
            "Custom suffix is not allowed for elasticloadbalancing.amazonaws.com"
        );
        assert_eq!(
            linked_role(&request("nope.amazonaws.com", None), 0)
                .expect_err("unknown")
                .code,
            "InvalidInput"
        );
    }
}
