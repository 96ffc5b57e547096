//! `/incidents`: linked exceptions with their probable root cause, those with an exception the caller may see.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::json::{JsonBody, json};
use crate::error::{Failure, Outcome};
use crate::extract::{ApiPath, ApiUser};
use crate::params::query_params;
use crate::scope::{IncidentFilter, require_read, visible_incident, visible_incidents};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentParams {
    /// Only incidents with at least this many exceptions (default 2).
    #[schemars(range(min = 1, max = 1000))]
    pub min_exceptions: Option<usize>,
    /// Only incidents with an exception still open (default false).
    pub open: Option<bool>,
}

impl IncidentParams {
    fn filter(&self) -> Outcome<IncidentFilter> {
        let min_exceptions = self.min_exceptions.unwrap_or(2);
        if !(1..=1000).contains(&min_exceptions) {
            return Err(Failure::bad_request(format!(
                "min_exceptions: {min_exceptions} is not between 1 and 1000"
            )));
        }
        Ok(IncidentFilter {
            min_exceptions,
            open_only: self.open.unwrap_or(false),
        })
    }
}

pub async fn list_incidents(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<IncidentParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let filter = query_params(params)?.filter()?;
    state
        .read(move |live| json(&visible_incidents(live.engine(), &principal, filter)))
        .await
}

pub async fn get_incident(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(id): ApiPath<u64>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    state
        .read(move |live| json(&visible_incident(live.engine(), &principal, id)?))
        .await
}
