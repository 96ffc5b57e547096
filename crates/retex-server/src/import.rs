//! A CSV file of master data or counts imported over HTTP (the API's `POST /imports/{kind}` and the admin's
//! upload page): read row by row by [`retex_core::import`], then appended as `retex import` does.

use std::sync::Arc;

use chrono::Utc;
use retex_core::codes::Timestamp;
use retex_core::import::{ImportKind, ImportOptions, read_csv};
use serde::Serialize;

use crate::error::{Failure, Outcome};
use crate::ingest_body::{LineConflict, LineError};
use crate::state::AppState;

/// What an import did, row by row where it failed.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct ImportReport {
    /// Data rows read (the header and blank lines aside).
    pub rows: usize,
    /// Rows logged as new events.
    pub imported: usize,
    /// Master data rows that said what the master data already holds: not logged again.
    pub unchanged: usize,
    /// Rows whose event was already logged.
    pub duplicates: usize,
    /// Rows refused: the `errors` and the `conflicts`.
    pub rejected: usize,
    /// Refused rows: the line in the file (the header is line 1), the column and the problem.
    pub errors: Vec<LineError>,
    /// Rows whose event id was logged with other content: the logged one stands.
    pub conflicts: Vec<LineConflict>,
}

/// Reads and appends one file. A header that cannot be read refuses the whole file (400).
pub async fn import_csv(
    state: &Arc<AppState>,
    kind: ImportKind,
    bytes: Vec<u8>,
    decimal_comma: bool,
) -> Outcome<ImportReport> {
    let future_events = state.options.future_events;
    // Read before taking the write lock, so a large file does not hold up the requests meanwhile.
    let read = tokio::task::spawn_blocking(move || {
        let now = Timestamp::from_datetime(&Utc::now());
        let options = ImportOptions {
            source: "csv".into(),
            now,
            decimal_comma,
            wall_clock: future_events.checked_against(|| now),
        };
        read_csv(kind, &bytes, &options).map_err(|problem| Failure::bad_request(format!("line {problem}")))
    })
    .await
    .map_err(|error| Failure::internal("the import task failed", &error))??;
    state
        .write(move |live| {
            let summary = live.import_rows(&read.rows)?;
            let conflicts: Vec<LineConflict> = summary
                .appended
                .conflicting
                .into_iter()
                .zip(summary.conflict_lines)
                .map(|(conflict, line)| LineConflict::new(line as usize, conflict))
                .collect();
            let errors: Vec<LineError> = read
                .problems
                .into_iter()
                .map(|problem| LineError {
                    line: problem.line as usize,
                    field: problem.column,
                    problem: problem.problem,
                })
                .collect();
            Ok(ImportReport {
                rows: read.rows.len() + errors.len(),
                imported: summary.appended.accepted,
                unchanged: summary.unchanged,
                duplicates: summary.appended.duplicates,
                rejected: errors.len() + conflicts.len(),
                errors,
                conflicts,
            })
        })
        .await
}
