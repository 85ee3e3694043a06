//! Zones as EC2 reports them: a load balancer node in a zone EC2 says is
//! impaired (a failure drill) stops listening, as a failed zone's node
//! drops out of a load balancer, and listens again once the zone is back.

use std::collections::BTreeSet;
use std::time::Duration;

use nimbus_core::RequestContext;
use nimbus_ec2_api::DescribeAvailabilityZonesRequest;

use super::Plane;
use crate::nodes::Home;

/// How often EC2 is asked.
const EVERY: Duration = Duration::from_secs(1);

impl Plane {
    /// Follows EC2's impaired zones until the task is aborted.
    pub async fn watch_zones(self) {
        loop {
            for home in self.homes().await {
                let impaired = self.impaired_zones(&home).await;
                if self.set_impaired(&home, impaired) {
                    self.sync(&home.account, &home.region).await;
                }
            }
            self.inner.clock.sleep(EVERY).await;
        }
    }

    async fn impaired_zones(&self, home: &Home) -> BTreeSet<String> {
        let Some(ec2) = &self.inner.ec2 else {
            return BTreeSet::new();
        };
        let ctx = RequestContext::internal("elbv2", "DescribeAvailabilityZones", &home.account, &home.region);
        let Ok(found) = ec2
            .describe_availability_zones(&ctx, DescribeAvailabilityZonesRequest::default())
            .await
        else {
            return BTreeSet::new();
        };
        found
            .availability_zones
            .unwrap_or_default()
            .into_iter()
            .filter(|z| z.state.as_deref().is_some_and(|s| s != "available"))
            .filter_map(|z| z.zone_name)
            .collect()
    }

    /// Records a home's impaired zones; answers whether they changed.
    fn set_impaired(&self, home: &Home, zones: BTreeSet<String>) -> bool {
        let mut impaired = self
            .inner
            .impaired
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let known = impaired.get(home).cloned().unwrap_or_default();
        if known == zones {
            return false;
        }
        impaired.insert(home.clone(), zones);
        true
    }

    /// Whether a home's zone is impaired.
    pub(super) fn is_impaired(&self, home: &Home, zone: &str) -> bool {
        self.inner
            .impaired
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(home)
            .is_some_and(|zones| zones.contains(zone))
    }
}
