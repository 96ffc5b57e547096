//! An ingest request's body: its lines (NDJSON, or the elements of a JSON array), each parsed and checked on its
//! own so that a bad line costs only itself, and the report the request is answered with.

use chrono::Utc;
use retex_core::codes::Timestamp;
use retex_core::event::Event;
use retex_core::receive::{FutureEvents, line_text, parse_received_event};
use retex_store::Conflict;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::{Failure, Outcome};

/// What an ingest request did, line by line where it failed.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// Rejected lines: 1-based line (or array element) number, field and problem.
    pub errors: Vec<LineError>,
    /// Repeats of an idempotency key whose content differs from the logged event: the logged one stands.
    pub conflicts: Vec<LineConflict>,
}

/// A line that repeats a logged event's idempotency key with a different body, and the logged event it
/// contradicts.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LineConflict {
    pub line: usize,
    pub source: String,
    pub id: String,
    /// The logged event's position in the log and its event time (RFC 3339).
    pub logged_seq: u64,
    pub logged_at: String,
}

impl LineConflict {
    pub fn new(line: usize, conflict: Conflict) -> Self {
        Self {
            line,
            source: conflict.source,
            id: conflict.id,
            logged_seq: conflict.logged_seq,
            logged_at: Timestamp(conflict.logged_at_ms).to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LineError {
    pub line: usize,
    pub field: String,
    pub problem: String,
}

/// An event of an ingest body with its line (or array element) number and its text.
pub type NumberedEvent = (usize, (Event, String));

/// An ingest body's events, each with its line (or array element) number, and the report of the lines refused.
pub fn parse_body(
    future_events: FutureEvents,
    body: &[u8],
    json_array: bool,
) -> Outcome<(IngestReport, Vec<NumberedEvent>)> {
    let lines = split_body(body, json_array)?;
    if lines.is_empty() {
        return Err(Failure::bad_request(
            "the body holds no events: send NDJSON (one event per line) or a JSON array of events",
        ));
    }
    let wall_clock = future_events.checked_against(|| Timestamp::from_datetime(&Utc::now()));
    let mut report = IngestReport::default();
    let mut parsed = Vec::with_capacity(lines.len());
    for (number, raw) in lines {
        let checked = line_text(raw).and_then(|text| Ok((text, parse_received_event(text, wall_clock)?)));
        match checked {
            Ok((text, event)) => parsed.push((number, (event, text.to_owned()))),
            Err(error) => report.errors.push(LineError {
                line: number,
                field: error.field,
                problem: error.problem,
            }),
        }
    }
    report.rejected = report.errors.len();
    Ok((report, parsed))
}

/// The body's lines (or array elements) with their 1-based numbers, blank lines skipped. NDJSON is split as
/// bytes, so a line that is not UTF-8 is that line's error, not the request's.
fn split_body(body: &[u8], json_array: bool) -> Outcome<Vec<(usize, &[u8])>> {
    if json_array {
        let elements: Vec<&RawValue> = serde_json::from_slice(body)
            .map_err(|error| Failure::bad_request(format!("the body is not a JSON array of events: {error}")))?;
        return Ok(elements
            .into_iter()
            .enumerate()
            .map(|(index, element)| (index + 1, element.get().as_bytes()))
            .collect());
    }
    Ok(body
        .split(|&byte| byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(index, line)| (index + 1, line))
        .collect())
}
