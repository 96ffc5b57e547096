//! NAB v1.1's scoring, written from its documentation and `nab/sweeper.py`: label windows, the probationary
//! period, the scaled sigmoid that rewards early detections and weighs false positives by their distance past
//! the preceding window, the application profiles, the corpus-wide threshold sweep and the normalisation
//! between the null detector (detects nothing) and the perfect one (one on-time detection per window).

use super::corpus::{Timestamp, WindowLimits};

/// An application profile: NAB's cost matrix (`config/profiles.json`; the true-negative weight is unused).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub name: &'static str,
    pub tp_weight: f64,
    pub fp_weight: f64,
    pub fn_weight: f64,
}

pub const STANDARD: Profile = Profile {
    name: "standard",
    tp_weight: 1.0,
    fp_weight: 0.11,
    fn_weight: 1.0,
};
pub const REWARD_LOW_FP_RATE: Profile = Profile {
    name: "reward_low_FP_rate",
    tp_weight: 1.0,
    fp_weight: 0.22,
    fn_weight: 1.0,
};
pub const REWARD_LOW_FN_RATE: Profile = Profile {
    name: "reward_low_FN_rate",
    tp_weight: 1.0,
    fp_weight: 0.11,
    fn_weight: 2.0,
};
/// NAB's three profiles, in its scoreboard's order.
pub const PROFILES: [Profile; 3] = [STANDARD, REWARD_LOW_FP_RATE, REWARD_LOW_FN_RATE];

/// The profile of that name (`standard`, `reward_low_FP_rate`, `reward_low_FN_rate`; case-insensitive).
pub fn profile_by_name(name: &str) -> Option<Profile> {
    PROFILES
        .into_iter()
        .find(|profile| profile.name.eq_ignore_ascii_case(name))
}

/// NAB's share of each file that is not scored (the detector learns), capped at
/// `PROBATIONARY_SHARE * PROBATIONARY_CAP_ROWS` rows.
pub const PROBATIONARY_SHARE: f64 = 0.15;
pub const PROBATIONARY_CAP_ROWS: f64 = 5000.0;

/// Rows at the start of a file of `row_count` rows that are not scored: `min(floor(0.15 n), 750)`.
pub fn probationary_length(row_count: usize) -> usize {
    let share = (PROBATIONARY_SHARE * row_count as f64).floor();
    share.min(PROBATIONARY_SHARE * PROBATIONARY_CAP_ROWS) as usize
}

/// `2 sigmoid(-5 x) - 1`: about 0.987 at a window's left edge (x = -1), 0 at its right edge (x = 0), about
/// -0.987 one window width past it (x = 1), and -1 beyond three widths.
pub fn scaled_sigmoid(relative_position: f64) -> f64 {
    if relative_position > 3.0 {
        return -1.0;
    }
    2.0 / (1.0 + (5.0 * relative_position).exp()) - 1.0
}

/// A window as row indices into its file, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpan {
    pub first: usize,
    pub last: usize,
}

impl WindowSpan {
    fn width(self) -> usize {
        self.last - self.first + 1
    }
}

/// Finds each window's limits among the file's timestamps (the first row of each, as NAB does); `Err` names
/// the first limit that is not a row.
pub fn window_spans(timestamps: &[Timestamp], windows: &[WindowLimits]) -> Result<Vec<WindowSpan>, Timestamp> {
    let mut spans = Vec::with_capacity(windows.len());
    for limits in windows {
        let first = timestamps
            .iter()
            .position(|&time| time == limits.start)
            .ok_or(limits.start)?;
        let last = timestamps
            .iter()
            .position(|&time| time == limits.end)
            .ok_or(limits.end)?;
        if last < first {
            return Err(limits.end);
        }
        spans.push(WindowSpan { first, last });
    }
    Ok(spans)
}

/// A scored row: the detector's anomaly score, what a detection here would add (weighted by the profile), and
/// the corpus-wide index of the window it lies in. Probationary rows are left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    pub anomaly_score: f64,
    pub sweep_score: f64,
    pub window: Option<u32>,
}

/// The sweep points of one file (`sweeper.calcSweepScore`). A row in a window scores as a true positive by
/// its position, normalised so that the window's first row is worth `tp_weight`; a row outside scores as a
/// false positive, -1 before any window and by the sigmoid of its distance past the preceding window (in that
/// window's widths) after one. Windows are numbered from `first_window_index` in order.
pub fn sweep_points(
    anomaly_scores: &[f64],
    windows: &[WindowSpan],
    profile: &Profile,
    first_window_index: u32,
    points: &mut Vec<SweepPoint>,
) {
    let max_tp = scaled_sigmoid(-1.0);
    let probation = probationary_length(anomaly_scores.len());
    let mut next_window = 0;
    let mut previous: Option<WindowSpan> = None;
    for (row, &anomaly_score) in anomaly_scores.iter().enumerate() {
        while next_window < windows.len() && windows[next_window].last < row {
            previous = Some(windows[next_window]);
            next_window += 1;
        }
        let current = windows.get(next_window).filter(|window| window.first <= row);
        let (sweep_score, window) = match (current, previous) {
            (Some(window), _) => {
                let position = -((window.last - row + 1) as f64) / window.width() as f64;
                let score = scaled_sigmoid(position) * profile.tp_weight / max_tp;
                (score, Some(first_window_index + next_window as u32))
            }
            (None, None) => (-profile.fp_weight, None),
            (None, Some(before)) => {
                let widths_past = (row - before.last) as f64 / (before.width().max(2) - 1) as f64;
                (scaled_sigmoid(widths_past) * profile.fp_weight, None)
            }
        };
        if row >= probation {
            points.push(SweepPoint {
                anomaly_score,
                sweep_score,
                window,
            });
        }
    }
}

/// The score at one threshold, with the confusion counts over scored rows (NAB's `ThresholdScore`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdScore {
    pub threshold: f64,
    pub score: f64,
    pub true_positives: usize,
    pub true_negatives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

/// The score of detecting at every row whose anomaly score is at least `threshold`: the sum of the false
/// positives' sweep scores, plus for each window its best detection (its first, as the sigmoid falls) or
/// `-fn_weight` when it has none. `window_count` bounds the window indices.
pub fn score_at_threshold(
    points: &[SweepPoint],
    window_count: usize,
    profile: &Profile,
    threshold: f64,
) -> ThresholdScore {
    let mut best: Vec<Option<f64>> = vec![None; window_count];
    let mut seen = vec![false; window_count];
    let mut result = ThresholdScore {
        threshold,
        score: 0.0,
        true_positives: 0,
        true_negatives: 0,
        false_positives: 0,
        false_negatives: 0,
    };
    let mut false_positive_sum = 0.0;
    for point in points {
        let detected = point.anomaly_score >= threshold;
        match (point.window, detected) {
            (Some(window), true) => {
                let window = window as usize;
                seen[window] = true;
                best[window] = Some(best[window].map_or(point.sweep_score, |old: f64| old.max(point.sweep_score)));
                result.true_positives += 1;
            }
            (Some(window), false) => {
                seen[window as usize] = true;
                result.false_negatives += 1;
            }
            (None, true) => {
                false_positive_sum += point.sweep_score;
                result.false_positives += 1;
            }
            (None, false) => result.true_negatives += 1,
        }
    }
    let mut window_sum = 0.0;
    for (window_best, window_seen) in best.iter().zip(&seen) {
        if *window_seen {
            window_sum += window_best.unwrap_or(-profile.fn_weight).max(-profile.fn_weight);
        }
    }
    result.score = false_positive_sum + window_sum;
    result
}

/// NAB's optimiser over the corpus (`sweeper.calcScoreByThreshold`, then the best): lowers the threshold
/// through every distinct anomaly score, from above the highest, and keeps the threshold of the highest
/// total score (the highest such threshold on a tie). Sorts `points`.
pub fn optimise_threshold(points: &mut [SweepPoint], window_count: usize, profile: &Profile) -> ThresholdScore {
    points.sort_by(|left, right| right.anomaly_score.total_cmp(&left.anomaly_score));
    let mut window_best: Vec<Option<f64>> = vec![None; window_count];
    let mut window_total = 0.0;
    for point in points.iter() {
        if let Some(window) = point.window
            && window_best[window as usize].is_none()
        {
            window_best[window as usize] = Some(-profile.fn_weight);
            window_total -= profile.fn_weight;
        }
    }
    let in_windows = points.iter().filter(|point| point.window.is_some()).count();
    let mut current = ThresholdScore {
        threshold: 1.1,
        score: window_total,
        true_positives: 0,
        true_negatives: points.len() - in_windows,
        false_positives: 0,
        false_negatives: in_windows,
    };
    let mut best = current;
    let mut false_positive_sum = 0.0;
    let mut index = 0;
    while index < points.len() {
        let threshold = points[index].anomaly_score;
        while index < points.len() && points[index].anomaly_score.total_cmp(&threshold).is_eq() {
            let point = points[index];
            if let Some(window) = point.window {
                let slot = &mut window_best[window as usize];
                let old = slot.unwrap_or(-profile.fn_weight);
                if point.sweep_score > old {
                    window_total += point.sweep_score - old;
                    *slot = Some(point.sweep_score);
                }
                current.true_positives += 1;
                current.false_negatives -= 1;
            } else {
                false_positive_sum += point.sweep_score;
                current.false_positives += 1;
                current.true_negatives -= 1;
            }
            index += 1;
        }
        current.threshold = threshold;
        current.score = false_positive_sum + window_total;
        if current.score > best.score {
            best = current;
        }
    }
    best
}

/// One file to score: its anomaly scores and its windows as row indices.
#[derive(Debug, Clone, Copy)]
pub struct ScoredFile<'a> {
    pub anomaly_scores: &'a [f64],
    pub windows: &'a [WindowSpan],
}

/// How the threshold is chosen: NAB's optimiser, or a given one (as NAB's scoring step reads
/// `config/thresholds.json`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdChoice {
    Optimise,
    Fixed(f64),
}

/// A detector's score on a corpus under one profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorpusScore {
    pub profile: Profile,
    pub threshold: ThresholdScore,
    /// The null detector's raw score: no detection, every window missed.
    pub null: f64,
    /// The perfect detector's raw score: `tp_weight` per window.
    pub perfect: f64,
    /// `100 (raw - null) / (perfect - null)`: 0 for the null detector, 100 for the perfect one.
    pub normalised: f64,
    pub window_count: usize,
}

/// Scores a corpus: sweep points for every file, the threshold, and the normalised score.
pub fn score_corpus(files: &[ScoredFile<'_>], profile: &Profile, choice: ThresholdChoice) -> CorpusScore {
    let mut points = Vec::new();
    let mut window_count = 0;
    for file in files {
        sweep_points(
            file.anomaly_scores,
            file.windows,
            profile,
            window_count as u32,
            &mut points,
        );
        window_count += file.windows.len();
    }
    let null = score_at_threshold(&points, window_count, profile, f64::INFINITY).score;
    let threshold = match choice {
        ThresholdChoice::Optimise => optimise_threshold(&mut points, window_count, profile),
        ThresholdChoice::Fixed(threshold) => score_at_threshold(&points, window_count, profile, threshold),
    };
    let perfect = window_count as f64 * profile.tp_weight;
    CorpusScore {
        profile: *profile,
        threshold,
        null,
        perfect,
        normalised: normalised_score(threshold.score, null, perfect),
        window_count,
    }
}

/// NAB's normalisation: `100 (raw - null) / (perfect - null)`.
pub fn normalised_score(raw: f64, null: f64, perfect: f64) -> f64 {
    100.0 * (raw - null) / (perfect - null)
}
