//! Stock per (location, SKU): the true physical quantity and the book quantity the events imply, kept apart.
//!
//! In a healthy world the two are equal; a fault (theft, a misplaced shelf, a miscount, a transfer booked by
//! hand) makes them differ until a count reveals it. Counts report the physical truth, so a count finds exactly
//! the variance the fault created. The ledger also keeps 14 days of unit sales per cell: the replenishment
//! planner's view of velocity.

use retex_core::codes::Timestamp;

use crate::truth::FaultId;

/// Days of sales history the planner averages over (the same window as exceptions.md's `low_stock`).
pub(crate) const SALES_HISTORY_DAYS: usize = 14;
/// exceptions.md: a count differs from on hand by more than max(2 units, 5% of abs(on hand)).
const COUNT_TOLERANCE_UNITS: f64 = 2.0;
const COUNT_TOLERANCE_SHARE: f64 = 0.05;

#[derive(Clone, Debug, Default)]
pub(crate) struct StockCell {
    /// Units really there. Never below zero.
    pub(crate) physical: i32,
    /// On hand as the events written so far imply it (the engine's ledger). Never below zero.
    pub(crate) book: i32,
    /// Units held for allocated web orders; included in both `physical` and `book`.
    pub(crate) reserved: i32,
    /// Units shipped here and not yet received, as the replenishment planner counts them.
    pub(crate) in_transit: i32,
    /// The fault that made `physical` and `book` differ, until the count that reveals it. Healthy cycle counts
    /// leave such a cell alone; its fault schedules its own count.
    pub(crate) open_fault: Option<FaultId>,
    /// A stock fault already touched this cell: another one would only add occurrences to the same exception.
    pub(crate) had_fault: bool,
    /// The planner skips this position until then: its planning record was lost.
    pub(crate) replenishment_stopped_until: Option<Timestamp>,
    /// The stockout recorded when the shelf ran empty; a delivery ends it.
    pub(crate) stockout: Option<FaultId>,
    /// Till lines it sold on since the simulation began.
    pub(crate) till_lines: u32,
}

impl StockCell {
    /// Units a till or a picker can take: what is both on the shelf and on the books, less reservations.
    pub(crate) fn sellable(&self) -> i32 {
        (self.physical.min(self.book) - self.reserved).max(0)
    }

    /// True when a new stock fault may be injected here.
    pub(crate) fn is_fault_free(&self) -> bool {
        self.open_fault.is_none() && !self.had_fault
    }
}

/// Whether a count variance exceeds exceptions.md's tolerance, given the on-hand quantity before the count.
pub(crate) fn exceeds_count_tolerance(variance: i32, book_before: i32) -> bool {
    let tolerance = COUNT_TOLERANCE_UNITS.max(COUNT_TOLERANCE_SHARE * f64::from(book_before.abs()));
    f64::from(variance.abs()) > tolerance
}

/// The smallest variance that exceeds the tolerance for this on-hand quantity.
pub(crate) fn smallest_detectable_variance(book_before: i32) -> i32 {
    let mut variance = 1;
    while !exceeds_count_tolerance(variance, book_before) {
        variance += 1;
    }
    variance
}

pub(crate) struct Ledger {
    pub(crate) cells: Vec<StockCell>,
    pub(crate) sku_count: usize,
    /// Units sold per cell per day, a ring of [`SALES_HISTORY_DAYS`] slots.
    sold_by_day: Vec<[u16; SALES_HISTORY_DAYS]>,
    sold_window_total: Vec<u32>,
    /// Per cell, the days it sold at the till or shipped a web order, by the location's calendar.
    sale_days: Vec<SaleDays>,
    current_slot: usize,
    /// Days of history recorded so far, at most [`SALES_HISTORY_DAYS`].
    days_recorded: usize,
}

impl Ledger {
    pub(crate) fn new(stocked_locations: usize, sku_count: usize) -> Self {
        let cell_count = stocked_locations * sku_count;
        Self {
            cells: vec![StockCell::default(); cell_count],
            sku_count,
            sold_by_day: vec![[0; SALES_HISTORY_DAYS]; cell_count],
            sold_window_total: vec![0; cell_count],
            sale_days: vec![SaleDays::default(); cell_count],
            current_slot: 0,
            days_recorded: 0,
        }
    }

    pub(crate) fn cell_index(&self, location: usize, sku: usize) -> usize {
        location * self.sku_count + sku
    }

    pub(crate) fn cell(&mut self, location: usize, sku: usize) -> &mut StockCell {
        let index = self.cell_index(location, sku);
        &mut self.cells[index]
    }

    /// Starts a new day of sales history, forgetting the day that leaves the window.
    pub(crate) fn start_sales_day(&mut self) {
        self.current_slot = (self.current_slot + 1) % SALES_HISTORY_DAYS;
        self.days_recorded = (self.days_recorded + 1).min(SALES_HISTORY_DAYS);
        for (history, total) in self.sold_by_day.iter_mut().zip(self.sold_window_total.iter_mut()) {
            *total -= u32::from(history[self.current_slot]);
            history[self.current_slot] = 0;
        }
    }

    /// A till sale on the location's `local_day`: it counts towards the planner's velocity and the cell's days
    /// with sales.
    pub(crate) fn record_sale(&mut self, cell: usize, local_day: i64, units: i32) {
        self.record_sale_day(cell, local_day);
        let slot = &mut self.sold_by_day[cell][self.current_slot];
        let added = u16::try_from(units).unwrap_or(u16::MAX).min(u16::MAX - *slot);
        *slot += added;
        self.sold_window_total[cell] += u32::from(added);
    }

    /// The cell sold on the location's `local_day` (a web order shipped from it counts, though the planner's
    /// till velocity leaves it out).
    pub(crate) fn record_sale_day(&mut self, cell: usize, local_day: i64) {
        let days = &mut self.sale_days[cell];
        days.bits = days.on(local_day) | 1;
        days.last_day = local_day;
    }

    /// On how many of the [`SALES_HISTORY_DAYS`] days to `local_day` (included) the cell sold.
    pub(crate) fn days_with_sales(&self, cell: usize, local_day: i64) -> u32 {
        self.sale_days[cell].on(local_day).count_ones()
    }

    /// Mean units sold per day over the history window (over the days recorded, early on).
    pub(crate) fn trailing_velocity(&self, cell: usize) -> f64 {
        f64::from(self.sold_window_total[cell]) / self.days_recorded.max(1) as f64
    }
}

/// The days a cell sold: a bit per day, bit 0 for `last_day`, the latest day it sold.
#[derive(Clone, Copy, Debug, Default)]
struct SaleDays {
    last_day: i64,
    bits: u16,
}

impl SaleDays {
    /// The bits as seen from `day` (bit 0: `day`), within the history window.
    fn on(self, day: i64) -> u16 {
        let window = (1u16 << SALES_HISTORY_DAYS) - 1;
        match u32::try_from(day - self.last_day) {
            Ok(shift) if shift < u16::BITS => (self.bits << shift) & window,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_two_units_or_five_percent() {
        assert!(!exceeds_count_tolerance(2, 10));
        assert!(exceeds_count_tolerance(3, 10));
        assert!(!exceeds_count_tolerance(-5, 100));
        assert!(exceeds_count_tolerance(-6, 100));
        assert_eq!(smallest_detectable_variance(0), 3);
        assert_eq!(smallest_detectable_variance(200), 11);
    }

    #[test]
    fn days_with_sales_count_the_last_fourteen_days_of_the_locations_calendar() {
        let mut ledger = Ledger::new(1, 1);
        for day in [100, 100, 101, 105, 113] {
            ledger.record_sale_day(0, day);
        }
        assert_eq!(ledger.days_with_sales(0, 113), 4);
        assert_eq!(ledger.days_with_sales(0, 114), 3, "day 100 left the window");
        assert_eq!(ledger.days_with_sales(0, 115), 2, "and day 101");
        assert_eq!(ledger.days_with_sales(0, 140), 0);
    }
}
