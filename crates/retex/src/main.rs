//! The `retex` command line: parses arguments, opens the store and calls into the crates.
//!
//! # Layout
//! - `store_args.rs`: `--db` / `--database-url`, shared by every command that uses the store.
//! - `ingest.rs`: `retex ingest`: NDJSON files into the log, parsing on one thread and appending on another.
//! - `report.rs`: `retex stock`, `retex exceptions`, `retex tick`: the engine's picture as tables or NDJSON.
//! - `bench.rs`: `retex bench`: engine and ingest throughput and ledger memory, written as JSON.

mod ingest;
mod report;
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
    /// Print ledger positions: on hand, reserved and in transit per location and SKU.
    Stock(report::StockArgs),
    /// Print exceptions.
    Exceptions(report::ExceptionsArgs),
    /// Move the engine's clock to an instant, firing the deadlines before it.
    Tick(report::TickArgs),
    /// Print the JSON Schema of one event (the contract in docs/event.schema.json).
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(args) => ingest::run(&args),
        Command::Stock(args) => report::stock(&args),
        Command::Exceptions(args) => report::exceptions(&args),
        Command::Tick(args) => report::tick(&args),
        Command::Schema => report::schema(),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
