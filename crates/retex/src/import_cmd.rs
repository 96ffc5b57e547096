//! `retex import`: master data and counts from the spreadsheets people keep (CSV), checked row by row like
//! events, with bad rows reported as `FILE:LINE: column: problem` and skipped.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use retex_core::codes::Timestamp;
use retex_core::import::{ImportKind, ImportOptions, read_csv};

use crate::ingest::{EXIT_SOME_REJECTED, FutureArgs, conflict_problem};
use crate::store_args::StoreArgs;

#[derive(Args)]
pub struct ImportArgs {
    /// What the file holds: one row per product, location, supplier, price or count.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(ImportKind::NAMES))]
    kind: String,
    /// A CSV file with a header row naming the event's fields (`,`, `;` or tab separated; UTF-8, with or
    /// without a byte order mark).
    #[arg(value_name = "FILE.csv")]
    file: PathBuf,
    /// Numbers are written with a decimal comma (`4,10`); without this a comma in a number is refused.
    #[arg(long)]
    decimal_comma: bool,
    /// The events' `source`.
    #[arg(long, default_value = "csv")]
    source: String,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    future: FutureArgs,
}

pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let kind = ImportKind::from_name(&args.kind).context("a kind clap checked")?;
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("read {name}"))?;
    let now = Timestamp::from_datetime(&chrono::Utc::now());
    let options = ImportOptions {
        source: args.source.clone(),
        now,
        decimal_comma: args.decimal_comma,
        wall_clock: args.future.future_events().checked_against(|| now),
    };
    let read = read_csv(kind, &bytes, &options).map_err(|problem| anyhow::anyhow!("{name}:{problem}"))?;
    let mut live = args.store.open_live()?;
    let summary = live.import_rows(&read.rows).with_context(|| format!("import {name}"))?;
    live.save_snapshot().context("save a snapshot")?;
    let mut stderr = std::io::stderr().lock();
    for problem in &read.problems {
        writeln!(stderr, "{name}:{problem}")?;
    }
    for (conflict, line) in summary.appended.conflicting.iter().zip(&summary.conflict_lines) {
        writeln!(stderr, "{name}:{line}: {}", conflict_problem(conflict))?;
    }
    let appended = &summary.appended;
    println!(
        "{name}: {} rows: imported {}, unchanged {}, duplicates {}, rejected {}",
        read.rows.len() + read.problems.len(),
        appended.accepted,
        summary.unchanged,
        appended.duplicates,
        read.problems.len() + appended.conflicting.len()
    );
    if read.problems.is_empty() && appended.conflicting.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(EXIT_SOME_REJECTED))
}
