//! Store replenishment: the warehouse's nightly run that ships transfers to stores, their receipt the next
//! morning, the transfer faults (lost or unconfirmed, short, damaged, and the headline chain's lost transfer
//! booked by hand), and what upsets the planner: a position it stops replenishing, a surge nobody forecast.
//! A shelf that runs empty is a stockout in the truth, which `low_stock` should have warned of.
//!
//! The planner keeps each store's position (on hand less reservations plus in transit) above what exceptions.md's
//! `low_stock` asks for, with a margin: velocity x (lead time + 1) x 2, velocity being the larger of the
//! forecast (promotions included) and the last 14 days' sales. Healthy transfers arrive before `expected`.

use rand::Rng;
use retex_core::codes::{DocumentNumber, Timestamp};
use retex_core::event::{
    AdjustmentReason, Channel, EventBody, ReceivedLine, SkuQty, TransferReceived, TransferShipped,
};

use crate::clock::{DAY, HOUR, MINUTE, event_time, next_open_instant};
use crate::demand::Surge;
use crate::emit::{Source, units};
use crate::random::duration_between;
use crate::stock::SALES_HISTORY_DAYS;
use crate::truth::{Detection, ExceptionType, FaultId, FaultKey, FaultKind};
use crate::world::{Action, World, next_number};

/// The warehouse's replenishment run starts at this UTC hour.
pub(crate) const REPLENISHMENT_HOUR: i64 = 20;
/// The planner's cover: exceptions.md's low-stock factor of 1.5 plus a third for noise.
const STORE_COVER_FACTOR: f64 = 2.0;
/// On top of the reorder point, a store is filled up with this many days of sales.
const REVIEW_COVER_DAYS: f64 = 3.0;
/// Every store keeps at least this many units of every SKU on its shelf.
const PRESENTATION_MINIMUM: i32 = 2;
/// The planner keeps this many days of promotion sales ahead of the engine's 14-day velocity.
const PROMOTION_RAMP_DAYS: f64 = 3.0;
/// A promotion starting within this many days already raises the planner's forecast.
const PROMOTION_LOOKAHEAD_DAYS: i64 = 2;
/// A truck needs at least this long; it is expected this long after the store opens.
const MIN_TRANSIT_HOURS: i64 = 8;
const EXPECTED_AFTER_OPENING_HOURS: i64 = 2;
/// Healthy receipts are scanned up to this long before `expected` (never before opening).
const EARLY_RECEIPT_MINUTES: std::ops::Range<i64> = 5..110;
/// exceptions.md: a transfer is overdue 4 h after `expected`.
const TRANSFER_OVERDUE_HOURS: i64 = 4;
/// An unconfirmed transfer that does get scanned is scanned this long after `expected`.
const LATE_CONFIRMATION_HOURS: std::ops::Range<i64> = 8..60;
/// Share of unconfirmed transfers that are lost for good (the rest are confirmed late).
const LOST_TRANSFER_SHARE: f64 = 0.5;
/// The planner stops counting a transfer as in transit this long after `expected`.
const TRANSIT_WRITE_OFF_HOURS: i64 = 48;
/// The headline chain needs this long after `expected` to play out before the horizon.
const STALE_LEDGER_CHAIN_DAYS: i64 = 4;
/// In the headline chain, the store books the missing delivery by hand this long after `expected`.
const MANUAL_BOOKING_MINUTES: std::ops::Range<i64> = 30..90;
/// ... and a web order for the item is placed this long after the manual booking.
const STALE_LEDGER_ORDER_HOURS: std::ops::Range<i64> = 5..16;
/// A chain needs a transfer line of at least this many units, so that the count variance exceeds tolerance.
const STALE_LEDGER_MIN_UNITS: i32 = 3;

/// A position the planner stops replenishing stays off its list this many days.
const STOPPED_REPLENISHMENT_DAYS: std::ops::RangeInclusive<i64> = 8..=24;
/// A surge multiplies a SKU's demand at a store by this much, for this many days.
const SURGE_FACTOR: std::ops::Range<f64> = 2.5..6.0;
const SURGE_DAYS: std::ops::RangeInclusive<i64> = 2..=6;
/// Upsets concern positions expected to sell at least this many units a day: those that sell on most days.
const SUPPLY_WATCH_DAILY_UNITS: f64 = 1.5;
/// exceptions.md: `low_stock` judges positions that sold on at least this many of the last 14 days, so theirs are
/// the stockouts it should warn of ...
const LOW_STOCK_MIN_SALE_DAYS: u32 = 7;
/// ... and a warning counts when it came at most this long before the shelf ran empty.
const STOCKOUT_WARNING_DAYS: i64 = 14;
/// Tries to find a position fit for an upset before giving up for the day.
const UPSET_ATTEMPTS: usize = 60;

/// What happens to a transfer after it leaves the warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransferFate {
    Healthy,
    Short {
        line: usize,
        missing: i32,
    },
    Damaged {
        line: usize,
        damaged: i32,
    },
    /// Never confirmed: the goods are lost.
    Lost,
    /// Confirmed long after `expected`; the goods wait unscanned in the back room.
    ConfirmedLate,
    /// Lost, and the store books the given line by hand: the headline chain.
    StaleLedger {
        line: usize,
        fault: FaultId,
    },
}

#[derive(Clone)]
pub(crate) struct Transfer {
    pub(crate) number: String,
    pub(crate) store: usize,
    pub(crate) lines: Vec<(usize, i32)>,
    pub(crate) expected: Timestamp,
    pub(crate) fate: TransferFate,
}

impl World<'_> {
    /// Draws today's upsets of a store's supply: a position the planner stops replenishing, a surge of demand.
    pub(crate) fn plan_supply_upsets(&mut self, store: usize, day_start: Timestamp) {
        if self.fault_at(self.rates.missed_replenishment, store)
            && let Some(cell) = self.pick_watched_position(store)
        {
            let days = self.faults_rng.random_range(STOPPED_REPLENISHMENT_DAYS);
            self.ledger.cells[cell].replenishment_stopped_until = Some(Timestamp(day_start.0 + days * DAY));
        }
        if self.fault_at(self.rates.demand_surge, store)
            && let Some(cell) = self.pick_watched_position(store)
        {
            let days = self.faults_rng.random_range(SURGE_DAYS);
            let surge = Surge {
                factor: self.faults_rng.random_range(SURGE_FACTOR),
                until: Timestamp(day_start.0 + days * DAY),
            };
            self.demand.surges.insert(cell, surge);
        }
    }

    /// A store cell that sells on most days, with honest books and no upset yet.
    fn pick_watched_position(&mut self, store: usize) -> Option<usize> {
        let sku_count = self.catalog.products.len();
        (0..UPSET_ATTEMPTS).find_map(|_| {
            let cell = self
                .ledger
                .cell_index(store, self.faults_rng.random_range(0..sku_count));
            let stock = &self.ledger.cells[cell];
            let fit = self.demand.expected_units[cell] >= SUPPLY_WATCH_DAILY_UNITS
                && stock.is_fault_free()
                && stock.replenishment_stopped_until.is_none()
                && !self.demand.surges.contains_key(&cell);
            fit.then_some(cell)
        })
    }

    /// A sale, a web order's reservation or a transfer out may have left nothing free at a location with the
    /// books agreeing: a stockout, recorded once until the next delivery, for the positions `low_stock` judges
    /// (by the shop's own record of sales, not the engine's).
    pub(crate) fn note_stockout(&mut self, location: usize, sku: usize) {
        let cell = self.ledger.cell_index(location, sku);
        let stock = &self.ledger.cells[cell];
        let daily_units = self.demand.expected_units[cell];
        if stock.sellable() > 0
            || stock.stockout.is_some()
            || stock.open_fault.is_some()
            || self.ledger.days_with_sales(cell, self.local_day(location)) < LOW_STOCK_MIN_SALE_DAYS
        {
            return;
        }
        let stopped = stock.replenishment_stopped_until.is_some_and(|until| self.now < until);
        let cause = match (stopped, self.demand.surge_factor(cell, self.now) > 1.0) {
            (true, _) => "after the planner stopped replenishing it",
            (false, true) => "in a surge of demand nobody forecast",
            (false, false) => "with no upset of its supply",
        };
        let location = self.network.locations[location].code.to_string();
        let sku_code = self.catalog.products[sku].sku.to_string();
        let note = format!("the shelf ran empty {cause} ({daily_units:.1} units a day expected)");
        let fault = self.truth.open(FaultKind::Stockout, note);
        let key = FaultKey::location_sku(&location, &sku_code);
        let warned_from = Timestamp(self.now.0 - STOCKOUT_WARNING_DAYS * DAY);
        self.truth
            .expect_while_empty(fault, ExceptionType::LowStock, key, warned_from, self.now, daily_units);
        self.ledger.cells[cell].stockout = Some(fault);
    }

    /// Stock arrived at a position: the stockout recorded there, if any, ends.
    pub(crate) fn end_stockout(&mut self, location: usize, sku: usize) {
        if let Some(fault) = self.ledger.cell(location, sku).stockout.take() {
            self.truth.shelf_refilled(fault, self.now);
        }
    }

    pub(crate) fn replenish_stores(&mut self) {
        let top_count = self.catalog.top_categories.len();
        for store in 0..self.network.store_count {
            let mut lines_by_category: Vec<Vec<(usize, i32)>> = vec![Vec::new(); top_count];
            for sku in 0..self.catalog.products.len() {
                let qty = self.transfer_quantity(store, sku);
                if qty > 0 {
                    lines_by_category[self.catalog.products[sku].top_category].push((sku, qty));
                }
            }
            for lines in lines_by_category {
                if !lines.is_empty() {
                    self.ship_transfer(store, lines);
                }
            }
        }
    }

    /// What the planner sends a store of one SKU tonight (0 if nothing), taken from the warehouse's stock.
    fn transfer_quantity(&mut self, store: usize, sku: usize) -> i32 {
        let cell = self.ledger.cell_index(store, sku);
        let stock = &self.ledger.cells[cell];
        if stock.replenishment_stopped_until.is_some_and(|until| self.now < until) {
            return 0;
        }
        let position = stock.book - stock.reserved + stock.in_transit;
        let soon = Timestamp(self.now.0 + PROMOTION_LOOKAHEAD_DAYS * DAY);
        let lift = self
            .prices
            .promotion_lift(sku, store, Channel::Pos, self.now)
            .max(self.prices.promotion_lift(sku, store, Channel::Pos, soon));
        // The engine's velocity is a 14-day mean, so a promotion raises it a little each day: the planner stays a
        // few days of promotion sales ahead of it rather than stocking the whole lift at once.
        let expected = self.demand.expected_units[cell];
        let promotion_ramp = (lift - 1.0) * expected * PROMOTION_RAMP_DAYS / SALES_HISTORY_DAYS as f64;
        let velocity = expected.max(self.ledger.trailing_velocity(cell)) + promotion_ramp;
        let (reorder_point, order_up_to) = self.store_stock_targets(sku, velocity);
        if position >= reorder_point {
            return 0;
        }
        let warehouse = self.ledger.cell_index(self.network.warehouse, sku);
        let qty = (order_up_to - position).min(self.ledger.cells[warehouse].sellable());
        if qty <= 0 {
            return 0;
        }
        self.ledger.cells[warehouse].physical -= qty;
        self.ledger.cells[warehouse].book -= qty;
        self.ledger.cells[cell].in_transit += qty;
        self.note_stockout(self.network.warehouse, sku);
        qty
    }

    /// A store's reorder point and order-up-to level for a SKU selling `velocity` units a day.
    pub(crate) fn store_stock_targets(&self, sku: usize, velocity: f64) -> (i32, i32) {
        let product = &self.catalog.products[sku];
        let lead_time_days = f64::from(self.catalog.suppliers[product.supplier].lead_time_days);
        let reorder_point =
            ((velocity * (lead_time_days + 1.0) * STORE_COVER_FACTOR).ceil() as i32).max(PRESENTATION_MINIMUM);
        let order_up_to = reorder_point + (velocity * REVIEW_COVER_DAYS).ceil() as i32 + 1;
        (reorder_point, order_up_to)
    }

    fn ship_transfer(&mut self, store: usize, lines: Vec<(usize, i32)>) {
        let location = &self.network.locations[store];
        let hours = self.network.store_hours(store);
        let opens = next_open_instant(location.zone, hours, Timestamp(self.now.0 + MIN_TRANSIT_HOURS * HOUR));
        let expected = Timestamp(opens.0 + EXPECTED_AFTER_OPENING_HOURS * HOUR);
        let number = format!("T{:07}", next_number(&mut self.numbers.transfers));
        let body = EventBody::TransferShipped(TransferShipped {
            transfer: DocumentNumber::parse(number.clone()).expect("transfer numbers are valid"),
            from: self.network.locations[self.network.warehouse].code.clone(),
            to: location.code.clone(),
            expected: Some(event_time(expected, location.zone.offset_minutes_at(expected))),
            lines: lines
                .iter()
                .map(|&(sku, qty)| SkuQty {
                    sku: self.catalog.products[sku].sku.clone(),
                    qty: units(qty),
                })
                .collect(),
        });
        self.emitter
            .emit(self.now, 0, Source::Wms, format!("{number}:ship"), body);
        let mut transfer = Transfer {
            number,
            store,
            lines,
            expected,
            fate: TransferFate::Healthy,
        };
        transfer.fate = self.transfer_fate(&transfer);
        self.schedule_transfer_outcome(transfer, opens);
    }

    /// Draws what goes wrong with a transfer, if anything, and records it in the truth.
    fn transfer_fate(&mut self, transfer: &Transfer) -> TransferFate {
        let store = transfer.store;
        let chain_fits = transfer.expected.0 + STALE_LEDGER_CHAIN_DAYS * DAY < self.horizon.0;
        if chain_fits
            && self.fault_at(self.rates.stale_ledger_allocation, store)
            && let Some(line) = self.stale_ledger_line(transfer)
        {
            let fault = self.open_stale_ledger_chain(transfer, line);
            return TransferFate::StaleLedger { line, fault };
        }
        if self.fault_at(self.rates.unconfirmed_transfer, store) {
            let lost = self.faults_rng.random_bool(LOST_TRANSFER_SHARE);
            let note = if lost {
                "the goods never arrived and the transfer was never confirmed"
            } else {
                "the goods sat unscanned in the back room; the receipt was confirmed long after expected"
            };
            let fault = self.truth.open(FaultKind::UnconfirmedTransfer, note.to_owned());
            self.expect_transfer_overdue(fault, transfer);
            self.truth.may_also_raise(fault, ExceptionType::LowStock);
            return if lost {
                TransferFate::Lost
            } else {
                TransferFate::ConfirmedLate
            };
        }
        let line = self.faults_rng.random_range(0..transfer.lines.len());
        let qty = transfer.lines[line].1;
        if self.fault_at(self.rates.short_transfer, store) {
            let missing = self.faults_rng.random_range(1..=(qty / 3).max(1));
            return TransferFate::Short { line, missing };
        }
        if self.fault_at(self.rates.damaged_transfer, store) {
            let damaged = self.faults_rng.random_range(1..=qty.min(3));
            return TransferFate::Damaged { line, damaged };
        }
        TransferFate::Healthy
    }

    /// Schedules the receipt (or its absence) and records short and damaged lines, detectable at the receipt.
    fn schedule_transfer_outcome(&mut self, transfer: Transfer, opens: Timestamp) {
        match transfer.fate {
            TransferFate::Lost | TransferFate::StaleLedger { .. } => {
                let write_off_at = Timestamp(transfer.expected.0 + TRANSIT_WRITE_OFF_HOURS * HOUR);
                if let TransferFate::StaleLedger { .. } = transfer.fate {
                    let minutes = duration_between(
                        &mut self.faults_rng,
                        MANUAL_BOOKING_MINUTES.start * MINUTE,
                        MANUAL_BOOKING_MINUTES.end * MINUTE,
                    );
                    let booking_at = Timestamp(transfer.expected.0 + minutes);
                    self.schedule(
                        booking_at,
                        Action::BookMissingTransferByHand(Box::new(transfer.clone())),
                    );
                }
                self.schedule(write_off_at, Action::WriteOffTransit(Box::new(transfer)));
            }
            TransferFate::ConfirmedLate => {
                let hours = self.faults_rng.random_range(LATE_CONFIRMATION_HOURS);
                let location = &self.network.locations[transfer.store];
                let late = Timestamp(transfer.expected.0 + hours * HOUR);
                let at = next_open_instant(location.zone, self.network.store_hours(transfer.store), late);
                self.schedule(at, Action::ReceiveTransfer(Box::new(transfer)));
            }
            TransferFate::Healthy | TransferFate::Short { .. } | TransferFate::Damaged { .. } => {
                let early = duration_between(
                    &mut self.operations_rng,
                    EARLY_RECEIPT_MINUTES.start * MINUTE,
                    EARLY_RECEIPT_MINUTES.end * MINUTE,
                );
                let at = Timestamp((transfer.expected.0 - early).max(opens.0));
                self.record_transfer_mismatch(&transfer, at);
                self.schedule(at, Action::ReceiveTransfer(Box::new(transfer)));
            }
        }
    }

    fn record_transfer_mismatch(&mut self, transfer: &Transfer, received_at: Timestamp) {
        let (kind, note) = match transfer.fate {
            TransferFate::Short { line, missing } => {
                let sku = &self.catalog.products[transfer.lines[line].0].sku;
                (
                    FaultKind::ShortTransfer,
                    format!("{missing} units of {sku} went missing in transit"),
                )
            }
            TransferFate::Damaged { line, damaged } => {
                let sku = &self.catalog.products[transfer.lines[line].0].sku;
                (
                    FaultKind::DamagedTransfer,
                    format!("{damaged} units of {sku} arrived damaged"),
                )
            }
            _ => return,
        };
        let fault = self.truth.open(kind, note);
        let key = FaultKey::document(&transfer.number);
        self.truth.expect(
            fault,
            ExceptionType::TransferMismatch,
            key,
            received_at,
            Detection::AtEvent,
        );
    }

    pub(crate) fn receive_transfer(&mut self, transfer: Transfer) {
        let mut received_lines = Vec::with_capacity(transfer.lines.len());
        for (index, &(sku, shipped)) in transfer.lines.iter().enumerate() {
            let (qty, damaged) = match transfer.fate {
                TransferFate::Short { line, missing } if line == index => (shipped - missing, 0),
                TransferFate::Damaged { line, damaged } if line == index => (shipped, damaged),
                _ => (shipped, 0),
            };
            let cell = self.ledger.cell(transfer.store, sku);
            cell.physical += qty - damaged;
            cell.book += qty - damaged;
            cell.in_transit -= shipped;
            // A delivery puts stock back on a shelf that ran empty or that a misplacement emptied.
            if qty - damaged > 0 {
                let misplaced = cell.open_fault;
                self.end_stockout(transfer.store, sku);
                if let Some(fault) = misplaced {
                    self.truth.shelf_refilled(fault, self.now);
                }
            }
            received_lines.push(ReceivedLine {
                sku: self.catalog.products[sku].sku.clone(),
                qty: units(qty),
                damaged: units(damaged),
            });
        }
        let location = &self.network.locations[transfer.store];
        let body = EventBody::TransferReceived(TransferReceived {
            transfer: DocumentNumber::parse(transfer.number.clone()).expect("transfer numbers are valid"),
            location: location.code.clone(),
            lines: received_lines,
        });
        let offset = location.zone.offset_minutes_at(self.now);
        self.emitter.emit(
            self.now,
            offset,
            Source::Store,
            format!("{}:recv", transfer.number),
            body,
        );
    }

    /// The planner gives up on a transfer that never came and stops counting it as in transit.
    pub(crate) fn write_off_transit(&mut self, transfer: &Transfer) {
        for &(sku, qty) in &transfer.lines {
            self.ledger.cell(transfer.store, sku).in_transit -= qty;
        }
    }

    /// The headline chain's line: big enough to exceed the count tolerance, on a cell no other fault touched.
    /// A transfer left unconfirmed must raise `transfer_overdue` when `expected` + 4 h passes.
    fn expect_transfer_overdue(&mut self, fault: FaultId, transfer: &Transfer) {
        let overdue_at = Timestamp(transfer.expected.0 + TRANSFER_OVERDUE_HOURS * HOUR);
        let key = FaultKey::document(&transfer.number);
        self.truth.expect(
            fault,
            ExceptionType::TransferOverdue,
            key,
            overdue_at,
            Detection::AtDeadline,
        );
    }

    fn stale_ledger_line(&self, transfer: &Transfer) -> Option<usize> {
        let mut best: Option<(usize, i32)> = None;
        for (index, &(sku, qty)) in transfer.lines.iter().enumerate() {
            let stock = &self.ledger.cells[self.ledger.cell_index(transfer.store, sku)];
            if qty < STALE_LEDGER_MIN_UNITS || !stock.is_fault_free() || stock.reserved > 0 {
                continue;
            }
            // The emptier the shelf, the likelier a web order cannot be picked.
            if best.is_none_or(|(_, physical)| stock.physical < physical) {
                best = Some((index, stock.physical));
            }
        }
        best.map(|(index, _)| index)
    }

    fn open_stale_ledger_chain(&mut self, transfer: &Transfer, line: usize) -> FaultId {
        let (sku, qty) = transfer.lines[line];
        let store_code = self.network.locations[transfer.store].code.to_string();
        let sku_code = self.catalog.products[sku].sku.to_string();
        let note = format!(
            "transfer {} to {store_code} was lost and never confirmed; the store booked {qty} units of {sku_code} by \
             hand, so its ledger shows stock the shelf lacks; a web order allocated there cannot be picked and is \
             cancelled; the late count finds the gap",
            transfer.number
        );
        let fault = self.truth.open(FaultKind::StaleLedgerAllocation, note);
        self.expect_transfer_overdue(fault, transfer);
        self.truth.may_also_raise(fault, ExceptionType::PhantomStock);
        self.truth.may_also_raise(fault, ExceptionType::LowStock);
        self.truth.may_also_raise(fault, ExceptionType::CustomerComplaint);
        let cell = self.ledger.cell(transfer.store, sku);
        cell.open_fault = Some(fault);
        cell.had_fault = true;
        fault
    }

    /// The store books the missing delivery of one line by hand ("the scanner failed"): the books gain units the
    /// shelf never got. Then a web order for that item arrives.
    pub(crate) fn book_missing_transfer_by_hand(&mut self, transfer: Transfer) {
        let TransferFate::StaleLedger { line, .. } = transfer.fate else {
            unreachable!("only the headline chain books a transfer by hand");
        };
        let (sku, qty) = transfer.lines[line];
        self.ledger.cell(transfer.store, sku).book += qty;
        let location = &self.network.locations[transfer.store];
        let body = EventBody::Adjustment(retex_core::event::Adjustment {
            location: location.code.clone(),
            sku: self.catalog.products[sku].sku.clone(),
            qty: units(qty),
            reason: AdjustmentReason::Correction,
        });
        let offset = location.zone.offset_minutes_at(self.now);
        let id = format!("ADJ-{:07}", next_number(&mut self.numbers.adjustments));
        self.emitter.emit(self.now, offset, Source::Store, id, body);
        let hours = duration_between(
            &mut self.faults_rng,
            STALE_LEDGER_ORDER_HOURS.start * HOUR,
            STALE_LEDGER_ORDER_HOURS.end * HOUR,
        );
        self.schedule(
            Timestamp(self.now.0 + hours),
            Action::PlaceStaleLedgerOrder(Box::new(transfer)),
        );
    }
}
