//! The operational documents the engine follows: transfers, purchase orders, online orders and returns.
//!
//! Each document keeps just what stock movements and the deadline checks need; the log keeps the rest.

use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Money, Qty, SupplierCode, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};

/// One SKU of a transfer: see [`TransferDoc::lines_by_sku`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransferLineTotals {
    pub sku: SkuId,
    pub shipped: Qty,
    pub received: Qty,
    pub damaged: Qty,
    /// Whether any shipment line named the SKU.
    pub was_shipped: bool,
}

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
    pub received_seq: Option<u64>,
    /// Received lines: SKU, quantity, damaged.
    pub received: Vec<(SkuId, Qty, Qty)>,
}

impl TransferDoc {
    /// A transfer first seen by an event about its destination.
    pub fn new(to: LocationId) -> Self {
        Self {
            from: None,
            to,
            shipped_at: None,
            shipped_seq: None,
            expected: None,
            shipped: Vec::new(),
            received_at: None,
            received_seq: None,
            received: Vec::new(),
        }
    }

    /// Shipped, received and damaged quantities per SKU, by SKU id: sorted once rather than searched per line,
    /// as a replenishment transfer may carry hundreds of lines.
    pub fn lines_by_sku(&self) -> Vec<TransferLineTotals> {
        let shipped = self.shipped.iter().map(|&(sku, qty)| TransferLineTotals {
            sku,
            shipped: qty,
            received: Qty::ZERO,
            damaged: Qty::ZERO,
            was_shipped: true,
        });
        let received = self.received.iter().map(|&(sku, qty, damaged)| TransferLineTotals {
            sku,
            shipped: Qty::ZERO,
            received: qty,
            damaged,
            was_shipped: false,
        });
        let mut lines: Vec<TransferLineTotals> = shipped.chain(received).collect();
        lines.sort_by_key(|line| line.sku);
        lines.dedup_by(|line, kept| {
            let same = line.sku == kept.sku;
            if same {
                kept.shipped += line.shipped;
                kept.received += line.received;
                kept.damaged += line.damaged;
                kept.was_shipped |= line.was_shipped;
            }
            same
        });
        lines
    }

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
    /// Log entry of the `purchase_order` event: what a missed delivery traces back to.
    pub ordered_seq: Option<u64>,
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
    /// A purchase order first seen by one of its events.
    pub fn new(location: LocationId) -> Self {
        Self {
            ordered_seq: None,
            supplier: None,
            location,
            expected: None,
            original_expected: None,
            lines: Vec::new(),
            closed: false,
        }
    }

    /// Quantity still to come per line (never negative).
    pub fn open_quantities(&self) -> Vec<(SkuId, Qty)> {
        self.lines
            .iter()
            .map(|line| (line.sku, (line.ordered - line.received).max(Qty::ZERO)))
            .collect()
    }

    /// Value ordered and not yet received, at the line's unit cost or else the given cost.
    pub fn open_value(&self, unit_cost: impl Fn(SkuId) -> Money) -> Money {
        let mut value = Money::ZERO;
        for line in &self.lines {
            let missing = (line.ordered - line.received).max(Qty::ZERO);
            value += missing * line.unit_cost.unwrap_or_else(|| unit_cost(line.sku));
        }
        value
    }

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
    /// Log entry of the `order_placed` event.
    pub placed_seq: Option<u64>,
    pub ship_by: Option<Timestamp>,
    pub lines: Vec<OrderLineState>,
    pub allocated_to: Option<LocationId>,
    pub status: OrderStatus,
}

impl OrderDoc {
    /// An order first seen by an event after its placement.
    pub fn unknown() -> Self {
        Self {
            placed_at: None,
            placed_seq: None,
            ship_by: None,
            lines: Vec::new(),
            allocated_to: None,
            status: OrderStatus::Open,
        }
    }

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
    /// Requested lines: SKU, quantity, refund.
    pub lines: Vec<(SkuId, Qty, Money)>,
    pub refund_requested: Money,
    pub received_at: Option<Timestamp>,
    /// Log entry of the `return_received` event.
    pub received_seq: Option<u64>,
    pub refunded: Money,
    /// Whether any `refund_issued` arrived (a refund of 0 still counts).
    pub refund_seen: bool,
}

impl ReturnDoc {
    pub fn new(location: LocationId) -> Self {
        Self {
            order: None,
            location,
            requested_at: None,
            lines: Vec::new(),
            refund_requested: Money::ZERO,
            received_at: None,
            received_seq: None,
            refunded: Money::ZERO,
            refund_seen: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_lines_add_up_per_sku_and_say_what_was_never_shipped() {
        let units = |n: i64| Qty(n.into());
        let mut doc = TransferDoc::new(1);
        doc.shipped = vec![(9, units(5)), (3, units(2)), (9, units(1))];
        doc.received = vec![
            (3, units(2), units(0)),
            (9, units(4), units(1)),
            (7, units(0), units(0)),
        ];
        let line = |sku, shipped, received, damaged, was_shipped| TransferLineTotals {
            sku,
            shipped: units(shipped),
            received: units(received),
            damaged: units(damaged),
            was_shipped,
        };
        assert_eq!(
            doc.lines_by_sku(),
            vec![line(3, 2, 2, 0, true), line(7, 0, 0, 0, false), line(9, 6, 4, 1, true)]
        );
    }
}
