//! Network interfaces. None exist until instances do (they will bring
//! theirs), so DescribeNetworkInterfaces lists none, checks the ids and
//! filter names it is given, and answers as EC2 does for an empty region.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::{Ec2, errors};

/// The filter names DescribeNetworkInterfaces knows.
const FILTERS: &[&str] = &[
    "addresses.private-ip-address",
    "association.public-ip",
    "attachment.attachment-id",
    "attachment.instance-id",
    "attachment.status",
    "availability-zone",
    "description",
    "group-id",
    "group-name",
    "interface-type",
    "mac-address",
    "network-interface-id",
    "owner-id",
    "private-ip-address",
    "requester-managed",
    "status",
    "subnet-id",
    "vpc-id",
    "tag-key",
];

impl Ec2 {
    pub(crate) async fn describe_network_interfaces(
        &self,
        ctx: &RequestContext,
        input: DescribeNetworkInterfacesRequest,
    ) -> Result<DescribeNetworkInterfacesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        if let Some(id) = input.network_interface_ids.iter().flatten().next() {
            return Err(errors::client(
                "InvalidNetworkInterfaceID.NotFound",
                format!("The networkInterface ID '{id}' does not exist"),
            ));
        }
        // No interface to match, but an unknown filter is still refused.
        let known: Values<'_> =
            Box::new(|name| (FILTERS.contains(&name) || name.starts_with("tag:")).then(Vec::new));
        let filters = input.filters.unwrap_or_default();
        let checked: Vec<Filter> = filters
            .into_iter()
            .map(|f| Filter {
                values: Some(Vec::new()),
                ..f
            })
            .collect();
        filters::matches(&checked, &known)?;
        Ok(DescribeNetworkInterfacesResult {
            network_interfaces: Some(Vec::new()),
            next_token: None,
        })
    }
}
