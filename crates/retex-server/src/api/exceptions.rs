//! `/exceptions`: the filtered, sorted, paged list, one exception with its timeline, and workflow commands.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use retex_core::codes::Timestamp;
use retex_core::command::Action;
use retex_core::engine::{
    CURSOR_PATTERN, Cursor, Engine, ExceptionBrief, ExceptionQuery, ExceptionView, IncidentView, PageStart, Sort,
    StatusFilter, Suggestion, TaskView, TimelineView,
};
use retex_core::rules::Severity;
use schemars::Schema;
use schemars::generate::SchemaGenerator;
use serde::{Deserialize, Serialize};

use super::json::{JsonBody, json};
use crate::auth::Principal;
use crate::error::{Failure, Outcome};
use crate::extract::{ApiPath, ApiUser};
use crate::params::{AGE_PATTERN, empty_as_none, opened_before_age, query_params};
use crate::scope::{require_act, require_read, visible_exception, visible_incident};
use crate::state::AppState;

/// Largest page of exceptions or stock rows.
pub const PAGE_LIMIT_MAX: usize = 1_000;
const PAGE_LIMIT_DEFAULT: usize = 50;
/// The header that carries a command's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Query parameters of `GET /api/v1/exceptions`. Names (type, team, location, SKU, category, assignee) match
/// whatever their case.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionParams {
    /// `active` (default: not resolved or dismissed), `all`, `closed`, or one status name.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "status_schema")]
    pub status: Option<StatusFilter>,
    #[serde(rename = "type", default, deserialize_with = "empty_as_none")]
    pub exception_type: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub team: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub sku: Option<String>,
    /// The product's category or one above it: `home` takes `Home/Kitchen`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "severity_schema")]
    pub severity: Option<Severity>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub assignee: Option<String>,
    /// About this document, whatever its case: a transfer, purchase order, order, return, promotion, customer
    /// message or count that is the exception's reference or that its facts name (a complaint's order).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub document: Option<String>,
    /// Acknowledged by a person (`true`) or not yet (`false`).
    pub acknowledged: Option<bool>,
    /// An acknowledge or resolve target was missed (`true`), or none was (`false`).
    pub breached: Option<bool>,
    /// Opened at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "instant_schema")]
    pub opened_from: Option<String>,
    /// Opened before this instant (RFC 3339).
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "instant_schema")]
    pub opened_to: Option<String>,
    /// Opened longer ago than this, in whole hours or days: `36h`, `2d`.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "age_schema")]
    pub older_than: Option<String>,
    /// `newest` (default), `oldest`, `sla_risk` (next due first), `impact` (largest first), `opened` (oldest by
    /// age first), `type`, `place` (location, SKU, document), `severity` (most severe first), `status` (workflow
    /// order) or `assignee` (unassigned first); a leading `-` reverses the order. Ties go by id.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "sort_schema")]
    pub sort: Option<Sort>,
    /// The `next_cursor` of the previous page, with the same filters and sort.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(schema_with = "cursor_schema")]
    pub cursor: Option<String>,
    /// Rows per page, 1 to 1000 (default 50).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<usize>,
}

/// A query parameter's schema: one of these names, or empty (as a form sends a filter left unset).
fn names_schema<'a>(names: impl IntoIterator<Item = &'a str>) -> Schema {
    let names: Vec<&str> = std::iter::once("").chain(names).collect();
    schemars::json_schema!({"type": "string", "enum": names})
}

/// A text that matches `pattern`, or empty.
fn pattern_schema(pattern: &str) -> Schema {
    schemars::json_schema!({"type": "string", "pattern": format!("^$|{pattern}")})
}

/// An instant (RFC 3339), or empty.
fn instant_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0}]})
}

fn severity_schema(_: &mut SchemaGenerator) -> Schema {
    names_schema(Severity::NAMES)
}

fn status_schema(_: &mut SchemaGenerator) -> Schema {
    names_schema(StatusFilter::names())
}

fn sort_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<String> = Sort::names().collect();
    names_schema(names.iter().map(String::as_str))
}

fn age_schema(_: &mut SchemaGenerator) -> Schema {
    pattern_schema(AGE_PATTERN)
}

fn cursor_schema(_: &mut SchemaGenerator) -> Schema {
    pattern_schema(CURSOR_PATTERN)
}

impl ExceptionParams {
    /// The engine query these parameters ask for at `now`, limited to what `principal` may see.
    pub fn to_query<'q>(&'q self, principal: &'q Principal, now: Timestamp) -> Outcome<ExceptionQuery<'q>> {
        let start = match self.cursor.as_deref() {
            Some(text) => PageStart::After(Cursor::decode(text).ok_or_else(|| {
                Failure::bad_request("cursor: not a cursor this API returned (send next_cursor back)")
            })?),
            None => PageStart::First,
        };
        let limit = page_limit(self.limit, PAGE_LIMIT_DEFAULT)?;
        let opened_to = parse_instant("opened_to", self.opened_to.as_deref())?;
        let older_than = self
            .older_than
            .as_deref()
            .map(|age| opened_before_age("older_than", age, now))
            .transpose()?;
        Ok(ExceptionQuery {
            status: self.status.unwrap_or_default(),
            exception_type: self.exception_type.as_deref(),
            team: self.team.as_deref(),
            location: self.location.as_deref(),
            sku: self.sku.as_deref(),
            category: self.category.as_deref(),
            severity: self.severity,
            assignee: self.assignee.as_deref(),
            document: self.document.as_deref(),
            acknowledged: self.acknowledged,
            breached: self.breached,
            opened_from: parse_instant("opened_from", self.opened_from.as_deref())?,
            opened_before: opened_to.into_iter().chain(older_than).min(),
            scope: principal.scope.as_deref(),
            sort: self.sort.unwrap_or_default(),
            start,
            limit,
        })
    }
}

/// The first `limit` of `items` (those past the caller's cursor, in page order), and the id of the last one
/// when more follow: where the next page starts.
pub fn first_page<T>(mut items: Vec<T>, limit: usize, id: impl Fn(&T) -> u64) -> (Vec<T>, Option<u64>) {
    let next = (items.len() > limit).then(|| id(&items[limit - 1]));
    items.truncate(limit);
    (items, next)
}

/// The rows per page a `limit` parameter asks for: 1 to [`PAGE_LIMIT_MAX`], `default` when absent.
pub fn page_limit(limit: Option<usize>, default: usize) -> Outcome<usize> {
    let limit = limit.unwrap_or(default);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(Failure::bad_request(format!(
            "limit: {limit} is not between 1 and {PAGE_LIMIT_MAX}"
        )));
    }
    Ok(limit)
}

fn parse_instant(field: &str, text: Option<&str>) -> Outcome<Option<Timestamp>> {
    text.map(|text| {
        Timestamp::parse_rfc3339(text)
            .map_err(|_| Failure::bad_request(format!("{field}: {text:?} is not an RFC 3339 timestamp with offset")))
    })
    .transpose()
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
    let clock = Arc::clone(&state);
    state
        .read(move |engine| {
            let query = params.to_query(&principal, clock.now(engine))?;
            let page = engine.query_exceptions(&query);
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
    /// The exception explained: what happened in words, the location and product with their names, the documents
    /// it is about, its type's procedure, whether resolving needs an approval, the zone and currency of its page.
    pub brief: ExceptionBrief<'a>,
    pub timeline: Vec<TimelineView<'a>>,
    pub incident: Option<IncidentView<'a>>,
    /// Tasks its automated actions created.
    pub tasks: Vec<TaskView<'a>>,
    /// For an active exception, up to three root causes and resolutions people chose for similar resolved ones,
    /// best first (most often held for 14 days, then most often chosen); empty without such evidence.
    pub suggestions: Vec<Suggestion>,
}

fn exception_detail<'a>(engine: &'a Engine, principal: &Principal, id: u64) -> Outcome<ExceptionDetail<'a>> {
    let record = visible_exception(engine, principal, id)?;
    let (exception, timeline) = engine.exception_detail(record.id).expect("the record exists");
    let incident = visible_incident(engine, principal, exception.incident).ok();
    let tasks = engine
        .tasks()
        .iter()
        .filter(|task| task.exception == id)
        .map(|task| engine.task_view(task))
        .collect();
    Ok(ExceptionDetail {
        brief: engine.exception_brief(id).expect("the record exists"),
        exception,
        timeline,
        incident,
        tasks,
        suggestions: engine.suggestions(id),
    })
}

pub async fn get_exception(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(id): ApiPath<u64>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    state
        .read(move |engine| json(&exception_detail(engine, &principal, id)?))
        .await
}

/// What a command did: whether it was newly logged (false: its idempotency key was seen before) and the
/// exception after it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ActionResult<'a> {
    pub logged: bool,
    pub exception: ExceptionView<'a>,
}

/// The answer to a command that `act` has checked and logged.
pub async fn action_result(state: &Arc<AppState>, id: u64, logged: bool) -> Outcome<JsonBody> {
    state
        .read(move |engine| {
            let (exception, _) = engine.exception_detail(id).expect("checked by act");
            json(&ActionResult { logged, exception })
        })
        .await
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
    let key = idempotency_key(&headers)?;
    let logged = state.act(&principal, id, action, key).await?;
    action_result(&state, id, logged).await
}

/// The caller's idempotency key for a command, if it sent one.
pub fn idempotency_key(headers: &HeaderMap) -> Outcome<Option<String>> {
    headers
        .get(IDEMPOTENCY_HEADER)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| Failure::bad_request(format!("{IDEMPOTENCY_HEADER}: must be visible ASCII")))
        })
        .transpose()
}
