//! `POST /events`: a source's events, as NDJSON or a JSON array, appended line by line (see
//! [`AppState::ingest`]).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};

use crate::error::{Failure, Outcome};
use crate::extract::ApiUser;
use crate::ingest_body::IngestReport;
use crate::state::AppState;

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
    state.ingest(body, json_array).await.map(Json)
}
