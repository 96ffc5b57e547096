//! The API's JSON answer: serialized while the engine is still locked, so handlers can answer with views that
//! borrow from it instead of copying them out.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{Failure, Outcome};

/// A JSON response body, serialized under the engine lock.
pub struct JsonBody(String);

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

pub fn json(value: &impl Serialize) -> Outcome<JsonBody> {
    serde_json::to_string(value)
        .map(JsonBody)
        .map_err(|error| Failure::internal("could not serialize the answer", &error))
}
