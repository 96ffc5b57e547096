//! `retex ingest`: NDJSON event files into the log.
//!
//! Three stages overlap: a parser thread reads and parses lines into batches, a writer thread appends each batch
//! in one transaction, and the calling thread applies what the log accepted to the engine (and hands the writer
//! a snapshot every so often). A malformed line is reported as
//! `FILE:LINE: field: problem` and skipped; the valid lines around it are still ingested. Nothing is reported
//! accepted before its transaction committed.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use retex_core::codes::Timestamp;
use retex_core::event::Event;
use retex_core::receive::{FutureEvents, line_text, parse_received_event};
use retex_core::wire::EventError;
use retex_store::{AppendOutcome, Appender, Conflict, IncomingEvent, LiveEngine, Snapshot};

use crate::store_args::StoreArgs;

/// Lines per append transaction. Each commit waits for the disk (about 12 ms on the CI machine), and the
/// writer is the busiest stage, so fewer, larger commits ingest faster: 50,000 lines is about 10 MB of text.
const BATCH_LINES_MAX: usize = 50_000;
/// Parsed batches waiting for the writer; bounds memory when the disk is slower than parsing.
const BATCHES_QUEUED_MAX: usize = 4;
/// Exit status when at least one line was rejected or contradicted a logged event.
pub const EXIT_SOME_REJECTED: u8 = 3;

#[derive(Args)]
pub struct IngestArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// NDJSON files, one event per line; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    future: FutureArgs,
}

/// `--allow-future`, for every command that receives events.
#[derive(Args)]
pub struct FutureArgs {
    /// Accept events dated more than 5 minutes after this machine's clock (a simulated or test stream dated
    /// ahead on purpose); without it such an event is rejected, as events.md says.
    #[arg(long)]
    allow_future: bool,
}

impl FutureArgs {
    pub fn future_events(&self) -> FutureEvents {
        if self.allow_future {
            FutureEvents::Allowed
        } else {
            FutureEvents::Refused
        }
    }
}

/// Counts over every file of one ingest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IngestTotals {
    pub accepted: u64,
    pub duplicates: u64,
    pub conflicting: u64,
    pub rejected: u64,
}

pub fn run(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let mut live = args.store.open_live()?;
    let started = Instant::now();
    let totals = ingest_files(&mut live, &args.files, true, args.future.future_events())?;
    live.save_snapshot().context("save a snapshot")?;
    // Closing the store checkpoints what is left of the WAL, which belongs to the time taken.
    drop(live);
    let seconds = started.elapsed().as_secs_f64();
    let rate = (totals.accepted + totals.duplicates) as f64 / seconds.max(1e-9);
    let conflicting = match totals.conflicting {
        0 => String::new(),
        n => format!(" ({n} with a different body, see above)"),
    };
    println!(
        "accepted {}, duplicates {}{conflicting}, rejected {} in {seconds:.2} s ({rate:.0} events/s)",
        totals.accepted, totals.duplicates, totals.rejected
    );
    if totals.rejected > 0 || totals.conflicting > 0 {
        return Ok(ExitCode::from(EXIT_SOME_REJECTED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ingests each file in turn (`-` is standard input), with a progress bar when `show_progress`.
pub fn ingest_files(
    live: &mut LiveEngine,
    files: &[PathBuf],
    show_progress: bool,
    future: FutureEvents,
) -> anyhow::Result<IngestTotals> {
    let mut totals = IngestTotals::default();
    for path in files {
        let name = path.display().to_string();
        if name == "-" {
            let progress = progress_bar(None, show_progress);
            ingest_reader(
                live,
                &name,
                BufReader::with_capacity(1 << 20, std::io::stdin()),
                &progress,
                future,
                &mut totals,
            )?;
            progress.finish_and_clear();
            continue;
        }
        let file = File::open(path).with_context(|| format!("open {name}"))?;
        let size = file.metadata().map(|metadata| metadata.len()).ok();
        let progress = progress_bar(size, show_progress);
        ingest_reader(
            live,
            &name,
            BufReader::with_capacity(1 << 20, file),
            &progress,
            future,
            &mut totals,
        )?;
        progress.finish_and_clear();
    }
    Ok(totals)
}

fn progress_bar(total_bytes: Option<u64>, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    match total_bytes {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}")
                .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {bytes} read").expect("a valid template")),
    }
}

/// Lines of one batch: their text back to back, and per line its number, its span and its parse.
struct ParsedBatch {
    text: String,
    lines: Vec<ParsedLine>,
    bytes_read: u64,
    /// This machine's clock when the batch began, when events from the future are refused.
    wall_clock: Option<Timestamp>,
}

struct ParsedLine {
    number: u64,
    span: Range<usize>,
    parsed: Result<Event, EventError>,
}

fn ingest_reader(
    live: &mut LiveEngine,
    name: &str,
    reader: impl BufRead + Send,
    progress: &ProgressBar,
    future: FutureEvents,
    totals: &mut IngestTotals,
) -> anyhow::Result<()> {
    let (mut appender, mut applier) = live.split();
    std::thread::scope(|scope| {
        let (parsed_sender, parsed_receiver) = sync_channel(BATCHES_QUEUED_MAX);
        let (appended_sender, appended_receiver) = sync_channel::<(ParsedBatch, AppendOutcome)>(BATCHES_QUEUED_MAX);
        let (snapshot_sender, snapshot_receiver) = std::sync::mpsc::channel::<Snapshot>();
        let parser = scope.spawn(move || parse_batches(reader, future, &parsed_sender));
        let writer = scope.spawn(move || -> anyhow::Result<IngestTotals> {
            let mut totals = IngestTotals::default();
            for batch in parsed_receiver {
                let outcome = append_batch(&mut appender, name, &batch, &mut totals)?;
                for snapshot in snapshot_receiver.try_iter() {
                    appender.save_snapshot(&snapshot).context("save a snapshot")?;
                }
                if appended_sender.send((batch, outcome)).is_err() {
                    break;
                }
            }
            Ok(totals)
        });
        // This thread applies batch n while the writer appends batch n + 1.
        for (batch, outcome) in appended_receiver {
            applier.apply(&batch.incoming(), &outcome);
            if let Some(snapshot) = applier.snapshot_when_due() {
                let _writer_done = snapshot_sender.send(snapshot);
            }
            progress.inc(batch.bytes_read);
        }
        let written = writer.join().expect("the writer thread does not panic")?;
        totals.accepted += written.accepted;
        totals.duplicates += written.duplicates;
        totals.conflicting += written.conflicting;
        totals.rejected += written.rejected;
        parser
            .join()
            .expect("the parser thread does not panic")
            .with_context(|| format!("read {name}"))
    })?;
    live.catch_up().context("apply the log")?;
    Ok(())
}

impl ParsedBatch {
    /// The valid lines, as the log takes them.
    fn incoming(&self) -> Vec<IncomingEvent<'_>> {
        let mut incoming = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            if let Ok(event) = &line.parsed {
                incoming.push(IncomingEvent {
                    event,
                    text: &self.text[line.span.clone()],
                });
            }
        }
        incoming
    }
}

/// Reports the batch's rejected lines, appends the valid ones in one transaction and reports conflicting repeats.
fn append_batch(
    appender: &mut Appender<'_>,
    name: &str,
    batch: &ParsedBatch,
    totals: &mut IngestTotals,
) -> anyhow::Result<AppendOutcome> {
    let mut stderr = std::io::stderr().lock();
    let mut line_numbers = Vec::with_capacity(batch.lines.len());
    for line in &batch.lines {
        match &line.parsed {
            Ok(_) => line_numbers.push(line.number),
            Err(error) => {
                totals.rejected += 1;
                writeln!(stderr, "{name}:{}: {error}", line.number)?;
            }
        }
    }
    let (outcome, summary) = appender
        .append(&batch.incoming())
        .with_context(|| format!("append events from {name}"))?;
    totals.accepted += summary.accepted as u64;
    totals.duplicates += summary.duplicates as u64;
    for conflict in &summary.conflicting {
        totals.conflicting += 1;
        let number = line_numbers[conflict.index];
        writeln!(stderr, "{name}:{number}: {}", conflict_problem(conflict))?;
    }
    Ok(outcome)
}

/// What a conflicting repeat is, after its `FILE:LINE: `.
pub fn conflict_problem(conflict: &Conflict) -> String {
    format!(
        "id: repeats ({}, {}) with a different body; the one logged at seq {} (dated {}) stands",
        conflict.source,
        conflict.id,
        conflict.logged_seq,
        Timestamp(conflict.logged_at_ms).to_rfc3339()
    )
}

/// Reads lines, parses them and sends batches of up to [`BATCH_LINES_MAX`] lines.
fn parse_batches(
    mut reader: impl BufRead,
    future: FutureEvents,
    sender: &SyncSender<ParsedBatch>,
) -> std::io::Result<()> {
    let mut raw = Vec::new();
    let mut number = 0u64;
    let wall_clock = || future.checked_against(|| Timestamp::from_datetime(&chrono::Utc::now()));
    let mut batch = new_batch(wall_clock());
    loop {
        raw.clear();
        let read = reader.read_until(b'\n', &mut raw)?;
        if read == 0 {
            break;
        }
        number += 1;
        batch.bytes_read += read as u64;
        if let Some(line) = read_line(&raw, number, &mut batch.text, batch.wall_clock) {
            batch.lines.push(line);
        }
        if batch.lines.len() >= BATCH_LINES_MAX {
            let full = std::mem::replace(&mut batch, new_batch(wall_clock()));
            if sender.send(full).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.lines.is_empty() || batch.bytes_read > 0 {
        let _receiver_gone = sender.send(batch);
    }
    Ok(())
}

fn new_batch(wall_clock: Option<Timestamp>) -> ParsedBatch {
    ParsedBatch {
        text: String::with_capacity(BATCH_LINES_MAX * 256),
        lines: Vec::with_capacity(BATCH_LINES_MAX),
        bytes_read: 0,
        wall_clock,
    }
}

/// Parses one raw line, appending its text to `text`; `None` for a blank line. An event dated too far after
/// `wall_clock` (when given) is rejected.
fn read_line(raw: &[u8], number: u64, text: &mut String, wall_clock: Option<Timestamp>) -> Option<ParsedLine> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let line = match line_text(raw) {
        Ok(line) => line,
        Err(error) => {
            return Some(ParsedLine {
                number,
                span: 0..0,
                parsed: Err(error),
            });
        }
    };
    let start = text.len();
    text.push_str(line);
    let parsed = parse_received_event(line, wall_clock);
    Some(ParsedLine {
        number,
        span: start..text.len(),
        parsed,
    })
}
