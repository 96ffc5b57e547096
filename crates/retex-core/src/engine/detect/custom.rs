//! Custom exception types of the rules: a condition over the event and the state it touches.
//!
//! The expression reads fields through [`Fields`]: `event.*` from the typed event, `position.*` from the ledger
//! row of the event's location and SKU, `product.*` and `location.*` from master data.

use std::borrow::Cow;

use crate::codes::{DocumentNumber, Money, Qty};
use crate::engine::detect::{Cause, Detection};
use crate::engine::exceptions::{ExceptionKey, TypeRef};
use crate::engine::incidents::Touch;
use crate::engine::interner::Interner;
use crate::engine::ledger::{Ledger, LocationId, SkuId};
use crate::engine::master::MasterData;
use crate::event::{Event, EventBody, LocationKind};
use crate::rules::expr::{Fields, Root, Value};
use crate::rules::{KeyPart, Rules};

/// What custom conditions may read: the ledger and master data, by the event's location and SKU.
#[derive(Clone, Copy)]
pub struct CustomView<'a> {
    pub rules: &'a Rules,
    pub ledger: &'a Ledger,
    pub master: &'a MasterData,
    pub locations: &'a Interner,
    pub skus: &'a Interner,
}

struct EventFields<'a> {
    view: CustomView<'a>,
    event: &'a Event,
    location: Option<LocationId>,
    sku: Option<SkuId>,
}

impl Fields for EventFields<'_> {
    fn field(&self, root: Root, name: &str) -> Value<'_> {
        match root {
            Root::Event => event_field(self.event, name),
            Root::Position => self.position_field(name),
            Root::Product => self.product_field(name),
            Root::Location => self.location_field(name),
        }
    }
}

impl EventFields<'_> {
    fn position_field(&self, name: &str) -> Value<'_> {
        let (Some(location), Some(sku)) = (self.location, self.sku) else {
            return Value::Null;
        };
        let position = self.view.ledger.get(location, sku).copied().unwrap_or_default();
        let qty = match name {
            "on_hand" => position.on_hand,
            "reserved" => position.reserved,
            "in_transit" => position.in_transit,
            "available" => position.available(),
            _ => return Value::Null,
        };
        Value::Number(qty.0)
    }

    fn product_field(&self, name: &str) -> Value<'_> {
        let Some(sku) = self.sku else {
            return Value::Null;
        };
        let Some(product) = self.view.master.product(sku) else {
            return Value::Null;
        };
        match name {
            "sku" => text(self.view.skus.name(sku)),
            "name" => text(&product.name),
            "category" => text(&product.category),
            "uom" => optional_text(product.uom.as_deref()),
            "cost" => money(product.cost),
            "price" => money(product.price),
            "supplier" => optional_text(product.supplier.as_ref().map(|code| code.as_str())),
            "return_days" => Value::Number(product.return_days.into()),
            _ => Value::Null,
        }
    }

    fn location_field(&self, name: &str) -> Value<'_> {
        let Some(location) = self.location else {
            return Value::Null;
        };
        let info = self.view.master.location(location);
        match name {
            "code" => text(self.view.locations.name(location)),
            "name" => optional_text(info.map(|info| info.name.as_str())),
            "kind" => optional_text(info.map(|info| match info.kind {
                LocationKind::Store => "store",
                LocationKind::Warehouse => "warehouse",
                LocationKind::Web => "web",
            })),
            "region" => optional_text(info.and_then(|info| info.region.as_deref())),
            "timezone" => optional_text(info.and_then(|info| info.timezone.as_deref())),
            _ => Value::Null,
        }
    }
}

fn text(value: &str) -> Value<'_> {
    Value::Text(Cow::Borrowed(value))
}

fn optional_text(value: Option<&str>) -> Value<'_> {
    value.map_or(Value::Null, text)
}

fn money(value: Option<Money>) -> Value<'static> {
    value.map_or(Value::Null, |money| Value::Number(money.0))
}

fn qty(value: Qty) -> Value<'static> {
    Value::Number(value.0)
}

/// The event's location and SKU, where it names one (the location of a transfer is its destination).
fn event_place(body: &EventBody) -> (Option<&str>, Option<&str>) {
    match body {
        EventBody::Sale(sale) => (Some(sale.location.as_str()), Some(sale.sku.as_str())),
        EventBody::Adjustment(adjustment) => (Some(adjustment.location.as_str()), Some(adjustment.sku.as_str())),
        EventBody::Count(count) => (Some(count.location.as_str()), Some(count.sku.as_str())),
        EventBody::Price(price) => (
            price.location.as_ref().map(|code| code.as_str()),
            Some(price.sku.as_str()),
        ),
        EventBody::Promotion(promotion) => (
            promotion.location.as_ref().map(|code| code.as_str()),
            Some(promotion.sku.as_str()),
        ),
        EventBody::Product(product) => (None, Some(product.sku.as_str())),
        EventBody::Location(location) => (Some(location.code.as_str()), None),
        EventBody::PurchaseOrder(order) => (
            Some(order.location.as_str()),
            order.lines.first().map(|line| line.sku.as_str()),
        ),
        EventBody::Receipt(receipt) => (
            Some(receipt.location.as_str()),
            receipt.lines.first().map(|line| line.sku.as_str()),
        ),
        EventBody::TransferShipped(shipped) => (
            Some(shipped.to.as_str()),
            shipped.lines.first().map(|line| line.sku.as_str()),
        ),
        EventBody::TransferReceived(received) => (
            Some(received.location.as_str()),
            received.lines.first().map(|line| line.sku.as_str()),
        ),
        EventBody::OrderAllocated(allocated) => (Some(allocated.location.as_str()), None),
        EventBody::OrderShipped(shipped) => (Some(shipped.location.as_str()), None),
        EventBody::ReturnRequested(requested) => (
            Some(requested.location.as_str()),
            requested.lines.first().map(|line| line.sku.as_str()),
        ),
        EventBody::ReturnReceived(received) => (
            Some(received.location.as_str()),
            received.lines.first().map(|line| line.sku.as_str()),
        ),
        EventBody::OrderPlaced(placed) => (None, placed.lines.first().map(|line| line.sku.as_str())),
        EventBody::Supplier(_)
        | EventBody::PoUpdate(_)
        | EventBody::OrderCancelled(_)
        | EventBody::RefundIssued(_)
        | EventBody::CustomerMessage(_) => (None, None),
    }
}

/// The document an event is about, for `ref` keys.
fn event_document(body: &EventBody) -> Option<&DocumentNumber> {
    match body {
        EventBody::Sale(sale) => sale.order.as_ref(),
        EventBody::Promotion(promotion) => Some(&promotion.promotion),
        EventBody::PurchaseOrder(order) => Some(&order.po),
        EventBody::PoUpdate(update) => Some(&update.po),
        EventBody::Receipt(receipt) => Some(&receipt.po),
        EventBody::TransferShipped(shipped) => Some(&shipped.transfer),
        EventBody::TransferReceived(received) => Some(&received.transfer),
        EventBody::OrderPlaced(placed) => Some(&placed.order),
        EventBody::OrderAllocated(allocated) => Some(&allocated.order),
        EventBody::OrderShipped(shipped) => Some(&shipped.order),
        EventBody::OrderCancelled(cancelled) => Some(&cancelled.order),
        EventBody::ReturnRequested(requested) => Some(&requested.return_number),
        EventBody::ReturnReceived(received) => Some(&received.return_number),
        EventBody::RefundIssued(refund) => Some(&refund.return_number),
        EventBody::CustomerMessage(message) => Some(&message.message),
        EventBody::Location(_) | EventBody::Supplier(_) | EventBody::Product(_) | EventBody::Price(_) => None,
        EventBody::Adjustment(_) | EventBody::Count(_) => None,
    }
}

fn event_field<'a>(event: &'a Event, name: &str) -> Value<'a> {
    let body = &event.body;
    let (location, sku) = event_place(body);
    match (name, body) {
        ("id", _) => text(event.id.as_str()),
        ("source", _) => text(event.source.as_str()),
        ("type", _) => text(body.kind()),
        ("location", _) => optional_text(location),
        ("sku", _) => optional_text(sku),
        ("qty", EventBody::Sale(sale)) => qty(sale.qty),
        ("qty", EventBody::Adjustment(adjustment)) => qty(adjustment.qty),
        ("counted", EventBody::Count(count)) => qty(count.counted),
        ("unit_price", EventBody::Sale(sale)) => money(Some(sale.unit_price)),
        ("channel", EventBody::Sale(sale)) => text(if sale.channel == crate::event::Channel::Pos {
            "pos"
        } else {
            "web"
        }),
        ("order", EventBody::Sale(sale)) => optional_text(sale.order.as_ref().map(DocumentNumber::as_str)),
        ("reason", EventBody::ReturnRequested(requested)) => optional_text(requested.reason.as_deref()),
        ("price", EventBody::Price(price)) => money(Some(price.price)),
        ("price", EventBody::Promotion(promotion)) => money(Some(promotion.price)),
        ("amount", EventBody::RefundIssued(refund)) => money(Some(refund.amount)),
        ("text", EventBody::CustomerMessage(message)) => text(&message.text),
        ("supplier", EventBody::PurchaseOrder(order)) => text(order.supplier.as_str()),
        ("from", EventBody::TransferShipped(shipped)) => text(shipped.from.as_str()),
        ("to", EventBody::TransferShipped(shipped)) => text(shipped.to.as_str()),
        ("lines", _) => Value::Number(line_count(body).into()),
        ("po" | "transfer" | "order" | "return" | "message" | "promotion", _) => {
            optional_text(event_document(body).map(DocumentNumber::as_str))
        }
        _ => Value::Null,
    }
}

fn line_count(body: &EventBody) -> usize {
    match body {
        EventBody::PurchaseOrder(order) => order.lines.len(),
        EventBody::Receipt(receipt) => receipt.lines.len(),
        EventBody::TransferShipped(shipped) => shipped.lines.len(),
        EventBody::TransferReceived(received) => received.lines.len(),
        EventBody::OrderPlaced(placed) => placed.lines.len(),
        EventBody::OrderShipped(shipped) => shipped.lines.as_ref().map_or(0, Vec::len),
        EventBody::ReturnRequested(requested) => requested.lines.len(),
        EventBody::ReturnReceived(received) => received.lines.len(),
        _ => 0,
    }
}

/// Every enabled custom type that watches this event's type and whose condition holds, in the rules' order.
pub fn custom_types(view: CustomView<'_>, event: &Event, cause: Cause) -> Vec<Detection> {
    let mut detections = Vec::new();
    let kind = event.body.kind();
    let (location_code, sku_code) = event_place(&event.body);
    let location = location_code.and_then(|code| view.locations.get(code));
    let sku = sku_code.and_then(|code| view.skus.get(code));
    for (index, custom) in view.rules.custom.iter().enumerate() {
        if !custom.enabled || !custom.on.iter().any(|on| on == kind) {
            continue;
        }
        let fields = EventFields {
            view,
            event,
            location,
            sku,
        };
        if !custom.condition.matches(&fields) {
            continue;
        }
        let impact = match custom.impact.as_ref().map(|impact| impact.evaluate(&fields)) {
            Some(Value::Number(number)) => Money(number),
            _ => Money::ZERO,
        };
        let reference = event_document(&event.body).cloned();
        let key = ExceptionKey {
            exception_type: TypeRef::Custom(u16::try_from(index).expect("fewer than 65536 custom types")),
            location: location.filter(|_| custom.key.contains(&KeyPart::Location)),
            sku: sku.filter(|_| custom.key.contains(&KeyPart::Sku)),
            reference: reference.clone().filter(|_| custom.key.contains(&KeyPart::Ref)),
        };
        let mut touches = Vec::new();
        if let (Some(location), Some(sku)) = (location, sku) {
            touches.push(Touch::Position(location, sku));
        }
        if let Some(reference) = &reference {
            touches.push(Touch::Document(reference.clone()));
        }
        let detection = Detection {
            key,
            location,
            sku,
            reference,
            at: cause.at,
            impact,
            cause: cause.seq,
            touches,
            explanation: None,
            model_version: None,
            facts: None,
        };
        detections.push(detection);
    }
    detections
}
