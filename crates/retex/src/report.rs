//! Read commands (`stock`, `exceptions`), `tick`, and `schema`: the engine's picture as a table or as NDJSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use retex_core::codes::Timestamp;
use serde::Serialize;

use crate::store_args::StoreArgs;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Table,
    Ndjson,
}

#[derive(Args)]
pub struct StockArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only this location.
    #[arg(long)]
    location: Option<String>,
    /// Only this SKU.
    #[arg(long)]
    sku: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum StatusFilter {
    Open,
    All,
}

#[derive(Args)]
pub struct ExceptionsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long, value_enum, default_value = "open")]
    status: StatusFilter,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args)]
pub struct TickArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The instant to move the clock to, RFC 3339 with offset (e.g. 2026-11-03T12:00:00Z).
    #[arg(long, value_parser = parse_instant)]
    at: Timestamp,
}

pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(text).map_err(|_| format!("{text:?} is not an RFC 3339 timestamp with offset"))
}

pub fn stock(args: &StockArgs) -> anyhow::Result<ExitCode> {
    let live = args.store.open_existing_live()?;
    let rows = live.engine().stock_rows(args.location.as_deref(), args.sku.as_deref());
    print_rows(
        args.format,
        &rows,
        &["location", "sku", "on_hand", "reserved", "in_transit"],
        |row| {
            vec![
                row.location.to_string(),
                row.sku.to_string(),
                row.on_hand.to_string(),
                row.reserved.to_string(),
                row.in_transit.to_string(),
            ]
        },
    )
}

pub fn exceptions(args: &ExceptionsArgs) -> anyhow::Result<ExitCode> {
    let live = args.store.open_existing_live()?;
    let mut views = live.engine().exceptions();
    if args.status == StatusFilter::Open {
        views.retain(|view| view.status != "resolved" && view.status != "dismissed");
    }
    let headers = [
        "id",
        "type",
        "location",
        "sku",
        "ref",
        "opened_at",
        "status",
        "severity",
        "impact",
        "team",
        "resolve_due",
    ];
    print_rows(args.format, &views, &headers, |view| {
        vec![
            view.id.to_string(),
            view.exception_type.to_string(),
            view.location.unwrap_or("-").to_string(),
            view.sku.unwrap_or("-").to_string(),
            view.reference.unwrap_or("-").to_string(),
            view.opened_at.clone(),
            view.status.to_string(),
            view.severity.to_string(),
            view.impact.to_string(),
            view.team.to_string(),
            view.resolve_due.clone(),
        ]
    })
}

#[derive(Args)]
pub struct IncidentsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Also list incidents of a single exception.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn incidents(args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let live = args.store.open_existing_live()?;
    let views = live.engine().incidents(if args.all { 1 } else { 2 });
    let headers = ["id", "opened_at", "root_cause", "exceptions", "types", "open", "impact"];
    print_rows(args.format, &views, &headers, |view| {
        vec![
            view.id.to_string(),
            view.opened_at.clone(),
            format!("{} #{}", view.root_cause_type, view.root_cause),
            view.exceptions.len().to_string(),
            view.types.join(","),
            view.open.to_string(),
            view.impact.to_string(),
        ]
    })
}

/// Prints rows as NDJSON, or as a table with `headers` and the cells `cells_of` gives each row.
fn print_rows<T: Serialize>(
    format: Format,
    rows: &[T],
    headers: &[&str],
    cells_of: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                writeln!(out)?;
            }
        }
        Format::Table => {
            let mut table = vec![headers.iter().map(|header| header.to_string()).collect()];
            table.extend(rows.iter().map(cells_of));
            write_table(&mut out, &table)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn tick(args: &TickArgs) -> anyhow::Result<ExitCode> {
    let mut live = args.store.open_existing_live()?;
    let exceptions_before = live.engine().exception_records().len();
    let appended = live.tick(args.at).context("log the tick")?;
    live.save_snapshot().context("save a snapshot")?;
    let opened = live.engine().exception_records().len() - exceptions_before;
    let clock = live
        .engine()
        .clock()
        .map_or_else(|| "unset".to_string(), Timestamp::to_rfc3339);
    if appended {
        println!("clock at {clock}; {opened} exceptions opened");
    } else {
        println!("a tick at {} was already logged; clock at {clock}", args.at);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn schema() -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&retex_core::event::json_schema())?);
    Ok(ExitCode::SUCCESS)
}

/// Writes rows as left-aligned columns separated by two spaces.
fn write_table(out: &mut impl Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let columns = rows.first().map_or(0, Vec::len);
    let mut widths = vec![0; columns];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if index + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}
