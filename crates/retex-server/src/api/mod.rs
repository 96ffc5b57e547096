//! The JSON API under `/api/v1`, one module per resource. Every handler checks the caller's role and location
//! scope (see [`crate::scope`]) and answers errors as RFC 9457 problem details (see [`crate::error`]); an unknown path under `/api/v1`
//! is one too.
//!
//! [`OPERATIONS`] lists the routes once, each with what documents it: it builds both the router's API part and
//! [`crate::openapi`]'s document, so a route cannot be served without being documented, or the other way round.

mod events;
mod evidence;
mod exceptions;
mod imports;
mod incidents;
mod json;
mod kpis;
mod stock;
mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodRouter, get, post};
use retex_core::command::Action;
use retex_core::engine::{InboundTransfer, IncidentView, Kpis, NamedPosition, StockRow, TaskView};
use schemars::generate::SchemaGenerator;
use schemars::{JsonSchema, Schema};

use crate::ingest_body::IngestReport;
use crate::state::AppState;

pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

const JSON: &str = "application/json";

/// One documented API operation and its handler.
pub struct Operation {
    pub method: &'static str,
    /// Relative to `/api/v1`, with `{id}` for a path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    /// Who may call it.
    pub roles: &'static str,
    /// The schema of the query parameters, a struct whose properties are the parameters.
    pub query: Option<SchemaFn>,
    /// The accepted request bodies: media type and schema.
    pub body: &'static [(&'static str, SchemaFn)],
    /// The media type and schema of a 200 answer.
    pub response: (&'static str, SchemaFn),
    route: fn() -> MethodRouter<Arc<AppState>>,
}

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

fn root_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.root_schema_for::<T>()
}

/// A file's bytes.
fn binary(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "string", "format": "binary"})
}

/// Events as NDJSON: one JSON object (an `Event`) per line.
fn ndjson(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "string", "minLength": 1, "description": "One Event object per line."})
}

/// Events as a JSON array: at least one `Event`.
fn event_array(generator: &mut SchemaGenerator) -> Schema {
    let mut array = schema::<Vec<retex_core::event::Event>>(generator);
    array.insert("minItems".into(), 1.into());
    array
}

/// A CSV file: a header row, then one row per record.
fn csv_text(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "string", "description": "A header row naming the fields, then one row per record."})
}

pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "post",
        path: "/events",
        summary: "Append events: NDJSON, or a JSON array with Content-Type application/json. Valid lines are kept; \
                  each rejected line is reported with its number, field and problem.",
        roles: "admin, source",
        query: None,
        body: &[("application/x-ndjson", ndjson), (JSON, event_array)],
        response: (JSON, schema::<IngestReport>),
        route: || post(events::post_events),
    },
    Operation {
        method: "post",
        path: "/imports/{kind}",
        summary: "Import a CSV file of products, locations, suppliers, prices or counts: a header row naming the \
                  event's fields, then one row per record (`,`, `;` or tab separated, UTF-8). Each row is checked \
                  like an event; refused rows are reported with their line (the header is line 1), column and \
                  problem, and the rest is kept. Master data rows that change nothing are not logged again, so a \
                  file imported twice adds nothing.",
        roles: "admin, source",
        query: Some(root_schema::<imports::ImportParams>),
        body: &[("text/csv", csv_text)],
        response: (JSON, schema::<crate::import::ImportReport>),
        route: || post(imports::post_import),
    },
    Operation {
        method: "get",
        path: "/exceptions",
        summary: "Exceptions, filtered, sorted and paged by cursor.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<exceptions::ExceptionParams>),
        body: &[],
        response: (JSON, schema::<exceptions::ExceptionList<'static>>),
        route: || get(exceptions::list_exceptions),
    },
    Operation {
        method: "get",
        path: "/exceptions/{id}",
        summary: "One exception with its timeline and incident.",
        roles: "every role but source; limited to the caller's locations",
        query: None,
        body: &[],
        response: (JSON, schema::<exceptions::ExceptionDetail<'static>>),
        route: || get(exceptions::get_exception),
    },
    Operation {
        method: "post",
        path: "/exceptions/{id}/actions",
        summary: "A workflow command: acknowledge, assign, comment, set_status, resolve, dismiss, reopen. An \
                  Idempotency-Key header makes a retry harmless; a key counts per caller and exception, and \
                  the same key on a different command is a 409.",
        roles: "admin, operations_lead, team_member; limited to the caller's locations",
        query: None,
        body: &[(JSON, schema::<Action>)],
        response: (JSON, schema::<exceptions::ActionResult<'static>>),
        route: || post(exceptions::act_on_exception),
    },
    Operation {
        method: "post",
        path: "/exceptions/{id}/evidence",
        summary: "Attach a file as evidence: the body is the file (PNG, JPEG, PDF or UTF-8 text, at most 10 MiB), \
                  Content-Type its media type (checked against the content) and X-File-Name its name. It is kept \
                  under its SHA-256 and the attachment goes on the timeline.",
        roles: "admin, operations_lead, team_member; limited to the caller's locations",
        query: None,
        body: &[("application/octet-stream", binary)],
        response: (JSON, schema::<exceptions::ActionResult<'static>>),
        route: || post(evidence::attach_evidence),
    },
    Operation {
        method: "get",
        path: "/exceptions/{id}/evidence/{sha256}",
        summary: "One evidence file of an exception, as it was attached.",
        roles: "every role but source; limited to the caller's locations",
        query: None,
        body: &[],
        response: ("*/*", binary),
        route: || get(evidence::get_evidence),
    },
    Operation {
        method: "get",
        path: "/incidents",
        summary: "Incidents: linked exceptions with their probable root cause (its type and place), how many are \
                  open, and the merges and splits people made; oldest first, paged by `after`, with the total. \
                  Incidents merged into another are not listed.",
        roles: "every role but source; incidents with an exception at the caller's locations",
        query: Some(root_schema::<incidents::IncidentParams>),
        body: &[],
        response: (JSON, schema::<incidents::IncidentPage<'static>>),
        route: || get(incidents::list_incidents),
    },
    Operation {
        method: "get",
        path: "/incidents/{id}",
        summary: "One incident; one merged into another has no exceptions and names it as `merged_into`.",
        roles: "every role but source; incidents with an exception at the caller's locations",
        query: None,
        body: &[],
        response: (JSON, schema::<IncidentView<'static>>),
        route: || get(incidents::get_incident),
    },
    Operation {
        method: "post",
        path: "/incidents/{id}/actions",
        summary: "Work a whole incident. `acknowledge_all` (its active exceptions not acknowledged yet), \
                  `assign_all` and `resolve_all` (one root cause, resolution and note) log each active \
                  exception's command on its own, as its own actions route would, and report each refusal; \
                  `merge` folds another incident into this one and `split` takes exceptions out into a new one, \
                  one logged command each, for a caller who sees every exception of the incidents involved. An \
                  Idempotency-Key header makes a retry harmless.",
        roles: "admin, operations_lead, team_member; limited to the caller's locations",
        query: None,
        body: &[(JSON, schema::<incidents::IncidentRequest>)],
        response: (JSON, schema::<incidents::IncidentActionResult<'static>>),
        route: || post(incidents::act_on_incident),
    },
    Operation {
        method: "get",
        path: "/stock",
        summary: "Ledger positions: on hand, reserved, in transit, by location and SKU.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<stock::StockParams>),
        body: &[],
        response: (JSON, schema::<Vec<StockRow<'static>>>),
        route: || get(stock::list_stock),
    },
    Operation {
        method: "get",
        path: "/stock/position",
        summary: "One position: its books now, its last sale, and the transfers, purchase orders and web orders \
                  still open on it there, soonest first (the store page's stock check). The product is named by \
                  its SKU or a barcode.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<stock::PositionParams>),
        body: &[],
        response: (JSON, schema::<NamedPosition<'static>>),
        route: || get(stock::position),
    },
    Operation {
        method: "get",
        path: "/transfers/inbound",
        summary: "Transfers shipped to a location and not yet received.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<stock::InboundParams>),
        body: &[],
        response: (JSON, schema::<Vec<InboundTransfer<'static>>>),
        route: || get(stock::list_inbound_transfers),
    },
    Operation {
        method: "get",
        path: "/tasks",
        summary: "Tasks of automated actions: replenishment drafts, recounts, reviews, order holds, notifications \
                  (the outbox). Decide one with the exception's `decide_task` action.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<tasks::TaskParams>),
        body: &[],
        response: (JSON, schema::<tasks::TaskPage<'static>>),
        route: || get(tasks::list_tasks),
    },
    Operation {
        method: "get",
        path: "/replenishment",
        summary: "Replenishment proposals waiting for a decision: draft transfers from a warehouse with the stock, \
                  else draft purchase orders after the supplier's lead time.",
        roles: "every role but source; limited to the caller's locations",
        query: None,
        body: &[],
        response: (JSON, schema::<Vec<TaskView<'static>>>),
        route: || get(tasks::list_replenishment),
    },
    Operation {
        method: "get",
        path: "/kpis",
        summary: "Open exceptions by category and severity and their aging, now; over the exceptions opened in \
                  a period (`period`, or `from` and `to`; all time without), SLA compliance, MTTA (to \
                  acknowledgement), MTTR (to resolution), repeat rate, resolution quality, impact, root causes \
                  and figures per type, with the same figures for the period before (`previous`); store \
                  exception rates.",
        roles: "every role but source; over the caller's locations",
        query: Some(root_schema::<crate::params::PeriodParams>),
        body: &[],
        response: (JSON, schema::<Kpis>),
        route: || get(kpis::get_kpis),
    },
    Operation {
        method: "get",
        path: "/rules",
        summary: "The active rules as TOML.",
        roles: "every role but source",
        query: None,
        body: &[],
        response: ("application/toml", schema::<String>),
        route: || get(kpis::get_rules),
    },
];

/// The API routes, relative to `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    OPERATIONS.iter().fold(Router::new(), |router, operation| {
        router.route(operation.path, (operation.route)())
    })
}
