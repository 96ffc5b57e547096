//! `/exceptions/{id}/evidence`: files attached to an exception (a photo of the shelf, a delivery note), kept
//! in the store under their SHA-256 and served back to those who may see the exception.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::exceptions::action_result;
use super::json::JsonBody;
use crate::error::{Failure, Outcome};
use crate::extract::{ApiPath, ApiUser};
use crate::scope::{require_read, visible_exception};
use crate::state::AppState;

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
    action_result(&state, id, logged).await
}

pub async fn get_evidence(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath((id, sha256)): ApiPath<(u64, String)>,
) -> Outcome<Response> {
    require_read(&principal)?;
    let wanted = sha256.clone();
    let name = state
        .read(move |engine| {
            let record = visible_exception(engine, &principal, id)?;
            Ok(record
                .evidence
                .iter()
                .find(|evidence| evidence.sha256 == wanted)
                .map(|evidence| evidence.name.clone()))
        })
        .await?
        .ok_or_else(|| Failure::not_found(format!("exception {id} has no evidence {sha256}")))?;
    let (media_type, bytes) = state
        .side_store(move |store| Ok(store.evidence(&sha256)?))
        .await?
        .ok_or_else(|| Failure::not_found("the evidence file is missing from the store"))?;
    let media_type = match media_type.as_str() {
        "text/plain" => "text/plain; charset=utf-8".to_owned(),
        _ => media_type,
    };
    // A download, never a page of this site: what someone uploaded must not run here.
    let disposition = format!("attachment; filename=\"{}\"", header_safe_name(&name));
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// A file name fit for a header: ASCII letters, digits, dot, dash and underscore, the rest as `_`.
fn header_safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
