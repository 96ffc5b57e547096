//! What world to simulate: its size, its seed, its start, and how often each kind of fault happens.
//!
//! A scenario is plain data passed to [`crate::simulate`]; the same scenario always yields the same bytes.
//! Fault rates are probabilities per opportunity (per transfer, per count, per purchase order, ...), so a
//! larger world gets proportionally more faults without retuning.

use chrono::{DateTime, TimeZone, Utc};

/// The world to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Number of stores, spread round-robin over the four regions.
    pub stores: u32,
    /// Number of simulated days; events run from the day before `start` (master data) to the end of the last day.
    pub days: u32,
    /// Seeds every random choice; the same seed gives byte-identical output.
    pub seed: u64,
    /// The first simulated day starts here (midnight UTC is expected; any instant works).
    pub start: DateTime<Utc>,
    /// Number of products in the catalogue.
    pub skus: u32,
    /// Number of suppliers; each supplies the products of a share of the leaf categories.
    pub suppliers: u32,
    /// Mean till sale lines per store and day before store size and weekday factors.
    pub sale_lines_per_store_day: u32,
    /// Mean web orders per day before weekday factors.
    pub web_orders_per_day: u32,
    /// Stores whose store-level fault rates are multiplied by [`TROUBLED_STORE_FAULT_FACTOR`].
    pub troubled_stores: u32,
    pub fault_rates: FaultRates,
}

/// How much more often store-level faults happen in a troubled store.
pub const TROUBLED_STORE_FAULT_FACTOR: f64 = 5.0;

impl Scenario {
    /// The retailer of DESIGN.md: 40 stores in four regions, one warehouse, one web shop, 2,000 SKUs, 30 days.
    pub fn default_retailer() -> Self {
        Self {
            stores: 40,
            days: 30,
            seed: 42,
            start: Utc
                .with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
                .single()
                .expect("a valid fixed date"),
            skus: 2_000,
            suppliers: 20,
            sale_lines_per_store_day: 950,
            web_orders_per_day: 600,
            troubled_stores: 1,
            fault_rates: FaultRates::default(),
        }
    }

    /// A small world for tests: 4 stores (one per region), 100 SKUs, 3 days, with raised fault rates so that
    /// every process and most faults show up in a few thousand events.
    pub fn small() -> Self {
        Self {
            stores: 4,
            days: 3,
            skus: 100,
            suppliers: 5,
            sale_lines_per_store_day: 150,
            web_orders_per_day: 60,
            fault_rates: FaultRates::default().scaled(SMALL_SCENARIO_FAULT_FACTOR),
            ..Self::default_retailer()
        }
    }
}

impl Scenario {
    /// The same world without faults: no fault injected, no troubled store.
    pub fn fault_free(self) -> Self {
        Self {
            troubled_stores: 0,
            fault_rates: self.fault_rates.scaled(0.0),
            ..self
        }
    }
}

/// How much the small scenario raises every fault rate.
const SMALL_SCENARIO_FAULT_FACTOR: f64 = 20.0;

/// Probability of each fault per opportunity; every rate is clamped to at most 1 when used.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRates {
    /// Per store transfer: shipped, never confirmed (lost) or confirmed long after `expected`.
    pub unconfirmed_transfer: f64,
    /// Per store transfer: a line arrives short.
    pub short_transfer: f64,
    /// Per store transfer: a line arrives damaged.
    pub damaged_transfer: f64,
    /// Per cycle count: the counter is off by more than the tolerance.
    pub miscount: f64,
    /// Per store and day: units are stolen without any event.
    pub shrink: f64,
    /// Per store and day from the third week: organised theft takes several dear items at once.
    pub shrink_spree: f64,
    /// Per store and day: a fast mover's shelf stock vanishes (misplaced) while the ledger keeps it.
    pub phantom_stock: f64,
    /// Per purchase order, times the supplier's unreliability: a delay notice or a late delivery.
    pub supplier_slip: f64,
    /// Per purchase order: the final delivery is short.
    pub short_delivery: f64,
    /// Per purchase order: a delivery line arrives damaged.
    pub damaged_delivery: f64,
    /// Per price change and store: the store's till keeps the old price for a while.
    pub stale_till_price: f64,
    /// Per till sale line: a cashier overrides the price by hand.
    pub till_price_override: f64,
    /// Per promotion: a second, overlapping promotion with another price, or a price below cost.
    pub conflicting_promotion: f64,
    /// Per return: requested after the return window, or refunding more than was paid.
    pub late_return: f64,
    /// Per received return: no refund within 72 h.
    pub refund_not_paid: f64,
    /// Per web order: not shipped 4 h before `ship_by`.
    pub fulfilment_delay: f64,
    /// Per store transfer: the headline chain (lost transfer booked by hand, web order allocated to the store,
    /// cannot be picked, cancelled, late count).
    pub stale_ledger_allocation: f64,
    /// Per product record: a required master-data field is missing.
    pub product_master_defect: f64,
    /// Per supplier record: `lead_time_days` is missing.
    pub supplier_master_defect: f64,
    /// Per shipped web order: the customer complains about a damaged or wrong item.
    pub delivery_complaint: f64,
    /// Per store and day: the planner stops replenishing one position for days (its planning record is lost).
    pub missed_replenishment: f64,
    /// Per store and day: demand for one SKU surges for days, beyond any forecast (a local event).
    pub demand_surge: f64,
}

impl Default for FaultRates {
    fn default() -> Self {
        Self {
            unconfirmed_transfer: 0.003,
            short_transfer: 0.008,
            damaged_transfer: 0.005,
            miscount: 0.001,
            shrink: 0.12,
            shrink_spree: 0.005,
            phantom_stock: 0.1,
            supplier_slip: 0.08,
            short_delivery: 0.05,
            damaged_delivery: 0.04,
            stale_till_price: 0.02,
            till_price_override: 0.000_02,
            conflicting_promotion: 0.04,
            late_return: 0.03,
            refund_not_paid: 0.02,
            fulfilment_delay: 0.004,
            stale_ledger_allocation: 0.002,
            product_master_defect: 0.01,
            supplier_master_defect: 0.05,
            delivery_complaint: 0.01,
            missed_replenishment: 0.08,
            demand_surge: 0.05,
        }
    }
}

impl FaultRates {
    /// Every rate multiplied by `factor` (rates above 1 act as 1).
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            unconfirmed_transfer: self.unconfirmed_transfer * factor,
            short_transfer: self.short_transfer * factor,
            damaged_transfer: self.damaged_transfer * factor,
            miscount: self.miscount * factor,
            shrink: self.shrink * factor,
            shrink_spree: self.shrink_spree * factor,
            phantom_stock: self.phantom_stock * factor,
            supplier_slip: self.supplier_slip * factor,
            short_delivery: self.short_delivery * factor,
            damaged_delivery: self.damaged_delivery * factor,
            stale_till_price: self.stale_till_price * factor,
            till_price_override: self.till_price_override * factor,
            conflicting_promotion: self.conflicting_promotion * factor,
            late_return: self.late_return * factor,
            refund_not_paid: self.refund_not_paid * factor,
            fulfilment_delay: self.fulfilment_delay * factor,
            stale_ledger_allocation: self.stale_ledger_allocation * factor,
            product_master_defect: self.product_master_defect * factor,
            supplier_master_defect: self.supplier_master_defect * factor,
            delivery_complaint: self.delivery_complaint * factor,
            missed_replenishment: self.missed_replenishment * factor,
            demand_surge: self.demand_surge * factor,
        }
    }

    /// No faults at all: a perfectly healthy world (its truth holds only unavoidable, statistical entries).
    pub fn none() -> Self {
        Self::default().scaled(0.0)
    }
}
