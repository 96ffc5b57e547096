//! State the detectors keep beside the ledger: sales history per position, open purchase quantities, sale
//! lines and exceptions per store and day, orders known from till sales, promotions by SKU.
//!
//! Kept apart from [`super::Ledger`] so that a position that never sells costs nothing here.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Qty, SupplierCode, Timestamp};
use crate::engine::count_program::CountProgram;
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::receipts::ReceiptBook;
use crate::engine::recurrences::Recurrences;
use crate::engine::shrink_series::ShrinkSeries;
use crate::engine::sorted_map;
use crate::engine::supply_rhythm::SupplyRhythm;

pub use crate::engine::day_ring::{DayRing, day_of};
pub use crate::rules::HISTORY_DAYS;

/// Sales of one position: 184 bytes with its key, one per position that sells.
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
    /// When the silence began: the selling pattern is read up to its day, so the silence does not mask itself.
    pub silence_began_at: Timestamp,
    /// Whether a `phantom_stock` check is queued in [`DetectorStats::phantom_checks`] for this position.
    pub phantom_queued: bool,
    /// Whether a `phantom_stock` or `low_stock` exception is open here: spares a key lookup per sale.
    pub phantom_open: bool,
    pub low_stock_open: bool,
    /// Whether the position is in [`DetectorStats::low_stock_watch`]: spares a lookup per sale.
    pub low_stock_watched: bool,
}

const _: () = assert!(size_of::<(u64, PositionStats)>() == 184);

impl PositionStats {
    /// A sale at `at`, on the store's local `day`.
    pub fn record_sale(&mut self, at: Timestamp, day: i32, qty: Qty, seq: u64) {
        let milli = whole_thousandths(qty.0);
        self.sold_milli.add(day, milli);
        let first = self.sales == 0;
        if first || at.0 >= self.last_sale_ms {
            self.last_sale_ms = at.0;
            self.last_sale_seq = seq;
        }
        // Saturating: a count that has left zero never comes back to it.
        self.sales = self.sales.saturating_add(1);
    }

    /// The newest sale, if the position ever sold.
    pub fn last_sale(&self) -> Option<Timestamp> {
        (self.sales > 0).then_some(Timestamp(self.last_sale_ms))
    }

    /// The silence begins again at the store's `line`, at `at`. Returns whether the position needs judging:
    /// it has no check queued and no exception open.
    pub fn restart_silence(&mut self, line: u64, at: Timestamp) -> bool {
        self.silence_began_at_line = line;
        self.silence_began_at = at;
        !self.phantom_queued && !self.phantom_open
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

/// The lead times a location's transfers took, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadTimes {
    pub total_ms: u64,
    pub transfers: u32,
}

impl LeadTimes {
    pub fn add(&mut self, shipped: Timestamp, received: Timestamp) {
        self.total_ms = self
            .total_ms
            .saturating_add(u64::try_from(received.0 - shipped.0).unwrap_or(0));
        self.transfers = self.transfers.saturating_add(1);
    }

    /// The mean, in milliseconds.
    pub fn mean_ms(&self) -> i64 {
        i64::try_from(self.total_ms / u64::from(self.transfers.max(1))).unwrap_or(i64::MAX)
    }

    /// The mean, in days.
    pub fn mean_days(&self) -> f64 {
        self.total_ms as f64 / f64::from(self.transfers.max(1)) / Timestamp::MILLIS_PER_DAY as f64
    }
}

/// How many of a supplier's (or a lane's, or the chain's) POs arrived, and how many of them late.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub deliveries: u32,
    pub late: u32,
}

impl DeliveryRecord {
    pub fn add(&mut self, late: bool) {
        self.deliveries = self.deliveries.saturating_add(1);
        self.late = self.late.saturating_add(u32::from(late));
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
    /// Per location that receives transfers, the time its transfers took from shipping to receipt: its own
    /// lead time when a warehouse replenishes it.
    #[serde(default, with = "sorted_map")]
    pub transfer_lead_times: FxHashMap<LocationId, LeadTimes>,
    /// How transfers replenish each location and position: the runs `low_stock` expects the next supply from.
    pub supply_rhythm: SupplyRhythm,
    #[serde(with = "sorted_map")]
    pub stores: FxHashMap<LocationId, StoreActivity>,
    /// Closed POs' deliveries, late or not, for `po_late_risk`: the chain's, per supplier, and per lane
    /// (supplier and receiving location).
    pub chain_deliveries: DeliveryRecord,
    /// When each scheduled store position is next due to be counted, for `count_overdue`.
    #[serde(default)]
    pub counts: CountProgram,
    /// People's resolutions by location and root cause, for `recurring_problem`.
    #[serde(default)]
    pub recurrences: Recurrences,
    /// Per location that lost stock, its shrink day by day, for `shrink_anomaly`.
    #[serde(with = "sorted_map")]
    pub shrink: FxHashMap<LocationId, ShrinkSeries>,
    #[serde(with = "sorted_map")]
    pub supplier_deliveries: FxHashMap<SupplierCode, DeliveryRecord>,
    #[serde(with = "sorted_map")]
    pub lane_deliveries: FxHashMap<(SupplierCode, LocationId), DeliveryRecord>,
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
