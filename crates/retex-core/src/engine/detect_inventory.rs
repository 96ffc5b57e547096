//! Where the engine keeps the sales history that `phantom_stock` and `low_stock` read (at every sale), queues
//! the `phantom_stock` checks, and asks their judgements (`detect::inventory`), applying what they found.

use rust_decimal::Decimal;

use crate::codes::{Qty, Timestamp};
use crate::engine::calendar::open_day_ms;
use crate::engine::composition::Engine;
use crate::engine::detect::inventory::{
    self, InboundView, PhantomFinding, PhantomParams, PhantomView, Projection, SilenceDays, SilenceEvidence,
    SupplyParams, low_stock_window,
};
use crate::engine::detect::{Cause, key_of};
use crate::engine::facts::SupplySource;
use crate::engine::ledger::pack as pack_position;
use crate::engine::ledger::{LocationId, Position, SkuId};
use crate::engine::stats::{HISTORY_DAYS, PositionStats, day_of};
use crate::engine::stock_projection::DailyDemand;
use crate::event::Channel;
use crate::rules::{ExceptionType, Param};

/// How far ahead `low_stock` says when a shelf will be empty, in open days: further is not a warning.
const EMPTY_AT_DAYS_MAX: f64 = 365.0;

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
        let key = pack_position(location, sku);
        let day = self.store_day(location, cause.at);
        let book = &mut self.state.stats;
        let stats = book.positions.entry(key).or_default();
        stats.record_sale(cause.at, day, qty, cause.seq);
        let sales = low_stock_window.map(|(window_days, min_days)| WindowSales::of(stats, day, window_days, min_days));
        if let Some(sales) = sales
            && sales.judgeable()
            && !stats.low_stock_watched
        {
            stats.low_stock_watched = true;
            book.low_stock_watch.insert(key);
        }
        // A sale ends a `phantom_stock` without answering it: a misplaced shelf sells again once someone puts the
        // stock back, as a chance silence does; only a count before that tells them apart.
        if std::mem::take(&mut stats.phantom_open) {
            self.resolve_phantom_stock(location, sku, cause);
        }
        sales.filter(WindowSales::judgeable)
    }

    /// A till sale line at `location`: the store's line clock moves on, the position's silence begins again,
    /// and the `phantom_stock` checks that fell due at this line are run.
    pub(super) fn note_till_line(&mut self, location: LocationId, sku: SkuId, at: Timestamp) {
        let day = self.store_day(location, at);
        let store = self.state.stats.stores.entry(location).or_default();
        store.sale_lines.add(day, 1);
        store.lines_total += 1;
        let lines_total = store.lines_total;
        if !self.config.rules.is_enabled(ExceptionType::PhantomStock) {
            return;
        }
        let stats = self
            .state
            .stats
            .positions
            .entry(pack_position(location, sku))
            .or_default();
        stats.till_lines.add(day, 1);
        if stats.restart_silence(lines_total, at) {
            self.judge_phantom_stock(location, sku, at);
        }
        self.run_due_phantom_checks(location, lines_total, at);
    }

    /// The position's silence begins now (a till sale, stock arriving from zero, a count), and its check is
    /// queued if it is not.
    pub(super) fn restart_silence(&mut self, location: LocationId, sku: SkuId, at: Timestamp) {
        if !self.config.rules.is_enabled(ExceptionType::PhantomStock) {
            return;
        }
        let Some(store) = self.state.stats.stores.get(&location) else {
            return;
        };
        let lines_total = store.lines_total;
        let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) else {
            return;
        };
        if stats.restart_silence(lines_total, at) {
            self.judge_phantom_stock(location, sku, at);
        }
    }

    /// Runs every `phantom_stock` check of the store that falls due at its current line, `lines_total`.
    fn run_due_phantom_checks(&mut self, location: LocationId, lines_total: u64, at: Timestamp) {
        loop {
            let Some(checks) = self.state.stats.phantom_checks.get_mut(&location) else {
                return;
            };
            let Some(&(due, sku)) = checks.first().filter(|&&(due, _)| due <= lines_total) else {
                return;
            };
            checks.remove(&(due, sku));
            if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
                stats.phantom_queued = false;
            }
            self.judge_phantom_stock(location, sku, at);
        }
    }

    /// The store's local day of `at` (days since 1970-01-01): a position's sales and its store's lines are kept
    /// by it, so that a store's day is one day. UTC for a location without hours.
    fn store_day(&mut self, location: LocationId, at: Timestamp) -> i32 {
        match self.business_hours(location) {
            Some(calendar) => self.calendar_memo.local_epoch_day(location as usize, calendar, at),
            None => day_of(at),
        }
    }

    /// The days of the history up to `today` on which a promotion of the SKU ran at the location's tills, as
    /// bits: bit `i` for `today - i`.
    fn promoted_days(&mut self, location: LocationId, sku: SkuId, today: i32) -> u32 {
        let Some(numbers) = self
            .state
            .stats
            .promotions_by_sku
            .get(&sku)
            .filter(|numbers| !numbers.is_empty())
        else {
            return 0;
        };
        let runs: Vec<(Timestamp, Timestamp)> = numbers
            .iter()
            .filter_map(|number| self.state.picture.master.promotions.get(number))
            .filter(|promotion| promotion.location.is_none_or(|at| at == location))
            .filter(|promotion| promotion.channel.is_none_or(|channel| channel == Channel::Pos))
            .filter(|promotion| promotion.from < promotion.to)
            .map(|promotion| (promotion.from, promotion.to))
            .collect();
        let mut promoted = 0;
        for (from, to) in runs {
            let first = self.store_day(location, from).max(today - HISTORY_DAYS as i32 + 1);
            let last = self.store_day(location, Timestamp(to.0 - 1)).min(today);
            for day in first..=last {
                promoted |= 1 << (today - day);
            }
        }
        promoted
    }

    /// Asks `phantom_stock` about a position and does what it found: raise, or queue the next check.
    fn judge_phantom_stock(&mut self, location: LocationId, sku: SkuId, at: Timestamp) {
        let key = pack_position(location, sku);
        let today = self.store_day(location, at);
        let params = self.phantom_params(location, sku);
        let Some(stats) = self.state.stats.positions.get(&key) else {
            return;
        };
        // Most judgements are of positions that sell too little to judge: spare them the rest.
        let window_lines: u64 = stats.till_lines.window(today, HISTORY_DAYS).map(u64::from).sum();
        if window_lines < params.min_sale_lines {
            return;
        }
        let began_at = stats.silence_began_at;
        let days = SilenceDays {
            began: self.store_day(location, began_at),
            today,
            promoted: self.promoted_days(location, sku, today),
        };
        let (Some(stats), Some(store)) = (
            self.state.stats.positions.get(&key),
            self.state.stats.stores.get(&location),
        ) else {
            return;
        };
        let view = PhantomView {
            ledger: &self.state.picture.ledger,
            master: &self.state.picture.master,
            params,
        };
        match inventory::phantom_stock(&view, stats, store, days, (location, sku), at) {
            PhantomFinding::NotJudged | PhantomFinding::Quiet => {}
            PhantomFinding::CheckAgainAtLine(due) => {
                self.state
                    .stats
                    .phantom_checks
                    .entry(location)
                    .or_default()
                    .insert((due, sku));
                if let Some(stats) = self.state.stats.positions.get_mut(&key) {
                    stats.phantom_queued = true;
                }
            }
            PhantomFinding::Raise(mut detection, evidence) => {
                if let Some(stats) = self.state.stats.positions.get_mut(&key) {
                    stats.phantom_open = true;
                }
                detection.explanation = Some(self.explain_silence(location, began_at, at, evidence));
                self.apply_detection(Some(*detection));
            }
        }
    }

    /// A raised `phantom_stock` in words: "no sale since 2026-11-10 10:11 (local): 12.3 sales expected in the
    /// 4,210 till lines the store rang up since, over 21.5 open hours; probability of none 3.1e-7 (threshold 1e-5)".
    fn explain_silence(
        &mut self,
        location: LocationId,
        began_at: Timestamp,
        at: Timestamp,
        evidence: SilenceEvidence,
    ) -> String {
        let calendar = self.business_hours(location);
        let rules = std::sync::Arc::clone(&self.config.rules);
        let holidays = &rules.workflow.holidays;
        let place = location as usize;
        let open_ms = self.calendar_memo.business_clock_ms(place, calendar, holidays, at)
            - self
                .calendar_memo
                .business_clock_ms(place, calendar, holidays, began_at);
        let zone = calendar.map_or(chrono_tz::Tz::UTC, |calendar| calendar.zone);
        let began = chrono::DateTime::from_timestamp_millis(began_at.0)
            .map(|instant| instant.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        format!(
            "no sale since {began} ({zone}): {:.1} sales expected in the {} till lines the store rang up since, over {:.1} open hours; probability of none {:.1e} (threshold {:.0e})",
            evidence.expected_lines,
            crate::display::count(evidence.store_lines),
            open_ms as f64 / 3_600_000.0,
            evidence.probability,
            evidence.max_probability,
        )
    }

    /// A count answers an open `phantom_stock`: the shelf held less than the books (confirmed) or not.
    pub(super) fn answer_phantom_by_count(
        &mut self,
        location: LocationId,
        sku: SkuId,
        counted: Qty,
        on_books: Qty,
        cause: Cause,
    ) {
        let detail = format!("counted {counted} against {on_books} on the books");
        self.note_phantom_answer(location, sku, counted < on_books, detail, cause);
    }

    fn note_phantom_answer(&mut self, location: LocationId, sku: SkuId, confirmed: bool, detail: String, cause: Cause) {
        self.note_field_answer(ExceptionType::PhantomStock, location, sku, confirmed, detail, cause);
    }

    /// Records on the open exception of a position-keyed statistical type what the field said of it.
    pub(super) fn note_field_answer(
        &mut self,
        exception_type: ExceptionType,
        location: LocationId,
        sku: SkuId,
        confirmed: bool,
        detail: String,
        cause: Cause,
    ) {
        let key = key_of(exception_type, Some(location), Some(sku), None);
        if let Some(id) = self.state.book.exceptions.open_id(&key) {
            self.state
                .book
                .exceptions
                .confirm(id, confirmed, cause.at, detail, cause.seq);
        }
    }

    pub(super) fn resolve_phantom_stock(&mut self, location: LocationId, sku: SkuId, cause: Cause) {
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.phantom_open = false;
        }
        self.apply_verdict(inventory::phantom_cleared(location, sku, cause));
    }

    /// `low_stock` for a position whose stock moved other than by a sale (a watched one only).
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

    /// `low_stock` on a position's sales over the window and its ledger position.
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
        let purpose = ProjectionFor::Judging { is_open };
        let Some(projection) = self.projection(location, sku, cause.at, sales, position, purpose) else {
            return;
        };
        let judged = inventory::low_stock(&self.state.picture.master, location, sku, &projection, is_open, cause);
        let Some((low, verdict)) = judged else {
            return;
        };
        if let Some(stats) = self.state.stats.positions.get_mut(&pack_position(location, sku)) {
            stats.low_stock_open = low;
        }
        if !low {
            let detail = "cleared without running out".to_owned();
            self.note_field_answer(ExceptionType::LowStock, location, sku, false, detail, cause);
        }
        self.apply_verdict(verdict);
        // Raised on a shelf that has already run out (the sale that emptied it is what judged it): the stockout
        // is there to see, before any delivery clears it.
        if low && !position.on_hand.is_positive() {
            let detail = format!("out of stock when raised: {} on hand", position.on_hand);
            self.note_field_answer(ExceptionType::LowStock, location, sku, true, detail, cause);
        }
    }

    /// What `low_stock` projects for a position at `at`: what it has, how it sells, and how long until its next
    /// supply. `None` when it never sold, or, for a judgement, when it does not sell on enough days to judge and
    /// has no exception open.
    pub(super) fn projection(
        &mut self,
        location: LocationId,
        sku: SkuId,
        at: Timestamp,
        sales: WindowSales,
        position: Position,
        purpose: ProjectionFor,
    ) -> Option<Projection> {
        if let ProjectionFor::Judging { is_open: false } = purpose
            && !sales.enough_days
        {
            return None;
        }
        let demand = sales.demand?;
        let stockout_z = self.supply_params(location, sku).stockout_z;
        let free = position.on_hand - position.reserved;
        let free_units = free.units_f64();
        let inbound = position.in_transit > Qty::ZERO
            || self
                .state
                .stats
                .on_order
                .get(&pack_position(location, sku))
                .is_some_and(|qty| *qty > Qty::ZERO);
        let next_supply = inbound
            .then(|| self.inbound_view().next_supply(location, sku, at))
            .flatten()
            .or_else(|| {
                let in_transit = position.in_transit.units_f64();
                let arrival = self.next_run_arrival(location, sku, free_units + in_transit, at)?;
                Some((arrival, SupplySource::ReplenishmentRun))
            });
        let mut projection = Projection {
            free,
            free_units,
            demand,
            horizon_days: 0.0,
            supply: SupplySource::LeadTime,
            supply_at: at,
            empty_at: at,
            stockout_z,
            low: false,
        };
        match next_supply {
            Some((due, source)) => {
                (projection.supply, projection.supply_at) = (source, due);
                // Business time accrues no faster than wall time: most judged positions hold far more than
                // their demand over that bound, and are spared the calendar.
                let open_day_ms = open_day_ms(self.business_hours(location)).unwrap_or(Timestamp::MILLIS_PER_DAY);
                projection.horizon_days = (due.0 - at.0).max(0) as f64 / open_day_ms as f64;
                if purpose == ProjectionFor::Drafting || projection.is_low() {
                    projection.horizon_days = self.open_days_between(location, at, due);
                }
            }
            None => {
                projection.horizon_days = self.lead_time_days(location, sku) + 1.0;
                let horizon_ms = projection.horizon_days * Timestamp::MILLIS_PER_DAY as f64;
                projection.supply_at = Timestamp(at.0.saturating_add(horizon_ms as i64));
            }
        }
        projection.low = projection.is_low();
        if projection.low {
            projection.empty_at = self.empty_at(location, &projection, at);
        }
        Some(projection)
    }

    /// When a low position's shelf is empty at its mean rate: what is free over the daily mean, in the
    /// location's open days from `at`.
    fn empty_at(&mut self, location: LocationId, projection: &Projection, at: Timestamp) -> Timestamp {
        let free = projection.free_units;
        if free <= 0.0 || projection.demand.mean <= 0.0 {
            return at;
        }
        let open_days = (free / projection.demand.mean).min(EMPTY_AT_DAYS_MAX);
        let calendar = self.business_hours(location);
        let day_ms = open_day_ms(calendar).unwrap_or(Timestamp::MILLIS_PER_DAY);
        let holidays = &self.config.rules.workflow.holidays;
        let duration_ms = (open_days * day_ms as f64) as i64;
        self.calendar_memo
            .add_business_time(at, duration_ms, calendar, holidays)
    }

    /// With nothing on its way, how long a position waits for supply when nothing is learned of its rhythm, or
    /// its rhythm broke: the location's own transfer lead time when a warehouse replenishes it (a store waits
    /// for the next transfer, not for the supplier), else the supplier's.
    fn lead_time_days(&mut self, location: LocationId, sku: SkuId) -> f64 {
        match self.state.stats.transfer_lead_times.get(&location) {
            Some(lead_times) => lead_times.mean_days(),
            None => self.supply_params(location, sku).lead_time_days,
        }
    }

    /// When the next replenishment run that can refill the position arrives (`supply_rhythm`): the location's
    /// next run plus its mean transfer time. `None` without a learned rhythm, or when the latest run passed the
    /// position by while it was below the level a run last shipped to it at.
    fn next_run_arrival(&mut self, location: LocationId, sku: SkuId, level: f64, at: Timestamp) -> Option<Timestamp> {
        let transit_ms = self.state.stats.transfer_lead_times.get(&location)?.mean_ms();
        let key = pack_position(location, sku);
        let rhythm = &mut self.state.stats.supply_rhythm;
        rhythm.note_level(key, level, at);
        let run = rhythm.next_run(location, key, at)?;
        Some(Timestamp(run.0.saturating_add(transit_ms)))
    }

    /// The open days of the location between two instants: the business time between them over the length of
    /// its open day (a closed store sells nothing), or calendar days for a location open around the clock.
    fn open_days_between(&mut self, location: LocationId, from: Timestamp, until: Timestamp) -> f64 {
        if until.0 <= from.0 {
            return 0.0;
        }
        let calendar = self.business_hours(location);
        let Some(open_day_ms) = open_day_ms(calendar) else {
            return (until.0 - from.0) as f64 / Timestamp::MILLIS_PER_DAY as f64;
        };
        let holidays = &self.config.rules.workflow.holidays;
        let place = location as usize;
        let open_ms = self.calendar_memo.business_clock_ms(place, calendar, holidays, until)
            - self.calendar_memo.business_clock_ms(place, calendar, holidays, from);
        open_ms.max(0) as f64 / open_day_ms as f64
    }

    /// What `low_stock` reads of what is inbound to a position.
    pub(super) fn inbound_view(&self) -> InboundView<'_> {
        InboundView {
            stats: &self.state.stats,
            purchase_orders: &self.state.picture.purchase_orders,
        }
    }

    /// A position's sales over the `low_stock` window of complete days before the day of `at`; `None` before
    /// its first sale.
    pub(super) fn window_sales(&mut self, location: LocationId, sku: SkuId, at: Timestamp) -> Option<WindowSales> {
        let (window_days, min_days) = self.low_stock_window(location, sku);
        let today = self.store_day(location, at);
        let stats = self.state.stats.positions.get(&pack_position(location, sku))?;
        Some(WindowSales::of(stats, today, window_days, min_days))
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

    /// The product's supplier lead time (else the rules' default) and the stockout quantile. Cached per SKU until
    /// master data changes, unless the rules scope `low_stock` parameters.
    pub(super) fn supply_params(&mut self, location: LocationId, sku: SkuId) -> SupplyParams {
        if let Some(Some(cached)) = self.lead_times.get(sku as usize) {
            return *cached;
        }
        let lead_time = self.lead_time_from_master_data(location, sku);
        let probability = self.param(
            ExceptionType::LowStock,
            Param::StockoutProbability,
            Some(location),
            Some(sku),
        );
        let params = SupplyParams::from(lead_time, probability);
        if !self.config.rules.has_overrides(ExceptionType::LowStock) {
            let index = sku as usize;
            if self.lead_times.len() <= index {
                self.lead_times.resize(index + 1, None);
            }
            self.lead_times[index] = Some(params);
        }
        params
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

/// Why a `low_stock` projection is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProjectionFor {
    /// Judging the position: only one that sells on enough days, or has an exception open; the horizon is
    /// exact only where the position may be low.
    Judging { is_open: bool },
    /// A replenishment draft: any position that sold, with its exact horizon.
    Drafting,
}

/// What `low_stock` judges a position's demand by: its sales over the window of complete days.
#[derive(Clone, Copy)]
pub(super) struct WindowSales {
    /// `None` when it sold nothing in the window.
    demand: Option<DailyDemand>,
    /// It sold on enough days of the window to judge.
    enough_days: bool,
    low_stock_open: bool,
}

impl WindowSales {
    /// Whether `low_stock` judges the position: it sold on enough days, or has an exception open to resolve.
    fn judgeable(&self) -> bool {
        self.enough_days || self.low_stock_open
    }

    /// Over the window of complete days before the store's local day `today`.
    fn of(stats: &PositionStats, today: i32, window_days: usize, min_days: usize) -> Self {
        let yesterday = today - 1;
        let window_days = window_days.min(HISTORY_DAYS) as i32;
        let units_on = |day: i32| f64::from(stats.sold_milli.value_on(day)) / 1000.0;
        let demand = DailyDemand::of((yesterday - window_days + 1..=yesterday).map(units_on));
        // Selling days count today's sales as well: the day the position reaches them, it is judged.
        let sells_today = usize::from(stats.sold_milli.value_on(yesterday + 1) > 0);
        let selling_days = demand.map_or(0, |demand| demand.selling_days) + sells_today;
        Self {
            demand,
            enough_days: selling_days >= min_days,
            low_stock_open: stats.low_stock_open,
        }
    }
}
