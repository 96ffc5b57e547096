//! Where the engine asks the document detectors (`detect::documents`): it queues their deadlines and hands
//! each the document it reads, then applies what they found.

use crate::codes::{DocumentNumber, Timestamp};
use crate::engine::composition::Engine;
use crate::engine::deadlines::Deadline;
use crate::engine::detect::documents::{self, ReturnView};
use crate::engine::detect::supplier_risk::{self, RiskRecords};
use crate::engine::detect::{Cause, key_of};
use crate::engine::documents::PurchaseOrderDoc;
use crate::engine::ledger::LocationId;
use crate::event::Receipt;
use crate::rules::ExceptionType;

impl Engine {
    /// Queues the transfer's receipt deadline.
    pub(super) fn schedule_transfer_due(&mut self, transfer: &DocumentNumber) {
        let due_at = (self.state.picture.transfers.get(transfer))
            .and_then(|doc| documents::transfer_due_at(&self.params(), doc));
        if let Some(due_at) = due_at {
            self.state
                .workflow
                .deadlines
                .schedule(due_at, Deadline::TransferReceipt(transfer.clone()));
        }
    }

    pub(super) fn fire_transfer_receipt(&mut self, transfer: &DocumentNumber, due_at: Timestamp) {
        let detection = (self.state.picture.transfers.get(transfer))
            .and_then(|doc| documents::transfer_overdue(&self.params(), doc, transfer, due_at));
        self.apply_detection(detection);
    }

    pub(super) fn check_transfer_mismatch(&mut self, transfer: &DocumentNumber, cause: Cause) {
        let detection = (self.state.picture.transfers.get(transfer))
            .and_then(|doc| documents::transfer_mismatch(&self.params(), doc, transfer, cause));
        self.apply_detection(detection);
    }

    pub(super) fn schedule_po_due(&mut self, po: &DocumentNumber, expected: Timestamp) {
        self.state
            .workflow
            .deadlines
            .schedule(expected, Deadline::PurchaseOrderExpected(po.clone()));
    }

    pub(super) fn fire_po_expected(&mut self, po: &DocumentNumber, due_at: Timestamp) {
        let detection = (self.state.picture.purchase_orders.get(po))
            .and_then(|doc| documents::po_expected(&self.params(), doc, po, due_at));
        self.apply_detection(detection);
    }

    pub(super) fn check_po_slip(&mut self, po: &DocumentNumber, cause: Cause) {
        let detection = (self.state.picture.purchase_orders.get(po))
            .and_then(|doc| documents::po_slip(&self.params(), doc, po, cause));
        self.apply_detection(detection);
    }

    pub(super) fn check_receipt(&mut self, receipt: &Receipt, location: LocationId, cause: Cause) {
        let doc = self.state.picture.purchase_orders.get(&receipt.po);
        let verdicts = documents::receipt(&self.params(), &self.state.picture.skus, doc, receipt, location, cause);
        for verdict in verdicts {
            self.apply_verdict(verdict);
        }
    }

    /// `po_late_risk` for a PO just placed.
    pub(super) fn check_po_late_risk(&mut self, po: &DocumentNumber, cause: Cause) {
        if !self.config.rules.is_enabled(ExceptionType::PoLateRisk) {
            return;
        }
        let Some(doc) = self.state.picture.purchase_orders.get(po) else {
            return;
        };
        let records = self.risk_records(doc);
        let location = self.state.picture.locations.name(doc.location);
        let detection = supplier_risk::po_late_risk(&self.params(), doc, po, &records, location, cause);
        self.apply_detection(detection);
    }

    fn risk_records(&self, doc: &PurchaseOrderDoc) -> RiskRecords {
        let stats = &self.state.stats;
        let Some(supplier) = &doc.supplier else {
            return RiskRecords::default();
        };
        RiskRecords {
            chain: stats.chain_deliveries,
            supplier: stats.supplier_deliveries.get(supplier).copied().unwrap_or_default(),
            lane: (stats.lane_deliveries.get(&(supplier.clone(), doc.location)).copied()).unwrap_or_default(),
        }
    }

    /// Records a PO closed by its final receipt as delivered on time or late (after its first `expected`), and
    /// answers its open `po_late_risk`: confirmed by a late delivery, refuted by one on time, and resolved.
    pub(super) fn record_po_delivery(&mut self, po: &DocumentNumber, cause: Cause) {
        let Some(doc) = self.state.picture.purchase_orders.get(po) else {
            return;
        };
        let (Some(supplier), Some(expected)) = (doc.supplier.clone(), doc.original_expected) else {
            return;
        };
        let late = cause.at > expected;
        let stats = &mut self.state.stats;
        stats.chain_deliveries.add(late);
        stats.supplier_deliveries.entry(supplier.clone()).or_default().add(late);
        stats
            .lane_deliveries
            .entry((supplier, doc.location))
            .or_default()
            .add(late);
        let key = key_of(ExceptionType::PoLateRisk, None, None, Some(po));
        if let Some(id) = self.state.book.exceptions.open_id(&key) {
            let detail = if late { "delivered late" } else { "delivered on time" };
            (self.state.book.exceptions).confirm(id, late, cause.at, detail.to_owned(), cause.seq);
            self.resolve_key(&key, cause.at, cause.seq);
        }
    }

    pub(super) fn schedule_order_at_risk(&mut self, order: &DocumentNumber, ship_by: Timestamp) {
        let due_at = documents::order_at_risk_at(&self.params(), ship_by);
        self.state
            .workflow
            .deadlines
            .schedule(due_at, Deadline::OrderShipment(order.clone()));
    }

    pub(super) fn fire_order_at_risk(&mut self, order: &DocumentNumber, due_at: Timestamp) {
        let detection = (self.state.picture.orders.get(order))
            .and_then(|doc| documents::order_at_risk(&self.params(), doc, order, due_at));
        self.apply_detection(detection);
    }

    /// Asked before the order's own reservation is placed.
    pub(super) fn check_allocation(&mut self, order: &DocumentNumber, location: LocationId, cause: Cause) {
        let detection = (self.state.picture.orders.get(order))
            .and_then(|doc| documents::allocation_short(&self.state.picture.ledger, doc, order, location, cause));
        self.apply_detection(detection);
    }

    pub(super) fn raise_cancelled_stockout(&mut self, order: &DocumentNumber, cause: Cause) {
        let detection =
            (self.state.picture.orders.get(order)).map(|doc| documents::cancelled_for_stockout(doc, order, cause));
        self.apply_detection(detection);
    }

    pub(super) fn resolve_order_exceptions(&mut self, order: &DocumentNumber, cause: Cause) {
        for verdict in documents::order_closed(order, cause) {
            self.apply_verdict(verdict);
        }
    }

    pub(super) fn check_return_policy(&mut self, return_number: &DocumentNumber, cause: Cause) {
        let view = ReturnView {
            params: self.params(),
            orders: &self.state.picture.orders,
            receipts: &self.state.stats.receipts,
        };
        let detection = (self.state.picture.returns.get(return_number))
            .and_then(|doc| documents::return_policy(&view, doc, return_number, cause));
        self.apply_detection(detection);
    }

    pub(super) fn schedule_refund_due(&mut self, return_number: &DocumentNumber, received_at: Timestamp) {
        let location = self.state.picture.returns.get(return_number).map(|doc| doc.location);
        let due_at = documents::refund_due_at(&self.params(), location, received_at);
        self.state
            .workflow
            .deadlines
            .schedule(due_at, Deadline::Refund(return_number.clone()));
    }

    pub(super) fn fire_refund_due(&mut self, return_number: &DocumentNumber, due_at: Timestamp) {
        let detection = (self.state.picture.returns.get(return_number))
            .and_then(|doc| documents::refund_overdue(&self.params(), doc, return_number, due_at));
        self.apply_detection(detection);
    }

    pub(super) fn resolve_transfer_overdue(&mut self, transfer: &DocumentNumber, cause: Cause) {
        self.apply_verdict(documents::transfer_received(transfer, cause));
    }

    pub(super) fn resolve_refund_overdue(&mut self, return_number: &DocumentNumber, cause: Cause) {
        self.apply_verdict(documents::refunded(return_number, cause));
    }
}
