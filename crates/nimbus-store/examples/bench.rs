//! The store's figures from issue 3, measured on this machine:
//! - restart with 100,000 stored items, ready to serve (open + first read);
//! - single-key write round trip, acknowledged after a durable commit;
//! - durable writes per second through `Store::write` with 1, 16 and 64
//!   concurrent writers (each acknowledged after its commit is durable).
//!
//! Run: `cargo run --release -p nimbus-store --example bench [-- <items> <writes> <seconds>]`
//! The data directory is a temporary one on the system temp file system
//! (set TMPDIR to measure another disk); it is removed at the end.

use std::time::{Duration, Instant};

use nimbus_store::{Namespace, Store, TempDir};

/// Items are written in batches of this many per transaction when filling.
const FILL_BATCH: usize = 5_000;
/// Restarts measured; the median is reported.
const RESTARTS: usize = 9;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some(CRASH_CHILD) {
        return write_and_crash(args.nth(1).ok_or("data dir expected")?);
    }
    let items: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let writes: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2_000);
    let seconds: f64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3.0);
    let dir = TempDir::new("nimbus-bench")?;
    let ns = Namespace::regional("sqs", "000000000000", "us-east-1")?;
    let value = vec![b'x'; 200];

    let started = Instant::now();
    {
        let store = Store::open(dir.path())?;
        for batch in (0..items).collect::<Vec<_>>().chunks(FILL_BATCH) {
            let txn = store.begin_write()?;
            {
                let mut table = txn.open(&ns)?;
                for i in batch {
                    table.put(format!("message/q/{i:09}").as_bytes(), &value)?;
                }
            }
            txn.commit()?;
        }
    }
    println!(
        "filled {items} items of {} bytes in {:?}",
        value.len(),
        started.elapsed()
    );

    let mut restarts = Vec::with_capacity(RESTARTS);
    for _ in 0..RESTARTS {
        let started = Instant::now();
        let store = Store::open(dir.path())?;
        let found = store
            .begin_read()?
            .open(&ns)?
            .get(format!("message/q/{:09}", items / 2).as_bytes())?;
        restarts.push(started.elapsed());
        if found.is_none() {
            return Err("the stored item is missing after restart".into());
        }
    }
    report(
        &format!("restart with {items} items, ready to serve"),
        &mut restarts,
    );

    // After a crash redb must rebuild its allocator state before serving.
    let mut crash_restarts = Vec::with_capacity(3);
    for _ in 0..3 {
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg(CRASH_CHILD)
            .arg(dir.path())
            .status()?;
        if !status.success() {
            return Err(format!("crash child failed: {status}").into());
        }
        let started = Instant::now();
        let store = Store::open(dir.path())?;
        store
            .begin_read()?
            .open(&ns)?
            .get(b"crash-marker")?
            .ok_or("crash marker missing")?;
        crash_restarts.push(started.elapsed());
    }
    report(
        &format!("restart with {items} items after a crash (kill -9)"),
        &mut crash_restarts,
    );

    for (label, store) in [
        ("durable", Store::open(dir.path())?),
        ("ephemeral", Store::ephemeral()?),
    ] {
        let mut round_trips = Vec::with_capacity(writes);
        for i in 0..writes {
            let started = Instant::now();
            let txn = store.begin_write()?;
            txn.open(&ns)?.put(format!("queue/q{i}").as_bytes(), &value)?;
            txn.commit()?;
            round_trips.push(started.elapsed());
        }
        report(
            &format!("single-key write, acknowledged after commit ({label})"),
            &mut round_trips,
        );
    }

    // The path services take from async handlers: Store::write on a blocking thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let store = Store::open(dir.path())?;
    let mut round_trips = Vec::with_capacity(writes);
    for i in 0..writes {
        let (store, ns, value) = (store.clone(), ns.clone(), value.clone());
        let started = Instant::now();
        runtime
            .block_on(store.write(move |txn| txn.open(&ns)?.put(format!("async/q{i}").as_bytes(), &value)))?;
        round_trips.push(started.elapsed());
    }
    report(
        "single-key write via async Store::write (durable)",
        &mut round_trips,
    );

    for writers in [1, 16, 64] {
        concurrent_writes(
            &runtime,
            &store,
            &ns,
            &value,
            writers,
            Duration::from_secs_f64(seconds),
        )?;
    }
    Ok(())
}

/// `writers` tasks each write one key per `Store::write` in a loop for
/// `length`; reports acknowledged writes per second and their latency.
fn concurrent_writes(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    ns: &Namespace,
    value: &[u8],
    writers: usize,
    length: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let deadline = started + length;
    let mut round_trips = runtime.block_on(async {
        let mut tasks = Vec::with_capacity(writers);
        for writer in 0..writers {
            let (store, ns, value) = (store.clone(), ns.clone(), value.to_vec());
            tasks.push(tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let (ns, value) = (ns.clone(), value.clone());
                    let key = format!("concurrent/{writers}/{writer}/{i}");
                    let sent = Instant::now();
                    store
                        .write(move |txn| txn.open(&ns)?.put(key.as_bytes(), &value))
                        .await?;
                    samples.push(sent.elapsed());
                    i += 1;
                }
                Ok::<_, nimbus_store::StoreError>(samples)
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await??);
        }
        Ok::<_, Box<dyn std::error::Error>>(all)
    })?;
    let elapsed = started.elapsed();
    println!(
        "{writers} concurrent writers via Store::write (durable): {:.0} writes/s",
        round_trips.len() as f64 / elapsed.as_secs_f64()
    );
    report(&format!("  latency with {writers} writers"), &mut round_trips);
    Ok(())
}

/// The argument that makes this binary the process that crashes.
const CRASH_CHILD: &str = "--write-then-crash";

/// Commits one write and exits without closing the store, as `kill -9` would.
fn write_and_crash(dir: String) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(dir)?;
    let txn = store.begin_write()?;
    txn.open(&Namespace::regional("sqs", "000000000000", "us-east-1")?)?
        .put(b"crash-marker", b"1")?;
    txn.commit()?;
    // `exit` runs no destructors: the database is never closed cleanly.
    std::process::exit(0)
}

fn report(label: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  (n={})",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        samples.len()
    );
}
