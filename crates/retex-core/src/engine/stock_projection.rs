//! `low_stock`'s projection: how likely a position's demand until its next supply exceeds what it has.
//!
//! A day's units have the mean and variance the position showed over its window (at least Poisson's variance);
//! days are independent, so demand over a horizon of `h` days has `h` times both. It is taken as a gamma
//! variable with that mean and variance (the continuous twin of a negative binomial) and its quantiles come from
//! Wilson and Hilferty's cube-root normal approximation: a judgement is a handful of float operations, and the
//! same inputs give the same answer on every run.

/// How a position sells in a day: the mean and variance of its daily units over the window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DailyDemand {
    pub mean: f64,
    pub variance: f64,
    /// Days it sold on, of the window.
    pub selling_days: usize,
}

impl DailyDemand {
    /// From the units sold on each complete day of the window, counted from the first day it sold (a position
    /// new to the store is not diluted by days before it was there). `None` when it sold nothing.
    pub fn of(days: impl Iterator<Item = f64>) -> Option<Self> {
        let (mut count, mut total, mut squares, mut selling_days) = (0usize, 0.0, 0.0, 0usize);
        for units in days.skip_while(|&units| units <= 0.0) {
            count += 1;
            total += units;
            squares += units * units;
            selling_days += usize::from(units > 0.0);
        }
        if count == 0 {
            return None;
        }
        let mean = total / count as f64;
        let variance = match count {
            1 => mean,
            _ => ((squares - total * mean) / (count - 1) as f64).max(0.0),
        };
        Some(Self {
            mean,
            variance,
            selling_days,
        })
    }

    /// The mean of demand over `days` days and the `c = variance / (9 mean^2)` of its cube-root approximation.
    fn over(&self, days: f64) -> (f64, f64) {
        let mean = self.mean * days;
        let variance = self.variance.max(self.mean) * days;
        (mean, variance / (9.0 * mean * mean))
    }

    /// The demand over `days` days exceeded with the probability whose standard normal quantile is `-z` (so
    /// `z = 0` gives the median, and a larger `z` a larger quantity).
    pub fn quantile(&self, days: f64, z: f64) -> f64 {
        if self.mean <= 0.0 || days <= 0.0 {
            return 0.0;
        }
        let (mean, c) = self.over(days);
        mean * (1.0 - c + z * c.sqrt()).max(0.0).powi(3)
    }
}

/// The standard normal quantile of `probability` in (0, 1): Acklam's rational approximation (relative error
/// below 1.2e-9), deterministic.
pub fn standard_normal_quantile(probability: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    let p = probability.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(days: &[f64]) -> DailyDemand {
        DailyDemand::of(days.iter().copied()).unwrap()
    }

    #[test]
    fn the_window_starts_at_the_first_sale_and_the_variance_is_the_sample_variance() {
        let history = demand(&[0.0, 0.0, 4.0, 6.0, 2.0, 0.0]);
        assert_eq!(
            (history.mean, history.variance, history.selling_days),
            (3.0, 20.0 / 3.0, 3)
        );
        assert_eq!(DailyDemand::of([0.0, 0.0].into_iter()), None);
    }

    #[test]
    fn the_median_of_a_steady_seller_is_close_to_its_mean_and_quantiles_rise_with_z() {
        let steady = demand(&[10.0; 14]);
        let median = steady.quantile(3.0, 0.0);
        assert!((median - 30.0).abs() < 0.5, "{median}");
        assert!(steady.quantile(3.0, 1.645) > steady.quantile(3.0, 0.0) + 8.0);
    }

    #[test]
    fn a_bursty_seller_needs_more_stock_for_the_same_risk_than_a_steady_one() {
        let steady = demand(&[10.0; 14]);
        let bursty = demand(&[30.0, 0.0, 10.0, 20.0, 0.0, 10.0, 0.0, 20.0, 10.0, 0.0, 30.0, 10.0, 0.0]);
        assert!((bursty.mean - steady.mean).abs() < 1.0);
        let z = standard_normal_quantile(0.9);
        assert!(bursty.quantile(3.0, z) > steady.quantile(3.0, z) + 10.0);
    }

    #[test]
    fn the_normal_quantile_matches_known_values() {
        for (p, z) in [(0.5, 0.0), (0.975, 1.959_964), (0.05, -1.644_854), (1e-6, -4.753_424)] {
            assert!((standard_normal_quantile(p) - z).abs() < 1e-5, "{p}");
        }
    }
}
