//! Changing instances' states: the records in one write (all the named
//! instances, or none when one refuses), then their processes. Also what
//! happens when an instance shuts itself down, and bringing instances
//! back when nimbus starts.

use std::time::Duration;

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::InstanceStateChange;
use nimbus_store::{Namespace, WriteTxn};

use super::lifecycle::InstanceRecord;
use super::machine::{self, Live, Pool};
use super::transitions::{self, Action, Effect};
use super::{instance_missing_all, launch, shape};
use crate::drills::{self, ZoneReader};
use crate::host::{Boot, Exit};
use crate::records::{instance_key, namespace_of};
use crate::{Ec2, errors};

/// A record changed, and what its processes need.
struct Changed {
    record: InstanceRecord,
    effect: Effect,
}

fn check_ids(ids: &[String]) -> Result<(), AwsError> {
    match ids.iter().find(|id| !id.starts_with("i-")) {
        Some(bad) => Err(errors::client(
            "InvalidInstanceID.Malformed",
            format!("Invalid id: \"{bad}\""),
        )),
        None => Ok(()),
    }
}

/// Gives back what a record's new state lets go of: a stopped instance
/// its public address from Amazon's pool (a new one comes at start), a
/// terminated one every address and its place among the live.
fn release(txn: &WriteTxn, changed: &mut [Changed], region: &str) -> Result<(), AwsError> {
    let mut host = txn.open(&machine::namespace()?)?;
    let down = host.down()?;
    for Changed { record, effect } in changed.iter_mut() {
        if matches!(effect, Effect::Boot | Effect::Reboot) {
            let zone = record
                .instance
                .placement
                .as_ref()
                .and_then(|p| p.availability_zone.as_deref());
            drills::check_capacity(
                &down,
                zone,
                record.instance.instance_type.as_deref().unwrap_or_default(),
            )?;
        }
        let id = record.id().to_owned();
        let pooled_public = record
            .instance
            .network_interfaces
            .iter()
            .flatten()
            .find_map(|i| i.association.as_ref())
            .is_some_and(|a| a.ip_owner_id.as_deref() == Some("amazon"));
        match effect {
            Effect::Retire { .. } => {
                machine::release_address(
                    &mut host,
                    record.instance.private_ip_address.as_deref().unwrap_or_default(),
                )?;
                if pooled_public {
                    machine::release_address(
                        &mut host,
                        record.instance.public_ip_address.as_deref().unwrap_or_default(),
                    )?;
                }
                shape::set_public(&mut record.instance, None, region, "amazon");
                host.delete(&machine::live_key(&id))?;
            }
            Effect::Halt { .. } if pooled_public => {
                machine::release_address(
                    &mut host,
                    record.instance.public_ip_address.as_deref().unwrap_or_default(),
                )?;
                shape::set_public(&mut record.instance, None, region, "amazon");
            }
            Effect::Boot if record.wants_public && record.instance.public_ip_address.is_none() => {
                let public = machine::take_address(&mut host, Pool::Public, &id)?;
                shape::set_public(&mut record.instance, Some(&public.to_string()), region, "amazon");
            }
            _ => {}
        }
    }
    Ok(())
}

/// Applies `action` to every instance of `ids` in one write.
fn change(
    txn: &WriteTxn,
    ns: &Namespace,
    ids: &[String],
    action: Action,
    now: i64,
) -> Result<Vec<(InstanceStateChange, Changed)>, AwsError> {
    let table = txn.open(ns)?;
    let mut missing = Vec::new();
    let mut out = Vec::new();
    for id in ids {
        let found: Option<InstanceRecord> = table.get_json(&instance_key(id))?;
        let Some(mut record) = found.map(|r| r.settled(now)).filter(|r| r.visible(now)) else {
            missing.push(id.clone());
            continue;
        };
        let previous = record.instance.state.clone();
        let effect = transitions::apply(&mut record, action, now)?;
        let change = InstanceStateChange {
            instance_id: Some(id.clone()),
            current_state: record.instance.state.clone(),
            previous_state: previous,
        };
        out.push((change, Changed { record, effect }));
    }
    if !missing.is_empty() {
        return Err(instance_missing_all(&missing));
    }
    drop(table);
    let region = ns_region(ns);
    let mut changed: Vec<Changed> = out
        .iter()
        .map(|(_, c)| Changed {
            record: c.record.clone(),
            effect: c.effect,
        })
        .collect();
    release(txn, &mut changed, &region)?;
    let mut table = txn.open(ns)?;
    for (slot, changed) in out.iter_mut().zip(changed) {
        if changed.effect != Effect::Nothing {
            table.put_json(&instance_key(changed.record.id()), &changed.record)?;
        }
        if matches!(changed.effect, Effect::Retire { .. }) {
            crate::associations::let_go_of(&mut table, changed.record.id())?;
            crate::volumes::release_volumes(&mut table, changed.record.id())?;
        }
        slot.1 = changed;
    }
    Ok(out)
}

fn ns_region(ns: &Namespace) -> String {
    match ns.scope() {
        nimbus_store::Scope::Regional { region, .. } => region.clone(),
        _ => String::new(),
    }
}

impl Ec2 {
    /// Start, Stop, Reboot or Terminate: the state changes EC2 answers with.
    pub(crate) async fn change_states(
        &self,
        ctx: &RequestContext,
        mut ids: Vec<String>,
        action: Action,
        dry_run: Option<bool>,
    ) -> Result<Vec<InstanceStateChange>, AwsError> {
        self.ensure_defaults(ctx).await?;
        check_ids(&ids)?;
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        errors::check_dry_run(dry_run)?;
        let ns = namespace_of(ctx)?;
        let now = self.now_millis();
        let out = self
            .store
            .write(move |txn| change(txn, &ns, &ids, action, now))
            .await?;
        let mut changes = Vec::with_capacity(out.len());
        for (change, changed) in out {
            self.carry_out(&ctx.account_id, &ctx.region, &changed.record, changed.effect);
            changes.push(change);
        }
        self.sync_forwards(ctx).await;
        Ok(changes)
    }

    pub(crate) fn now_millis(&self) -> i64 {
        i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX)
    }

    /// Does to the instance's processes what its new state needs.
    fn carry_out(&self, account: &str, region: &str, record: &InstanceRecord, effect: Effect) {
        let grace = |ms: i64| Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        match effect {
            Effect::Nothing => {}
            Effect::Boot => self.boot(account, region, record, false),
            Effect::Halt { grace_ms } => self.host.halt(record.id(), grace(grace_ms)),
            Effect::Reboot => {
                self.host.halt(record.id(), Duration::ZERO);
                self.boot(account, region, record, false);
            }
            Effect::Retire { grace_ms } => {
                self.host.retire(record.id(), grace(grace_ms));
                self.imds.stop(record.id());
            }
        }
    }

    /// Starts the instance's processes; its user data runs on `first_boot`.
    pub(crate) fn boot(&self, account: &str, region: &str, record: &InstanceRecord, first_boot: bool) {
        let user_data = first_boot
            .then(|| record.user_data.as_deref().and_then(launch::decode_user_data))
            .flatten();
        let address = record
            .instance
            .private_ip_address
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST);
        // An instance of the account's own image starts from a copy of its folder.
        let image = record.instance.image_id.as_deref().unwrap_or_default();
        let image_folder = crate::own_images::folder(self.store.data_dir(), image);
        let boot = Boot {
            id: record.id(),
            account,
            region,
            address,
            image_folder: (first_boot && image_folder.is_dir()).then_some(image_folder),
            first_boot: user_data.as_deref(),
            variables: self.metadata_variables(account, region, record, address),
        };
        if let Err(error) = self.host.boot(boot) {
            tracing::warn!(instance = record.id(), %error, "instance did not boot");
        }
    }

    /// Where the instance's SDKs find its metadata service (started here),
    /// unless its metadata options turn the service off.
    fn metadata_variables(
        &self,
        account: &str,
        region: &str,
        record: &InstanceRecord,
        address: std::net::Ipv4Addr,
    ) -> Vec<(String, String)> {
        let options = record.instance.metadata_options.as_ref();
        if options.and_then(|o| o.http_endpoint.as_deref()) == Some("disabled") {
            return vec![("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned())];
        }
        let endpoint = self.serve_metadata(record.id(), account, region, address);
        vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(), endpoint)]
    }

    /// An init ended by itself: a reboot it asked for, or its shutdown behaviour.
    pub(crate) async fn on_exit(&self, exit: Exit) {
        if !self.host.is_current(&exit.id, exit.generation) {
            // A later boot (a reboot, a start) replaced the one that ended.
            return;
        }
        let Ok(ns) = Namespace::regional("ec2", &exit.account, &exit.region) else {
            return;
        };
        let now = self.now_millis();
        let id = exit.id.clone();
        let outcome = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let Some(record) = table.get_json::<InstanceRecord>(&instance_key(&id))? else {
                    return Ok::<_, AwsError>(None);
                };
                let mut record = record.settled(now);
                let effect = transitions::shut_down_from_inside(&mut record, exit.reboot, now);
                table.put_json(&instance_key(&id), &record)?;
                drop(table);
                let mut changed = [Changed { record, effect }];
                release(txn, &mut changed, &ns_region(&ns))?;
                let [Changed { record, effect }] = changed;
                let mut table = txn.open(&ns)?;
                table.put_json(&instance_key(&id), &record)?;
                if matches!(effect, Effect::Retire { .. }) {
                    crate::associations::let_go_of(&mut table, &id)?;
                    crate::volumes::release_volumes(&mut table, &id)?;
                }
                Ok(Some((record, effect)))
            })
            .await;
        match outcome {
            Ok(Some((record, effect))) => {
                self.carry_out(&exit.account, &exit.region, &record, effect);
                self.sync_forwards_of(&exit.account, &exit.region).await;
            }
            Ok(None) => self.host.forget(&exit.id, None),
            Err(error) => {
                tracing::warn!(instance = exit.id, %error, "could not record an instance's shutdown")
            }
        }
    }

    /// Brings back the instances a previous run left running: processes
    /// that outlived it are adopted, the rest boot again (running their
    /// user data again, to come back as they were: their memory is gone).
    pub(crate) async fn resume_instances(&self) {
        let lives = match self.live_instances().await {
            Ok(lives) => lives,
            Err(error) => return tracing::error!(%error, "ec2 could not read its instances"),
        };
        let now = self.now_millis();
        let down = self.zones_down().await.unwrap_or_default();
        let owners: std::collections::BTreeSet<(String, String)> = lives
            .iter()
            .map(|(_, l)| (l.account.clone(), l.region.clone()))
            .collect();
        for (account, region) in owners {
            self.sync_forwards_of(&account, &region).await;
        }
        for (id, live) in lives {
            let Ok(ns) = Namespace::regional("ec2", &live.account, &live.region) else {
                continue;
            };
            let found: Option<InstanceRecord> =
                self.store.get_json(&ns, &instance_key(&id)).await.ok().flatten();
            let Some(record) = found.map(|r| r.settled(now)) else {
                continue;
            };
            let up = matches!(record.state(), "pending" | "running") && record.impaired_since.is_none();
            if up && self.host.adopt(&id, &live.account, &live.region) {
                if let Some(address) = record
                    .instance
                    .private_ip_address
                    .as_deref()
                    .and_then(|a| a.parse().ok())
                {
                    self.metadata_variables(&live.account, &live.region, &record, address);
                }
                continue;
            }
            self.host.end_leftovers(&id);
            let zone = record
                .instance
                .placement
                .as_ref()
                .and_then(|p| p.availability_zone.clone());
            if up && zone.is_none_or(|z| !down.contains_key(&z)) {
                self.boot(&live.account, &live.region, &record, true);
            }
        }
    }

    pub(crate) async fn live_instances(&self) -> Result<Vec<(String, Live)>, AwsError> {
        let ns = machine::namespace()?;
        self.store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut all = Vec::new();
                for entry in table.scan(machine::LIVE_PREFIX)? {
                    let entry = entry?;
                    let id = entry
                        .key_str()
                        .and_then(|k| k.strip_prefix("live/"))
                        .unwrap_or_default()
                        .to_owned();
                    all.push((id, entry.decode::<Live>()?));
                }
                Ok::<_, AwsError>(all)
            })
            .await
    }
}
