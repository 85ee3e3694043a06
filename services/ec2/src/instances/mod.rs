//! Instances: launched as local processes (`crate::host`), recorded in
//! the regional namespace (`inst/<id>`) as their Describe shape and what
//! only EC2 sees (`lifecycle`), their states moving on the nimbus clock.

mod attributes;
mod credits;
pub mod decoded;
mod describe;
mod launch;
mod lifecycle;
pub mod machine;
mod power;
mod run;
pub mod shape;
mod transitions;

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

pub use launch::decode_user_data;
pub use lifecycle::{InstanceRecord, utc};
use transitions::Action;

use crate::{Ec2, errors};

pub fn instance_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidInstanceID.NotFound",
        format!("The instance ID '{id}' does not exist"),
    )
}

/// EC2's one error for several unknown instances.
pub fn instance_missing_all(ids: &[String]) -> AwsError {
    match ids {
        [one] => instance_missing(one),
        many => errors::client(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", many.join(", ")),
        ),
    }
}

impl Ec2 {
    pub(crate) async fn start_instances(
        &self,
        ctx: &RequestContext,
        input: StartInstancesRequest,
    ) -> Result<StartInstancesResult, AwsError> {
        let changes = self
            .change_states(ctx, input.instance_ids, Action::Start, input.dry_run)
            .await?;
        Ok(StartInstancesResult {
            starting_instances: Some(changes),
        })
    }

    pub(crate) async fn stop_instances(
        &self,
        ctx: &RequestContext,
        input: StopInstancesRequest,
    ) -> Result<StopInstancesResult, AwsError> {
        let force = input.force.unwrap_or(false);
        let changes = self
            .change_states(ctx, input.instance_ids, Action::Stop { force }, input.dry_run)
            .await?;
        Ok(StopInstancesResult {
            stopping_instances: Some(changes),
        })
    }

    pub(crate) async fn reboot_instances(
        &self,
        ctx: &RequestContext,
        input: RebootInstancesRequest,
    ) -> Result<(), AwsError> {
        self.change_states(ctx, input.instance_ids, Action::Reboot, input.dry_run)
            .await?;
        Ok(())
    }

    pub(crate) async fn terminate_instances(
        &self,
        ctx: &RequestContext,
        input: TerminateInstancesRequest,
    ) -> Result<TerminateInstancesResult, AwsError> {
        let force = input.force.unwrap_or(false);
        let changes = self
            .change_states(
                ctx,
                input.instance_ids,
                Action::Terminate { force },
                input.dry_run,
            )
            .await?;
        Ok(TerminateInstancesResult {
            terminating_instances: Some(changes),
        })
    }
}
