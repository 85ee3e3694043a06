//! Measuring what sits between a client and its target (a load balancer):
//! `http-load` replays one GET against an address with the load engine,
//! `tcp-sink` swallows streams, and `tcp-throughput` pushes bytes through
//! an address into a sink. Each prints one JSON line for the scripts that
//! compare a proxy with its target (tools/bench/scripts/elb_proxy.py).

use crate::aws::RequestFactory;
use crate::http_client::BodyHandling;
use crate::load::{self, Plan, Replay, ReplyCheck};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `connections` keep-alive clients GET `path` from `addr` for `seconds`.
pub async fn http_load(
    addr: SocketAddr,
    path: &str,
    connections: usize,
    seconds: u64,
) -> Result<String, String> {
    let request = RequestFactory::new(addr).get(path);
    let replay = Replay {
        operation: "GET",
        requests: vec![request],
        handling: BodyHandling::Count,
        check: ReplyCheck::Success,
    };
    let plan = Plan {
        concurrency: connections,
        // More than a phase gets through; the time cap ends it.
        operations: 1_000_000,
        max_duration: Duration::from_secs(seconds),
    };
    let report = load::run(addr, Arc::new(replay), plan).await;
    report.require_clean().map_err(|e| e.to_string())?;
    Ok(format!(
        "{{\"per_second\": {:.1}, \"p50_ms\": {:.4}, \"p90_ms\": {:.4}, \"p99_ms\": {:.4}, \"completed\": {}}}",
        report.per_second(),
        report.percentile_ms(0.5),
        report.percentile_ms(0.9),
        report.percentile_ms(0.99),
        report.completed
    ))
}

/// Reads every connection to its end, then answers the byte count (8 bytes).
pub async fn tcp_sink(port: u16) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 256 * 1024];
            let mut total: u64 = 0;
            while let Ok(read) = stream.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                total += read as u64;
            }
            let _ = stream.write_all(&total.to_be_bytes()).await;
        });
    }
}

/// Pushes `megabytes` through `addr` into a sink; answers MB/s once the sink
/// has counted them all.
pub async fn tcp_throughput(addr: SocketAddr, megabytes: u64) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let chunk = vec![7u8; 256 * 1024];
    let total = megabytes * 1_000_000;
    let started = Instant::now();
    let mut sent: u64 = 0;
    while sent < total {
        let size = chunk
            .len()
            .min(usize::try_from(total - sent).unwrap_or(chunk.len()));
        stream
            .write_all(&chunk[..size])
            .await
            .map_err(|e| e.to_string())?;
        sent += size as u64;
    }
    stream.shutdown().await.map_err(|e| e.to_string())?;
    let mut counted = [0u8; 8];
    stream.read_exact(&mut counted).await.map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if u64::from_be_bytes(counted) != total {
        return Err(format!(
            "the sink counted {} of {total} bytes",
            u64::from_be_bytes(counted)
        ));
    }
    Ok(format!(
        "{{\"megabytes_per_second\": {:.1}, \"seconds\": {:.3}}}",
        total as f64 / 1e6 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    ))
}
