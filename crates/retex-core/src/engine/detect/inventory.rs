//! `phantom_stock` and `low_stock`: judgements over a position's sales history (kept by the engine in
//! `DetectorStats` as sales happen) and what is inbound to it.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::engine::detect::{Cause, Detection, Verdict, clear};
use crate::engine::documents::PurchaseOrderDoc;
use crate::engine::incidents::Touch;
use crate::engine::ledger::{Ledger, LocationId, SkuId};
use crate::engine::master::MasterData;
use crate::engine::stats::{DayRing, DetectorStats, PositionStats, StoreActivity};
use crate::engine::stock_projection::{DailyDemand, standard_normal_quantile};
use crate::rules::{ExceptionType, HISTORY_DAYS, Param, Rules, ScopeContext};

/// How a position sells: its share of its store's till lines and how much that share varies from day to day,
/// over the last `HISTORY_DAYS` days. A silence is measured in the store's own till lines since the position's
/// last sale, so the store's hours, its busy and quiet times, its closures and holidays are all in the measure:
/// a store that sells nothing tells nothing about one of its shelves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SellingPattern {
    /// The position's till lines over the window.
    pub lines: u64,
    /// Its expected share of the store's lines.
    pub share: f64,
    /// 1/k of a negative binomial: how much more than Poisson the daily lines vary (0: not at all).
    pub overdispersion: f64,
}

/// The most overdispersion the pattern allows (k at least 0.1): beyond it, a silence would never be judged.
const OVERDISPERSION_MAX: f64 = 10.0;

impl SellingPattern {
    /// From the position's and its store's daily till lines over the days up to `until_day`; `None` before
    /// the store sold anything.
    pub fn of(position: &DayRing, store: &DayRing, until_day: i32) -> Option<Self> {
        let pairs = || {
            (0..HISTORY_DAYS as i32)
                .map(move |offset| until_day - offset)
                .map(|day| (f64::from(position.value_on(day)), f64::from(store.value_on(day))))
                .filter(|&(_, store_lines)| store_lines > 0.0)
        };
        let (lines, store_lines) = pairs().fold((0.0, 0.0), |(x, n), (dx, dn)| (x + dx, n + dn));
        if store_lines == 0.0 {
            return None;
        }
        let share = lines / store_lines;
        // Method of moments: the variance beyond Poisson, against the squared expectations.
        let (mut excess, mut scale) = (-lines, 0.0);
        for (x, n) in pairs() {
            excess += (x - share * n).powi(2);
            scale += (share * n).powi(2);
        }
        let overdispersion = if scale > 0.0 {
            (excess / scale).clamp(0.0, OVERDISPERSION_MAX)
        } else {
            0.0
        };
        Some(Self {
            lines: lines as u64,
            share,
            overdispersion,
        })
    }

    /// The natural logarithm of the probability that none of `store_lines` lines of the store is this
    /// position's: `-q m` without overdispersion, else `-k ln(1 + q m / k)`.
    pub fn log_probability_of_silence(&self, store_lines: u64) -> f64 {
        let expected = self.share * store_lines as f64;
        if self.overdispersion == 0.0 {
            return -expected;
        }
        -(self.overdispersion * expected).ln_1p() / self.overdispersion
    }

    /// The fewest store lines after which a silence is less likely than `probability` (at least 1; `u64::MAX`
    /// when never).
    pub fn silence_lines(&self, probability: f64) -> u64 {
        if self.share <= 0.0 {
            return u64::MAX;
        }
        let lines = if self.overdispersion == 0.0 {
            -probability.ln() / self.share
        } else {
            (probability.powf(-self.overdispersion) - 1.0) / (self.share * self.overdispersion)
        };
        // A float beyond u64's range saturates; a partial line counts as a whole one.
        (lines.ceil() as u64).max(1)
    }
}

/// `phantom_stock`'s parameters.
#[derive(Clone, Copy, Debug)]
pub struct PhantomParams {
    /// A silence less likely than this under the position's pattern is phantom stock.
    pub max_silence_probability: f64,
    /// A position with fewer till lines over the window is not judged: its pattern is not known well enough.
    pub min_sale_lines: u64,
}

impl PhantomParams {
    pub fn from(param: impl Fn(Param) -> Decimal) -> Self {
        Self {
            max_silence_probability: param(Param::MaxSilenceProbability).to_f64().unwrap_or(0.0),
            min_sale_lines: param(Param::MinSaleLines).to_u64().unwrap_or(u64::MAX),
        }
    }
}

/// What a `phantom_stock` judgement found.
#[derive(Debug)]
pub enum PhantomFinding {
    /// The position sells too little to judge, or its store has no pattern yet.
    NotJudged,
    /// Not silent enough yet: judge again when the store's line count reaches this.
    CheckAgainAtLine(u64),
    /// Silent beyond its pattern while the ledger shows stock.
    Raise(Detection),
    /// Silent beyond its pattern, but the ledger shows no stock: the silence is explained.
    Quiet,
}

/// What `phantom_stock` reads of a position's store and ledger.
#[derive(Clone, Copy)]
pub struct PhantomView<'a> {
    pub ledger: &'a Ledger,
    pub master: &'a MasterData,
    pub params: PhantomParams,
}

/// `phantom_stock` for a position whose silence began at its store's line `stats.silence_began_at_line`, now
/// that the store has rung up `store.lines_total` lines: the probability of that silence under the position's
/// selling pattern is below `max_silence_probability` and the ledger shows at least 1 unit.
pub fn phantom_stock(
    view: &PhantomView<'_>,
    stats: &PositionStats,
    store: &StoreActivity,
    location: LocationId,
    sku: SkuId,
    at: Timestamp,
) -> PhantomFinding {
    let Some(pattern) = SellingPattern::of(&stats.till_lines, &store.sale_lines, stats.silence_began_on_day) else {
        return PhantomFinding::NotJudged;
    };
    if pattern.lines < view.params.min_sale_lines {
        return PhantomFinding::NotJudged;
    }
    let probability = view.params.max_silence_probability;
    let silent_lines = store.lines_total - stats.silence_began_at_line;
    if pattern.log_probability_of_silence(silent_lines) >= probability.ln() {
        let due = stats
            .silence_began_at_line
            .saturating_add(pattern.silence_lines(probability));
        return PhantomFinding::CheckAgainAtLine(due.max(store.lines_total + 1));
    }
    let on_hand = view
        .ledger
        .get(location, sku)
        .map_or(Qty::ZERO, |position| position.on_hand);
    if on_hand.0 < Decimal::ONE {
        return PhantomFinding::Quiet;
    }
    let impact = on_hand * view.master.unit_cost(sku);
    let kind = ExceptionType::PhantomStock;
    PhantomFinding::Raise(Detection::at_position(
        kind,
        location,
        sku,
        at,
        impact,
        stats.last_sale_seq,
    ))
}

/// A sale, or a count, clears `phantom_stock`.
pub fn phantom_cleared(location: LocationId, sku: SkuId, cause: Cause) -> Verdict {
    clear(ExceptionType::PhantomStock, Some(location), Some(sku), None, cause)
}

/// What `low_stock` reads beyond a position's own stock: what is on order and in transit to its location, and
/// when each is due.
#[derive(Clone, Copy)]
pub struct InboundView<'a> {
    pub stats: &'a DetectorStats,
    pub purchase_orders: &'a FxHashMap<DocumentNumber, PurchaseOrderDoc>,
}

/// Inbound stock overdue by more than this no longer counts as the next supply: it may never come (the grace
/// `transfer_overdue` gives a transfer by default).
const OVERDUE_SUPPLY_GRACE_MS: i64 = 4 * 3_600_000;

impl InboundView<'_> {
    /// When the position's next supply is due: the earliest open purchase order line with quantity still to
    /// come, or shipped transfer line, for it; what is overdue by more than [`OVERDUE_SUPPLY_GRACE_MS`] and a
    /// transfer without `expected` do not count. `None` when nothing does.
    pub fn next_supply(&self, location: LocationId, sku: SkuId, at: Timestamp) -> Option<Timestamp> {
        let credible = |due: Timestamp| due.0 >= at.0.saturating_sub(OVERDUE_SUPPLY_GRACE_MS);
        let brings_sku = |po: &DocumentNumber| {
            self.purchase_orders
                .get(po)
                .is_some_and(|doc| (doc.lines.iter()).any(|line| line.sku == sku && line.ordered > line.received))
        };
        let from_orders = (self.stats.open_pos.get(&location).into_iter().flatten())
            .filter(|&&(ref po, expected)| credible(expected) && brings_sku(po))
            .map(|&(_, expected)| expected);
        let from_transfers =
            (self.stats.transfers_in_transit.get(&location).into_iter().flatten()).filter_map(|transfer| {
                transfer
                    .due
                    .filter(|&due| credible(due) && transfer.qty(sku) > Qty::ZERO)
            });
        from_orders.chain(from_transfers).min()
    }
}

/// A position's lead time and the normal quantile its stockout probability stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SupplyParams {
    /// The supplier's lead time, in days.
    pub lead_time_days: f64,
    /// The standard normal quantile of `1 - stockout_probability`: demand's quantile that is exceeded with the
    /// stockout probability.
    pub stockout_z: f64,
}

impl SupplyParams {
    pub fn from(lead_time_days: Decimal, stockout_probability: Decimal) -> Self {
        let probability = stockout_probability.to_f64().unwrap_or(0.5);
        Self {
            lead_time_days: lead_time_days.to_f64().unwrap_or(0.0).max(0.0),
            stockout_z: standard_normal_quantile(1.0 - probability),
        }
    }
}

/// What `low_stock` projects for a position (`Engine::projection` works it out).
#[derive(Clone, Copy, Debug)]
pub struct Projection {
    /// On hand - reserved.
    pub free: Qty,
    pub demand: DailyDemand,
    /// Days until the next supply is due, else the lead time + 1.
    pub horizon_days: f64,
    /// Demand's quantile at 1 - `stockout_probability`, as a standard normal quantile.
    pub stockout_z: f64,
}

impl Projection {
    /// Whether demand until the next supply exceeds what is free with more than the stated probability.
    pub fn is_low(&self) -> bool {
        let free = self.free.0.to_f64().unwrap_or(f64::MAX);
        free < self.demand.quantile(self.horizon_days, self.stockout_z)
    }

    /// Units the position is expected to miss until its next supply.
    pub fn expected_shortfall(&self) -> f64 {
        (self.demand.mean * self.horizon_days - self.free.0.to_f64().unwrap_or(f64::MAX)).max(0.0)
    }
}

/// `low_stock` on a position's projection. `None` when that agrees with `is_open`; else whether it is low now
/// and the verdict that says so.
pub fn low_stock(
    master: &MasterData,
    location: LocationId,
    sku: SkuId,
    projection: &Projection,
    is_open: bool,
    cause: Cause,
) -> Option<(bool, Verdict)> {
    let low = projection.is_low();
    if low == is_open {
        return None;
    }
    let kind = ExceptionType::LowStock;
    let verdict = if low {
        let product = master.product(sku);
        let price = product.and_then(|product| product.price).unwrap_or(Money::ZERO);
        let shortfall = Decimal::from_f64(projection.expected_shortfall()).unwrap_or(Decimal::ZERO);
        let impact = Money((shortfall * price.0).round_dp(2));
        let mut detection = Detection::at_position(kind, location, sku, cause.at, impact, cause.seq);
        // What master data feeds `low_stock`: the product's supplier and the supplier's lead time.
        detection.touches.push(Touch::SupplierOfSku(sku));
        if let Some(supplier) = product.and_then(|product| product.supplier.clone()) {
            detection.touches.push(Touch::LeadTimeOf(supplier));
        }
        Verdict::Raise(detection)
    } else {
        clear(kind, Some(location), Some(sku), None, cause)
    };
    Some((low, verdict))
}

/// The parameters every till sale reads, worked out once for types whose rules have no overrides (`None`
/// otherwise), so that a sale does not look them up and convert them.
#[derive(Clone, Copy, Debug, Default)]
pub struct SaleParams {
    pub phantom: Option<PhantomParams>,
    /// `low_stock`'s velocity window and the selling days it asks of it.
    pub low_stock_window: Option<(usize, usize)>,
}

impl SaleParams {
    pub fn of(rules: &Rules) -> Self {
        let unscoped = |kind: ExceptionType| {
            let context = ScopeContext::default();
            (!rules.has_overrides(kind)).then_some(move |param| rules.param(kind, param, &context))
        };
        Self {
            phantom: unscoped(ExceptionType::PhantomStock).map(PhantomParams::from),
            low_stock_window: unscoped(ExceptionType::LowStock).map(low_stock_window),
        }
    }
}

/// `low_stock`'s velocity window and the selling days it asks of it, in days, from its parameters.
pub fn low_stock_window(param: impl Fn(Param) -> Decimal) -> (usize, usize) {
    (
        decimal_days(param(Param::VelocityWindowDays)),
        decimal_days(param(Param::MinSellingDays)),
    )
}

/// A day count from the rules, within the history kept.
fn decimal_days(days: rust_decimal::Decimal) -> usize {
    let whole = if days.scale() == 0 {
        usize::try_from(days.mantissa()).ok()
    } else {
        usize::try_from(days.trunc()).ok()
    };
    whole.unwrap_or(HISTORY_DAYS).min(HISTORY_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Daily rings of a position and its store from `(position lines, store lines)` per day, the last on day 100.
    fn rings(days: &[(u32, u32)]) -> (DayRing, DayRing) {
        let (mut position, mut store) = (DayRing::default(), DayRing::default());
        for (offset, &(lines, store_lines)) in days.iter().enumerate() {
            let day = 100 - (days.len() - 1 - offset) as i32;
            position.add(day, lines);
            store.add(day, store_lines);
        }
        (position, store)
    }

    #[test]
    fn a_steady_share_is_poisson_and_a_silence_of_116_lines_in_ten_is_below_1e_5() {
        let (position, store) = rings(&[(24, 240); 5]);
        let pattern = SellingPattern::of(&position, &store, 100).unwrap();
        assert_eq!((pattern.lines, pattern.share, pattern.overdispersion), (120, 0.1, 0.0));
        assert_eq!(pattern.silence_lines(1e-5), 116);
        assert!(pattern.log_probability_of_silence(115) > 1e-5f64.ln());
        assert!(pattern.log_probability_of_silence(116) < 1e-5f64.ln());
    }

    #[test]
    fn a_share_that_varies_from_day_to_day_needs_a_longer_silence() {
        // The same 120 lines over the same store days, sold in bursts: 48 on some days, none on others.
        let (position, store) = rings(&[(48, 240), (0, 240), (48, 240), (0, 240), (24, 240)]);
        let pattern = SellingPattern::of(&position, &store, 100).unwrap();
        assert_eq!(pattern.share, 0.1);
        assert!(pattern.overdispersion > 0.0, "{pattern:?}");
        assert!(pattern.silence_lines(1e-5) > 116 * 2, "{}", pattern.silence_lines(1e-5));
    }

    #[test]
    fn days_the_store_sold_nothing_are_not_part_of_the_pattern() {
        let (position, store) = rings(&[(24, 240), (0, 0), (24, 240)]);
        let pattern = SellingPattern::of(&position, &store, 100).unwrap();
        assert_eq!((pattern.share, pattern.overdispersion), (0.1, 0.0));
        assert_eq!(SellingPattern::of(&DayRing::default(), &DayRing::default(), 100), None);
    }
}
