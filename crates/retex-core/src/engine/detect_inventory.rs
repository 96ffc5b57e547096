//! Where the engine keeps the sales history that `phantom_stock` and `low_stock` read (at every sale), queues
//! the `phantom_stock` checks, and asks their judgements (`detect::inventory`), applying what they found.

use rust_decimal::Decimal;

use crate::codes::{Qty, Timestamp};
use crate::engine::calendar::BusinessHours;
use crate::engine::composition::Engine;
use crate::engine::deadlines::Deadline;
use crate::engine::detect::Cause;
use crate::engine::detect::inventory::{
    self, AfterCheck, InboundView, PhantomFinding, PhantomParams, low_stock_window,
};
use crate::engine::ledger::pack as pack_position;
use crate::engine::ledger::{LocationId, Position, SkuId, unpack};
use crate::engine::stats::{HISTORY_DAYS, PhantomCheck, PositionStats, day_of};
use crate::engine::stock_cover::StockCover;
use crate::rules::{ExceptionType, Param};

impl Engine {
    /// Records demand for the velocity and the silence of `phantom_stock`; a sale resolves `phantom_stock`.
    /// Returns the sales `low_stock` judges by when it needs a look here (it sold on enough days, or one is
    /// open). Only those two types read a position's sales: with both off, nothing is kept.
    pub(super) fn record_sale(
        &mut self,
        location: LocationId,
        sku: SkuId,
        qty: Qty,
        cause: Cause,
    ) -> Option<WindowSales> {
        let low_stock_window = self
            .config
            .rules
            .is_enabled(ExceptionType::LowStock)
            .then(|| self.low_stock_window(location, sku));
        let watching = self.config.rules.is_enabled(ExceptionType::PhantomStock);
        if !watching && low_stock_window.is_none() {
            return None;
        }
        let PhantomParams { min_daily, silence } = self.phantom_params(location, sku);
        let calendar = if watching { self.business_hours(location) } else { None };
        let holidays = &self.config.rules.workflow.holidays;
        let key = pack_position(location, sku);
        let book = &mut self.state.stats;
        let stats = book.positions.entry(key).or_default();
        stats.record_sale(cause.at, qty, cause.seq);
        let sales =
            low_stock_window.map(|(window_days, min_days)| WindowSales::of(stats, cause.at, window_days, min_days));
        if let Some(sales) = sales
            && sales.judgeable()
            && !stats.low_stock_watched
        {
            stats.low_stock_watched = true;
            book.low_stock_watch.insert(key);
        }
        let was_open = std::mem::take(&mut stats.phantom_open);
        // Only items fast enough to judge are watched: a slow mover's silence says nothing. A sale can bring
        // the end of the silence forward as well as push it back (a burst shortens the mean interval), so a
        // check already queued is replaced by an earlier one.
        let earlier_check = watching.then(|| {
            let (first, last) = (
                stats.first_sale_at() == Some(cause.at),
                stats.last_sale_at() == Some(cause.at),
            );
            if first || last {
                let reading = (self.calendar_memo).business_clock_ms(location as usize, calendar, holidays, cause.at);
                if first {
                    stats.first_sale_reading = reading;
                }
                if last {
                    stats.last_sale_reading = reading;
                }
            }
            let due = stats.phantom_due_reading(silence)?;
            let earlier = stats.phantom_check.is_none_or(|check| due < check.reading);
            (earlier && stats.phantom_qualifies(min_daily)).then_some(due)
        });
        if let Some(Some(reading)) = earlier_check {
            self.queue_phantom_check(location, sku, calendar, reading);
        }
        if was_open {
            self.resolve_phantom_stock(location, sku, cause);
        }
        sales.filter(WindowSales::judgeable)
    }

    /// Queues the `phantom_stock` check of a position for when its business clock reads `reading`.
    fn queue_phantom_check(&mut self, location: LocationId, sku: SkuId, calendar: Option<BusinessHours>, reading: i64) {
        let holidays = &self.config.rules.workflow.holidays;
        let at = self.calendar_memo.business_instant(calendar, holidays, reading);
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.phantom_check = Some(PhantomCheck { at, reading });
        }
        self.state
            .workflow
            .deadlines
            .schedule(at, Deadline::PhantomCheck(location, sku));
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
            let (Some(first), Some(last)) = (stats.first_sale_at(), stats.last_sale_at()) else {
                continue;
            };
            let memo = &mut self.calendar_memo;
            let place = location as usize;
            stats.first_sale_reading = memo.business_clock_ms(place, calendar, holidays, first);
            stats.last_sale_reading = memo.business_clock_ms(place, calendar, holidays, last);
            let Some(queued) = stats.phantom_check else {
                continue;
            };
            // Readings of different calendars do not compare: the queued check is read on the new one too.
            let reading = memo.business_clock_ms(place, calendar, holidays, queued.at);
            stats.phantom_check = Some(PhantomCheck { at: queued.at, reading });
            if let Some(due) = stats.phantom_due_reading(silence)
                && due < reading
            {
                self.queue_phantom_check(location, sku, calendar, due);
            }
        }
    }

    pub(super) fn resolve_phantom_stock(&mut self, location: LocationId, sku: SkuId, cause: Cause) {
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.phantom_open = false;
        }
        self.apply_verdict(inventory::phantom_cleared(location, sku, cause));
    }

    /// Runs a `phantom_stock` check that fell due, and does what it found.
    pub(super) fn fire_phantom_check(&mut self, location: LocationId, sku: SkuId, due_at: Timestamp) {
        let PhantomParams { min_daily, silence } = self.phantom_params(location, sku);
        let key = pack_position(location, sku);
        let Some(stats) = self.state.stats.positions.get(&key) else {
            return;
        };
        let picture = &self.state.picture;
        let enabled = self.config.rules.is_enabled(ExceptionType::PhantomStock);
        let params = (min_daily, silence);
        let finding = inventory::phantom_stock(
            &picture.ledger,
            &picture.master,
            enabled,
            stats,
            params,
            location,
            sku,
            due_at,
        );
        let PhantomFinding::Checked(after) = finding else {
            return;
        };
        let stats = self.state.stats.positions.get_mut(&key).expect("found above");
        stats.phantom_check = None;
        match after {
            AfterCheck::Quiet => {}
            AfterCheck::CheckAgainAt(reading) => {
                let calendar = self.business_hours(location);
                self.queue_phantom_check(location, sku, calendar, reading);
            }
            AfterCheck::Raise(detection) => {
                stats.phantom_open = true;
                self.apply_detection(Some(detection));
            }
        }
    }

    /// `low_stock`: available (on hand - reserved + open PO and transfer quantity due within the lead time)
    /// drops below velocity x (lead time + 1) x cover factor, for items that sold on enough days of the window;
    /// resolved when back above.
    pub(super) fn check_low_stock(&mut self, location: LocationId, sku: SkuId, cause: Cause) {
        let key = pack_position(location, sku);
        if !self.config.rules.is_enabled(ExceptionType::LowStock) || !self.state.stats.low_stock_watch.contains(&key) {
            return;
        }
        let Some(sales) = self.window_sales(location, sku, cause.at) else {
            return;
        };
        if !sales.judgeable() {
            self.state.stats.low_stock_watch.remove(&key);
            if let Some(stats) = self.state.stats.positions.get_mut(&key) {
                stats.low_stock_watched = false;
            }
            return;
        }
        let position = self.state.picture.position(location, sku);
        self.judge_low_stock(location, sku, sales, position, cause);
    }

    /// `low_stock` on a position's sales over the window, already summed, and its ledger position.
    pub(super) fn judge_low_stock(
        &mut self,
        location: LocationId,
        sku: SkuId,
        sales: WindowSales,
        position: Position,
        cause: Cause,
    ) {
        let kind = ExceptionType::LowStock;
        if !self.config.rules.is_enabled(kind) {
            return;
        }
        let is_open = sales.low_stock_open;
        let Some(cover) = self.stock_cover(location, sku, cause.at, sales, position, is_open) else {
            return;
        };
        let inbound = self.inbound_view();
        let judged = inventory::low_stock(
            &inbound,
            &self.state.picture.master,
            location,
            sku,
            &cover,
            is_open,
            cause,
        );
        let Some((low, verdict)) = judged else {
            return;
        };
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.low_stock_open = low;
        }
        self.apply_verdict(verdict);
    }

    /// The `low_stock` arithmetic of a position at `at`: what is there and in transit, what the rules want on
    /// hand, over which window, with nothing on order yet (see [`Self::with_orders`]). `None` when the item does
    /// not sell on enough days to judge (unless `even_if_slow`).
    pub(super) fn stock_cover(
        &mut self,
        location: LocationId,
        sku: SkuId,
        at: Timestamp,
        sales: WindowSales,
        position: Position,
        even_if_slow: bool,
    ) -> Option<StockCover> {
        if !sales.enough_days && !even_if_slow {
            return None;
        }
        let (lead_time, want_factor) = self.lead_time_days(location, sku);
        Some(StockCover {
            at,
            free: position.on_hand - position.reserved,
            in_transit: position.in_transit,
            on_order: Qty::ZERO,
            sold_milli: sales.sold_milli,
            want_factor,
            window_days: sales.window_days.clamp(1, HISTORY_DAYS) as u64,
            lead_time,
            selling: sales.enough_days,
        })
    }

    /// What `low_stock` and replenishment proposals read of what is inbound to a position.
    pub(super) fn inbound_view(&self) -> InboundView<'_> {
        InboundView {
            stats: &self.state.stats,
            purchase_orders: &self.state.picture.purchase_orders,
        }
    }

    /// A position's sales over the `low_stock` window ending on the day of `at`; `None` before its first sale.
    pub(super) fn window_sales(&mut self, location: LocationId, sku: SkuId, at: Timestamp) -> Option<WindowSales> {
        let (window_days, min_days) = self.low_stock_window(location, sku);
        let stats = self.state.stats.positions.get_mut(&pack_position(location, sku))?;
        Some(WindowSales::of(stats, at, window_days, min_days))
    }

    /// The `low_stock` velocity window and the selling days it asks of it, in days.
    fn low_stock_window(&self, location: LocationId, sku: SkuId) -> (usize, usize) {
        if let Some(window) = self.sale_params.low_stock_window {
            return window;
        }
        low_stock_window(|param| self.param(ExceptionType::LowStock, param, Some(location), Some(sku)))
    }

    /// The `phantom_stock` parameters of a position.
    fn phantom_params(&self, location: LocationId, sku: SkuId) -> PhantomParams {
        if let Some(params) = self.sale_params.phantom {
            return params;
        }
        PhantomParams::from(|param| self.param(ExceptionType::PhantomStock, param, Some(location), Some(sku)))
    }

    /// The product's supplier lead time, else the rules' default, and (lead time + 1) x cover factor. Cached
    /// per SKU until master data changes, unless the rules scope `low_stock` parameters.
    fn lead_time_days(&mut self, location: LocationId, sku: SkuId) -> (Decimal, Decimal) {
        if let Some(Some(cached)) = self.lead_times.get(sku as usize) {
            return *cached;
        }
        let days = self.lead_time_from_master_data(location, sku);
        let cover_factor = self.param(ExceptionType::LowStock, Param::CoverFactor, Some(location), Some(sku));
        let cached = (days, (days + Decimal::ONE) * cover_factor);
        if !self.config.rules.has_overrides(ExceptionType::LowStock) {
            let index = sku as usize;
            if self.lead_times.len() <= index {
                self.lead_times.resize(index + 1, None);
            }
            self.lead_times[index] = Some(cached);
        }
        cached
    }

    fn lead_time_from_master_data(&self, location: LocationId, sku: SkuId) -> Decimal {
        let supplier_lead_time = self
            .state
            .picture
            .master
            .product(sku)
            .and_then(|product| product.supplier.as_ref())
            .and_then(|supplier| self.state.picture.master.suppliers.get(supplier))
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

/// What `low_stock` judges a position's demand by: its sales over the velocity window.
#[derive(Clone, Copy)]
pub(super) struct WindowSales {
    /// Thousandths of a unit sold over the window.
    sold_milli: u64,
    window_days: usize,
    /// It sold on enough days of the window to judge.
    enough_days: bool,
    low_stock_open: bool,
}

impl WindowSales {
    /// Whether `low_stock` judges the position: it sold on enough days, or has an exception open to resolve.
    fn judgeable(&self) -> bool {
        self.enough_days || self.low_stock_open
    }

    fn of(stats: &mut PositionStats, at: Timestamp, window_days: usize, min_days: usize) -> Self {
        let (sold_milli, selling_days) = stats.sold_over(day_of(at), window_days);
        Self {
            sold_milli,
            window_days,
            enough_days: selling_days >= min_days,
            low_stock_open: stats.low_stock_open,
        }
    }
}
