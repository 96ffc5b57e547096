//! `/incidents`: linked exceptions with their probable root cause, those with an exception the caller may see, and
//! what people do to a whole incident (its members' commands at once, merge, split).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use retex_core::command::{Action, IncidentAction, Resolution, RootCause};
use retex_core::engine::IncidentView;

use super::exceptions::{first_page, idempotency_key, page_limit};
use super::json::{JsonBody, json};
use crate::bulk::BulkReport;
use crate::error::{Failure, Outcome};
use crate::extract::{ApiPath, ApiUser};
use crate::params::query_params;
use crate::scope::{IncidentFilter, require_act, require_read, visible_incident, visible_incidents};
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
        .read(move |engine| {
            let mut matching = visible_incidents(engine, &principal, filter);
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
        .read(move |engine| json(&visible_incident(engine, &principal, id)?))
        .await
}

/// What `POST /incidents/{id}/actions` does to the incident.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IncidentRequest {
    /// Acknowledge each of its active exceptions not acknowledged yet.
    AcknowledgeAll,
    /// Assign each of its active exceptions to a person (an existing user).
    AssignAll {
        #[schemars(regex(pattern = r"\S"))]
        assignee: String,
    },
    /// Resolve each of its active exceptions with one root cause, resolution and note.
    ResolveAll {
        root_cause: RootCause,
        #[schemars(regex(pattern = r"\S"))]
        note: String,
        #[serde(default)]
        resolution: Option<Resolution>,
    },
    /// Fold another incident into this one: its exceptions join this one, which keeps the root first in the
    /// causal order.
    Merge {
        #[schemars(range(min = 1))]
        incident: u64,
    },
    /// Take these exceptions out of this incident into a new one.
    Split {
        #[schemars(length(min = 1))]
        exceptions: Vec<u64>,
    },
}

/// An incident request as the work it is: a command for each member, or one that reshapes incidents.
enum IncidentWork {
    Members(Action),
    Reshape(IncidentAction),
}

impl IncidentRequest {
    /// The work asked for; a 400 for a blank field the schema asks to be filled, which would otherwise be
    /// refused once for every exception.
    fn work(self) -> Outcome<IncidentWork> {
        let filled = |field: &str, text: String| {
            if text.trim().is_empty() {
                return Err(Failure::bad_request(format!("{field}: must not be blank")));
            }
            Ok(text)
        };
        Ok(match self {
            Self::AcknowledgeAll => IncidentWork::Members(Action::Acknowledge),
            Self::AssignAll { assignee } => IncidentWork::Members(Action::Assign {
                assignee: filled("assignee", assignee)?,
            }),
            Self::ResolveAll {
                root_cause,
                note,
                resolution,
            } => IncidentWork::Members(Action::Resolve {
                root_cause,
                note: filled("note", note)?,
                resolution,
            }),
            Self::Merge { incident } => IncidentWork::Reshape(IncidentAction::Merge { from: incident }),
            Self::Split { exceptions } => IncidentWork::Reshape(IncidentAction::Split { exceptions }),
        })
    }
}

/// What an incident action did, and the incident after it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct IncidentActionResult<'a> {
    /// For `acknowledge_all`, `assign_all` and `resolve_all`: the exceptions each command was logged for, and
    /// those refused with why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<BulkReport>,
    /// For `merge` and `split`: whether it was newly logged (false: its idempotency key was seen before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged: Option<bool>,
    /// For `split`: the incident the exceptions are in now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_into: Option<u64>,
    /// The incident after the action, as the caller may see it.
    pub incident: IncidentView<'a>,
}

pub async fn act_on_incident(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(id): ApiPath<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome<JsonBody> {
    require_act(&principal)?;
    let request: IncidentRequest = serde_json::from_slice(&body)
        .map_err(|error| Failure::bad_request(format!("the body is not an incident action: {error}")))?;
    let key = idempotency_key(&headers)?;
    let (mut members, mut logged, mut split_off) = (None, None, None);
    match request.work()? {
        IncidentWork::Members(action) => {
            members = Some(
                state
                    .act_on_incident_members(&principal, id, &action, key.as_deref())
                    .await?,
            );
        }
        IncidentWork::Reshape(action) => {
            if let IncidentAction::Split { exceptions } = &action {
                split_off = exceptions.first().copied();
            }
            logged = Some(state.reshape_incident(&principal, id, action, key).await?);
        }
    }
    state
        .read(move |engine| {
            json(&IncidentActionResult {
                members,
                logged,
                split_into: split_off.and_then(|exception| engine.incident_of(exception)),
                incident: visible_incident(engine, &principal, id)?,
            })
        })
        .await
}
