//! `retex soak`: the simulated retailer's weeks replayed against a live server, at a chosen multiple of real
//! time, with readers on the API and the queue page and a clock that follows the simulated time, as a shop's
//! server would live through them. It records memory over the run, every request that failed, and whether the
//! state the server ends with equals a batch ingest of the same events; figures are written as JSON.
//!
//! Each step posts the events whose time has come (as a source would, in requests of at most 1,000), then
//! moves the engine's clock to the simulated now, as the wall-clock ticker of `retex serve` does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use retex_core::codes::Timestamp;
use retex_core::engine::EngineConfig;
use retex_core::wire::parse_event;
use retex_sim::Scenario;
use retex_store::{IncomingEvent, LiveEngine, LiveOptions, StoreLocation};
use serde_json::json;

use crate::bench_http::InProcessServer;
use crate::http_client::{Connection, login};

/// Events per request, as a source batches them.
const REQUEST_EVENTS_MAX: usize = 1_000;
/// Real time between steps.
const STEP: Duration = Duration::from_millis(200);
/// Events per append of the reference ingest.
const REFERENCE_BATCH: usize = 10_000;

#[derive(Args)]
pub struct SoakArgs {
    /// Stores in the simulated retailer.
    #[arg(long, default_value_t = 40)]
    stores: u32,
    /// Simulated days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Simulated seconds per real second (10: a month in three days; 3600: a month in twelve minutes).
    #[arg(long, default_value_t = 10.0)]
    speedup: f64,
    /// Concurrent readers of the exceptions API and the queue page.
    #[arg(long, default_value_t = 2)]
    readers: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, value_name = "FILE", default_value = "soak.json")]
    out: PathBuf,
}

/// One event of the simulated stream: its time and its line.
struct Line {
    at: Timestamp,
    text: String,
}

pub fn run(args: &SoakArgs) -> anyhow::Result<ExitCode> {
    let workdir = tempfile::tempdir().context("create a temporary directory")?;
    let scenario = Scenario {
        stores: args.stores,
        days: args.days,
        seed: args.seed,
        ..Scenario::default_retailer()
    };
    let events_file = workdir.path().join("events.ndjson");
    crate::simulate::write_scenario(&scenario, &events_file, true)?;
    let lines = read_lines(&events_file)?;
    let (Some(first), Some(last)) = (lines.first().map(|line| line.at), lines.last().map(|line| line.at)) else {
        bail!("the simulation produced no events");
    };
    let span_ms = (last.0 - first.0).max(1);
    let real_seconds = span_ms as f64 / 1000.0 / args.speedup;
    eprintln!(
        "{} events over {:.1} simulated days, replayed at {}x: about {:.0} s",
        lines.len(),
        span_ms as f64 / 86_400_000.0,
        args.speedup,
        real_seconds
    );

    let location = StoreLocation::Sqlite(workdir.path().join("soak.db"));
    let live = LiveEngine::open(
        retex_store::open(&location)?,
        EngineConfig::default(),
        LiveOptions::default(),
    )?;
    let InProcessServer {
        address,
        token,
        state,
        runtime,
    } = InProcessServer::start(live, &location)?;
    let cookie = login(address, InProcessServer::PASSWORD)?;
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let readers: Vec<_> = (0..args.readers)
        .map(|_| {
            let (done, reads, failures, cookie) = (
                Arc::clone(&done),
                Arc::clone(&reads),
                Arc::clone(&failures),
                cookie.clone(),
            );
            std::thread::spawn(move || read_until(address, &cookie, &done, &reads, &failures))
        })
        .collect();

    let progress = ProgressBar::new(lines.len() as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} events posted ({msg})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut poster = Connection::open(address)?;
    let authorization = format!("Bearer {token}");
    let started = Instant::now();
    let mut posted = 0;
    let mut requests = 0u64;
    let mut rss_samples: Vec<(f64, u64)> = Vec::new();
    loop {
        let simulated_now = Timestamp(first.0 + (started.elapsed().as_secs_f64() * args.speedup * 1000.0) as i64);
        let due = lines[posted..].partition_point(|line| line.at <= simulated_now);
        for chunk in lines[posted..posted + due].chunks(REQUEST_EVENTS_MAX) {
            let body: String = chunk.iter().map(|line| format!("{}\n", line.text)).collect();
            let headers = [
                ("authorization", authorization.as_str()),
                ("content-type", "application/x-ndjson"),
            ];
            let reply = poster.send("POST", "/api/v1/events", &headers, &body)?;
            requests += 1;
            if reply.status != 200 {
                lock(&failures).push(format!("POST /api/v1/events answered {}", reply.status));
            }
        }
        posted += due;
        let tick_at = simulated_now.min(last);
        let ticked = runtime.block_on(state.write(move |live| {
            if live.engine().next_deadline().is_some_and(|due| due < tick_at) {
                live.tick(tick_at)?;
            }
            Ok(())
        }));
        if let Err(failure) = ticked {
            lock(&failures).push(format!("tick: {}", failure.message));
        }
        rss_samples.push((started.elapsed().as_secs_f64(), resident_kib()));
        progress.set_position(posted as u64);
        progress.set_message(format!("{} MiB resident", resident_kib() / 1024));
        if posted == lines.len() {
            break;
        }
        std::thread::sleep(STEP);
    }
    progress.finish_and_clear();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        let _ = reader.join();
    }
    let seconds = started.elapsed().as_secs_f64();
    let soaked = runtime.block_on(state.write(move |live| {
        live.tick(last)?;
        Ok(visible_state(&live.engine()))
    }));
    let soaked = soaked.map_err(|failure| anyhow::anyhow!(failure.message))?;
    let reference = reference_state(&lines, last, &workdir.path().join("reference.db"))?;
    let first_difference = soaked
        .iter()
        .zip(&reference)
        .find(|(soak, batch)| soak != batch)
        .map(|(soak, batch)| json!({"soak": soak, "batch": batch}));
    let same = soaked.len() == reference.len() && first_difference.is_none();
    let failures = lock(&failures).clone();
    let figures = json!({
        "machine": crate::bench::machine(),
        "stores": args.stores,
        "days": args.days,
        "speedup": args.speedup,
        "events": lines.len(),
        "post_requests": requests,
        "reads": reads.load(Ordering::Relaxed),
        "readers": args.readers,
        "seconds": seconds,
        "failures": failures,
        "resident_mib": quartiles(&rss_samples),
        "visible_rows": soaked.len(),
        "state_equals_batch_ingest": same,
        "first_difference": first_difference,
    });
    let text = serde_json::to_string_pretty(&figures)?;
    std::fs::write(&args.out, &text).with_context(|| format!("write {}", args.out.display()))?;
    println!("{text}");
    if !same || !failures.is_empty() {
        eprintln!(
            "soak failed: {} failed requests; state equals a batch ingest: {same}",
            failures.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The simulated stream in file order, each line with its time.
fn read_lines(path: &std::path::Path) -> anyhow::Result<Vec<Line>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    text.lines()
        .map(|text| {
            let event =
                parse_event(text).map_err(|error| anyhow::anyhow!("the simulation wrote a bad line: {error}"))?;
            Ok(Line {
                at: Timestamp::from_datetime(&event.at),
                text: text.to_owned(),
            })
        })
        .collect()
}

/// Reads the exceptions API and the queue page until `done`, counting reads and noting failures.
fn read_until(
    address: SocketAddr,
    cookie: &str,
    done: &AtomicBool,
    reads: &AtomicU64,
    failures: &std::sync::Mutex<Vec<String>>,
) {
    let Ok(mut connection) = Connection::open(address) else {
        lock(failures).push("a reader could not connect".into());
        return;
    };
    let paths = ["/api/v1/exceptions?limit=50&sort=sla_risk", "/queue", "/dashboard"];
    for path in paths.iter().cycle() {
        if done.load(Ordering::Relaxed) {
            return;
        }
        match connection.send("GET", path, &[("cookie", cookie)], "") {
            Ok(reply) if reply.status == 200 => {
                reads.fetch_add(1, Ordering::Relaxed);
            }
            Ok(reply) => lock(failures).push(format!("GET {path} answered {}", reply.status)),
            Err(error) => {
                lock(failures).push(format!("GET {path}: {error}"));
                return;
            }
        }
    }
}

/// The same events appended in batches to a fresh store, then its clock moved to the end: its visible state.
fn reference_state(lines: &[Line], end: Timestamp, path: &std::path::Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let store = retex_store::open(&StoreLocation::Sqlite(path.to_path_buf()))?;
    let mut live = LiveEngine::open(store, EngineConfig::default(), LiveOptions::default())?;
    for chunk in lines.chunks(REFERENCE_BATCH) {
        let events: Vec<_> = chunk
            .iter()
            .map(|line| parse_event(&line.text).map(|event| (event, line.text.as_str())))
            .collect::<Result<_, _>>()
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let batch: Vec<IncomingEvent<'_>> = events
            .iter()
            .map(|(event, text)| IncomingEvent { event, text })
            .collect();
        live.append_events(&batch)?;
    }
    live.tick(end)?;
    Ok(visible_state(&live.engine()))
}

/// What people see: every exception as the API shows it and every stock position, without the log positions
/// (the soak's log also holds its clock ticks, so the same entry has another seq there).
fn visible_state(engine: &retex_core::engine::Engine) -> Vec<serde_json::Value> {
    let exceptions = engine.exceptions().into_iter().map(|view| {
        let mut value = json!(view);
        if let Some(fields) = value.as_object_mut() {
            fields.remove("caused_by");
            fields.remove("resolved_by");
        }
        value
    });
    let stock = engine.stock_rows(None, None).into_iter().map(|row| json!(row));
    exceptions.chain(stock).collect()
}

/// This process's resident memory, in KiB (0 where /proc is not there).
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Resident memory at a quarter, half, three quarters and the end of the run, and its peak, in MiB.
fn quartiles(samples: &[(f64, u64)]) -> serde_json::Value {
    let at = |share: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * share).round() as usize)
            .map_or(0, |(_, kib)| kib / 1024)
    };
    let peak = samples.iter().map(|(_, kib)| kib / 1024).max().unwrap_or(0);
    json!({"25%": at(0.25), "50%": at(0.5), "75%": at(0.75), "end": at(1.0), "peak": peak})
}
