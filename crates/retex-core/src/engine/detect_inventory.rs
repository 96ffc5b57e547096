//! Inventory detectors: `negative_stock`, `count_variance`, `low_stock` and `phantom_stock`.

use rust_decimal::Decimal;

use crate::codes::{Money, Qty, Timestamp};
use crate::engine::apply::{Cause, Movement};
use crate::engine::calendar::BusinessHours;
use crate::engine::ledger::{LocationId, SkuId, unpack};
use crate::engine::raise::{Detection, key_of};
use crate::engine::stats::{HISTORY_DAYS, PhantomCheck, PositionStats, day_of};
use crate::engine::{Deadline, Engine, Output, pack_position};
use crate::rules::{ExceptionType, Param};

/// `phantom_stock` judges "selling at least N a day" over at most this many days up to the last sale.
const PHANTOM_VELOCITY_WINDOW_DAYS: usize = 14;

impl Engine {
    /// `negative_stock`: a sale, negative adjustment, transfer shipment or order shipment leaves on hand below
    /// zero; resolved when on hand is back at zero or above.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_negative_stock(
        &mut self,
        location: LocationId,
        sku: SkuId,
        before: Qty,
        after: Qty,
        movement: Movement,
        delta: Qty,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let can_go_negative = match movement {
            Movement::Sale | Movement::TransferShipment | Movement::OrderShipment => true,
            Movement::Adjustment => delta.is_negative(),
            Movement::Receipt => false,
        };
        if after.is_negative() && can_go_negative {
            let kind = ExceptionType::NegativeStock;
            self.raise(
                Detection::at_position(kind, location, sku, cause.at, Money::ZERO, cause.seq),
                outputs,
            );
        } else if before.is_negative() && !after.is_negative() {
            let key = key_of(ExceptionType::NegativeStock, Some(location), Some(sku), None);
            self.resolve_key(&key, cause.at, cause.seq, outputs);
        }
    }

    /// `count_variance`: the count differs from on hand by more than max(units, share of abs(on hand)); a
    /// later count within tolerance resolves it.
    pub(super) fn check_count_variance(
        &mut self,
        location: LocationId,
        sku: SkuId,
        before: Qty,
        variance: Qty,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let kind = ExceptionType::CountVariance;
        let units = self.param(kind, Param::ToleranceUnits, Some(location), Some(sku));
        let share = self.param(kind, Param::ToleranceShare, Some(location), Some(sku));
        let tolerance = units.max(share * before.0.abs());
        let impact = (variance.0.abs() > tolerance).then(|| variance.abs() * self.state.master.unit_cost(sku));
        self.settle_position(kind, location, sku, impact, cause, outputs);
    }

    /// Raises a position-keyed exception with `impact` when its condition holds, else resolves any open one.
    fn settle_position(
        &mut self,
        kind: ExceptionType,
        location: LocationId,
        sku: SkuId,
        impact: Option<Money>,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        match impact {
            Some(impact) => self.raise(
                Detection::at_position(kind, location, sku, cause.at, impact, cause.seq),
                outputs,
            ),
            None => self.resolve_key(
                &key_of(kind, Some(location), Some(sku), None),
                cause.at,
                cause.seq,
                outputs,
            ),
        }
    }

    /// Records demand for the velocity and the silence of `phantom_stock`; a sale resolves `phantom_stock`.
    /// Returns whether `low_stock` needs a look here (it sold on enough days, or one is open).
    pub(super) fn record_sale(
        &mut self,
        location: LocationId,
        sku: SkuId,
        qty: Qty,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) -> bool {
        let low_stock = ExceptionType::LowStock;
        let window = decimal_days(self.param(low_stock, Param::VelocityWindowDays, Some(location), Some(sku)));
        let min_days = decimal_days(self.param(low_stock, Param::MinSellingDays, Some(location), Some(sku)));
        let phantom = ExceptionType::PhantomStock;
        let watching = self.config.rules.is_enabled(phantom);
        let min_daily = self.param(phantom, Param::MinDailySales, Some(location), Some(sku));
        let silence = self.param(phantom, Param::SilenceIntervals, Some(location), Some(sku));
        let calendar = if watching { self.business_hours(location) } else { None };
        let holidays = &self.config.rules.workflow.holidays;
        let stats = self
            .state
            .stats
            .positions
            .entry(pack_position(location, sku))
            .or_default();
        stats.record_sale(cause.at, qty, cause.seq);
        let low_stock_candidate = stats.low_stock_open || stats.sold_over(day_of(cause.at), window).1 >= min_days;
        let was_open = std::mem::take(&mut stats.phantom_open);
        // Only items fast enough to judge are watched: a slow mover's silence says nothing. A sale can bring
        // the end of the silence forward as well as push it back (a burst shortens the mean interval), so a
        // check already queued is replaced by an earlier one.
        let earlier_check = watching.then(|| {
            let (first, last) = (
                stats.first_sale_at == Some(cause.at),
                stats.last_sale_at == Some(cause.at),
            );
            if first || last {
                let reading = self.calendar_memo.business_clock_ms(calendar, holidays, cause.at);
                if first {
                    stats.first_sale_reading = reading;
                }
                if last {
                    stats.last_sale_reading = reading;
                }
            }
            let due = stats.phantom_due_reading(silence)?;
            let earlier = stats.phantom_check.is_none_or(|check| due < check.reading);
            (earlier && phantom_qualifies(stats, min_daily)).then_some(due)
        });
        if let Some(Some(reading)) = earlier_check {
            self.queue_phantom_check(location, sku, calendar, reading);
        }
        if was_open {
            self.resolve_phantom_stock(location, sku, cause, outputs);
        }
        low_stock_candidate
    }

    /// Queues the `phantom_stock` check of a position for when its business clock reads `reading`.
    fn queue_phantom_check(&mut self, location: LocationId, sku: SkuId, calendar: Option<BusinessHours>, reading: i64) {
        let holidays = &self.config.rules.workflow.holidays;
        let at = self.calendar_memo.business_instant(calendar, holidays, reading);
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.phantom_check = Some(PhantomCheck { at, reading });
        }
        self.state.deadlines.schedule(at, Deadline::PhantomCheck(location, sku));
    }

    /// Reads the business clock of a location's sales again after its calendar changed, and brings a queued
    /// `phantom_stock` check forward where the new calendar ends the silence sooner.
    pub(super) fn reread_sale_clocks(&mut self, location: LocationId) {
        let phantom = ExceptionType::PhantomStock;
        if !self.config.rules.is_enabled(phantom) {
            return;
        }
        let calendar = self.business_hours(location);
        let mut keys: Vec<u64> = (self.state.stats.positions.keys().copied())
            .filter(|&key| unpack(key).0 == location)
            .collect();
        keys.sort_unstable();
        for key in keys {
            let sku = unpack(key).1;
            let silence = self.param(phantom, Param::SilenceIntervals, Some(location), Some(sku));
            let holidays = &self.config.rules.workflow.holidays;
            let Some(stats) = self.state.stats.positions.get_mut(&key) else {
                continue;
            };
            let (Some(first), Some(last)) = (stats.first_sale_at, stats.last_sale_at) else {
                continue;
            };
            let memo = &mut self.calendar_memo;
            stats.first_sale_reading = memo.business_clock_ms(calendar, holidays, first);
            stats.last_sale_reading = memo.business_clock_ms(calendar, holidays, last);
            let Some(queued) = stats.phantom_check else {
                continue;
            };
            // Readings of different calendars do not compare: the queued check is read on the new one too.
            let reading = memo.business_clock_ms(calendar, holidays, queued.at);
            stats.phantom_check = Some(PhantomCheck { at: queued.at, reading });
            if let Some(due) = stats.phantom_due_reading(silence)
                && due < reading
            {
                self.queue_phantom_check(location, sku, calendar, due);
            }
        }
    }

    pub(super) fn resolve_phantom_stock(
        &mut self,
        location: LocationId,
        sku: SkuId,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.phantom_open = false;
        }
        let key = key_of(ExceptionType::PhantomStock, Some(location), Some(sku), None);
        self.resolve_key(&key, cause.at, cause.seq, outputs);
    }

    /// `phantom_stock`: the ledger shows stock, yet an item selling at least `min_daily_sales` a day has been
    /// silent for `silence_intervals` times its mean interval between sales, counted in open hours.
    pub(super) fn fire_phantom_check(
        &mut self,
        location: LocationId,
        sku: SkuId,
        due_at: Timestamp,
        outputs: &mut Vec<Output>,
    ) {
        let kind = ExceptionType::PhantomStock;
        let silence = self.param(kind, Param::SilenceIntervals, Some(location), Some(sku));
        let min_daily = self.param(kind, Param::MinDailySales, Some(location), Some(sku));
        let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) else {
            return;
        };
        // An entry whose check was replaced by an earlier one has nothing left to check.
        let Some(check) = stats.phantom_check.filter(|check| check.at == due_at) else {
            return;
        };
        stats.phantom_check = None;
        let Some(current_due) = stats.phantom_due_reading(silence) else {
            return;
        };
        if current_due > check.reading {
            // It sold since this check was queued: check again at the new end of silence.
            let calendar = self.business_hours(location);
            self.queue_phantom_check(location, sku, calendar, current_due);
            return;
        }
        let qualifies = phantom_qualifies(stats, min_daily);
        let last_sale_seq = stats.last_sale_seq;
        let on_hand = self
            .state
            .ledger
            .get(location, sku)
            .map_or(Qty::ZERO, |position| position.on_hand);
        if !qualifies || on_hand <= Qty::ZERO || !self.config.rules.is_enabled(kind) {
            return;
        }
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.phantom_open = true;
        }
        let impact = on_hand * self.state.master.unit_cost(sku);
        self.raise(
            Detection::at_position(kind, location, sku, due_at, impact, last_sale_seq),
            outputs,
        );
    }

    /// `low_stock`: available (on hand - reserved + open PO and transfer quantity due within the lead time)
    /// drops below velocity x (lead time + 1) x cover factor, for items that sold on enough days of the window;
    /// resolved when back above.
    pub(super) fn check_low_stock(
        &mut self,
        location: LocationId,
        sku: SkuId,
        cause: Cause,
        outputs: &mut Vec<Output>,
    ) {
        let kind = ExceptionType::LowStock;
        if !self.config.rules.is_enabled(kind) {
            return;
        }
        let Some(stats) = self.state.stats.positions.get(&pack_position(location, sku)) else {
            return;
        };
        let is_open = stats.low_stock_open;
        let Some(cover) = self.stock_cover(location, sku, cause.at, is_open) else {
            return;
        };
        // available < velocity x (lead + 1) x cover, with velocity = sold / 1000 / days, kept free of division.
        let low = cover.selling && cover.available.0 * cover.window_days * Decimal::ONE_THOUSAND < cover.wanted_milli;
        if low == is_open {
            return;
        }
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.low_stock_open = low;
        }
        let impact = low.then(|| {
            let price = self
                .state
                .master
                .product(sku)
                .and_then(|product| product.price)
                .unwrap_or(Money::ZERO);
            let velocity = cover.sold_milli / Decimal::ONE_THOUSAND / cover.window_days;
            Money(velocity * cover.lead_time * price.0)
        });
        self.settle_position(kind, location, sku, impact, cause, outputs);
    }

    /// The `low_stock` arithmetic of a position at `at`: what is available, what the rules want on hand, over
    /// which window. `None` when the item does not sell on enough days to judge (unless `even_if_slow`).
    pub(super) fn stock_cover(
        &mut self,
        location: LocationId,
        sku: SkuId,
        at: Timestamp,
        even_if_slow: bool,
    ) -> Option<StockCover> {
        let kind = ExceptionType::LowStock;
        let stats = self.state.stats.positions.get(&pack_position(location, sku))?;
        let window = decimal_days(self.param(kind, Param::VelocityWindowDays, Some(location), Some(sku)));
        let (sold_milli, selling_days) = stats.sold_over(day_of(at), window);
        let min_days = decimal_days(self.param(kind, Param::MinSellingDays, Some(location), Some(sku)));
        if selling_days < min_days && !even_if_slow {
            return None;
        }
        let cover_factor = self.param(kind, Param::CoverFactor, Some(location), Some(sku));
        let lead_time = self.lead_time_days(location, sku);
        let position = self.state.ledger.get(location, sku).copied().unwrap_or_default();
        let on_order = self
            .state
            .stats
            .on_order
            .get(&pack_position(location, sku))
            .copied()
            .unwrap_or(Qty::ZERO);
        // What is on order or in transit counts only if it is due within the lead time (exceptions.md).
        let horizon = || days_after(at, lead_time);
        let mut late = Qty::ZERO;
        if on_order > Qty::ZERO {
            late += self.on_order_due_after(location, sku, horizon());
        }
        if position.in_transit > Qty::ZERO {
            late += self.in_transit_due_after(location, sku, horizon());
        }
        let sold_milli = Decimal::from(sold_milli);
        Some(StockCover {
            available: position.on_hand - position.reserved + position.in_transit + on_order - late,
            wanted_milli: sold_milli * (lead_time + Decimal::ONE) * cover_factor,
            sold_milli,
            window_days: Decimal::from(window.clamp(1, HISTORY_DAYS) as u64),
            lead_time,
            selling: selling_days >= min_days,
        })
    }

    /// What open purchase orders bring to a position but is due after `horizon`.
    fn on_order_due_after(&self, location: LocationId, sku: SkuId, horizon: Timestamp) -> Qty {
        let Some(orders) = self.state.stats.open_pos.get(&location) else {
            return Qty::ZERO;
        };
        let late_orders = orders.iter().filter(|&&(_, expected)| expected > horizon);
        let late_lines = late_orders
            .filter_map(|(po, _)| self.state.purchase_orders.get(po))
            .flat_map(|doc| doc.lines.iter().filter(|line| line.sku == sku));
        late_lines.fold(Qty::ZERO, |late, line| {
            late + (line.ordered - line.received).max(Qty::ZERO)
        })
    }

    /// What shipped transfers bring to a position but is due after `horizon`.
    fn in_transit_due_after(&self, location: LocationId, sku: SkuId, horizon: Timestamp) -> Qty {
        let transfers = self.state.stats.transfers_in_transit.get(&location);
        (transfers.into_iter().flatten())
            .filter(|transfer| transfer.due.is_some_and(|due| due > horizon))
            .fold(Qty::ZERO, |late, transfer| late + transfer.qty(sku))
    }

    /// The product's supplier lead time, else the rules' default. Cached per SKU until master data changes.
    fn lead_time_days(&mut self, location: LocationId, sku: SkuId) -> Decimal {
        if let Some(&cached) = self.lead_times.get(&sku) {
            return cached;
        }
        let days = self.lead_time_from_master_data(location, sku);
        self.lead_times.insert(sku, days);
        days
    }

    fn lead_time_from_master_data(&self, location: LocationId, sku: SkuId) -> Decimal {
        let supplier_lead_time = self
            .state
            .master
            .product(sku)
            .and_then(|product| product.supplier.as_ref())
            .and_then(|supplier| self.state.master.suppliers.get(supplier))
            .and_then(|supplier| supplier.lead_time_days);
        match supplier_lead_time {
            Some(days) => days.0,
            None => self.param(
                ExceptionType::LowStock,
                Param::DefaultLeadTimeDays,
                Some(location),
                Some(sku),
            ),
        }
    }
}

/// A position's stock against what `low_stock` wants: see [`Engine::stock_cover`].
pub(super) struct StockCover {
    /// On hand - reserved + what open POs and shipped transfers bring within the lead time.
    pub available: Qty,
    /// Thousandths of a unit wanted: sold over the window x (lead time + 1) x cover, still to divide by the
    /// window's days.
    pub wanted_milli: Decimal,
    pub sold_milli: Decimal,
    pub window_days: Decimal,
    pub lead_time: Decimal,
    /// It sold on enough days of the window to judge.
    pub selling: bool,
}

/// The days an item has been selling, at most the last two weeks, ending with the day of its last sale.
fn phantom_window(stats: &PositionStats) -> Option<(i32, usize)> {
    let (first_sale_at, last_sale_at) = (stats.first_sale_at?, stats.last_sale_at?);
    let selling_days = (day_of(last_sale_at) - day_of(first_sale_at) + 1) as usize;
    Some((day_of(last_sale_at), selling_days.min(PHANTOM_VELOCITY_WINDOW_DAYS)))
}

/// Whether an item sells fast enough for its silence to mean something: `min_daily` a day over its window.
fn phantom_qualifies(stats: &PositionStats, min_daily: Decimal) -> bool {
    phantom_window(stats).is_some_and(|(until_day, days)| stats.sells_at_least(until_day, days, min_daily))
}

/// The instant `days` (a decimal number of days) after `at`, to the millisecond.
fn days_after(at: Timestamp, days: Decimal) -> Timestamp {
    let day_ms = Decimal::from(Timestamp::MILLIS_PER_DAY);
    let after_ms = i64::try_from((days * day_ms).trunc()).unwrap_or(i64::MAX / 4);
    Timestamp(at.0.saturating_add(after_ms))
}

/// A day count from the rules, within the history kept.
fn decimal_days(days: Decimal) -> usize {
    let whole = if days.scale() == 0 {
        usize::try_from(days.mantissa()).ok()
    } else {
        usize::try_from(days.trunc()).ok()
    };
    whole.unwrap_or(HISTORY_DAYS).min(HISTORY_DAYS)
}
