//! One incident's page: its root cause, when it opened (in the root cause's local time), its merges and splits, its
//! members a page at a time, the trace of the inputs that raised them, and the forms that work it. Acknowledge,
//! assign and resolve take every active member at once, each member's command checked and logged on its own as
//! the queue's bulk actions do ([`crate::bulk`]); merging another incident in and splitting selected members off
//! are one logged incident command each. A merged incident's page leads to the incident that holds its members.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, RawForm, State};
use axum::response::Response;
use retex_core::codes::Timestamp;
use retex_core::command::{ActionKind, IncidentAction, Resolution, RootCause};
use retex_core::display;
use retex_core::engine::{Engine, IncidentChangeView, IncidentView};
use retex_store::{Store, log_entry};
use serde::Deserialize;

use super::bulk::{done_words, selected};
use super::exception::{ActForm, RosterChoice};
use super::incidents::{opened_local, root_place};
use super::page::{PageUser, UserBar, back_with_notice, check_csrf, error_page, named_place, page, shown};
use super::queue::range_text;
use crate::error::{Failure, FailureKind, Outcome};
use crate::params::query_params;
use crate::scope::{require_whole_incident, visible_incident};
use crate::state::AppState;

/// Members per page.
const MEMBER_PAGE_ROWS: usize = 50;
/// Inputs shown on the trace, at most: the earliest.
const TRACE_STEPS_MAX: usize = 80;
/// Longest event body shown on a trace step.
const TRACE_BODY_CHARS_MAX: usize = 240;
/// What the page does to every active member at once.
const MEMBER_ACTIONS: [ActionKind; 3] = [ActionKind::Acknowledge, ActionKind::Assign, ActionKind::Resolve];

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    user: Option<UserBar>,
    notice: Option<String>,
    id: u64,
    /// When the root cause opened, in its location's time.
    opened: String,
    root_cause: u64,
    root_cause_type: String,
    root_place: String,
    impact: String,
    /// Members the reader sees, those still active, and those elsewhere.
    members_seen: usize,
    open: usize,
    elsewhere: usize,
    changes: Vec<ChangeLine>,
    /// "1–50 of 120".
    showing: String,
    previous_page: Option<String>,
    next_page: Option<String>,
    members: Vec<MemberRow>,
    trace: Vec<TraceStep>,
    /// How many inputs raised the members, when the trace shows only the first of them.
    trace_of: Option<usize>,
    can_act: bool,
    /// The reader sees every member: they may merge and split.
    may_reshape: bool,
    csrf: String,
    /// The members' teams as the assign form offers them, those on shift first; empty when the rules name no
    /// members, and the form takes any name.
    roster: Vec<RosterChoice>,
    root_causes: &'static [&'static str],
    resolutions: &'static [&'static str],
}

/// A merge or split as the page says it: `merged incident` 12 ` into this one: #4, #5`, by whom and when.
struct ChangeLine {
    before: &'static str,
    incident: u64,
    after: String,
    actor: String,
    at: String,
    seq: u64,
}

struct MemberRow {
    id: u64,
    exception_type: String,
    place: String,
    severity: &'static str,
    status: &'static str,
    acknowledged: bool,
    assignee: String,
    impact: String,
    is_root: bool,
}

struct TraceStep {
    at: String,
    seq: u64,
    source: String,
    kind: String,
    body: String,
    /// The exceptions this input raised or added to.
    raised: String,
}

/// The page's address: `page` of members (from 1), and the notice a form left.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MemberQuery {
    page: Option<usize>,
    notice: Option<String>,
}

pub(super) async fn incident_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    query: Result<Query<MemberQuery>, QueryRejection>,
) -> Response {
    let clock = Arc::clone(&state);
    shown(
        state
            .read_with_log(move |engine, log| {
                let query = query_params(query)?;
                let seen = visible_incident(engine, &user.principal, id)?;
                if let Some(into) = seen.merged_into {
                    let now = engine.incident_now(id);
                    let notice = format!("Incident {id} was merged into incident {into}");
                    return Ok(back_with_notice(&format!("/incidents/{now}"), &notice));
                }
                let mut incident = incident_page_of(engine, log, &user, &seen, query.page.unwrap_or(1))?;
                incident.roster = roster(engine, &seen, clock.now(engine));
                incident.notice = query.notice;
                page(&incident)
            })
            .await,
    )
}

fn incident_page_of(
    engine: &Engine,
    log: &mut dyn Store,
    user: &PageUser,
    seen: &IncidentView<'_>,
    number: usize,
) -> Outcome<IncidentPage> {
    let pages = seen.exceptions.len().div_ceil(MEMBER_PAGE_ROWS).max(1);
    let number = number.clamp(1, pages);
    let offset = (number - 1) * MEMBER_PAGE_ROWS;
    let members: Vec<MemberRow> = (seen.exceptions.iter().skip(offset).take(MEMBER_PAGE_ROWS))
        .map(|&member| member_row(engine, member, seen.root_cause))
        .collect();
    let href = |number: usize| format!("/incidents/{}?page={number}", seen.id);
    let (trace, trace_of) = trace(engine, log, seen)?;
    let can_act = user.principal.role.can_act();
    Ok(IncidentPage {
        user: UserBar::of(user),
        notice: None,
        id: seen.id,
        opened: opened_local(engine, seen),
        root_cause: seen.root_cause,
        root_cause_type: seen.root_cause_type.to_owned(),
        root_place: root_place(seen),
        impact: engine.money_text(seen.impact),
        members_seen: seen.exceptions.len(),
        open: seen.open_exceptions,
        elsewhere: seen.elsewhere,
        changes: (seen.changes.iter())
            .map(|change| change_line(engine, seen, change))
            .collect(),
        showing: range_text(offset, members.len(), seen.exceptions.len()),
        previous_page: (number > 1).then(|| href(number - 1)),
        next_page: (number < pages).then(|| href(number + 1)),
        members,
        trace,
        trace_of,
        can_act,
        may_reshape: can_act && require_whole_incident(engine, &user.principal, seen.id).is_ok(),
        csrf: user.csrf.clone(),
        roster: Vec::new(),
        root_causes: &RootCause::NAMES,
        resolutions: &Resolution::NAMES,
    })
}

fn member_row(engine: &Engine, id: u64, root_cause: u64) -> MemberRow {
    let record = engine.exception_record(id).expect("a member exists");
    MemberRow {
        id,
        exception_type: engine.type_name(record.key.exception_type).to_owned(),
        place: named_place(engine, record),
        severity: record.severity.name(),
        status: record.status.name(),
        acknowledged: record.acknowledged_at.is_some(),
        assignee: record.assignee.clone().unwrap_or_default(),
        impact: engine.money_text(record.impact),
        is_root: id == root_cause,
    }
}

/// Whom the assign form offers: the teams of the active members, on shift first.
fn roster(engine: &Engine, seen: &IncidentView<'_>, now: Timestamp) -> Vec<RosterChoice> {
    let mut teams: Vec<&str> = Vec::new();
    for &member in &seen.exceptions {
        let record = engine.exception_record(member).expect("a member exists");
        if record.status.is_active() && !teams.contains(&record.team.as_str()) {
            teams.push(&record.team);
        }
    }
    engine.teams_roster(&teams, now).iter().map(RosterChoice::of).collect()
}

/// A merge or split in the page's words, at the root cause's local time.
fn change_line(engine: &Engine, seen: &IncidentView<'_>, change: &IncidentChangeView<'_>) -> ChangeLine {
    let listed = |ids: &[u64]| ids.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", ");
    let (before, after) = match change.change {
        "merged" => (
            "merged incident",
            format!(" into this one: {}", listed(&change.exceptions)),
        ),
        "merged_into" => ("merged into incident", String::new()),
        "split_off" => ("split off into incident", format!(": {}", listed(&change.exceptions))),
        _ => ("split off incident", String::new()),
    };
    let at = Timestamp::parse_rfc3339(&change.at).expect("the engine writes RFC 3339");
    ChangeLine {
        before,
        incident: change.incident,
        after,
        actor: change.actor.to_owned(),
        at: engine.location_time(seen.root_cause_location, at).0,
        seq: change.seq,
    }
}

/// The log entries that raised the members, in time order: the first [`TRACE_STEPS_MAX`] of them, and how many
/// there are when that is not all.
fn trace(engine: &Engine, log: &mut dyn Store, seen: &IncidentView<'_>) -> Outcome<(Vec<TraceStep>, Option<usize>)> {
    let mut causes: Vec<(u64, Vec<u64>)> = Vec::new();
    for &member in &seen.exceptions {
        let record = engine.exception_record(member).expect("a member exists");
        for &seq in &record.caused_by {
            match causes.iter_mut().find(|(cause, _)| *cause == seq) {
                Some((_, raised)) => raised.push(member),
                None => causes.push((seq, vec![member])),
            }
        }
    }
    causes.sort_unstable();
    let all = causes.len();
    causes.truncate(TRACE_STEPS_MAX);
    let mut steps = Vec::with_capacity(causes.len());
    for (seq, raised) in causes {
        let Some(entry) = log_entry(log, seq)? else {
            continue;
        };
        let step = TraceStep {
            // The inputs of an incident happen at several locations: their times are in UTC.
            at: display::utc_time(Timestamp(entry.at_ms)),
            seq,
            source: entry.source,
            kind: entry.kind,
            body: shortened(entry.body),
            raised: raised.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", "),
        };
        steps.push((entry.at_ms, step));
    }
    steps.sort_by_key(|(at_ms, step)| (*at_ms, step.seq));
    let steps = steps.into_iter().map(|(_, step)| step).collect();
    Ok((steps, (all > TRACE_STEPS_MAX).then_some(all)))
}

/// An event body cut to [`TRACE_BODY_CHARS_MAX`] bytes at a character boundary, with an ellipsis when cut.
fn shortened(mut body: String) -> String {
    if body.len() > TRACE_BODY_CHARS_MAX {
        let cut = (0..=TRACE_BODY_CHARS_MAX)
            .rev()
            .find(|&index| body.is_char_boundary(index))
            .unwrap_or(0);
        body.truncate(cut);
        body.push('…');
    }
    body
}

/// The member actions' form: the exception page's fields for acknowledge, assign or resolve.
pub(super) async fn act_on_members(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    form: Result<Form<ActForm>, FormRejection>,
) -> Response {
    let here = format!("/incidents/{id}");
    let Form(form) = match form {
        Ok(form) => form,
        Err(rejection) => return back_with_notice(&here, &rejection.body_text()),
    };
    if let Err(failure) = check_csrf(&user, &form.csrf) {
        return error_page(&failure);
    }
    let acted = async {
        if !MEMBER_ACTIONS.contains(&form.action) {
            return Err(Failure::bad_request(format!(
                "action: {} is not offered for a whole incident",
                form.action
            )));
        }
        let clock = Arc::clone(&state);
        let now = state.read(move |engine| Ok(clock.now_datetime(engine))).await?;
        let action = form.to_action(now)?;
        let report = state
            .act_on_incident_members(&user.principal, id, &action, None)
            .await?;
        Ok(report.notice(&done_words(&action)))
    };
    noticed(&here, acted.await.map(|notice| (here.clone(), notice)))
}

/// The merge and split form: the CSRF token, `action` (`merge` or `split`), the incident to merge in as
/// `incident`, the members to split off each as `id`.
#[derive(Deserialize)]
struct ReshapeForm {
    csrf: String,
    action: String,
    incident: Option<String>,
}

pub(super) async fn reshape(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    RawForm(body): RawForm,
) -> Response {
    let here = format!("/incidents/{id}");
    let form: ReshapeForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(error) => return back_with_notice(&here, &error.to_string()),
    };
    if let Err(failure) = check_csrf(&user, &form.csrf) {
        return error_page(&failure);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let reshaped = async {
        match form.action.as_str() {
            "merge" => {
                let from = incident_number(form.incident.as_deref().unwrap_or(""))?;
                let action = IncidentAction::Merge { from };
                state.reshape_incident(&user.principal, id, action, None).await?;
                Ok((here.clone(), format!("Merged incident {from} into this one")))
            }
            "split" => {
                let exceptions = selected(&pairs)?;
                let first = exceptions[0];
                let listed: Vec<String> = exceptions.iter().map(|id| format!("#{id}")).collect();
                let action = IncidentAction::Split { exceptions };
                state.reshape_incident(&user.principal, id, action, None).await?;
                let new = state.read(move |engine| Ok(engine.incident_of(first))).await?;
                let notice = format!("Split {} off incident {id} into this one", listed.join(", "));
                Ok((format!("/incidents/{}", new.unwrap_or(id)), notice))
            }
            other => Err(Failure::bad_request(format!("action: {other:?} is not merge or split"))),
        }
    };
    noticed(&here, reshaped.await)
}

/// An incident's number as a person types it: `12` or `#12`.
fn incident_number(text: &str) -> Outcome<u64> {
    let digits = text.trim().trim_start_matches('#');
    digits
        .parse()
        .ok()
        .filter(|&number| number > 0)
        .ok_or_else(|| Failure::bad_request(format!("incident: {text:?} is not an incident number")))
}

/// Where a form goes next: the page and notice it asked for, or back `here` with why it was refused (a form to
/// fill in otherwise, a state that does not allow it, an incident number that names none); anything else, such
/// as a role or a location the person may not act for, is an error page.
fn noticed(here: &str, outcome: Outcome<(String, String)>) -> Response {
    match outcome {
        Ok((path, notice)) => back_with_notice(&path, &notice),
        Err(failure)
            if matches!(
                failure.kind,
                FailureKind::BadRequest | FailureKind::Conflict | FailureKind::Unprocessable | FailureKind::NotFound
            ) =>
        {
            back_with_notice(here, &failure.message)
        }
        Err(failure) => error_page(&failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_number_may_carry_its_hash() {
        assert_eq!(incident_number(" #12 ").unwrap(), 12);
        assert_eq!(incident_number("7").unwrap(), 7);
        for refused in ["", "#", "0", "twelve", "-3"] {
            let failure = incident_number(refused).unwrap_err();
            assert!(failure.message.starts_with("incident: "), "{refused:?}");
        }
    }
}
