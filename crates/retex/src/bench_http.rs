//! `retex bench-http`: the server under load, measured from outside over loopback.
//!
//! It builds a store holding `--exceptions` exceptions (one count variance per store and SKU: 100 stores and
//! as many SKUs as needed), serves it on an ephemeral port, then measures with its own keep-alive HTTP/1.1
//! clients: the latency of the exceptions API and of the queue page under concurrent readers (p50, p95, p99),
//! the rate of HTTP ingest in batches of 1,000 events, the readers' latency while writers post
//! (`bench_load.rs`), and one event per request with the server's CPU per event, beside Prometheus
//! Alertmanager when `--alertmanager` names one. Figures are written as JSON with their targets beside them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use retex_core::engine::EngineConfig;
use retex_core::receive::FutureEvents;
use retex_core::wire::parse_event;
use retex_server::auth::{Role, new_token, token_account, user_account};
use retex_server::{ServerOptions, app_state};
use retex_store::{IncomingEvent, Leadership, LiveEngine, LiveOptions, StoreLocation};
use serde_json::json;

use crate::bench_load;
use crate::http_client::{Connection, joined, login, percentiles, read_while};

/// Stores in the generated world; SKUs are as many as the exceptions need.
const STORES: usize = 100;
/// Events per append while building the store.
const BUILD_BATCH: usize = 10_000;
const INGEST_BATCH: usize = 1_000;

#[derive(Args)]
pub struct BenchHttpArgs {
    /// Exceptions in the store under test.
    #[arg(long, default_value_t = 1_000_000)]
    exceptions: usize,
    /// Concurrent readers.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Requests per reader and endpoint.
    #[arg(long, default_value_t = 100)]
    requests: usize,
    /// Ingest batches of 1,000 events posted (per ingest client).
    #[arg(long, default_value_t = 100)]
    batches: usize,
    /// Concurrent ingest clients.
    #[arg(long, default_value_t = 2)]
    ingest_clients: usize,
    /// Clients posting batches of 1,000 events while the readers read.
    #[arg(long, default_value_t = 6)]
    writers: usize,
    /// How long the readers read while the writers post, per page read.
    #[arg(long, default_value_t = 20.0)]
    write_seconds: f64,
    /// Clients posting one event per request.
    #[arg(long, default_value_t = 4)]
    single_clients: usize,
    /// How long they post, against Retex and against the peer.
    #[arg(long, default_value_t = 10.0)]
    single_seconds: f64,
    /// A Prometheus Alertmanager (HOST:PORT) to post one alert per request to, with the same clients.
    #[arg(long, value_name = "HOST:PORT", requires = "alertmanager_pid")]
    alertmanager: Option<SocketAddr>,
    /// Its process id, whose CPU is measured.
    #[arg(long, value_name = "PID")]
    alertmanager_pid: Option<u32>,
    #[arg(long, value_name = "FILE", default_value = "bench-http.json")]
    out: PathBuf,
}

/// What issue 19 asks of the server, written beside the figures.
const READ_P99_WHILE_WRITING_MS_MAX: f64 = 50.0;

pub fn run(args: &BenchHttpArgs) -> anyhow::Result<ExitCode> {
    let workdir = tempfile::tempdir().context("create a temporary directory")?;
    let location = StoreLocation::Sqlite(workdir.path().join("retex.db"));
    let skus = args.exceptions.div_ceil(STORES);
    let mut live = LiveEngine::open(
        retex_store::open(&location)?,
        EngineConfig::default(),
        LiveOptions {
            snapshot_every_inputs: u64::MAX,
            ..LiveOptions::default()
        },
    )?;
    let started = Instant::now();
    build_world(&mut live, skus, args.exceptions)?;
    let stored = live.engine().exception_records().len();
    eprintln!("{stored} exceptions stored in {:.0} s", started.elapsed().as_secs_f64());

    let server = InProcessServer::start(live, &location)?;
    let (address, token) = (server.address, server.token.clone());
    let cookie = login(address, InProcessServer::PASSWORD)?;
    let api = measure_reads(address, args, "/api/v1/exceptions?limit=50&sort=sla_risk", &cookie)?;
    let api_filtered = measure_reads(
        address,
        args,
        "/api/v1/exceptions?limit=50&location=S0042&type=count_variance",
        &cookie,
    )?;
    let queue = measure_reads(address, args, "/queue", &cookie)?;
    let (events, seconds) = measure_ingest(address, args, &token, skus)?;
    let batch_body = |writer: usize, batch: usize| sales_batch(&format!("w{writer}-{batch}"), INGEST_BATCH, skus);
    let readers_writers = (args.clients, args.writers);
    let api_while_writing = bench_load::reads_while_writing(
        address,
        &token,
        &cookie,
        "/api/v1/exceptions?limit=50&sort=sla_risk",
        readers_writers,
        args.write_seconds,
        &batch_body,
    )?;
    let queue_while_writing = bench_load::reads_while_writing(
        address,
        &token,
        &cookie,
        "/queue",
        readers_writers,
        args.write_seconds,
        &batch_body,
    )?;
    let one_event = one_event_per_request(args, address, &token, skus)?;

    let figures = json!({
        "machine": crate::bench::machine(),
        "exceptions_stored": stored,
        "readers": args.clients,
        "exceptions_api_sla_risk_ms": api,
        "exceptions_api_filtered_ms": api_filtered,
        "queue_page_ms": queue,
        "http_ingest": {
            "events": events,
            "batch_events": INGEST_BATCH,
            "clients": args.ingest_clients,
            "seconds": seconds,
            "events_per_second": events as f64 / seconds,
        },
        "reads_while_writing": {
            "api": api_while_writing,
            "queue": queue_while_writing,
            "target_read_p99_ms_max": READ_P99_WHILE_WRITING_MS_MAX,
        },
        "one_event_per_request": one_event,
    });
    let text = serde_json::to_string_pretty(&figures)?;
    std::fs::write(&args.out, &text).with_context(|| format!("write {}", args.out.display()))?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// A server on an ephemeral port over an open engine, with a lead (`reader`, [`Self::PASSWORD`]) and a source
/// token, for the load and soak runs.
pub(crate) struct InProcessServer {
    pub(crate) address: SocketAddr,
    pub(crate) token: String,
    pub(crate) state: std::sync::Arc<retex_server::AppState>,
    pub(crate) runtime: tokio::runtime::Runtime,
}

impl InProcessServer {
    pub(crate) const PASSWORD: &str = "bench-password";

    pub(crate) fn start(live: LiveEngine, location: &StoreLocation) -> anyhow::Result<Self> {
        let mut accounts = retex_store::open(location)?;
        accounts.put_account(&user_account(
            "reader",
            Self::PASSWORD,
            Role::OperationsLead,
            None,
            vec![],
            0,
        )?)?;
        let (token, secret_hash) = new_token()?;
        accounts.put_account(&token_account("feed", secret_hash, Role::Source, None, vec![], 0))?;
        let options = ServerOptions {
            future_events: FutureEvents::Allowed,
            ..ServerOptions::engine_clock()
        };
        let state = app_state(live, accounts, Leadership::Sole, String::new(), options)?;
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let address = listener.local_addr()?;
        let app =
            retex_server::router(std::sync::Arc::clone(&state)).into_make_service_with_connect_info::<SocketAddr>();
        runtime.spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            address,
            token,
            state,
            runtime,
        })
    }
}

/// Master data, then one count per store and SKU that disagrees with an empty ledger: one exception each.
fn build_world(live: &mut LiveEngine, skus: usize, exceptions: usize) -> anyhow::Result<()> {
    let mut lines: Vec<String> = Vec::new();
    for store in 0..STORES {
        lines.push(format!(
            r#"{{"id":"L{store}","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S{store:04}","name":"Store {store}","kind":"store","region":"r{}","timezone":"Europe/Paris","hours":"08:00-21:00"}}"#,
            store % 4
        ));
    }
    lines.push(r#"{"id":"SUP","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"Supplier","lead_time_days":3}"#.into());
    for sku in 0..skus {
        lines.push(format!(
            r#"{{"id":"P{sku}","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K{sku:06}","name":"Item {sku}","category":"Grocery/Item","cost":{},"price":9.99,"supplier":"SUP"}}"#,
            1 + sku % 40
        ));
    }
    append_lines(live, &lines)?;
    let progress = ProgressBar::new(exceptions as u64).with_style(
        ProgressStyle::with_template("building {bar:40} {pos}/{len} exceptions, eta {eta}").expect("a valid template"),
    );
    let mut batch = Vec::with_capacity(BUILD_BATCH);
    for index in 0..exceptions {
        let (store, sku) = (index % STORES, index / STORES);
        let minute = index / 1_000;
        batch.push(format!(
            r#"{{"id":"c{index}","source":"bench","type":"count","at":"2026-11-02T{:02}:{:02}:00Z","location":"S{store:04}","sku":"K{sku:06}","counted":{}}}"#,
            8 + minute / 60 % 12,
            minute % 60,
            3 + index % 50
        ));
        if batch.len() == BUILD_BATCH {
            append_lines(live, &batch)?;
            progress.inc(batch.len() as u64);
            batch.clear();
        }
    }
    append_lines(live, &batch)?;
    progress.finish_and_clear();
    Ok(())
}

fn append_lines(live: &mut LiveEngine, lines: &[String]) -> anyhow::Result<()> {
    let events = lines
        .iter()
        .map(|line| parse_event(line).map_err(|error| anyhow::anyhow!("{}: {}", error.field, error.problem)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let batch: Vec<IncomingEvent<'_>> = events
        .iter()
        .zip(lines)
        .map(|(event, text)| IncomingEvent { event, text })
        .collect();
    live.append_events(&batch)?;
    Ok(())
}

/// Latency percentiles of `path` under `clients` concurrent readers, in milliseconds.
fn measure_reads(
    address: SocketAddr,
    args: &BenchHttpArgs,
    path: &str,
    cookie: &str,
) -> anyhow::Result<serde_json::Value> {
    let latencies = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.clients)
            .map(|_| scope.spawn(|| read_while(address, path, cookie, |done| done < args.requests)))
            .collect();
        joined(workers)
    })?;
    let figures = percentiles(latencies.into_iter().flatten().collect());
    eprintln!("{path}: {figures}");
    Ok(figures)
}

/// `events` new sales as NDJSON, with ids under `prefix`.
fn sales_batch(prefix: &str, events: usize, skus: usize) -> String {
    let mut body = String::with_capacity(events * 200);
    for line in 0..events {
        body.push_str(&sale_line(&format!("{prefix}-{line}"), line, skus));
        body.push('\n');
    }
    body
}

/// One sale of an item that the world holds, spread over the stores and SKUs by `index`.
fn sale_line(id: &str, index: usize, skus: usize) -> String {
    format!(
        r#"{{"id":"{id}","source":"till","type":"sale","at":"2026-11-02T20:00:00Z","location":"S{:04}","sku":"K{:06}","qty":1,"unit_price":9.99,"channel":"pos"}}"#,
        index % STORES,
        (index / STORES) % skus
    )
}

/// One event per request, posted to Retex and then, with the same clients, to the peer when one is given;
/// with the ratios the issue's target is stated in.
fn one_event_per_request(
    args: &BenchHttpArgs,
    address: SocketAddr,
    token: &str,
    skus: usize,
) -> anyhow::Result<serde_json::Value> {
    let authorization = format!("Bearer {token}");
    let retex_request = |client: usize, n: usize| bench_load::Post {
        path: "/api/v1/events",
        headers: vec![
            ("authorization", authorization.clone()),
            ("content-type", "application/x-ndjson".to_owned()),
        ],
        body: sale_line(&format!("one-{client}-{n}"), client * 7919 + n, skus),
    };
    let retex = bench_load::one_event_per_request(
        &bench_load::Target {
            name: "retex",
            address,
            pid: std::process::id(),
            request: &retex_request,
        },
        args.single_clients,
        args.single_seconds,
    )?;
    let (Some(peer), Some(pid)) = (args.alertmanager, args.alertmanager_pid) else {
        return Ok(json!({ "retex": retex }));
    };
    let alert_request = |client: usize, n: usize| bench_load::Post {
        path: "/api/v2/alerts",
        headers: vec![("content-type", "application/json".to_owned())],
        body: format!(r#"[{{"labels":{{"alertname":"retex_bench","client":"{client}","n":"{n}"}}}}]"#),
    };
    let alertmanager = bench_load::one_event_per_request(
        &bench_load::Target {
            name: "alertmanager",
            address: peer,
            pid,
            request: &alert_request,
        },
        args.single_clients,
        args.single_seconds,
    )?;
    let ratio = |field: &str| {
        let (ours, theirs) = (
            retex[field].as_f64().unwrap_or(0.0),
            alertmanager[field].as_f64().unwrap_or(0.0),
        );
        if theirs > 0.0 { ours / theirs } else { f64::NAN }
    };
    Ok(json!({
        "retex": retex,
        "alertmanager": alertmanager,
        "rate_vs_alertmanager": ratio("events_per_second"),
        "cpu_per_event_vs_alertmanager": ratio("server_cpu_ms_per_1000_events"),
        "target_rate_vs_alertmanager_min": 1.0,
        "target_cpu_per_event_vs_alertmanager_max": 0.5,
    }))
}

/// Posts batches of new sales concurrently; returns events accepted and the seconds taken.
fn measure_ingest(address: SocketAddr, args: &BenchHttpArgs, token: &str, skus: usize) -> anyhow::Result<(usize, f64)> {
    let authorization = format!("Bearer {token}");
    let started = Instant::now();
    let accepted = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.ingest_clients)
            .map(|client| {
                let authorization = authorization.as_str();
                scope.spawn(move || -> anyhow::Result<usize> {
                    let mut connection = Connection::open(address)?;
                    let mut accepted = 0;
                    for batch in 0..args.batches {
                        let body = sales_batch(&format!("h{client}-{batch}"), INGEST_BATCH, skus);
                        let headers = [
                            ("authorization", authorization),
                            ("content-type", "application/x-ndjson"),
                        ];
                        let reply = connection.send("POST", "/api/v1/events", &headers, &body)?;
                        if reply.status != 200 {
                            bail!(
                                "ingest answered {}: {}",
                                reply.status,
                                String::from_utf8_lossy(&reply.body)
                            );
                        }
                        let report: serde_json::Value = serde_json::from_slice(&reply.body)?;
                        accepted += report["accepted"].as_u64().unwrap_or(0) as usize;
                    }
                    Ok(accepted)
                })
            })
            .collect();
        joined(workers)
    })?
    .into_iter()
    .sum::<usize>();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "HTTP ingest: {accepted} events in {seconds:.2} s ({:.0} events/s)",
        accepted as f64 / seconds
    );
    Ok((accepted, seconds))
}
