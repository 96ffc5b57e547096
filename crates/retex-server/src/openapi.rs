//! The OpenAPI 3.1 document of the API at `/api/v1/openapi.json`, built from [`OPERATIONS`] (the one list of
//! routes) with schemas generated from the Rust types the handlers read and serialize.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use schemars::Schema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::api::OPERATIONS;
use crate::state::AppState;

/// The route of the document, relative to `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/openapi.json", get(|| async { axum::Json(document()) }))
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
