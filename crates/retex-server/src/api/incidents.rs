//! `/incidents`: linked exceptions with their probable root cause, those with an exception the caller may see.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use retex_core::engine::IncidentView;

use super::exceptions::{first_page, page_limit};
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
    /// Incidents after this one: the `next_after` of the previous page.
    #[schemars(range(min = 0, max = u64::MAX))]
    pub after: Option<u64>,
    /// Incidents per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<usize>,
}

/// One page of incidents, in the order they opened.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct IncidentPage<'a> {
    pub items: Vec<IncidentView<'a>>,
    /// Where the next page starts (send it back as `after`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<u64>,
    /// How many incidents match, over all pages.
    pub total: usize,
}

/// Incidents per page when `limit` is not given.
const PAGE_DEFAULT: usize = 100;

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
    let params = query_params(params)?;
    let filter = params.filter()?;
    let limit = page_limit(params.limit, PAGE_DEFAULT)?;
    let after = params.after.unwrap_or(0);
    state
        .read(move |live| {
            let mut matching = visible_incidents(live.engine(), &principal, filter);
            matching.sort_by_key(|incident| incident.id);
            let total = matching.len();
            let later = matching.into_iter().filter(|incident| incident.id > after).collect();
            let (items, next_after) = first_page(later, limit, |incident: &IncidentView<'_>| incident.id);
            json(&IncidentPage {
                items,
                next_after,
                total,
            })
        })
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
