//! Organised theft: on a rare day a store loses several of its dearest items at once, each past the count
//! tolerance, and the next morning's counts reveal them together. Each item is a `shrink` fault of its own (its
//! count raises `count_variance`); the spree as a whole is the store's abnormal day of shrink, which
//! `shrink_anomaly` must find.
//!
//! Sprees draw from their own random stream, so adding them leaves every other fault where it was.

use rand::Rng;
use retex_core::codes::Timestamp;

use crate::clock::DAY;
use crate::random::{chance, instant_between};
use crate::stock::smallest_detectable_variance;
use crate::truth::{Detection, ExceptionType, FaultKey, FaultKind};
use crate::world::{Action, World};

/// Days before the first spree: the stores' usual shrink must be on record before an unusual day can show.
pub(crate) const SPREE_FIRST_DAY: u32 = 16;
/// Items taken in one spree, and units of each beyond what the count tolerates.
const SPREE_ITEMS: std::ops::RangeInclusive<usize> = 5..=8;
const SPREE_EXTRA_UNITS: std::ops::RangeInclusive<i32> = 1..=3;
/// Items are drawn from the dearest share of the catalogue.
const SPREE_DEAREST_SHARE: f64 = 0.25;
/// Tries per item to find a shelf fit for it.
const SPREE_ATTEMPTS: usize = 40;

impl World<'_> {
    /// Plans a spree at `store` during its open hours of `day`, by the spree rate.
    pub(crate) fn plan_spree(&mut self, store: usize, day: u32, opens_at: Timestamp, closes_at: Timestamp) {
        if day < SPREE_FIRST_DAY || !chance(&mut self.sprees_rng, self.rates.shrink_spree) {
            return;
        }
        let at = instant_between(&mut self.sprees_rng, opens_at, closes_at);
        self.schedule(at, Action::Spree { store });
    }

    /// Takes the items now; the next morning's counts reveal them. Nothing happens when that count would fall
    /// past the horizon, or no shelf is fit.
    pub(crate) fn run_spree(&mut self, store: usize) {
        let Some(reveal_at) = self.reveal_count_time(store, 1) else {
            return;
        };
        let dearest = self.dearest_skus();
        let items = self.sprees_rng.random_range(SPREE_ITEMS);
        let location = self.network.locations[store].code.to_string();
        let mut taken = Vec::new();
        let mut cost_cents = 0;
        for _ in 0..items {
            let Some((sku, lost)) = self.pick_spree_item(store, &dearest) else {
                continue;
            };
            self.ledger.cell(store, sku).physical -= lost;
            let product = &self.catalog.products[sku];
            cost_cents += i64::from(lost) * product.cost_cents;
            taken.push(product.sku.to_string());
            let note = format!("{lost} units taken from the shelf in an organised theft");
            let fault = self.truth.open(FaultKind::Shrink, note);
            self.truth.may_also_raise(fault, ExceptionType::PhantomStock);
            self.truth.may_also_raise(fault, ExceptionType::LowStock);
            self.schedule_reveal_count(store, sku, fault, reveal_at);
        }
        if taken.is_empty() {
            return;
        }
        let note = format!(
            "organised theft of {} items ({}) worth {}.{:02} at cost",
            taken.len(),
            taken.join(", "),
            cost_cents / 100,
            cost_cents % 100
        );
        let spree = self.truth.open(FaultKind::ShrinkSpree, note);
        self.truth.may_also_raise(spree, ExceptionType::StoreExceptionRate);
        let midnight_after = Timestamp((reveal_at.0.div_euclid(DAY) + 1) * DAY);
        self.truth.expect(
            spree,
            ExceptionType::ShrinkAnomaly,
            FaultKey::location(&location),
            midnight_after,
            Detection::AtDeadline,
        );
    }

    /// The dearest quarter of the catalogue by cost, dearest first.
    fn dearest_skus(&self) -> Vec<usize> {
        let mut skus: Vec<usize> = (0..self.catalog.products.len()).collect();
        skus.sort_by_key(|&sku| (std::cmp::Reverse(self.catalog.products[sku].cost_cents), sku));
        let kept = ((skus.len() as f64 * SPREE_DEAREST_SHARE).ceil() as usize).max(1);
        skus.truncate(kept);
        skus
    }

    /// A dear item whose shelf holds more than a count would tolerate losing, and how many units go.
    fn pick_spree_item(&mut self, store: usize, dearest: &[usize]) -> Option<(usize, i32)> {
        for _ in 0..SPREE_ATTEMPTS {
            let sku = dearest[self.sprees_rng.random_range(0..dearest.len())];
            let stock = &self.ledger.cells[self.ledger.cell_index(store, sku)];
            if !stock.is_fault_free() || stock.reserved > 0 || stock.physical != stock.book {
                continue;
            }
            let lost = smallest_detectable_variance(stock.book * 2) + self.sprees_rng.random_range(SPREE_EXTRA_UNITS);
            if stock.physical < lost + 1 {
                continue;
            }
            return Some((sku, lost));
        }
        None
    }
}
