//! Document detectors: transfers (`transfer_overdue`, `transfer_mismatch`), purchase orders (`po_late`,
//! `po_short`, `damaged_receipt`), online orders (`order_at_risk`, `allocation_short`,
//! `order_cancelled_stockout`) and returns (`return_policy`, `refund_overdue`).

use rust_decimal::Decimal;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::engine::apply::Cause;
use crate::engine::documents::{OrderStatus, PurchaseOrderDoc, TransferDoc};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::raise::{Detection, key_of};
use crate::engine::{Deadline, Engine};
use crate::event::Receipt;
use crate::rules::{ExceptionType, Param};

impl Engine {
    /// Queues the transfer's receipt deadline: `grace_hours` after `expected`, else `no_expected_hours` after
    /// shipping.
    pub(super) fn schedule_transfer_due(&mut self, transfer: &DocumentNumber) {
        let Some(due_at) = self
            .state
            .transfers
            .get(transfer)
            .and_then(|doc| self.transfer_due_at(doc))
        else {
            return;
        };
        self.state
            .deadlines
            .schedule(due_at, Deadline::TransferReceipt(transfer.clone()));
    }

    fn transfer_due_at(&self, doc: &TransferDoc) -> Option<Timestamp> {
        let kind = ExceptionType::TransferOverdue;
        match (doc.expected, doc.shipped_at) {
            (Some(expected), _) => Some(Timestamp(
                expected.0 + self.param_hours_ms(kind, Param::GraceHours, Some(doc.to), None),
            )),
            (None, Some(shipped_at)) => Some(Timestamp(
                shipped_at.0 + self.param_hours_ms(kind, Param::NoExpectedHours, Some(doc.to), None),
            )),
            (None, None) => None,
        }
    }

    pub(super) fn fire_transfer_receipt(&mut self, transfer: &DocumentNumber, due_at: Timestamp) {
        let Some(doc) = self.state.transfers.get(transfer) else {
            return;
        };
        // The entry is stale when the transfer was received or its due time moved since it was scheduled.
        if doc.received_at.is_some() || self.transfer_due_at(doc) != Some(due_at) {
            return;
        }
        let (Some(shipped_at), Some(seq)) = (doc.shipped_at, doc.shipped_seq) else {
            return;
        };
        let master = &self.state.master;
        let impact = doc.shipped_value(|sku| master.unit_cost(sku));
        let positions = transfer_positions(doc);
        let detection = Detection::on_document(
            ExceptionType::TransferOverdue,
            Some(doc.to),
            transfer,
            &positions,
            due_at.max(shipped_at),
            impact,
            seq,
        );
        self.raise(detection);
    }

    pub(super) fn resolve_transfer_overdue(&mut self, transfer: &DocumentNumber, cause: Cause) {
        let key = key_of(ExceptionType::TransferOverdue, None, None, Some(transfer));
        self.resolve_key(&key, cause.at, cause.seq);
    }

    /// `transfer_mismatch`: a received line differs from the shipped quantity, or arrived damaged. Checked once
    /// both the shipment and the receipt are known.
    pub(super) fn check_transfer_mismatch(&mut self, transfer: &DocumentNumber, cause: Cause) {
        if !self.config.rules.is_enabled(ExceptionType::TransferMismatch) {
            return;
        }
        let Some(doc) = self.state.transfers.get(transfer) else {
            return;
        };
        let mut impact = Money::ZERO;
        let mut mismatched = false;
        for line in doc.lines_by_sku() {
            // A SKU received but never shipped is a mismatch whatever its quantities.
            if line.received != line.shipped || line.damaged > Qty::ZERO || !line.was_shipped {
                mismatched = true;
                let cost = self.state.master.unit_cost(line.sku);
                impact += (line.received - line.shipped).abs() * cost + line.damaged * cost;
            }
        }
        if mismatched {
            let positions = transfer_positions(doc);
            let detection = Detection::on_document(
                ExceptionType::TransferMismatch,
                Some(doc.to),
                transfer,
                &positions,
                cause.at,
                impact,
                cause.seq,
            );
            self.raise(detection);
        }
    }

    pub(super) fn schedule_po_due(&mut self, po: &DocumentNumber, expected: Timestamp) {
        self.state
            .deadlines
            .schedule(expected, Deadline::PurchaseOrderExpected(po.clone()));
    }

    /// `po_late`: `expected` passed while the PO is open and a line has received less than `received_share`.
    pub(super) fn fire_po_expected(&mut self, po: &DocumentNumber, due_at: Timestamp) {
        let Some(doc) = self.state.purchase_orders.get(po) else {
            return;
        };
        if doc.closed || doc.expected != Some(due_at) || self.po_fully_received(doc, ExceptionType::PoLate) {
            return;
        }
        let Some(seq) = doc.ordered_seq else { return };
        self.raise_po(ExceptionType::PoLate, po, due_at, seq);
    }

    /// `po_late` by a notice: a `po_update` moves `expected` more than `slip_hours` past the original.
    pub(super) fn check_po_slip(&mut self, po: &DocumentNumber, cause: Cause) {
        let Some(doc) = self.state.purchase_orders.get(po) else {
            return;
        };
        let (Some(expected), Some(original)) = (doc.expected, doc.original_expected) else {
            return;
        };
        let slip_ms = self.param_hours_ms(ExceptionType::PoLate, Param::SlipHours, Some(doc.location), None);
        if expected.0 - original.0 > slip_ms {
            self.raise_po(ExceptionType::PoLate, po, cause.at, cause.seq);
        }
    }

    /// After a receipt: `damaged_receipt` per damaged line, `po_short` when a final receipt leaves a line
    /// under `received_share`, and resolution of `po_late` and `po_short` once every line has arrived.
    pub(super) fn check_receipt(&mut self, receipt: &Receipt, location: LocationId, cause: Cause) {
        for line in &receipt.lines {
            if line.damaged > Qty::ZERO {
                let sku = self.state.skus.get(line.sku.as_str()).expect("interned by the receipt");
                let impact = line.damaged * self.state.master.unit_cost(sku);
                let detection = Detection::on_document(
                    ExceptionType::DamagedReceipt,
                    Some(location),
                    &receipt.po,
                    &[(location, sku)],
                    cause.at,
                    impact,
                    cause.seq,
                );
                self.raise(detection);
            }
        }
        let Some(doc) = self.state.purchase_orders.get(&receipt.po) else {
            return;
        };
        let late_cleared = self.po_fully_received(doc, ExceptionType::PoLate);
        let short_cleared = self.po_fully_received(doc, ExceptionType::PoShort);
        if late_cleared {
            self.resolve_key(
                &key_of(ExceptionType::PoLate, None, None, Some(&receipt.po)),
                cause.at,
                cause.seq,
            );
        }
        if short_cleared {
            self.resolve_key(
                &key_of(ExceptionType::PoShort, None, None, Some(&receipt.po)),
                cause.at,
                cause.seq,
            );
        } else if receipt.is_final {
            self.raise_po(ExceptionType::PoShort, &receipt.po, cause.at, cause.seq);
        }
    }

    /// Whether every line received (damaged included) at least the type's `received_share` of its order.
    fn po_fully_received(&self, doc: &PurchaseOrderDoc, kind: ExceptionType) -> bool {
        let share = self.param(kind, Param::ReceivedShare, Some(doc.location), None);
        doc.lines.iter().all(|line| line.received.0 >= line.ordered.0 * share)
    }

    fn raise_po(&mut self, kind: ExceptionType, po: &DocumentNumber, at: Timestamp, seq: u64) {
        let Some(doc) = self.state.purchase_orders.get(po) else {
            return;
        };
        let master = &self.state.master;
        let impact = doc.open_value(|sku| master.unit_cost(sku));
        let positions: Vec<(LocationId, SkuId)> = doc.lines.iter().map(|line| (doc.location, line.sku)).collect();
        let mut detection = Detection::on_document(kind, Some(doc.location), po, &positions, at, impact, seq);
        if let Some(supplier) = &doc.supplier {
            detection.touches.push(crate::engine::Touch::Supplier(supplier.clone()));
        }
        self.raise(detection);
    }

    pub(super) fn schedule_order_at_risk(&mut self, order: &DocumentNumber, ship_by: Timestamp) {
        let hours_ms = self.param_hours_ms(ExceptionType::OrderAtRisk, Param::HoursBeforeShipBy, None, None);
        self.state
            .deadlines
            .schedule(Timestamp(ship_by.0 - hours_ms), Deadline::OrderShipment(order.clone()));
    }

    /// `order_at_risk`: an open order is not shipped in full `hours_before_ship_by` before `ship_by`.
    pub(super) fn fire_order_at_risk(&mut self, order: &DocumentNumber, due_at: Timestamp) {
        let Some(doc) = self.state.orders.get(order) else {
            return;
        };
        let (Some(placed_at), Some(ship_by), Some(seq)) = (doc.placed_at, doc.ship_by, doc.placed_seq) else {
            return;
        };
        let hours_ms = self.param_hours_ms(ExceptionType::OrderAtRisk, Param::HoursBeforeShipBy, None, None);
        if doc.status != OrderStatus::Open || ship_by.0 - hours_ms != due_at.0 {
            return;
        }
        self.raise_order(ExceptionType::OrderAtRisk, order, due_at.max(placed_at), seq);
    }

    /// `allocation_short`: the allocated location's available quantity (on hand less other reservations) is
    /// below a line's quantity. Called before the order's own reservation is placed.
    pub(super) fn check_allocation(&mut self, order: &DocumentNumber, location: LocationId, cause: Cause) {
        let Some(doc) = self.state.orders.get(order) else {
            return;
        };
        let mut short = false;
        for line in &doc.lines {
            let available = self
                .state
                .ledger
                .get(location, line.sku)
                .map_or(Qty::ZERO, |position| position.available());
            let wanted: Qty = doc
                .lines
                .iter()
                .filter(|other| other.sku == line.sku)
                .fold(Qty::ZERO, |sum, other| sum + other.open_qty());
            short |= available < wanted;
        }
        if short {
            self.state.orders.get_mut(order).expect("checked above").allocated_to = Some(location);
            self.raise_order(ExceptionType::AllocationShort, order, cause.at, cause.seq);
        }
    }

    pub(super) fn raise_cancelled_stockout(&mut self, order: &DocumentNumber, cause: Cause) {
        self.raise_order(ExceptionType::OrderCancelledStockout, order, cause.at, cause.seq);
    }

    fn raise_order(&mut self, kind: ExceptionType, order: &DocumentNumber, at: Timestamp, seq: u64) {
        let Some(doc) = self.state.orders.get(order) else {
            return;
        };
        let location = doc.allocated_to;
        let positions: Vec<(LocationId, SkuId)> = match location {
            Some(location) => doc.lines.iter().map(|line| (location, line.sku)).collect(),
            None => Vec::new(),
        };
        let detection = Detection::on_document(kind, location, order, &positions, at, doc.value(), seq);
        self.raise(detection);
    }

    /// An order shipped in full or cancelled clears `order_at_risk` and `allocation_short`.
    pub(super) fn resolve_order_exceptions(&mut self, order: &DocumentNumber, cause: Cause) {
        for kind in [ExceptionType::OrderAtRisk, ExceptionType::AllocationShort] {
            self.resolve_key(&key_of(kind, None, None, Some(order)), cause.at, cause.seq);
        }
    }

    /// `return_policy`: requested more than `return_days` after its order was placed (or first sold), refunds
    /// above what was paid for the returned units, or an order Retex never saw.
    pub(super) fn check_return_policy(&mut self, return_number: &DocumentNumber, cause: Cause) {
        let Some(doc) = self.state.returns.get(return_number) else {
            return;
        };
        let Some(order) = &doc.order else { return };
        let (ordered_at, paid) = match (
            self.state.orders.get(order),
            self.state.stats.receipts.get(order.as_str()),
        ) {
            (Some(placed), _) if placed.placed_at.is_some() => {
                let paid: Vec<(SkuId, Qty, Money)> = placed
                    .lines
                    .iter()
                    .map(|line| (line.sku, line.qty, line.qty * line.unit_price))
                    .collect();
                (placed.placed_at.expect("matched"), paid)
            }
            (_, Some(sold)) => (sold.first_sold_at, sold.paid),
            _ => (Timestamp(i64::MIN), Vec::new()),
        };
        let never_seen = ordered_at == Timestamp(i64::MIN);
        let mut violated = never_seen;
        for &(sku, qty, refund) in &doc.lines {
            if never_seen {
                break;
            }
            let return_days = self
                .state
                .master
                .product(sku)
                .map_or(crate::event::RETURN_DAYS_DEFAULT, |product| product.return_days);
            let window_ms = i64::from(return_days) * Timestamp::MILLIS_PER_DAY;
            violated |= cause.at.0 - ordered_at.0 > window_ms;
            let (paid_qty, paid_money) = paid
                .iter()
                .filter(|(candidate, _, _)| *candidate == sku)
                .fold((Qty::ZERO, Money::ZERO), |(q, m), &(_, qty, money)| {
                    (q + qty, m + money)
                });
            let unit_paid = if paid_qty.0.is_zero() {
                Decimal::ZERO
            } else {
                paid_money.0 / paid_qty.0
            };
            violated |= refund.0 > qty.0 * unit_paid;
        }
        if violated {
            let positions: Vec<(LocationId, SkuId)> =
                doc.lines.iter().map(|&(sku, _, _)| (doc.location, sku)).collect();
            let mut detection = Detection::on_document(
                ExceptionType::ReturnPolicy,
                Some(doc.location),
                return_number,
                &positions,
                cause.at,
                doc.refund_requested,
                cause.seq,
            );
            detection.touches.push(crate::engine::Touch::Document(order.clone()));
            self.raise(detection);
        }
    }

    pub(super) fn schedule_refund_due(&mut self, return_number: &DocumentNumber, received_at: Timestamp) {
        let location = self.state.returns.get(return_number).map(|doc| doc.location);
        let hours_ms = self.param_hours_ms(ExceptionType::RefundOverdue, Param::RefundHours, location, None);
        self.state.deadlines.schedule(
            Timestamp(received_at.0 + hours_ms),
            Deadline::Refund(return_number.clone()),
        );
    }

    /// `refund_overdue`: a received return has no `refund_issued` `refund_hours` later.
    pub(super) fn fire_refund_due(&mut self, return_number: &DocumentNumber, due_at: Timestamp) {
        let Some(doc) = self.state.returns.get(return_number) else {
            return;
        };
        let (Some(received_at), Some(seq)) = (doc.received_at, doc.received_seq) else {
            return;
        };
        let hours_ms = self.param_hours_ms(
            ExceptionType::RefundOverdue,
            Param::RefundHours,
            Some(doc.location),
            None,
        );
        if doc.refund_seen || received_at.0 + hours_ms != due_at.0 {
            return;
        }
        let positions: Vec<(LocationId, SkuId)> = doc.lines.iter().map(|&(sku, _, _)| (doc.location, sku)).collect();
        let mut detection = Detection::on_document(
            ExceptionType::RefundOverdue,
            Some(doc.location),
            return_number,
            &positions,
            due_at.max(received_at),
            doc.refund_requested,
            seq,
        );
        if let Some(order) = &doc.order {
            detection.touches.push(crate::engine::Touch::Document(order.clone()));
        }
        self.raise(detection);
    }

    pub(super) fn resolve_refund_overdue(&mut self, return_number: &DocumentNumber, cause: Cause) {
        let key = key_of(ExceptionType::RefundOverdue, None, None, Some(return_number));
        self.resolve_key(&key, cause.at, cause.seq);
    }
}

/// Both ends of every shipped and received line of a transfer.
fn transfer_positions(doc: &TransferDoc) -> Vec<(LocationId, SkuId)> {
    let mut positions = Vec::new();
    let skus = doc
        .shipped
        .iter()
        .map(|&(sku, _)| sku)
        .chain(doc.received.iter().map(|&(sku, _, _)| sku));
    for sku in skus {
        positions.push((doc.to, sku));
        if let Some(from) = doc.from {
            positions.push((from, sku));
        }
    }
    positions.sort_unstable();
    positions.dedup();
    positions
}
