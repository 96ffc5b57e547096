//! The operational documents the engine follows: transfers, purchase orders, online orders and returns.
//!
//! Each document keeps just what stock movements and the deadline checks need; the log keeps the rest.

use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Money, Qty, SupplierCode, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferDoc {
    /// `None` while only the receipt is known (it arrived before the shipment).
    pub from: Option<LocationId>,
    pub to: LocationId,
    pub shipped_at: Option<Timestamp>,
    /// Log entry of the (first) shipment: what a `transfer_overdue` traces back to.
    pub shipped_seq: Option<u64>,
    pub expected: Option<Timestamp>,
    /// Shipped lines; several shipments of one transfer add up.
    pub shipped: Vec<(SkuId, Qty)>,
    /// Set by the first `transfer_received`, which closes the transfer.
    pub received_at: Option<Timestamp>,
    pub received: Vec<(SkuId, Qty, Qty)>,
}

impl TransferDoc {
    /// Value in transit at cost, given a unit cost per SKU.
    pub fn shipped_value(&self, unit_cost: impl Fn(SkuId) -> Money) -> Money {
        let mut value = Money::ZERO;
        for &(sku, qty) in &self.shipped {
            value += qty * unit_cost(sku);
        }
        value
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PurchaseOrderLineState {
    pub sku: SkuId,
    pub ordered: Qty,
    /// Sum of received `qty`, damaged units included.
    pub received: Qty,
    pub damaged: Qty,
    pub unit_cost: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PurchaseOrderDoc {
    pub supplier: Option<SupplierCode>,
    pub location: LocationId,
    pub expected: Option<Timestamp>,
    /// The first `expected`, against which supplier delays are measured.
    pub original_expected: Option<Timestamp>,
    pub lines: Vec<PurchaseOrderLineState>,
    /// Closed by a `final` receipt.
    pub closed: bool,
}

impl PurchaseOrderDoc {
    pub fn line_mut(&mut self, sku: SkuId) -> &mut PurchaseOrderLineState {
        let index = match self.lines.iter().position(|line| line.sku == sku) {
            Some(index) => index,
            None => {
                self.lines.push(PurchaseOrderLineState {
                    sku,
                    ordered: Qty::ZERO,
                    received: Qty::ZERO,
                    damaged: Qty::ZERO,
                    unit_cost: None,
                });
                self.lines.len() - 1
            }
        };
        &mut self.lines[index]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    Open,
    Shipped,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLineState {
    pub sku: SkuId,
    pub qty: Qty,
    pub unit_price: Money,
    pub shipped: Qty,
    /// Reserved at the allocated location and not yet shipped.
    pub reserved: Qty,
}

impl OrderLineState {
    pub fn open_qty(&self) -> Qty {
        (self.qty - self.shipped).max(Qty::ZERO)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderDoc {
    /// `None` while only later events of the order are known.
    pub placed_at: Option<Timestamp>,
    pub ship_by: Option<Timestamp>,
    pub lines: Vec<OrderLineState>,
    pub allocated_to: Option<LocationId>,
    pub status: OrderStatus,
}

impl OrderDoc {
    pub fn value(&self) -> Money {
        let mut value = Money::ZERO;
        for line in &self.lines {
            value += line.qty * line.unit_price;
        }
        value
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnDoc {
    pub order: Option<DocumentNumber>,
    pub location: LocationId,
    pub requested_at: Option<Timestamp>,
    pub refund_requested: Money,
    pub received_at: Option<Timestamp>,
    pub refunded: Money,
}
