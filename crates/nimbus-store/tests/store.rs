//! Namespaces, transactions, scans and the schema check.

use nimbus_store::{Entry, Namespace, Store, StoreError, TempDir};
use serde::{Deserialize, Serialize};

fn regional(service: &str, account: &str, region: &str) -> Namespace {
    Namespace::regional(service, account, region).expect("valid namespace")
}

#[test]
fn namespaces_do_not_see_each_others_keys() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let east = regional("sqs", "000000000000", "us-east-1");
    let west = regional("sqs", "000000000000", "us-west-2");
    let other_account = regional("sqs", "111111111111", "us-east-1");
    let other_service = regional("sns", "000000000000", "us-east-1");
    let global = Namespace::global("sqs")?;
    let txn = store.begin_write()?;
    for (ns, value) in [
        (&east, "east"),
        (&west, "west"),
        (&other_account, "other-account"),
        (&global, "global"),
    ] {
        txn.open(ns)?.put(b"queue/orders", value.as_bytes())?;
    }
    txn.open(&other_service)?.put(b"queue/orders", b"sns")?;
    txn.commit()?;

    let read = store.begin_read()?;
    assert_eq!(read.open(&east)?.get(b"queue/orders")?, Some(b"east".to_vec()));
    assert_eq!(read.open(&west)?.get(b"queue/orders")?, Some(b"west".to_vec()));
    assert_eq!(
        read.open(&other_account)?.get(b"queue/orders")?,
        Some(b"other-account".to_vec())
    );
    assert_eq!(
        read.open(&global)?.get(b"queue/orders")?,
        Some(b"global".to_vec())
    );
    assert_eq!(
        read.open(&other_service)?.get(b"queue/orders")?,
        Some(b"sns".to_vec())
    );
    let listed: Vec<_> = read.open(&east)?.scan(b"")?.collect::<Result<_, _>>()?;
    assert_eq!(listed.len(), 1, "a scan stays inside its namespace");
    Ok(())
}

#[test]
fn scans_list_one_kind_in_order_with_markers() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let ns = regional("sqs", "000000000000", "us-east-1");
    let txn = store.begin_write()?;
    {
        let mut table = txn.open(&ns)?;
        for name in ["c", "a", "b"] {
            table.put(format!("queue/{name}").as_bytes(), name.as_bytes())?;
            table.put(format!("message/{name}/1").as_bytes(), b"m")?;
        }
        table.put(b"queue0", b"not a queue")?;
    }
    txn.commit()?;

    let read = store.begin_read()?;
    let table = read.open(&ns)?;
    fn keys(entries: impl Iterator<Item = Result<Entry, StoreError>>) -> Result<Vec<String>, StoreError> {
        entries
            .map(|entry| Ok(entry?.key_str().unwrap_or_default().to_owned()))
            .collect()
    }
    assert_eq!(keys(table.scan(b"queue/")?)?, ["queue/a", "queue/b", "queue/c"]);
    assert_eq!(
        keys(table.scan_after(b"queue/", Some(b"queue/a"))?)?,
        ["queue/b", "queue/c"]
    );
    assert_eq!(
        keys(table.scan(b"queue/")?.rev())?,
        ["queue/c", "queue/b", "queue/a"]
    );
    assert_eq!(keys(table.scan(b"nothing/")?)?, Vec::<String>::new());
    Ok(())
}

#[test]
fn reads_of_a_service_that_never_wrote_find_nothing() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let read = store.begin_read()?;
    let table = read.open(&regional("dynamodb", "000000000000", "us-east-1"))?;
    assert_eq!(table.get(b"anything")?, None);
    assert_eq!(table.scan(b"")?.count(), 0);
    Ok(())
}

#[test]
fn uncommitted_writes_are_invisible_and_discarded() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let ns = regional("sqs", "000000000000", "us-east-1");
    let txn = store.begin_write()?;
    txn.open(&ns)?.put(b"k", b"v")?;
    assert_eq!(
        store.begin_read()?.open(&ns)?.get(b"k")?,
        None,
        "not visible before commit"
    );
    drop(txn);
    assert_eq!(
        store.begin_read()?.open(&ns)?.get(b"k")?,
        None,
        "dropped means aborted"
    );
    Ok(())
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Queue {
    name: String,
    visibility_timeout: u32,
}

#[tokio::test]
async fn json_values_round_trip_through_the_async_helpers() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let ns = regional("sqs", "000000000000", "us-east-1");
    let queue = Queue {
        name: "orders".to_owned(),
        visibility_timeout: 30,
    };
    let write_ns = ns.clone();
    store
        .write(move |txn| txn.open(&write_ns)?.put_json(b"queue/orders", &queue))
        .await?;
    let read: Option<Queue> = store
        .read(move |txn| txn.open(&ns)?.get_json(b"queue/orders"))
        .await?;
    assert_eq!(
        read,
        Some(Queue {
            name: "orders".to_owned(),
            visibility_timeout: 30
        })
    );
    Ok(())
}

#[test]
fn delete_and_delete_prefix_remove_only_what_they_name() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let ns = regional("sqs", "000000000000", "us-east-1");
    let txn = store.begin_write()?;
    {
        let mut table = txn.open(&ns)?;
        for i in 0..5 {
            table.put(format!("message/q1/{i}").as_bytes(), b"m")?;
            table.put(format!("message/q2/{i}").as_bytes(), b"m")?;
        }
        assert!(table.delete(b"message/q2/0")?);
        assert!(!table.delete(b"message/q2/0")?);
        assert_eq!(table.delete_prefix(b"message/q1/")?, 5);
        assert_eq!(table.scan(b"message/")?.count(), 4);
    }
    txn.commit()?;
    Ok(())
}

#[test]
fn state_survives_reopening_the_data_directory() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let ns = regional("sqs", "000000000000", "us-east-1");
    {
        let store = Store::open(dir.path())?;
        let txn = store.begin_write()?;
        txn.open(&ns)?.put(b"queue/orders", b"1")?;
        txn.commit()?;
    }
    let store = Store::open(dir.path())?;
    assert_eq!(
        store.begin_read()?.open(&ns)?.get(b"queue/orders")?,
        Some(b"1".to_vec())
    );
    Ok(())
}

#[test]
fn a_second_process_cannot_open_a_data_directory_in_use() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let _first = Store::open(dir.path())?;
    match Store::open(dir.path()) {
        Err(StoreError::InUse { .. }) => Ok(()),
        other => panic!("expected InUse, got {other:?}"),
    }
}

#[test]
fn another_schema_version_is_refused_and_left_untouched() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let database = dir.path().join("nimbus.redb");
    {
        // A store written by a future nimbus: same layout, other version.
        let db = redb::Database::create(&database)?;
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(redb::TableDefinition::<&[u8], &[u8]>::new("_meta"))?;
            meta.insert(b"schema_version".as_slice(), 99u64.to_be_bytes().as_slice())?;
        }
        txn.commit()?;
    }
    let before = std::fs::read(&database).map_err(|e| StoreError::Task(e.to_string()))?;
    let err = Store::open(dir.path()).expect_err("must refuse another schema version");
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::SchemaMismatch { found: 99, .. }),
        "{message}"
    );
    assert!(
        message.contains("schema version 99") && message.contains("nothing was changed"),
        "{message}"
    );
    let after = std::fs::read(&database).map_err(|e| StoreError::Task(e.to_string()))?;
    assert!(before == after, "the database file must not change");
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .map_err(|e| StoreError::Task(e.to_string()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
        .collect();
    assert_eq!(entries, ["nimbus.redb"], "no directories created");
    Ok(())
}

#[test]
fn a_non_empty_directory_without_a_store_is_refused() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let precious = dir.path().join("tmp");
    std::fs::create_dir_all(&precious).map_err(|e| StoreError::Task(e.to_string()))?;
    std::fs::write(precious.join("notes.txt"), b"mine").map_err(|e| StoreError::Task(e.to_string()))?;
    let err = Store::open(dir.path()).expect_err("must refuse a foreign directory");
    assert!(matches!(err, StoreError::NotADataDir { .. }), "{err}");
    assert!(precious.join("notes.txt").exists(), "nothing deleted");
    // A missing directory is created.
    let fresh = dir.path().join("nested/data");
    Store::open(&fresh)?;
    assert!(fresh.join("nimbus.redb").exists());
    Ok(())
}

#[test]
fn a_version_1_store_is_opened_and_restamped() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let meta = redb::TableDefinition::<&[u8], &[u8]>::new("_meta");
    let read_version = |db: &redb::Database| -> Result<u64, StoreError> {
        use redb::ReadableDatabase;
        let txn = db.begin_read()?;
        let table = txn.open_table(meta)?;
        let value = table
            .get(b"schema_version".as_slice())?
            .map(|v| v.value().to_vec());
        Ok(value
            .and_then(|v| v.try_into().ok())
            .map_or(0, u64::from_be_bytes))
    };
    let ns = regional("sqs", "000000000000", "us-east-1");
    {
        let store = Store::open(dir.path())?;
        let ns = ns.clone();
        store.write_blocking(move |txn| txn.open(&ns)?.put(b"k", b"v"))?;
    }
    {
        // Every blob a file and no `_blob_bytes`: what version 1 wrote.
        let db = redb::Database::open(dir.path().join("nimbus.redb"))?;
        let txn = db.begin_write()?;
        txn.open_table(meta)?
            .insert(b"schema_version".as_slice(), 1u64.to_be_bytes().as_slice())?;
        txn.commit()?;
    }
    let store = Store::open(dir.path())?;
    assert_eq!(
        store.begin_read()?.open(&ns)?.get(b"k")?.as_deref(),
        Some(&b"v"[..])
    );
    drop(store);
    let db = redb::Database::open(dir.path().join("nimbus.redb"))?;
    assert_eq!(read_version(&db)?, nimbus_store::SCHEMA_VERSION);
    Ok(())
}
