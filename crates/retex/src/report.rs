//! Read commands (`stock`, `exceptions`, `incidents`, `report`), `tick`, and `schema`: the engine's picture as a
//! table, NDJSON, or a period's report as CSV or HTML.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use retex_core::codes::Timestamp;
use retex_core::engine::{ExceptionOrder, ExceptionQuery, Period, Sort};
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
    /// Only this type (names match whatever their case, as in the API).
    #[arg(long = "type")]
    exception_type: Option<String>,
    #[arg(long)]
    location: Option<String>,
    #[arg(long)]
    sku: Option<String>,
    /// Only the exceptions about this document: their reference, or one their facts name (a complaint's order,
    /// a count's id).
    #[arg(long)]
    document: Option<String>,
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
    let engine = live.engine();
    let rows = engine.stock_rows(args.location.as_deref(), args.sku.as_deref());
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
    let engine = live.engine();
    let query = ExceptionQuery {
        status: match args.status {
            StatusFilter::Open => retex_core::engine::StatusFilter::Active,
            StatusFilter::All => retex_core::engine::StatusFilter::All,
        },
        exception_type: args.exception_type.as_deref(),
        location: args.location.as_deref(),
        sku: args.sku.as_deref(),
        document: args.document.as_deref(),
        sort: Sort::new(ExceptionOrder::Oldest),
        limit: engine.exception_records().len(),
        ..ExceptionQuery::default()
    };
    let views = engine.query_exceptions(&query).items;
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
    let engine = live.engine();
    let views = engine.incidents(if args.all { 1 } else { 2 });
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

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Html,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A month (2026-11), an ISO week (2026-W47), a day (2026-11-30) or `all`; default: the last complete week
    /// before the engine's clock.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// The start, an RFC 3339 instant or a day; with --to.
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// The end, an RFC 3339 instant (excluded) or a day (included); with --from.
    #[arg(long, requires = "from")]
    to: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// The KPIs of exceptions opened in a period, per type, at the engine's clock: CSV, or a printable HTML file.
pub fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let live = args.store.open_existing_live()?;
    let engine = live.engine();
    let Some(now) = engine.clock() else {
        anyhow::bail!("the store holds no event yet: there is nothing to report");
    };
    let period = match (args.period.as_deref(), &args.from, &args.to) {
        (Some("all"), _, _) => None,
        (Some(name), _, _) => Some(Period::named(name).map_err(|problem| anyhow::anyhow!("--period: {problem}"))?),
        (None, Some(from), Some(to)) => {
            Some(Period::between(from, to).map_err(|problem| anyhow::anyhow!("--from, --to: {problem}"))?)
        }
        _ => Some(Period::last_full_week(now)),
    };
    let kpis = engine.kpis_over(now, None, period);
    let text = match args.format {
        ReportFormat::Csv => retex_server::ui::report_csv(&kpis),
        ReportFormat::Html => retex_server::ui::report_file(&kpis, period, engine.currency()),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
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
