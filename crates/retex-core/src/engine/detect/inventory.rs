//! `phantom_stock` and `low_stock`: judgements over a position's sales history (kept by the engine in
//! `DetectorStats` as sales happen) and what is inbound to it.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::engine::detect::{Cause, Detection, Verdict, clear};
use crate::engine::documents::PurchaseOrderDoc;
use crate::engine::facts::{Facts, SupplySource};
use crate::engine::incidents::Touch;
use crate::engine::ledger::{Ledger, LocationId, SkuId};
use crate::engine::master::MasterData;
use crate::engine::stats::{DayRing, DetectorStats, PositionStats, StoreActivity};
use crate::engine::stock_projection::{DailyDemand, standard_normal_quantile};
use crate::rules::{ExceptionType, HISTORY_DAYS, Param, Rules, ScopeContext};

/// How a position sells: its share of its store's till lines, how much that share varies from day to day, and how
/// well the share is known, over the last `HISTORY_DAYS` days before its silence began. A silence is measured in
/// the store's own till lines, so the store's hours, its busy and quiet times, its closures and holidays are all
/// in the measure: a store that sells nothing tells nothing about one of its shelves.
///
/// The model: on each day of the silence the position's lines are negative binomial (Poisson of the share times
/// the store's lines, times a gamma day factor of shape k, independent from day to day), and the share itself is
/// only known up to a gamma of shape `rate_shape` around its estimate. The probability of the silence integrates
/// over that uncertainty (by Laplace's method on the log of the share, exact when the days are Poisson).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SellingPattern {
    /// The position's till lines over the window.
    pub lines: u64,
    /// Its expected share of the store's lines.
    pub share: f64,
    /// 1/k of the day factor: how much more than Poisson the daily lines vary (0: not at all).
    pub overdispersion: f64,
    /// The shape of the share's uncertainty: 1 over its squared relative standard error.
    pub rate_shape: f64,
}

/// The most overdispersion the pattern allows (k at least 0.1): beyond it, a silence would never be judged.
const OVERDISPERSION_MAX: f64 = 10.0;
/// The least day-to-day variation a position is taken to have (k at most 4, a common daily shape for retail
/// items): sixteen days of sales measure it too loosely to trust a steadier figure.
const OVERDISPERSION_MIN: f64 = 0.25;
/// A silent position is judged again after at most this many of its store's typical days.
const RECHECK_DAYS: f64 = 2.0;

impl SellingPattern {
    /// From `(position lines, store lines)` per day before the silence; `None` before the store sold anything.
    pub fn of(days: impl Iterator<Item = (u32, u32)> + Clone) -> Option<Self> {
        let pairs = || {
            days.clone()
                .map(|(lines, store_lines)| (f64::from(lines), f64::from(store_lines)))
                .filter(|&(_, store_lines)| store_lines > 0.0)
        };
        let (lines, store_lines) = pairs().fold((0.0, 0.0), |(x, n), (dx, dn)| (x + dx, n + dn));
        if store_lines == 0.0 || lines == 0.0 {
            return None;
        }
        let share = lines / store_lines;
        // Method of moments: the variance beyond Poisson, against the squared expectations.
        let (mut excess, mut scale, mut squares) = (-lines, 0.0, 0.0);
        for (x, n) in pairs() {
            excess += (x - share * n).powi(2);
            scale += (share * n).powi(2);
            squares += n * n;
        }
        let overdispersion = (excess / scale).clamp(OVERDISPERSION_MIN, OVERDISPERSION_MAX);
        // The share's relative variance: Poisson's 1/lines, and the day factors' over the days' weights.
        let relative_variance = 1.0 / lines + overdispersion * squares / (store_lines * store_lines);
        Some(Self {
            lines: lines as u64,
            share,
            overdispersion,
            rate_shape: 1.0 / relative_variance,
        })
    }

    /// The expected lines of the position among `store_lines` of its store.
    pub fn expected_lines(&self, store_lines: f64) -> f64 {
        self.share * store_lines
    }

    /// The natural logarithm of the probability that none of the store's lines on the days of a silence (its
    /// lines on each day, in `day_lines`) is this position's.
    pub fn log_probability_of_silence(&self, day_lines: &[f64]) -> f64 {
        let shape = self.rate_shape;
        let expected: f64 = day_lines.iter().map(|&lines| self.share * lines).sum();
        if expected <= 0.0 {
            return 0.0;
        }
        // F(u) = a u - a e^u - S(u), with u the log of the share's factor: the log of the integrand, up to the
        // gamma's constant. Concave, so its peak is unique; it lies where a e^u (a + expected) = a bounds it.
        let mut low = (shape / (shape + expected)).ln();
        let mut high = 0.0;
        // The peak without day factors, where the silence's slope at the estimate stands in for its lines.
        let mut u = (shape / (shape + self.silence_terms(day_lines, 0.0).slope)).ln();
        let mut curvature = -shape;
        for _ in 0..60 {
            let silence = self.silence_terms(day_lines, u);
            let slope = -shape * u.exp_m1() - silence.slope;
            curvature = -shape * u.exp() - silence.curvature;
            if slope > 0.0 {
                low = u;
            } else {
                high = u;
            }
            // Newton's step while it stays inside the bracket, else halve the bracket.
            let newton = u - slope / curvature;
            let next = if newton > low && newton < high {
                newton
            } else {
                f64::midpoint(low, high)
            };
            let settled = (next - u).abs() < 1e-10;
            u = next;
            if settled {
                break;
            }
        }
        // F(u*) plus the gamma's constant, and the width of the peak against the gamma's own.
        let peak = -shape * (u.exp_m1() - u) - self.silence_terms(day_lines, u).value;
        (peak + 0.5 * (shape / -curvature).ln()).min(0.0)
    }

    /// S(u) = -log P(silence | the share times e^u), and its first two derivatives in u.
    fn silence_terms(&self, day_lines: &[f64], u: f64) -> SilenceTerms {
        let factor = u.exp();
        let mut terms = SilenceTerms::default();
        for &lines in day_lines {
            let mean = self.share * factor * lines;
            if self.overdispersion == 0.0 {
                terms.value += mean;
                terms.slope += mean;
                terms.curvature += mean;
            } else {
                let x = mean * self.overdispersion;
                terms.value += x.ln_1p() / self.overdispersion;
                terms.slope += mean / (1.0 + x);
                terms.curvature += mean / ((1.0 + x) * (1.0 + x));
            }
        }
        terms
    }

    /// How many more store lines, at the earliest, until the silence of `day_lines` (today's last) is less likely
    /// than `probability`, if the store's days go on holding `typical_day` lines: today (which has rung up
    /// `today_lines` so far) up to a typical day, then whole typical days. At least 1; `u64::MAX` when not within
    /// `within_days` typical days (at most the window the pattern covers).
    pub fn lines_until_improbable(
        &self,
        day_lines: &[f64],
        today_lines: f64,
        typical_day: f64,
        probability: f64,
        within_days: f64,
    ) -> u64 {
        let threshold = probability.ln();
        let mut projected = [0.0; HISTORY_DAYS * 2];
        let past = day_lines.len().clamp(1, HISTORY_DAYS);
        projected[..day_lines.len().min(past)].copy_from_slice(&day_lines[..day_lines.len().min(past)]);
        let room_today = (typical_day - today_lines).max(0.0);
        // How far the silence's log probability is above the threshold after `extra` more lines (positive:
        // not improbable yet).
        let margin_after = |extra: u64| {
            let mut projected = projected;
            let mut days = past;
            let mut left = extra as f64;
            let today = left.min(room_today);
            projected[days - 1] += today;
            left -= today;
            while left > 0.0 && days < projected.len() {
                projected[days] = left.min(typical_day);
                left -= projected[days];
                days += 1;
            }
            if left > 0.0 {
                return f64::INFINITY;
            }
            self.log_probability_of_silence(&projected[..days]) - threshold
        };
        // Bracket the crossing: a typical day further, then twice as far each time, up to the horizon.
        let horizon = (typical_day.max(1.0) * within_days.min(HISTORY_DAYS as f64)) as u64;
        let mut probable = (0, margin_after(0));
        let mut reach = (typical_day.max(1.0) as u64).min(horizon);
        let improbable = loop {
            let margin = margin_after(reach);
            if margin < 0.0 {
                break (reach, margin);
            }
            if reach >= horizon {
                return u64::MAX;
            }
            probable = (reach, margin);
            reach = (reach * 2).min(horizon);
        };
        let mut improbable = improbable;
        // The first extra count that is improbable, never earlier: false position on the margin, which is
        // smooth between days (Illinois's variant: an end kept twice has its margin halved), falling back to
        // halving the bracket.
        let mut kept = (0, 0);
        let mut steps = 0;
        while improbable.0 - probable.0 > 1 {
            steps += 1;
            let span = (improbable.0 - probable.0) as f64;
            let (weight_probable, weight_improbable) = (
                probable.1 / f64::from(1 << kept.0.min(30)),
                -improbable.1 / f64::from(1 << kept.1.min(30)),
            );
            let guess = if steps <= 12 && probable.1.is_finite() {
                probable.0 + (span * weight_probable / (weight_probable + weight_improbable)) as u64
            } else {
                probable.0 + (improbable.0 - probable.0) / 2
            };
            let middle = guess.clamp(probable.0 + 1, improbable.0 - 1);
            let margin = margin_after(middle);
            if margin < 0.0 {
                improbable = (middle, margin);
                kept = (kept.0 + 1, 0);
            } else {
                probable = (middle, margin);
                kept = (0, kept.1 + 1);
            }
        }
        improbable.0.max(1)
    }
}

/// The minus log probability of a silence given the share's factor, and its derivatives in the factor's log.
#[derive(Default)]
struct SilenceTerms {
    value: f64,
    slope: f64,
    curvature: f64,
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
    /// Silent beyond its pattern while the ledger shows stock (boxed: a raise is rare, a judgement is not).
    Raise(Box<Detection>, SilenceEvidence),
    /// Silent beyond its pattern, but the ledger shows no stock: the silence is explained.
    Quiet,
}

/// What a raised `phantom_stock` saw, for its explanation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SilenceEvidence {
    /// The position's expected till lines in the store's lines since its silence began.
    pub expected_lines: f64,
    /// The store's till lines since then.
    pub store_lines: u64,
    /// The probability of the silence under the pattern, and the most the rules let pass.
    pub probability: f64,
    pub max_probability: f64,
}

/// What `phantom_stock` reads of a position's store and ledger.
#[derive(Clone, Copy)]
pub struct PhantomView<'a> {
    pub ledger: &'a Ledger,
    pub master: &'a MasterData,
    pub params: PhantomParams,
}

/// The days of a position's silence: from the store's local day it began to today's, and the days of the
/// history its SKU was on promotion there (bit `i` for `today - i`).
#[derive(Clone, Copy, Debug)]
pub struct SilenceDays {
    pub began: i32,
    pub today: i32,
    pub promoted: u32,
}

impl SilenceDays {
    fn is_promoted(&self, day: i32) -> bool {
        (0..HISTORY_DAYS as i32).contains(&(self.today - day)) && self.promoted & (1 << (self.today - day)) != 0
    }

    /// Whether the pattern reads `day`: outside a promotion, a promotion's days would make a silence after it
    /// look unlikely; during one, every day counts (the promotion sells more, so the silence is only likelier).
    fn in_pattern(&self, day: i32) -> bool {
        !self.is_promoted(day) || (self.began..=self.today).any(|silent| self.is_promoted(silent))
    }
}

/// `phantom_stock` for a position whose silence began at its store's line `stats.silence_began_at_line`, now
/// that the store has rung up `store.lines_total` lines: the probability of that silence under the position's
/// selling pattern is below `max_silence_probability` and the ledger shows at least 1 unit. Silences longer
/// than the history kept are not judged.
pub fn phantom_stock(
    view: &PhantomView<'_>,
    stats: &PositionStats,
    store: &StoreActivity,
    days: SilenceDays,
    position: (LocationId, SkuId),
    at: Timestamp,
) -> PhantomFinding {
    let SilenceDays { began, today, .. } = days;
    let span = today - began + 1;
    if !(1..=HISTORY_DAYS as i32).contains(&span) {
        return PhantomFinding::NotJudged;
    }
    // The store's lines on each day of the silence; on its first day, only those after it began.
    let mut day_lines = [0.0; HISTORY_DAYS];
    let day_lines = &mut day_lines[..span as usize];
    for (lines, day) in day_lines.iter_mut().zip(began..) {
        *lines = f64::from(store.sale_lines.value_on(day));
    }
    let store_lines = store.lines_total - stats.silence_began_at_line;
    let later_days: f64 = day_lines[1..].iter().sum();
    let first_day = day_lines[0];
    day_lines[0] = (store_lines as f64 - later_days).clamp(0.0, first_day);
    let before_silence = (first_day - day_lines[0]) as u32;
    let history = (today - HISTORY_DAYS as i32 + 1..began)
        .map(|day| (stats.till_lines.value_on(day), store.sale_lines.value_on(day)))
        .chain(std::iter::once((stats.till_lines.value_on(began), before_silence)))
        .zip(today - HISTORY_DAYS as i32 + 1..)
        .filter(|&(_, day)| days.in_pattern(day))
        .map(|(lines, _)| lines);
    let Some(pattern) = SellingPattern::of(history) else {
        return PhantomFinding::NotJudged;
    };
    if pattern.lines < view.params.min_sale_lines {
        return PhantomFinding::NotJudged;
    }
    let max_probability = view.params.max_silence_probability;
    let log_probability = pattern.log_probability_of_silence(day_lines);
    if log_probability >= max_probability.ln() {
        let typical_day = typical_day(&store.sale_lines, today);
        let today_lines = f64::from(store.sale_lines.value_on(today));
        // Judged again within a few store days at the latest: sales restart the silence without judging it while
        // a check is queued, and the pattern changes as they come in, so a check far ahead (or never, for a
        // silence the pattern finds likely) would leave the position unjudged when it sells and stops again.
        let extra =
            match pattern.lines_until_improbable(day_lines, today_lines, typical_day, max_probability, RECHECK_DAYS) {
                u64::MAX => (typical_day.max(1.0) * RECHECK_DAYS) as u64,
                extra => extra,
            };
        return PhantomFinding::CheckAgainAtLine(store.lines_total.saturating_add(extra));
    }
    let (location, sku) = position;
    let on_hand = view
        .ledger
        .get(location, sku)
        .map_or(Qty::ZERO, |position| position.on_hand);
    if on_hand.0 < Decimal::ONE {
        return PhantomFinding::Quiet;
    }
    let impact = on_hand * view.master.unit_cost(sku);
    let kind = ExceptionType::PhantomStock;
    let detection = Detection::at_position(kind, location, sku, at, impact, stats.last_sale_seq);
    let evidence = SilenceEvidence {
        expected_lines: pattern.expected_lines(store_lines as f64),
        store_lines,
        probability: log_probability.exp(),
        max_probability,
    };
    PhantomFinding::Raise(Box::new(detection), evidence)
}

/// The store's mean lines over the days before `today` on which it sold.
fn typical_day(store_lines: &DayRing, today: i32) -> f64 {
    let (lines, days) = (today - HISTORY_DAYS as i32 + 1..today)
        .map(|day| store_lines.value_on(day))
        .filter(|&lines| lines > 0)
        .fold((0.0, 0.0), |(sum, days), lines| (sum + f64::from(lines), days + 1.0));
    if days == 0.0 {
        f64::from(store_lines.value_on(today)).max(1.0)
    } else {
        lines / days
    }
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
    pub fn next_supply(&self, location: LocationId, sku: SkuId, at: Timestamp) -> Option<(Timestamp, SupplySource)> {
        let credible = |due: Timestamp| due.0 >= at.0.saturating_sub(OVERDUE_SUPPLY_GRACE_MS);
        let brings_sku = |po: &DocumentNumber| {
            self.purchase_orders
                .get(po)
                .is_some_and(|doc| (doc.lines.iter()).any(|line| line.sku == sku && line.ordered > line.received))
        };
        let from_orders = (self.stats.open_pos.get(&location).into_iter().flatten())
            .filter(|&&(ref po, expected)| credible(expected) && brings_sku(po))
            .map(|&(_, expected)| (expected, SupplySource::PurchaseOrder));
        let from_transfers =
            (self.stats.transfers_in_transit.get(&location).into_iter().flatten()).filter_map(|transfer| {
                transfer
                    .due
                    .filter(|&due| credible(due) && transfer.qty(sku) > Qty::ZERO)
                    .map(|due| (due, SupplySource::Transfer))
            });
        from_orders.chain(from_transfers).min_by_key(|&(due, _)| due)
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

/// Half a unit: where a continuous demand stands for a whole number of units.
const CONTINUITY_CORRECTION: f64 = 0.5;

/// What `low_stock` projects for a position (`Engine::projection` works it out).
#[derive(Clone, Copy, Debug)]
pub struct Projection {
    /// On hand - reserved.
    pub free: Qty,
    /// `free` as a float, for the arithmetic.
    pub free_units: f64,
    pub demand: DailyDemand,
    /// Open days (the location's business time over the length of its open day) until the next supply.
    pub horizon_days: f64,
    pub supply: SupplySource,
    /// When the next supply is due.
    pub supply_at: Timestamp,
    /// When the shelf is empty at the mean rate: worked out only for a projection that is low.
    pub empty_at: Timestamp,
    /// What [`Self::is_low`] said when the projection was made.
    pub low: bool,
    /// Demand's quantile at 1 - `stockout_probability`, as a standard normal quantile.
    pub stockout_z: f64,
}

impl Projection {
    /// Whether the shelf runs empty before the next supply with more than the stated probability: demand until
    /// then reaches what is free. Demand comes in whole units, so reaching `free` is the continuous demand
    /// passing `free - 0.5` (a continuity correction); a shelf already empty is low until supply arrives.
    pub fn is_low(&self) -> bool {
        self.free_units - CONTINUITY_CORRECTION < self.demand.quantile(self.horizon_days, self.stockout_z)
    }

    /// Units the position is expected to miss until its next supply.
    pub fn expected_shortfall(&self) -> f64 {
        (self.demand.mean * self.horizon_days - self.free_units).max(0.0)
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
    let low = projection.low;
    if low == is_open {
        return None;
    }
    let kind = ExceptionType::LowStock;
    let verdict = if low {
        let product = master.product(sku);
        let price = product.and_then(|product| product.price).unwrap_or(Money::ZERO);
        let shortfall = Decimal::from_f64(projection.expected_shortfall()).unwrap_or(Decimal::ZERO);
        let impact = Money((shortfall * price.0).round_dp(2));
        let facts = Facts::LowStock {
            free: projection.free,
            daily_demand: projection.demand.mean,
            horizon_days: projection.horizon_days,
            demand_quantile: projection
                .demand
                .quantile(projection.horizon_days, projection.stockout_z),
            expected_shortfall: projection.expected_shortfall(),
            supply: projection.supply,
            supply_at: projection.supply_at,
            empty_at: projection.empty_at,
        };
        let mut detection = Detection::at_position(kind, location, sku, cause.at, impact, cause.seq).with_facts(facts);
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

    const THRESHOLD: f64 = -11.512_925_464_970_229; // ln(1e-5)

    fn pattern(share: f64, overdispersion: f64, rate_shape: f64) -> SellingPattern {
        SellingPattern {
            lines: 100,
            share,
            overdispersion,
            rate_shape,
        }
    }

    #[test]
    fn a_known_poisson_rate_gives_minus_the_expected_lines() {
        let known = pattern(0.1, 0.0, 1e12);
        assert!((known.log_probability_of_silence(&[116.0]) + 11.6).abs() < 1e-6);
        assert!((known.log_probability_of_silence(&[50.0, 66.0]) + 11.6).abs() < 1e-6);
        assert_eq!(known.log_probability_of_silence(&[]), 0.0);
    }

    #[test]
    fn an_uncertain_poisson_rate_gives_the_closed_form() {
        // The share a gamma of shape a around q: P(no line in m) = (1 + q m / a)^-a, and Laplace's method is exact.
        for (shape, lines) in [(2.0, 30.0), (17.0, 400.0), (120.0, 1_000.0)] {
            let uncertain = pattern(0.1, 0.0, shape);
            let exact = -shape * (0.1 * lines / shape).ln_1p();
            let got = uncertain.log_probability_of_silence(&[lines / 2.0, lines / 2.0]);
            assert!((got - exact).abs() < 1e-6, "shape {shape}: {got} against {exact}");
        }
    }

    #[test]
    fn a_known_rate_with_day_factors_multiplies_the_days() {
        // Each day a negative binomial of shape k = 4: (1 + q m / k)^-k, independent from day to day.
        let known = pattern(0.1, 0.25, 1e12);
        let exact = -4.0 * (0.1 * 240.0 / 4.0_f64).ln_1p() * 2.0 - 4.0 * (0.1 * 60.0 / 4.0_f64).ln_1p();
        let got = known.log_probability_of_silence(&[240.0, 240.0, 60.0]);
        assert!((got - exact).abs() < 1e-6, "{got} against {exact}");
    }

    #[test]
    fn a_silence_spread_over_days_is_less_likely_than_within_one_and_doubt_about_the_rate_makes_it_likelier() {
        let sure = pattern(0.1, 0.25, 50.0);
        assert!(sure.log_probability_of_silence(&[100.0, 100.0]) < sure.log_probability_of_silence(&[200.0]));
        let unsure = pattern(0.1, 0.25, 5.0);
        assert!(unsure.log_probability_of_silence(&[100.0, 100.0]) > sure.log_probability_of_silence(&[100.0, 100.0]));
    }

    #[test]
    fn the_pattern_floors_the_day_to_day_variation_and_knows_the_share_by_its_lines_and_days() {
        // Five steady days of 24 lines in 240: Poisson by the moments, floored at 1/k = 0.25; the share's
        // relative variance is 1/120 + 0.25 / 5.
        let steady = SellingPattern::of(std::iter::repeat_n((24, 240), 5)).unwrap();
        assert_eq!((steady.lines, steady.share, steady.overdispersion), (120, 0.1, 0.25));
        assert!((steady.rate_shape - 1.0 / (1.0 / 120.0 + 0.05)).abs() < 1e-9);
        // The same lines in bursts vary more than the floor.
        let bursty = SellingPattern::of([(48, 240), (0, 240), (48, 240), (0, 240), (24, 240)].into_iter()).unwrap();
        assert_eq!(bursty.share, 0.1);
        assert!(bursty.overdispersion > 0.25, "{bursty:?}");
        // Days the store sold nothing are not part of it; nothing sold is no pattern.
        let closed = SellingPattern::of([(24, 240), (0, 0), (24, 240)].into_iter()).unwrap();
        assert_eq!((closed.lines, closed.share), (48, 0.1));
        assert_eq!(SellingPattern::of(std::iter::empty()), None);
        assert_eq!(SellingPattern::of([(0, 240)].into_iter()), None);
    }

    /// The pattern of `tests/it/phantom.rs`: five days of 24 lines in 240, then silent days of 240 store lines.
    #[test]
    fn five_steady_days_then_silence_is_improbable_at_the_store_line_the_engine_test_expects() {
        let steady = SellingPattern::of(std::iter::repeat_n((24, 240), 5)).unwrap();
        let silent_days = |lines: u64| {
            let mut days = vec![240.0; (lines / 240) as usize];
            days.push((lines % 240) as f64);
            days
        };
        let first = (1..10_000)
            .find(|&lines| steady.log_probability_of_silence(&silent_days(lines)) < THRESHOLD)
            .unwrap();
        assert_eq!(first, 343);
        // From the last sale, the last line of its day, and from 250 lines into the silence.
        assert_eq!(steady.lines_until_improbable(&[0.0], 240.0, 240.0, 1e-5, 16.0), first);
        assert_eq!(
            steady.lines_until_improbable(&[0.0, 240.0, 10.0], 10.0, 240.0, 1e-5, 16.0),
            first - 250
        );
        assert_eq!(
            steady.lines_until_improbable(&[0.0], 240.0, 240.0, 1e-5, 1.0),
            u64::MAX,
            "not within a day"
        );
    }

    #[test]
    fn a_promotion_s_days_are_left_out_of_the_pattern_unless_the_silence_is_in_one() {
        let after = SilenceDays {
            began: 98,
            today: 100,
            promoted: 0b110_0000_0000,
        };
        assert!(!after.in_pattern(90) && !after.in_pattern(91));
        assert!(after.in_pattern(89) && after.in_pattern(92) && after.in_pattern(98));
        let during = SilenceDays {
            promoted: 0b111,
            ..after
        };
        assert!(during.in_pattern(100) && during.in_pattern(90));
    }

    #[test]
    fn a_silence_never_improbable_within_the_window_is_never_due() {
        let rare = pattern(1e-7, 0.25, 2.0);
        assert_eq!(rare.lines_until_improbable(&[0.0], 0.0, 240.0, 1e-5, 16.0), u64::MAX);
    }
}
