//! `retex serve --odoo FILE`: pulls from a shop's Odoo on a schedule, as `retex odoo pull` does once, and
//! with `write_back` writes open exceptions back as activities, as `retex odoo push` does. Odoo is read and
//! written without holding the store; only the append and the bookkeeping take its lock.

use std::sync::Arc;

use retex_core::command::Action;
use retex_odoo::{OdooClient, OdooConfig, activities, orders, read_changes, saved_cursors};

use crate::error::Failure;
use crate::state::AppState;

/// The actor of what the connector logs.
const EXPORTER: &str = "retex-odoo";

/// Pulls every `config.every` until the process ends, while this replica leads; a failed pull is logged and
/// tried at the next turn.
pub async fn run(state: Arc<AppState>, config: OdooConfig) {
    let scope = config.scope();
    let mut interval = tokio::time::interval(config.every);
    loop {
        interval.tick().await;
        if !state.leads() {
            continue;
        }
        match pull_once(&state, &config, &scope).await {
            Ok(report) => tracing::info!(
                accepted = report.accepted,
                duplicates = report.duplicates,
                skipped = report.skipped.len(),
                stock_differences = report.stock_differences.len(),
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
    for difference in &report.stock_differences {
        tracing::warn!(%difference, "Odoo's stock differs from Retex's");
    }
    if config.write_back {
        write_back(state, &client, config, scope).await?;
    }
    Ok(report)
}

/// Creates the activities of new open exceptions and closes those settled since.
async fn write_back(
    state: &Arc<AppState>,
    client: &OdooClient,
    config: &OdooConfig,
    scope: &str,
) -> Result<(), String> {
    let key = activities::known_key(scope);
    let read_key = key.clone();
    let names = config.options.mapping.fields.clone();
    let (questions, mut known) = state
        .write(move |live| {
            let known = activities::parse_known(live.setting(&read_key).map_err(Failure::from)?.as_deref());
            Ok((activities::questions(&live.engine(), &known, &names), known))
        })
        .await
        .map_err(|failure| failure.message)?;
    let names = &config.options.mapping.fields;
    let pushed = activities::push(client, &questions, &mut known, config.retex_url.as_deref(), names).await;
    let kept = serde_json::to_string(&known).unwrap_or_default();
    state
        .write(move |live| live.put_setting(&key, &kept).map_err(Failure::from))
        .await
        .map_err(|failure| failure.message)?;
    let report = pushed.map_err(|error| error.to_string())?;
    tracing::info!(
        created = report.created,
        done = report.done,
        "wrote exceptions back to Odoo"
    );
    let drafts = state
        .read(|engine| Ok(orders::drafts(engine)))
        .await
        .map_err(|failure| failure.message)?;
    let exported = orders::export(client, &drafts, names)
        .await
        .map_err(|error| error.to_string())?;
    // `export` answers in the drafts' order.
    for (draft, (task, outcome)) in drafts.iter().zip(exported) {
        match outcome {
            Ok(reference) => {
                let action = move |_| Action::TaskExported { task, reference };
                state
                    .system_command(EXPORTER, draft.exception, action)
                    .await
                    .map_err(|failure| failure.message)?;
            }
            Err(problem) => tracing::warn!(task, %problem, "could not create an approved draft in Odoo"),
        }
    }
    Ok(())
}
