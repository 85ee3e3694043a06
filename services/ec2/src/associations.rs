//! Elastic IPs on instances. AssociateAddress gives an instance the address
//! (its own pooled public address gives way; another Elastic IP it held is
//! let go; an address held elsewhere moves only with AllowReassociation);
//! DisassociateAddress takes it back (the instance gets a pooled address
//! again when its subnet gives them). Traffic to the address follows
//! (`forwarding`).

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::{Namespace, TableMut, WriteTxn};

use crate::instances::machine::{self, Pool};
use crate::instances::{self, InstanceRecord, shape};
use crate::records::{EIP_PREFIX, INSTANCE_PREFIX, eip_key, instance_key, namespace_of};
use crate::{Ec2, errors, ids};

/// An instance whose public address changes, and how.
struct Moved {
    record: InstanceRecord,
    /// A pooled address it gives back.
    released: Option<String>,
    then: Then,
}

/// Its public address once the change is made.
enum Then {
    /// As already set on the record (the Elastic IP it gets).
    AsSet,
    /// A pooled one, in place of the Elastic IP it lost.
    Pooled,
    /// None.
    Nothing,
}

fn addresses(table: &TableMut<'_>) -> Result<Vec<Address>, AwsError> {
    let mut all = Vec::new();
    for entry in table.scan(EIP_PREFIX)? {
        all.push(entry?.decode::<Address>()?);
    }
    Ok(all)
}

fn instance_of(table: &TableMut<'_>, id: &str, now: i64) -> Result<InstanceRecord, AwsError> {
    let found: Option<InstanceRecord> = table.get_json(&instance_key(id))?;
    found
        .map(|r| r.settled(now))
        .filter(|r| r.visible(now))
        .ok_or_else(|| instances::instance_missing(id))
}

/// The instance whose primary interface is `eni`.
fn instance_with_interface(table: &TableMut<'_>, eni: &str, now: i64) -> Result<InstanceRecord, AwsError> {
    for entry in table.scan(INSTANCE_PREFIX)? {
        let record: InstanceRecord = entry?.decode()?;
        let interfaces = record.instance.network_interfaces.iter().flatten();
        if interfaces
            .filter_map(|i| i.network_interface_id.as_deref())
            .any(|id| id == eni)
        {
            return Ok(record.settled(now));
        }
    }
    Err(errors::client(
        "InvalidNetworkInterfaceID.NotFound",
        format!("The networkInterface ID '{eni}' does not exist"),
    ))
}

fn pooled_public(record: &InstanceRecord) -> Option<String> {
    let interfaces = record.instance.network_interfaces.iter().flatten();
    let owner = interfaces
        .filter_map(|i| i.association.as_ref())
        .find_map(|a| a.ip_owner_id.clone());
    (owner.as_deref() == Some("amazon"))
        .then(|| record.instance.public_ip_address.clone())
        .flatten()
}

fn clear(address: &mut Address) {
    address.association_id = None;
    address.instance_id = None;
    address.network_interface_id = None;
    address.network_interface_owner_id = None;
    address.private_ip_address = None;
}

/// The instance loses its Elastic IP.
fn lose_elastic(record: InstanceRecord) -> Moved {
    let pooled = record.wants_public && matches!(record.state(), "running" | "pending");
    Moved {
        record,
        released: None,
        then: if pooled { Then::Pooled } else { Then::Nothing },
    }
}

/// Gives pooled addresses back and takes new ones, then writes the records.
fn settle(
    txn: &WriteTxn,
    ns: &Namespace,
    region: &str,
    mut moved: Vec<Moved>,
    changed: Vec<Address>,
) -> Result<(), AwsError> {
    let mut host = txn.open(&machine::namespace()?)?;
    for each in &mut moved {
        if let Some(ip) = &each.released {
            machine::release_address(&mut host, ip)?;
        }
        let public = match each.then {
            Then::AsSet => continue,
            Then::Pooled => {
                Some(machine::take_address(&mut host, Pool::Public, each.record.id())?.to_string())
            }
            Then::Nothing => None,
        };
        shape::set_public(&mut each.record.instance, public.as_deref(), region, "amazon");
    }
    drop(host);
    let mut table = txn.open(ns)?;
    for each in &moved {
        table.put_json(&instance_key(each.record.id()), &each.record)?;
    }
    for address in &changed {
        table.put_json(
            &eip_key(address.allocation_id.as_deref().unwrap_or_default()),
            address,
        )?;
    }
    Ok(())
}

/// AssociateAddress in one write; returns the association id.
fn associate(
    txn: &WriteTxn,
    ns: &Namespace,
    ctx: &RequestContext,
    input: AssociateAddressRequest,
    now: i64,
) -> Result<String, AwsError> {
    let table = txn.open(ns)?;
    let all = addresses(&table)?;
    let mut address = match (&input.allocation_id, &input.public_ip) {
        (Some(id), _) => all
            .iter()
            .find(|a| a.allocation_id.as_ref() == Some(id))
            .cloned()
            .ok_or_else(|| crate::addresses::allocation_missing(id))?,
        (None, Some(ip)) => all
            .iter()
            .find(|a| a.public_ip.as_ref() == Some(ip))
            .cloned()
            .ok_or_else(|| errors::client("InvalidAddress.NotFound", format!("Address '{ip}' not found.")))?,
        (None, None) => {
            return Err(errors::client(
                "MissingParameter",
                "Either public IP or allocation id must be specified",
            ));
        }
    };
    let mut record = match (&input.instance_id, &input.network_interface_id) {
        (Some(id), _) => instance_of(&table, id, now)?,
        (None, Some(eni)) => instance_with_interface(&table, eni, now)?,
        (None, None) => {
            return Err(errors::client(
                "MissingParameter",
                "Either instance ID or network interface ID must be specified",
            ));
        }
    };
    if !matches!(record.state(), "running" | "stopped") {
        return Err(errors::client(
            "InvalidInstanceID",
            format!(
                "The {} instance '{}' is not in a valid state for this operation.",
                record.state(),
                record.id()
            ),
        ));
    }
    let mut moved = Vec::new();
    let mut changed = Vec::new();
    if let Some(association) = &address.association_id {
        let held_here = address.instance_id.as_deref() == Some(record.id());
        if !held_here && !input.allow_reassociation.unwrap_or(false) {
            return Err(errors::client(
                "Resource.AlreadyAssociated",
                format!(
                    "resource {} is already associated with associate-id {association}",
                    address.allocation_id.as_deref().unwrap_or_default()
                ),
            ));
        }
        if let Some(previous) = address.instance_id.as_deref().filter(|_| !held_here) {
            moved.push(lose_elastic(instance_of(&table, previous, now)?));
        }
    }
    for mut other in all
        .into_iter()
        .filter(|a| a.instance_id.as_deref() == Some(record.id()) && a.allocation_id != address.allocation_id)
    {
        clear(&mut other);
        changed.push(other);
    }
    let released = pooled_public(&record);
    let interface = record
        .instance
        .network_interfaces
        .iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default();
    let association = ids::new_id("eipassoc");
    address.association_id = Some(association.clone());
    address.instance_id = record.instance.instance_id.clone();
    address.network_interface_id = interface.network_interface_id;
    address.network_interface_owner_id = Some(ctx.account_id.clone());
    address.private_ip_address = record.instance.private_ip_address.clone();
    shape::set_public(
        &mut record.instance,
        address.public_ip.as_deref(),
        &ctx.region,
        &ctx.account_id,
    );
    changed.push(address);
    moved.push(Moved {
        record,
        released,
        then: Then::AsSet,
    });
    drop(table);
    settle(txn, ns, &ctx.region, moved, changed)?;
    Ok(association)
}

/// DisassociateAddress in one write (by association id, or by the address).
fn disassociate(
    txn: &WriteTxn,
    ns: &Namespace,
    region: &str,
    input: DisassociateAddressRequest,
    now: i64,
) -> Result<(), AwsError> {
    let table = txn.open(ns)?;
    let all = addresses(&table)?;
    let (association, ip) = (input.association_id, input.public_ip);
    let found = all.into_iter().find(|a| match &association {
        Some(_) => a.association_id == association,
        None => ip.is_some() && a.public_ip == ip,
    });
    let Some(mut address) = found.filter(|a| a.association_id.is_some()) else {
        return Err(errors::client(
            "InvalidAssociationID.NotFound",
            format!(
                "The association ID '{}' does not exist",
                association.or(ip).unwrap_or_default()
            ),
        ));
    };
    let mut moved = Vec::new();
    if let Some(instance) = address.instance_id.as_deref() {
        moved.push(lose_elastic(instance_of(&table, instance, now)?));
    }
    clear(&mut address);
    drop(table);
    settle(txn, ns, region, moved, vec![address])
}

/// Ends the association of a terminated instance's Elastic IP (the address
/// stays allocated).
pub fn let_go_of(table: &mut TableMut<'_>, instance_id: &str) -> Result<(), AwsError> {
    for mut address in addresses(table)?
        .into_iter()
        .filter(|a| a.instance_id.as_deref() == Some(instance_id))
    {
        clear(&mut address);
        table.put_json(
            &eip_key(address.allocation_id.as_deref().unwrap_or_default()),
            &address,
        )?;
    }
    Ok(())
}

impl Ec2 {
    pub(crate) async fn associate_address(
        &self,
        ctx: &RequestContext,
        input: AssociateAddressRequest,
    ) -> Result<AssociateAddressResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, now, owned) = (namespace_of(ctx)?, self.now_millis(), ctx.clone());
        let association = self
            .store
            .write(move |txn| associate(txn, &ns, &owned, input, now))
            .await?;
        self.sync_forwards(ctx).await;
        Ok(AssociateAddressResult {
            association_id: Some(association),
        })
    }

    pub(crate) async fn disassociate_address(
        &self,
        ctx: &RequestContext,
        input: DisassociateAddressRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, now, region) = (namespace_of(ctx)?, self.now_millis(), ctx.region.clone());
        self.store
            .write(move |txn| disassociate(txn, &ns, &region, input, now))
            .await?;
        self.sync_forwards(ctx).await;
        Ok(())
    }
}
