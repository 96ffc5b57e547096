//! One exception's page: what it is, its timeline, tasks and incident, and the forms that work it (each a
//! workflow command through the same checks and log as the API), including attaching evidence.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use retex_core::codes::Timestamp;
use retex_core::command::{Action, ActionKind, Resolution, RootCause, WorkStatus};
use retex_core::engine::{ExceptionView, Suggestion, TaskView, TeamMember, TimelineView};
use serde::Deserialize;

use super::incidents::IncidentSummary;
use super::page::{
    NoticeQuery, PageUser, UserBar, back_with_notice, check_csrf, error_page, non_empty, page, place, shown,
};
use crate::error::{Failure, FailureKind, Outcome};
use crate::params::empty_as_none;
use crate::scope::{visible_exception, visible_incident};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "exception.html")]
struct ExceptionPage<'a> {
    user: Option<UserBar>,
    notice: Option<String>,
    e: ExceptionView<'a>,
    place: String,
    impact: String,
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
    approval_pending: bool,
    /// The exception's team as the assign form offers it, those on shift first; empty when the rules name no
    /// members, and the form takes any name.
    roster: Vec<RosterChoice>,
    tasks: Vec<TaskView<'a>>,
    timeline: Vec<TimelineView<'a>>,
    incident: Option<IncidentSummary>,
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
            .read(move |live| {
                let incident_id = {
                    let engine = live.engine();
                    let record = visible_exception(engine, &user.principal, id)?;
                    engine.exception_view(record).incident
                };
                let incident = visible_incident(live.engine(), &user.principal, incident_id)
                    .ok()
                    .map(|seen| IncidentSummary::of(&seen, id));
                let engine = live.engine();
                let (e, timeline) = engine.exception_detail(id).expect("checked above");
                let suggestions = engine.suggestions(id);
                let first = suggestions.first();
                page(&ExceptionPage {
                    user: UserBar::of(&user),
                    notice: query.notice,
                    place: place(&e),
                    impact: e.impact.0.round_dp(2).to_string(),
                    assignee: e.assignee.unwrap_or("nobody yet").to_owned(),
                    root_cause: e.root_cause.unwrap_or("not given yet").to_owned(),
                    active: engine
                        .exception_record(id)
                        .is_some_and(|record| record.status.is_active()),
                    can_act: user.principal.role.can_act(),
                    csrf: user.csrf.clone(),
                    root_causes: form_choices(&RootCause::NAMES, first.map(|first| first.root_cause.name())),
                    resolutions: form_choices(
                        &Resolution::NAMES,
                        first.and_then(|first| first.resolution).map(Resolution::name),
                    ),
                    suggested_from: first.map(|first| first.similar_to.clone()).unwrap_or_default(),
                    suggestions: suggestions.iter().map(SuggestionLine::of).collect(),
                    approval_pending: e.approval.as_ref().is_some_and(|approval| approval.state == "pending"),
                    roster: engine
                        .team_roster(e.team, engine.clock().unwrap_or(Timestamp(0)))
                        .iter()
                        .map(RosterChoice::of)
                        .collect(),
                    tasks: engine
                        .tasks()
                        .iter()
                        .filter(|task| task.exception == id)
                        .map(|task| engine.task_view(task))
                        .collect(),
                    e,
                    timeline,
                    incident,
                })
            })
            .await,
    )
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
        let now = state.read(move |live| Ok(clock.now_datetime(live.engine()))).await?;
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
        Err(failure) if failure.kind == FailureKind::Conflict || failure.kind == FailureKind::BadRequest => {
            back_with_notice(&format!("/exceptions/{id}"), &failure.message)
        }
        Err(failure) => error_page(&failure),
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
        Err(failure) if failure.kind == FailureKind::BadRequest || failure.kind == FailureKind::Conflict => {
            back_with_notice(&format!("/exceptions/{id}"), &failure.message)
        }
        Err(failure) => error_page(&failure),
    }
}
