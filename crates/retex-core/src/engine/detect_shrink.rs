//! `shrink_anomaly` in the engine: each store's losses at cost are summed as they are booked (a count below
//! the books, a write-off other than a correction), and each UTC midnight closes every store's day, scores it
//! with the store's streaming detector and asks the detector function whether it is abnormal.

use crate::codes::{Qty, Timestamp};
use crate::engine::composition::Engine;
use crate::engine::detect::shrink;
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::shrink_series::ClosedDay;
use crate::event::LocationKind;

impl Engine {
    /// Books `units` (positive) of `sku` lost at `location` into its open day of shrink, at the product's cost.
    /// Only stores keep a series; a product without a cost adds a loss of no value.
    pub(super) fn record_shrink(&mut self, location: LocationId, sku: SkuId, units: Qty) {
        let master = &self.state.picture.master;
        if master
            .location(location)
            .is_none_or(|info| info.kind != LocationKind::Store)
        {
            return;
        }
        let amount = units * master.unit_cost(sku);
        self.state.stats.shrink.entry(location).or_default().record_loss(amount);
    }

    /// Closes the day that ends at `due_at` for every store of master data, in location order.
    pub(super) fn close_shrink_days(&mut self, due_at: Timestamp) {
        let mut closed: Vec<(LocationId, ClosedDay, Vec<f64>)> = Vec::new();
        for (index, info) in self.state.picture.master.locations.iter().enumerate() {
            if info.as_ref().is_none_or(|info| info.kind != LocationKind::Store) {
                continue;
            }
            let location = index as LocationId;
            let series = self.state.stats.shrink.entry(location).or_default();
            let day = series.close_day();
            let before = series.recent.len() - 1;
            closed.push((location, day, series.recent.range(..before).copied().collect()));
        }
        let seq = self.state.applied_seq;
        for (location, day, recent) in closed {
            let detection = shrink::shrink_anomaly(&self.params(), location, &day, &recent, due_at, seq);
            self.apply_detection(detection);
        }
    }
}
