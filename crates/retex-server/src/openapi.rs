//! The OpenAPI 3.1 document of the API at `/api/v1/openapi.json`, built from [`OPERATIONS`] (the one list of
//! routes) with schemas generated from the Rust types the handlers read and serialize.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use schemars::Schema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::api::{OPERATIONS, Operation};
use crate::state::AppState;

/// The route of the document, relative to `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/openapi.json", get(|| async { axum::Json(document()) }))
}

/// The OpenAPI 3.1 document of [`OPERATIONS`].
pub fn document() -> Value {
    let mut generator = schema_settings().into_generator();
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let path = format!("/api/v1{}", operation.path);
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item[operation.method] = operation_object(operation, &mut generator);
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Error".to_owned(),
        json!({"type": "object", "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "code": {"type": "string", "description": "the kind of problem: bad_request, unauthorized, forbidden, not_found, conflict, unprocessable, too_large, too_many_requests, unavailable, internal"}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Retex API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Retail exception management: events in; exceptions, incidents, stock and KPIs out; \
                            workflow commands on exceptions. Errors are RFC 9457 problem details (application/problem+json) with a `code`. \
                            A command may carry an `Idempotency-Key` header: repeating it with the same key changes nothing. \
                            Reads carry an `ETag`; a read sent with `If-None-Match` is answered 304 while nothing changed."
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

/// OpenAPI 3.1's schemas are JSON Schema 2020-12 (so `null` is a type, not a `nullable` flag), kept under
/// `components/schemas`; a document holds no `$schema` of its own.
fn schema_settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|settings| {
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
    })
}

/// One operation: its parameters, request body and answers.
fn operation_object(operation: &Operation, generator: &mut SchemaGenerator) -> Value {
    let mut parameters: Vec<Value> = Vec::new();
    if operation.path.contains("{id}") {
        parameters.push(json!({"name": "id", "in": "path", "required": true,
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX}}));
    }
    if operation.path.contains("{sha256}") {
        parameters.push(json!({"name": "sha256", "in": "path", "required": true,
            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}));
    }
    if operation.path.contains("{kind}") {
        parameters.push(json!({"name": "kind", "in": "path", "required": true,
            "schema": {"type": "string", "enum": retex_core::import::ImportKind::NAMES}}));
    }
    if let Some(query) = operation.query {
        parameters.extend(query_parameters(&query(generator)));
    }
    let (media_type, response) = operation.response;
    let mut object = json!({
        "summary": operation.summary,
        "description": format!("Roles: {}.", operation.roles),
        "security": [{"token": []}, {"session": []}],
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK", "content": {media_type: {"schema": response(generator)}}},
            "400": error_response("The request is malformed; the message names the field."),
            "401": error_response("Not authenticated."),
            "403": error_response("The role or location scope does not allow it; the message says why."),
            "404": error_response("No such exception, incident or import kind."),
            "409": error_response("The command does not fit the exception's state or the rules; the message says why."),
            "413": error_response("The body is larger than the limit."),
            "422": error_response("The command is incomplete or contradictory (a blank reason, a snooze that ends before it starts); the message says why."),
            "429": error_response("Too many failed logins; see Retry-After."),
            "503": error_response("The store cannot be reached right now."),
        }
    });
    if !operation.body.is_empty() {
        let content: Map<String, Value> = operation
            .body
            .iter()
            .map(|(content_type, body)| (content_type.to_string(), json!({"schema": body(generator)})))
            .collect();
        object["requestBody"] = json!({"required": true, "content": content});
    }
    object
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {crate::error::PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The properties of a query-parameters struct as OpenAPI parameters. A property's description becomes the
/// parameter's; an optional parameter is one that may be left out, so its schema does not admit `null`.
fn query_parameters(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut parameters = Vec::new();
    for (name, property) in properties {
        let mut property = property.clone();
        let description = property.as_object_mut().and_then(|object| object.remove("description"));
        let mut parameter = json!({
            "name": name,
            "in": "query",
            "required": required.contains(&name.as_str()),
            "schema": without_null(property),
        });
        if let Some(description) = description {
            parameter["description"] = description;
        }
        parameters.push(parameter);
    }
    parameters
}

/// A query parameter's schema without its `null` alternative, which no query string can send:
/// `{"type": ["string", "null"], "default": null}` becomes `{"type": "string"}`.
fn without_null(mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut()
        && object.get("default") == Some(&Value::Null)
    {
        object.remove("default");
    }
    let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) else {
        return schema;
    };
    types.retain(|kind| kind != "null");
    if let [only] = types.as_slice() {
        schema["type"] = only.clone();
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects the paths of `nullable` keys and of descriptions that are not text, depth first.
    fn visit(value: &Value, path: &str, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                for (key, child) in object {
                    let child_path = format!("{path}/{key}");
                    if key == "nullable" || (key == "description" && !child.is_string()) {
                        found.push(child_path.clone());
                    }
                    visit(child, &child_path, found);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    visit(item, &format!("{path}/{index}"), found);
                }
            }
            _ => {}
        }
    }

    /// OpenAPI 3.0's `nullable` and a `description` that is not a string make a 3.1 document invalid; the
    /// whole document is checked by openapi-spec-validator in tests/api/contract.sh.
    #[test]
    fn the_document_has_no_nullable_keyword_and_only_text_descriptions() {
        let mut found = Vec::new();
        visit(&document(), "", &mut found);
        assert!(found.is_empty(), "{found:?}");
    }
}
