//! Integration tests of the `retex` command line and its ingest path, on real SQLite files and real child
//! processes.

mod browser;
mod cli;
mod crash;
mod fuzz_corpus;
mod headline;
mod idempotency;
mod import;
mod intent;
mod late_risk;
mod nab;
mod nats;
mod odoo;
mod replicas;
mod scenarios;
mod shards;
mod shutdown;
mod simulated;
mod store_rate;
mod tidy;
mod wall_clock;

use std::fmt::Write;
use std::io::{Read, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output};

use retex_store::StoreLocation;

/// Runs the built `retex` binary with `args`.
pub fn retex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(args)
        .output()
        .expect("run retex")
}

/// A store holding one transfer shipped at 07:00 on 2026-11-02 from W1 to S1, expected at 15:00: overdue from
/// 19:00 on, once a tick or an event moves the clock past it. Returns the database's path.
pub fn store_with_an_unreceived_transfer(dir: &Path) -> String {
    let db = dir.join("retex.db").to_str().unwrap().to_owned();
    let file = dir.join("transfer.ndjson");
    std::fs::write(
        &file,
        r#"{"id":"t","source":"wms","type":"transfer_shipped","at":"2026-11-02T07:00:00Z","transfer":"T-9","from":"W1","to":"S1","expected":"2026-11-02T15:00:00Z","lines":[{"sku":"A","qty":4}]}"#,
    )
    .unwrap();
    let ingested = retex(&["ingest", "--db", &db, file.to_str().unwrap()]);
    assert!(ingested.status.success(), "{}", stderr(&ingested));
    db
}

/// Every exception in a store, as `retex exceptions --status all --format ndjson` prints them.
pub fn all_exceptions(db: &str) -> String {
    stdout(&retex(&[
        "exceptions",
        "--db",
        db,
        "--status",
        "all",
        "--format",
        "ndjson",
    ]))
}

/// A `retex serve` child process, killed when the test ends, passed or not.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The body of `GET path`, or `None` while the server does not answer.
pub fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// A database of its own on the server `RETEX_TEST_POSTGRES_URL` names, dropped with this guard.
pub struct PostgresDatabase {
    server_url: String,
    name: String,
    /// The URL of the database.
    pub url: String,
}

impl PostgresDatabase {
    /// `None`, saying so, when the variable is not set; a panic when it is set and the server does not answer.
    pub fn create(purpose: &str) -> Option<Self> {
        let Ok(server_url) = std::env::var("RETEX_TEST_POSTGRES_URL") else {
            eprintln!("skipped: RETEX_TEST_POSTGRES_URL is not set, so this is not tried on PostgreSQL");
            return None;
        };
        let name = format!("retex_{purpose}_test_{}", std::process::id());
        // Two statements: neither may run inside a transaction block, which one batch of two would be.
        Self::run(&server_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        Self::run(&server_url, &format!("CREATE DATABASE {name}"));
        let (base, _) = server_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Self { server_url, name, url })
    }

    fn run(server_url: &str, statement: &str) {
        let mut server = postgres::Client::connect(server_url, postgres::NoTls)
            .unwrap_or_else(|error| panic!("RETEX_TEST_POSTGRES_URL is set but its server cannot be reached: {error}"));
        server.batch_execute(statement).unwrap();
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        Self::run(
            &self.server_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// `POST /api/v1/events` of an NDJSON body as a source with `token`; the answer, or `None` when the connection
/// broke (a server killed mid-request).
pub fn post_events(port: u16, token: &str, ndjson: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        ndjson.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(ndjson.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// The event ids of an SQLite store's log, in log order; the seqs are checked to have no gap.
pub fn log_ids(db: &Path) -> Vec<String> {
    log_ids_at(&StoreLocation::Sqlite(db.to_path_buf()))
}

/// The event ids of a store's log, in log order; the seqs are checked to have no gap.
pub fn log_ids_at(location: &StoreLocation) -> Vec<String> {
    let mut store = retex_store::open(location).unwrap();
    let mut ids = Vec::new();
    loop {
        let page = store.read_log(ids.len() as u64, 10_000).unwrap();
        if page.is_empty() {
            return ids;
        }
        for entry in page {
            assert_eq!(entry.seq, ids.len() as u64 + 1, "seqs are gap-free");
            ids.push(entry.event_id);
        }
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A valid stream of `events` stock movements over a few stores and SKUs, with transfers that raise
/// exceptions along the way: deterministic, no randomness. It begins on 2025-11-01, one event a minute, so
/// that even a long one is in the past and `retex ingest` takes it without `--allow-future`.
pub fn synthetic_stream(events: usize) -> String {
    let mut text = String::new();
    for index in 0..events {
        let minute = index as i64;
        let at = chrono::DateTime::from_timestamp(1_761_955_200 + minute * 60, 0)
            .unwrap()
            .to_rfc3339();
        let store = format!("S{:02}", index % 7);
        let sku = format!("K{:03}", (index * 31) % 97);
        let line = match index % 10 {
            0 => format!(
                r#"{{"id":"e{index}","source":"wms","type":"transfer_shipped","at":"{at}","transfer":"T{index}","from":"W1","to":"{store}","lines":[{{"sku":"{sku}","qty":3}}]}}"#
            ),
            1 if index % 40 != 1 => format!(
                r#"{{"id":"e{index}","source":"wms","type":"transfer_received","at":"{at}","transfer":"T{}","location":"S{:02}","lines":[{{"sku":"K{:03}","qty":3}}]}}"#,
                index - 1,
                (index - 1) % 7,
                ((index - 1) * 31) % 97
            ),
            2 => format!(
                r#"{{"id":"e{index}","source":"wms","type":"count","at":"{at}","location":"{store}","sku":"{sku}","counted":{}}}"#,
                index % 13
            ),
            3 => format!(
                r#"{{"id":"e{index}","source":"erp","type":"adjustment","at":"{at}","location":"W1","sku":"{sku}","qty":50,"reason":"correction"}}"#
            ),
            _ => format!(
                r#"{{"id":"e{index}","source":"pos","type":"sale","at":"{at}","location":"{store}","sku":"{sku}","qty":1,"unit_price":2.50,"channel":"pos"}}"#
            ),
        };
        writeln!(text, "{line}").unwrap();
    }
    text
}

/// Stock and every exception, as the CLI prints them: what a user sees of the state.
pub fn visible_state(db: &Path) -> String {
    let db = db.to_str().unwrap();
    let stock = retex(&["stock", "--db", db, "--format", "ndjson"]);
    let exceptions = retex(&["exceptions", "--db", db, "--status", "all", "--format", "ndjson"]);
    assert!(
        stock.status.success() && exceptions.status.success(),
        "{}{}",
        stderr(&stock),
        stderr(&exceptions)
    );
    stdout(&stock) + &stdout(&exceptions)
}
