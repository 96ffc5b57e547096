//! The store exception-rate test: exact Poisson tails against values computed independently (exact rational
//! sums times a 60-digit `exp`), and the verdicts on uniform, outlying and small stores.

use proptest::prelude::*;
use retex_core::engine::{Insight, RateTestParams, StoreWindow};
use retex_insight::{EmbeddedInsight, abnormal_store_rates, negative_binomial_upper_tail, poisson_upper_tail};

const STORE_COUNT: usize = 40;
/// The rules' defaults for `store_exception_rate` (retex-core's taxonomy).
const DEFAULT_PARAMS: RateTestParams = RateTestParams {
    alpha: 0.01,
    min_sale_lines: 200,
    min_exceptions: 5,
};

fn store(location: &str, exceptions: u64, sale_lines: u64) -> StoreWindow {
    StoreWindow {
        location: location.to_owned(),
        exceptions,
        sale_lines,
    }
}

/// `STORE_COUNT` stores of 2,000 sale lines at 10 exceptions per 1,000, give or take a few.
fn peer_stores() -> Vec<StoreWindow> {
    let mut stores = Vec::new();
    for index in 0..STORE_COUNT {
        let wobble = (index % 7) as u64;
        stores.push(store(&format!("S{index:02}"), 17 + wobble, 2000));
    }
    stores
}

/// The engine's view: locations flagged through the `Insight` trait.
fn flagged_locations(stores: &[StoreWindow]) -> Vec<String> {
    let flagged = EmbeddedInsight.abnormal_stores(stores, DEFAULT_PARAMS).into_iter();
    flagged.map(|store| store.location).collect()
}

#[test]
fn poisson_tails_match_independently_computed_values() {
    let cases = [
        (5, 1.0, 3.659846827343712e-3),
        (1, 1.0, 6.321205588285577e-1),
        (10, 2.0, 4.64980750172638e-5),
        (20, 10.0, 3.454341975856808e-3),
        (3, 5.0, 8.753479805169189e-1),
        (60, 20.0, 4.233284694712903e-13),
        (150, 100.0, 1.88421046603867e-6),
        (1300, 1000.0, 6.887086665430166e-20),
        (0, 3.0, 1.0),
    ];
    for (count, mean, expected) in cases {
        let actual = poisson_upper_tail(count, mean);
        let relative_error = ((actual - expected) / expected).abs();
        assert!(
            relative_error < 1e-11,
            "P(X >= {count} | {mean}) = {actual}, expected {expected}"
        );
    }
}

/// Values from `1 - sum of P(X = j), j < count`, each term `exp(lnGamma(j + k) - lnGamma(k) - lnGamma(j + 1) +
/// k ln(1 - q) + j ln q)` with `k = 1 / dispersion`, `q = mean / (k + mean)`, at 50 digits (mpmath), to 15.
#[test]
fn negative_binomial_tails_match_independently_computed_values() {
    let cases = [
        (5, 1.0, 0.5, 0.0178326474622771),
        (10, 2.0, 0.25, 0.00164772132121283),
        (20, 10.0, 0.1, 0.0307141728699207),
        (3, 5.0, 1.0, 0.578703703703704),
        (60, 20.0, 0.3, 0.00699277518474655),
        (13, 2.6, 0.05, 2.54516277248137e-5),
        (150, 100.0, 0.02, 0.00485355221258076),
    ];
    for (count, mean, dispersion, expected) in cases {
        let actual = negative_binomial_upper_tail(count, mean, dispersion);
        let relative_error = ((actual - expected) / expected).abs();
        assert!(
            relative_error < 1e-10,
            "P(X >= {count} | {mean}, {dispersion}) = {actual}, expected {expected}"
        );
    }
    assert_eq!(negative_binomial_upper_tail(10, 2.0, 0.0), poisson_upper_tail(10, 2.0));
}

#[test]
fn peers_that_differ_widely_make_an_excess_less_remarkable() {
    // Forty peers at 5 or 35 exceptions per 2,000 lines: a mean of 20, spread far beyond chance.
    let mut stores: Vec<StoreWindow> = (0..STORE_COUNT)
        .map(|index| store(&format!("S{index:02}"), if index % 2 == 0 { 5 } else { 35 }, 2000))
        .collect();
    stores.push(store("HIGH", 60, 2000));
    let verdicts = abnormal_store_rates(&stores, &DEFAULT_PARAMS);
    let high = verdicts.last().unwrap();
    assert!(high.peer_dispersion > 0.5, "{high:?}");
    assert!(
        poisson_upper_tail(60, 40.0 * 20.0 / 40.0) < 1e-11,
        "as Poisson it would be flagged"
    );
    assert!(!high.abnormal && high.p_value > 1e-3, "{high:?}");
    // Peers as alike as chance allows leave the test Poisson.
    let verdicts = abnormal_store_rates(&peer_stores(), &DEFAULT_PARAMS);
    assert!(verdicts.iter().all(|verdict| verdict.peer_dispersion == 0.0));
}

#[test]
fn a_zero_mean_makes_any_exception_certainly_abnormal() {
    assert_eq!(poisson_upper_tail(1, 0.0), 0.0);
    assert_eq!(poisson_upper_tail(0, 0.0), 1.0);
}

#[test]
fn a_uniform_set_of_stores_flags_none() {
    assert!(flagged_locations(&peer_stores()).is_empty());
}

#[test]
fn a_store_at_three_times_its_peers_rate_is_flagged() {
    let mut stores = peer_stores();
    stores.push(store("OUTLIER", 60, 2000));
    assert_eq!(flagged_locations(&stores), ["OUTLIER"]);
    let verdicts = abnormal_store_rates(&stores, &DEFAULT_PARAMS);
    let outlier = verdicts.last().unwrap();
    assert_eq!(outlier.rate_per_1000, 30.0);
    let peer_exceptions: u64 = peer_stores().iter().map(|peer| peer.exceptions).sum();
    assert_eq!(
        outlier.expected_per_1000,
        peer_exceptions as f64 / (2000.0 * STORE_COUNT as f64) * 1000.0
    );
    assert!(outlier.p_value < 1e-9, "{outlier:?}");
}

#[test]
fn a_store_with_small_volume_is_never_flagged() {
    let mut stores = peer_stores();
    stores.push(store("TINY", 40, 150));
    let verdicts = abnormal_store_rates(&stores, &DEFAULT_PARAMS);
    let tiny = verdicts.last().unwrap();
    assert!(tiny.p_value < 1e-20, "the excess is real: {tiny:?}");
    assert!(!tiny.abnormal, "but below min_sale_lines it is not judged");
}

#[test]
fn too_few_exceptions_are_never_flagged_even_against_nearly_spotless_peers() {
    let spotless: Vec<StoreWindow> = (0..STORE_COUNT)
        .map(|index| store(&format!("S{index:02}"), 0, 5000))
        .collect();
    let beside = |name: &str, exceptions: u64| {
        let mut stores = spotless.clone();
        stores.push(store(name, exceptions, 5000));
        flagged_locations(&stores)
    };
    assert!(beside("FOUR", 4).is_empty());
    assert_eq!(beside("FIVE", 5), ["FIVE"]);
}

#[test]
fn the_bonferroni_correction_counts_only_tested_stores() {
    // HIGH's peers run at 1 per 1,000 sale lines, so p = P(X >= 5 | 1) = 0.00366: flagged beside one tested
    // peer (alpha / 2 = 0.005) however many small, untested stores there are, but not among ten tested stores
    // (alpha / 10 = 0.001).
    let mut stores = vec![store("HIGH", 5, 1000), store("PEER", 3, 1000)];
    for index in 0..20 {
        stores.push(store(&format!("SMALL{index:02}"), 0, 100));
    }
    let verdicts = abnormal_store_rates(&stores, &DEFAULT_PARAMS);
    assert!(
        (verdicts[0].p_value - 3.659846827343712e-3).abs() < 1e-14,
        "{:?}",
        verdicts[0]
    );
    assert!(verdicts[0].abnormal, "{:?}", verdicts[0]);
    for index in 0..8 {
        stores.push(store(&format!("MORE{index}"), 1, 1000));
    }
    let verdicts = abnormal_store_rates(&stores, &DEFAULT_PARAMS);
    assert!(
        (verdicts[0].p_value - 3.659846827343712e-3).abs() < 1e-14,
        "{:?}",
        verdicts[0]
    );
    assert!(!verdicts[0].abnormal, "{:?}", verdicts[0]);
}

#[test]
fn a_lone_store_has_no_peers_and_no_verdict() {
    let verdicts = abnormal_store_rates(&[store("ONLY", 500, 10_000)], &DEFAULT_PARAMS);
    assert_eq!(verdicts[0].p_value, 1.0);
    assert!(!verdicts[0].abnormal);
}

proptest! {
    #[test]
    fn flagged_stores_run_above_their_peers(
        counts in prop::collection::vec((0u64..400, 0u64..20_000), 1..30)
    ) {
        let mut stores = Vec::new();
        for (index, (exceptions, sale_lines)) in counts.into_iter().enumerate() {
            stores.push(store(&format!("S{index}"), exceptions, sale_lines));
        }
        for verdict in abnormal_store_rates(&stores, &DEFAULT_PARAMS) {
            prop_assert!((0.0..=1.0).contains(&verdict.p_value), "{verdict:?}");
            if verdict.abnormal {
                prop_assert!(verdict.rate_per_1000 > verdict.expected_per_1000, "{verdict:?}");
            }
        }
    }

    #[test]
    fn the_tail_falls_with_the_count_and_rises_with_the_mean(count in 0u64..3000, mean in 0.0f64..2000.0) {
        prop_assert!(poisson_upper_tail(count + 1, mean) <= poisson_upper_tail(count, mean));
        prop_assert!(poisson_upper_tail(count, mean) <= poisson_upper_tail(count, mean * 1.01 + 0.01));
    }
}
