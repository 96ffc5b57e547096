//! Platt scaling: `p = σ(a·s + b)` over the trees' log-odds `s`, fitted on lines the trees did not see.
//!
//! The targets are Platt's smoothed ones (`(N₊ + 1)/(N₊ + 2)` for a late line, `1/(N₋ + 2)` for an on-time
//! one), so a small calibration slice cannot push a probability to 0 or 1. Newton's method with
//! backtracking on the two parameters, from `a = 1, b = 0`, a fixed number of steps at most: deterministic.
//! [`Platt::matched_to_rate`] then moves the intercept alone, so that other trees' scores average to a rate.

use super::boosting::sigmoid;

const NEWTON_STEPS_MAX: usize = 100;
/// Keeps the 2×2 Hessian invertible when the scores barely vary.
const RIDGE: f64 = 1e-9;
const BACKTRACKING_STEPS_MAX: usize = 40;
/// Halvings of the intercept's search interval in [`Platt::matched_to_rate`]: far below any difference that
/// shows in a probability.
const BISECTION_STEPS: usize = 100;
/// The intercepts [`Platt::matched_to_rate`] searches between.
const INTERCEPT_BOUND: f64 = 50.0;

/// The cross-entropy of a fit against smoothed targets, computed stably from the log-odds.
fn cross_entropy(fit: Platt, log_odds: &[f64], targets: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (&score, &target) in log_odds.iter().zip(targets) {
        let z = fit.slope * score + fit.intercept;
        // -t·ln σ(z) - (1-t)·ln(1-σ(z)) = ln(1 + e^z) - t·z
        let softplus = if z > 0.0 {
            z + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        };
        sum += softplus - target * z;
    }
    sum
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Platt {
    pub slope: f64,
    pub intercept: f64,
}

impl Platt {
    pub const IDENTITY: Self = Self {
        slope: 1.0,
        intercept: 0.0,
    };

    pub fn probability(self, log_odds: f64) -> f64 {
        sigmoid(self.slope * log_odds + self.intercept)
    }

    /// The same slope, with the intercept that makes the mean probability over `log_odds` equal `rate` (the mean
    /// rises with the intercept, so bisection finds it; deterministic). `log_odds` must not be empty.
    pub fn matched_to_rate(self, log_odds: &[f64], rate: f64) -> Self {
        let mean = |intercept: f64| {
            let fit = Self { intercept, ..self };
            log_odds.iter().map(|&score| fit.probability(score)).sum::<f64>() / log_odds.len() as f64
        };
        let (mut low, mut high) = (-INTERCEPT_BOUND, INTERCEPT_BOUND);
        for _ in 0..BISECTION_STEPS {
            let middle = (low + high) / 2.0;
            if mean(middle) > rate {
                high = middle;
            } else {
                low = middle;
            }
        }
        Self {
            intercept: (low + high) / 2.0,
            ..self
        }
    }

    /// Fits on `(log-odds, late)` pairs; `None` unless both outcomes occur.
    pub fn fit(log_odds: &[f64], labels: &[bool]) -> Option<Self> {
        let positives = labels.iter().filter(|&&label| label).count() as f64;
        let negatives = labels.len() as f64 - positives;
        if positives == 0.0 || negatives == 0.0 {
            return None;
        }
        let high = (positives + 1.0) / (positives + 2.0);
        let low = 1.0 / (negatives + 2.0);
        let targets: Vec<f64> = labels.iter().map(|&label| if label { high } else { low }).collect();
        let mut fit = Self::IDENTITY;
        let mut loss = cross_entropy(fit, log_odds, &targets);
        for _ in 0..NEWTON_STEPS_MAX {
            let (mut gradient_slope, mut gradient_intercept) = (0.0, 0.0);
            let (mut h_ss, mut h_si, mut h_ii) = (RIDGE, 0.0, RIDGE);
            for (&score, &target) in log_odds.iter().zip(&targets) {
                let probability = fit.probability(score);
                let residual = probability - target;
                let weight = (probability * (1.0 - probability)).max(1e-12);
                gradient_slope += residual * score;
                gradient_intercept += residual;
                h_ss += weight * score * score;
                h_si += weight * score;
                h_ii += weight;
            }
            let determinant = h_ss * h_ii - h_si * h_si;
            if determinant.abs() < 1e-300 {
                break;
            }
            let step_slope = (h_ii * gradient_slope - h_si * gradient_intercept) / determinant;
            let step_intercept = (h_ss * gradient_intercept - h_si * gradient_slope) / determinant;
            // Backtracking: halve the Newton step until the loss does not grow.
            let mut scale = 1.0;
            let mut improved = false;
            for _ in 0..BACKTRACKING_STEPS_MAX {
                let candidate = Self {
                    slope: fit.slope - scale * step_slope,
                    intercept: fit.intercept - scale * step_intercept,
                };
                let candidate_loss = cross_entropy(candidate, log_odds, &targets);
                if candidate_loss <= loss {
                    fit = candidate;
                    loss = candidate_loss;
                    improved = true;
                    break;
                }
                scale /= 2.0;
            }
            let converged = (scale * step_slope).abs() < 1e-10 && (scale * step_intercept).abs() < 1e-10;
            if !improved || converged {
                break;
            }
        }
        (fit.slope.is_finite() && fit.intercept.is_finite()).then_some(fit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overconfident_score_is_pulled_in() {
        // Scores say ±4 log-odds, but a quarter of each side is wrong.
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for index in 0..400 {
            let high = index % 2 == 0;
            scores.push(if high { 4.0 } else { -4.0 });
            labels.push(high != (index % 8 < 2));
        }
        let fit = Platt::fit(&scores, &labels).unwrap();
        assert!((fit.probability(4.0) - 0.75).abs() < 0.01, "{fit:?}");
        assert!((fit.probability(-4.0) - 0.25).abs() < 0.01, "{fit:?}");
        assert_eq!(Platt::fit(&[1.0, 2.0], &[true, true]), None);
    }

    #[test]
    fn matching_a_rate_moves_the_intercept_alone() {
        let fit = Platt {
            slope: 0.5,
            intercept: 1.0,
        };
        let scores = [-2.0, 0.0, 1.0, 3.0];
        let matched = fit.matched_to_rate(&scores, 0.2);
        assert_eq!(matched.slope, 0.5);
        let mean: f64 = scores.iter().map(|&score| matched.probability(score)).sum::<f64>() / 4.0;
        assert!((mean - 0.2).abs() < 1e-12, "{matched:?}: mean {mean}");
    }
}
