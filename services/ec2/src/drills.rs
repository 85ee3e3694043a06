//! Failure drills (nimbus's own, through `nimbus_ec2_api::control`): a
//! zone that fails freezes its instances' processes (SIGSTOP: they hold
//! their state and answer nothing), fails their status checks and takes
//! no new instances until restored; a fault under one instance kills its
//! processes as failed hardware would. Zones that are down are kept in the
//! machine's namespace, so a restart keeps them down.

use std::collections::BTreeMap;

use nimbus_core::AwsError;
use nimbus_ec2_api::Ec2Control;
use nimbus_protocol::service::BoxFuture;
use nimbus_store::Namespace;
use serde_json::{Value, json};

use crate::instances::InstanceRecord;
use crate::instances::machine::{self, Live};
use crate::records::instance_key;
use crate::{Ec2, errors, zones};

const DOWN_PREFIX: &[u8] = b"zone-down/";

fn down_key(zone: &str) -> Vec<u8> {
    [DOWN_PREFIX, zone.as_bytes()].concat()
}

/// The region a zone name belongs to (`us-east-1a` is us-east-1's), if it is one.
fn region_of(zone: &str) -> Option<String> {
    let region = zone.get(..zone.len().checked_sub(1)?)?;
    zones::zones(region)
        .iter()
        .any(|z| z.name == zone)
        .then(|| region.to_owned())
}

fn no_such_zone(zone: &str) -> AwsError {
    AwsError::new("NotFound", format!("There is no zone '{zone}'."), 404)
}

/// EC2's answer to a launch into a zone that is down.
pub fn no_capacity(zone: &str, instance_type: &str) -> AwsError {
    AwsError::new(
        "InsufficientInstanceCapacity",
        format!(
            "We currently do not have sufficient {instance_type} capacity in the Availability Zone you requested \
             ({zone}). Our system will be working on provisioning additional capacity. You can currently get \
             {instance_type} capacity by not specifying an Availability Zone in your request or choosing another \
             Availability Zone."
        ),
        500,
    )
}

/// What can list the zones that are down, with when they went down
/// (epoch milliseconds): a read or a write table of the machine's namespace.
pub trait ZoneReader {
    fn down(&self) -> Result<BTreeMap<String, i64>, AwsError>;
}

macro_rules! zone_reader {
    ($table:ty) => {
        impl ZoneReader for $table {
            fn down(&self) -> Result<BTreeMap<String, i64>, AwsError> {
                let mut down = BTreeMap::new();
                for entry in self.scan(DOWN_PREFIX)? {
                    let entry = entry?;
                    let zone = entry
                        .key_str()
                        .and_then(|k| k.strip_prefix("zone-down/"))
                        .unwrap_or_default()
                        .to_owned();
                    down.insert(zone, entry.decode::<i64>()?);
                }
                Ok(down)
            }
        }
    };
}

zone_reader!(nimbus_store::TableRef);
zone_reader!(nimbus_store::TableMut<'_>);

impl Ec2 {
    /// The zones that are down now.
    pub(crate) async fn zones_down(&self) -> Result<BTreeMap<String, i64>, AwsError> {
        let ns = machine::namespace()?;
        self.store.read(move |txn| txn.open(&ns)?.down()).await
    }

    /// The live instances of `zone`, as they stand.
    async fn instances_in(&self, zone: &str) -> Result<Vec<(Live, InstanceRecord)>, AwsError> {
        let now = self.now_millis();
        let mut found = Vec::new();
        for (id, live) in self.live_instances().await? {
            let ns = Namespace::regional("ec2", &live.account, &live.region)?;
            let Some(record) = self
                .store
                .get_json::<InstanceRecord>(&ns, &instance_key(&id))
                .await?
            else {
                continue;
            };
            let record = record.settled(now);
            let placed = record
                .instance
                .placement
                .as_ref()
                .and_then(|p| p.availability_zone.as_deref());
            if placed == Some(zone) {
                found.push((live, record));
            }
        }
        Ok(found)
    }

    async fn mark_zone(&self, zone: &str, down: bool) -> Result<(), AwsError> {
        let (ns, key, now) = (machine::namespace()?, down_key(zone), self.now_millis());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                match down {
                    true => table.put_json(&key, &now)?,
                    false => {
                        table.delete(&key)?;
                    }
                }
                Ok::<_, AwsError>(())
            })
            .await
    }

    async fn take_zone_down(&self, zone: &str) -> Result<Value, AwsError> {
        region_of(zone).ok_or_else(|| no_such_zone(zone))?;
        self.mark_zone(zone, true).await?;
        let mut frozen = Vec::new();
        for (_, record) in self.instances_in(zone).await? {
            if self.host.freeze(record.id()) {
                frozen.push(record.id().to_owned());
            }
        }
        Ok(json!({ "zone": zone, "state": "failed", "instances": frozen }))
    }

    async fn bring_zone_back(&self, zone: &str) -> Result<Value, AwsError> {
        region_of(zone).ok_or_else(|| no_such_zone(zone))?;
        self.mark_zone(zone, false).await?;
        let mut back = Vec::new();
        for (live, record) in self.instances_in(zone).await? {
            let up = matches!(record.state(), "pending" | "running") && record.impaired_since.is_none();
            if self.host.thaw(record.id()) {
                back.push(record.id().to_owned());
            } else if up {
                // It could not boot while its zone was down.
                self.boot(&live.account, &live.region, &record, false);
                back.push(record.id().to_owned());
            }
        }
        Ok(json!({ "zone": zone, "state": "available", "instances": back }))
    }

    async fn fault_instance(&self, id: &str) -> Result<Value, AwsError> {
        let lives = self.live_instances().await?;
        let Some((_, live)) = lives.into_iter().find(|(live_id, _)| live_id == id) else {
            return Err(AwsError::new(
                "InvalidInstanceID.NotFound",
                format!("The instance ID '{id}' does not exist"),
                404,
            ));
        };
        let ns = Namespace::regional("ec2", &live.account, &live.region)?;
        let (key, now) = (instance_key(id), self.now_millis());
        let record = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let record: Option<InstanceRecord> = table.get_json(&key)?;
                let mut record = record
                    .ok_or_else(|| crate::instances::instance_missing("?"))?
                    .settled(now);
                if record.state() != "running" {
                    return Err(errors::client(
                        "IncorrectInstanceState",
                        format!("The instance '{}' is not running.", record.id()),
                    ));
                }
                record.impaired_since = Some(now);
                table.put_json(&key, &record)?;
                Ok(record)
            })
            .await?;
        self.host.kill(record.id());
        Ok(json!({ "instance": id, "state": record.state(), "status": "impaired" }))
    }
}

impl Ec2Control for Ec2 {
    fn fail_zone<'a>(&'a self, zone: &'a str) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.take_zone_down(zone))
    }

    fn restore_zone<'a>(&'a self, zone: &'a str) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.bring_zone_back(zone))
    }

    fn failed_zones(&self) -> BoxFuture<'_, Result<Value, AwsError>> {
        Box::pin(async move {
            let down = self.zones_down().await?;
            Ok(json!({ "failed": down.keys().collect::<Vec<_>>() }))
        })
    }

    fn fail_instance<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.fault_instance(id))
    }
}

/// Refuses a launch or start into a zone that is down.
pub fn check_capacity(
    down: &BTreeMap<String, i64>,
    zone: Option<&str>,
    instance_type: &str,
) -> Result<(), AwsError> {
    match zone {
        Some(zone) if down.contains_key(zone) => Err(no_capacity(zone, instance_type)),
        _ => Ok(()),
    }
}
