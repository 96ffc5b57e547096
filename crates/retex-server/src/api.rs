//! The JSON API under `/api/v1`. Every handler checks the caller's role and location scope, and answers errors as
//! `{"error": {"code", "message"}}` (see [`crate::error`]). The routes and their schemas are listed once, in
//! [`crate::openapi`], which also serves them as an OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use retex_core::codes::Timestamp;
use retex_core::command::Action;
use retex_core::engine::{
    Cursor, Engine, ExceptionOrder, ExceptionQuery, ExceptionView, InboundTransfer, IncidentView, Kpis, StatusFilter,
    StockRow, TaskView, TimelineView,
};
use retex_core::rules::Severity;
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::error::{Failure, Outcome};
use crate::extract::{ApiPath, ApiUser};
use crate::state::{AppState, IngestReport, require_act, visible_exception};

/// Largest page of exceptions or stock rows.
pub const PAGE_LIMIT_MAX: usize = 1_000;
const PAGE_LIMIT_DEFAULT: usize = 50;
/// The header that carries a command's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Query parameters of `GET /api/v1/exceptions`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionParams {
    /// `active` (default: not resolved or dismissed), `all`, `closed`, or one status name.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(extend("enum" = ["active", "all", "closed", "open", "in_progress", "waiting_supplier", "waiting_customer", "resolved", "dismissed"]))]
    pub status: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "empty_as_none")]
    pub exception_type: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub team: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub location: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(extend("enum" = ["low", "medium", "high", "critical"]))]
    pub severity: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub assignee: Option<String>,
    /// Opened at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(extend("format" = "date-time"))]
    pub opened_from: Option<String>,
    /// Opened before this instant (RFC 3339).
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(extend("format" = "date-time"))]
    pub opened_to: Option<String>,
    /// `newest` (default), `oldest`, `sla_risk` or `impact`.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(extend("enum" = ["newest", "oldest", "sla_risk", "impact"]))]
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(regex(pattern = r"^-?[0-9]+_-?[0-9]+_[0-9]+$"))]
    pub cursor: Option<String>,
    /// Rows per page, 1 to 1000 (default 50).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<usize>,
}

/// An empty query value (`?status=`, as an HTML form sends an unset field) means the parameter is absent.
fn empty_as_none<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|text| !text.is_empty()))
}

/// The statuses a filter may name.
const STATUS_NAMES: [&str; 6] = [
    "open",
    "in_progress",
    "waiting_supplier",
    "waiting_customer",
    "resolved",
    "dismissed",
];

impl ExceptionParams {
    /// The engine query these parameters ask for, limited to what `principal` may see.
    pub fn to_query<'q>(&'q self, principal: &'q Principal) -> Outcome<ExceptionQuery<'q>> {
        let status = match self.status.as_deref() {
            None | Some("active") => StatusFilter::Active,
            Some("all") => StatusFilter::All,
            Some("closed") => StatusFilter::Closed,
            Some(name) => {
                StatusFilter::Exactly(STATUS_NAMES.into_iter().find(|known| *known == name).ok_or_else(|| {
                    Failure::bad_request(format!(
                        "status: {name:?} is not one of active, all, closed, {}",
                        STATUS_NAMES.join(", ")
                    ))
                })?)
            }
        };
        let severity = self.severity.as_deref().map(parse_severity).transpose()?;
        let order = match self.sort.as_deref() {
            None | Some("newest") => ExceptionOrder::Newest,
            Some("oldest") => ExceptionOrder::Oldest,
            Some("sla_risk") => ExceptionOrder::SlaRisk,
            Some("impact") => ExceptionOrder::Impact,
            Some(other) => {
                return Err(Failure::bad_request(format!(
                    "sort: {other:?} is not one of newest, oldest, sla_risk, impact"
                )));
            }
        };
        let after = self
            .cursor
            .as_deref()
            .map(|text| {
                Cursor::decode(text).ok_or_else(|| {
                    Failure::bad_request("cursor: not a cursor this API returned (send next_cursor back)")
                })
            })
            .transpose()?;
        let limit = self.limit.unwrap_or(PAGE_LIMIT_DEFAULT);
        if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
            return Err(Failure::bad_request(format!(
                "limit: {limit} is not between 1 and {PAGE_LIMIT_MAX}"
            )));
        }
        Ok(ExceptionQuery {
            status,
            exception_type: self.exception_type.as_deref(),
            team: self.team.as_deref(),
            location: self.location.as_deref(),
            severity,
            assignee: self.assignee.as_deref(),
            opened_from: parse_instant("opened_from", self.opened_from.as_deref())?,
            opened_before: parse_instant("opened_to", self.opened_to.as_deref())?,
            scope: principal.scope.as_deref(),
            order,
            after,
            limit,
        })
    }
}

pub fn parse_severity(name: &str) -> Outcome<Severity> {
    [Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
        .into_iter()
        .find(|severity| severity.name() == name)
        .ok_or_else(|| Failure::bad_request(format!("severity: {name:?} is not one of low, medium, high, critical")))
}

fn parse_instant(field: &str, text: Option<&str>) -> Outcome<Option<Timestamp>> {
    text.map(|text| {
        Timestamp::parse_rfc3339(text)
            .map_err(|_| Failure::bad_request(format!("{field}: {text:?} is not an RFC 3339 timestamp with offset")))
    })
    .transpose()
}

fn query_params<T>(params: Result<Query<T>, QueryRejection>) -> Outcome<T> {
    params
        .map(|Query(params)| params)
        .map_err(|rejection| Failure::bad_request(rejection.body_text()))
}

fn require_read(principal: &Principal) -> Outcome<()> {
    if principal.role.can_read() {
        return Ok(());
    }
    Err(Failure::forbidden(format!(
        "role {} may only send events",
        principal.role.name()
    )))
}

/// A page of exceptions.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ExceptionList<'a> {
    pub items: Vec<ExceptionView<'a>>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Matching exceptions over all pages.
    pub total: usize,
}

pub async fn list_exceptions(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<ExceptionParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    state
        .read(move |live| {
            let query = params.to_query(&principal)?;
            let page = live.engine().query_exceptions(&query);
            json(&ExceptionList {
                next_cursor: page.next_cursor.map(|cursor| cursor.encode()),
                items: page.items,
                total: page.total,
            })
        })
        .await
}

/// One exception with its timeline and incident.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ExceptionDetail<'a> {
    pub exception: ExceptionView<'a>,
    pub timeline: Vec<TimelineView<'a>>,
    pub incident: Option<IncidentView<'a>>,
    /// Tasks its automated actions created.
    pub tasks: Vec<TaskView<'a>>,
}

pub fn exception_detail<'a>(engine: &'a Engine, principal: &Principal, id: u64) -> Outcome<ExceptionDetail<'a>> {
    let record = visible_exception(engine, principal, id)?;
    let (exception, timeline) = engine.exception_detail(record.id).expect("the record exists");
    let incident = engine.incident(exception.incident);
    let tasks = engine
        .tasks()
        .iter()
        .filter(|task| task.exception == id)
        .map(|task| engine.task_view(task))
        .collect();
    Ok(ExceptionDetail {
        exception,
        timeline,
        incident,
        tasks,
    })
}

pub async fn get_exception(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(id): ApiPath<u64>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    state
        .read(move |live| json(&exception_detail(live.engine(), &principal, id)?))
        .await
}

/// What a command did: whether it was newly logged (false: its idempotency key was seen before) and the
/// exception after it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ActionResult<'a> {
    pub logged: bool,
    pub exception: ExceptionView<'a>,
}

pub async fn act_on_exception(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(id): ApiPath<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome<JsonBody> {
    require_act(&principal)?;
    let action: Action = serde_json::from_slice(&body)
        .map_err(|error| Failure::bad_request(format!("the body is not an action: {error}")))?;
    let key = headers
        .get(IDEMPOTENCY_HEADER)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| Failure::bad_request(format!("{IDEMPOTENCY_HEADER}: must be visible ASCII")))
        })
        .transpose()?;
    let logged = state.act(&principal, id, action, key).await?;
    state
        .read(move |live| {
            let (exception, _) = live.engine().exception_detail(id).expect("checked by act");
            json(&ActionResult { logged, exception })
        })
        .await
}

/// The header that names an uploaded evidence file.
pub const FILE_NAME_HEADER: &str = "x-file-name";

pub async fn attach_evidence(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(id): ApiPath<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome<JsonBody> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let name = header(FILE_NAME_HEADER).unwrap_or("evidence").to_owned();
    let action = state
        .keep_evidence(
            &principal,
            id,
            name,
            header(header::CONTENT_TYPE.as_str()),
            body.to_vec(),
        )
        .await?;
    let logged = state.act(&principal, id, action, None).await?;
    state
        .read(move |live| {
            let (exception, _) = live.engine().exception_detail(id).expect("checked by act");
            json(&ActionResult { logged, exception })
        })
        .await
}

pub async fn get_evidence(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath((id, sha256)): ApiPath<(u64, String)>,
) -> Outcome<Response> {
    require_read(&principal)?;
    let wanted = sha256.clone();
    let attached = state
        .read(move |live| {
            let record = visible_exception(live.engine(), &principal, id)?;
            Ok(record.evidence.iter().any(|evidence| evidence.sha256 == wanted))
        })
        .await?;
    if !attached {
        return Err(Failure::not_found(format!("exception {id} has no evidence {sha256}")));
    }
    let file = state
        .side_store(move |store| Ok(store.evidence(&sha256)?))
        .await?
        .ok_or_else(|| Failure::not_found("the evidence file is missing from the store"))?;
    Ok(([(header::CONTENT_TYPE, file.0)], file.1).into_response())
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    /// Only tasks in this status (`proposed`, `open`, `pending`, `approved`, `rejected`, `done`, `delivered`,
    /// `failed`), or `waiting` for the first four and `failed`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub status: Option<String>,
    /// Only tasks of this kind (`transfer`, `purchase_order`, `recount`, `quality_review`, `finance_task`,
    /// `notify_webhook`, `notify_email`, `hold_order`).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub location: Option<String>,
}

/// Tasks matching the filters at locations the principal may see, newest first.
pub fn visible_tasks<'a>(engine: &'a Engine, principal: &Principal, params: &TaskParams) -> Vec<TaskView<'a>> {
    engine
        .tasks()
        .iter()
        .rev()
        .filter(|task| match params.status.as_deref() {
            None => true,
            Some("waiting") => task.status.is_waiting(),
            Some(name) => task.status.name() == name,
        })
        .filter(|task| params.kind.as_deref().is_none_or(|kind| task.kind.name() == kind))
        .map(|task| engine.task_view(task))
        .filter(|view| {
            params
                .location
                .as_deref()
                .is_none_or(|location| view.location == Some(location))
        })
        .filter(|view| principal.sees_location(view.location))
        .collect()
}

pub async fn list_tasks(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<TaskParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    state
        .read(move |live| json(&visible_tasks(live.engine(), &principal, &params)))
        .await
}

/// Replenishment proposals waiting for a decision: draft transfers and purchase orders.
pub async fn list_replenishment(State(state): State<Arc<AppState>>, ApiUser(principal): ApiUser) -> Outcome<JsonBody> {
    require_read(&principal)?;
    state
        .read(move |live| {
            let params = TaskParams {
                status: Some("proposed".into()),
                ..TaskParams::default()
            };
            let proposals: Vec<TaskView<'_>> = visible_tasks(live.engine(), &principal, &params)
                .into_iter()
                .filter(|task| matches!(task.kind, "transfer" | "purchase_order"))
                .collect();
            json(&proposals)
        })
        .await
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentParams {
    /// Only incidents with at least this many exceptions (default 2).
    #[schemars(range(min = 1, max = 1000))]
    pub min_exceptions: Option<usize>,
    /// Only incidents with an exception still open (default false).
    pub open: Option<bool>,
}

/// Incidents with at least one exception the caller may see.
pub fn visible_incidents<'a>(
    engine: &'a Engine,
    principal: &Principal,
    params: &IncidentParams,
) -> Vec<IncidentView<'a>> {
    engine
        .incidents(params.min_exceptions.unwrap_or(2))
        .into_iter()
        .filter(|incident| !params.open.unwrap_or(false) || incident.open)
        .filter(|incident| incident_visible(engine, principal, incident))
        .collect()
}

/// The incident if the principal may see it: 404 when there is none, 403 when none of its exceptions is at
/// the principal's locations.
pub fn visible_incident<'a>(engine: &'a Engine, principal: &Principal, id: u64) -> Outcome<IncidentView<'a>> {
    let incident = engine
        .incident(id)
        .ok_or_else(|| Failure::not_found(format!("no incident {id}")))?;
    if !incident_visible(engine, principal, &incident) {
        return Err(Failure::forbidden(format!(
            "incident {id} has no exception at the locations {} may see",
            principal.name
        )));
    }
    Ok(incident)
}

fn incident_visible(engine: &Engine, principal: &Principal, incident: &IncidentView<'_>) -> bool {
    incident
        .exceptions
        .iter()
        .any(|&id| visible_exception(engine, principal, id).is_ok())
}

pub async fn list_incidents(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<IncidentParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    state
        .read(move |live| json(&visible_incidents(live.engine(), &principal, &params)))
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

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockParams {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub sku: Option<String>,
    /// Rows after this `location/sku` (the last row of the previous page).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub after: Option<String>,
    /// Rows per page, 1 to 1000 (default 1000).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<usize>,
}

pub async fn list_stock(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<StockParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    let limit = params.limit.unwrap_or(PAGE_LIMIT_MAX);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(Failure::bad_request(format!(
            "limit: {limit} is not between 1 and {PAGE_LIMIT_MAX}"
        )));
    }
    if let Some(location) = params.location.as_deref()
        && !principal.sees_location(Some(location))
    {
        return Err(Failure::forbidden(format!(
            "{} may not see location {location}",
            principal.name
        )));
    }
    state
        .read(move |live| {
            let after = params.after.as_deref().and_then(|after| after.split_once('/'));
            let rows: Vec<StockRow<'_>> = live
                .engine()
                .stock_rows(params.location.as_deref(), params.sku.as_deref())
                .into_iter()
                .filter(|row| principal.sees_location(Some(row.location)))
                .filter(|row| after.is_none_or(|after| (row.location, row.sku) > after))
                .take(limit)
                .collect();
            json(&rows)
        })
        .await
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundParams {
    pub location: String,
}

pub async fn list_inbound_transfers(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<InboundParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    if !principal.sees_location(Some(&params.location)) {
        return Err(Failure::forbidden(format!(
            "{} may not see location {}",
            principal.name, params.location
        )));
    }
    state
        .read(move |live| {
            let inbound: Vec<InboundTransfer<'_>> = live.engine().inbound_transfers(&params.location);
            json(&inbound)
        })
        .await
}

pub async fn get_kpis(State(state): State<Arc<AppState>>, ApiUser(principal): ApiUser) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let clock = Arc::clone(&state);
    state
        .read(move |live| {
            let engine = live.engine();
            let kpis: Kpis = engine.kpis(clock.now(engine), principal.scope.as_deref());
            json(&kpis)
        })
        .await
}

pub async fn get_rules(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
) -> Outcome<([(header::HeaderName, &'static str); 1], String)> {
    require_read(&principal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        state.rules_text.clone(),
    ))
}

/// `POST /api/v1/events`: NDJSON, or a JSON array with `Content-Type: application/json`.
pub async fn post_events(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome<Json<IngestReport>> {
    if !principal.role.can_ingest() {
        return Err(Failure::forbidden(format!(
            "role {} may not send events",
            principal.role.name()
        )));
    }
    let json_array = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let body = String::from_utf8(body.to_vec()).map_err(|error| {
        Failure::bad_request(format!(
            "the body is not UTF-8 (byte {})",
            error.utf8_error().valid_up_to()
        ))
    })?;
    state.ingest(body, json_array).await.map(Json)
}

/// A JSON response body, serialized under the engine lock so borrowed views need not be copied out.
pub struct JsonBody(String);

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

fn json(value: &impl Serialize) -> Outcome<JsonBody> {
    serde_json::to_string(value)
        .map(JsonBody)
        .map_err(|error| Failure::internal("could not serialize the answer", &error))
}
