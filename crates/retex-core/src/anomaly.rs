//! Retex's streaming anomaly detector: fixed-size state per series, causal (a row's score uses only the rows up
//! to it), deterministic, no allocation after construction.
//!
//! Cheap parts, after the published NAB detectors that did best with the least machinery:
//! - **surprises**: how rare this row's move `|x(t) - x(t-1)|` is among the last `history_rows` moves (its
//!   upper-tail rank), a stand-in for HTM's prediction error; how rare its value is among the last
//!   `history_rows` values (its two-sided rank), for a level that shifts inside the usual range; and how
//!   rare its spread (a short exponentially weighted mean of moves) is, on either side, for a series that
//!   turns restless or goes flat;
//! - **likelihood** (Numenta's anomaly likelihood), one per surprise: the mean surprise of the last
//!   `likelihood_rows` rows against an exponentially weighted mean and variance of that mean, as `-log10` of
//!   the Gaussian tail probability over 10, so a run of unusual rows in a calm series stands out and the same
//!   run in a restless one does not; the value's counts `value_weight` and the spread's `spread_weight` as
//!   much as the move's, and the highest is the score;
//! - **range** (Numenta's "spatial anomaly"): a value beyond everything seen so far by more than
//!   `range_tolerance` of that range scores 1.
//!
//! A score at or above `rest_level` silences the detector for `rest_rows` rows (contextOSE's rest period), so
//! an anomaly is reported once, which NAB rewards (only a window's first detection counts, every later one
//! outside it costs) and which a person reading exceptions wants.

use serde::{Deserialize, Serialize};

/// The detector's parameters; [`DetectorConfig::NAB`] is the one measured on NAB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// Past moves each surprise is ranked among (the ring's capacity).
    pub history_rows: usize,
    /// Rows before the first score while the ring fills.
    pub warm_up_rows: usize,
    /// Rows of surprise averaged for the likelihood.
    pub likelihood_rows: usize,
    /// Per-row weight of the newest average in the long-term mean and variance.
    pub likelihood_alpha: f64,
    /// Share of the range seen so far that a value must pass it by to score 1 (0 turns the part off).
    pub range_tolerance: f64,
    /// A score at or above this silences the detector for `rest_rows` rows.
    pub rest_level: f64,
    pub rest_rows: usize,
    /// Weight of the value's likelihood against the move's (0 turns the part off and drops its ring).
    pub value_weight: f64,
    /// Weight of the spread's likelihood against the move's (0 turns the part off and drops its ring).
    pub spread_weight: f64,
    /// Span, in rows, of the exponentially weighted mean of moves that is the spread.
    pub spread_span_rows: f64,
}

impl DetectorConfig {
    /// Tuned on the NAB corpus by its standard profile, as the published detectors were; fixed across files.
    pub const NAB: DetectorConfig = DetectorConfig {
        history_rows: 512,
        warm_up_rows: 300,
        likelihood_rows: 20,
        likelihood_alpha: 0.0005,
        range_tolerance: 0.01,
        rest_level: 0.3,
        rest_rows: 75,
        value_weight: 0.6,
        spread_weight: 0.5,
        spread_span_rows: 10.0,
    };
}

/// A fixed-capacity ring of the most recent values.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ring {
    values: Box<[f64]>,
    next: usize,
    len: usize,
}

impl Ring {
    fn new(capacity: usize) -> Ring {
        Ring {
            values: vec![0.0; capacity.max(1)].into_boxed_slice(),
            next: 0,
            len: 0,
        }
    }

    fn push(&mut self, value: f64) {
        self.values[self.next] = value;
        self.next = (self.next + 1) % self.values.len();
        self.len = (self.len + 1).min(self.values.len());
    }

    fn live(&self) -> &[f64] {
        &self.values[..self.len]
    }

    /// How rare a value this high is among the ring's values, in [0, 1): `s / (1 + s)` of
    /// `s = -log10(upper tail rank)`; past the highest value the tail shrinks with the distance beyond it in
    /// units of the ring's range, so a move ten times the largest seen scores above one just past it.
    fn upper_surprise(&self, value: f64) -> f64 {
        let live = self.live();
        if live.is_empty() {
            return 0.0;
        }
        let mut at_or_above = 0usize;
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for &past in live {
            at_or_above += usize::from(past >= value);
            low = low.min(past);
            high = high.max(past);
        }
        let mut tail = (at_or_above as f64 + 0.5) / (live.len() as f64 + 1.0);
        if at_or_above == 0 {
            let range = (high - low).max(1e-9 * (high.abs() + low.abs())).max(1e-12);
            tail /= 1.0 + (value - high) / range * 10.0;
        }
        let surprise = -tail.log10();
        1.0 - 1.0 / (1.0 + surprise)
    }

    /// How rare a value this far from the middle is among the ring's values, in [0, 1): `s / (1 + s)` of
    /// `s = -log10(rank of the nearer tail)`.
    fn two_sided_surprise(&self, value: f64) -> f64 {
        let live = self.live();
        if live.is_empty() {
            return 0.0;
        }
        let (mut above, mut below) = (0usize, 0usize);
        for &past in live {
            above += usize::from(past >= value);
            below += usize::from(past <= value);
        }
        let tail = (above.min(below) as f64 + 0.5) / (live.len() as f64 + 1.0);
        let surprise = -tail.log10();
        1.0 - 1.0 / (1.0 + surprise)
    }
}

/// Numenta's anomaly likelihood over one kind of surprise: its recent mean against the long-term mean and
/// variance of that mean.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Likelihood {
    /// The last `likelihood_rows` surprises.
    recent: Ring,
    /// Exponentially weighted mean and variance of the recent mean.
    mean: f64,
    variance: f64,
    /// Surprises taken so far.
    taken: usize,
}

impl Likelihood {
    fn new(rows: usize) -> Likelihood {
        Likelihood {
            recent: Ring::new(rows),
            mean: 0.0,
            variance: 0.0,
            taken: 0,
        }
    }

    /// Takes a surprise and returns how unlikely the recent mean is, as `-log10(tail probability) / 10` in
    /// [0, 1] (0 until the recent ring has filled twice); then updates the long-term mean and variance, faster
    /// at first while few surprises have been taken.
    fn take(&mut self, surprise: f64, alpha: f64) -> f64 {
        self.recent.push(surprise);
        let recent = self.recent.live();
        let average = recent.iter().sum::<f64>() / recent.len() as f64;
        let difference = average - self.mean;
        let z = difference / self.variance.sqrt().max(1e-4);
        let alpha = alpha.max(1.0 / (self.taken + 1) as f64);
        self.mean += alpha * difference;
        self.variance = (1.0 - alpha) * (self.variance + alpha * difference * difference);
        self.taken += 1;
        if self.taken <= 2 * self.recent.values.len() {
            return 0.0;
        }
        (-log10_normal_tail(z) / 10.0).clamp(0.0, 1.0)
    }
}

/// One series' detector: [`StreamingDetector::state_bytes`] of state, whatever the series' length.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamingDetector {
    config: DetectorConfig,
    /// The last `history_rows` moves `|x(t) - x(t-1)|`.
    moves: Ring,
    /// The last `history_rows` values (one slot when `value_weight` is 0).
    values: Ring,
    move_likelihood: Likelihood,
    value_likelihood: Likelihood,
    /// The last `history_rows` spreads (one slot when `spread_weight` is 0).
    spreads: Ring,
    spread_likelihood: Likelihood,
    /// The exponentially weighted mean of the moves so far.
    spread: f64,
    /// The lowest and highest values seen.
    low: f64,
    high: f64,
    previous: Option<f64>,
    rows: usize,
    /// Rows since the last score at or above `rest_level` (`usize::MAX` before the first).
    rows_since_alarm: usize,
}

impl StreamingDetector {
    pub fn new(config: DetectorConfig) -> StreamingDetector {
        let value_rows = if config.value_weight > 0.0 {
            config.history_rows
        } else {
            1
        };
        let spread_rows = if config.spread_weight > 0.0 {
            config.history_rows
        } else {
            1
        };
        StreamingDetector {
            config,
            moves: Ring::new(config.history_rows),
            values: Ring::new(value_rows),
            move_likelihood: Likelihood::new(config.likelihood_rows),
            value_likelihood: Likelihood::new(config.likelihood_rows),
            spreads: Ring::new(spread_rows),
            spread_likelihood: Likelihood::new(config.likelihood_rows),
            spread: 0.0,
            low: f64::INFINITY,
            high: f64::NEG_INFINITY,
            previous: None,
            rows: 0,
            rows_since_alarm: usize::MAX,
        }
    }

    /// The bytes of state this detector keeps, its rings included.
    pub fn state_bytes(&self) -> usize {
        let ring_values = self.moves.values.len()
            + self.values.values.len()
            + self.spreads.values.len()
            + self.move_likelihood.recent.values.len()
            + self.value_likelihood.recent.values.len()
            + self.spread_likelihood.recent.values.len();
        std::mem::size_of::<StreamingDetector>() + ring_values * std::mem::size_of::<f64>()
    }

    /// Takes the next value and returns its anomaly score in [0, 1].
    pub fn score(&mut self, value: f64) -> f64 {
        let config = self.config;
        let step = self.previous.map_or(0.0, |previous| (value - previous).abs());
        let spread = self.spread + 2.0 / (config.spread_span_rows + 1.0) * (step - self.spread);
        let mut score = 0.0;
        if self.rows >= config.warm_up_rows {
            let move_surprise = self.moves.upper_surprise(step);
            score = self.move_likelihood.take(move_surprise, config.likelihood_alpha);
            if config.value_weight > 0.0 {
                let value_surprise = self.values.two_sided_surprise(value);
                let value_score = self.value_likelihood.take(value_surprise, config.likelihood_alpha);
                score = score.max(value_score * config.value_weight);
            }
            if config.spread_weight > 0.0 {
                let spread_surprise = self.spreads.two_sided_surprise(spread);
                let spread_score = self.spread_likelihood.take(spread_surprise, config.likelihood_alpha);
                score = score.max(spread_score * config.spread_weight);
            }
            if self.beyond_range(value) {
                score = 1.0;
            }
        }
        self.low = self.low.min(value);
        self.high = self.high.max(value);
        self.moves.push(step);
        if config.spread_weight > 0.0 {
            self.spread = spread;
            self.spreads.push(spread);
        }
        if config.value_weight > 0.0 {
            self.values.push(value);
        }
        self.previous = Some(value);
        self.rows += 1;
        self.rows_since_alarm = self.rows_since_alarm.saturating_add(1);
        if self.rows_since_alarm <= config.rest_rows {
            return 0.0;
        }
        if score >= config.rest_level {
            self.rows_since_alarm = 0;
        }
        score
    }

    /// Whether `value` lies beyond the range seen so far by more than `range_tolerance` of it.
    fn beyond_range(&self, value: f64) -> bool {
        let tolerance = (self.high - self.low) * self.config.range_tolerance;
        self.config.range_tolerance > 0.0
            && self.high > self.low
            && (value > self.high + tolerance || value < self.low - tolerance)
    }
}

/// `log10` of the standard normal's upper tail probability at `z`, in log space so that it does not underflow
/// (the complementary error function by a Chebyshev fit, relative error below 1.2e-7).
pub fn log10_normal_tail(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let polynomial = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ln_erfc_of_abs = t.ln() + polynomial;
    let ln_tail = if x >= 0.0 {
        ln_erfc_of_abs - std::f64::consts::LN_2
    } else {
        (1.0 - 0.5 * ln_erfc_of_abs.exp()).ln()
    };
    ln_tail / std::f64::consts::LN_10
}

/// Scores a whole series with a fresh detector.
pub fn detect_series(values: &[f64], config: DetectorConfig) -> Vec<f64> {
    let mut detector = StreamingDetector::new(config);
    values.iter().map(|&value| detector.score(value)).collect()
}
