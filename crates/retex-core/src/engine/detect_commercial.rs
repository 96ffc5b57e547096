//! The pricing detectors' view, and `store_exception_rate`: the daily test of each store's exception rate
//! against its peers, with the counts it needs kept as sales and exceptions happen.

use rust_decimal::prelude::ToPrimitive;

use crate::codes::{Money, Timestamp};
use crate::engine::detect::pricing::PricingView;
use crate::engine::detect::{Detection, key_of};
use crate::engine::insight::{RateTestParams, StoreWindow};
use crate::engine::ledger::LocationId;
use crate::engine::stats::{DayRing, StoreActivity, day_of};
use crate::engine::{Deadline, Engine};
use crate::event::LocationKind;
use crate::rules::{ExceptionType, Param};

impl Engine {
    /// What the pricing detectors read.
    pub(super) fn pricing_view(&self) -> PricingView<'_> {
        PricingView {
            params: self.params(),
            master: &self.state.master,
            promotions_by_sku: &self.state.stats.promotions_by_sku,
            priced_skus: &self.state.stats.priced_skus,
        }
    }

    /// Counts a till sale line for the store exception rate.
    pub(super) fn count_sale_line(&mut self, location: LocationId, at: Timestamp) {
        self.state
            .stats
            .stores
            .entry(location)
            .or_default()
            .sale_lines
            .add(day_of(at), 1);
    }

    /// Queues the first daily deadline at the UTC midnight after the first input.
    pub(super) fn schedule_daily(&mut self, first_input_at: Timestamp) {
        let midnight = Timestamp(i64::from(day_of(first_input_at) + 1) * Timestamp::MILLIS_PER_DAY);
        self.state.deadlines.schedule(midnight, Deadline::Daily);
    }

    /// The daily deadline: queues the next one, forgets till receipts older than any return window, and tests
    /// the store exception rates.
    pub(super) fn fire_daily(&mut self, due_at: Timestamp) {
        self.state
            .deadlines
            .schedule(Timestamp(due_at.0 + Timestamp::MILLIS_PER_DAY), Deadline::Daily);
        self.forget_old_receipts(due_at);
        self.fire_store_rate_check(due_at);
    }

    /// A return more than `return_days` after its sale breaks the policy whether or not Retex remembers the
    /// receipt (an unknown order breaks it too), so receipts older than the longest return window of any
    /// product, and a day, are forgotten (in bulk, see `ReceiptBook::forget_sold_before`): the receipt book holds
    /// about a return window of sales, not all of history.
    fn forget_old_receipts(&mut self, now: Timestamp) {
        let longest_days = self
            .state
            .master
            .products
            .iter()
            .flatten()
            .map(|product| product.return_days)
            .fold(crate::event::RETURN_DAYS_DEFAULT, u32::max);
        let kept_ms = (i64::from(longest_days) + 1) * Timestamp::MILLIS_PER_DAY;
        self.state.stats.receipts.forget_sold_before(Timestamp(now.0 - kept_ms));
    }

    /// The `store_exception_rate` window in days and test parameters, from the rules.
    pub(super) fn store_rate_params(&self) -> (usize, RateTestParams) {
        let kind = ExceptionType::StoreExceptionRate;
        let window_days = self
            .param(kind, Param::RateWindowDays, None, None)
            .to_usize()
            .unwrap_or(7);
        let params = RateTestParams {
            alpha: self.param(kind, Param::Alpha, None, None).to_f64().unwrap_or(0.01),
            min_sale_lines: self.param(kind, Param::MinSaleLines, None, None).to_u64().unwrap_or(0),
            min_exceptions: self.param(kind, Param::MinExceptions, None, None).to_u64().unwrap_or(0),
        };
        (window_days, params)
    }

    /// Each store's exceptions and sale lines over the `window_days` days up to `last_full_day`, with its id.
    pub(super) fn store_windows(&self, last_full_day: i32, window_days: usize) -> (Vec<StoreWindow>, Vec<LocationId>) {
        let mut windows = Vec::new();
        let mut ids = Vec::new();
        for (index, info) in self.state.master.locations.iter().enumerate() {
            if info.as_ref().is_none_or(|info| info.kind != LocationKind::Store) {
                continue;
            }
            let location = index as LocationId;
            let activity = self.state.stats.stores.get(&location);
            let sum = |ring: fn(&StoreActivity) -> &DayRing| {
                activity.map_or(0, |activity| {
                    ring(activity).window(last_full_day, window_days).map(u64::from).sum()
                })
            };
            windows.push(StoreWindow {
                location: self.state.locations.name(location).to_string(),
                exceptions: sum(|activity| &activity.exceptions),
                sale_lines: sum(|activity| &activity.sale_lines),
            });
            ids.push(location);
        }
        (windows, ids)
    }

    /// `store_exception_rate`: every UTC midnight, each store's exceptions per sale line over the last
    /// `rate_window_days` full days are tested against its peers by the configured model.
    fn fire_store_rate_check(&mut self, due_at: Timestamp) {
        let kind = ExceptionType::StoreExceptionRate;
        let Some(insight) = self.config.insight.clone() else {
            return;
        };
        if !self.config.rules.is_enabled(kind) {
            return;
        }
        let (window_days, params) = self.store_rate_params();
        let (windows, ids) = self.store_windows(day_of(due_at) - 1, window_days);
        let seq = self.state.applied_seq;
        for code in insight.abnormal_stores(&windows, params) {
            let Some(position) = windows.iter().position(|window| window.location == code) else {
                continue;
            };
            let location = ids[position];
            let mut detection = Detection::at_position(kind, location, 0, due_at, Money::ZERO, seq);
            detection.key = key_of(kind, Some(location), None, None);
            detection.sku = None;
            detection.touches = Vec::new();
            self.apply_detection(Some(detection));
        }
    }
}
