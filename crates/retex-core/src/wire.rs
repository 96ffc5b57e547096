//! Parsing one NDJSON line into an [`Event`], with errors that name the field and the problem.
//!
//! serde's derived errors do not say which field failed, so the line is first split into raw values (one borrowed
//! slice per known field; unknown fields are skipped, as events.md allows) and each value is then read and
//! validated by hand. This is also the fast path: one pass over the text, no intermediate tree, strings borrowed.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::codes::{
    CodeError, DocumentNumber, EventId, LocationCode, Money, Qty, Sku, SourceName, SupplierCode, check_gtin,
    parse_decimal,
};
use crate::event::*;

/// Why a line was rejected: the field (a path such as `lines[2].qty`, or `json` for a syntax error) and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct EventError {
    pub field: String,
    pub problem: String,
}

impl EventError {
    fn new(field: Field, problem: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    fn json(error: &serde_json::Error) -> Self {
        let message = error.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(head, _)| head);
        Self {
            field: "json".into(),
            problem: format!("{message} (column {})", error.column()),
        }
    }
}

/// Where a value sits in the event: a top-level field or a field of one line of `lines`.
#[derive(Clone, Copy)]
struct Field {
    line_index: Option<usize>,
    name: &'static str,
}

const fn top(name: &'static str) -> Field {
    Field { line_index: None, name }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_index {
            Some(index) => write!(f, "lines[{index}].{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

type Raw<'a> = Option<&'a RawValue>;

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow)]
    id: Raw<'a>,
    #[serde(borrow)]
    source: Raw<'a>,
    #[serde(borrow, rename = "type")]
    kind: Raw<'a>,
    #[serde(borrow)]
    at: Raw<'a>,
    /// A location's `kind` (the envelope's `type` is `kind` above).
    #[serde(borrow, rename = "kind")]
    location_kind: Raw<'a>,
    #[serde(borrow)]
    code: Raw<'a>,
    #[serde(borrow)]
    name: Raw<'a>,
    #[serde(borrow)]
    region: Raw<'a>,
    #[serde(borrow)]
    timezone: Raw<'a>,
    #[serde(borrow)]
    hours: Raw<'a>,
    #[serde(borrow)]
    lead_time_days: Raw<'a>,
    #[serde(borrow)]
    sku: Raw<'a>,
    #[serde(borrow)]
    category: Raw<'a>,
    #[serde(borrow)]
    uom: Raw<'a>,
    #[serde(borrow)]
    cost: Raw<'a>,
    #[serde(borrow)]
    price: Raw<'a>,
    #[serde(borrow)]
    supplier: Raw<'a>,
    #[serde(borrow)]
    return_days: Raw<'a>,
    #[serde(borrow)]
    barcode: Raw<'a>,
    #[serde(borrow)]
    location: Raw<'a>,
    #[serde(borrow)]
    channel: Raw<'a>,
    #[serde(borrow)]
    promotion: Raw<'a>,
    #[serde(borrow)]
    from: Raw<'a>,
    #[serde(borrow)]
    to: Raw<'a>,
    #[serde(borrow)]
    qty: Raw<'a>,
    #[serde(borrow)]
    unit_price: Raw<'a>,
    #[serde(borrow)]
    order: Raw<'a>,
    #[serde(borrow)]
    reason: Raw<'a>,
    #[serde(borrow)]
    counted: Raw<'a>,
    #[serde(borrow)]
    po: Raw<'a>,
    #[serde(borrow)]
    expected: Raw<'a>,
    #[serde(borrow)]
    lines: Raw<'a>,
    #[serde(borrow, rename = "final")]
    is_final: Raw<'a>,
    #[serde(borrow)]
    transfer: Raw<'a>,
    #[serde(borrow)]
    ship_by: Raw<'a>,
    #[serde(borrow, rename = "return")]
    return_number: Raw<'a>,
    #[serde(borrow)]
    amount: Raw<'a>,
    #[serde(borrow)]
    message: Raw<'a>,
    #[serde(borrow)]
    text: Raw<'a>,
}

#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(borrow)]
    sku: Raw<'a>,
    #[serde(borrow)]
    qty: Raw<'a>,
    #[serde(borrow)]
    unit_cost: Raw<'a>,
    #[serde(borrow)]
    unit_price: Raw<'a>,
    #[serde(borrow)]
    damaged: Raw<'a>,
    #[serde(borrow)]
    refund: Raw<'a>,
    #[serde(borrow)]
    condition: Raw<'a>,
}

/// Parses and validates one event. A blank line is an error here; callers skip blank lines before.
pub fn parse_event(line: &str) -> Result<Event, EventError> {
    if !line.trim_start().starts_with('{') {
        return Err(EventError {
            field: "json".into(),
            problem: "expected a JSON object".into(),
        });
    }
    let raw: RawEvent = serde_json::from_str(line).map_err(|error| EventError::json(&error))?;
    let id = code(required(raw.id, top("id"))?, top("id"), EventId::parse)?;
    let source = code(required(raw.source, top("source"))?, top("source"), SourceName::parse)?;
    let kind = text(required(raw.kind, top("type"))?, top("type"))?;
    let at = timestamp(raw.at, top("at"))?;
    let body = parse_body(&kind, &raw)?;
    Ok(Event { id, source, at, body })
}

fn parse_body(kind: &str, raw: &RawEvent) -> Result<EventBody, EventError> {
    let body = match kind {
        "location" => EventBody::Location(parse_location(raw)?),
        "supplier" => EventBody::Supplier(SupplierUpsert {
            code: code(required(raw.code, top("code"))?, top("code"), SupplierCode::parse)?,
            name: owned_text(raw.name, top("name"))?,
            lead_time_days: optional(raw.lead_time_days, top("lead_time_days"), non_negative_qty)?,
        }),
        "product" => EventBody::Product(parse_product(raw)?),
        "price" => EventBody::Price(PriceUpsert {
            sku: sku(raw.sku, top("sku"))?,
            price: non_negative_money(required(raw.price, top("price"))?, top("price"))?,
            location: optional(raw.location, top("location"), location_code)?,
            channel: optional(raw.channel, top("channel"), channel)?,
        }),
        "promotion" => EventBody::Promotion(parse_promotion(raw)?),
        "sale" => EventBody::Sale(Sale {
            location: location(raw.location, top("location"))?,
            sku: sku(raw.sku, top("sku"))?,
            qty: positive_qty(required(raw.qty, top("qty"))?, top("qty"))?,
            unit_price: non_negative_money(required(raw.unit_price, top("unit_price"))?, top("unit_price"))?,
            channel: channel(required(raw.channel, top("channel"))?, top("channel"))?,
            order: optional(raw.order, top("order"), document)?,
        }),
        "adjustment" => EventBody::Adjustment(Adjustment {
            location: location(raw.location, top("location"))?,
            sku: sku(raw.sku, top("sku"))?,
            qty: Qty(decimal(required(raw.qty, top("qty"))?, top("qty"))?),
            reason: adjustment_reason(required(raw.reason, top("reason"))?, top("reason"))?,
        }),
        "count" => EventBody::Count(Count {
            location: location(raw.location, top("location"))?,
            sku: sku(raw.sku, top("sku"))?,
            counted: non_negative_qty(required(raw.counted, top("counted"))?, top("counted"))?,
        }),
        "purchase_order" => EventBody::PurchaseOrder(parse_purchase_order(raw)?),
        "po_update" => EventBody::PoUpdate(PoUpdate {
            po: document(required(raw.po, top("po"))?, top("po"))?,
            expected: timestamp(raw.expected, top("expected"))?,
        }),
        "receipt" => EventBody::Receipt(Receipt {
            po: document(required(raw.po, top("po"))?, top("po"))?,
            location: location(raw.location, top("location"))?,
            lines: lines(raw.lines, received_line)?,
            is_final: optional(raw.is_final, top("final"), boolean)?.unwrap_or(true),
        }),
        "transfer_shipped" => EventBody::TransferShipped(parse_transfer_shipped(raw)?),
        "transfer_received" => EventBody::TransferReceived(TransferReceived {
            transfer: document(required(raw.transfer, top("transfer"))?, top("transfer"))?,
            location: location(raw.location, top("location"))?,
            lines: lines(raw.lines, received_line)?,
        }),
        "order_placed" => EventBody::OrderPlaced(OrderPlaced {
            order: document(required(raw.order, top("order"))?, top("order"))?,
            channel: channel(required(raw.channel, top("channel"))?, top("channel"))?,
            ship_by: timestamp(raw.ship_by, top("ship_by"))?,
            lines: lines(raw.lines, order_line)?,
        }),
        "order_allocated" => EventBody::OrderAllocated(OrderAllocated {
            order: document(required(raw.order, top("order"))?, top("order"))?,
            location: location(raw.location, top("location"))?,
        }),
        "order_shipped" => EventBody::OrderShipped(OrderShipped {
            order: document(required(raw.order, top("order"))?, top("order"))?,
            location: location(raw.location, top("location"))?,
            lines: match raw.lines {
                Some(_) => Some(lines(raw.lines, sku_qty_line)?),
                None => None,
            },
        }),
        "order_cancelled" => EventBody::OrderCancelled(OrderCancelled {
            order: document(required(raw.order, top("order"))?, top("order"))?,
            reason: cancel_reason(required(raw.reason, top("reason"))?, top("reason"))?,
        }),
        "return_requested" => EventBody::ReturnRequested(ReturnRequested {
            return_number: document(required(raw.return_number, top("return"))?, top("return"))?,
            order: optional(raw.order, top("order"), document)?,
            location: location(raw.location, top("location"))?,
            reason: optional(raw.reason, top("reason"), |raw, field| {
                text(raw, field).map(Cow::into_owned)
            })?,
            lines: lines(raw.lines, return_request_line)?,
        }),
        "return_received" => EventBody::ReturnReceived(ReturnReceived {
            return_number: document(required(raw.return_number, top("return"))?, top("return"))?,
            location: location(raw.location, top("location"))?,
            lines: lines(raw.lines, return_received_line)?,
        }),
        "refund_issued" => EventBody::RefundIssued(RefundIssued {
            return_number: document(required(raw.return_number, top("return"))?, top("return"))?,
            amount: non_negative_money(required(raw.amount, top("amount"))?, top("amount"))?,
        }),
        "customer_message" => EventBody::CustomerMessage(CustomerMessage {
            message: document(required(raw.message, top("message"))?, top("message"))?,
            text: owned_text(raw.text, top("text"))?,
            order: optional(raw.order, top("order"), document)?,
            channel: optional(raw.channel, top("channel"), message_channel)?,
        }),
        other => {
            return Err(EventError::new(top("type"), format!("unknown event type {other:?}")));
        }
    };
    Ok(body)
}

fn parse_location(raw: &RawEvent) -> Result<LocationUpsert, EventError> {
    let kind = text(required(raw.location_kind, top("kind"))?, top("kind"))?;
    let kind = match kind.as_ref() {
        "store" => LocationKind::Store,
        "warehouse" => LocationKind::Warehouse,
        "web" => LocationKind::Web,
        other => return Err(one_of(top("kind"), other, "store, warehouse, web")),
    };
    Ok(LocationUpsert {
        code: code(required(raw.code, top("code"))?, top("code"), LocationCode::parse)?,
        name: owned_text(raw.name, top("name"))?,
        kind,
        region: optional(raw.region, top("region"), |raw, field| {
            text(raw, field).map(Cow::into_owned)
        })?,
        timezone: optional(raw.timezone, top("timezone"), timezone)?,
        hours: optional(raw.hours, top("hours"), |raw, field| {
            OpeningHours::parse(&text(raw, field)?).map_err(|problem| EventError::new(field, problem))
        })?,
    })
}

fn parse_product(raw: &RawEvent) -> Result<ProductUpsert, EventError> {
    let return_days = optional(raw.return_days, top("return_days"), |raw, field| {
        let days = decimal(raw, field)?;
        let whole = if days.fract().is_zero() {
            u32::try_from(days).ok()
        } else {
            None
        };
        whole.ok_or_else(|| EventError::new(field, "expected a whole number of days, 0 or more"))
    })?;
    Ok(ProductUpsert {
        sku: sku(raw.sku, top("sku"))?,
        name: owned_text(raw.name, top("name"))?,
        category: owned_text(raw.category, top("category"))?,
        uom: optional(raw.uom, top("uom"), |raw, field| text(raw, field).map(Cow::into_owned))?,
        cost: optional(raw.cost, top("cost"), non_negative_money)?,
        price: optional(raw.price, top("price"), non_negative_money)?,
        supplier: optional(raw.supplier, top("supplier"), |raw, field| {
            code(raw, field, SupplierCode::parse)
        })?,
        return_days,
        barcode: optional(raw.barcode, top("barcode"), |raw, field| {
            let barcode = text(raw, field)?;
            check_gtin(&barcode).map_err(|problem| EventError::new(field, problem))?;
            Ok(barcode.into_owned())
        })?,
    })
}

fn parse_promotion(raw: &RawEvent) -> Result<PromotionUpsert, EventError> {
    let from = timestamp(raw.from, top("from"))?;
    let to = timestamp(raw.to, top("to"))?;
    if to <= from {
        return Err(EventError::new(top("to"), "must be after `from`"));
    }
    Ok(PromotionUpsert {
        promotion: document(required(raw.promotion, top("promotion"))?, top("promotion"))?,
        sku: sku(raw.sku, top("sku"))?,
        price: non_negative_money(required(raw.price, top("price"))?, top("price"))?,
        from,
        to,
        location: optional(raw.location, top("location"), location_code)?,
        channel: optional(raw.channel, top("channel"), channel)?,
    })
}

fn parse_purchase_order(raw: &RawEvent) -> Result<PurchaseOrder, EventError> {
    Ok(PurchaseOrder {
        po: document(required(raw.po, top("po"))?, top("po"))?,
        supplier: code(
            required(raw.supplier, top("supplier"))?,
            top("supplier"),
            SupplierCode::parse,
        )?,
        location: location(raw.location, top("location"))?,
        expected: timestamp(raw.expected, top("expected"))?,
        lines: lines(raw.lines, |line, index| {
            Ok(PurchaseOrderLine {
                sku: sku(line.sku, at_line(index, "sku"))?,
                qty: positive_qty(required(line.qty, at_line(index, "qty"))?, at_line(index, "qty"))?,
                unit_cost: optional(line.unit_cost, at_line(index, "unit_cost"), non_negative_money)?,
            })
        })?,
    })
}

fn parse_transfer_shipped(raw: &RawEvent) -> Result<TransferShipped, EventError> {
    let from = location(raw.from, top("from"))?;
    let to = location(raw.to, top("to"))?;
    if from == to {
        return Err(EventError::new(top("to"), "must differ from `from`"));
    }
    Ok(TransferShipped {
        transfer: document(required(raw.transfer, top("transfer"))?, top("transfer"))?,
        from,
        to,
        expected: match raw.expected {
            Some(_) => Some(timestamp(raw.expected, top("expected"))?),
            None => None,
        },
        lines: lines(raw.lines, sku_qty_line)?,
    })
}

fn at_line(index: usize, name: &'static str) -> Field {
    Field {
        line_index: Some(index),
        name,
    }
}

/// Reads `lines`: a non-empty array of objects, each read by `read_line`.
fn lines<T>(raw: Raw<'_>, read_line: impl Fn(&RawLine, usize) -> Result<T, EventError>) -> Result<Vec<T>, EventError> {
    let field = top("lines");
    let raw = required(raw, field)?;
    let raw_lines: Vec<RawLine> =
        serde_json::from_str(raw.get()).map_err(|_| EventError::new(field, "expected an array of line objects"))?;
    if raw_lines.is_empty() {
        return Err(EventError::new(field, "must have at least one line"));
    }
    let mut parsed = Vec::with_capacity(raw_lines.len());
    for (index, line) in raw_lines.iter().enumerate() {
        parsed.push(read_line(line, index)?);
    }
    Ok(parsed)
}

fn sku_qty_line(line: &RawLine, index: usize) -> Result<SkuQty, EventError> {
    Ok(SkuQty {
        sku: sku(line.sku, at_line(index, "sku"))?,
        qty: positive_qty(required(line.qty, at_line(index, "qty"))?, at_line(index, "qty"))?,
    })
}

fn received_line(line: &RawLine, index: usize) -> Result<ReceivedLine, EventError> {
    let qty = non_negative_qty(required(line.qty, at_line(index, "qty"))?, at_line(index, "qty"))?;
    let damaged = optional(line.damaged, at_line(index, "damaged"), non_negative_qty)?.unwrap_or(Qty::ZERO);
    if damaged > qty {
        return Err(EventError::new(at_line(index, "damaged"), "must not exceed `qty`"));
    }
    Ok(ReceivedLine {
        sku: sku(line.sku, at_line(index, "sku"))?,
        qty,
        damaged,
    })
}

fn order_line(line: &RawLine, index: usize) -> Result<OrderLine, EventError> {
    Ok(OrderLine {
        sku: sku(line.sku, at_line(index, "sku"))?,
        qty: positive_qty(required(line.qty, at_line(index, "qty"))?, at_line(index, "qty"))?,
        unit_price: non_negative_money(
            required(line.unit_price, at_line(index, "unit_price"))?,
            at_line(index, "unit_price"),
        )?,
    })
}

fn return_request_line(line: &RawLine, index: usize) -> Result<ReturnRequestLine, EventError> {
    Ok(ReturnRequestLine {
        sku: sku(line.sku, at_line(index, "sku"))?,
        qty: positive_qty(required(line.qty, at_line(index, "qty"))?, at_line(index, "qty"))?,
        refund: non_negative_money(
            required(line.refund, at_line(index, "refund"))?,
            at_line(index, "refund"),
        )?,
    })
}

fn return_received_line(line: &RawLine, index: usize) -> Result<ReturnReceivedLine, EventError> {
    let field = at_line(index, "condition");
    let condition = match text(required(line.condition, field)?, field)?.as_ref() {
        "resellable" => ReturnCondition::Resellable,
        "damaged" => ReturnCondition::Damaged,
        other => return Err(one_of(field, other, "resellable, damaged")),
    };
    Ok(ReturnReceivedLine {
        sku: sku(line.sku, at_line(index, "sku"))?,
        qty: positive_qty(required(line.qty, at_line(index, "qty"))?, at_line(index, "qty"))?,
        condition,
    })
}

fn required<'a>(raw: Raw<'a>, field: Field) -> Result<&'a RawValue, EventError> {
    raw.ok_or_else(|| EventError::new(field, "missing"))
}

fn optional<'a, T>(
    raw: Raw<'a>,
    field: Field,
    read: impl Fn(&'a RawValue, Field) -> Result<T, EventError>,
) -> Result<Option<T>, EventError> {
    raw.map(|raw| read(raw, field)).transpose()
}

/// Names the JSON type of a raw value for error messages.
fn json_type(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

fn text<'a>(raw: &'a RawValue, field: Field) -> Result<Cow<'a, str>, EventError> {
    let json = raw.get();
    if !json.starts_with('"') {
        return Err(EventError::new(
            field,
            format!("expected a string, got {}", json_type(raw)),
        ));
    }
    if !json.contains('\\') {
        return Ok(Cow::Borrowed(&json[1..json.len() - 1]));
    }
    serde_json::from_str::<String>(json)
        .map(Cow::Owned)
        .map_err(|error| EventError::new(field, error.to_string()))
}

fn owned_text(raw: Raw<'_>, field: Field) -> Result<String, EventError> {
    let value = text(required(raw, field)?, field)?;
    if value.trim().is_empty() {
        return Err(EventError::new(field, "must not be empty"));
    }
    Ok(value.into_owned())
}

fn code<T>(raw: &RawValue, field: Field, parse: impl Fn(String) -> Result<T, CodeError>) -> Result<T, EventError> {
    let value = text(raw, field)?;
    parse(value.into_owned()).map_err(|error| EventError::new(field, error.to_string()))
}

fn sku(raw: Raw<'_>, field: Field) -> Result<Sku, EventError> {
    code(required(raw, field)?, field, Sku::parse)
}

fn location(raw: Raw<'_>, field: Field) -> Result<LocationCode, EventError> {
    location_code(required(raw, field)?, field)
}

fn location_code(raw: &RawValue, field: Field) -> Result<LocationCode, EventError> {
    code(raw, field, LocationCode::parse)
}

fn document(raw: &RawValue, field: Field) -> Result<DocumentNumber, EventError> {
    code(raw, field, DocumentNumber::parse)
}

/// Quantities and amounts are below this in magnitude (ten integer digits): then no sum or product the engine
/// keeps of them (a ledger's on hand, an impact, a day's total) can overflow its exact decimals, whose range ends
/// near 7.9 x 10^28. A larger value would stop the engine at that log entry, on every replay.
pub const DECIMAL_MAGNITUDE_LIMIT: Decimal = Decimal::from_parts(1_410_065_408, 2, 0, false, 0);

/// A decimal number; a numeric string (`"12.50"`) is accepted too, as many systems send money that way.
fn decimal(raw: &RawValue, field: Field) -> Result<Decimal, EventError> {
    let value = unbounded_decimal(raw, field)?;
    if value.abs() >= DECIMAL_MAGNITUDE_LIMIT {
        return Err(EventError::new(
            field,
            format!(
                "{} is too large: quantities and amounts are below {DECIMAL_MAGNITUDE_LIMIT} in magnitude",
                raw.get()
            ),
        ));
    }
    Ok(value)
}

fn unbounded_decimal(raw: &RawValue, field: Field) -> Result<Decimal, EventError> {
    let json = raw.get();
    let digits = match json.as_bytes().first() {
        Some(b'"') => &json[1..json.len() - 1],
        Some(b'-' | b'0'..=b'9') => json,
        _ => {
            return Err(EventError::new(
                field,
                format!("expected a number, got {}", json_type(raw)),
            ));
        }
    };
    parse_decimal(digits.trim()).map_err(|_| {
        EventError::new(
            field,
            format!("{json} is not a decimal number (at most 28 significant digits)"),
        )
    })
}

fn non_negative_qty(raw: &RawValue, field: Field) -> Result<Qty, EventError> {
    let value = decimal(raw, field)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(EventError::new(field, format!("must not be negative, got {value}")));
    }
    Ok(Qty(value))
}

fn positive_qty(raw: &RawValue, field: Field) -> Result<Qty, EventError> {
    let value = decimal(raw, field)?;
    if value <= Decimal::ZERO {
        return Err(EventError::new(field, format!("must be greater than 0, got {value}")));
    }
    Ok(Qty(value))
}

fn non_negative_money(raw: &RawValue, field: Field) -> Result<Money, EventError> {
    non_negative_qty(raw, field).map(|qty| Money(qty.0))
}

fn timestamp(raw: Raw<'_>, field: Field) -> Result<DateTime<FixedOffset>, EventError> {
    let value = text(required(raw, field)?, field)?;
    DateTime::parse_from_rfc3339(&value).map_err(|_| {
        EventError::new(
            field,
            format!("{value:?} is not an RFC 3339 timestamp with offset, like 2026-11-02T10:15:00Z"),
        )
    })
}

fn boolean(raw: &RawValue, field: Field) -> Result<bool, EventError> {
    match raw.get() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(EventError::new(
            field,
            format!("expected true or false, got {}", json_type(raw)),
        )),
    }
}

fn one_of(field: Field, value: &str, allowed: &str) -> EventError {
    EventError::new(field, format!("{value:?} is not one of {allowed}"))
}

fn channel(raw: &RawValue, field: Field) -> Result<Channel, EventError> {
    match text(raw, field)?.as_ref() {
        "pos" => Ok(Channel::Pos),
        "web" => Ok(Channel::Web),
        other => Err(one_of(field, other, "pos, web")),
    }
}

fn message_channel(raw: &RawValue, field: Field) -> Result<MessageChannel, EventError> {
    match text(raw, field)?.as_ref() {
        "email" => Ok(MessageChannel::Email),
        "chat" => Ok(MessageChannel::Chat),
        "phone" => Ok(MessageChannel::Phone),
        "social" => Ok(MessageChannel::Social),
        other => Err(one_of(field, other, "email, chat, phone, social")),
    }
}

fn adjustment_reason(raw: &RawValue, field: Field) -> Result<AdjustmentReason, EventError> {
    match text(raw, field)?.as_ref() {
        "damage" => Ok(AdjustmentReason::Damage),
        "theft" => Ok(AdjustmentReason::Theft),
        "expiry" => Ok(AdjustmentReason::Expiry),
        "correction" => Ok(AdjustmentReason::Correction),
        "other" => Ok(AdjustmentReason::Other),
        other => Err(one_of(field, other, "damage, theft, expiry, correction, other")),
    }
}

fn cancel_reason(raw: &RawValue, field: Field) -> Result<CancelReason, EventError> {
    match text(raw, field)?.as_ref() {
        "stockout" => Ok(CancelReason::Stockout),
        "customer" => Ok(CancelReason::Customer),
        "fraud" => Ok(CancelReason::Fraud),
        "other" => Ok(CancelReason::Other),
        other => Err(one_of(field, other, "stockout, customer, fraud, other")),
    }
}

/// An IANA zone name known to the zone database the SLA calendar uses.
fn timezone(raw: &RawValue, field: Field) -> Result<String, EventError> {
    let name = text(raw, field)?;
    if name.parse::<chrono_tz::Tz>().is_err() {
        return Err(EventError::new(
            field,
            format!("{name:?} is not an IANA time zone name like Europe/Berlin"),
        ));
    }
    Ok(name.into_owned())
}
