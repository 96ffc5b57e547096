//! How each event moves the operational picture (events.md, "How they move stock"), and the detectors that
//! watch those moves.

use rust_decimal::Decimal;

use crate::codes::{DocumentNumber, LocationCode, Money, Qty, Sku, Timestamp};
use crate::engine::documents::{
    OrderDoc, OrderLineState, OrderStatus, PurchaseOrderDoc, PurchaseOrderLineState, ReturnDoc,
    TransferDoc,
};
use crate::engine::exceptions::{ExceptionKey, ExceptionType, Raised};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::master::{
    LocationInfo, PriceEntry, PriceScope, ProductInfo, PromotionInfo, SupplierInfo, slot_for,
    upsert_newest,
};
use crate::engine::{Deadline, Engine, Output};
use crate::event::*;

/// A transfer is overdue this long after its `expected` arrival (exceptions.md).
const TRANSFER_GRACE_HOURS: i64 = 4;
/// ... or this long after shipping when it has no `expected`.
const TRANSFER_NO_EXPECTED_HOURS: i64 = 24;
/// A count differs from the ledger when the variance exceeds max(this many units, ...
const COUNT_TOLERANCE_UNITS: Decimal = Decimal::from_parts(2, 0, 0, false, 0);
/// ... this share of abs(on hand)), here 5%.
const COUNT_TOLERANCE_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// Why on hand moved; only some moves can make stock negative in the sense of `negative_stock`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Movement {
    Sale,
    Adjustment,
    TransferShipment,
    OrderShipment,
    Receipt,
}

/// The input being applied: its log entry and time, for traceability.
#[derive(Clone, Copy)]
struct Cause {
    seq: u64,
    at: Timestamp,
}

impl Engine {
    pub(super) fn apply_event(
        &mut self,
        seq: u64,
        event: &Event,
        at: Timestamp,
        outputs: &mut Vec<Output>,
    ) {
        let cause = Cause { seq, at };
        match &event.body {
            EventBody::Location(upsert) => self.upsert_location(upsert, at),
            EventBody::Supplier(upsert) => self.upsert_supplier(upsert, at),
            EventBody::Product(upsert) => self.upsert_product(upsert, at),
            EventBody::Price(upsert) => self.upsert_price(upsert, at),
            EventBody::Promotion(upsert) => self.upsert_promotion(upsert, at),
            EventBody::Sale(sale) => {
                let (location, sku) = self.position_ids(&sale.location, &sale.sku);
                self.move_on_hand(location, sku, -sale.qty, Movement::Sale, cause, outputs);
            }
            EventBody::Adjustment(adjustment) => {
                let (location, sku) = self.position_ids(&adjustment.location, &adjustment.sku);
                self.move_on_hand(
                    location,
                    sku,
                    adjustment.qty,
                    Movement::Adjustment,
                    cause,
                    outputs,
                );
            }
            EventBody::Count(count) => self.apply_count(count, cause, outputs),
            EventBody::PurchaseOrder(order) => self.apply_purchase_order(order),
            EventBody::PoUpdate(update) => self.apply_po_update(update),
            EventBody::Receipt(receipt) => self.apply_receipt(receipt, cause, outputs),
            EventBody::TransferShipped(shipped) => {
                self.apply_transfer_shipped(shipped, cause, outputs)
            }
            EventBody::TransferReceived(received) => {
                self.apply_transfer_received(received, cause, outputs)
            }
            EventBody::OrderPlaced(placed) => self.apply_order_placed(placed, at),
            EventBody::OrderAllocated(allocated) => self.apply_order_allocated(allocated),
            EventBody::OrderShipped(shipped) => self.apply_order_shipped(shipped, cause, outputs),
            EventBody::OrderCancelled(cancelled) => self.apply_order_cancelled(cancelled),
            EventBody::ReturnRequested(requested) => self.apply_return_requested(requested, at),
            EventBody::ReturnReceived(received) => {
                self.apply_return_received(received, cause, outputs)
            }
            EventBody::RefundIssued(refund) => {
                if let Some(doc) = self.state.returns.get_mut(&refund.return_number) {
                    doc.refunded += refund.amount;
                }
            }
            EventBody::CustomerMessage(_) => {}
        }
    }

    fn position_ids(&mut self, location: &LocationCode, sku: &Sku) -> (LocationId, SkuId) {
        (
            self.state.locations.intern(location.as_str()),
            self.state.skus.intern(sku.as_str()),
        )
    }

    fn upsert_location(&mut self, upsert: &LocationUpsert, at: Timestamp) {
        let id = self.state.locations.intern(upsert.code.as_str());
        let info = LocationInfo {
            name: upsert.name.clone(),
            kind: upsert.kind,
            region: upsert.region.clone(),
            timezone: upsert.timezone.clone(),
            hours: upsert.hours,
            updated_at: at,
        };
        upsert_newest(
            slot_for(&mut self.state.master.locations, id),
            info,
            |info| info.updated_at,
        );
    }

    fn upsert_supplier(&mut self, upsert: &SupplierUpsert, at: Timestamp) {
        let info = SupplierInfo {
            name: upsert.name.clone(),
            lead_time_days: upsert.lead_time_days,
            updated_at: at,
        };
        let slot = self
            .state
            .master
            .suppliers
            .entry(upsert.code.clone())
            .or_insert_with(|| info.clone());
        if slot.updated_at <= at {
            *slot = info;
        }
    }

    fn upsert_product(&mut self, upsert: &ProductUpsert, at: Timestamp) {
        let id = self.state.skus.intern(upsert.sku.as_str());
        let info = ProductInfo {
            name: upsert.name.clone(),
            category: upsert.category.clone(),
            uom: upsert.uom.clone(),
            cost: upsert.cost,
            price: upsert.price,
            supplier: upsert.supplier.clone(),
            return_days: upsert.return_days.unwrap_or(RETURN_DAYS_DEFAULT),
            updated_at: at,
        };
        upsert_newest(
            slot_for(&mut self.state.master.products, id),
            info,
            |info| info.updated_at,
        );
    }

    fn upsert_price(&mut self, upsert: &PriceUpsert, at: Timestamp) {
        let scope = PriceScope {
            sku: self.state.skus.intern(upsert.sku.as_str()),
            location: upsert
                .location
                .as_ref()
                .map(|code| self.state.locations.intern(code.as_str())),
            channel: upsert.channel,
        };
        let entry = PriceEntry {
            price: upsert.price,
            updated_at: at,
        };
        let slot = self.state.master.prices.entry(scope).or_insert(entry);
        if slot.updated_at <= at {
            *slot = entry;
        }
    }

    fn upsert_promotion(&mut self, upsert: &PromotionUpsert, at: Timestamp) {
        let info = PromotionInfo {
            sku: self.state.skus.intern(upsert.sku.as_str()),
            price: upsert.price,
            from: Timestamp::from_datetime(&upsert.from),
            to: Timestamp::from_datetime(&upsert.to),
            location: upsert
                .location
                .as_ref()
                .map(|code| self.state.locations.intern(code.as_str())),
            channel: upsert.channel,
            updated_at: at,
        };
        let slot = self
            .state
            .master
            .promotions
            .entry(upsert.promotion.clone())
            .or_insert_with(|| info.clone());
        if slot.updated_at <= at {
            *slot = info;
        }
    }

    /// Adds `delta` to on hand and runs the `negative_stock` detector on the result.
    fn move_on_hand(
        &mut self,
        location: LocationId,
        sku: SkuId,
        delta: Qty,
        movement: Movement,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let position = self.state.ledger.position_mut(location, sku);
        let before = position.on_hand;
        position.on_hand += delta;
        let after = position.on_hand;
        let can_go_negative = match movement {
            Movement::Sale | Movement::TransferShipment | Movement::OrderShipment => true,
            Movement::Adjustment => delta.is_negative(),
            Movement::Receipt => false,
        };
        if after.is_negative() && can_go_negative {
            let key = position_key(ExceptionType::NegativeStock, location, sku);
            self.raise(key, cause.at, Money::ZERO, cause.seq, outputs);
        } else if before.is_negative() && !after.is_negative() {
            self.resolve_position(ExceptionType::NegativeStock, location, sku, cause, outputs);
        }
    }

    /// Sets on hand to a count, recording the variance against the ledger (`count_variance`).
    fn apply_count(&mut self, count: &Count, cause: Cause, outputs: &mut Vec<Output>) {
        let (location, sku) = self.position_ids(&count.location, &count.sku);
        let before = self.state.ledger.position_mut(location, sku).on_hand;
        let variance = count.counted - before;
        let tolerance = COUNT_TOLERANCE_UNITS.max(COUNT_TOLERANCE_SHARE * before.0.abs());
        if variance.0.abs() > tolerance {
            let impact = variance.abs() * self.state.master.unit_cost(sku);
            let key = position_key(ExceptionType::CountVariance, location, sku);
            self.raise(key, cause.at, impact, cause.seq, outputs);
        } else {
            self.resolve_position(ExceptionType::CountVariance, location, sku, cause, outputs);
        }
        self.move_on_hand(
            location,
            sku,
            variance,
            Movement::Adjustment,
            cause,
            outputs,
        );
    }

    fn apply_purchase_order(&mut self, order: &PurchaseOrder) {
        let location = self.state.locations.intern(order.location.as_str());
        let expected = Timestamp::from_datetime(&order.expected);
        let mut lines = Vec::with_capacity(order.lines.len());
        for line in &order.lines {
            lines.push(PurchaseOrderLineState {
                sku: self.state.skus.intern(line.sku.as_str()),
                ordered: line.qty,
                received: Qty::ZERO,
                damaged: Qty::ZERO,
                unit_cost: line.unit_cost,
            });
        }
        let doc = self
            .state
            .purchase_orders
            .entry(order.po.clone())
            .or_insert_with(|| PurchaseOrderDoc {
                supplier: None,
                location,
                expected: None,
                original_expected: None,
                lines: Vec::new(),
                closed: false,
            });
        doc.supplier = Some(order.supplier.clone());
        doc.location = location;
        doc.expected = Some(expected);
        doc.original_expected.get_or_insert(expected);
        // A resent order replaces the ordered quantities and keeps what was already received.
        for line in lines {
            let state = doc.line_mut(line.sku);
            state.ordered = line.ordered;
            state.unit_cost = line.unit_cost;
        }
    }

    fn apply_po_update(&mut self, update: &PoUpdate) {
        if let Some(doc) = self.state.purchase_orders.get_mut(&update.po) {
            doc.expected = Some(Timestamp::from_datetime(&update.expected));
        }
    }

    fn apply_receipt(&mut self, receipt: &Receipt, cause: Cause, outputs: &mut Vec<Output>) {
        let location = self.state.locations.intern(receipt.location.as_str());
        for line in &receipt.lines {
            let sku = self.state.skus.intern(line.sku.as_str());
            self.move_on_hand(
                location,
                sku,
                line.qty - line.damaged,
                Movement::Receipt,
                cause,
                outputs,
            );
        }
        let doc = self
            .state
            .purchase_orders
            .entry(receipt.po.clone())
            .or_insert_with(|| PurchaseOrderDoc {
                supplier: None,
                location,
                expected: None,
                original_expected: None,
                lines: Vec::new(),
                closed: false,
            });
        for line in &receipt.lines {
            let sku = self
                .state
                .skus
                .get(line.sku.as_str())
                .expect("interned above");
            let state = doc.line_mut(sku);
            state.received += line.qty;
            state.damaged += line.damaged;
        }
        if receipt.is_final {
            doc.closed = true;
        }
    }

    fn apply_transfer_shipped(
        &mut self,
        shipped: &TransferShipped,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let from = self.state.locations.intern(shipped.from.as_str());
        let to = self.state.locations.intern(shipped.to.as_str());
        let already_received = self
            .state
            .transfers
            .get(&shipped.transfer)
            .is_some_and(|doc| doc.received_at.is_some());
        let mut lines = Vec::with_capacity(shipped.lines.len());
        for line in &shipped.lines {
            let sku = self.state.skus.intern(line.sku.as_str());
            self.move_on_hand(
                from,
                sku,
                -line.qty,
                Movement::TransferShipment,
                cause,
                outputs,
            );
            if !already_received {
                self.state.ledger.position_mut(to, sku).in_transit += line.qty;
            }
            lines.push((sku, line.qty));
        }
        let expected = shipped.expected.as_ref().map(Timestamp::from_datetime);
        let doc = self
            .state
            .transfers
            .entry(shipped.transfer.clone())
            .or_insert_with(|| TransferDoc {
                from: None,
                to,
                shipped_at: None,
                shipped_seq: None,
                expected: None,
                shipped: Vec::new(),
                received_at: None,
                received: Vec::new(),
            });
        doc.from = Some(from);
        doc.to = to;
        doc.shipped_at.get_or_insert(cause.at);
        doc.shipped_seq.get_or_insert(cause.seq);
        doc.expected = expected.or(doc.expected);
        doc.shipped.extend(lines);
        if let Some(due_at) = transfer_due_at(doc) {
            self.state
                .deadlines
                .schedule(due_at, Deadline::TransferReceipt(shipped.transfer.clone()));
        }
    }

    /// The first receipt adds what arrived, clears the whole transit quantity and closes the transfer; a
    /// later receipt of a closed transfer moves no stock.
    fn apply_transfer_received(
        &mut self,
        received: &TransferReceived,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let location = self.state.locations.intern(received.location.as_str());
        let mut lines = Vec::with_capacity(received.lines.len());
        for line in &received.lines {
            lines.push((
                self.state.skus.intern(line.sku.as_str()),
                line.qty,
                line.damaged,
            ));
        }
        let doc = self
            .state
            .transfers
            .entry(received.transfer.clone())
            .or_insert_with(|| TransferDoc {
                from: None,
                to: location,
                shipped_at: None,
                shipped_seq: None,
                expected: None,
                shipped: Vec::new(),
                received_at: None,
                received: Vec::new(),
            });
        if doc.received_at.is_some() {
            return;
        }
        doc.received_at = Some(cause.at);
        doc.received.clone_from(&lines);
        let destination = doc.to;
        let in_transit = doc.shipped.clone();
        for (sku, qty) in in_transit {
            self.state.ledger.position_mut(destination, sku).in_transit -= qty;
        }
        for (sku, qty, damaged) in lines {
            self.move_on_hand(
                location,
                sku,
                qty - damaged,
                Movement::Receipt,
                cause,
                outputs,
            );
        }
        let key = document_key(
            ExceptionType::TransferOverdue,
            Some(destination),
            &received.transfer,
        );
        self.resolve(&key, cause, outputs);
    }

    fn apply_order_placed(&mut self, placed: &OrderPlaced, at: Timestamp) {
        let mut lines = Vec::with_capacity(placed.lines.len());
        for line in &placed.lines {
            lines.push(OrderLineState {
                sku: self.state.skus.intern(line.sku.as_str()),
                qty: line.qty,
                unit_price: line.unit_price,
                shipped: Qty::ZERO,
                reserved: Qty::ZERO,
            });
        }
        let doc = self
            .state
            .orders
            .entry(placed.order.clone())
            .or_insert_with(|| OrderDoc {
                placed_at: None,
                ship_by: None,
                lines: Vec::new(),
                allocated_to: None,
                status: OrderStatus::Open,
            });
        if doc.placed_at.is_some() {
            return;
        }
        doc.placed_at = Some(at);
        doc.ship_by = Some(Timestamp::from_datetime(&placed.ship_by));
        doc.lines = lines;
        // An allocation that arrived before the order reserves now, unless the order was cancelled meanwhile.
        if let (Some(location), OrderStatus::Open) = (doc.allocated_to, doc.status) {
            let order = placed.order.clone();
            self.reserve_order(&order, location);
        }
    }

    fn apply_order_allocated(&mut self, allocated: &OrderAllocated) {
        let location = self.state.locations.intern(allocated.location.as_str());
        let doc = self
            .state
            .orders
            .entry(allocated.order.clone())
            .or_insert_with(|| OrderDoc {
                placed_at: None,
                ship_by: None,
                lines: Vec::new(),
                allocated_to: None,
                status: OrderStatus::Open,
            });
        if doc.status != OrderStatus::Open {
            return;
        }
        self.release_reservations(&allocated.order);
        self.reserve_order(&allocated.order, location);
    }

    /// Reserves every open line of the order at `location`.
    fn reserve_order(&mut self, order: &DocumentNumber, location: LocationId) {
        let Some(doc) = self.state.orders.get_mut(order) else {
            return;
        };
        doc.allocated_to = Some(location);
        for line in &mut doc.lines {
            let open = line.open_qty();
            line.reserved = open;
            self.state.ledger.position_mut(location, line.sku).reserved += open;
        }
    }

    fn release_reservations(&mut self, order: &DocumentNumber) {
        let Some(doc) = self.state.orders.get_mut(order) else {
            return;
        };
        let Some(location) = doc.allocated_to else {
            return;
        };
        for line in &mut doc.lines {
            self.state.ledger.position_mut(location, line.sku).reserved -= line.reserved;
            line.reserved = Qty::ZERO;
        }
    }

    fn apply_order_shipped(
        &mut self,
        shipped: &OrderShipped,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let location = self.state.locations.intern(shipped.location.as_str());
        let mut moves: Vec<(SkuId, Qty)> = Vec::new();
        match &shipped.lines {
            Some(lines) => {
                for line in lines {
                    moves.push((self.state.skus.intern(line.sku.as_str()), line.qty));
                }
            }
            None => {
                if let Some(doc) = self.state.orders.get(&shipped.order) {
                    for line in &doc.lines {
                        moves.push((line.sku, line.open_qty()));
                    }
                }
            }
        }
        for &(sku, qty) in &moves {
            self.move_on_hand(location, sku, -qty, Movement::OrderShipment, cause, outputs);
        }
        let Some(doc) = self.state.orders.get_mut(&shipped.order) else {
            return;
        };
        let reserved_at = doc.allocated_to;
        for (sku, qty) in moves {
            let Some(line) = doc
                .lines
                .iter_mut()
                .find(|line| line.sku == sku && line.open_qty() > Qty::ZERO)
            else {
                continue;
            };
            line.shipped += qty;
            let released = line.reserved.min(qty);
            line.reserved -= released;
            if let Some(reserved_at) = reserved_at {
                self.state.ledger.position_mut(reserved_at, sku).reserved -= released;
            }
        }
        // Lines are unknown until the order is placed; a shipment seen before cannot close it.
        if !doc.lines.is_empty() && doc.lines.iter().all(|line| line.open_qty() == Qty::ZERO) {
            doc.status = OrderStatus::Shipped;
        }
    }

    fn apply_order_cancelled(&mut self, cancelled: &OrderCancelled) {
        self.release_reservations(&cancelled.order);
        if let Some(doc) = self.state.orders.get_mut(&cancelled.order) {
            doc.status = OrderStatus::Cancelled;
        }
    }

    fn apply_return_requested(&mut self, requested: &ReturnRequested, at: Timestamp) {
        let location = self.state.locations.intern(requested.location.as_str());
        let mut refund_requested = Money::ZERO;
        for line in &requested.lines {
            self.state.skus.intern(line.sku.as_str());
            refund_requested += line.refund;
        }
        let doc = self
            .state
            .returns
            .entry(requested.return_number.clone())
            .or_insert_with(|| ReturnDoc {
                order: None,
                location,
                requested_at: None,
                refund_requested: Money::ZERO,
                received_at: None,
                refunded: Money::ZERO,
            });
        doc.order.clone_from(&requested.order);
        doc.location = location;
        doc.requested_at.get_or_insert(at);
        doc.refund_requested = refund_requested;
    }

    fn apply_return_received(
        &mut self,
        received: &ReturnReceived,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let location = self.state.locations.intern(received.location.as_str());
        for line in &received.lines {
            let sku = self.state.skus.intern(line.sku.as_str());
            if line.condition == ReturnCondition::Resellable {
                self.move_on_hand(location, sku, line.qty, Movement::Receipt, cause, outputs);
            }
        }
        let doc = self
            .state
            .returns
            .entry(received.return_number.clone())
            .or_insert_with(|| ReturnDoc {
                order: None,
                location,
                requested_at: None,
                refund_requested: Money::ZERO,
                received_at: None,
                refunded: Money::ZERO,
            });
        doc.received_at.get_or_insert(cause.at);
    }

    /// Fires, in time order, every deadline due strictly before `now`.
    pub(super) fn fire_deadlines_before(&mut self, now: Timestamp, outputs: &mut Vec<Output>) {
        while let Some((due_at, deadline)) = self.state.deadlines.pop_due_before(now) {
            match deadline {
                Deadline::TransferReceipt(transfer) => {
                    self.fire_transfer_receipt(&transfer, due_at, outputs)
                }
            }
        }
    }

    fn fire_transfer_receipt(
        &mut self,
        transfer: &DocumentNumber,
        due_at: Timestamp,
        outputs: &mut Vec<Output>,
    ) {
        let Some(doc) = self.state.transfers.get(transfer) else {
            return;
        };
        // The entry is stale when the transfer was received or its due time moved since it was scheduled.
        if doc.received_at.is_some() || transfer_due_at(doc) != Some(due_at) {
            return;
        }
        let shipped_at = doc.shipped_at.expect("a scheduled transfer was shipped");
        let opened_at = due_at.max(shipped_at);
        let master = &self.state.master;
        let impact = doc.shipped_value(|sku| master.unit_cost(sku));
        let seq = doc.shipped_seq.expect("a scheduled transfer was shipped");
        let key = document_key(ExceptionType::TransferOverdue, Some(doc.to), transfer);
        self.raise(key, opened_at, impact, seq, outputs);
    }

    fn raise(
        &mut self,
        key: ExceptionKey,
        at: Timestamp,
        impact: Money,
        seq: u64,
        outputs: &mut Vec<Output>,
    ) {
        outputs.push(match self.state.exceptions.raise(key, at, impact, seq) {
            Raised::Opened(id) => Output::ExceptionOpened(id),
            Raised::Recurred(id) => Output::ExceptionRecurred(id),
        });
    }

    fn resolve(&mut self, key: &ExceptionKey, cause: Cause, outputs: &mut Vec<Output>) {
        if let Some(id) = self.state.exceptions.resolve(key, cause.at, cause.seq) {
            outputs.push(Output::ExceptionResolved(id));
        }
    }

    fn resolve_position(
        &mut self,
        exception_type: ExceptionType,
        location: LocationId,
        sku: SkuId,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let key = position_key(exception_type, location, sku);
        if self.state.exceptions.is_open(&key) {
            self.resolve(&key, cause, outputs);
        }
    }
}

/// When a shipped transfer must have been received: 4 h after `expected`, else 24 h after shipping.
fn transfer_due_at(doc: &TransferDoc) -> Option<Timestamp> {
    match (doc.expected, doc.shipped_at) {
        (Some(expected), _) => Some(expected.plus_hours(TRANSFER_GRACE_HOURS)),
        (None, Some(shipped_at)) => Some(shipped_at.plus_hours(TRANSFER_NO_EXPECTED_HOURS)),
        (None, None) => None,
    }
}

fn position_key(exception_type: ExceptionType, location: LocationId, sku: SkuId) -> ExceptionKey {
    ExceptionKey {
        exception_type,
        location: Some(location),
        sku: Some(sku),
        reference: None,
    }
}

fn document_key(
    exception_type: ExceptionType,
    location: Option<LocationId>,
    document: &DocumentNumber,
) -> ExceptionKey {
    ExceptionKey {
        exception_type,
        location,
        sku: None,
        reference: Some(document.clone()),
    }
}
