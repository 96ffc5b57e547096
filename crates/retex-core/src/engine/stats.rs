//! State the detectors keep beside the ledger: sales history per position, open purchase quantities, sale
//! lines and exceptions per store and day, orders known from till sales, promotions by SKU.
//!
//! Kept apart from [`super::Ledger`] so that a position that never sells costs nothing here.

use std::collections::BTreeSet;
use std::num::NonZeroU8;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Qty, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::receipts::ReceiptBook;
use crate::engine::sorted_map;

pub use crate::rules::HISTORY_DAYS;

/// A UTC day number (days since the Unix epoch).
pub fn day_of(at: Timestamp) -> i32 {
    at.0.div_euclid(Timestamp::MILLIS_PER_DAY) as i32
}

/// Counts per UTC day over the last [`HISTORY_DAYS`] days, as a ring.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DayRing {
    values: [u32; HISTORY_DAYS],
    /// The newest day the ring holds; older days are `last_day - 1`, ... back to `HISTORY_DAYS - 1` days.
    last_day: i32,
    /// The last [`Self::window_total`] of a window ending on `last_day`, kept up to date by [`Self::add`] until
    /// the day moves on: an item's sales on one day each ask for the same window. Derived, not state.
    #[serde(skip)]
    latest_window: Option<WindowTotal>,
}

/// A window's length in days, the sum of its values, and how many of them are not zero: 16 bytes with its
/// `Option` (the length is never zero, which leaves room for the tag), in every position's sales history.
#[derive(Clone, Copy, Debug)]
struct WindowTotal {
    total: u64,
    days: NonZeroU8,
    nonzero: u8,
}

/// Equal rings hold equal days, whatever they remember of their windows.
impl PartialEq for DayRing {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values && self.last_day == other.last_day
    }
}

impl DayRing {
    pub fn add(&mut self, day: i32, amount: u32) {
        if day > self.last_day {
            let cleared = (day - self.last_day).min(HISTORY_DAYS as i32);
            for offset in 0..cleared {
                self.values[slot(day - offset)] = 0;
            }
            self.last_day = day;
            self.latest_window = None;
        }
        let age = self.last_day - day;
        if age < HISTORY_DAYS as i32 {
            let value = &mut self.values[slot(day)];
            let before = *value;
            *value = value.saturating_add(amount);
            if let Some(window) = &mut self.latest_window
                && (age as usize) < usize::from(window.days.get()).min(HISTORY_DAYS)
            {
                window.total += u64::from(*value - before);
                window.nonzero += u8::from(before == 0 && *value > 0);
            }
        }
    }

    /// The sum of [`Self::window`] and how many of its days are not zero; a window ending on the newest day is
    /// remembered and kept up to date (see `latest_window`).
    pub fn window_total(&mut self, until_day: i32, days: usize) -> (u64, usize) {
        if let Some(window) = self.remembered(until_day, days) {
            return (window.total, usize::from(window.nonzero));
        }
        let ends_on_latest = until_day == self.last_day;
        let (mut total, mut nonzero) = (0, 0);
        for value in self.window(until_day, days) {
            total += u64::from(value);
            nonzero += usize::from(value > 0);
        }
        // A window is at most `HISTORY_DAYS` long, so its count of days with sales fits a byte.
        if ends_on_latest && let Some(days) = u8::try_from(days).ok().and_then(NonZeroU8::new) {
            self.latest_window = Some(WindowTotal {
                total,
                days,
                nonzero: nonzero as u8,
            });
        }
        (total, nonzero)
    }

    fn remembered(&self, until_day: i32, days: usize) -> Option<WindowTotal> {
        (self.latest_window).filter(|window| until_day == self.last_day && usize::from(window.days.get()) == days)
    }

    /// The value of `day`, 0 for a day the ring does not hold.
    pub fn value_on(&self, day: i32) -> u32 {
        let age = self.last_day - day;
        if (0..HISTORY_DAYS as i32).contains(&age) {
            self.values[slot(day)]
        } else {
            0
        }
    }

    /// The values of the `days` days ending at `until_day` that the ring holds, newest first (a day it does not
    /// hold counts nothing).
    pub fn window(&self, until_day: i32, days: usize) -> impl Iterator<Item = u32> + '_ {
        let newest = until_day.min(self.last_day);
        let oldest = (until_day - days.min(HISTORY_DAYS) as i32).max(self.last_day - HISTORY_DAYS as i32) + 1;
        let held = (newest - oldest + 1).max(0);
        (0..held).map(move |offset| self.values[slot(newest - offset)])
    }
}

fn slot(day: i32) -> usize {
    const _: () = assert!(HISTORY_DAYS.is_power_of_two());
    // The Euclidean remainder by a power of two, as a mask: the index is in bounds without a check.
    (day & (HISTORY_DAYS as i32 - 1)) as usize
}

/// Sales of one position: 224 bytes with its key, one per position that sells.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PositionStats {
    /// Units sold per day, in thousandths of a unit.
    pub sold_milli: DayRing,
    /// Till sale lines per day: `phantom_stock` judges the position's share of its store's lines.
    pub till_lines: DayRing,
    /// The newest sale, meaningful once `sales` is not zero (8 bytes, not 16 as an option).
    last_sale_ms: i64,
    /// The log entry of the newest sale: what a `phantom_stock` traces back to.
    pub last_sale_seq: u64,
    pub sales: u32,
    /// The store's till line count (`StoreActivity::lines_total`) when the position's silence began: its last
    /// till sale, the last time stock arrived from zero, or its last count.
    pub silence_began_at_line: u64,
    /// The day the silence began: the selling pattern is read up to it, so the silence does not mask itself.
    pub silence_began_on_day: i32,
    /// Whether a `phantom_stock` check is queued in [`DetectorStats::phantom_checks`] for this position.
    pub phantom_queued: bool,
    /// Whether a `phantom_stock` or `low_stock` exception is open here: spares a key lookup per sale.
    pub phantom_open: bool,
    pub low_stock_open: bool,
    /// Whether the position is in [`DetectorStats::low_stock_watch`]: spares a lookup per sale.
    pub low_stock_watched: bool,
}

const _: () = assert!(size_of::<(u64, PositionStats)>() == 224);
const _: () = assert!(size_of::<Option<WindowTotal>>() == 16);

impl PositionStats {
    pub fn record_sale(&mut self, at: Timestamp, qty: Qty, seq: u64) {
        let milli = whole_thousandths(qty.0);
        self.sold_milli.add(day_of(at), milli);
        let first = self.sales == 0;
        if first || at.0 >= self.last_sale_ms {
            self.last_sale_ms = at.0;
            self.last_sale_seq = seq;
        }
        // Saturating: a count that has left zero never comes back to it.
        self.sales = self.sales.saturating_add(1);
    }

    /// Units sold (in thousandths) over `window_days` days ending at `until_day`, and on how many of them it sold.
    pub fn sold_over(&mut self, until_day: i32, window_days: usize) -> (u64, usize) {
        self.sold_milli.window_total(until_day, window_days)
    }
}

/// A quantity in thousandths of a unit, saturating; whole quantities (the usual case) skip decimal arithmetic.
fn whole_thousandths(qty: Decimal) -> u32 {
    if qty.scale() == 0 {
        return u32::try_from(qty.mantissa().saturating_mul(1000)).unwrap_or(u32::MAX);
    }
    u32::try_from((qty * Decimal::ONE_THOUSAND).trunc()).unwrap_or(u32::MAX)
}

/// Puts `entry` in the list of documents of `location`, in place of the entry for the same document.
fn put_document<T>(
    lists: &mut FxHashMap<LocationId, Vec<T>>,
    location: LocationId,
    entry: T,
    number: impl Fn(&T) -> &DocumentNumber,
) {
    let entries = lists.entry(location).or_default();
    match entries.iter_mut().find(|known| number(known) == number(&entry)) {
        Some(known) => *known = entry,
        None => entries.push(entry),
    }
}

/// Takes `document` out of the list of documents of `location`.
fn drop_document<T>(
    lists: &mut FxHashMap<LocationId, Vec<T>>,
    location: LocationId,
    document: &DocumentNumber,
    number: impl Fn(&T) -> &DocumentNumber,
) {
    if let Some(entries) = lists.get_mut(&location) {
        entries.retain(|known| number(known) != document);
        if entries.is_empty() {
            lists.remove(&location);
        }
    }
}

/// A store's activity per day, for `store_exception_rate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreActivity {
    pub sale_lines: DayRing,
    pub exceptions: DayRing,
    /// Every till sale line the store has rung up: the clock `phantom_stock` measures silences by.
    pub lines_total: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DetectorStats {
    #[serde(with = "sorted_map")]
    pub positions: FxHashMap<u64, PositionStats>,
    /// Positions that `low_stock` may have to judge when stock moves other than by a sale: where it last found
    /// enough selling days, or an open exception. Only a sale can make a position judgeable, so a look at any
    /// other position (three in four, in the demo) is answered here, in a table small enough to stay in the
    /// caches, rather than by a read of its sales history.
    #[serde(serialize_with = "sorted_map::serialize_set")]
    #[serde(deserialize_with = "sorted_map::deserialize_set")]
    pub low_stock_watch: FxHashSet<u64>,
    /// Open purchase-order quantity per position (ordered, not yet received, PO not closed).
    #[serde(with = "sorted_map")]
    pub on_order: FxHashMap<u64, Qty>,
    /// Per location, its open purchase orders with their `expected`: `low_stock` counts only what is due
    /// within the lead time. A few per location, so that keeping them costs one entry per PO, not per line.
    #[serde(with = "sorted_map")]
    pub open_pos: FxHashMap<LocationId, Vec<(DocumentNumber, Timestamp)>>,
    /// Per location, the transfers shipped to it and not yet received, for the same reason.
    #[serde(with = "sorted_map")]
    pub transfers_in_transit: FxHashMap<LocationId, Vec<TransferInTransit>>,
    #[serde(with = "sorted_map")]
    pub stores: FxHashMap<LocationId, StoreActivity>,
    /// Queued `phantom_stock` checks per store: the till line count at which each position's check falls due.
    #[serde(with = "sorted_map")]
    pub phantom_checks: FxHashMap<LocationId, BTreeSet<(u64, SkuId)>>,
    /// Orders known from till sales carrying their number.
    pub receipts: ReceiptBook,
    #[serde(with = "sorted_map")]
    pub promotions_by_sku: FxHashMap<SkuId, Vec<DocumentNumber>>,
    /// Whether a `price` event ever named the SKU (by SKU id): most SKUs sell at the product's price, and this
    /// spares them four lookups per sale.
    pub priced_skus: Vec<bool>,
}

/// A transfer on its way to a location: when it is due and its lines by SKU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferInTransit {
    pub transfer: DocumentNumber,
    /// Its `expected`; a transfer shipped without one is due at once.
    pub due: Option<Timestamp>,
    /// Shipped quantity per SKU, sorted by SKU.
    lines: Vec<(SkuId, Qty)>,
}

impl TransferInTransit {
    /// The quantity it brings of `sku`.
    pub fn qty(&self, sku: SkuId) -> Qty {
        match self.lines.binary_search_by_key(&sku, |&(line_sku, _)| line_sku) {
            Ok(index) => self.lines[index].1,
            Err(_) => Qty::ZERO,
        }
    }
}

impl DetectorStats {
    /// Records that `transfer` is on its way to `location` with `lines` (one per SKU, sorted by SKU), due at
    /// `due`, in place of what was recorded.
    pub fn expect_transfer(
        &mut self,
        location: LocationId,
        transfer: &DocumentNumber,
        due: Option<Timestamp>,
        lines: Vec<(SkuId, Qty)>,
    ) {
        let entry = TransferInTransit {
            transfer: transfer.clone(),
            due,
            lines,
        };
        put_document(&mut self.transfers_in_transit, location, entry, |known| &known.transfer);
    }

    /// Records that `transfer` to `location` arrived.
    pub fn forget_transfer(&mut self, location: LocationId, transfer: &DocumentNumber) {
        drop_document(&mut self.transfers_in_transit, location, transfer, |known| {
            &known.transfer
        });
    }

    /// Records that purchase order `po` is open at `location`, expected at `expected`.
    pub fn expect_po(&mut self, location: LocationId, po: &DocumentNumber, expected: Timestamp) {
        put_document(&mut self.open_pos, location, (po.clone(), expected), |(number, _)| {
            number
        });
    }

    /// Records that purchase order `po` at `location` is closed.
    pub fn forget_po(&mut self, location: LocationId, po: &DocumentNumber) {
        drop_document(&mut self.open_pos, location, po, |(number, _)| number);
    }

    /// Bytes held by the per-position tables (slots and control bytes).
    pub fn table_bytes(&self) -> usize {
        self.positions.capacity() * (size_of::<(u64, PositionStats)>() + 1)
            + self.on_order.capacity() * (size_of::<(u64, Qty)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A window sums what a plain map of the kept days would: the newest day seen and the
        /// `HISTORY_DAYS - 1` before it.
        #[test]
        fn a_window_sums_the_days_a_map_would_keep(
            adds in proptest::collection::vec((90i32..140, 1u32..5), 0..60),
            until_day in 80i32..150,
            days in 0usize..20,
        ) {
            let mut ring = DayRing::default();
            let mut map = std::collections::BTreeMap::new();
            let mut newest = 0;
            for &(day, amount) in &adds {
                ring.add(day, amount);
                newest = newest.max(day);
                if newest - day < HISTORY_DAYS as i32 {
                    *map.entry(day).or_insert(0u32) += amount;
                }
            }
            let kept = |day: i32| newest - day < HISTORY_DAYS as i32 && day <= newest;
            let expected: Vec<u32> = (0..days.min(HISTORY_DAYS) as i32)
                .map(|offset| until_day - offset)
                .filter(|&day| kept(day))
                .map(|day| map.get(&day).copied().unwrap_or(0))
                .collect();
            let total = expected.iter().map(|&value| u64::from(value)).sum();
            let nonzero = expected.iter().filter(|&&value| value > 0).count();
            prop_assert_eq!(ring.window(until_day, days).collect::<Vec<_>>(), expected);
            prop_assert_eq!(ring.window_total(until_day, days), (total, nonzero));
        }

        /// A remembered window total, kept up by every later add, is the total summed afresh.
        #[test]
        fn a_remembered_window_total_is_the_total(
            adds in proptest::collection::vec((90i32..110, 0u32..5), 0..80),
            days in 0usize..20,
        ) {
            let mut ring = DayRing::default();
            for &(day, amount) in &adds {
                ring.add(day, amount);
                let newest = ring.last_day;
                let fresh = DayRing { latest_window: None, ..ring.clone() }.window_total(newest, days);
                prop_assert_eq!(ring.window_total(newest, days), fresh, "day {} days {}", day, days);
            }
        }
    }

    #[test]
    fn the_day_ring_forgets_old_days_and_keeps_late_ones() {
        let mut ring = DayRing::default();
        ring.add(100, 5);
        ring.add(101, 7);
        ring.add(100, 1); // a late sale for yesterday
        assert_eq!(ring.window(101, 3).collect::<Vec<_>>(), vec![7, 6, 0]);
        ring.add(130, 2); // a month later: everything before is gone
        assert_eq!(ring.window(130, 16).sum::<u32>(), 2);
        ring.add(100, 9); // too old to keep
        assert_eq!(ring.window(130, 16).sum::<u32>(), 2);
    }
}
