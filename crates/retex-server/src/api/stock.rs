//! `/stock`, `/stock/position` and `/transfers/inbound`: ledger positions, one position with the documents still
//! open on it, and what is on its way to a store, at the caller's locations.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use retex_core::engine::{InboundTransfer, NamedPosition, StockRow};
use serde::Deserialize;

use super::exceptions::{PAGE_LIMIT_MAX, page_limit};
use super::json::{JsonBody, json};
use crate::error::{Failure, Outcome};
use crate::extract::ApiUser;
use crate::params::{empty_as_none, query_params};
use crate::scope::{require_location, require_read};
use crate::state::AppState;

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
    let limit = page_limit(params.limit, PAGE_LIMIT_MAX)?;
    if let Some(location) = params.location.as_deref() {
        require_location(&principal, location)?;
    }
    state
        .read(move |engine| {
            let after = params.after.as_deref().and_then(|after| after.split_once('/'));
            let rows: Vec<StockRow<'_>> = engine
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
    require_location(&principal, &params.location)?;
    state
        .read(move |engine| {
            let inbound: Vec<InboundTransfer<'_>> = engine.inbound_transfers(&params.location);
            json(&inbound)
        })
        .await
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionParams {
    pub location: String,
    /// The SKU, or a barcode of the product.
    pub product: String,
}

pub async fn position(
    State(state): State<Arc<AppState>>,
    ApiUser(principal): ApiUser,
    params: Result<Query<PositionParams>, QueryRejection>,
) -> Outcome<JsonBody> {
    require_read(&principal)?;
    let params = query_params(params)?;
    require_location(&principal, &params.location)?;
    state
        .read(move |engine| {
            if engine.location_id(&params.location).is_none() {
                return Err(Failure::not_found(format!("location: no location {}", params.location)));
            }
            let position: NamedPosition<'_> =
                engine
                    .position_by_code(&params.location, &params.product)
                    .ok_or_else(|| {
                        Failure::not_found(format!(
                            "product: {}: no product has this SKU or barcode",
                            params.product
                        ))
                    })?;
            json(&position)
        })
        .await
}
