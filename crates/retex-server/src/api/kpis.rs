//! `/kpis` and `/rules`: the dashboard's figures over the caller's locations and a period, and the active rules
//! as TOML.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use retex_core::engine::Kpis;

use super::json::{JsonBody, json};
use crate::error::Outcome;
use crate::extract::ApiUser;
use crate::params::{PeriodParams, query_params};
use crate::scope::require_read;
use crate::state::AppState;

pub async fn get_kpis(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<PeriodParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let period = query_params(params)?.period()?;
    let clock = Arc::clone(&state);
    state
        .read(move |engine| {
            let kpis: Kpis = engine.kpis_over(clock.now(engine), principal.scope.as_deref(), period);
            json(&kpis)
        })
        .await
}

pub async fn get_rules(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
) -> Outcome<([(header::HeaderName, &'static str); 1], String)> {
    require_read(&principal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        state.rules_text.clone(),
    ))
}
