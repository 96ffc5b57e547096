//! `retex bench-http`'s measurements under mixed load: reads while writers post batches, and one event per
//! request (what a till or a webhook source sends) with the server's CPU per event, beside a peer (Prometheus
//! Alertmanager) posted to by the same client when one is given.
//!
//! CPU is read from `/proc` (user and system time, in USER_HZ ticks of 10 ms). A process's figure includes its
//! threads that ended, so the in-process Retex's is the process's less what each client thread measured of itself
//! before it ended; the peer's is its whole process.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::http_client::{Connection, joined, percentiles, read_while};

/// Linux reports CPU times in USER_HZ ticks, 100 a second on every architecture Retex builds for.
const TICKS_PER_SECOND: f64 = 100.0;
/// Events in each batch the writers post while readers read.
const WRITER_BATCH: usize = 1_000;
/// The calling thread's `stat` file.
const OWN_THREAD_STAT: &str = "/proc/thread-self/stat";

/// Seconds of CPU of the process or thread whose `stat` file this is (`/proc/PID/stat`, [`OWN_THREAD_STAT`]).
pub(crate) fn cpu_seconds(stat_file: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(stat_file).with_context(|| format!("read {stat_file}"))?;
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), counted from the state, field 3.
    let mut ticks = 0u64;
    for index in [11, 12] {
        ticks += fields
            .get(index)
            .and_then(|field| field.parse::<u64>().ok())
            .with_context(|| format!("{stat_file}: no CPU times"))?;
    }
    Ok(ticks as f64 / TICKS_PER_SECOND)
}

/// One request to post: path, headers and body.
pub(crate) struct Post {
    pub(crate) path: &'static str,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: String,
}

/// Where one-event requests go and whose CPU they cost.
pub(crate) struct Target<'a> {
    pub(crate) name: &'a str,
    pub(crate) address: SocketAddr,
    /// The server's process: this one for the in-process Retex.
    pub(crate) pid: u32,
    /// The request for the `n`th event of a client.
    pub(crate) request: &'a (dyn Fn(usize, usize) -> Post + Sync),
}

/// `clients` keep-alive clients each posting one event per request for `seconds`: events a second, the target's
/// CPU per 1,000 events and the latency of a request.
pub(crate) fn one_event_per_request(
    target: &Target<'_>,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<serde_json::Value> {
    let deadline = Duration::from_secs_f64(seconds);
    let process_stat = format!("/proc/{}/stat", target.pid);
    let cpu_before = cpu_seconds(&process_stat)?;
    let started = Instant::now();
    let clients_done = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || -> anyhow::Result<(Vec<Duration>, f64)> {
                    let own_cpu_before = cpu_seconds(OWN_THREAD_STAT)?;
                    let mut connection = Connection::open(target.address)?;
                    let mut latencies = Vec::new();
                    while started.elapsed() < deadline {
                        let post = (target.request)(client, latencies.len());
                        let headers: Vec<(&str, &str)> = post
                            .headers
                            .iter()
                            .map(|(name, value)| (*name, value.as_str()))
                            .collect();
                        let sent = Instant::now();
                        let reply = connection.send("POST", post.path, &headers, &post.body)?;
                        latencies.push(sent.elapsed());
                        if !(200..300).contains(&reply.status) {
                            bail!(
                                "{} answered {}: {}",
                                target.name,
                                reply.status,
                                String::from_utf8_lossy(&reply.body)
                            );
                        }
                    }
                    Ok((latencies, cpu_seconds(OWN_THREAD_STAT)? - own_cpu_before))
                })
            })
            .collect();
        joined(workers)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let clients_cpu: f64 = clients_done.iter().map(|(_, cpu)| cpu).sum();
    let process_cpu = cpu_seconds(&process_stat)? - cpu_before;
    let cpu = if target.pid == std::process::id() {
        process_cpu - clients_cpu
    } else {
        process_cpu
    };
    let all: Vec<Duration> = clients_done.into_iter().flat_map(|(latencies, _)| latencies).collect();
    let events = all.len();
    let figures = json!({
        "clients": clients,
        "events": events,
        "seconds": elapsed,
        "events_per_second": events as f64 / elapsed,
        "server_cpu_seconds": cpu,
        "client_cpu_seconds": clients_cpu,
        "server_cpu_ms_per_1000_events": cpu * 1e6 / events.max(1) as f64,
        "latency_ms": percentiles(all),
    });
    eprintln!("{} one event per request: {figures}", target.name);
    Ok(figures)
}

/// `writers` clients posting batches of [`WRITER_BATCH`] events for `seconds` while `readers` clients read
/// `path`: the readers' latency and the writers' rate.
pub(crate) fn reads_while_writing(
    address: SocketAddr,
    token: &str,
    cookie: &str,
    path: &str,
    (readers, writers): (usize, usize),
    seconds: f64,
    batch_body: &(dyn Fn(usize, usize) -> String + Sync),
) -> anyhow::Result<serde_json::Value> {
    let deadline = Duration::from_secs_f64(seconds);
    let stop = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    let authorization = format!("Bearer {token}");
    let started = Instant::now();
    let (latencies, wrote) = std::thread::scope(|scope| {
        let writing: Vec<_> = (0..writers)
            .map(|writer| {
                let (stop, written, authorization) = (&stop, &written, authorization.as_str());
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut connection = Connection::open(address)?;
                    let headers = [
                        ("authorization", authorization),
                        ("content-type", "application/x-ndjson"),
                    ];
                    let mut batch = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let reply = connection.send("POST", "/api/v1/events", &headers, &batch_body(writer, batch))?;
                        if reply.status != 200 {
                            bail!("ingest answered {}", reply.status);
                        }
                        written.fetch_add(WRITER_BATCH, Ordering::Relaxed);
                        batch += 1;
                    }
                    Ok(())
                })
            })
            .collect();
        let reading: Vec<_> = (0..readers)
            .map(|_| scope.spawn(move || read_while(address, path, cookie, |_| started.elapsed() < deadline)))
            .collect();
        let latencies = joined(reading);
        stop.store(true, Ordering::Relaxed);
        let wrote = joined(writing);
        (latencies, wrote)
    });
    let elapsed = started.elapsed().as_secs_f64();
    wrote?;
    let all: Vec<Duration> = latencies?.into_iter().flatten().collect();
    let events = written.load(Ordering::Relaxed);
    let figures = json!({
        "path": path,
        "readers": readers,
        "writers": writers,
        "writer_batch_events": WRITER_BATCH,
        "seconds": elapsed,
        "events_written": events,
        "events_per_second": events as f64 / elapsed,
        "read_latency_ms": percentiles(all),
    });
    eprintln!("reads while writing: {figures}");
    Ok(figures)
}
