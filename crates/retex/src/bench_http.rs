//! `retex bench-http`: the server under load, measured from outside over loopback.
//!
//! It builds a store holding `--exceptions` exceptions (one count variance per store and SKU: 100 stores and
//! as many SKUs as needed), serves it on an ephemeral port, then measures with its own keep-alive HTTP/1.1
//! clients: the latency of the exceptions API and of the queue page under concurrent readers (p50, p95, p99),
//! and the rate of HTTP ingest in batches of 1,000 events. Figures are written as JSON.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    #[arg(long, value_name = "FILE", default_value = "bench-http.json")]
    out: PathBuf,
}

pub fn run(args: &BenchHttpArgs) -> anyhow::Result<ExitCode> {
    let workdir = tempfile::tempdir().context("create a temporary directory")?;
    let location = StoreLocation::Sqlite(workdir.path().join("retex.db"));
    let skus = args.exceptions.div_ceil(STORES);
    let mut live = LiveEngine::open(
        retex_store::open(&location)?,
        EngineConfig::default(),
        LiveOptions {
            snapshot_every_inputs: u64::MAX,
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

/// A response: status, headers (names in lower case) and body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 connection.
pub(crate) struct Connection {
    reader: BufReader<TcpStream>,
    address: SocketAddr,
}

impl Connection {
    pub(crate) fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
            address,
        })
    }

    /// Sends a request and reads the whole response: status, headers, body.
    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<Reply> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split(' ').nth(1).context("a status line")?.parse()?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map(|(_, value)| value.parse())
            .transpose()?
            .context("the server sends a content-length")?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(Reply { status, headers, body })
    }
}

/// Logs in as a browser does: the login form (its cookie and token), then the post; the session cookie.
pub(crate) fn login(address: SocketAddr, password: &str) -> anyhow::Result<String> {
    let mut connection = Connection::open(address)?;
    let form = connection.send("GET", "/login", &[], "")?;
    let form_cookie = cookie_of(&form).context("the login form's cookie")?;
    let page = String::from_utf8_lossy(&form.body);
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the login form's token")?;
    let body = format!("name=reader&password={password}&csrf={token}");
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", form_cookie.as_str()),
    ];
    let reply = connection.send("POST", "/login", &headers, &body)?;
    if reply.status != 303 {
        bail!("login answered {}", reply.status);
    }
    cookie_of(&reply).context("a session cookie")
}

/// The `name=value` of the cookie a reply sets.
fn cookie_of(reply: &Reply) -> Option<String> {
    reply
        .headers
        .iter()
        .find(|(name, _)| name == "set-cookie")
        .and_then(|(_, value)| value.split(';').next())
        .map(str::to_owned)
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
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<Vec<Duration>> {
                    let mut connection = Connection::open(address)?;
                    let mut latencies = Vec::with_capacity(args.requests);
                    for _ in 0..args.requests {
                        let started = Instant::now();
                        let status = connection.send("GET", path, &[("cookie", cookie)], "")?.status;
                        latencies.push(started.elapsed());
                        if status != 200 {
                            bail!("{path} answered {status}");
                        }
                    }
                    Ok(latencies)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a reader thread does not panic"))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let mut all: Vec<Duration> = latencies.into_iter().flatten().collect();
    all.sort_unstable();
    let percentile = |share: f64| {
        let index = ((all.len() as f64 * share).ceil() as usize).clamp(1, all.len()) - 1;
        all[index].as_secs_f64() * 1000.0
    };
    let figures = json!({
        "requests": all.len(),
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "max": percentile(1.0),
    });
    eprintln!("{path}: {figures}");
    Ok(figures)
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
                        let mut body = String::with_capacity(INGEST_BATCH * 200);
                        for line in 0..INGEST_BATCH {
                            let index = (client * args.batches + batch) * INGEST_BATCH + line;
                            body.push_str(&format!(
                                r#"{{"id":"h{index}","source":"till","type":"sale","at":"2026-11-02T20:00:00Z","location":"S{:04}","sku":"K{:06}","qty":1,"unit_price":9.99,"channel":"pos"}}"#,
                                index % STORES,
                                (index / STORES) % skus
                            ));
                            body.push('\n');
                        }
                        let headers = [("authorization", authorization), ("content-type", "application/x-ndjson")];
                        let reply = connection.send("POST", "/api/v1/events", &headers, &body)?;
                        if reply.status != 200 {
                            bail!("ingest answered {}: {}", reply.status, String::from_utf8_lossy(&reply.body));
                        }
                        let report: serde_json::Value = serde_json::from_slice(&reply.body)?;
                        accepted += report["accepted"].as_u64().unwrap_or(0) as usize;
                    }
                    Ok(accepted)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("an ingest thread does not panic"))
            .sum::<anyhow::Result<usize>>()
    })?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "HTTP ingest: {accepted} events in {seconds:.2} s ({:.0} events/s)",
        accepted as f64 / seconds
    );
    Ok((accepted, seconds))
}
