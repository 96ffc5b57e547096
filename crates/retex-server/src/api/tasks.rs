//! `/tasks` and `/replenishment`: what automated actions created (drafts, recounts, reviews, notifications),
//! limited to the caller's locations.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use retex_core::engine::{Engine, TaskView};
use serde::Deserialize;

use super::exceptions::{first_page, page_limit};
use super::json::{JsonBody, json};
use crate::auth::Principal;
use crate::error::Outcome;
use crate::extract::ApiUser;
use crate::params::{empty_as_none, query_params};
use crate::scope::require_read;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    /// Only tasks in this status (`proposed`, `open`, `pending`, `approved`, `rejected`, `done`, `delivered`,
    /// `failed`, `dead_letter`, `exported`), or `waiting` for `proposed`, `open`, `pending` and `failed`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub status: Option<String>,
    /// Only tasks of this kind (`transfer`, `purchase_order`, `recount`, `quality_review`, `finance_task`,
    /// `notify_webhook`, `notify_email`, `hold_order`).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub location: Option<String>,
    /// Tasks older than this one: the `next_before` of the previous page.
    #[schemars(range(min = 0, max = u64::MAX))]
    pub before: Option<u64>,
    /// Tasks per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<usize>,
}

/// One page of tasks, newest first.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct TaskPage<'a> {
    pub items: Vec<TaskView<'a>>,
    /// Where the next page starts (send it back as `before`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
    /// How many tasks match, over all pages.
    pub total: usize,
}

/// Tasks per page when `limit` is not given.
const PAGE_DEFAULT: usize = 100;

/// Tasks matching the filters at locations the principal may see, newest first.
fn visible_tasks<'a>(engine: &'a Engine, principal: &Principal, params: &TaskParams) -> Vec<TaskView<'a>> {
    engine
        .tasks()
        .iter()
        .rev()
        .filter(|task| match params.status.as_deref() {
            None => true,
            Some("waiting") => task.status.is_waiting(),
            Some(name) => task.status.name() == name,
        })
        .filter(|task| params.kind.as_deref().is_none_or(|kind| task.kind.name() == kind))
        .map(|task| engine.task_view(task))
        .filter(|view| {
            params
                .location
                .as_deref()
                .is_none_or(|location| view.location == Some(location))
        })
        .filter(|view| principal.sees_location(view.location))
        .collect()
}

pub async fn list_tasks(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<TaskParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    let limit = page_limit(params.limit, PAGE_DEFAULT)?;
    state
        .read(move |engine| {
            let matching = visible_tasks(engine, &principal, &params);
            let total = matching.len();
            let before = params.before.unwrap_or(u64::MAX);
            let older = matching.into_iter().filter(|task| task.id < before).collect();
            let (items, next_before) = first_page(older, limit, |task: &TaskView<'_>| task.id);
            json(&TaskPage {
                items,
                next_before,
                total,
            })
        })
        .await
}

/// Replenishment proposals waiting for a decision: draft transfers and purchase orders.
pub async fn list_replenishment(State(state): State<Arc<AppState>>, ApiUser(principal): ApiUser) -> Outcome<JsonBody> {
    require_read(&principal)?;
    state
        .read(move |engine| {
            let params = TaskParams {
                status: Some("proposed".into()),
                ..TaskParams::default()
            };
            let proposals: Vec<TaskView<'_>> = visible_tasks(engine, &principal, &params)
                .into_iter()
                .filter(|task| matches!(task.kind, "transfer" | "purchase_order"))
                .collect();
            json(&proposals)
        })
        .await
}
