//! The `retex` command line: parses arguments, opens the store and calls into the crates.
//!
//! # Layout
//! - `store_args.rs`: `--db` / `--database-url`, shared by every command that uses the store.
//! - `ingest.rs`: `retex ingest`: NDJSON files into the log, parsing on one thread and appending on another.
//! - `report.rs`: `retex stock`, `exceptions`, `incidents`, `tick`: the engine's picture as tables or NDJSON.
//! - `exception_cmd.rs`: `retex exception show|ack|assign|comment|status|snooze|attach|request-approval|approve|
//!   reject|resolve|dismiss|reopen`.
//! - `audit.rs`: `retex audit verify`.
//! - `silence_cmd.rs`: `retex silence add|list`.
//! - `rules_cmd.rs`: `retex rules check|default`.
//! - `backtest.rs`: `retex backtest`: two rule sets over the same log, compared.
//! - `route.rs`: `retex route`: the events of one shard of a chain split by region.
//! - `simulate.rs`: `retex simulate`, `score` and `demo`: the simulated retailer and detection quality.
//! - `serve_cmd.rs`: `retex serve`, `user add`, `token add`: the HTTP API and web UI, and who may use them.
//! - `bench.rs`: `retex bench`: engine and ingest throughput and ledger memory, written as JSON.
//! - `insight_cmd.rs`: `retex insight ...`: the models over files (message intents, supplier delay risk, NAB anomaly scores).
//! - `bench_http.rs`: `retex bench-http`: API and queue latency with a million exceptions, HTTP ingest rate.
//! - `bench_load.rs`: its mixed loads: reads while writers post, one event per request with the server's CPU.
//! - `http_client.rs`: the keep-alive HTTP/1.1 client of `bench-http` and `soak`.

mod audit;
mod backtest;
mod backup;
mod bench;
mod bench_http;
mod bench_load;
mod exception_cmd;
mod http_client;
mod import_cmd;
mod ingest;
mod insight_cmd;
mod odoo_cmd;
mod report;
mod route;
mod rules_cmd;
mod serve_cmd;
mod silence_cmd;
mod simulate;
mod soak;
mod store_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Retex: retail exception management. Feed it operational events; it keeps the stock ledger and documents
/// and raises the exceptions that need a person.
#[derive(Parser)]
#[command(name = "retex", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Append NDJSON event files to the log and apply them (`-` reads stdin).
    Ingest(ingest::IngestArgs),
    /// Import products, locations, suppliers, prices or counts from a CSV file.
    Import(import_cmd::ImportArgs),
    /// Pull from a shop's Odoo: warehouses, products, suppliers, purchase orders, receipts and till sales.
    Odoo(odoo_cmd::OdooArgs),
    /// Print ledger positions: on hand, reserved and in transit per location and SKU.
    Stock(report::StockArgs),
    /// Print exceptions.
    Exceptions(report::ExceptionsArgs),
    /// Show one exception, or act on it: ack, assign, comment, status, resolve, dismiss, reopen.
    Exception(exception_cmd::ExceptionArgs),
    /// Verify the log's audit chain (tamper detection).
    Audit(audit::AuditArgs),
    /// Copy an SQLite store consistently, even while a server runs on it.
    Backup(backup::BackupArgs),
    /// Put a backup in place as a store, after verifying its audit chain.
    Restore(backup::RestoreArgs),
    /// Mute new exceptions of a type for a while, or list the silences.
    Silence(silence_cmd::SilenceArgs),
    /// Print incidents: linked exceptions with their probable root cause.
    Incidents(report::IncidentsArgs),
    /// Report a period (a week, a month, any span): SLA compliance, MTTA, MTTR, repeats, resolution quality and
    /// impact of the exceptions opened in it, per type, as CSV or a printable HTML file.
    Report(report::ReportArgs),
    /// Check a rules file, or print the default rules.
    Rules(rules_cmd::RulesArgs),
    /// Replay the log through two rule sets in memory and compare what they raise.
    Backtest(backtest::BacktestArgs),
    /// Move the engine's clock to an instant, firing the deadlines before it.
    Tick(report::TickArgs),
    /// Serve the JSON API and the web UI.
    Serve(Box<serve_cmd::ServeArgs>),
    /// Create people who may log in to the web UI and the API.
    User(serve_cmd::AccountArgs),
    /// Create API tokens for sources and scripts.
    Token(serve_cmd::TokenArgs),
    /// Simulate the 40-store retailer, ingest it into ./retex-demo.db, score detection and serve the web UI.
    Demo(simulate::DemoArgs),
    /// Simulate a retailer with injected faults: events (NDJSON) and their ground truth.
    Simulate(simulate::SimulateArgs),
    /// Pick the events one shard of a chain split by region takes (the rules file's [shard]).
    Route(route::RouteArgs),
    /// Score the exceptions in a store against a simulation's ground truth.
    Score(simulate::ScoreArgs),
    /// Measure engine and ingest throughput and ledger memory; writes JSON.
    Bench(bench::BenchArgs),
    /// Load the server: API and queue latency over a store of many exceptions, and HTTP ingest; writes JSON.
    BenchHttp(bench_http::BenchHttpArgs),
    /// Replay the simulated retailer against a live server at a multiple of real time, with readers and a
    /// clock that follows it: memory over the run, failed requests, and whether the state equals a batch ingest.
    Soak(soak::SoakArgs),
    /// Run Retex's models over files: message intents, supplier delay risk, NAB anomaly scores.
    Insight(insight_cmd::InsightArgs),
    /// Print the JSON Schema of one event (the contract in docs/event.schema.json).
    Schema,
}

/// Set by the crash tests only: every append is held uncommitted this many milliseconds (retex_store::fault).
const FAULT_HOLD_VARIABLE: &str = "RETEX_FAULT_HOLD_BATCH_MS";

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(millis) = std::env::var(FAULT_HOLD_VARIABLE)
        .ok()
        .and_then(|text| text.parse().ok())
    {
        retex_store::fault::hold_batches_for(std::time::Duration::from_millis(millis));
    }
    let result = match cli.command {
        Command::Ingest(args) => ingest::run(&args),
        Command::Import(args) => import_cmd::run(&args),
        Command::Odoo(args) => odoo_cmd::run(&args),
        Command::Stock(args) => report::stock(&args),
        Command::Exceptions(args) => report::exceptions(&args),
        Command::Exception(args) => exception_cmd::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Backup(args) => backup::backup(&args),
        Command::Restore(args) => backup::restore(&args),
        Command::Silence(args) => silence_cmd::run(&args),
        Command::Incidents(args) => report::incidents(&args),
        Command::Report(args) => report::report(&args),
        Command::Rules(args) => rules_cmd::run(&args),
        Command::Backtest(args) => backtest::run(&args),
        Command::Tick(args) => report::tick(&args),
        Command::Schema => report::schema(),
        Command::Serve(args) => serve_cmd::serve(&args),
        Command::User(args) => serve_cmd::user(&args),
        Command::Token(args) => serve_cmd::token(&args),
        Command::Demo(args) => simulate::demo(&args),
        Command::Simulate(args) => simulate::simulate(&args),
        Command::Route(args) => route::route(&args),
        Command::Score(args) => simulate::score_command(&args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchHttp(args) => bench_http::run(&args),
        Command::Soak(args) => soak::run(&args),
        Command::Insight(args) => insight_cmd::run(&args),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`retex exceptions | head`) is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.is::<store_args::MissingStore>() {
                return ExitCode::from(2);
            }
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
