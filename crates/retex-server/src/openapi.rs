//! The API's routes, listed once: [`OPERATIONS`] builds both the router's API part and the OpenAPI 3.1 document
//! at `/api/v1/openapi.json`, whose schemas are generated from the Rust types the handlers serialize. A route
//! cannot be documented without being served, or served without being documented.

use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodRouter, get, post};
use retex_core::command::Action;
use retex_core::engine::{InboundTransfer, IncidentView, Kpis, StockRow, TaskView};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::api;
use crate::state::{AppState, IngestReport};

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

const JSON: &str = "application/json";

/// One documented API operation and its handler.
pub struct Operation {
    pub method: &'static str,
    /// Relative to `/api/v1`, with `{id}` for a path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    /// Who may call it.
    pub roles: &'static str,
    query: Option<SchemaFn>,
    /// The accepted request bodies: media type and schema.
    body: &'static [(&'static str, SchemaFn)],
    /// The media type and schema of a 200 answer.
    response: (&'static str, SchemaFn),
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

pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "post",
        path: "/events",
        summary: "Append events: NDJSON, or a JSON array with Content-Type application/json. Valid lines are kept; \
                  each rejected line is reported with its number, field and problem.",
        roles: "admin, source",
        query: None,
        body: &[
            ("application/x-ndjson", ndjson),
            (JSON, schema::<Vec<retex_core::event::Event>>),
        ],
        response: (JSON, schema::<IngestReport>),
        route: || post(api::post_events),
    },
    Operation {
        method: "get",
        path: "/exceptions",
        summary: "Exceptions, filtered, sorted and paged by cursor.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<api::ExceptionParams>),
        body: &[],
        response: (JSON, schema::<api::ExceptionList<'static>>),
        route: || get(api::list_exceptions),
    },
    Operation {
        method: "get",
        path: "/exceptions/{id}",
        summary: "One exception with its timeline and incident.",
        roles: "every role but source; limited to the caller's locations",
        query: None,
        body: &[],
        response: (JSON, schema::<api::ExceptionDetail<'static>>),
        route: || get(api::get_exception),
    },
    Operation {
        method: "post",
        path: "/exceptions/{id}/actions",
        summary: "A workflow command: acknowledge, assign, comment, set_status, resolve, dismiss, reopen. An \
                  Idempotency-Key header makes a retry harmless.",
        roles: "admin, operations_lead, team_member; limited to the caller's locations",
        query: None,
        body: &[(JSON, schema::<Action>)],
        response: (JSON, schema::<api::ActionResult<'static>>),
        route: || post(api::act_on_exception),
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
        response: (JSON, schema::<api::ActionResult<'static>>),
        route: || post(api::attach_evidence),
    },
    Operation {
        method: "get",
        path: "/exceptions/{id}/evidence/{sha256}",
        summary: "One evidence file of an exception, as it was attached.",
        roles: "every role but source; limited to the caller's locations",
        query: None,
        body: &[],
        response: ("*/*", binary),
        route: || get(api::get_evidence),
    },
    Operation {
        method: "get",
        path: "/incidents",
        summary: "Incidents: linked exceptions with their probable root cause.",
        roles: "every role but source; incidents with an exception at the caller's locations",
        query: Some(root_schema::<api::IncidentParams>),
        body: &[],
        response: (JSON, schema::<Vec<IncidentView<'static>>>),
        route: || get(api::list_incidents),
    },
    Operation {
        method: "get",
        path: "/incidents/{id}",
        summary: "One incident.",
        roles: "every role but source; incidents with an exception at the caller's locations",
        query: None,
        body: &[],
        response: (JSON, schema::<IncidentView<'static>>),
        route: || get(api::get_incident),
    },
    Operation {
        method: "get",
        path: "/stock",
        summary: "Ledger positions: on hand, reserved, in transit, by location and SKU.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<api::StockParams>),
        body: &[],
        response: (JSON, schema::<Vec<StockRow<'static>>>),
        route: || get(api::list_stock),
    },
    Operation {
        method: "get",
        path: "/transfers/inbound",
        summary: "Transfers shipped to a location and not yet received.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<api::InboundParams>),
        body: &[],
        response: (JSON, schema::<Vec<InboundTransfer<'static>>>),
        route: || get(api::list_inbound_transfers),
    },
    Operation {
        method: "get",
        path: "/tasks",
        summary: "Tasks of automated actions: replenishment drafts, recounts, reviews, order holds, notifications \
                  (the outbox). Decide one with the exception's `decide_task` action.",
        roles: "every role but source; limited to the caller's locations",
        query: Some(root_schema::<api::TaskParams>),
        body: &[],
        response: (JSON, schema::<Vec<TaskView<'static>>>),
        route: || get(api::list_tasks),
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
        route: || get(api::list_replenishment),
    },
    Operation {
        method: "get",
        path: "/kpis",
        summary: "Open exceptions by category and severity, aging, SLA compliance, MTTA, MTTR, repeat rate, \
                  impact, root causes, store exception rates.",
        roles: "every role but source; over the caller's locations",
        query: None,
        body: &[],
        response: (JSON, schema::<Kpis>),
        route: || get(api::get_kpis),
    },
    Operation {
        method: "get",
        path: "/rules",
        summary: "The active rules as TOML.",
        roles: "every role but source",
        query: None,
        body: &[],
        response: ("application/toml", schema::<String>),
        route: || get(api::get_rules),
    },
];

/// The API routes, relative to `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    OPERATIONS
        .iter()
        .fold(Router::new(), |router, operation| {
            router.route(operation.path, (operation.route)())
        })
        .route("/openapi.json", get(|| async { axum::Json(document()) }))
}

/// The OpenAPI 3.1 document of [`OPERATIONS`].
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let mut parameters: Vec<Value> = Vec::new();
        if operation.path.contains("{id}") {
            parameters.push(json!({"name": "id", "in": "path", "required": true,
                "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX}}));
        }
        if operation.path.contains("{sha256}") {
            parameters.push(json!({"name": "sha256", "in": "path", "required": true,
                "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}));
        }
        if let Some(query) = operation.query {
            parameters.extend(query_parameters(&query(&mut generator)));
        }
        let mut spec = json!({
            "summary": operation.summary,
            "description": format!("Roles: {}.", operation.roles),
            "security": [{"token": []}, {"session": []}],
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {operation.response.0: {"schema": (operation.response.1)(&mut generator)}}},
                "400": error_response("The request is malformed; the message names the field."),
                "401": error_response("Not authenticated."),
                "403": error_response("The role or location scope does not allow it; the message says why."),
                "404": error_response("No such exception or incident."),
                "409": error_response("The command does not fit the exception's state or the rules; the message says why."),
                "413": error_response("The body is larger than the limit."),
                "429": error_response("Too many failed logins; see Retry-After."),
                "503": error_response("The store cannot be reached right now."),
            }
        });
        if !operation.body.is_empty() {
            let content: Map<String, Value> = operation
                .body
                .iter()
                .map(|(content_type, body)| (content_type.to_string(), json!({"schema": body(&mut generator)})))
                .collect();
            spec["requestBody"] = json!({"required": true, "content": content});
        }
        let path = format!("/api/v1{}", operation.path);
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item[operation.method] = spec;
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Error".to_owned(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Retex API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Retail exception management: events in; exceptions, incidents, stock and KPIs out; \
                            workflow commands on exceptions. Errors are {\"error\": {\"code\", \"message\"}}."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "An API token from `retex token add`."},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE,
                    "description": "A login session; requests that change something also need the X-CSRF-Token header."}
            }
        }
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The properties of a query-parameters struct as OpenAPI parameters.
fn query_parameters(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property
                .as_object_mut()
                .and_then(|object| object.remove("description"))
                .unwrap_or(Value::Null);
            json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "description": description,
                "schema": property,
            })
        })
        .collect()
}
