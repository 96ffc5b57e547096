//! The store page: what a store's staff do on the shop floor. It lists the transfers on their way (to confirm
//! a receipt), the store's open exceptions and the counts asked for, takes counts (each entry logged as an event
//! under the person's name), and answers a stock check: a scanned product's books here and what is on its way.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::response::Response;
use retex_core::codes::{Qty, Timestamp};
use retex_core::display;
use retex_core::engine::{ExceptionOrder, ExceptionQuery, NamedPosition, Sort};
use serde::Deserialize;

use super::page::{
    PageUser, UserBar, back_with_notice, check_csrf, error_page, named_place, non_empty, page, place, shown, url_encode,
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
    /// The answer to a stock check, when one was asked.
    stock_check: Option<StockCheck<'a>>,
}

/// What a person asked of the stock check, and its answer: the product's books here and the documents open
/// on it, or none when no product has that SKU or barcode.
struct StockCheck<'a> {
    asked: String,
    answer: Option<NamedPosition<'a>>,
}

struct InboundCard<'a> {
    transfer: &'a str,
    from: &'a str,
    expected: Option<String>,
    /// SKU, product name (empty when unknown) and the quantity shipped.
    lines: Vec<(&'a str, &'a str, String)>,
}

#[derive(Deserialize)]
pub(super) struct StoreQuery {
    location: Option<String>,
    notice: Option<String>,
    /// A SKU or barcode to check the stock of.
    check: Option<String>,
}

pub(super) async fn store_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Query(query): Query<StoreQuery>,
) -> Response {
    shown(
        state
            .read(move |engine| {
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
                        expected: transfer.expected.as_deref().and_then(|expected| {
                            let at = Timestamp::parse_rfc3339(expected).ok()?;
                            let zone = engine.location_zone(engine.location_id(&location));
                            Some(display::local_time(at, zone))
                        }),
                        lines: transfer
                            .lines
                            .into_iter()
                            .map(|(sku, qty)| {
                                let name = engine.product_by_code(sku).and_then(|(_, name)| name).unwrap_or("");
                                (sku, name, qty.to_string())
                            })
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
                    .map(|view| {
                        let place = engine
                            .exception_record(view.id)
                            .map_or_else(|| place(&view), |record| named_place(engine, record));
                        (view.id, view.exception_type, place, view.severity)
                    })
                    .collect();
                let recounts = engine
                    .tasks()
                    .iter()
                    .filter(|task| task.kind.name() == "recount" && task.status.is_waiting())
                    .map(|task| engine.task_view(task))
                    .filter(|task| task.location == Some(location.as_str()))
                    .filter_map(|task| Some((task.sku?, task.exception)))
                    .collect();
                let stock_check = non_empty(&query.check).map(|asked| {
                    let asked = asked.trim().to_owned();
                    let answer = engine.position_by_code(&location, &asked);
                    StockCheck { asked, answer }
                });
                page(&StorePage {
                    user: UserBar::of(&user),
                    notice: query.notice,
                    recounts,
                    stock_check,
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
        let (product, now) = {
            let code = sku.to_owned();
            let clock = Arc::clone(&state);
            state
                .read(move |engine| {
                    let product = engine
                        .product_by_code(&code)
                        .map(|(sku, name)| (sku.to_owned(), name.map(str::to_owned)));
                    Ok((product, clock.now_datetime(engine)))
                })
                .await?
        };
        let Some((sku, name)) = product else {
            return Err(Failure::bad_request(format!(
                "{sku}: no product has this SKU or barcode"
            )));
        };
        let named = name.map_or_else(|| sku.clone(), |name| format!("{sku} ({name})"));
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
        Ok(format!("Count of {named} recorded: {counted}"))
    }
    .await;
    finish_store_form(&back, recorded)
}

/// The receiving form: its transfer, and per line `arrived.SKU` and `damaged.SKU` (absent: in full, none
/// damaged).
struct ReceiveForm {
    pairs: Vec<(String, String)>,
}

impl ReceiveForm {
    fn field(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// A line's units: whole and not negative; `default` when the field is absent or empty.
    fn units(&self, name: &str, default: Qty) -> Outcome<Qty> {
        let Some(text) = self.field(name) else {
            return Ok(default);
        };
        match text.parse::<u32>() {
            Ok(units) => Ok(Qty::from_units(i64::from(units))),
            Err(_) => Err(Failure::bad_request(format!(
                "{name}: {text:?} is not a whole number of units"
            ))),
        }
    }
}

/// A received line as the event writes it, and how it differs from what was shipped, in words.
fn received_line(form: &ReceiveForm, sku: &str, shipped: Qty) -> Outcome<(serde_json::Value, Option<String>)> {
    let arrived = form.units(&format!("arrived.{sku}"), shipped)?;
    let damaged = form.units(&format!("damaged.{sku}"), Qty::ZERO)?;
    if damaged > arrived {
        return Err(Failure::bad_request(format!(
            "{sku}: {damaged} damaged of {arrived} arrived"
        )));
    }
    let mut differences = Vec::new();
    if arrived < shipped {
        differences.push(format!("{} short", shipped - arrived));
    } else if arrived > shipped {
        differences.push(format!("{} over", arrived - shipped));
    }
    if damaged.is_positive() {
        differences.push(format!("{damaged} damaged"));
    }
    let line = serde_json::json!({"sku": sku, "qty": arrived.0, "damaged": damaged.0});
    Ok((
        line,
        (!differences.is_empty()).then(|| format!("{sku} {}", differences.join(", "))),
    ))
}

pub(super) async fn confirm_receipt(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = ReceiveForm { pairs };
    let location = form.field("location").unwrap_or_default().to_owned();
    let back = store_return(&location);
    let recorded = async {
        check_csrf(&user, form.field("csrf").unwrap_or_default())?;
        // Before looking the transfer up, so the answer says nothing of another location's transfers.
        require_location(&user.principal, &location)?;
        let transfer = form.field("transfer").unwrap_or_default().to_owned();
        let clock = Arc::clone(&state);
        let (place, wanted) = (location.clone(), transfer.clone());
        let (shipped, now) = state
            .read(move |engine| {
                let inbound = engine.inbound_transfers(&place);
                let found = inbound
                    .iter()
                    .find(|candidate| candidate.transfer == wanted)
                    .ok_or_else(|| Failure::bad_request(format!("{wanted}: not on its way to {place}")))?;
                let shipped: Vec<(String, Qty)> =
                    found.lines.iter().map(|(sku, qty)| ((*sku).to_owned(), *qty)).collect();
                Ok((shipped, clock.now_datetime(engine)))
            })
            .await?;
        let mut lines = Vec::with_capacity(shipped.len());
        let mut differences = Vec::new();
        for (sku, qty) in &shipped {
            let (line, difference) = received_line(&form, sku, *qty)?;
            lines.push(line);
            differences.extend(difference);
        }
        let event = serde_json::json!({
            "id": ui_event_id("receive", &user.principal.name),
            "source": UI_SOURCE,
            "type": "transfer_received",
            "at": now.to_rfc3339(),
            "transfer": transfer,
            "location": location,
            "lines": lines,
        });
        state
            .record_event(&user.principal, &location, event.to_string())
            .await?;
        Ok(if differences.is_empty() {
            format!("Transfer {transfer} received in full")
        } else {
            format!("Transfer {transfer} received: {}", differences.join("; "))
        })
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
