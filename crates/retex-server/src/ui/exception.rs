//! One exception's page: what happened in words, where, the documents it is about, its shelf's stock now, what to do
//! (its type's procedure), whether resolving needs an approval, its timeline in the location's time, tasks and
//! incident, and the forms that work it (each a workflow command through the same checks and log as the API),
//! including attaching evidence. A refused command comes back as an error on the page, never as "Done".

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use retex_core::codes::Timestamp;
use retex_core::command::{Action, ActionKind, Resolution, RootCause, WorkStatus};
use retex_core::display;
use retex_core::engine::{
    ApprovalState, Engine, ExceptionBrief, ExceptionRecord, ExceptionView, Suggestion, TaskView, TeamMember,
    TimelineEntry,
};
use serde::Deserialize;

use super::incidents::IncidentSummary;
use super::page::{
    NoticeQuery, PageUser, UserBar, back_with_error, back_with_notice, check_csrf, document_queue_href, error_page,
    location_queue_href, named_place, non_empty, page, shown,
};
use crate::auth::Principal;
use crate::error::{Failure, FailureKind, Outcome};
use crate::params::empty_as_none;
use crate::scope::{visible_exception, visible_incident};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "exception.html")]
struct ExceptionPage<'a> {
    user: Option<UserBar>,
    notice: Option<String>,
    /// What a refused action said, shown as an error.
    error: Option<String>,
    e: ExceptionView<'a>,
    brief: ExceptionBrief<'a>,
    /// Location, product and document with their names.
    place: String,
    /// The documents it is about, each leading to every exception about it.
    documents: Vec<DocumentLink>,
    /// The queue of the location's open exceptions, when the exception has a location: "the store's open
    /// exceptions by type" is where `store_exception_rate`'s procedure starts, and any store's exception is
    /// read better beside the others there.
    location_queue: Option<LocationQueue>,
    impact: String,
    /// The exception's instants in its location's zone.
    times: LocalTimes,
    /// "by lead at 2026-11-02 10:00 UTC", once someone acknowledged it.
    acknowledged: Option<String>,
    assignee: String,
    root_cause: String,
    active: bool,
    can_act: bool,
    csrf: String,
    root_causes: Vec<FormChoice>,
    resolutions: Vec<FormChoice>,
    /// What worked for similar exceptions, best first; empty without evidence.
    suggestions: Vec<SuggestionLine>,
    /// How alike the suggestions' examples are, in words.
    suggested_from: String,
    approval: ApprovalPanel,
    /// The exception's team as the assign form offers it, those on shift first; empty when the rules name no
    /// members, and the form takes any name.
    roster: Vec<RosterChoice>,
    /// Its tasks, each with the name of the product it is about, if any.
    tasks: Vec<(TaskView<'a>, Option<String>)>,
    timeline: Vec<TimelineLine<'a>>,
    incident: Option<IncidentSummary>,
}

/// The approval request as the reader sees it, and what they may do about it.
struct ApprovalPanel {
    /// The latest request in words, when one was made: "pending, asked by lead at ...".
    request: Option<String>,
    pending: bool,
    /// The reader may approve or reject the pending request: another person, with the approver role.
    may_decide: bool,
    /// Nothing pending nor approved: a request may be made.
    may_request: bool,
}

impl ApprovalPanel {
    fn of(engine: &Engine, record: &ExceptionRecord, reader: &Principal, time: &impl Fn(Timestamp) -> String) -> Self {
        let pending = record
            .approval
            .as_ref()
            .is_some_and(|approval| approval.decision.is_none());
        let approved = record.approval.as_ref().is_some_and(ApprovalState::is_approved);
        let approver_role = engine.approver_role(record.key.exception_type);
        Self {
            request: (record.approval.as_ref()).map(|approval| approval_words(approval, approver_role, time)),
            pending,
            may_decide: engine.may_decide_approval(record.id, &reader.name, reader.role.name()),
            may_request: !pending && !approved,
        }
    }
}

/// A link to the queue of one location's open exceptions.
struct LocationQueue {
    code: String,
    href: String,
}

impl LocationQueue {
    fn of(engine: &Engine, record: &ExceptionRecord) -> Option<Self> {
        let code = engine.location_code(record.location?).to_owned();
        let href = location_queue_href(&code);
        Some(Self { code, href })
    }
}

/// A document an exception is about, with the queue of every exception about it.
struct DocumentLink {
    kind: &'static str,
    number: String,
    href: String,
}

/// When an exception opened and falls due, in its location's zone.
struct LocalTimes {
    opened: String,
    ack_due: String,
    resolve_due: String,
}

/// One timeline entry as the page shows it, its time in the exception's zone.
struct TimelineLine<'a> {
    at: String,
    actor: &'a str,
    action: &'a str,
    detail: &'a str,
    seq: u64,
}

impl<'a> TimelineLine<'a> {
    fn of(entry: &'a TimelineEntry, time: &impl Fn(Timestamp) -> String) -> Self {
        Self {
            at: time(entry.at),
            actor: &entry.actor,
            action: &entry.action,
            detail: &entry.detail,
            seq: entry.seq,
        }
    }
}

/// A team member as the assign form lists them: `ann (on shift, 3 open)`.
pub(super) struct RosterChoice {
    pub(super) name: String,
    pub(super) label: String,
}

impl RosterChoice {
    pub(super) fn of(member: &TeamMember) -> Self {
        let shift = if member.on_shift { "on shift" } else { "off shift" };
        Self {
            name: member.name.clone(),
            label: format!("{} ({shift}, {} open)", member.name, member.open),
        }
    }
}

/// One option of a select of the resolve form, chosen beforehand when it is the first suggestion.
struct FormChoice {
    name: &'static str,
    selected: bool,
}

/// A suggestion as the page writes it: `theft_or_shrink, stock_adjusted: chosen for 12 similar exceptions, held
/// 11 (92%)`.
struct SuggestionLine {
    choice: String,
    evidence: String,
}

impl SuggestionLine {
    fn of(suggestion: &Suggestion) -> Self {
        let choice = match suggestion.resolution {
            Some(resolution) => format!("{}, {resolution}", suggestion.root_cause),
            None => suggestion.root_cause.name().to_owned(),
        };
        let held_percent = 100 * suggestion.held / suggestion.chosen.max(1);
        let exceptions = if suggestion.chosen == 1 {
            "exception"
        } else {
            "exceptions"
        };
        let evidence = format!(
            "chosen for {} similar {exceptions}, held {} ({held_percent}%)",
            suggestion.chosen, suggestion.held
        );
        Self { choice, evidence }
    }
}

/// The options of a select, the suggested one (if any) chosen.
fn form_choices(names: &[&'static str], suggested: Option<&'static str>) -> Vec<FormChoice> {
    let choice = |name: &&'static str| FormChoice {
        name,
        selected: suggested == Some(*name),
    };
    names.iter().map(choice).collect()
}

pub(super) async fn exception_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    shown(
        state
            .read(move |engine| {
                let incident_id = {
                    let record = visible_exception(engine, &user.principal, id)?;
                    engine.exception_view(record).incident
                };
                let incident = visible_incident(engine, &user.principal, incident_id)
                    .ok()
                    .map(|seen| IncidentSummary::of(&seen, id));
                page(&page_of(engine, &user, query, id, incident))
            })
            .await,
    )
}

/// The page of a visible exception.
fn page_of<'a>(
    engine: &'a Engine,
    user: &PageUser,
    query: NoticeQuery,
    id: u64,
    incident: Option<IncidentSummary>,
) -> ExceptionPage<'a> {
    let record = engine.exception_record(id).expect("checked visible");
    let e = engine.exception_view(record);
    let brief = engine.exception_brief(id).expect("checked visible");
    let zone = engine.exception_zone(record);
    let time = |at: Timestamp| display::local_time(at, zone);
    let suggestions = engine.suggestions(id);
    let first = suggestions.first();
    ExceptionPage {
        user: UserBar::of(user),
        notice: query.notice,
        error: query.error,
        place: named_place(engine, record),
        documents: (brief.documents.iter())
            .map(|document| DocumentLink {
                kind: document.kind,
                number: document.number.clone(),
                href: document_queue_href(&document.number),
            })
            .collect(),
        location_queue: LocationQueue::of(engine, record),
        impact: engine.money_text(e.impact),
        times: LocalTimes {
            opened: time(record.opened_at),
            ack_due: time(record.ack_due),
            resolve_due: time(record.resolve_due),
        },
        acknowledged: match (&record.acknowledged_by, record.acknowledged_at) {
            (Some(by), Some(at)) => Some(format!("by {by} at {}", time(at))),
            _ => None,
        },
        assignee: e.assignee.unwrap_or("nobody yet").to_owned(),
        root_cause: e.root_cause.unwrap_or("not given yet").to_owned(),
        active: record.status.is_active(),
        can_act: user.principal.role.can_act(),
        csrf: user.csrf.clone(),
        root_causes: form_choices(&RootCause::NAMES, first.map(|first| first.root_cause.name())),
        resolutions: form_choices(
            &Resolution::NAMES,
            first.and_then(|first| first.resolution).map(Resolution::name),
        ),
        suggested_from: first.map(|first| first.similar_to.clone()).unwrap_or_default(),
        suggestions: suggestions.iter().map(SuggestionLine::of).collect(),
        approval: ApprovalPanel::of(engine, record, &user.principal, &time),
        roster: engine
            .team_roster(e.team, engine.clock().unwrap_or(Timestamp(0)))
            .iter()
            .map(RosterChoice::of)
            .collect(),
        tasks: engine
            .tasks()
            .iter()
            .filter(|task| task.exception == id)
            .map(|task| {
                let view = engine.task_view(task);
                let product = (view.sku.and_then(|sku| engine.sku_id(sku))).map(|sku| engine.product_label(sku));
                (view, product)
            })
            .collect(),
        timeline: (record.timeline.iter())
            .map(|entry| TimelineLine::of(entry, &time))
            .collect(),
        e,
        brief,
        incident,
    }
}

/// An approval request in words: "pending, asked by lead at 2026-11-02 10:00 UTC; an operations_lead other
/// than lead decides", "approved, asked by lead, decided by olga".
fn approval_words(approval: &ApprovalState, approver_role: &str, time: &impl Fn(Timestamp) -> String) -> String {
    let asked = &approval.requested_by;
    match &approval.decision {
        None => format!(
            "pending, asked by {asked} at {}; an {approver_role} other than {asked} (or an admin) decides",
            time(approval.requested_at)
        ),
        Some((by, true)) => format!("approved, asked by {asked}, decided by {by}"),
        Some((by, false)) => format!("rejected, asked by {asked}, decided by {by}"),
    }
}

/// Every field any of the exception page's forms sends; which ones a command needs depends on `action`.
#[derive(Deserialize)]
pub(super) struct ActForm {
    pub(super) csrf: String,
    pub(super) action: ActionKind,
    assignee: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    status: Option<WorkStatus>,
    #[serde(default, deserialize_with = "empty_as_none")]
    root_cause: Option<RootCause>,
    note: Option<String>,
    reason: Option<String>,
    text: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    resolution: Option<Resolution>,
    hours: Option<String>,
    task: Option<u64>,
    approve: Option<bool>,
}

impl ActForm {
    fn required<T: Copy>(&self, name: &str, value: Option<T>) -> Outcome<T> {
        value.ok_or_else(|| Failure::bad_request(format!("{}: {name} is required", self.action.name())))
    }

    /// A text field with something in it, trimmed.
    fn field(&self, name: &str, value: &Option<String>) -> Outcome<String> {
        self.required(name, non_empty(value)).map(|text| text.trim().to_owned())
    }

    /// An optional text field, empty when absent.
    fn optional(value: &Option<String>) -> String {
        non_empty(value).unwrap_or("").to_owned()
    }

    /// The action the form asks for; `now` is when a snooze starts.
    pub(super) fn to_action(&self, now: DateTime<FixedOffset>) -> Outcome<Action> {
        Ok(match self.action {
            ActionKind::Acknowledge => Action::Acknowledge,
            ActionKind::Assign => Action::Assign {
                assignee: self.field("assignee", &self.assignee)?,
            },
            ActionKind::Comment => Action::Comment {
                text: self.field("text", &self.text)?,
            },
            ActionKind::SetStatus => Action::SetStatus {
                status: self.required("status", self.status)?,
            },
            ActionKind::Resolve => Action::Resolve {
                root_cause: self.required("root_cause", self.root_cause)?,
                note: self.field("note", &self.note)?,
                resolution: self.resolution,
            },
            ActionKind::Snooze => Action::Snooze {
                until: now + chrono::Duration::hours(self.snooze_hours()?),
            },
            ActionKind::RequestApproval => Action::RequestApproval {
                reason: self.field("reason", &self.reason)?,
            },
            ActionKind::Approve => Action::Approve {
                note: Self::optional(&self.note),
            },
            ActionKind::Reject => Action::Reject {
                note: self.field("note", &self.note)?,
            },
            ActionKind::DecideTask => Action::DecideTask {
                task: self.task.ok_or_else(|| Failure::bad_request("task: which task"))?,
                approve: self.approve.unwrap_or(false),
                note: Self::optional(&self.note),
            },
            ActionKind::ResendTask => Action::ResendTask {
                task: self.task.ok_or_else(|| Failure::bad_request("task: which task"))?,
            },
            ActionKind::Dismiss => Action::Dismiss {
                reason: self.field("reason", &self.reason)?,
            },
            ActionKind::Reopen => Action::Reopen {
                note: Self::optional(&self.note),
            },
            ActionKind::AttachEvidence | ActionKind::TaskDelivered | ActionKind::TaskExported => {
                return Err(Failure::bad_request(format!(
                    "action: {} is not sent from this page",
                    self.action
                )));
            }
        })
    }

    fn snooze_hours(&self) -> Outcome<i64> {
        self.field("hours", &self.hours)?
            .parse()
            .ok()
            .filter(|hours| (1..=24 * 30).contains(hours))
            .ok_or_else(|| Failure::bad_request("hours: a whole number of hours, 1 to 720"))
    }
}

pub(super) async fn act(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    form: Result<Form<ActForm>, FormRejection>,
) -> Response {
    let acted = async {
        let Form(form) = form.map_err(|rejection| Failure::bad_request(rejection.body_text()))?;
        check_csrf(&user, &form.csrf)?;
        let clock = Arc::clone(&state);
        let now = state.read(move |engine| Ok(clock.now_datetime(engine))).await?;
        let action = form.to_action(now)?;
        let name = action.name();
        state.act(&user.principal, id, action, None).await?;
        Ok::<_, Failure>(name)
    }
    .await;
    match acted {
        Ok(name) => back_with_notice(
            &format!("/exceptions/{id}"),
            &format!("Done: {}", name.replace('_', " ")),
        ),
        Err(failure) => back_with_refusal(id, &failure),
    }
}

/// Back to the exception with a refusal shown as an error (the exception's state or the form's fields did not
/// allow it); anything else, a forbidden request (a stale form, a role the page would not offer the button to)
/// or a failure of the server, is a page of its own.
fn back_with_refusal(id: u64, failure: &Failure) -> Response {
    match failure.kind {
        FailureKind::Conflict | FailureKind::BadRequest | FailureKind::Unprocessable => {
            back_with_error(&format!("/exceptions/{id}"), &failure.message)
        }
        _ => error_page(failure),
    }
}

/// The evidence form: a CSRF token and one file.
pub(super) async fn attach_evidence(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    mut form: Multipart,
) -> Response {
    let attached = async {
        let mut csrf = None;
        let mut file = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|error| Failure::bad_request(format!("the upload is malformed: {error}")))?
        {
            match field.name() {
                Some("csrf") => csrf = field.text().await.ok(),
                Some("file") => {
                    let name = field.file_name().unwrap_or("evidence").to_owned();
                    let media_type = field.content_type().map(str::to_owned);
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|error| Failure::bad_request(format!("file: {error}")))?;
                    file = Some((name, media_type, bytes.to_vec()));
                }
                _ => {}
            }
        }
        check_csrf(&user, csrf.as_deref().unwrap_or(""))?;
        let (name, media_type, bytes) = file.ok_or_else(|| Failure::bad_request("file: choose a file to attach"))?;
        let action = state
            .keep_evidence(&user.principal, id, name.clone(), media_type.as_deref(), bytes)
            .await?;
        state.act(&user.principal, id, action, None).await?;
        Ok::<_, Failure>(name)
    }
    .await;
    match attached {
        Ok(name) => back_with_notice(&format!("/exceptions/{id}"), &format!("Attached {name}")),
        Err(failure) => back_with_refusal(id, &failure),
    }
}
