//! The statistical test behind `store_exception_rate`: is a store's exception count over the window abnormal
//! for its sales volume, against its peers?
//!
//! # The test (rules reference)
//! For each store `s` with `x` exceptions over `n` sale lines in the window:
//! 1. Its peers are all the other stores. Their pooled rate is `r = (sum of their exceptions) / (sum of their
//!    sale lines)`, reported per 1,000 sale lines as `expected_per_1000`. The store itself is left out of `r`,
//!    so a large store cannot hide its own excess by dragging the baseline up.
//! 2. Under the hypothesis that the store is normal, its count has mean `lambda = n * r` and varies from store
//!    to store as much as its peers' counts do: negative binomial with variance `lambda (1 + phi lambda)`. The
//!    dispersion `phi` comes from the tested peers by the moments, `phi = max(0, sum((x_p - n_p r)^2 - x_p) /
//!    sum((n_p r)^2))`, with at least [`DISPERSION_PEERS_MIN`] of them (else 0); `phi = 0` is Poisson. Peers that
//!    are as alike as chance allows leave the test Poisson; peers that differ for reasons of their own (size of
//!    the counting programme, a bad week) make one store's excess less remarkable. The one-sided p-value is the
//!    exact upper tail `P(X >= x)`: only too many exceptions is abnormal.
//! 3. A store is *tested* when it has at least `min_sale_lines` sale lines (and has peers with sale lines).
//!    With `m` stores tested, the Bonferroni correction calls a store abnormal when `p <= alpha / m`, so the
//!    chance of flagging any normal store in a window stays at most `alpha`.
//! 4. A store also needs at least `min_exceptions` exceptions to be flagged: a handful of exceptions is never
//!    worth a regional manager's time, however quiet the peers are.
//!
//! `p_value` is reported unadjusted for every store (1 when it has no peers with sales); `abnormal` applies
//! steps 3 and 4. When the peers had no exceptions at all, `lambda = 0` and any exception gives `p = 0`.
//!
//! The negative binomial tail ([`negative_binomial_upper_tail`]) is summed the same way, its first term from
//! `ln Gamma(x + k) - ln Gamma(k) = sum of ln(k + i) for i < x` with `k = 1 / phi` (a count is an integer).
//!
//! # Computing the Poisson tail
//! No statistics crate: [`poisson_upper_tail`] sums probabilities exactly. The first term `P(X = k)` is computed
//! in log space (`k ln lambda - lambda - ln k!`, with `ln k!` summed for small `k` and from Stirling's series
//! beyond), and each next term is the previous one times a ratio below 1, summed relative to the first term.
//! When `k > lambda` it sums the upper tail `P(X = k) + P(X = k + 1) + ...` directly, which keeps a small
//! relative error (below 1e-11 in the tests, against 60-digit references) for p-values down to `1e-300`; when
//! `k <= lambda` the tail is at least about one half, so `1 - P(X <= k - 1)` loses nothing that matters. Both sums stop once a term no longer changes the total.

use retex_core::engine::{RateTestParams, StoreWindow};

const PER_THOUSAND: f64 = 1000.0;
/// A series stops when its next term is below this share of the running sum (below f64 resolution).
const SERIES_RELATIVE_TOLERANCE: f64 = 1e-17;
/// Below this `ln k!` is summed exactly (at most 255 logarithms); from here Stirling's series is exact to f64.
const LN_FACTORIAL_SUMMED_BELOW: u64 = 256;
/// The peers' dispersion is measured from at least this many tested peers; with fewer the test is Poisson.
pub const DISPERSION_PEERS_MIN: usize = 10;

/// The test's answer for one store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreRateVerdict {
    pub location: String,
    /// The store's exceptions per 1,000 sale lines; 0 when it has no sale lines.
    pub rate_per_1000: f64,
    /// The pooled rate of all other stores per 1,000 sale lines; 0 when they have no sale lines.
    pub expected_per_1000: f64,
    /// The tested peers' dispersion `phi` (0: as alike as chance allows).
    pub peer_dispersion: f64,
    /// `P(X >= exceptions)` for `X` negative binomial of mean `sale_lines * peers' rate` and the peers'
    /// dispersion, before the Bonferroni correction.
    pub p_value: f64,
    /// `alpha / stores tested`: the largest `p_value` that flags a store.
    pub p_value_max: f64,
    /// Tested, at least `min_exceptions`, and `p_value <= p_value_max`.
    pub abnormal: bool,
}

/// Tests every store against its peers; verdicts come in the order of `stores`. The parameters and their
/// defaults (`alpha` 0.01, `min_sale_lines` 200, `min_exceptions` 5) belong to the rules in `retex-core`.
///
/// # Panics
/// If `params.alpha` is not in `(0, 1]`: the rules loader must have rejected such a value.
pub fn abnormal_store_rates(stores: &[StoreWindow], params: &RateTestParams) -> Vec<StoreRateVerdict> {
    assert!(
        params.alpha > 0.0 && params.alpha <= 1.0,
        "alpha must be in (0, 1], got {}",
        params.alpha
    );
    let mut total_exceptions = 0u64;
    let mut total_sale_lines = 0u64;
    for store in stores {
        total_exceptions += store.exceptions;
        total_sale_lines += store.sale_lines;
    }
    let is_tested =
        |store: &StoreWindow| store.sale_lines >= params.min_sale_lines && total_sale_lines > store.sale_lines;
    let mut tested = TestedSums::default();
    for store in stores.iter().filter(|store| is_tested(store)) {
        tested.add(store);
    }
    let stores_tested = tested.stores.max(1);
    let bonferroni_p_value_max = params.alpha / stores_tested as f64;
    let mut verdicts = Vec::with_capacity(stores.len());
    for store in stores {
        let peer_exceptions = total_exceptions - store.exceptions;
        let peer_sale_lines = total_sale_lines - store.sale_lines;
        let peer_rate = rate_or_zero(peer_exceptions, peer_sale_lines);
        let peers = if is_tested(store) {
            tested.without(store)
        } else {
            tested
        };
        let peer_dispersion = peers.dispersion(peer_rate);
        let p_value = if peer_sale_lines == 0 {
            1.0
        } else {
            negative_binomial_upper_tail(store.exceptions, store.sale_lines as f64 * peer_rate, peer_dispersion)
        };
        let abnormal =
            is_tested(store) && store.exceptions >= params.min_exceptions && p_value <= bonferroni_p_value_max;
        verdicts.push(StoreRateVerdict {
            location: store.location.clone(),
            rate_per_1000: rate_or_zero(store.exceptions, store.sale_lines) * PER_THOUSAND,
            expected_per_1000: peer_rate * PER_THOUSAND,
            peer_dispersion,
            p_value,
            p_value_max: bonferroni_p_value_max,
            abnormal,
        });
    }
    verdicts
}

/// Sums over the tested stores from which the moments of their counts come, one store left out at a time.
#[derive(Clone, Copy, Default)]
struct TestedSums {
    stores: usize,
    exceptions: f64,
    exceptions_squared: f64,
    exceptions_by_lines: f64,
    lines_squared: f64,
}

impl TestedSums {
    fn add(&mut self, store: &StoreWindow) {
        self.apply(store, 1.0);
    }

    fn without(mut self, store: &StoreWindow) -> Self {
        self.apply(store, -1.0);
        self
    }

    fn apply(&mut self, store: &StoreWindow, sign: f64) {
        let (exceptions, lines) = (store.exceptions as f64, store.sale_lines as f64);
        self.stores = if sign > 0.0 { self.stores + 1 } else { self.stores - 1 };
        self.exceptions += sign * exceptions;
        self.exceptions_squared += sign * exceptions * exceptions;
        self.exceptions_by_lines += sign * exceptions * lines;
        self.lines_squared += sign * lines * lines;
    }

    /// `phi` by the moments at the pooled `rate`: the excess of the squared deviations over the Poisson
    /// variance, over the squared means; 0 with too few stores or none above chance.
    fn dispersion(&self, rate: f64) -> f64 {
        let squared_means = rate * rate * self.lines_squared;
        if self.stores < DISPERSION_PEERS_MIN || squared_means <= 0.0 {
            return 0.0;
        }
        let squared_deviations = self.exceptions_squared - 2.0 * rate * self.exceptions_by_lines + squared_means;
        ((squared_deviations - self.exceptions) / squared_means).max(0.0)
    }
}

fn rate_or_zero(exceptions: u64, sale_lines: u64) -> f64 {
    if sale_lines == 0 {
        0.0
    } else {
        exceptions as f64 / sale_lines as f64
    }
}

/// `P(X >= count)` for `X ~ Poisson(mean)`, summed exactly (see the module doc for how and how precisely).
///
/// # Panics
/// If `mean` is negative, infinite or NaN.
pub fn poisson_upper_tail(count: u64, mean: f64) -> f64 {
    assert!(
        mean.is_finite() && mean >= 0.0,
        "a Poisson mean must be finite and non-negative, got {mean}"
    );
    if count == 0 {
        return 1.0;
    }
    if mean == 0.0 {
        return 0.0;
    }
    if count as f64 > mean {
        upper_tail_by_summing_upward(count, mean)
    } else {
        1.0 - cdf_by_summing_downward(count - 1, mean)
    }
}

/// `P(X >= count)` for `X` negative binomial of mean `mean` and variance `mean (1 + dispersion mean)`; Poisson
/// when `dispersion` is 0.
///
/// # Panics
/// If `mean` or `dispersion` is negative, infinite or NaN.
pub fn negative_binomial_upper_tail(count: u64, mean: f64, dispersion: f64) -> f64 {
    assert!(
        dispersion.is_finite() && dispersion >= 0.0,
        "a dispersion must be finite and non-negative, got {dispersion}"
    );
    if dispersion == 0.0 || count == 0 || mean == 0.0 {
        return poisson_upper_tail(count, mean);
    }
    assert!(
        mean.is_finite() && mean > 0.0,
        "a mean must be finite and positive, got {mean}"
    );
    let size = 1.0 / dispersion;
    // P(X = j + 1) / P(X = j) = (j + size) / (j + 1) * odds, with odds = mean / (size + mean) below 1.
    let odds = mean / (size + mean);
    let ratio = |j: f64| (j + size) / (j + 1.0) * odds;
    let ln_first = |j: u64| {
        let rising: f64 = (0..j).map(|i| (size + i as f64).ln()).sum();
        rising - ln_factorial(j) + size * (1.0 - odds).ln() + j as f64 * odds.ln()
    };
    if count as f64 > mean {
        // From `count` up: past the mean every ratio is below 1 and falls towards `odds`.
        let (mut relative_sum, mut relative_term, mut j) = (1.0, 1.0, count as f64);
        loop {
            relative_term *= ratio(j);
            j += 1.0;
            if relative_term <= relative_sum * SERIES_RELATIVE_TOLERANCE {
                break;
            }
            relative_sum += relative_term;
        }
        (ln_first(count) + relative_sum.ln()).exp().min(1.0)
    } else {
        // At most the mean: 1 - P(X < count), the probabilities summed up from 0.
        let mut probability = ln_first(0).exp();
        let mut below = 0.0;
        for j in 0..count {
            below += probability;
            probability *= ratio(j as f64);
        }
        (1.0 - below).clamp(0.0, 1.0)
    }
}

/// `P(X >= count)` as `P(X = count) * (1 + mean/(count+1) + mean^2/((count+1)(count+2)) + ...)`; needs
/// `count > mean`, so every ratio is below 1 and the terms shrink.
fn upper_tail_by_summing_upward(count: u64, mean: f64) -> f64 {
    let mut relative_sum = 1.0;
    let mut relative_term = 1.0;
    let mut next_count = count as f64;
    loop {
        next_count += 1.0;
        relative_term *= mean / next_count;
        if relative_term <= relative_sum * SERIES_RELATIVE_TOLERANCE {
            break;
        }
        relative_sum += relative_term;
    }
    (ln_poisson_probability(count, mean) + relative_sum.ln()).exp().min(1.0)
}

/// `P(X <= last)` as `P(X = last) * (1 + last/mean + last(last-1)/mean^2 + ...)`; needs `last < mean`, so
/// every ratio is below 1 and the terms shrink.
fn cdf_by_summing_downward(last: u64, mean: f64) -> f64 {
    let mut relative_sum = 1.0;
    let mut relative_term = 1.0;
    let mut current = last;
    while current > 0 {
        relative_term *= current as f64 / mean;
        current -= 1;
        if relative_term <= relative_sum * SERIES_RELATIVE_TOLERANCE {
            break;
        }
        relative_sum += relative_term;
    }
    (ln_poisson_probability(last, mean) + relative_sum.ln()).exp().min(1.0)
}

/// `ln P(X = count)` for `X ~ Poisson(mean)`, `mean > 0`.
fn ln_poisson_probability(count: u64, mean: f64) -> f64 {
    count as f64 * mean.ln() - mean - ln_factorial(count)
}

/// `ln(n!)`: summed below [`LN_FACTORIAL_SUMMED_BELOW`], else Stirling's series to the `1/n^5` term, whose
/// error is below `1/(1680 n^7)`, far under f64 resolution for `n >= 256`.
fn ln_factorial(n: u64) -> f64 {
    if n < LN_FACTORIAL_SUMMED_BELOW {
        let mut sum = 0.0;
        for factor in 2..=n {
            sum += (factor as f64).ln();
        }
        return sum;
    }
    let x = n as f64;
    let stirling = x * x.ln() - x + 0.5 * (std::f64::consts::TAU * x).ln();
    stirling + 1.0 / (12.0 * x) - 1.0 / (360.0 * x.powi(3)) + 1.0 / (1260.0 * x.powi(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_relatively_close(actual: f64, expected: f64, tolerance: f64) {
        let relative_error = ((actual - expected) / expected).abs();
        assert!(
            relative_error <= tolerance,
            "{actual} vs {expected}: relative error {relative_error}"
        );
    }

    #[test]
    fn ln_factorial_is_continuous_where_stirling_takes_over() {
        let summed: f64 = (2..=LN_FACTORIAL_SUMMED_BELOW).map(|factor| (factor as f64).ln()).sum();
        assert_relatively_close(ln_factorial(LN_FACTORIAL_SUMMED_BELOW), summed, 1e-14);
    }

    #[test]
    fn ln_factorial_of_small_numbers_is_exact() {
        assert_eq!(ln_factorial(0), 0.0);
        assert_eq!(ln_factorial(1), 0.0);
        assert_relatively_close(ln_factorial(5), 120f64.ln(), 1e-15);
    }

    #[test]
    fn both_sums_agree_where_they_meet() {
        // Just above the mean the upward sum is used; compare with 1 - cdf summed downward just below it.
        let mean = 40.5;
        let upward = upper_tail_by_summing_upward(41, mean);
        let downward = 1.0 - cdf_by_summing_downward(40, mean);
        assert_relatively_close(upward, downward, 1e-12);
    }
}
