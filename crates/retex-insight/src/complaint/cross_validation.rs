//! k-fold cross-validation of the complaint classifier, so its accuracy is a measured figure, not a claim.
//!
//! Row `i` belongs to fold `i mod k`: deterministic, and on a file grouped by intent (as Bitext's are) every
//! fold still gets a slice of every intent. Each fold is held out once while a model is trained on the others
//! with the same training code as the embedded model. Accuracy, precision and recall are pooled over all
//! held-out predictions; per-fold accuracies show the spread.

use super::ComplaintModel;
use super::training::TermCounts;

/// The outcome of a cross-validation run.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// Share of held-out messages classified correctly.
    pub accuracy: f64,
    /// Share of messages called complaints that are complaints; 0 when none was called a complaint.
    pub precision: f64,
    /// Share of complaints that were called complaints; 0 when there were no complaints.
    pub recall: f64,
    /// Accuracy on each held-out fold, in fold order.
    pub fold_accuracies: Vec<f64>,
}

/// Counts of held-out predictions against their labels.
#[derive(Debug, Clone, Copy, Default)]
struct ConfusionCounts {
    true_positives: u64,
    false_positives: u64,
    true_negatives: u64,
    false_negatives: u64,
}

impl ConfusionCounts {
    fn record(&mut self, predicted_complaint: bool, is_complaint: bool) {
        match (predicted_complaint, is_complaint) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_positives += 1,
            (false, false) => self.true_negatives += 1,
            (false, true) => self.false_negatives += 1,
        }
    }

    fn add(&mut self, other: ConfusionCounts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.true_negatives += other.true_negatives;
        self.false_negatives += other.false_negatives;
    }

    fn accuracy(&self) -> f64 {
        let correct = self.true_positives + self.true_negatives;
        let total = correct + self.false_positives + self.false_negatives;
        ratio_or_zero(correct, total)
    }

    fn precision(&self) -> f64 {
        ratio_or_zero(self.true_positives, self.true_positives + self.false_positives)
    }

    fn recall(&self) -> f64 {
        ratio_or_zero(self.true_positives, self.true_positives + self.false_negatives)
    }
}

fn ratio_or_zero(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Cross-validates the classifier on `(message, is_complaint)` rows with `folds` folds (see the module doc).
///
/// # Panics
/// If `folds < 2` or there are fewer rows than folds: a caller's mistake, not a property of the data.
pub fn cross_validate(rows: &[(String, bool)], folds: usize) -> CrossValidation {
    assert!(folds >= 2, "cross-validation needs at least 2 folds, got {folds}");
    assert!(rows.len() >= folds, "{} rows cannot fill {folds} folds", rows.len());
    let mut pooled = ConfusionCounts::default();
    let mut fold_accuracies = Vec::with_capacity(folds);
    for held_out_fold in 0..folds {
        let fold_counts = evaluate_fold(rows, folds, held_out_fold);
        fold_accuracies.push(fold_counts.accuracy());
        pooled.add(fold_counts);
    }
    CrossValidation {
        accuracy: pooled.accuracy(),
        precision: pooled.precision(),
        recall: pooled.recall(),
        fold_accuracies,
    }
}

/// Trains on every fold but `held_out_fold` and classifies the rows of `held_out_fold`.
fn evaluate_fold(rows: &[(String, bool)], folds: usize, held_out_fold: usize) -> ConfusionCounts {
    let mut term_counts = TermCounts::default();
    for (index, (message, is_complaint)) in rows.iter().enumerate() {
        if index % folds != held_out_fold {
            term_counts.add_message(message, *is_complaint);
        }
    }
    let model = ComplaintModel::from_trained(term_counts.into_model());
    let mut confusion = ConfusionCounts::default();
    for (index, (message, is_complaint)) in rows.iter().enumerate() {
        if index % folds == held_out_fold {
            confusion.record(model.is_complaint(message), *is_complaint);
        }
    }
    confusion
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(labelled: &[(&str, bool)]) -> Vec<(String, bool)> {
        labelled
            .iter()
            .map(|(message, label)| ((*message).to_owned(), *label))
            .collect()
    }

    #[test]
    fn a_separable_toy_set_is_classified_perfectly() {
        // Row i is in fold i mod 2, so each fold holds one complaint and one question.
        let toy = rows(&[
            ("refund my broken kettle", true),
            ("my broken lamp needs a refund", true),
            ("what time do you open", false),
            ("what time do you close", false),
        ]);
        let result = cross_validate(&toy, 2);
        assert_eq!(result.fold_accuracies, [1.0, 1.0]);
        assert_eq!((result.accuracy, result.precision, result.recall), (1.0, 1.0, 1.0));
    }

    #[test]
    fn a_fold_without_one_class_still_trains() {
        let one_sided = rows(&[("refund please", true), ("refund now", true), ("refund today", true)]);
        let result = cross_validate(&one_sided, 3);
        assert_eq!(result.recall, 1.0);
    }
}
