//! S3: small and large PutObject/GetObject, path-style.

use super::{Context, throughput_figures};
use crate::aws::Problem;
use crate::http_client::BodyHandling;
use crate::limit_server::LARGE_PATH_MARKER;
use crate::load::{Plan, Replay, ReplyCheck};
use bytes::Bytes;
use http::Method;

const SMALL_OBJECT_BYTES: usize = 1024;
/// Objects the small GET scenario reads in turn.
const GET_KEYS: usize = 100;
/// Distinct keys written by the small PUT scenario; past that, keys repeat
/// (overwrites), so memory for prepared requests stays bounded.
const PUT_KEYS: usize = 20_000;

pub async fn put_small(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let bucket = "bench-put-small";
    create_bucket(context, bucket).await?;
    let body = payload(SMALL_OBJECT_BYTES);
    put_and_read_back(context, bucket, "check", &body).await?;

    let requests = (0..context.settings.requests.min(PUT_KEYS))
        .map(|index| object_request(context, Method::PUT, bucket, &format!("object-{index}"), &body))
        .collect();
    let report = context
        .load(
            Replay {
                operation: "PutObject",
                requests,
                handling: BodyHandling::Keep,
                check: ReplyCheck::Success,
            },
            context.small_plan(),
        )
        .await?;
    // The objects written under load are really there.
    read_back(context, bucket, "object-0", &body).await?;
    Ok(throughput_figures(&report))
}

pub async fn get_small(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let bucket = "bench-get-small";
    create_bucket(context, bucket).await?;
    let body = payload(SMALL_OBJECT_BYTES);
    put_and_read_back(context, bucket, "object-0", &body).await?;
    for index in 1..GET_KEYS {
        let put = object_request(context, Method::PUT, bucket, &format!("object-{index}"), &body);
        context.call(&put, "PutObject").await?;
    }

    let requests = (0..GET_KEYS)
        .map(|index| {
            object_request(
                context,
                Method::GET,
                bucket,
                &format!("object-{index}"),
                &Bytes::new(),
            )
        })
        .collect();
    let report = context
        .load(
            Replay {
                operation: "GetObject",
                requests,
                handling: BodyHandling::Count,
                check: context.reply_check(ReplyCheck::BodyLen(body.len() as u64)),
            },
            context.small_plan(),
        )
        .await?;
    Ok(throughput_figures(&report))
}

pub async fn put_large(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let bucket = "bench-put-large";
    create_bucket(context, bucket).await?;
    let body = payload(context.settings.large_object_bytes);
    put_and_read_back(context, bucket, LARGE_PATH_MARKER, &body).await?;

    // One key per upload: concurrent overwrites of one key are a rare case
    // (and make moto answer 500), uploads of distinct objects the usual one.
    let keys: Vec<String> = (0..context.settings.large_transfers)
        .map(|index| format!("{LARGE_PATH_MARKER}-{index}"))
        .collect();
    let puts = keys
        .iter()
        .map(|key| object_request(context, Method::PUT, bucket, key, &body))
        .collect();
    let report = context
        .load(
            Replay {
                operation: "PutObject",
                requests: puts,
                handling: BodyHandling::Keep,
                check: ReplyCheck::Success,
            },
            large_plan(context),
        )
        .await?;
    read_back(context, bucket, &keys[0], &body).await?;
    Ok(vec![report.megabytes_per_second()])
}

pub async fn get_large(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let bucket = "bench-get-large";
    create_bucket(context, bucket).await?;
    let body = payload(context.settings.large_object_bytes);
    put_and_read_back(context, bucket, LARGE_PATH_MARKER, &body).await?;

    let get = object_request(context, Method::GET, bucket, LARGE_PATH_MARKER, &Bytes::new());
    let report = context
        .load(
            Replay {
                operation: "GetObject",
                requests: vec![get],
                handling: BodyHandling::Count,
                check: ReplyCheck::BodyLen(body.len() as u64),
            },
            large_plan(context),
        )
        .await?;
    Ok(vec![report.megabytes_per_second()])
}

fn large_plan(context: &Context<'_>) -> Plan {
    Plan {
        concurrency: context.settings.large_concurrency,
        operations: context.settings.large_transfers,
        // A slow peer moves 64 MiB in seconds, not milliseconds.
        max_duration: context.settings.max_duration * 3,
    }
}

async fn create_bucket(context: &Context<'_>, bucket: &str) -> Result<(), Problem> {
    let request = context
        .requests
        .s3(Method::PUT, &format!("/{bucket}"), Bytes::new());
    context.call(&request, "CreateBucket").await.map(drop)
}

fn object_request(
    context: &Context<'_>,
    method: Method,
    bucket: &str,
    key: &str,
    body: &Bytes,
) -> crate::http_client::PreparedRequest {
    context
        .requests
        .s3(method, &format!("/{bucket}/{key}"), body.clone())
}

/// Writes one object and reads it back byte for byte.
async fn put_and_read_back(
    context: &Context<'_>,
    bucket: &str,
    key: &str,
    body: &Bytes,
) -> Result<(), Problem> {
    let put = object_request(context, Method::PUT, bucket, key, body);
    context.call(&put, "PutObject").await?;
    read_back(context, bucket, key, body).await
}

async fn read_back(context: &Context<'_>, bucket: &str, key: &str, expected: &Bytes) -> Result<(), Problem> {
    let get = object_request(context, Method::GET, bucket, key, &Bytes::new());
    let reply = context.call(&get, "GetObject").await?;
    context.verify(reply.body == *expected, || {
        format!(
            "GetObject {bucket}/{key} returned {} bytes that differ from the {} written",
            reply.body.len(),
            expected.len()
        )
    })
}

/// Object content with a pattern, so a server that mixes up bytes is caught.
fn payload(size: usize) -> Bytes {
    (0..size)
        .map(|index| b"abcdefghijklmnopqrstuvwxyz0123456789"[index % 36])
        .collect::<Vec<u8>>()
        .into()
}

/// Uploads one big object (1 GiB in a full run) and downloads it while
/// sampling the server's resident memory: a server that streams object
/// bytes stays flat, one that buffers them grows by the object's size.
/// Reports the peak RSS during the PUT and during the GET, and the GET rate.
pub async fn get_rss(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let bucket = "bench-get-rss";
    let key = format!("{LARGE_PATH_MARKER}-rss");
    create_bucket(context, bucket).await?;
    let body = payload(context.settings.rss_object_bytes);

    let put = object_request(context, Method::PUT, bucket, &key, &body);
    let watch = RssWatch::start(context.server_pid);
    let put_result = context.call(&put, "PutObject").await;
    let put_peak = watch.stop().await;
    put_result?;
    drop(put);
    drop(body);

    let get = object_request(context, Method::GET, bucket, &key, &Bytes::new());
    let watch = RssWatch::start(context.server_pid);
    let report = context
        .load(
            Replay {
                operation: "GetObject",
                requests: vec![get],
                handling: BodyHandling::Count,
                check: context.reply_check(ReplyCheck::BodyLen(context.settings.rss_object_bytes as u64)),
            },
            Plan {
                concurrency: 1,
                operations: 1,
                max_duration: context.settings.max_duration * 3,
            },
        )
        .await;
    let get_peak = watch.stop().await;
    let report = report?;
    let mib = |bytes: Option<u64>| bytes.map_or(f64::NAN, |bytes| bytes as f64 / (1024.0 * 1024.0));
    Ok(vec![mib(put_peak), mib(get_peak), report.megabytes_per_second()])
}

/// Samples a process's VmRSS every few milliseconds and keeps the peak.
struct RssWatch {
    stop: tokio::sync::oneshot::Sender<()>,
    peak: tokio::task::JoinHandle<Option<u64>>,
}

impl RssWatch {
    fn start(pid: u32) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let peak = tokio::spawn(async move {
            let mut peak = None;
            loop {
                if let Some(rss) = rss_bytes(pid) {
                    peak = Some(peak.map_or(rss, |peak: u64| peak.max(rss)));
                }
                tokio::select! {
                    _ = &mut stopped => return peak,
                    () = tokio::time::sleep(std::time::Duration::from_millis(5)) => {}
                }
            }
        });
        RssWatch { stop, peak }
    }

    /// The peak seen, with one last sample.
    async fn stop(self) -> Option<u64> {
        let _ = self.stop.send(());
        self.peak.await.ok().flatten()
    }
}

/// VmRSS from `/proc/<pid>/status`, in bytes.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
