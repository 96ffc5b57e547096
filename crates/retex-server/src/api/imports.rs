//! `POST /imports/{kind}`: a spreadsheet's master data or counts as CSV (see [`crate::import`]).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use retex_core::import::ImportKind;
use serde::Deserialize;

use crate::error::{Failure, Outcome};
use crate::extract::{ApiPath, ApiUser};
use crate::import::{ImportReport, import_csv};
use crate::params::query_params;
use crate::state::AppState;

/// The query of an import.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ImportParams {
    /// Numbers are written with a decimal comma (`4,10`); without it a comma in a number is refused.
    #[serde(default)]
    pub decimal_comma: bool,
}

pub async fn post_import(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    ApiPath(kind): ApiPath<String>,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Bytes,
) -> Outcome<Json<ImportReport>> {
    if !principal.role.can_ingest() {
        return Err(Failure::forbidden(format!(
            "role {} may not import",
            principal.role.name()
        )));
    }
    let kind = ImportKind::from_name(&kind)
        .ok_or_else(|| Failure::not_found(format!("no import of {kind}: one of {}", ImportKind::NAMES.join(", "))))?;
    let params = query_params(params)?;
    import_csv(&state, kind, body.to_vec(), params.decimal_comma)
        .await
        .map(Json)
}
