//! The web UI: server-rendered pages (askama templates, compiled into the binary with the stylesheet) and plain
//! HTML forms. Pages work without JavaScript; every form carries the session's CSRF token, and every action
//! goes through the same checks and log as the API, then redirects back with a notice.

mod charts;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use retex_core::command::{Action, Resolution, RootCause, WorkStatus};
use retex_core::engine::{
    Engine, ExceptionOrder, ExceptionQuery, ExceptionView, IncidentView, Kpis, StatusFilter, TaskView, TimelineView,
};
use retex_core::rules::ExceptionType;
use serde::Deserialize;

use crate::api::{IncidentParams, parse_severity, visible_incident, visible_incidents};
use crate::auth::{Principal, SESSION_COOKIE, SESSION_SECONDS, verify_password};
use crate::error::{Failure, FailureKind, Outcome};
use crate::extract::PageUser;
use crate::state::{AppState, UI_SOURCE, visible_exception};
use charts::{Bar, bar_chart};

/// Rows per queue page.
const QUEUE_PAGE_ROWS: usize = 100;
/// Inputs shown on an incident's trace, at most.
const TRACE_STEPS_MAX: usize = 80;
/// Longest event body shown on a trace step.
const TRACE_BODY_CHARS_MAX: usize = 240;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/queue", get(queue))
        .route("/dashboard", get(dashboard))
        .route("/exceptions/{id}", get(exception_page))
        .route("/exceptions/{id}/act", post(act))
        .route("/exceptions/{id}/evidence", post(attach_evidence))
        .route("/incidents", get(incidents_page))
        .route("/incidents/{id}", get(incident_page))
        .route("/store", get(store_page))
        .route("/store/count", post(submit_count))
        .route("/store/receive", post(confirm_receipt))
        .route("/rules", get(rules_page))
        .route("/assets/app.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
}

/// Who is logged in, as the page header shows them.
pub struct UserBar {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
}

impl UserBar {
    fn of(user: &PageUser) -> Option<Self> {
        Some(Self {
            name: user.principal.name.clone(),
            role: user.principal.role.name(),
            csrf: user.csrf.clone(),
        })
    }
}

/// Renders a page, or the error page when the template fails.
fn page(template: &impl Template) -> Outcome<Response> {
    let html = template
        .render()
        .map_err(|error| Failure::internal("could not render the page", &error))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    user: Option<UserBar>,
    notice: Option<String>,
    status: String,
    message: String,
}

/// A failure as a page, with its status.
pub fn error_page(failure: &Failure) -> Response {
    let status = failure.status();
    let template = ErrorPage {
        user: None,
        notice: None,
        status: format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
        message: failure.message.clone(),
    };
    let html = template.render().unwrap_or_else(|_| failure.message.clone());
    (status, Html(html)).into_response()
}

/// Turns a failure into a page; an unauthenticated one goes to the login page.
fn shown(outcome: Outcome<Response>) -> Response {
    outcome.unwrap_or_else(|failure| error_page(&failure))
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Back to a page with a notice, after a form (303, so a reload does not post again).
fn back_with_notice(path: &str, notice: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}notice={}", url_encode(notice))).into_response()
}

/// Checks the CSRF token of a form posted under the request's session.
fn check_csrf(user: &PageUser, token: &str) -> Outcome<()> {
    if user.csrf.len() == token.len() && user.csrf == token {
        return Ok(());
    }
    Err(Failure::forbidden(
        "the form is stale or came from another site: reload the page and try again",
    ))
}

// ---- login ----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<UserBar>,
    notice: Option<String>,
    next: String,
    problem: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

async fn login_page(Query(query): Query<LoginQuery>) -> Response {
    shown(page(&LoginPage {
        user: None,
        notice: query.notice,
        next: safe_next(query.next.as_deref()),
        problem: None,
    }))
}

/// A redirect target after login: a local path only, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/queue".to_owned(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

/// The client's address (unknown in tests that call the router directly).
struct ClientAddress(IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        Ok(Self(address))
    }
}

async fn login(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let refused = |status: StatusCode, problem: String| {
        let template = LoginPage {
            user: None,
            notice: None,
            next: next.clone(),
            problem: Some(problem),
        };
        (status, shown(page(&template))).into_response()
    };
    if let Some(wait) = state.limiter.blocked_for(address, &form.name, Instant::now()) {
        let mut response = refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed logins: try again in {} minute(s).",
                wait.as_secs().div_ceil(60)
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        return response;
    }
    let account = match state.account(form.name.clone()).await {
        Ok(account) => account,
        Err(failure) => return error_page(&failure),
    };
    let password = form.password;
    let verified = match account {
        // Verifying is deliberately slow (argon2): keep it off the async workers.
        Some(account) if account.kind == retex_store::AccountKind::User => {
            let stored = account.secret_hash.clone();
            tokio::task::spawn_blocking(move || verify_password(&password, &stored))
                .await
                .unwrap_or(false)
        }
        _ => false,
    };
    if !verified {
        state.limiter.record_failure(address, &form.name, Instant::now());
        return refused(StatusCode::UNAUTHORIZED, "Unknown name or wrong password.".to_owned());
    }
    state.limiter.record_success(address, &form.name);
    let expires = chrono::Utc::now().timestamp() + SESSION_SECONDS;
    let cookie = state.keys.session_cookie(&form.name, expires);
    let set_cookie = format!("{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}");
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(user: PageUser, Form(form): Form<CsrfForm>) -> Response {
    if let Err(failure) = check_csrf(&user, &form.csrf) {
        return error_page(&failure);
    }
    let mut response = Redirect::to("/login?notice=Logged%20out").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("retex_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

// ---- queue ----

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    user: Option<UserBar>,
    notice: Option<String>,
    tabs: Vec<Tab>,
    view: String,
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

#[derive(Deserialize, Default)]
struct QueueQuery {
    view: Option<String>,
    #[serde(rename = "type")]
    exception_type: Option<String>,
    location: Option<String>,
    severity: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// Where an exception is: location, SKU and document, as one short text.
fn place(view: &ExceptionView<'_>) -> String {
    view.place(" · ")
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

fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|text| !text.trim().is_empty())
}

async fn queue(State(state): State<Arc<AppState>>, user: PageUser, Query(query): Query<QueueQuery>) -> Response {
    let clock = Arc::clone(&state);
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let principal = &user.principal;
                let default_view = if principal.team.is_some() { "team" } else { "all" };
                let view = query.view.clone().unwrap_or_else(|| default_view.to_owned());
                let severity = non_empty(&query.severity).map(parse_severity).transpose()?;
                let after = non_empty(&query.cursor).and_then(retex_core::engine::Cursor::decode);
                let engine_query = ExceptionQuery {
                    status: StatusFilter::Active,
                    exception_type: non_empty(&query.exception_type),
                    location: non_empty(&query.location),
                    severity,
                    assignee: (view == "mine").then_some(principal.name.as_str()),
                    team: if view == "team" {
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
                    .map(|exception| {
                        let summary = engine.exception_summary(exception.id).expect("listed");
                        let (due, overdue) = relative(summary.next_due.0, now);
                        QueueRow {
                            id: exception.id,
                            exception_type: exception.exception_type.to_owned(),
                            place: place(exception),
                            severity: exception.severity,
                            impact: exception.impact.0.round_dp(2).to_string(),
                            due,
                            overdue,
                            status: exception.status,
                            assignee: exception.assignee.unwrap_or("").to_owned(),
                        }
                    })
                    .collect();
                let filters = format!(
                    "type={}&location={}&severity={}",
                    url_encode(non_empty(&query.exception_type).unwrap_or("")),
                    url_encode(non_empty(&query.location).unwrap_or("")),
                    url_encode(non_empty(&query.severity).unwrap_or("")),
                );
                let mut tabs = vec![Tab {
                    label: "Assigned to me",
                    href: format!("/queue?view=mine&{filters}"),
                    current: view == "mine",
                }];
                if principal.team.is_some() {
                    tabs.push(Tab {
                        label: "My team",
                        href: format!("/queue?view=team&{filters}"),
                        current: view == "team",
                    });
                }
                tabs.push(Tab {
                    label: if principal.scope.is_some() {
                        "My locations"
                    } else {
                        "Everything"
                    },
                    href: format!("/queue?view=all&{filters}"),
                    current: view == "all",
                });
                let selected_severity = severity.map(|severity| severity.name());
                page(&QueuePage {
                    user: UserBar::of(&user),
                    notice: query.notice.clone(),
                    next_page: result
                        .next_cursor
                        .map(|cursor| format!("/queue?view={view}&{filters}&cursor={}", cursor.encode())),
                    tabs,
                    view,
                    type_names: ExceptionType::ALL.iter().map(|kind| kind.name()).collect(),
                    filter_type: non_empty(&query.exception_type).unwrap_or("").to_owned(),
                    filter_location: non_empty(&query.location).unwrap_or("").to_owned(),
                    severities: ["low", "medium", "high", "critical"]
                        .into_iter()
                        .map(|name| (name, selected_severity == Some(name)))
                        .collect(),
                    total: result.total,
                    rows,
                })
            })
            .await,
    )
}

// ---- exception and incident ----

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
    root_causes: Vec<&'static str>,
    resolutions: Vec<&'static str>,
    approval_pending: bool,
    tasks: Vec<TaskView<'a>>,
    timeline: Vec<TimelineView<'a>>,
    incident: Option<IncidentPanel>,
}

/// An incident with its members and the trace of the inputs that raised them.
struct IncidentPanel {
    id: u64,
    opened_at: String,
    root_cause: u64,
    root_cause_type: String,
    impact: String,
    open: bool,
    members: Vec<MemberRow>,
    trace: Vec<TraceStep>,
}

struct MemberRow {
    id: u64,
    exception_type: String,
    place: String,
    status: &'static str,
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

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

/// The incident's members and the log entries that caused them, read from the log.
fn incident_panel(live: &retex_store::LiveEngine, incident_id: u64) -> Outcome<Option<IncidentPanel>> {
    let engine = live.engine();
    let Some(incident) = engine.incident(incident_id) else {
        return Ok(None);
    };
    let mut causes: Vec<(u64, Vec<u64>)> = Vec::new();
    for &member in incident.exceptions {
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
    let mut panel = panel_of(engine, &incident);
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
        panel.trace.push(TraceStep {
            at: retex_core::codes::Timestamp(entry.at_ms).to_rfc3339(),
            seq,
            source: entry.source,
            kind: entry.kind,
            body,
            raised: raised.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", "),
        });
    }
    panel.trace.sort_by(|a, b| (&a.at, a.seq).cmp(&(&b.at, b.seq)));
    Ok(Some(panel))
}

fn panel_of(engine: &Engine, incident: &IncidentView<'_>) -> IncidentPanel {
    IncidentPanel {
        id: incident.id,
        opened_at: incident.opened_at.clone(),
        root_cause: incident.root_cause,
        root_cause_type: incident.root_cause_type.to_owned(),
        impact: incident.impact.0.round_dp(2).to_string(),
        open: incident.open,
        members: incident
            .exceptions
            .iter()
            .filter_map(|&id| engine.exception_detail(id))
            .map(|(member, _)| MemberRow {
                id: member.id,
                exception_type: member.exception_type.to_owned(),
                place: place(&member),
                status: member.status,
                impact: member.impact.0.round_dp(2).to_string(),
                is_root: member.id == incident.root_cause,
            })
            .collect(),
        trace: Vec::new(),
    }
}

async fn exception_page(
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
                let incident = incident_panel(live, incident_id)?;
                let engine = live.engine();
                let (e, timeline) = engine.exception_detail(id).expect("checked above");
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
                    root_causes: RootCause::ALL.iter().map(|cause| cause.name()).collect(),
                    resolutions: Resolution::ALL.iter().map(|resolution| resolution.name()).collect(),
                    approval_pending: e.approval.as_ref().is_some_and(|approval| approval.state == "pending"),
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

#[derive(Deserialize)]
struct ActForm {
    csrf: String,
    action: String,
    assignee: Option<String>,
    status: Option<String>,
    root_cause: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    text: Option<String>,
    resolution: Option<String>,
    hours: Option<String>,
    task: Option<u64>,
    approve: Option<bool>,
}

impl ActForm {
    fn field(&self, name: &str, value: &Option<String>) -> Outcome<String> {
        non_empty(value)
            .map(|text| text.trim().to_owned())
            .ok_or_else(|| Failure::bad_request(format!("{}: {name} is required", self.action)))
    }

    /// The action the form asks for; `now` is when a snooze starts.
    fn to_action(&self, now: chrono::DateTime<chrono::FixedOffset>) -> Outcome<Action> {
        Ok(match self.action.as_str() {
            "acknowledge" => Action::Acknowledge,
            "assign" => Action::Assign {
                assignee: self.field("assignee", &self.assignee)?,
            },
            "comment" => Action::Comment {
                text: self.field("text", &self.text)?,
            },
            "set_status" => Action::SetStatus {
                status: match self.field("status", &self.status)?.as_str() {
                    "in_progress" => WorkStatus::InProgress,
                    "waiting_supplier" => WorkStatus::WaitingSupplier,
                    "waiting_customer" => WorkStatus::WaitingCustomer,
                    other => {
                        return Err(Failure::bad_request(format!(
                            "status: {other:?} is not a working status"
                        )));
                    }
                },
            },
            "resolve" => Action::Resolve {
                root_cause: RootCause::from_name(&self.field("root_cause", &self.root_cause)?)
                    .ok_or_else(|| Failure::bad_request("root_cause: not a root-cause code"))?,
                note: self.field("note", &self.note)?,
                resolution: non_empty(&self.resolution)
                    .map(|name| {
                        Resolution::from_name(name)
                            .ok_or_else(|| Failure::bad_request("resolution: not a resolution code"))
                    })
                    .transpose()?,
            },
            "snooze" => {
                let hours: i64 = self
                    .field("hours", &self.hours)?
                    .parse()
                    .ok()
                    .filter(|hours| (1..=24 * 30).contains(hours))
                    .ok_or_else(|| Failure::bad_request("hours: a whole number of hours, 1 to 720"))?;
                Action::Snooze {
                    until: now + chrono::Duration::hours(hours),
                }
            }
            "request_approval" => Action::RequestApproval {
                reason: self.field("reason", &self.reason)?,
            },
            "approve" => Action::Approve {
                note: non_empty(&self.note).unwrap_or("").to_owned(),
            },
            "reject" => Action::Reject {
                note: self.field("note", &self.note)?,
            },
            "decide_task" => Action::DecideTask {
                task: self.task.ok_or_else(|| Failure::bad_request("task: which task"))?,
                approve: self.approve.unwrap_or(false),
                note: non_empty(&self.note).unwrap_or("").to_owned(),
            },
            "dismiss" => Action::Dismiss {
                reason: self.field("reason", &self.reason)?,
            },
            "reopen" => Action::Reopen {
                note: non_empty(&self.note).unwrap_or("").to_owned(),
            },
            other => return Err(Failure::bad_request(format!("{other:?} is not an action"))),
        })
    }
}

async fn act(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(id): Path<u64>,
    Form(form): Form<ActForm>,
) -> Response {
    let acted = async {
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
async fn attach_evidence(
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
    impact: String,
}

async fn incidents_page(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    shown(
        state
            .read(move |live| {
                let params = IncidentParams {
                    min_exceptions: Some(2),
                    open: Some(true),
                };
                let mut incidents: Vec<IncidentRow> = visible_incidents(live.engine(), &user.principal, &params)
                    .into_iter()
                    .map(|incident| IncidentRow {
                        id: incident.id,
                        opened_at: incident.opened_at.clone(),
                        root_cause: incident.root_cause,
                        root_cause_type: incident.root_cause_type.to_owned(),
                        types: incident.types.join(", "),
                        count: incident.exceptions.len(),
                        impact: incident.impact.0.round_dp(2).to_string(),
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

async fn incident_page(State(state): State<Arc<AppState>>, user: PageUser, Path(id): Path<u64>) -> Response {
    shown(
        state
            .read(move |live| {
                visible_incident(live.engine(), &user.principal, id)?;
                let incident = incident_panel(live, id)?.expect("the incident exists");
                page(&IncidentPage {
                    user: UserBar::of(&user),
                    notice: None,
                    incident,
                })
            })
            .await,
    )
}

// ---- dashboard ----

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    user: Option<UserBar>,
    notice: Option<String>,
    k: Kpis,
    scoped: bool,
    ack_compliance: String,
    resolve_compliance: String,
    mtta: String,
    mttr: String,
    repeat_rate: String,
    category_chart: String,
    aging_chart: String,
    sla_chart: String,
    pareto_chart: String,
    store_chart: String,
    root_causes: Vec<(&'static str, u64, String)>,
    stores: Vec<(String, u64, u64, String, bool)>,
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |share| format!("{:.1}%", share * 100.0))
}

fn hours(value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(hours) if hours < 48.0 => format!("{hours:.1} h"),
        Some(hours) => format!("{:.1} d", hours / 24.0),
    }
}

fn dashboard_page(user: &PageUser, k: Kpis) -> DashboardPage {
    let category_bars: Vec<Bar> = k
        .open_by_category
        .iter()
        .map(|row| Bar {
            label: row.category.clone(),
            segments: vec![
                (row.low as f64, charts::LOW),
                (row.medium as f64, charts::MEDIUM),
                (row.high as f64, charts::HIGH),
                (row.critical as f64, charts::CRITICAL),
            ],
            value_text: row.total.to_string(),
        })
        .collect();
    let aging_bars: Vec<Bar> = k
        .aging
        .iter()
        .map(|bucket| {
            Bar::single(
                bucket.label,
                bucket.open as f64,
                charts::NEUTRAL,
                bucket.open.to_string(),
            )
        })
        .collect();
    let sla_bars: Vec<Bar> = [("acknowledge", k.ack_compliance), ("resolve", k.resolve_compliance)]
        .into_iter()
        .map(|(label, share)| Bar::single(label, share.unwrap_or(0.0), charts::LOW, percent(share)))
        .collect();
    let pareto_bars: Vec<Bar> = k
        .root_causes
        .iter()
        .map(|row| {
            Bar::single(
                row.root_cause,
                row.count as f64,
                charts::HIGH,
                format!("{} (cum. {:.0}%)", row.count, row.cumulative_share * 100.0),
            )
        })
        .collect();
    let store_bars: Vec<Bar> = k
        .stores
        .iter()
        .map(|store| {
            let rate = store.per_thousand_sale_lines.unwrap_or(0.0);
            let color = if store.outlier {
                charts::CRITICAL
            } else {
                charts::NEUTRAL
            };
            Bar::single(store.location.clone(), rate, color, format!("{rate:.2}"))
        })
        .collect();
    DashboardPage {
        user: UserBar::of(user),
        notice: None,
        scoped: user.principal.scope.is_some(),
        ack_compliance: percent(k.ack_compliance),
        resolve_compliance: percent(k.resolve_compliance),
        mtta: hours(k.mtta_hours),
        mttr: hours(k.mttr_hours),
        repeat_rate: percent(k.repeat_rate),
        category_chart: bar_chart(&category_bars, None),
        aging_chart: bar_chart(&aging_bars, None),
        sla_chart: bar_chart(&sla_bars, Some(1.0)),
        pareto_chart: bar_chart(&pareto_bars, None),
        store_chart: bar_chart(&store_bars, None),
        root_causes: k
            .root_causes
            .iter()
            .map(|row| {
                (
                    row.root_cause,
                    row.count,
                    format!("{:.0}%", row.cumulative_share * 100.0),
                )
            })
            .collect(),
        stores: k
            .stores
            .iter()
            .map(|store| {
                (
                    store.location.clone(),
                    store.exceptions,
                    store.sale_lines,
                    store
                        .per_thousand_sale_lines
                        .map_or_else(|| "–".to_owned(), |rate| format!("{rate:.2}")),
                    store.outlier,
                )
            })
            .collect(),
        k,
    }
}

async fn dashboard(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    let clock = Arc::clone(&state);
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let kpis = engine.kpis(clock.now(engine), user.principal.scope.as_deref());
                page(&dashboard_page(&user, kpis))
            })
            .await,
    )
}

// ---- store page ----

#[derive(Template)]
#[template(path = "store.html")]
struct StorePage<'a> {
    user: Option<UserBar>,
    notice: Option<String>,
    location: String,
    locations: Vec<(String, bool)>,
    csrf: String,
    inbound: Vec<InboundCard<'a>>,
    open: Vec<(u64, &'a str, String, &'static str)>,
    /// SKUs to count, with the exception that asked.
    recounts: Vec<(&'a str, u64)>,
}

struct InboundCard<'a> {
    transfer: &'a str,
    from: &'a str,
    expected: Option<String>,
    lines: Vec<(&'a str, String)>,
}

#[derive(Deserialize)]
struct StoreQuery {
    location: Option<String>,
    notice: Option<String>,
}

/// The stores a principal may work for: its scope, or every store.
fn stores_of(engine: &Engine, principal: &Principal) -> Vec<String> {
    match &principal.scope {
        Some(scope) => scope.clone(),
        None => engine.store_codes(),
    }
}

async fn store_page(State(state): State<Arc<AppState>>, user: PageUser, Query(query): Query<StoreQuery>) -> Response {
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let stores = stores_of(engine, &user.principal);
                let location = match non_empty(&query.location) {
                    Some(code) => code.to_owned(),
                    None => stores
                        .first()
                        .cloned()
                        .ok_or_else(|| Failure::not_found("no store is known yet"))?,
                };
                if !user.principal.sees_location(Some(&location)) {
                    return Err(Failure::forbidden(format!(
                        "{} may not work for location {location}",
                        user.principal.name
                    )));
                }
                let inbound = engine
                    .inbound_transfers(&location)
                    .into_iter()
                    .map(|transfer| InboundCard {
                        transfer: transfer.transfer,
                        from: transfer.from.unwrap_or("?"),
                        expected: transfer.expected,
                        lines: transfer
                            .lines
                            .into_iter()
                            .map(|(sku, qty)| (sku, qty.to_string()))
                            .collect(),
                    })
                    .collect();
                let scope = [location.clone()];
                let open = engine
                    .query_exceptions(&ExceptionQuery {
                        scope: Some(&scope),
                        order: ExceptionOrder::SlaRisk,
                        limit: 50,
                        ..ExceptionQuery::default()
                    })
                    .items
                    .into_iter()
                    .map(|view| (view.id, view.exception_type, place(&view), view.severity))
                    .collect();
                let recounts = engine
                    .tasks()
                    .iter()
                    .filter(|task| task.kind.name() == "recount" && task.status.is_waiting())
                    .map(|task| engine.task_view(task))
                    .filter(|task| task.location == Some(location.as_str()))
                    .filter_map(|task| Some((task.sku?, task.exception)))
                    .collect();
                page(&StorePage {
                    user: UserBar::of(&user),
                    notice: query.notice,
                    recounts,
                    locations: stores.iter().map(|code| (code.clone(), *code == location)).collect(),
                    location,
                    csrf: user.csrf.clone(),
                    inbound,
                    open,
                })
            })
            .await,
    )
}

#[derive(Deserialize)]
struct CountForm {
    csrf: String,
    location: String,
    sku: String,
    counted: String,
}

/// A new event id for something entered on the shop floor.
fn ui_event_id(kind: &str, user: &str) -> String {
    let mut nonce = [0u8; 6];
    // Without randomness the id still carries the user and the microsecond.
    let _ = getrandom::fill(&mut nonce);
    let nonce: String = nonce.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{kind}:{user}:{}:{nonce}", chrono::Utc::now().timestamp_micros())
}

fn store_return(location: &str) -> String {
    format!("/store?location={}", url_encode(location))
}

async fn submit_count(State(state): State<Arc<AppState>>, user: PageUser, Form(form): Form<CountForm>) -> Response {
    let back = store_return(&form.location);
    let recorded = async {
        check_csrf(&user, &form.csrf)?;
        let sku = form.sku.trim();
        let known = {
            let sku = sku.to_owned();
            state.read(move |live| Ok(live.engine().sku_id(&sku).is_some())).await?
        };
        if !known {
            return Err(Failure::bad_request(format!(
                "{sku}: no product has this SKU or barcode"
            )));
        }
        let counted: serde_json::Number = form
            .counted
            .trim()
            .parse()
            .map_err(|_| Failure::bad_request(format!("counted: {:?} is not a number", form.counted)))?;
        let event = serde_json::json!({
            "id": ui_event_id("count", &user.principal.name),
            "source": UI_SOURCE,
            "type": "count",
            "at": chrono::Utc::now().to_rfc3339(),
            "location": form.location,
            "sku": sku,
            "counted": counted,
        });
        state
            .record_event(&user.principal, &form.location, event.to_string())
            .await?;
        Ok(format!("Count of {sku} recorded: {counted}"))
    }
    .await;
    finish_store_form(&back, recorded)
}

#[derive(Deserialize)]
struct ReceiveForm {
    csrf: String,
    location: String,
    transfer: String,
}

async fn confirm_receipt(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(form): Form<ReceiveForm>,
) -> Response {
    let back = store_return(&form.location);
    let recorded = async {
        check_csrf(&user, &form.csrf)?;
        let (location, transfer) = (form.location.clone(), form.transfer.clone());
        let lines = state
            .read(move |live| {
                let inbound = live.engine().inbound_transfers(&location);
                let found = inbound
                    .iter()
                    .find(|candidate| candidate.transfer == transfer)
                    .ok_or_else(|| Failure::bad_request(format!("{transfer}: not on its way to {location}")))?;
                Ok(found
                    .lines
                    .iter()
                    .map(|(sku, qty)| serde_json::json!({"sku": sku, "qty": qty.0}))
                    .collect::<Vec<_>>())
            })
            .await?;
        let event = serde_json::json!({
            "id": ui_event_id("receive", &user.principal.name),
            "source": UI_SOURCE,
            "type": "transfer_received",
            "at": chrono::Utc::now().to_rfc3339(),
            "transfer": form.transfer,
            "location": form.location,
            "lines": lines,
        });
        state
            .record_event(&user.principal, &form.location, event.to_string())
            .await?;
        Ok(format!("Transfer {} received", form.transfer))
    }
    .await;
    finish_store_form(&back, recorded)
}

fn finish_store_form(back: &str, recorded: Outcome<String>) -> Response {
    match recorded {
        Ok(notice) => back_with_notice(back, &notice),
        Err(failure) if failure.kind == FailureKind::BadRequest => back_with_notice(back, &failure.message),
        Err(failure) => error_page(&failure),
    }
}

// ---- rules ----

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    user: Option<UserBar>,
    notice: Option<String>,
    version: String,
    text: String,
}

async fn rules_page(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    let text = state.rules_text.clone();
    shown(
        state
            .read(move |live| {
                page(&RulesPage {
                    user: UserBar::of(&user),
                    notice: None,
                    version: live.engine().rules_version().to_owned(),
                    text,
                })
            })
            .await,
    )
}
