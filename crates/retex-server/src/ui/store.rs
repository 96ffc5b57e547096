//! The store page: what a store's staff do on the shop floor. It lists the transfers on their way (to confirm
//! a receipt), the store's open exceptions and the counts asked for, and takes counts; each entry is logged as
//! an event under the person's name.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::response::Response;
use retex_core::engine::{ExceptionOrder, ExceptionQuery, Sort};
use serde::Deserialize;

use super::page::{
    PageUser, UserBar, back_with_notice, check_csrf, error_page, non_empty, page, place, shown, url_encode,
};
use crate::error::{Failure, FailureKind, Outcome};
use crate::scope::{require_location, stores_of};
use crate::state::{AppState, UI_SOURCE};

#[derive(Template)]
#[template(path = "store.html")]
struct StorePage<'a> {
    user: Option<UserBar>,
    notice: Option<String>,
    location: String,
    locations: Vec<(String, bool)>,
    csrf: String,
    inbound: Vec<InboundCard<'a>>,
    open: Vec<(u64, &'a str, String, &'static str)>,
    /// SKUs to count, with the exception that asked.
    recounts: Vec<(&'a str, u64)>,
}

struct InboundCard<'a> {
    transfer: &'a str,
    from: &'a str,
    expected: Option<String>,
    lines: Vec<(&'a str, String)>,
}

#[derive(Deserialize)]
pub(super) struct StoreQuery {
    location: Option<String>,
    notice: Option<String>,
}

pub(super) async fn store_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Query(query): Query<StoreQuery>,
) -> Response {
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let stores = stores_of(engine, &user.principal);
                let location = match non_empty(&query.location) {
                    Some(code) => code.to_owned(),
                    None => stores
                        .first()
                        .cloned()
                        .ok_or_else(|| Failure::not_found("no store is known yet"))?,
                };
                require_location(&user.principal, &location)?;
                let inbound = engine
                    .inbound_transfers(&location)
                    .into_iter()
                    .map(|transfer| InboundCard {
                        transfer: transfer.transfer,
                        from: transfer.from.unwrap_or("?"),
                        expected: transfer.expected,
                        lines: transfer
                            .lines
                            .into_iter()
                            .map(|(sku, qty)| (sku, qty.to_string()))
                            .collect(),
                    })
                    .collect();
                let scope = [location.clone()];
                let open = engine
                    .query_exceptions(&ExceptionQuery {
                        scope: Some(&scope),
                        sort: Sort::new(ExceptionOrder::SlaRisk),
                        limit: 50,
                        ..ExceptionQuery::default()
                    })
                    .items
                    .into_iter()
                    .map(|view| (view.id, view.exception_type, place(&view), view.severity))
                    .collect();
                let recounts = engine
                    .tasks()
                    .iter()
                    .filter(|task| task.kind.name() == "recount" && task.status.is_waiting())
                    .map(|task| engine.task_view(task))
                    .filter(|task| task.location == Some(location.as_str()))
                    .filter_map(|task| Some((task.sku?, task.exception)))
                    .collect();
                page(&StorePage {
                    user: UserBar::of(&user),
                    notice: query.notice,
                    recounts,
                    locations: stores.iter().map(|code| (code.clone(), *code == location)).collect(),
                    location,
                    csrf: user.csrf.clone(),
                    inbound,
                    open,
                })
            })
            .await,
    )
}

#[derive(Deserialize)]
pub(super) struct CountForm {
    csrf: String,
    location: String,
    sku: String,
    counted: String,
}

/// A new event id for something entered on the shop floor.
fn ui_event_id(kind: &str, user: &str) -> String {
    let mut nonce = [0u8; 6];
    // Without randomness the id still carries the user and the microsecond.
    let _ = getrandom::fill(&mut nonce);
    let nonce: String = nonce.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{kind}:{user}:{}:{nonce}", chrono::Utc::now().timestamp_micros())
}

fn store_return(location: &str) -> String {
    format!("/store?location={}", url_encode(location))
}

pub(super) async fn submit_count(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(form): Form<CountForm>,
) -> Response {
    let back = store_return(&form.location);
    let recorded = async {
        check_csrf(&user, &form.csrf)?;
        let sku = form.sku.trim();
        let (known, now) = {
            let sku = sku.to_owned();
            let clock = Arc::clone(&state);
            state
                .read(move |live| Ok((live.engine().sku_id(&sku).is_some(), clock.now_datetime(live.engine()))))
                .await?
        };
        if !known {
            return Err(Failure::bad_request(format!(
                "{sku}: no product has this SKU or barcode"
            )));
        }
        let counted: serde_json::Number = form
            .counted
            .trim()
            .parse()
            .map_err(|_| Failure::bad_request(format!("counted: {:?} is not a number", form.counted)))?;
        let event = serde_json::json!({
            "id": ui_event_id("count", &user.principal.name),
            "source": UI_SOURCE,
            "type": "count",
            "at": now.to_rfc3339(),
            "location": form.location,
            "sku": sku,
            "counted": counted,
        });
        state
            .record_event(&user.principal, &form.location, event.to_string())
            .await?;
        Ok(format!("Count of {sku} recorded: {counted}"))
    }
    .await;
    finish_store_form(&back, recorded)
}

#[derive(Deserialize)]
pub(super) struct ReceiveForm {
    csrf: String,
    location: String,
    transfer: String,
}

pub(super) async fn confirm_receipt(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(form): Form<ReceiveForm>,
) -> Response {
    let back = store_return(&form.location);
    let recorded = async {
        check_csrf(&user, &form.csrf)?;
        // Before looking the transfer up, so the answer says nothing of another location's transfers.
        require_location(&user.principal, &form.location)?;
        let (location, transfer) = (form.location.clone(), form.transfer.clone());
        let clock = Arc::clone(&state);
        let (lines, now) = state
            .read(move |live| {
                let inbound = live.engine().inbound_transfers(&location);
                let found = inbound
                    .iter()
                    .find(|candidate| candidate.transfer == transfer)
                    .ok_or_else(|| Failure::bad_request(format!("{transfer}: not on its way to {location}")))?;
                let lines: Vec<_> = found
                    .lines
                    .iter()
                    .map(|(sku, qty)| serde_json::json!({"sku": sku, "qty": qty.0}))
                    .collect();
                Ok((lines, clock.now_datetime(live.engine())))
            })
            .await?;
        let event = serde_json::json!({
            "id": ui_event_id("receive", &user.principal.name),
            "source": UI_SOURCE,
            "type": "transfer_received",
            "at": now.to_rfc3339(),
            "transfer": form.transfer,
            "location": form.location,
            "lines": lines,
        });
        state
            .record_event(&user.principal, &form.location, event.to_string())
            .await?;
        Ok(format!("Transfer {} received", form.transfer))
    }
    .await;
    finish_store_form(&back, recorded)
}

fn finish_store_form(back: &str, recorded: Outcome<String>) -> Response {
    match recorded {
        Ok(notice) => back_with_notice(back, &notice),
        Err(failure) if failure.kind == FailureKind::BadRequest => back_with_notice(back, &failure.message),
        Err(failure) => error_page(&failure),
    }
}
