//! How each event moves the operational picture (events.md, "How they move stock"), calling the detectors
//! at the moments their conditions can change.

use crate::codes::{EventId, Money, Qty, Timestamp};
use crate::engine::composition::Engine;
use crate::engine::detect::custom::{self, CustomView};
use crate::engine::detect::stock::{self, Move, Movement};
use crate::engine::detect::{Cause, master_data, pricing};
use crate::engine::documents::{OrderDoc, OrderLineState, OrderStatus, PurchaseOrderDoc, ReturnDoc, TransferDoc};
use crate::engine::ledger::pack as pack_position;
use crate::engine::ledger::{LocationId, Position, SkuId};
use crate::engine::master::{
    LocationInfo, PriceEntry, PriceScope, ProductInfo, PromotionInfo, SupplierInfo, slot_for, upsert_newest,
};
use crate::event::*;
use crate::rules::ExceptionType;

impl Engine {
    pub(super) fn apply_event(&mut self, seq: u64, event: &Event, at: Timestamp) {
        let cause = Cause { seq, at };
        match &event.body {
            EventBody::Location(upsert) => self.upsert_location(upsert, at),
            EventBody::Supplier(upsert) => self.upsert_supplier(upsert, cause),
            EventBody::Product(upsert) => self.upsert_product(upsert, cause),
            EventBody::Price(upsert) => self.upsert_price(upsert, at),
            EventBody::Promotion(upsert) => self.upsert_promotion(upsert, cause),
            EventBody::Sale(sale) => self.apply_sale(sale, cause),
            EventBody::Adjustment(adjustment) => {
                let (location, sku) = self.state.picture.position_ids(&adjustment.location, &adjustment.sku);
                if adjustment.qty.is_negative() && adjustment.reason != AdjustmentReason::Correction {
                    self.record_shrink(location, sku, -adjustment.qty);
                }
                self.move_on_hand(location, sku, adjustment.qty, Movement::Adjustment, cause);
                self.check_low_stock(location, sku, cause);
            }
            EventBody::Count(count) => self.apply_count(&event.id, count, cause),
            EventBody::PurchaseOrder(order) => self.apply_purchase_order(order, cause),
            EventBody::PoUpdate(update) => self.apply_po_update(update, cause),
            EventBody::Receipt(receipt) => self.apply_receipt(receipt, cause),
            EventBody::TransferShipped(shipped) => self.apply_transfer_shipped(shipped, cause),
            EventBody::TransferReceived(received) => self.apply_transfer_received(received, cause),
            EventBody::OrderPlaced(placed) => self.apply_order_placed(placed, cause),
            EventBody::OrderAllocated(allocated) => self.apply_order_allocated(allocated, cause),
            EventBody::OrderShipped(shipped) => self.apply_order_shipped(shipped, cause),
            EventBody::OrderCancelled(cancelled) => self.apply_order_cancelled(cancelled, cause),
            EventBody::ReturnRequested(requested) => self.apply_return_requested(requested, cause),
            EventBody::ReturnReceived(received) => self.apply_return_received(received, cause),
            EventBody::RefundIssued(refund) => self.apply_refund(refund, cause),
            EventBody::CustomerMessage(message) => self.apply_customer_message(message, cause),
        }
        if !self.config.rules.custom.is_empty() {
            let view = CustomView {
                rules: &self.config.rules,
                ledger: &self.state.picture.ledger,
                master: &self.state.picture.master,
                locations: &self.state.picture.locations,
                skus: &self.state.picture.skus,
            };
            for detection in custom::custom_types(view, event, cause) {
                self.apply_detection(Some(detection));
            }
        }
    }

    /// Whether the master data already says what this upsert says, its time aside. An import skips such rows,
    /// so that importing the same spreadsheet again adds nothing to the log.
    pub fn master_data_holds(&self, body: &EventBody) -> bool {
        let picture = &self.state.picture;
        let master = &picture.master;
        match body {
            EventBody::Location(upsert) => picture
                .locations
                .get(upsert.code.as_str())
                .and_then(|id| master.location(id))
                .is_some_and(|current| *current == LocationInfo::from_upsert(upsert, current.updated_at)),
            EventBody::Supplier(upsert) => master
                .suppliers
                .get(&upsert.code)
                .is_some_and(|current| *current == SupplierInfo::from_upsert(upsert, current.updated_at)),
            EventBody::Product(upsert) => picture
                .skus
                .get(upsert.sku.as_str())
                .and_then(|id| master.product(id))
                .is_some_and(|current| *current == ProductInfo::from_upsert(upsert, current.updated_at)),
            EventBody::Price(upsert) => {
                let Some(sku) = picture.skus.get(upsert.sku.as_str()) else {
                    return false;
                };
                let location = match &upsert.location {
                    None => None,
                    Some(code) => match picture.locations.get(code.as_str()) {
                        Some(id) => Some(id),
                        None => return false,
                    },
                };
                let scope = PriceScope {
                    sku,
                    location,
                    channel: upsert.channel,
                };
                master
                    .prices
                    .get(&scope)
                    .is_some_and(|entry| entry.price == upsert.price)
            }
            _ => false,
        }
    }

    fn upsert_location(&mut self, upsert: &LocationUpsert, at: Timestamp) {
        let id = self.state.picture.locations.intern(upsert.code.as_str());
        let info = LocationInfo::from_upsert(upsert, at);
        upsert_newest(slot_for(&mut self.state.picture.master.locations, id), info, |info| {
            info.updated_at
        });
        if let Some(calendar) = self.calendars.get_mut(id as usize) {
            *calendar = None;
        }
    }

    fn upsert_supplier(&mut self, upsert: &SupplierUpsert, cause: Cause) {
        self.lead_times.clear();
        let info = SupplierInfo::from_upsert(upsert, cause.at);
        let slot = self
            .state
            .picture
            .master
            .suppliers
            .entry(upsert.code.clone())
            .or_insert_with(|| info.clone());
        if slot.updated_at > cause.at {
            return;
        }
        *slot = info;
        let verdict = master_data::supplier(&self.state.picture.master, &upsert.code, cause);
        self.apply_verdict(verdict);
    }

    fn upsert_product(&mut self, upsert: &ProductUpsert, cause: Cause) {
        self.lead_times.clear();
        let id = self.state.picture.skus.intern(upsert.sku.as_str());
        let info = ProductInfo::from_upsert(upsert, cause.at);
        let newest = upsert_newest(slot_for(&mut self.state.picture.master.products, id), info, |info| {
            info.updated_at
        });
        if newest && let Some(verdict) = master_data::product(&self.state.picture.master, id, cause) {
            self.apply_verdict(verdict);
        }
    }

    fn upsert_price(&mut self, upsert: &PriceUpsert, at: Timestamp) {
        let scope = PriceScope {
            sku: self.state.picture.skus.intern(upsert.sku.as_str()),
            location: upsert
                .location
                .as_ref()
                .map(|code| self.state.picture.locations.intern(code.as_str())),
            channel: upsert.channel,
        };
        let flags = &mut self.state.stats.priced_skus;
        if flags.len() <= scope.sku as usize {
            flags.resize(scope.sku as usize + 1, false);
        }
        flags[scope.sku as usize] = true;
        let entry = PriceEntry {
            price: upsert.price,
            updated_at: at,
        };
        let slot = self.state.picture.master.prices.entry(scope).or_insert(entry);
        if slot.updated_at <= at {
            *slot = entry;
        }
    }

    fn upsert_promotion(&mut self, upsert: &PromotionUpsert, cause: Cause) {
        let sku = self.state.picture.skus.intern(upsert.sku.as_str());
        let info = PromotionInfo {
            sku,
            price: upsert.price,
            from: Timestamp::from_datetime(&upsert.from),
            to: Timestamp::from_datetime(&upsert.to),
            location: upsert
                .location
                .as_ref()
                .map(|code| self.state.picture.locations.intern(code.as_str())),
            channel: upsert.channel,
            updated_at: cause.at,
        };
        let slot = self
            .state
            .picture
            .master
            .promotions
            .entry(upsert.promotion.clone())
            .or_insert_with(|| info.clone());
        if slot.updated_at > cause.at {
            return;
        }
        *slot = info;
        let by_sku = self.state.stats.promotions_by_sku.entry(sku).or_default();
        if !by_sku.contains(&upsert.promotion) {
            by_sku.push(upsert.promotion.clone());
        }
        for detection in pricing::promotion_conflicts(&self.pricing_view(), &upsert.promotion, cause) {
            self.apply_detection(Some(detection));
        }
    }

    fn apply_sale(&mut self, sale: &Sale, cause: Cause) {
        let (location, sku) = self.state.picture.position_ids(&sale.location, &sale.sku);
        let position = self.move_on_hand(location, sku, -sale.qty, Movement::Sale, cause);
        let low_stock_sales = self.record_sale(location, sku, sale.qty, cause);
        self.note_till_line(location, sku, cause.at);
        let mismatch = pricing::price_mismatch(&self.pricing_view(), sale, location, sku, cause);
        self.apply_detection(mismatch);
        if let Some(order) = &sale.order
            && self.config.rules.is_enabled(ExceptionType::ReturnPolicy)
        {
            self.state
                .stats
                .receipts
                .record(order.as_str(), sku, sale.qty, sale.unit_price, cause.at);
        }
        if let Some(sales) = low_stock_sales {
            self.judge_low_stock(location, sku, sales, position, cause);
        }
    }

    /// Adds `delta` to on hand and runs the `negative_stock` detector on the result; returns the position moved.
    pub(super) fn move_on_hand(
        &mut self,
        location: LocationId,
        sku: SkuId,
        delta: Qty,
        movement: Movement,
        cause: Cause,
    ) -> Position {
        if !self.config.rules.count_schedule.is_empty() {
            self.enroll_for_counting(location, sku, cause.at);
        }
        let position = self.state.picture.ledger.position_mut(location, sku);
        let before = position.on_hand;
        position.on_hand += delta;
        let moved = *position;
        let change = Move {
            location,
            sku,
            before,
            after: moved.on_hand,
            delta,
            movement,
        };
        if let Some(verdict) = stock::negative_stock(&change, cause) {
            self.apply_verdict(verdict);
        }
        // Stock arriving from zero begins a new silence: the shelf was empty, so not selling was no surprise.
        if !before.is_positive() && moved.on_hand.is_positive() {
            self.restart_silence(location, sku, cause.at);
        }
        // Running out confirms an open `low_stock`.
        if before.is_positive() && !moved.on_hand.is_positive() {
            let detail = format!("ran out: {} on hand", moved.on_hand);
            self.note_field_answer(ExceptionType::LowStock, location, sku, true, detail, cause);
        }
        moved
    }

    fn apply_count(&mut self, id: &EventId, count: &Count, cause: Cause) {
        let (location, sku) = self.state.picture.position_ids(&count.location, &count.sku);
        let before = self.state.picture.ledger.position_mut(location, sku).on_hand;
        let variance = count.counted - before;
        // Before the variance check, so a recount that this count's variance asks for waits for the next count.
        self.complete_recounts(location, sku, cause.at, cause.seq);
        let seen = stock::CountSeen {
            count: id,
            location,
            sku,
            before,
            variance,
        };
        if let Some(verdict) = stock::count_variance(&self.params(), &seen, cause) {
            self.apply_verdict(verdict);
        }
        self.answer_phantom_by_count(location, sku, count.counted, before, cause);
        self.resolve_phantom_stock(location, sku, cause);
        self.record_cycle_count(location, sku, cause);
        if variance.is_negative() {
            self.record_shrink(location, sku, -variance);
        }
        self.move_on_hand(location, sku, variance, Movement::Adjustment, cause);
        self.restart_silence(location, sku, cause.at);
        self.check_low_stock(location, sku, cause);
    }

    fn apply_purchase_order(&mut self, order: &PurchaseOrder, cause: Cause) {
        let seq = cause.seq;
        let location = self.state.picture.locations.intern(order.location.as_str());
        let expected = Timestamp::from_datetime(&order.expected);
        let mut lines = Vec::with_capacity(order.lines.len());
        for line in &order.lines {
            lines.push((
                self.state.picture.skus.intern(line.sku.as_str()),
                line.qty,
                line.unit_cost,
            ));
        }
        let doc = self
            .state
            .picture
            .purchase_orders
            .entry(order.po.clone())
            .or_insert_with(|| PurchaseOrderDoc::new(location));
        let previous_open = doc.open_quantities();
        doc.ordered_seq.get_or_insert(seq);
        doc.supplier = Some(order.supplier.clone());
        doc.location = location;
        doc.expected = Some(expected);
        doc.original_expected.get_or_insert(expected);
        // A resent order replaces the ordered quantities and keeps what was already received.
        for (sku, qty, unit_cost) in lines {
            let state = doc.line_mut(sku);
            state.ordered = qty;
            state.unit_cost = unit_cost;
        }
        let open = doc.open_quantities();
        let (closed, doc_location) = (doc.closed, doc.location);
        if !closed {
            self.adjust_on_order(doc_location, &previous_open, &open);
            self.schedule_po_due(&order.po, expected);
            (self.state.stats).expect_po(doc_location, &order.po, expected);
            self.check_po_late_risk(&order.po, cause);
        }
    }

    /// Replaces a PO's contribution to the open purchase quantities.
    pub(super) fn adjust_on_order(&mut self, location: LocationId, before: &[(SkuId, Qty)], after: &[(SkuId, Qty)]) {
        for &(sku, qty) in before {
            *self
                .state
                .stats
                .on_order
                .entry(pack_position(location, sku))
                .or_default() -= qty;
        }
        for &(sku, qty) in after {
            *self
                .state
                .stats
                .on_order
                .entry(pack_position(location, sku))
                .or_default() += qty;
        }
        for &(sku, _) in before.iter().chain(after) {
            let key = pack_position(location, sku);
            let on_order = self.state.stats.on_order.get(&key).copied();
            // Open quantities are never negative, nor is their sum: `low_stock` relies on it.
            debug_assert!(on_order.is_none_or(|qty| !qty.is_negative()), "on order {on_order:?}");
            if on_order.is_some_and(|qty| qty.0.is_zero()) {
                self.state.stats.on_order.remove(&key);
            }
        }
    }

    fn apply_po_update(&mut self, update: &PoUpdate, cause: Cause) {
        let expected = Timestamp::from_datetime(&update.expected);
        let Some(doc) = self.state.picture.purchase_orders.get_mut(&update.po) else {
            return;
        };
        doc.expected = Some(expected);
        let (closed, location) = (doc.closed, doc.location);
        if !closed {
            (self.state.stats).expect_po(location, &update.po, expected);
            self.schedule_po_due(&update.po, expected);
            self.check_po_slip(&update.po, cause);
        }
    }

    fn apply_receipt(&mut self, receipt: &Receipt, cause: Cause) {
        let location = self.state.picture.locations.intern(receipt.location.as_str());
        for line in &receipt.lines {
            let sku = self.state.picture.skus.intern(line.sku.as_str());
            self.move_on_hand(location, sku, line.qty - line.damaged, Movement::Receipt, cause);
        }
        let doc = self
            .state
            .picture
            .purchase_orders
            .entry(receipt.po.clone())
            .or_insert_with(|| PurchaseOrderDoc::new(location));
        let was_closed = doc.closed;
        let previous_open = if doc.closed { Vec::new() } else { doc.open_quantities() };
        for line in &receipt.lines {
            let sku = self.state.picture.skus.get(line.sku.as_str()).expect("interned above");
            let state = doc.line_mut(sku);
            state.received += line.qty;
            state.damaged += line.damaged;
        }
        if receipt.is_final {
            doc.closed = true;
        }
        let open = if doc.closed { Vec::new() } else { doc.open_quantities() };
        let (doc_location, closed) = (doc.location, doc.closed);
        self.adjust_on_order(doc_location, &previous_open, &open);
        if closed {
            (self.state.stats).forget_po(doc_location, &receipt.po);
        }
        if closed && !was_closed {
            self.record_po_delivery(&receipt.po, cause);
        }
        self.check_receipt(receipt, location, cause);
        for line in &receipt.lines {
            let sku = self.state.picture.skus.get(line.sku.as_str()).expect("interned above");
            self.check_low_stock(location, sku, cause);
        }
    }

    fn apply_transfer_shipped(&mut self, shipped: &TransferShipped, cause: Cause) {
        let from = self.state.picture.locations.intern(shipped.from.as_str());
        let to = self.state.picture.locations.intern(shipped.to.as_str());
        let already_received = self
            .state
            .picture
            .transfers
            .get(&shipped.transfer)
            .is_some_and(|doc| doc.received_at.is_some());
        let mut lines = Vec::with_capacity(shipped.lines.len());
        if !already_received {
            (self.state.stats.supply_rhythm).note_transfer(to, cause.at);
        }
        for line in &shipped.lines {
            let sku = self.state.picture.skus.intern(line.sku.as_str());
            self.move_on_hand(from, sku, -line.qty, Movement::TransferShipment, cause);
            if !already_received {
                let position = self.state.picture.ledger.position_mut(to, sku);
                let level = (position.on_hand - position.reserved + position.in_transit).units_f64();
                position.in_transit += line.qty;
                let key = pack_position(to, sku);
                (self.state.stats.supply_rhythm).note_supplied(key, level, cause.at);
            }
            lines.push((sku, line.qty));
        }
        let expected = shipped.expected.as_ref().map(Timestamp::from_datetime);
        let doc = self
            .state
            .picture
            .transfers
            .entry(shipped.transfer.clone())
            .or_insert_with(|| TransferDoc::new(to));
        doc.from = Some(from);
        doc.to = to;
        doc.shipped_at.get_or_insert(cause.at);
        doc.shipped_seq.get_or_insert(cause.seq);
        doc.expected = expected.or(doc.expected);
        doc.shipped.extend(lines.iter().copied());
        if !already_received {
            let due = doc.expected;
            let lines = doc.lines_by_sku().iter().map(|line| (line.sku, line.shipped)).collect();
            (self.state.stats).expect_transfer(to, &shipped.transfer, due, lines);
        }
        if already_received {
            self.check_transfer_mismatch(&shipped.transfer, cause);
        } else {
            self.schedule_transfer_due(&shipped.transfer);
        }
        // The sender has less; the receiver has a next supply.
        for (sku, _) in lines {
            self.check_low_stock(from, sku, cause);
            self.check_low_stock(to, sku, cause);
        }
    }

    /// The first receipt adds what arrived, clears the whole transit quantity and closes the transfer; a
    /// later receipt of a closed transfer moves no stock.
    fn apply_transfer_received(&mut self, received: &TransferReceived, cause: Cause) {
        let location = self.state.picture.locations.intern(received.location.as_str());
        let mut lines = Vec::with_capacity(received.lines.len());
        for line in &received.lines {
            lines.push((
                self.state.picture.skus.intern(line.sku.as_str()),
                line.qty,
                line.damaged,
            ));
        }
        let doc = self
            .state
            .picture
            .transfers
            .entry(received.transfer.clone())
            .or_insert_with(|| TransferDoc::new(location));
        if doc.received_at.is_some() {
            return;
        }
        doc.received_at = Some(cause.at);
        doc.received_seq = Some(cause.seq);
        doc.received.clone_from(&lines);
        let destination = doc.to;
        let was_shipped = doc.shipped_at.is_some();
        if let Some(shipped_at) = doc.shipped_at {
            let lead_times = self.state.stats.transfer_lead_times.entry(destination).or_default();
            lead_times.add(shipped_at, cause.at);
        }
        let in_transit = doc.shipped.clone();
        for (sku, qty) in in_transit {
            self.state.picture.ledger.position_mut(destination, sku).in_transit -= qty;
        }
        (self.state.stats).forget_transfer(destination, &received.transfer);
        for &(sku, qty, damaged) in &lines {
            self.move_on_hand(location, sku, qty - damaged, Movement::Receipt, cause);
        }
        self.resolve_transfer_overdue(&received.transfer, cause);
        if was_shipped {
            self.check_transfer_mismatch(&received.transfer, cause);
        }
        for (sku, _, _) in lines {
            self.check_low_stock(location, sku, cause);
        }
    }

    fn apply_order_placed(&mut self, placed: &OrderPlaced, cause: Cause) {
        let mut lines = Vec::with_capacity(placed.lines.len());
        for line in &placed.lines {
            lines.push(OrderLineState {
                sku: self.state.picture.skus.intern(line.sku.as_str()),
                qty: line.qty,
                unit_price: line.unit_price,
                shipped: Qty::ZERO,
                reserved: Qty::ZERO,
            });
        }
        let doc = self
            .state
            .picture
            .orders
            .entry(placed.order.clone())
            .or_insert_with(OrderDoc::unknown);
        if doc.placed_at.is_some() {
            return;
        }
        let ship_by = Timestamp::from_datetime(&placed.ship_by);
        doc.placed_at = Some(cause.at);
        doc.placed_seq = Some(cause.seq);
        doc.ship_by = Some(ship_by);
        doc.lines = lines;
        let (allocated, status) = (doc.allocated_to, doc.status);
        // An allocation that arrived before the order reserves now, unless the order was closed meanwhile.
        if status == OrderStatus::Open {
            if let Some(location) = allocated {
                self.state.picture.reserve_order(&placed.order, location);
            }
            self.schedule_order_at_risk(&placed.order, ship_by);
        }
    }

    fn apply_order_allocated(&mut self, allocated: &OrderAllocated, cause: Cause) {
        let location = self.state.picture.locations.intern(allocated.location.as_str());
        let doc = self
            .state
            .picture
            .orders
            .entry(allocated.order.clone())
            .or_insert_with(OrderDoc::unknown);
        if doc.status != OrderStatus::Open {
            return;
        }
        self.state.picture.release_reservations(&allocated.order);
        self.check_allocation(&allocated.order, location, cause);
        self.state.picture.reserve_order(&allocated.order, location);
    }

    fn apply_order_shipped(&mut self, shipped: &OrderShipped, cause: Cause) {
        let location = self.state.picture.locations.intern(shipped.location.as_str());
        let mut moves: Vec<(SkuId, Qty)> = Vec::new();
        match &shipped.lines {
            Some(lines) => {
                for line in lines {
                    moves.push((self.state.picture.skus.intern(line.sku.as_str()), line.qty));
                }
            }
            None => {
                if let Some(doc) = self.state.picture.orders.get(&shipped.order) {
                    for line in &doc.lines {
                        moves.push((line.sku, line.open_qty()));
                    }
                }
            }
        }
        for &(sku, qty) in &moves {
            self.move_on_hand(location, sku, -qty, Movement::OrderShipment, cause);
            self.record_sale(location, sku, qty, cause);
        }
        let Some(doc) = self.state.picture.orders.get_mut(&shipped.order) else {
            return;
        };
        let reserved_at = doc.allocated_to;
        for &(sku, qty) in &moves {
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
                self.state.picture.ledger.position_mut(reserved_at, sku).reserved -= released;
            }
        }
        // Lines are unknown until the order is placed; a shipment seen before cannot close it.
        if !doc.lines.is_empty() && doc.lines.iter().all(|line| line.open_qty() == Qty::ZERO) {
            doc.status = OrderStatus::Shipped;
            self.resolve_order_exceptions(&shipped.order, cause);
        }
        for (sku, _) in moves {
            self.check_low_stock(location, sku, cause);
        }
    }

    fn apply_order_cancelled(&mut self, cancelled: &OrderCancelled, cause: Cause) {
        self.state.picture.release_reservations(&cancelled.order);
        let doc = self
            .state
            .picture
            .orders
            .entry(cancelled.order.clone())
            .or_insert_with(OrderDoc::unknown);
        doc.status = OrderStatus::Cancelled;
        self.resolve_order_exceptions(&cancelled.order, cause);
        if cancelled.reason == CancelReason::Stockout {
            self.raise_cancelled_stockout(&cancelled.order, cause);
        }
    }

    fn apply_return_requested(&mut self, requested: &ReturnRequested, cause: Cause) {
        let location = self.state.picture.locations.intern(requested.location.as_str());
        let mut refund_requested = Money::ZERO;
        let mut lines = Vec::with_capacity(requested.lines.len());
        for line in &requested.lines {
            lines.push((self.state.picture.skus.intern(line.sku.as_str()), line.qty, line.refund));
            refund_requested += line.refund;
        }
        let doc = self
            .state
            .picture
            .returns
            .entry(requested.return_number.clone())
            .or_insert_with(|| ReturnDoc::new(location));
        doc.order.clone_from(&requested.order);
        doc.location = location;
        doc.requested_at.get_or_insert(cause.at);
        doc.refund_requested = refund_requested;
        doc.lines = lines;
        self.check_return_policy(&requested.return_number, cause);
    }

    fn apply_return_received(&mut self, received: &ReturnReceived, cause: Cause) {
        let location = self.state.picture.locations.intern(received.location.as_str());
        for line in &received.lines {
            let sku = self.state.picture.skus.intern(line.sku.as_str());
            if line.condition == ReturnCondition::Resellable {
                self.move_on_hand(location, sku, line.qty, Movement::Receipt, cause);
            }
        }
        let doc = self
            .state
            .picture
            .returns
            .entry(received.return_number.clone())
            .or_insert_with(|| ReturnDoc::new(location));
        if doc.received_at.is_some() {
            return;
        }
        doc.received_at = Some(cause.at);
        doc.received_seq = Some(cause.seq);
        self.schedule_refund_due(&received.return_number, cause.at);
    }

    fn apply_refund(&mut self, refund: &RefundIssued, cause: Cause) {
        let location = self
            .state
            .picture
            .returns
            .get(&refund.return_number)
            .map(|doc| doc.location);
        let doc = self
            .state
            .picture
            .returns
            .entry(refund.return_number.clone())
            .or_insert_with(|| ReturnDoc::new(location.unwrap_or_default()));
        doc.refunded += refund.amount;
        doc.refund_seen = true;
        self.resolve_refund_overdue(&refund.return_number, cause);
    }
}
