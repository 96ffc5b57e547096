//! How good the probabilities are: AUC (ranking), Brier score and a reliability table (calibration).

/// The area under the ROC curve: the chance that a random late line scores above a random on-time one, ties
/// counting one half (Mann-Whitney with mid-ranks). `None` unless both outcomes occur.
pub fn auc(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    assert_eq!(probabilities.len(), labels.len(), "one label per probability");
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]));
    let positives = labels.iter().filter(|&&label| label).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && probabilities[order[end + 1]] == probabilities[order[start]] {
            end += 1;
        }
        // Ranks start..=end (1-based: start + 1 ..= end + 1) share their mean.
        let mid_rank = (start + end) as f64 / 2.0 + 1.0;
        for &index in &order[start..=end] {
            if labels[index] {
                positive_rank_sum += mid_rank;
            }
        }
        start = end + 1;
    }
    let positives = positives as f64;
    let u = positive_rank_sum - positives * (positives + 1.0) / 2.0;
    Some(u / (positives * negatives as f64))
}

/// The mean squared difference between probability and outcome (0 or 1); `None` for no lines.
pub fn brier(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    assert_eq!(probabilities.len(), labels.len(), "one label per probability");
    if probabilities.is_empty() {
        return None;
    }
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&probability, &label)| (probability - f64::from(u8::from(label))).powi(2))
        .sum();
    Some(sum / probabilities.len() as f64)
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilityBin {
    /// Predicted probabilities in `[lower, upper)` (the last bin includes 1).
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    /// `None` for an empty bin.
    pub mean_predicted: Option<f64>,
    pub observed_rate: Option<f64>,
}

/// `bins` equal-width bins over [0, 1]: in each, the mean prediction against the observed late rate.
pub fn reliability(probabilities: &[f64], labels: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    assert_eq!(probabilities.len(), labels.len(), "one label per probability");
    assert!(bins > 0, "at least one bin");
    let mut sums = vec![(0usize, 0.0f64, 0usize); bins];
    for (&probability, &label) in probabilities.iter().zip(labels) {
        let bin = ((probability.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        sums[bin].0 += 1;
        sums[bin].1 += probability;
        sums[bin].2 += usize::from(label);
    }
    sums.iter()
        .enumerate()
        .map(|(bin, &(count, predicted, late))| ReliabilityBin {
            lower: bin as f64 / bins as f64,
            upper: (bin + 1) as f64 / bins as f64,
            count,
            mean_predicted: (count > 0).then(|| predicted / count as f64),
            observed_rate: (count > 0).then(|| late as f64 / count as f64),
        })
        .collect()
}

/// AUC, Brier score and the ten-bin reliability table of probabilities against outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub lines: usize,
    pub late: usize,
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    pub reliability: Vec<ReliabilityBin>,
}

pub const RELIABILITY_BINS: usize = 10;

pub fn evaluate(probabilities: &[f64], labels: &[bool]) -> Evaluation {
    Evaluation {
        lines: labels.len(),
        late: labels.iter().filter(|&&label| label).count(),
        auc: auc(probabilities, labels),
        brier: brier(probabilities, labels),
        reliability: reliability(probabilities, labels, RELIABILITY_BINS),
    }
}
