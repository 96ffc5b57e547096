//! A store's day: baskets rung up at the till, the morning cycle count, and the stock faults that happen on the
//! shop floor (theft, a misplaced shelf, a miscount) with the counts that later reveal them. Stores close on
//! their public holidays. Misplaced stock stays lost for days, as in shops: found on the floor or revealed by a
//! count; meanwhile the books show stock, so the planner sends none.
//!
//! Tills charge the active price unless a pricing fault says otherwise. Cycle counts report the physical truth;
//! a healthy cell's book equals its physical stock, so healthy counts have no variance. A cell with a pending
//! stock fault is skipped by the rotating count: its fault schedules the count that reveals it, which keeps the
//! truth's detection instant exact.

use rand::Rng;
use retex_core::codes::Timestamp;
use retex_core::event::{Channel, Count, EventBody, Sale};

use chrono::{Days, NaiveDate};

use crate::clock::{BusinessDay, HOUR, MINUTE, business_day, weekday_index};
use crate::demand::{basket_size, daily_line_count, line_quantity, store_traffic};
use crate::emit::{Source, money, units};
use crate::pricing::shelf_price_cents;
use crate::random::{chance, cumulative, gamma_mean_one, instant_between, pick_cumulative};
use crate::stock::{exceeds_count_tolerance, smallest_detectable_variance};
use crate::truth::{Detection, ExceptionType, FaultId, FaultKey, FaultKind};
use crate::world::{Action, World, next_number};

/// The warehouse counts at this UTC hour.
pub(crate) const WAREHOUSE_COUNT_HOUR: i64 = 3;
/// Every cell is counted once in this many days.
const COUNT_CYCLE_DAYS: usize = 30;
/// Stores count this long before opening, when no sale can interfere.
const COUNT_BEFORE_OPENING_MINUTES: i64 = 45;
/// A supervisor recounts a suspicious count this much later, still before opening.
const RECOUNT_DELAY_MINUTES: i64 = 30;
/// A thief takes only from a shelf holding at least this many units.
const THEFT_SHELF_MINIMUM: i32 = 4;
/// Tries to find a SKU fit for a stock fault before giving up for the day.
const STOCK_FAULT_ATTEMPTS: usize = 60;
/// Misplaced stock is injected on SKUs expected to sell at least this many units a day at the store (the
/// slowest band the score reports).
const PHANTOM_MIN_DAILY_UNITS: f64 = 2.0;
/// exceptions.md: `phantom_stock` does not judge a position with fewer till lines in its window (28 days; the
/// simulator counts them since it began).
const PHANTOM_MIN_SALE_LINES: u32 = 20;
/// Misplaced stock is found by someone on the shop floor (the rest by a count) ...
const MISPLACED_FOUND_SHARE: f64 = 0.5;
/// ... after 1 + an exponential number of days of this mean, at most the cap (a cycle count comes round).
const MISPLACED_MEAN_EXTRA_DAYS: f64 = 3.0;
const MISPLACED_MAX_DAYS: u64 = 21;
/// A cashier's manual override charges this share of the price.
const OVERRIDE_PRICE_SHARE: f64 = 0.8;

pub(crate) struct Basket {
    pub(crate) store: usize,
    pub(crate) receipt: String,
    pub(crate) lines: Vec<(usize, i32)>,
}

/// Misplaced units that turn up again.
pub(crate) struct FoundStock {
    store: usize,
    sku: usize,
    fault: FaultId,
    units: i32,
}

/// How many days misplaced stock stays lost: most for a few days, some until a cycle count comes round.
fn misplaced_for_days(rng: &mut rand::rngs::SmallRng) -> u64 {
    let extra = -(1.0 - rng.random::<f64>()).ln() * MISPLACED_MEAN_EXTRA_DAYS;
    (1 + extra as u64).min(MISPLACED_MAX_DAYS)
}

pub(crate) enum CountPurpose {
    /// The count that reveals a stock fault.
    Reveal(FaultId),
    /// The supervisor's recount after a miscount: it restores the book to the truth.
    Recount,
}

pub(crate) struct CountTask {
    pub(crate) location: usize,
    pub(crate) sku: usize,
    pub(crate) purpose: CountPurpose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StockLossKind {
    /// Units stolen from a shelf: the books keep them.
    Shrink,
    /// A fast mover's whole shelf stock is misplaced: the item stops selling while the books show stock.
    Misplaced,
}

impl World<'_> {
    /// The store's business hours on the local date of the simulated day starting at `day_start`.
    pub(crate) fn store_business_day(&self, store: usize, day_start: Timestamp) -> BusinessDay {
        let date = self.network.locations[store]
            .zone
            .local_date(Timestamp(day_start.0 + 12 * HOUR));
        self.store_hours_on(store, date)
    }

    /// The store's business hours on a local date.
    pub(crate) fn store_hours_on(&self, store: usize, date: NaiveDate) -> BusinessDay {
        business_day(
            self.network.locations[store].zone,
            self.network.store_hours(store),
            date,
        )
    }

    pub(crate) fn plan_store_day(&mut self, store: usize, day: u32) {
        let day_start = self.day_start(day);
        let hours = self.store_business_day(store, day_start);
        let count_at = Timestamp(hours.opens_at.0 - COUNT_BEFORE_OPENING_MINUTES * MINUTE);
        self.schedule(count_at, Action::CountRound { location: store, day });
        let local_date = self.network.locations[store].zone.local_date(hours.opens_at);
        if self.network.store_closed_on(store, local_date) {
            return;
        }
        self.plan_baskets(store, hours);
        self.plan_supply_upsets(store, day_start);
        self.plan_spree(store, day, hours.opens_at, hours.closes_at);
        for kind in [StockLossKind::Shrink, StockLossKind::Misplaced] {
            let base_rate = match kind {
                StockLossKind::Shrink => self.rates.shrink,
                StockLossKind::Misplaced => self.rates.phantom_stock,
            };
            if self.fault_at(base_rate, store) {
                let at = instant_between(&mut self.faults_rng, hours.opens_at, hours.closes_at);
                self.schedule(at, Action::StockLoss { store, kind });
            }
        }
    }

    fn plan_baskets(&mut self, store: usize, hours: BusinessDay) {
        let sku_count = self.catalog.products.len();
        let noon = Timestamp((hours.opens_at.0 + hours.closes_at.0) / 2);
        let first_cell = store * sku_count;
        let mut weights = Vec::with_capacity(sku_count);
        for sku in 0..sku_count {
            let cell = first_cell + sku;
            let todays_draw = gamma_mean_one(&mut self.demand_rng, self.demand.daily_shape[sku]);
            weights.push(
                self.demand.store_weights[cell]
                    * self.prices.promotion_lift(sku, store, Channel::Pos, noon)
                    * self.demand.surge_factor(cell, noon)
                    * todays_draw,
            );
        }
        let day_cumulative = cumulative(weights);
        let location = &self.network.locations[store];
        let weekday = weekday_index(location.zone.local_date(noon));
        let open_minute = i64::from(self.network.store_hours(store).open_minute);
        let mut lines_left = daily_line_count(&mut self.demand_rng, self.demand.store_lines_mean[store], weekday);
        while lines_left > 0 {
            let size = basket_size(&mut self.demand_rng).min(lines_left);
            lines_left -= size;
            let mut lines = Vec::with_capacity(size as usize);
            for _ in 0..size {
                let sku = pick_cumulative(&mut self.demand_rng, &day_cumulative);
                lines.push((sku, line_quantity(&mut self.demand_rng)));
            }
            let at = loop {
                let candidate = instant_between(&mut self.demand_rng, hours.opens_at, hours.closes_at);
                let local_hour = (open_minute * MINUTE + candidate.0 - hours.opens_at.0) / HOUR;
                if self.demand_rng.random::<f64>() < store_traffic(local_hour) {
                    break candidate;
                }
            };
            let receipt = format!(
                "{}-{:07}",
                self.network.locations[store].code,
                next_number(&mut self.numbers.till_receipts)
            );
            self.schedule(at, Action::Basket(Box::new(Basket { store, receipt, lines })));
        }
    }

    pub(crate) fn ring_up_basket(&mut self, basket: Basket) {
        let offset = self.network.locations[basket.store].zone.offset_minutes_at(self.now);
        for (line_number, (sku, wanted)) in basket.lines.into_iter().enumerate() {
            let cell = self.ledger.cell_index(basket.store, sku);
            let qty = wanted.min(self.ledger.cells[cell].sellable());
            if qty == 0 {
                continue;
            }
            let unit_price_cents = self.till_price(basket.store, sku);
            let stock = &mut self.ledger.cells[cell];
            stock.physical -= qty;
            stock.book -= qty;
            stock.till_lines = stock.till_lines.saturating_add(1);
            self.ledger.record_sale(cell, self.local_day(basket.store), qty);
            let body = EventBody::Sale(Sale {
                location: self.network.locations[basket.store].code.clone(),
                sku: self.catalog.products[sku].sku.clone(),
                qty: units(qty),
                unit_price: money(unit_price_cents),
                channel: Channel::Pos,
                order: Some(retex_core::codes::DocumentNumber::parse(basket.receipt.clone()).expect("valid receipt")),
            });
            let id = format!("{}:{}", basket.receipt, line_number + 1);
            self.emitter.emit(self.now, offset, Source::Pos, id, body);
            self.note_stockout(basket.store, sku);
            self.consider_till_return(basket.store, &basket.receipt, sku, qty, unit_price_cents);
        }
    }

    /// What the till charges: the active price, unless a stale price file or a cashier's override gets in the way.
    fn till_price(&mut self, store: usize, sku: usize) -> i64 {
        let active = self.prices.active_price(sku, store, Channel::Pos, self.now);
        if let Some(stale) = self.prices.stale_tills.get(&(store, sku))
            && self.now < stale.until
            && (stale.price_cents - active).abs() > 1
        {
            let charged = stale.price_cents;
            if stale.fault.is_none() {
                let note = format!("the till kept the old price {charged} cents after a change to {active} cents");
                let fault = self.open_price_fault(store, sku, note);
                if let Some(stale) = self.prices.stale_tills.get_mut(&(store, sku)) {
                    stale.fault = Some(fault);
                }
            }
            return charged;
        }
        if self.fault_at(self.rates.till_price_override, store) && !self.prices.mispriced_keys.contains(&(store, sku)) {
            let charged = shelf_price_cents(active as f64 * OVERRIDE_PRICE_SHARE);
            if (charged - active).abs() > 1 {
                self.prices.mispriced_keys.insert((store, sku));
                let note = format!("a cashier overrode the price by hand: {charged} cents instead of {active} cents");
                self.open_price_fault(store, sku, note);
                return charged;
            }
        }
        active
    }

    fn open_price_fault(&mut self, store: usize, sku: usize, note: String) -> FaultId {
        let location = self.network.locations[store].code.to_string();
        let sku_code = self.catalog.products[sku].sku.to_string();
        let fault = self.truth.open(FaultKind::MispricedTill, note);
        let key = FaultKey {
            location: Some(location),
            sku: Some(sku_code),
            reference: None,
        };
        self.truth
            .expect(fault, ExceptionType::PriceMismatch, key, self.now, Detection::AtEvent);
        fault
    }

    /// The rotating cycle count: each cell once every [`COUNT_CYCLE_DAYS`], skipping cells with a pending fault.
    pub(crate) fn run_count_round(&mut self, location: usize, day: u32) {
        let sku_count = self.catalog.products.len();
        let slot = (day as usize + location * 7) % COUNT_CYCLE_DAYS;
        for sku in (slot..sku_count).step_by(COUNT_CYCLE_DAYS) {
            let cell = self.ledger.cell_index(location, sku);
            let stock = &self.ledger.cells[cell];
            if stock.open_fault.is_some() {
                continue;
            }
            assert_eq!(
                stock.physical, stock.book,
                "a cell without a pending fault has honest books"
            );
            let (physical, fault_free) = (stock.physical, stock.is_fault_free());
            let is_store = location < self.network.store_count;
            if is_store && fault_free && self.fault_at(self.rates.miscount, location) {
                self.miscount(location, sku);
            } else {
                self.emit_count(location, sku, physical);
            }
        }
    }

    fn emit_count(&mut self, location: usize, sku: usize, counted: i32) {
        let place = &self.network.locations[location];
        let offset = place.zone.offset_minutes_at(self.now);
        let source = if location < self.network.store_count {
            Source::Store
        } else {
            Source::Wms
        };
        let body = EventBody::Count(Count {
            location: place.code.clone(),
            sku: self.catalog.products[sku].sku.clone(),
            counted: units(counted),
        });
        let id = format!("CNT-{:07}", next_number(&mut self.numbers.counts));
        self.emitter.emit(self.now, offset, source, id, body);
        self.ledger.cell(location, sku).book = counted;
    }

    /// The counter is off by more than the tolerance; a supervisor recounts before opening.
    fn miscount(&mut self, store: usize, sku: usize) {
        let stock = self.ledger.cell(store, sku).clone();
        let error = smallest_detectable_variance(stock.book) + self.faults_rng.random_range(0..3);
        let counts_too_few = stock.physical >= error && self.faults_rng.random_bool(0.5);
        let counted = if counts_too_few {
            stock.physical - error
        } else {
            stock.physical + error
        };
        let location = self.network.locations[store].code.to_string();
        let sku_code = self.catalog.products[sku].sku.to_string();
        let note = format!(
            "counted {counted} units where {} are on the shelf; recounted before opening",
            stock.physical
        );
        let fault = self.truth.open(FaultKind::Miscount, note);
        let key = FaultKey::location_sku(&location, &sku_code);
        self.truth
            .expect(fault, ExceptionType::CountVariance, key, self.now, Detection::AtEvent);
        self.emit_count(store, sku, counted);
        let cell = self.ledger.cell(store, sku);
        cell.open_fault = Some(fault);
        cell.had_fault = true;
        let task = CountTask {
            location: store,
            sku,
            purpose: CountPurpose::Recount,
        };
        self.schedule(
            Timestamp(self.now.0 + RECOUNT_DELAY_MINUTES * MINUTE),
            Action::Count(Box::new(task)),
        );
    }

    pub(crate) fn run_count_task(&mut self, task: CountTask) {
        let stock = self.ledger.cell(task.location, task.sku).clone();
        let variance = stock.physical - stock.book;
        if let CountPurpose::Reveal(fault) = task.purpose {
            self.truth.shelf_refilled(fault, self.now);
            if exceeds_count_tolerance(variance, stock.book) {
                let location = self.network.locations[task.location].code.to_string();
                let key = FaultKey::location_sku(&location, self.catalog.products[task.sku].sku.as_str());
                self.truth
                    .expect(fault, ExceptionType::CountVariance, key, self.now, Detection::AtEvent);
            } else {
                self.truth
                    .append_note(fault, "the revealing count was within tolerance");
            }
        }
        self.emit_count(task.location, task.sku, stock.physical);
        self.ledger.cell(task.location, task.sku).open_fault = None;
    }

    /// Schedules the count that reveals a stock fault: before opening, `days_later` local days from now. Returns
    /// `None` when that is past the horizon (the fault is then not injected).
    pub(crate) fn reveal_count_time(&self, store: usize, days_later: u64) -> Option<Timestamp> {
        let today = self.network.locations[store].zone.local_date(self.now);
        let day = self.store_hours_on(store, today + Days::new(days_later));
        let at = Timestamp(day.opens_at.0 - COUNT_BEFORE_OPENING_MINUTES * MINUTE + MINUTE);
        (at > self.now && at < self.horizon).then_some(at)
    }

    pub(crate) fn schedule_reveal_count(&mut self, store: usize, sku: usize, fault: FaultId, at: Timestamp) {
        self.mark_stock_fault(store, sku, fault);
        let task = CountTask {
            location: store,
            sku,
            purpose: CountPurpose::Reveal(fault),
        };
        self.schedule(at, Action::Count(Box::new(task)));
    }

    pub(crate) fn lose_stock(&mut self, store: usize, kind: StockLossKind) {
        let days_later = match kind {
            StockLossKind::Shrink => self.faults_rng.random_range(1..=2),
            StockLossKind::Misplaced => misplaced_for_days(&mut self.faults_rng),
        };
        let reveal_at = self.reveal_count_time(store, days_later);
        if kind == StockLossKind::Shrink && reveal_at.is_none() {
            return;
        }
        let Some((sku, lost)) = self.pick_stock_loss(store, kind) else {
            return;
        };
        let location = self.network.locations[store].code.to_string();
        let sku_code = self.catalog.products[sku].sku.to_string();
        let key = FaultKey::location_sku(&location, &sku_code);
        self.ledger.cell(store, sku).physical -= lost;
        let fault = match kind {
            StockLossKind::Shrink => {
                let note = format!("{lost} units stolen from the shelf without any event");
                let fault = self.truth.open(FaultKind::Shrink, note);
                self.truth.may_also_raise(fault, ExceptionType::PhantomStock);
                fault
            }
            StockLossKind::Misplaced => {
                let found = chance(&mut self.faults_rng, MISPLACED_FOUND_SHARE);
                let ending = if found {
                    "found on the shop floor"
                } else {
                    "revealed by a count"
                };
                let note = format!(
                    "the whole shelf stock ({lost} units) was misplaced: the item stopped selling until it was \
                     {ending} {days_later} days later"
                );
                let fault = self.truth.open(FaultKind::PhantomStock, note);
                let cell = self.ledger.cell_index(store, sku);
                let till_lines = self.ledger.cells[cell].till_lines;
                if till_lines >= PHANTOM_MIN_SALE_LINES {
                    let daily_units = self.demand.expected_units[cell];
                    self.truth.expect_while_empty(
                        fault,
                        ExceptionType::PhantomStock,
                        key,
                        self.now,
                        self.now,
                        daily_units,
                    );
                } else {
                    let note = format!("phantom_stock cannot judge a position with {till_lines} till lines so far");
                    self.truth.append_note(fault, &note);
                    self.truth.may_also_raise(fault, ExceptionType::PhantomStock);
                }
                if found {
                    self.schedule_found_stock(store, sku, fault, lost, reveal_at);
                    return;
                }
                fault
            }
        };
        self.truth.may_also_raise(fault, ExceptionType::LowStock);
        match reveal_at {
            Some(at) => self.schedule_reveal_count(store, sku, fault, at),
            None => self.mark_stock_fault(store, sku, fault),
        }
    }

    /// The misplaced units turn up at `at` (an hour after opening), put back on the shelf without any event; the
    /// fault stays open to the end if that is past the horizon.
    fn schedule_found_stock(&mut self, store: usize, sku: usize, fault: FaultId, units: i32, at: Option<Timestamp>) {
        self.mark_stock_fault(store, sku, fault);
        let Some(at) = at else {
            return;
        };
        let found_at = Timestamp(at.0 + (COUNT_BEFORE_OPENING_MINUTES + 60) * MINUTE);
        let found = FoundStock {
            store,
            sku,
            fault,
            units,
        };
        self.schedule(found_at, Action::FindStock(Box::new(found)));
    }

    /// The cell's books and shelf differ because of `fault` until it is revealed or the stock turns up.
    fn mark_stock_fault(&mut self, store: usize, sku: usize, fault: FaultId) {
        let cell = self.ledger.cell(store, sku);
        cell.open_fault = Some(fault);
        cell.had_fault = true;
    }

    pub(crate) fn find_stock(&mut self, found: FoundStock) {
        let cell = self.ledger.cell(found.store, found.sku);
        cell.physical += found.units;
        cell.open_fault = None;
        self.truth.shelf_refilled(found.fault, self.now);
    }

    /// A SKU fit for the loss and how many units go.
    /// Theft picks any SKU; misplacing happens as shelves are handled, so a SKU is picked in proportion to what
    /// the store sells of it.
    fn pick_stock_loss(&mut self, store: usize, kind: StockLossKind) -> Option<(usize, i32)> {
        let sku_count = self.catalog.products.len();
        let first_cell = self.ledger.cell_index(store, 0);
        let by_sales = match kind {
            StockLossKind::Shrink => None,
            StockLossKind::Misplaced => Some(cumulative(
                self.demand.store_weights[first_cell..first_cell + sku_count]
                    .iter()
                    .copied(),
            )),
        };
        for _ in 0..STOCK_FAULT_ATTEMPTS {
            let sku = match &by_sales {
                None => self.faults_rng.random_range(0..sku_count),
                Some(by_sales) => pick_cumulative(&mut self.faults_rng, by_sales),
            };
            let cell = self.ledger.cell_index(store, sku);
            let stock = &self.ledger.cells[cell];
            if !stock.is_fault_free() || stock.reserved > 0 || stock.physical != stock.book {
                continue;
            }
            let lost = match kind {
                StockLossKind::Shrink => {
                    let needed = smallest_detectable_variance(stock.book * 2);
                    if stock.physical < THEFT_SHELF_MINIMUM.max(needed + 1) {
                        continue;
                    }
                    needed + self.faults_rng.random_range(0..2)
                }
                StockLossKind::Misplaced => {
                    if self.demand.expected_units[cell] < PHANTOM_MIN_DAILY_UNITS || stock.physical < 3 {
                        continue;
                    }
                    stock.physical
                }
            };
            return Some((sku, lost));
        }
        None
    }
}
