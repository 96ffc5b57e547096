//! Measures how fast a store appends, and how fast it reads the log back, with synthetic entries.
//!
//! The ingest path (JSON parse, append, engine) must carry 300,000 events/s, so the append alone must do
//! far more; this prints the figure instead of asserting it, since timings do not belong in tests.
//!
//! ```text
//! cargo run --release -p retex-store --example append_rate -- [LOCATION] [BATCH] [ROWS] [IDS]
//! ```
//! LOCATION is `sqlite` (a new file in a temporary directory, the default) or a PostgreSQL URL of a scratch
//! database; BATCH defaults to 10,000 entries and ROWS to 1,000,000. IDS is `counters` (the default: each of
//! 40 sources numbers its events, as tills and the simulator do) or `scattered` (ids like random UUIDs, so
//! every batch writes all over the unique index: the worst case). Only the store calls are timed, not the
//! making of the entries.

use std::time::{Duration, Instant};

use retex_store::{NewEntry, READ_LOG_LIMIT_MAX, Store, StoreLocation, open};

const BATCH_ENTRIES_DEFAULT: usize = 10_000;
const ROWS_DEFAULT: usize = 1_000_000;
/// As many sources as the headline scenario has stores.
const SOURCES: u64 = 40;

/// How synthetic event ids are made.
#[derive(Debug, Clone, Copy)]
enum Ids {
    /// `S07-0001234`: each source counts up.
    Counters,
    /// 16 hex digits, scattered over the key space.
    Scattered,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let location_arg = args.next().unwrap_or_else(|| "sqlite".to_owned());
    let batch_entries: usize = args.next().map_or(Ok(BATCH_ENTRIES_DEFAULT), |arg| arg.parse())?;
    let rows: usize = args.next().map_or(Ok(ROWS_DEFAULT), |arg| arg.parse())?;
    let ids = match args.next().as_deref() {
        None | Some("counters") => Ids::Counters,
        Some("scattered") => Ids::Scattered,
        Some(other) => {
            return Err(format!("ids are `counters` or `scattered`, not `{other}`").into());
        }
    };

    let directory = tempfile::tempdir()?;
    let (backend, location) = if location_arg == "sqlite" {
        let path = directory.path().join("append_rate.sqlite");
        ("sqlite", StoreLocation::Sqlite(path))
    } else {
        ("postgresql", StoreLocation::Postgres(location_arg))
    };
    let mut store = open(&location)?;
    // Rows are numbered on from what the log holds, so a second run into one database appends new entries.
    let rows_before = store.last_seq()?;

    let (appended, appending) = append_rows(store.as_mut(), ids, rows_before, rows, batch_entries)?;
    println!(
        "{backend}: appended {appended} rows ({ids:?} ids) in batches of {batch_entries}: {:.3} s, {:.0} rows/s",
        appending.as_secs_f64(),
        appended as f64 / appending.as_secs_f64()
    );
    let (read, reading) = read_rows(store.as_mut(), rows_before)?;
    println!(
        "{backend}: read {read} rows back in pages of {READ_LOG_LIMIT_MAX}: {:.3} s, {:.0} rows/s",
        reading.as_secs_f64(),
        read as f64 / reading.as_secs_f64()
    );
    Ok(())
}

/// Appends `rows` synthetic entries in batches; returns how many were appended and the time spent in
/// `append`.
fn append_rows(
    store: &mut dyn Store,
    ids: Ids,
    rows_before: u64,
    rows: usize,
    batch_entries: usize,
) -> Result<(usize, Duration), Box<dyn std::error::Error>> {
    let mut appending = Duration::ZERO;
    let mut appended = 0;
    let mut first_row = 0;
    while first_row < rows {
        let batch_rows = batch_entries.min(rows - first_row);
        let texts = synthetic_texts(ids, rows_before, first_row, batch_rows);
        let mut batch = Vec::with_capacity(batch_rows);
        for text in &texts {
            batch.push(NewEntry {
                source: &text.source,
                event_id: &text.event_id,
                kind: "sale",
                at_ms: text.at_ms,
                body: &text.body,
            });
        }
        let started = Instant::now();
        let outcome = store.append(&batch)?;
        appending += started.elapsed();
        for seq in outcome.seqs {
            appended += usize::from(seq.is_some());
        }
        first_row += batch_rows;
    }
    Ok((appended, appending))
}

/// Reads the log after `after_seq` to its end in the largest pages; returns how many entries and how long.
fn read_rows(store: &mut dyn Store, mut after_seq: u64) -> Result<(usize, Duration), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut read = 0;
    loop {
        let page = store.read_log(after_seq, READ_LOG_LIMIT_MAX)?;
        let Some(last) = page.last() else { break };
        after_seq = last.seq;
        read += page.len();
    }
    Ok((read, started.elapsed()))
}

/// The owned text of one synthetic entry.
struct SyntheticText {
    source: String,
    event_id: String,
    at_ms: i64,
    body: String,
}

/// Rows `first_row..first_row + count` after `rows_before`: a sale at one of [`SOURCES`] stores, about
/// 200 bytes of JSON like a till sends.
fn synthetic_texts(ids: Ids, rows_before: u64, first_row: usize, count: usize) -> Vec<SyntheticText> {
    let mut texts = Vec::with_capacity(count);
    for row in first_row..first_row + count {
        let number = rows_before + row as u64;
        let scattered = splitmix64(number);
        let store = number % SOURCES;
        let source = format!("S{store:02}");
        let event_id = match ids {
            Ids::Counters => format!("S{store:02}-{:07}", number / SOURCES),
            Ids::Scattered => format!("{scattered:016x}"),
        };
        let body = format!(
            r#"{{"type":"sale","id":"{event_id}","store":"{source}","sku":"SKU-{:06}","qty":{},"unit_price":"{}.99","currency":"EUR","at":"2025-06-15T10:{:02}:00Z","till":"T{}"}}"#,
            scattered % 50_000,
            1 + scattered % 3,
            scattered % 80,
            row % 60,
            scattered % 8,
        );
        let at_ms = 1_750_000_000_000 + number as i64;
        texts.push(SyntheticText {
            source,
            event_id,
            at_ms,
            body,
        });
    }
    texts
}

/// A fixed bijective scrambler of 64-bit numbers (splitmix64's finaliser): distinct numbers stay distinct.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
