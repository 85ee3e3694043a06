//! EBS snapshots: a copy of a volume's folder (a root volume's is its
//! instance's own) under `<data dir>/ec2/snapshots/<id>`, pending a moment
//! on the nimbus clock, then completed; volumes are made from them in any
//! zone of the region.

use std::path::{Path, PathBuf};

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use serde::{Deserialize, Serialize};

use crate::filters::{self, Values};
use crate::records::namespace_of;
use crate::volumes::{self, SETTLE_MS, VolumeRecord};
use crate::{Ec2, errors, ids, tags};

const PREFIX: &[u8] = b"snap/";

fn key(id: &str) -> Vec<u8> {
    [PREFIX, id.as_bytes()].concat()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SnapshotRecord {
    snapshot: Snapshot,
    since: i64,
}

impl SnapshotRecord {
    fn settled(mut self, now: i64) -> SnapshotRecord {
        if self.snapshot.state.as_deref() == Some("pending") && now - self.since >= SETTLE_MS {
            self.snapshot.state = Some("completed".to_owned());
            self.snapshot.progress = Some("100%".to_owned());
        }
        self
    }
}

pub fn snapshot_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidSnapshot.NotFound",
        format!("The snapshot '{id}' does not exist."),
    )
}

pub fn folder(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("ec2").join("snapshots").join(id)
}

/// Copies the tree at `from` to `to` (files, folders and links as links).
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

fn values(snapshot: &Snapshot) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "snapshot-id" => one(&snapshot.snapshot_id),
            "volume-id" => one(&snapshot.volume_id),
            "status" => one(&snapshot.state),
            "owner-id" => one(&snapshot.owner_id),
            "description" => one(&snapshot.description),
            "volume-size" => Some(snapshot.volume_size.map(|s| s.to_string()).into_iter().collect()),
            "encrypted" => Some(vec![snapshot.encrypted.unwrap_or(false).to_string()]),
            other => filters::tag_values(snapshot.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    async fn snapshots(&self, ctx: &RequestContext) -> Result<Vec<Snapshot>, AwsError> {
        let now = self.now_millis();
        let stored = self.store.values_under(&namespace_of(ctx)?, PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|b| serde_json::from_slice::<SnapshotRecord>(b).ok())
            .map(|r| r.settled(now).snapshot)
            .collect())
    }

    /// A snapshot of the caller's region, as it stands.
    pub(crate) async fn snapshot(&self, ctx: &RequestContext, id: &str) -> Result<Snapshot, AwsError> {
        self.snapshots(ctx)
            .await?
            .into_iter()
            .find(|s| s.snapshot_id.as_deref() == Some(id))
            .ok_or_else(|| snapshot_missing(id))
    }

    pub(crate) async fn create_snapshot(
        &self,
        ctx: &RequestContext,
        input: CreateSnapshotRequest,
    ) -> Result<Snapshot, AwsError> {
        let snapshot_tags = tags::from_specifications(input.tag_specifications.as_deref(), "snapshot")?;
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let volume: VolumeRecord = self
            .store
            .get_json(&ns, &volumes::key(&input.volume_id))
            .await?
            .ok_or_else(|| volumes::volume_missing(&input.volume_id))?;
        let snapshot = Snapshot {
            snapshot_id: Some(ids::new_id("snap")),
            volume_id: Some(input.volume_id.clone()),
            state: Some("pending".to_owned()),
            start_time: Some(crate::records::now(&self.clock)),
            progress: Some("0%".to_owned()),
            owner_id: Some(ctx.account_id.clone()),
            description: Some(input.description.unwrap_or_default()),
            volume_size: volume.volume.size,
            encrypted: volume.volume.encrypted,
            storage_tier: Some("standard".to_owned()),
            tags: snapshot_tags,
            ..Default::default()
        };
        let id = snapshot.snapshot_id.clone().unwrap_or_default();
        let source = match &volume.root_of {
            Some(instance) => self.host.layout(instance).root(),
            None => volumes::folder(self.store.data_dir(), &input.volume_id),
        };
        copy_tree(&source, &folder(self.store.data_dir(), &id))
            .map_err(|e| AwsError::new("InternalError", format!("cannot copy the volume: {e}"), 500))?;
        let record = SnapshotRecord {
            snapshot: snapshot.clone(),
            since: self.now_millis(),
        };
        self.store.put_json(&ns, &key(&id), record).await?;
        Ok(snapshot)
    }

    pub(crate) async fn describe_snapshots(
        &self,
        ctx: &RequestContext,
        input: DescribeSnapshotsRequest,
    ) -> Result<DescribeSnapshotsResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let owners = input.owner_ids.unwrap_or_default();
        let all: Vec<Snapshot> = self
            .snapshots(ctx)
            .await?
            .into_iter()
            .filter(|s| {
                owners.is_empty()
                    || owners
                        .iter()
                        .any(|o| o == "self" || s.owner_id.as_ref() == Some(o))
            })
            .collect();
        let ids = input.snapshot_ids.unwrap_or_default();
        let chosen = filters::select(
            all,
            &ids,
            |s| s.snapshot_id.as_ref(),
            input.filters.as_deref().unwrap_or_default(),
            values,
            snapshot_missing,
        )?;
        let (page, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeSnapshotsResult {
            snapshots: Some(page),
            next_token,
        })
    }

    pub(crate) async fn delete_snapshot(
        &self,
        ctx: &RequestContext,
        input: DeleteSnapshotRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        self.snapshot(ctx, &input.snapshot_id).await?;
        self.store
            .delete(&namespace_of(ctx)?, &key(&input.snapshot_id))
            .await?;
        let _ = std::fs::remove_dir_all(folder(self.store.data_dir(), &input.snapshot_id));
        Ok(())
    }
}
