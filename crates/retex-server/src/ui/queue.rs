//! The queue: the active exceptions a person works through, next due first, on tabs (assigned to me, my team,
//! everything they may see) with filters by type, location and severity.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use retex_core::engine::{Cursor, Engine, ExceptionOrder, ExceptionQuery, ExceptionView, StatusFilter};
use retex_core::rules::{ExceptionType, Severity};
use serde::Deserialize;

use super::page::{PageUser, UserBar, error_page, non_empty, page, place, shown, url_encode};
use crate::auth::Principal;
use crate::params::{empty_as_none, query_params};
use crate::state::AppState;

/// Rows per queue page.
const QUEUE_PAGE_ROWS: usize = 100;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    user: Option<UserBar>,
    notice: Option<String>,
    tabs: Vec<Tab>,
    view: &'static str,
    type_names: Vec<&'static str>,
    filter_type: String,
    filter_location: String,
    severities: Vec<(&'static str, bool)>,
    total: usize,
    rows: Vec<QueueRow>,
    next_page: Option<String>,
}

struct Tab {
    label: &'static str,
    href: String,
    current: bool,
}

struct QueueRow {
    id: u64,
    exception_type: String,
    place: String,
    severity: &'static str,
    impact: String,
    due: String,
    overdue: bool,
    status: &'static str,
    assignee: String,
}

retex_core::wire_names! {
    /// Which exceptions a queue tab shows.
    pub(super) enum QueueView {
        /// Assigned to the person.
        Mine = "mine",
        /// Their team's.
        Team = "team",
        /// Everything at the locations they may see.
        All = "all",
    }
}

#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    view: Option<QueueView>,
    #[serde(rename = "type")]
    exception_type: Option<String>,
    location: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    severity: Option<Severity>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// The queue's tabs, each keeping the filters.
fn tabs(principal: &Principal, current: QueueView, filters: &str) -> Vec<Tab> {
    let mut views = vec![(QueueView::Mine, "Assigned to me")];
    if principal.team.is_some() {
        views.push((QueueView::Team, "My team"));
    }
    let everything = if principal.scope.is_some() {
        "My locations"
    } else {
        "Everything"
    };
    views.push((QueueView::All, everything));
    views
        .into_iter()
        .map(|(view, label)| Tab {
            label,
            href: format!("/queue?view={}&{filters}", view.name()),
            current: view == current,
        })
        .collect()
}

fn queue_row(engine: &Engine, exception: &ExceptionView<'_>, now_ms: i64) -> QueueRow {
    let summary = engine.exception_summary(exception.id).expect("listed");
    let (due, overdue) = relative(summary.next_due.0, now_ms);
    QueueRow {
        id: exception.id,
        exception_type: exception.exception_type.to_owned(),
        place: place(exception),
        severity: exception.severity,
        impact: engine.money_text(exception.impact),
        due,
        overdue,
        status: exception.status,
        assignee: exception.assignee.unwrap_or("").to_owned(),
    }
}

/// "in 3 h" or "overdue 2 d": how far a due time is from now.
fn relative(due_ms: i64, now_ms: i64) -> (String, bool) {
    let minutes = (due_ms - now_ms) / 60_000;
    let span = |minutes: i64| match minutes.abs() {
        m if m < 90 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} d", m / (24 * 60)),
    };
    if minutes >= 0 {
        (format!("in {}", span(minutes)), false)
    } else {
        (format!("overdue {}", span(minutes)), true)
    }
}

pub(super) async fn queue(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Response {
    let query = match query_params(query) {
        Ok(query) => query,
        Err(failure) => return error_page(&failure),
    };
    let clock = Arc::clone(&state);
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let principal = &user.principal;
                let default_view = if principal.team.is_some() {
                    QueueView::Team
                } else {
                    QueueView::All
                };
                let view = query.view.unwrap_or(default_view);
                let severity = query.severity;
                let after = non_empty(&query.cursor).and_then(Cursor::decode);
                let engine_query = ExceptionQuery {
                    status: StatusFilter::Active,
                    exception_type: non_empty(&query.exception_type),
                    location: non_empty(&query.location),
                    severity,
                    assignee: (view == QueueView::Mine).then_some(principal.name.as_str()),
                    team: if view == QueueView::Team {
                        principal.team.as_deref()
                    } else {
                        None
                    },
                    scope: principal.scope.as_deref(),
                    order: ExceptionOrder::SlaRisk,
                    after,
                    limit: QUEUE_PAGE_ROWS,
                    ..ExceptionQuery::default()
                };
                let result = engine.query_exceptions(&engine_query);
                let now = clock.now(engine).0;
                let rows = result
                    .items
                    .iter()
                    .map(|exception| queue_row(engine, exception, now))
                    .collect();
                let filters = format!(
                    "type={}&location={}&severity={}",
                    url_encode(non_empty(&query.exception_type).unwrap_or("")),
                    url_encode(non_empty(&query.location).unwrap_or("")),
                    url_encode(severity.map_or("", Severity::name)),
                );
                page(&QueuePage {
                    user: UserBar::of(&user),
                    notice: query.notice.clone(),
                    next_page: result
                        .next_cursor
                        .map(|cursor| format!("/queue?view={}&{filters}&cursor={}", view.name(), cursor.encode())),
                    tabs: tabs(principal, view, &filters),
                    view: view.name(),
                    type_names: ExceptionType::ALL.iter().map(|kind| kind.name()).collect(),
                    filter_type: non_empty(&query.exception_type).unwrap_or("").to_owned(),
                    filter_location: non_empty(&query.location).unwrap_or("").to_owned(),
                    severities: Severity::ALL
                        .iter()
                        .map(|choice| (choice.name(), severity == Some(*choice)))
                        .collect(),
                    total: result.total,
                    rows,
                })
            })
            .await,
    )
}
