//! Group commit: concurrent `Store::write` calls share a transaction, each
//! caller gets its own result, and a failing (or panicking) closure is
//! rolled back alone.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use nimbus_store::blob::INLINE_MAX;
use nimbus_store::{BlobRef, Namespace, Store, StoreError, TempDir};

fn ns() -> Namespace {
    Namespace::regional("sqs", "000000000000", "us-east-1").expect("valid namespace")
}

/// A service's own error type, as `Store::write` callers have.
#[derive(Debug)]
enum ServiceError {
    Store(StoreError),
    Refused(&'static str),
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        ServiceError::Store(err)
    }
}

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn get(store: &Store, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    store.begin_read()?.open(&ns())?.get(key.as_bytes())
}

/// `tag` repeated to just over [`INLINE_MAX`]: a body that becomes a file.
fn file_sized(tag: &[u8]) -> Vec<u8> {
    tag.repeat(INLINE_MAX / tag.len() + 1)
}

/// Whether a blob's bytes can be read.
async fn readable(store: &Store, blob: &BlobRef) -> bool {
    store.blobs().open(blob).await.is_ok()
}

fn blob_file_count(dir: &Path) -> usize {
    let mut count = 0;
    for shard in std::fs::read_dir(dir.join("blobs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        count += std::fs::read_dir(shard.path()).into_iter().flatten().count();
    }
    count
}

/// Holds the writer thread inside a closure until the returned sender is
/// used (or dropped), so that writes submitted meanwhile queue up and then
/// run together in one batch.
fn hold_writer(
    store: &Store,
) -> (
    mpsc::Sender<()>,
    tokio::task::JoinHandle<Result<&'static str, StoreError>>,
) {
    let (release, released) = mpsc::channel::<()>();
    let (entered, is_entered) = mpsc::channel::<()>();
    let store = store.clone();
    let holder = tokio::spawn(async move {
        store
            .write(move |txn| {
                let _ = entered.send(());
                let _ = released.recv();
                txn.open(&ns())?.put(b"holder", b"1")?;
                Ok("holder")
            })
            .await
    });
    // Once inside, the writer is busy until released.
    let _ = is_entered.recv_timeout(Duration::from_secs(10));
    (release, holder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_closure_is_rolled_back_alone_and_each_caller_gets_its_result() -> TestResult {
    let dir = TempDir::new("nimbus-group-commit")?;
    let store = Store::open(dir.path())?;
    let (old_blob, old_inline) = {
        let staged = store.blobs().write_from(&file_sized(b"old body")[..]).await?;
        let staged_inline = store.blobs().write_from(&b"old inline"[..]).await?;
        store
            .write(move |txn| {
                let blob = txn.attach_blob(staged)?;
                let inline = txn.attach_blob(staged_inline)?;
                let mut table = txn.open(&ns())?;
                table.put(b"kept", b"before")?;
                table.put(b"doomed/1", b"x")?;
                table.put(b"doomed/2", b"y")?;
                Ok::<_, StoreError>((blob, inline))
            })
            .await?
    };
    assert_eq!(blob_file_count(dir.path()), 1);

    let (release, holder) = hold_writer(&store);
    let s = store.clone();
    let first_ok = tokio::spawn(async move {
        s.write(|txn| {
            txn.open(&ns())?.put(b"a", b"1")?;
            Ok::<_, ServiceError>(1)
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Overwrites, deletes, attaches a blob and releases another, then refuses.
    let staged = store.blobs().write_from(&file_sized(b"new body")[..]).await?;
    let staged_inline = store.blobs().write_from(&b"new inline"[..]).await?;
    let new_inline = staged_inline.blob().clone();
    let (s, old, old_small) = (store.clone(), old_blob.clone(), old_inline.clone());
    let refused = tokio::spawn(async move {
        s.write(move |txn| {
            txn.attach_blob(staged)?;
            txn.attach_blob(staged_inline)?;
            txn.release_blob(&old)?;
            txn.release_blob(&old_small)?;
            let mut table = txn.open(&ns())?;
            table.put(b"kept", b"overwritten")?;
            table.put(b"b", b"never")?;
            table.delete(b"a")?;
            assert_eq!(table.delete_prefix(b"doomed/")?, 2);
            Err::<u32, _>(ServiceError::Refused("no"))
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let s = store.clone();
    let panicking = tokio::spawn(async move {
        s.write(|txn| {
            txn.open(&ns())?.put(b"p", b"never")?;
            if txn.open(&ns())?.get(b"p").is_ok() {
                panic!("a bug in a service");
            }
            Ok::<_, StoreError>(())
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let s = store.clone();
    // Sees the writes of the closures before it in the batch, not the failed ones'.
    let reader = tokio::spawn(async move {
        s.write(|txn| {
            let mut table = txn.open(&ns())?;
            let seen = (
                table.get(b"a")?,
                table.get(b"b")?,
                table.get(b"kept")?,
                table.get(b"p")?,
            );
            table.put(b"c", b"3")?;
            Ok::<_, StoreError>(seen)
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(release);

    assert_eq!(holder.await??, "holder");
    assert_eq!(first_ok.await?.map_err(|e| format!("{e:?}"))?, 1);
    assert!(matches!(refused.await?, Err(ServiceError::Refused("no"))));
    let panicked = panicking.await?;
    assert!(
        matches!(&panicked, Err(StoreError::Task(message)) if message.contains("a bug in a service")),
        "{panicked:?}"
    );
    let seen = reader.await??;
    assert_eq!(seen, (Some(b"1".to_vec()), None, Some(b"before".to_vec()), None));

    for (key, value) in [
        ("holder", Some(&b"1"[..])),
        ("a", Some(b"1")),
        ("c", Some(b"3")),
        ("kept", Some(b"before")),
        ("doomed/1", Some(b"x")),
        ("doomed/2", Some(b"y")),
        ("b", None),
        ("p", None),
    ] {
        assert_eq!(get(&store, key)?.as_deref(), value, "key {key}");
    }
    // The released blob is still referenced and on disk; the attached one is gone.
    assert!(store.blobs().path_of(&old_blob).is_some_and(|path| path.exists()));
    assert_eq!(blob_file_count(dir.path()), 1);
    // The same for inline blobs: the released one is kept, the attached one gone.
    assert!(readable(&store, &old_inline).await);
    assert!(!readable(&store, &new_inline).await);
    drop(store);
    // Reopening (the writer thread is gone with the last handle) finds the same.
    let store = Store::open(dir.path())?;
    assert_eq!(store.sweep_report().orphan_blobs, 0);
    assert_eq!(get(&store, "c")?.as_deref(), Some(&b"3"[..]));
    assert_eq!(get(&store, "b")?, None);
    Ok(())
}

#[tokio::test]
async fn a_lone_failing_closure_leaves_nothing() -> TestResult {
    let store = Store::ephemeral()?;
    let staged = store.blobs().write_from(&file_sized(b"body")[..]).await?;
    let result = store
        .write(move |txn| {
            txn.attach_blob(staged)?;
            txn.open(&ns())?.put(b"x", b"1")?;
            Err::<(), _>(ServiceError::Refused("lone"))
        })
        .await;
    assert!(matches!(result, Err(ServiceError::Refused("lone"))));
    assert_eq!(get(&store, "x")?, None);
    assert_eq!(blob_file_count(store.data_dir()), 0);
    // The writer goes on.
    store.write(|txn| txn.open(&ns())?.put(b"y", b"2")).await?;
    assert_eq!(get(&store, "y")?.as_deref(), Some(&b"2"[..]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writers_each_get_their_own_result() -> TestResult {
    let store = Store::ephemeral()?;
    let mut tasks = Vec::new();
    for writer in 0..64u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50u64 {
                let n = writer * 1000 + i;
                let fail = n % 7 == 0;
                let got = store
                    .write(move |txn| {
                        let mut table = txn.open(&ns())?;
                        let count = table.get(b"count")?.map_or(0, |v| v.len());
                        table.put(format!("item/{n}").as_bytes(), b"v")?;
                        if fail {
                            table.put(b"count", &vec![b'x'; count + 100])?;
                            return Err(ServiceError::Refused("every seventh"));
                        }
                        table.put(b"count", &vec![b'x'; count + 1])?;
                        Ok(n)
                    })
                    .await;
                match got {
                    Ok(got) => assert_eq!(got, n),
                    Err(ServiceError::Refused(_)) => assert!(fail),
                    Err(ServiceError::Store(err)) => return Err(err.to_string()),
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let read = store.begin_read()?;
    let table = read.open(&ns())?;
    let mut expected = 0;
    for writer in 0..64u64 {
        for i in 0..50u64 {
            let n = writer * 1000 + i;
            let present = table.get(format!("item/{n}").as_bytes())?.is_some();
            assert_eq!(present, n % 7 != 0, "item {n}");
            expected += usize::from(present);
        }
    }
    // Every successful closure counted itself once; no failed one did.
    assert_eq!(table.get(b"count")?.map(|v| v.len()), Some(expected));
    Ok(())
}

#[test]
fn write_blocking_shares_the_writer_and_refuses_nesting() -> TestResult {
    let store = Store::ephemeral()?;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..20).try_for_each(|i| {
                    store
                        .write_blocking(move |txn| txn.open(&ns())?.put(format!("t{t}/{i}").as_bytes(), b"1"))
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "writer thread panicked")??;
    }
    assert_eq!(store.begin_read()?.open(&ns())?.scan(b"t")?.count(), 160);

    let inner = store.clone();
    let nested = store.write_blocking(move |_txn| {
        Ok::<_, StoreError>(inner.write_blocking(|_txn| Ok::<_, StoreError>(())))
    })?;
    assert!(matches!(nested, Err(StoreError::Task(_))));
    Ok(())
}

#[test]
fn the_last_handle_dropped_releases_the_directory() -> TestResult {
    let dir = TempDir::new("nimbus-group-commit-drop")?;
    for round in 0..3u8 {
        let store = Store::open(dir.path())?;
        store.write_blocking(move |txn| txn.open(&ns())?.put(b"round", &[round]))?;
        drop(store);
    }
    let store = Store::open(dir.path())?;
    assert_eq!(get(&store, "round")?, Some(vec![2]));
    Ok(())
}
