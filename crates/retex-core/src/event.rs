//! The event schema, version 1 (`docs/events.md`): the contract with every source.
//!
//! These types are what an event means once validated. They serialize to the wire format and generate the JSON
//! Schema in `docs/event.schema.json`; parsing goes through `wire`, which reads the same format field by field so
//! that every problem is reported with the field that has it.

use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, EventId, LocationCode, Money, Qty, Sku, SourceName, SupplierCode};

/// One event from a source: the envelope and its typed body.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Event {
    /// Unique within `source`; `(source, id)` is the idempotency key.
    pub id: EventId,
    pub source: SourceName,
    /// When it happened (event time), RFC 3339 with an offset.
    pub at: DateTime<FixedOffset>,
    #[serde(flatten)]
    pub body: EventBody,
}

/// The event types; `type` on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Location(LocationUpsert),
    Supplier(SupplierUpsert),
    Product(ProductUpsert),
    Price(PriceUpsert),
    Promotion(PromotionUpsert),
    Sale(Sale),
    Adjustment(Adjustment),
    Count(Count),
    PurchaseOrder(PurchaseOrder),
    PoUpdate(PoUpdate),
    Receipt(Receipt),
    TransferShipped(TransferShipped),
    TransferReceived(TransferReceived),
    OrderPlaced(OrderPlaced),
    OrderAllocated(OrderAllocated),
    OrderShipped(OrderShipped),
    OrderCancelled(OrderCancelled),
    ReturnRequested(ReturnRequested),
    ReturnReceived(ReturnReceived),
    RefundIssued(RefundIssued),
    CustomerMessage(CustomerMessage),
}

/// Every event type of the schema, by its wire name.
pub const EVENT_TYPES: [&str; 21] = [
    "location",
    "supplier",
    "product",
    "price",
    "promotion",
    "sale",
    "adjustment",
    "count",
    "purchase_order",
    "po_update",
    "receipt",
    "transfer_shipped",
    "transfer_received",
    "order_placed",
    "order_allocated",
    "order_shipped",
    "order_cancelled",
    "return_requested",
    "return_received",
    "refund_issued",
    "customer_message",
];

impl EventBody {
    /// The wire name of the type, as in the `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Location(_) => "location",
            Self::Supplier(_) => "supplier",
            Self::Product(_) => "product",
            Self::Price(_) => "price",
            Self::Promotion(_) => "promotion",
            Self::Sale(_) => "sale",
            Self::Adjustment(_) => "adjustment",
            Self::Count(_) => "count",
            Self::PurchaseOrder(_) => "purchase_order",
            Self::PoUpdate(_) => "po_update",
            Self::Receipt(_) => "receipt",
            Self::TransferShipped(_) => "transfer_shipped",
            Self::TransferReceived(_) => "transfer_received",
            Self::OrderPlaced(_) => "order_placed",
            Self::OrderAllocated(_) => "order_allocated",
            Self::OrderShipped(_) => "order_shipped",
            Self::OrderCancelled(_) => "order_cancelled",
            Self::ReturnRequested(_) => "return_requested",
            Self::ReturnReceived(_) => "return_received",
            Self::RefundIssued(_) => "refund_issued",
            Self::CustomerMessage(_) => "customer_message",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Store,
    Warehouse,
    Web,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Pos,
    Web,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    Damage,
    Theft,
    Expiry,
    Correction,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    Stockout,
    Customer,
    Fraud,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnCondition {
    Resellable,
    Damaged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    Email,
    Chat,
    Phone,
    Social,
}

impl MessageChannel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Chat => "chat",
            Self::Phone => "phone",
            Self::Social => "social",
        }
    }
}

/// Daily opening hours in local time, `"08:00-21:00"`; a close before the open runs past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct OpeningHours {
    pub open_minute: u16,
    pub close_minute: u16,
}

impl OpeningHours {
    pub fn parse(text: &str) -> Result<Self, String> {
        let problem = || format!("{text:?} is not opening hours like \"08:00-21:00\"");
        let (open, close) = text.split_once('-').ok_or_else(problem)?;
        let open_minute = parse_clock(open.trim()).ok_or_else(problem)?;
        let close_minute = parse_clock(close.trim()).ok_or_else(problem)?;
        if open_minute == close_minute {
            return Err(format!("{text:?} opens and closes at the same minute"));
        }
        Ok(Self {
            open_minute,
            close_minute,
        })
    }
}

fn parse_clock(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    // 24:00 closes at midnight.
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    valid.then_some(hours * 60 + minutes)
}

impl From<OpeningHours> for String {
    fn from(hours: OpeningHours) -> String {
        let clock = |minute: u16| format!("{:02}:{:02}", minute / 60, minute % 60);
        format!("{}-{}", clock(hours.open_minute), clock(hours.close_minute))
    }
}

impl TryFrom<String> for OpeningHours {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl JsonSchema for OpeningHours {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OpeningHours".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$",
            "description": "local opening hours, every day, e.g. \"08:00-21:00\""
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct LocationUpsert {
    pub code: LocationCode,
    pub name: String,
    pub kind: LocationKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// IANA time zone name; absent means UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Absent means always open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<OpeningHours>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct SupplierUpsert {
    pub code: SupplierCode,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_time_days: Option<Qty>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ProductUpsert {
    pub sku: Sku,
    pub name: String,
    /// Category path, levels separated by `/`, e.g. `"Grocery/Drinks/Soda"`.
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<SupplierCode>,
    /// Days a customer may return it; absent means 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_days: Option<u32>,
    /// Its GTIN (EAN-13, UPC-A, GTIN-8 or GTIN-14) as printed under the bars, check digit included.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]{8}|[0-9]{12,14})$"))]
    pub barcode: Option<String>,
}

/// The default return window when a product does not name one (events.md).
pub const RETURN_DAYS_DEFAULT: u32 = 30;

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PriceUpsert {
    pub sku: Sku,
    pub price: Money,
    /// Absent means every location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationCode>,
    /// Absent means both channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PromotionUpsert {
    pub promotion: DocumentNumber,
    pub sku: Sku,
    pub price: Money,
    /// First instant of the promotion (included).
    pub from: DateTime<FixedOffset>,
    /// End of the promotion (excluded).
    pub to: DateTime<FixedOffset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Sale {
    pub location: LocationCode,
    pub sku: Sku,
    pub qty: Qty,
    pub unit_price: Money,
    pub channel: Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<DocumentNumber>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Adjustment {
    pub location: LocationCode,
    pub sku: Sku,
    /// Signed: positive adds stock, negative removes it.
    pub qty: Qty,
    pub reason: AdjustmentReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Count {
    pub location: LocationCode,
    pub sku: Sku,
    /// The quantity found on the shelf.
    pub counted: Qty,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PurchaseOrderLine {
    pub sku: Sku,
    pub qty: Qty,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PurchaseOrder {
    pub po: DocumentNumber,
    pub supplier: SupplierCode,
    pub location: LocationCode,
    pub expected: DateTime<FixedOffset>,
    pub lines: Vec<PurchaseOrderLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PoUpdate {
    pub po: DocumentNumber,
    /// The supplier's new date.
    pub expected: DateTime<FixedOffset>,
}

/// A line received from a supplier or a transfer; `damaged` units are part of `qty` but do not go on hand.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ReceivedLine {
    pub sku: Sku,
    pub qty: Qty,
    #[serde(skip_serializing_if = "is_zero")]
    pub damaged: Qty,
}

fn is_zero(qty: &Qty) -> bool {
    qty.0.is_zero()
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Receipt {
    pub po: DocumentNumber,
    pub location: LocationCode,
    pub lines: Vec<ReceivedLine>,
    /// True (the default) when the supplier sends nothing more and the PO is closed.
    #[serde(rename = "final")]
    pub is_final: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct SkuQty {
    pub sku: Sku,
    pub qty: Qty,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TransferShipped {
    pub transfer: DocumentNumber,
    pub from: LocationCode,
    pub to: LocationCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<DateTime<FixedOffset>>,
    pub lines: Vec<SkuQty>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TransferReceived {
    pub transfer: DocumentNumber,
    pub location: LocationCode,
    pub lines: Vec<ReceivedLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OrderLine {
    pub sku: Sku,
    pub qty: Qty,
    pub unit_price: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OrderPlaced {
    pub order: DocumentNumber,
    pub channel: Channel,
    /// The promise to the customer.
    pub ship_by: DateTime<FixedOffset>,
    pub lines: Vec<OrderLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OrderAllocated {
    pub order: DocumentNumber,
    /// The store or warehouse that must pick it.
    pub location: LocationCode,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OrderShipped {
    pub order: DocumentNumber,
    pub location: LocationCode,
    /// Absent means every line in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<SkuQty>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OrderCancelled {
    pub order: DocumentNumber,
    pub reason: CancelReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ReturnRequestLine {
    pub sku: Sku,
    pub qty: Qty,
    pub refund: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ReturnRequested {
    #[serde(rename = "return")]
    pub return_number: DocumentNumber,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<DocumentNumber>,
    pub location: LocationCode,
    /// Free text from the customer or the clerk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub lines: Vec<ReturnRequestLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ReturnReceivedLine {
    pub sku: Sku,
    pub qty: Qty,
    pub condition: ReturnCondition,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ReturnReceived {
    #[serde(rename = "return")]
    pub return_number: DocumentNumber,
    pub location: LocationCode,
    pub lines: Vec<ReturnReceivedLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct RefundIssued {
    #[serde(rename = "return")]
    pub return_number: DocumentNumber,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct CustomerMessage {
    pub message: DocumentNumber,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<DocumentNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<MessageChannel>,
}

/// The JSON Schema of one event, for integrators (`docs/event.schema.json` is generated from this).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Event);
    serde_json::to_value(schema).expect("a JSON Schema always serializes")
}
