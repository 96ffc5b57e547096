//! The pricing detectors' view, and `store_exception_rate`: the daily test of each store's exception rate
//! against its peers, with the counts it needs kept as sales and exceptions happen.

use crate::codes::Timestamp;
use crate::engine::composition::Engine;
use crate::engine::deadlines::Deadline;
use crate::engine::detect::governance::{self, StoreRateView};
use crate::engine::detect::pricing::PricingView;
use crate::engine::stats::day_of;

impl Engine {
    /// What the pricing detectors read.
    pub(super) fn pricing_view(&self) -> PricingView<'_> {
        PricingView {
            params: self.params(),
            master: &self.state.picture.master,
            promotions_by_sku: &self.state.stats.promotions_by_sku,
            priced_skus: &self.state.stats.priced_skus,
        }
    }

    /// Queues the first daily deadline at the UTC midnight after the first input.
    pub(super) fn schedule_daily(&mut self, first_input_at: Timestamp) {
        let midnight = Timestamp(i64::from(day_of(first_input_at) + 1) * Timestamp::MILLIS_PER_DAY);
        self.state.workflow.deadlines.schedule(midnight, Deadline::Daily);
    }

    /// The daily deadline: queues the next one, forgets till receipts older than any return window, tests the
    /// store exception rates, closes each store's day of shrink and looks for counts overdue.
    pub(super) fn fire_daily(&mut self, due_at: Timestamp) {
        self.state
            .workflow
            .deadlines
            .schedule(Timestamp(due_at.0 + Timestamp::MILLIS_PER_DAY), Deadline::Daily);
        self.forget_old_receipts(due_at);
        self.fire_store_rate_check(due_at);
        self.close_shrink_days(due_at);
        self.check_count_schedule(due_at);
    }

    /// A return more than `return_days` after its sale breaks the policy whether or not Retex remembers the
    /// receipt (an unknown order breaks it too), so receipts older than the longest return window of any
    /// product, and a day, are forgotten (in bulk, see `ReceiptBook::forget_sold_before`): the receipt book holds
    /// about a return window of sales, not all of history.
    fn forget_old_receipts(&mut self, now: Timestamp) {
        let longest_days = self
            .state
            .picture
            .master
            .products
            .iter()
            .flatten()
            .map(|product| product.return_days)
            .fold(crate::event::RETURN_DAYS_DEFAULT, u32::max);
        let kept_ms = (i64::from(longest_days) + 1) * Timestamp::MILLIS_PER_DAY;
        self.state.stats.receipts.forget_sold_before(Timestamp(now.0 - kept_ms));
    }

    /// What the store rate test reads.
    pub(super) fn store_rate_view(&self) -> StoreRateView<'_> {
        StoreRateView {
            params: self.params(),
            stores: &self.state.stats.stores,
            exceptions: self.state.book.exceptions.summaries(),
        }
    }

    /// `store_exception_rate` at every UTC midnight, by the configured model.
    fn fire_store_rate_check(&mut self, due_at: Timestamp) {
        let Some(model) = self.config.insight.clone() else {
            return;
        };
        let seq = self.state.applied_seq;
        for detection in governance::abnormal_stores(&self.store_rate_view(), model.as_ref(), due_at, seq) {
            self.apply_detection(Some(detection));
        }
    }
}
