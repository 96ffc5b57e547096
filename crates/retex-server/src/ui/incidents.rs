//! Incidents: the paged list (newest first, open ones or all, each opened in its root cause's local time with the
//! root cause's type and place), and the few lines an exception's page shows of its incident
//! ([`IncidentSummary`]). One incident's page is [`super::incident`].

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, IncidentView};
use serde::Deserialize;

use super::page::{PageUser, UserBar, page, shown};
use super::queue::range_text;
use crate::params::{empty_as_none, query_params};
use crate::scope::{IncidentFilter, visible_incidents};
use crate::state::AppState;

/// Incidents per page of the list.
const LIST_PAGE_ROWS: usize = 50;

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    user: Option<UserBar>,
    notice: Option<String>,
    /// Incidents with an active exception only, or all of them.
    open_only: bool,
    /// "1–50 of 120".
    showing: String,
    rows: Vec<IncidentRow>,
    previous_page: Option<String>,
    next_page: Option<String>,
}

struct IncidentRow {
    id: u64,
    /// When the root cause opened, in its location's time.
    opened: String,
    root_cause: u64,
    root_cause_type: String,
    /// The root cause's location, SKU and document; empty when the reader may not see it.
    root_place: String,
    members: usize,
    elsewhere: usize,
    open: usize,
    impact: String,
}

/// The list's address: `show` (`open`, the default, or `all`) and `page` (from 1).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    show: Option<Shown>,
    page: Option<usize>,
    notice: Option<String>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Shown {
    Open,
    All,
}

pub(super) async fn incidents_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    shown(
        state
            .read(move |engine| {
                let query = query_params(query)?;
                let open_only = query.show != Some(Shown::All);
                let filter = IncidentFilter {
                    min_exceptions: 2,
                    open_only,
                };
                let mut incidents = visible_incidents(engine, &user.principal, filter);
                incidents.reverse();
                let total = incidents.len();
                let pages = total.div_ceil(LIST_PAGE_ROWS).max(1);
                let number = query.page.unwrap_or(1).clamp(1, pages);
                let offset = (number - 1) * LIST_PAGE_ROWS;
                let rows: Vec<IncidentRow> = (incidents.iter().skip(offset).take(LIST_PAGE_ROWS))
                    .map(|incident| incident_row(engine, incident))
                    .collect();
                let show = if open_only { "open" } else { "all" };
                let href = |number: usize| format!("/incidents?show={show}&page={number}");
                page(&IncidentsPage {
                    user: UserBar::of(&user),
                    notice: query.notice,
                    open_only,
                    showing: range_text(offset, rows.len(), total),
                    previous_page: (number > 1).then(|| href(number - 1)),
                    next_page: (number < pages).then(|| href(number + 1)),
                    rows,
                })
            })
            .await,
    )
}

fn incident_row(engine: &Engine, incident: &IncidentView<'_>) -> IncidentRow {
    IncidentRow {
        id: incident.id,
        opened: opened_local(engine, incident),
        root_cause: incident.root_cause,
        root_cause_type: incident.root_cause_type.to_owned(),
        root_place: root_place(incident),
        members: incident.exceptions.len(),
        elsewhere: incident.elsewhere,
        open: incident.open_exceptions,
        impact: engine.money_text(incident.impact),
    }
}

/// When an incident opened, in its root cause's location's time, or in UTC saying why.
pub(super) fn opened_local(engine: &Engine, incident: &IncidentView<'_>) -> String {
    let at = Timestamp::parse_rfc3339(&incident.opened_at).expect("the engine writes RFC 3339");
    let (text, local) = engine.location_time(incident.root_cause_location, at);
    match (local, incident.root_cause_location) {
        (true, _) => text,
        (false, Some(location)) => format!("{text} ({location} names no time zone)"),
        (false, None) => format!("{text} (the root cause has no location)"),
    }
}

/// The root cause's location, SKU and document, those it has and the reader may see: `S1 · K1 · T1`.
pub(super) fn root_place(incident: &IncidentView<'_>) -> String {
    let parts = [
        incident.root_cause_location,
        incident.root_cause_sku,
        incident.root_cause_reference,
    ];
    parts.iter().flatten().copied().collect::<Vec<_>>().join(" · ")
}

/// An exception's incident in a line, for the exception's page: "Part of incident #12 (root cause
/// transfer_overdue at S1 · T1, 7 exceptions, 3 open)".
pub struct IncidentSummary {
    pub id: u64,
    /// The incident holds this exception only.
    pub alone: bool,
    /// What the parenthesis says.
    pub about: String,
}

impl IncidentSummary {
    /// The summary of `incident` as seen from its member `exception`.
    pub fn of(incident: &IncidentView<'_>, exception: u64) -> Self {
        let root = if incident.root_cause == exception {
            "this exception is the root cause".to_owned()
        } else {
            match root_place(incident) {
                place if place.is_empty() => format!("root cause {}", incident.root_cause_type),
                place => format!("root cause {} at {place}", incident.root_cause_type),
            }
        };
        let members = match incident.elsewhere {
            0 => format!("{} exceptions", incident.exceptions.len()),
            elsewhere => format!("{} exceptions and {elsewhere} elsewhere", incident.exceptions.len()),
        };
        Self {
            id: incident.id,
            alone: incident.exceptions.len() + incident.elsewhere == 1,
            about: format!("{root}, {members}, {} open", incident.open_exceptions),
        }
    }
}
