//! Customers' demand: how many lines a store sells on a given day, which SKUs, in what quantities and when.
//!
//! A store's day has a mean line count (store size times weekday factor); each line picks a SKU by popularity
//! (the catalogue's lognormal weight, a per-store taste factor, any promotion lift or local surge, and the day's
//! own draw). Lines are grouped into baskets that arrive over the opening hours with a lunch and an evening peak.
//! The same numbers, without the day's draw, give the planner's expected velocity per (location, SKU).
//!
//! The day's draw makes demand overdispersed, as real demand is: a SKU's weight at a store is multiplied each day
//! by a gamma variate of mean 1 and the SKU's shape k, so its daily units are negative binomial with variance
//! `m + m^2 / k` rather than Poisson's `m`. A slow mover has zero-sale days often; a fast mover's busy and quiet
//! days differ by far more than chance.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::SmallRng;
use retex_core::codes::Timestamp;

use crate::catalog::Catalog;
use crate::network::Network;
use crate::random::{chance, cumulative, lognormal};
use crate::scenario::Scenario;

/// Sales by weekday, Monday first; they average 1.
pub(crate) const WEEKDAY_FACTORS: [f64; 7] = [0.90, 0.88, 0.92, 0.97, 1.12, 1.30, 0.91];
/// Till line quantities and their probabilities.
const LINE_QUANTITIES: [(i32, f64); 4] = [(1, 0.80), (2, 0.15), (3, 0.04), (4, 0.01)];
/// The mean of [`LINE_QUANTITIES`].
const MEAN_UNITS_PER_LINE: f64 = 1.26;
/// Spread (log scale) of how much one store likes a SKU compared with the chain.
const STORE_TASTE_SIGMA: f64 = 0.35;
/// Day-to-day noise of a store's line count (relative standard deviation).
const DAILY_VOLUME_NOISE: f64 = 0.06;
/// The median of the SKUs' daily shape k, its spread (log scale) and its bounds.
const DAILY_SHAPE_MEDIAN: f64 = 6.0;
const DAILY_SHAPE_SIGMA: f64 = 0.5;
const DAILY_SHAPE_BOUNDS: (f64, f64) = (1.5, 40.0);
/// A basket has one line plus this many more on average (geometric).
const EXTRA_LINES_PER_BASKET_MEAN: f64 = 1.8;
/// Web orders: probability of a second and a third line, and of a line for two units.
pub(crate) const WEB_SECOND_LINE_CHANCE: f64 = 0.35;
pub(crate) const WEB_THIRD_LINE_CHANCE: f64 = 0.10;
pub(crate) const WEB_TWO_UNITS_CHANCE: f64 = 0.15;
/// Mean units per web order implied by the chances above.
const WEB_UNITS_PER_ORDER_MEAN: f64 =
    (1.0 + WEB_SECOND_LINE_CHANCE + WEB_THIRD_LINE_CHANCE) * (1.0 + WEB_TWO_UNITS_CHANCE);

pub(crate) struct Demand {
    /// Per store cell (store x SKU): the store's taste times the SKU's popularity.
    pub(crate) store_weights: Vec<f64>,
    /// Per store: mean lines a day before weekday and noise.
    pub(crate) store_lines_mean: Vec<f64>,
    /// Per stocked cell (stores and the warehouse): expected units a day without promotions. The warehouse's is
    /// what it ships to stores and web customers.
    pub(crate) expected_units: Vec<f64>,
    /// Running totals of the SKUs' popularity, for web order lines.
    pub(crate) web_cumulative: Vec<f64>,
    /// Per SKU: the shape k of its day-to-day variation (see the module's documentation).
    pub(crate) daily_shape: Vec<f64>,
    /// Per store cell: a local surge of demand nobody forecast, until an instant.
    pub(crate) surges: BTreeMap<usize, Surge>,
}

/// Demand for a SKU at a store multiplied by `factor` until `until` (a local event, a viral post).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Surge {
    pub(crate) factor: f64,
    pub(crate) until: Timestamp,
}

impl Demand {
    pub(crate) fn generate(rng: &mut SmallRng, scenario: &Scenario, catalog: &Catalog, network: &Network) -> Self {
        let sku_count = catalog.products.len();
        let stores = network.store_count;
        let mut store_weights = Vec::with_capacity(stores * sku_count);
        let mut expected_units = vec![0.0; (stores + 1) * sku_count];
        let mut store_lines_mean = Vec::with_capacity(stores);
        for store in 0..stores {
            let lines_mean = f64::from(scenario.sale_lines_per_store_day) * network.locations[store].size_factor;
            store_lines_mean.push(lines_mean);
            let first = store_weights.len();
            for product in &catalog.products {
                store_weights.push(product.popularity * lognormal(rng, STORE_TASTE_SIGMA));
            }
            let total: f64 = store_weights[first..].iter().sum();
            for sku in 0..sku_count {
                let units = lines_mean * store_weights[first + sku] / total * MEAN_UNITS_PER_LINE;
                expected_units[store * sku_count + sku] = units;
                expected_units[stores * sku_count + sku] += units;
            }
        }
        let popularity_total: f64 = catalog.products.iter().map(|product| product.popularity).sum();
        let web_units = f64::from(scenario.web_orders_per_day) * WEB_UNITS_PER_ORDER_MEAN;
        for (sku, product) in catalog.products.iter().enumerate() {
            expected_units[stores * sku_count + sku] += web_units * product.popularity / popularity_total;
        }
        let web_cumulative = cumulative(catalog.products.iter().map(|product| product.popularity));
        let (low, high) = DAILY_SHAPE_BOUNDS;
        let daily_shape = (0..sku_count)
            .map(|_| (DAILY_SHAPE_MEDIAN * lognormal(rng, DAILY_SHAPE_SIGMA)).clamp(low, high))
            .collect();
        Self {
            store_weights,
            store_lines_mean,
            expected_units,
            web_cumulative,
            daily_shape,
            surges: BTreeMap::new(),
        }
    }

    /// The multiplier of a store cell's demand at `at` from a surge, 1 without one.
    pub(crate) fn surge_factor(&self, cell: usize, at: Timestamp) -> f64 {
        self.surges
            .get(&cell)
            .filter(|surge| at < surge.until)
            .map_or(1.0, |surge| surge.factor)
    }
}

/// How many lines a store sells today.
pub(crate) fn daily_line_count(rng: &mut SmallRng, lines_mean: f64, weekday: usize) -> u32 {
    let noise = 1.0 + DAILY_VOLUME_NOISE * crate::random::standard_normal(rng);
    (lines_mean * WEEKDAY_FACTORS[weekday] * noise).round().max(0.0) as u32
}

/// Lines in the next basket.
pub(crate) fn basket_size(rng: &mut SmallRng) -> u32 {
    let continue_chance = EXTRA_LINES_PER_BASKET_MEAN / (1.0 + EXTRA_LINES_PER_BASKET_MEAN);
    let mut lines = 1;
    while chance(rng, continue_chance) {
        lines += 1;
    }
    lines
}

pub(crate) fn line_quantity(rng: &mut SmallRng) -> i32 {
    let mut draw = rng.random::<f64>();
    for (quantity, probability) in LINE_QUANTITIES {
        if draw < probability {
            return quantity;
        }
        draw -= probability;
    }
    1
}

/// Relative shopping traffic by local hour: quiet mornings, a lunch peak, a stronger early-evening peak.
pub(crate) fn store_traffic(local_hour: i64) -> f64 {
    match local_hour {
        ..=9 => 0.45,
        10..=11 => 0.7,
        12..=13 => 1.0,
        14..=15 => 0.75,
        16..=18 => 0.95,
        19..=20 => 0.65,
        _ => 0.35,
    }
}

/// Relative web shop traffic by UTC hour (European evenings, then American evenings).
pub(crate) fn web_traffic(utc_hour: i64) -> f64 {
    match utc_hour {
        0..=3 => 0.6,
        4..=6 => 0.2,
        7..=11 => 0.5,
        12..=16 => 0.7,
        17..=21 => 1.0,
        _ => 0.8,
    }
}
