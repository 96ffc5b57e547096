//! Seeded random streams and the few distributions the world needs (normal, lognormal, gamma, Poisson, weighted
//! picks).
//!
//! The world draws from separate streams (catalogue, demand, operations, faults, theft sprees), each seeded from the
//! scenario's seed, so that changing a fault rate does not reshuffle the customers' demand. `rand` 0.9 without
//! `rand_distr` offers uniform draws only; the rest is a handful of textbook formulas.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use retex_core::codes::Timestamp;

use crate::clock::SECOND;

/// Above this mean a Poisson draw uses the normal approximation (exact enough, and constant time).
const POISSON_NORMAL_APPROXIMATION_MEAN: f64 = 30.0;

/// Which stream a draw belongs to; each is seeded from the scenario seed and its own salt.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Catalogue = 1,
    Demand = 2,
    Operations = 3,
    Faults = 4,
    Sprees = 5,
}

pub(crate) fn stream(seed: u64, stream: Stream) -> SmallRng {
    SmallRng::seed_from_u64(splitmix(seed ^ splitmix(stream as u64)))
}

/// SplitMix64's finaliser: spreads nearby seeds far apart.
fn splitmix(value: u64) -> u64 {
    let mut mixed = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    mixed ^ (mixed >> 31)
}

/// True with probability `probability` (clamped to 0..=1).
pub(crate) fn chance(rng: &mut SmallRng, probability: f64) -> bool {
    rng.random::<f64>() < probability.clamp(0.0, 1.0)
}

pub(crate) fn standard_normal(rng: &mut SmallRng) -> f64 {
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    let radius = (-2.0 * (1.0 - rng.random::<f64>()).ln()).sqrt();
    radius * (std::f64::consts::TAU * rng.random::<f64>()).cos()
}

pub(crate) fn lognormal(rng: &mut SmallRng, sigma: f64) -> f64 {
    (sigma * standard_normal(rng)).exp()
}

/// A gamma draw of mean 1 and shape `shape` (variance `1 / shape`), by Marsaglia and Tsang's method; shapes
/// below 1 use the boost `g(shape + 1) x u^(1 / shape)`.
pub(crate) fn gamma_mean_one(rng: &mut SmallRng, shape: f64) -> f64 {
    if shape < 1.0 {
        let boost = (1.0 - rng.random::<f64>()).powf(1.0 / shape);
        return gamma_mean_one(rng, shape + 1.0) * (shape + 1.0) / shape * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v / shape;
        }
    }
}

pub(crate) fn poisson(rng: &mut SmallRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > POISSON_NORMAL_APPROXIMATION_MEAN {
        let draw = mean + mean.sqrt() * standard_normal(rng);
        return draw.round().max(0.0) as u32;
    }
    // Knuth: multiply uniforms until the product drops below e^-mean.
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut count = 0;
    while product > limit {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

/// An index drawn with probability proportional to its weight, from running totals of the weights.
pub(crate) fn pick_cumulative(rng: &mut SmallRng, cumulative: &[f64]) -> usize {
    let total = *cumulative.last().expect("a pick needs at least one weight");
    let target = rng.random::<f64>() * total;
    let index = cumulative.partition_point(|&running| running <= target);
    index.min(cumulative.len() - 1)
}

/// Running totals of `weights`, for [`pick_cumulative`].
pub(crate) fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut running = 0.0;
    let mut totals = Vec::new();
    for weight in weights {
        running += weight;
        totals.push(running);
    }
    totals
}

/// A whole-second instant drawn uniformly from `from..until` (or `from` when the span is empty).
pub(crate) fn instant_between(rng: &mut SmallRng, from: Timestamp, until: Timestamp) -> Timestamp {
    let seconds = (until.0 - from.0) / SECOND;
    if seconds <= 0 {
        return from;
    }
    Timestamp(from.0 + rng.random_range(0..seconds) * SECOND)
}

/// A duration in whole seconds drawn uniformly from `low..high` milliseconds.
pub(crate) fn duration_between(rng: &mut SmallRng, low: i64, high: i64) -> i64 {
    instant_between(rng, Timestamp(low), Timestamp(high)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_draws_have_mean_one_and_variance_one_over_the_shape() {
        let mut rng = stream(7, Stream::Demand);
        for shape in [0.5, 2.0, 6.0] {
            let draws: Vec<f64> = (0..200_000).map(|_| gamma_mean_one(&mut rng, shape)).collect();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let variance = draws.iter().map(|draw| (draw - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            assert!((mean - 1.0).abs() < 0.01, "shape {shape}: mean {mean}");
            assert!(
                (variance * shape - 1.0).abs() < 0.05,
                "shape {shape}: variance {variance}"
            );
        }
    }
}
