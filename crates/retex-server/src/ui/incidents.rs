//! Incidents: the list of open ones, and one incident's page with its members and the trace of the log entries
//! that raised them (shared with the exception page as [`IncidentPanel`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use retex_core::codes::Timestamp;
use retex_core::display;
use retex_core::engine::{Engine, IncidentView};
use retex_store::LiveEngine;

use super::page::{PageUser, UserBar, named_place, page, shown};
use crate::error::Outcome;
use crate::scope::{IncidentFilter, visible_incident, visible_incidents};
use crate::state::AppState;

/// Inputs shown on an incident's trace, at most.
const TRACE_STEPS_MAX: usize = 80;
/// Longest event body shown on a trace step.
const TRACE_BODY_CHARS_MAX: usize = 240;

/// An incident with its members and the trace of the inputs that raised them.
pub struct IncidentPanel {
    pub id: u64,
    pub opened_at: String,
    pub root_cause: u64,
    pub root_cause_type: String,
    pub impact: String,
    pub open: bool,
    /// Members at locations the reader may not see.
    pub elsewhere: usize,
    pub members: Vec<MemberRow>,
    pub trace: Vec<TraceStep>,
}

pub struct MemberRow {
    pub id: u64,
    pub exception_type: String,
    pub place: String,
    pub status: &'static str,
    pub impact: String,
    pub is_root: bool,
}

pub struct TraceStep {
    pub at: String,
    pub seq: u64,
    pub source: String,
    pub kind: String,
    pub body: String,
    /// The exceptions this input raised or added to.
    pub raised: String,
}

/// The incident's members and the log entries that caused them, read from the log.
pub fn incident_panel(live: &LiveEngine, incident: &IncidentView<'_>) -> Outcome<IncidentPanel> {
    let engine = live.engine();
    let mut causes: Vec<(u64, Vec<u64>)> = Vec::new();
    for &member in &incident.exceptions {
        let record = engine.exception_record(member).expect("a member exists");
        for &seq in &record.caused_by {
            match causes.iter_mut().find(|(cause, _)| *cause == seq) {
                Some((_, raised)) => raised.push(member),
                None => causes.push((seq, vec![member])),
            }
        }
    }
    causes.sort_unstable();
    causes.truncate(TRACE_STEPS_MAX);
    let mut panel = panel_of(engine, incident);
    let mut steps = Vec::with_capacity(causes.len());
    for (seq, raised) in causes {
        let Some(entry) = live.log_entry(seq)? else {
            continue;
        };
        let mut body = entry.body;
        if body.len() > TRACE_BODY_CHARS_MAX {
            let cut = (0..=TRACE_BODY_CHARS_MAX)
                .rev()
                .find(|&index| body.is_char_boundary(index))
                .unwrap_or(0);
            body.truncate(cut);
            body.push('…');
        }
        let step = TraceStep {
            // The inputs of an incident happen at several locations: their times are in UTC.
            at: display::utc_time(Timestamp(entry.at_ms)),
            seq,
            source: entry.source,
            kind: entry.kind,
            body,
            raised: raised.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", "),
        };
        steps.push((entry.at_ms, step));
    }
    steps.sort_by_key(|(at_ms, step)| (*at_ms, step.seq));
    panel.trace = steps.into_iter().map(|(_, step)| step).collect();
    Ok(panel)
}

fn panel_of(engine: &Engine, incident: &IncidentView<'_>) -> IncidentPanel {
    IncidentPanel {
        id: incident.id,
        opened_at: incident.opened_at.clone(),
        root_cause: incident.root_cause,
        root_cause_type: incident.root_cause_type.to_owned(),
        impact: engine.money_text(incident.impact),
        open: incident.open,
        elsewhere: incident.elsewhere,
        members: incident
            .exceptions
            .iter()
            .filter_map(|&id| engine.exception_record(id))
            .map(|member| MemberRow {
                id: member.id,
                exception_type: engine.type_name(member.key.exception_type).to_owned(),
                place: named_place(engine, member),
                status: member.status.name(),
                impact: engine.money_text(member.impact),
                is_root: member.id == incident.root_cause,
            })
            .collect(),
        trace: Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    user: Option<UserBar>,
    notice: Option<String>,
    incidents: Vec<IncidentRow>,
}

struct IncidentRow {
    id: u64,
    opened_at: String,
    root_cause: u64,
    root_cause_type: String,
    types: String,
    count: usize,
    elsewhere: usize,
    impact: String,
}

pub(super) async fn incidents_page(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    shown(
        state
            .read(move |live| {
                let filter = IncidentFilter {
                    min_exceptions: 2,
                    open_only: true,
                };
                let engine = live.engine();
                let mut incidents: Vec<IncidentRow> = visible_incidents(engine, &user.principal, filter)
                    .into_iter()
                    .map(|incident| IncidentRow {
                        id: incident.id,
                        opened_at: incident.opened_at.clone(),
                        root_cause: incident.root_cause,
                        root_cause_type: incident.root_cause_type.to_owned(),
                        types: incident.types.join(", "),
                        count: incident.exceptions.len(),
                        elsewhere: incident.elsewhere,
                        impact: engine.money_text(incident.impact),
                    })
                    .collect();
                incidents.reverse();
                page(&IncidentsPage {
                    user: UserBar::of(&user),
                    notice: None,
                    incidents,
                })
            })
            .await,
    )
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    user: Option<UserBar>,
    notice: Option<String>,
    incident: IncidentPanel,
}

pub(super) async fn incident_page(State(state): State<Arc<AppState>>, user: PageUser, Path(id): Path<u64>) -> Response {
    shown(
        state
            .read(move |live| {
                let seen = visible_incident(live.engine(), &user.principal, id)?;
                let incident = incident_panel(live, &seen)?;
                page(&IncidentPage {
                    user: UserBar::of(&user),
                    notice: None,
                    incident,
                })
            })
            .await,
    )
}
