//! `retex serve --odoo FILE`: pulls from a shop's Odoo on a schedule, as `retex odoo pull` does once. The
//! records are read and mapped without holding the store; only the append takes the write lock.

use std::sync::Arc;

use retex_odoo::{OdooClient, OdooConfig, read_changes, saved_cursors};

use crate::error::Failure;
use crate::state::AppState;

/// Pulls every `config.every` until the process ends; a failed pull is logged and tried at the next turn.
pub async fn run(state: Arc<AppState>, config: OdooConfig) {
    let scope = config.scope();
    let mut interval = tokio::time::interval(config.every);
    loop {
        interval.tick().await;
        match pull_once(&state, &config, &scope).await {
            Ok(report) => tracing::info!(
                accepted = report.accepted,
                duplicates = report.duplicates,
                skipped = report.skipped.len(),
                "pulled from Odoo"
            ),
            Err(problem) => tracing::warn!(%problem, "could not pull from Odoo; trying again at the next turn"),
        }
    }
}

async fn pull_once(state: &Arc<AppState>, config: &OdooConfig, scope: &str) -> Result<retex_odoo::PullReport, String> {
    let client = OdooClient::connect(&config.url, &config.database, &config.user, config.credentials.clone())
        .await
        .map_err(|error| error.to_string())?;
    let cursor_scope = scope.to_owned();
    let saved = state
        .write(move |live| saved_cursors(live, &cursor_scope).map_err(Failure::from))
        .await
        .map_err(|failure| failure.message)?;
    let changes = read_changes(&client, scope, saved, &config.options)
        .await
        .map_err(|error| error.to_string())?;
    let report = state
        .write(move |live| changes.apply(live).map_err(Failure::from))
        .await
        .map_err(|failure| failure.message)?;
    for skipped in &report.skipped {
        tracing::warn!(%skipped, "an Odoo record was skipped");
    }
    Ok(report)
}
