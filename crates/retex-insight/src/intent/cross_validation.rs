//! Measuring the intent classifier: accuracy and macro-F1 on labelled messages, k-fold cross-validation with
//! the embedded model's training code, and the confidence sharpness that fits the held-out answers best.
//!
//! Row `i` belongs to fold `i mod k`: deterministic, and on a file grouped by intent (as Bitext's are) every
//! fold gets a slice of every intent.

use rustc_hash::FxHashMap;

use super::IntentModel;
use super::training::TrainingParameters;

/// How well a model's answers matched the labels.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentEvaluation {
    pub messages: usize,
    /// Share of messages given their labelled intent.
    pub accuracy: f64,
    /// The unweighted mean over labelled intents of each intent's F1 (a rare intent counts as much as a common
    /// one).
    pub macro_f1: f64,
    /// The sharpness, among [`SHARPNESS_CANDIDATES`], whose confidences give the lowest log-loss.
    pub best_sharpness: f64,
    /// Mean negative log-likelihood of the labelled intents at `best_sharpness`.
    pub log_loss: f64,
}

/// The confidence sharpness values tried.
pub const SHARPNESS_CANDIDATES: [f64; 10] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0];

/// Evaluates `model` on `(message, intent)` rows.
pub fn evaluate(model: &IntentModel, rows: &[(String, String)]) -> IntentEvaluation {
    let mut answers = HeldOutAnswers::default();
    answers.record(model, rows);
    answers.evaluation()
}

/// Trains on all folds but one and evaluates on that one, for each of `folds` folds; the answers are pooled.
pub fn cross_validate(rows: &[(String, String)], folds: usize, parameters: &TrainingParameters) -> IntentEvaluation {
    let mut answers = HeldOutAnswers::default();
    for fold in 0..folds {
        let mut training = Vec::new();
        let mut held_out = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            if index % folds == fold {
                held_out.push(row.clone());
            } else {
                training.push(row.clone());
            }
        }
        let model = IntentModel::train(&training, parameters);
        answers.record(&model, &held_out);
    }
    answers.evaluation()
}

/// Per message: its label, what the model answered, and the scores behind the answer.
#[derive(Default)]
struct HeldOutAnswers {
    answers: Vec<(String, String, Vec<f32>, Option<usize>)>,
}

impl HeldOutAnswers {
    fn record(&mut self, model: &IntentModel, rows: &[(String, String)]) {
        for (message, label) in rows {
            let predicted = model.classify(message).intent.to_owned();
            let label_column = model.intents().position(|intent| intent == label);
            self.answers
                .push((label.clone(), predicted, model.scores(message), label_column));
        }
    }

    fn evaluation(&self) -> IntentEvaluation {
        let messages = self.answers.len();
        let correct = self
            .answers
            .iter()
            .filter(|(label, predicted, ..)| label == predicted)
            .count();
        let (best_sharpness, log_loss) = SHARPNESS_CANDIDATES
            .iter()
            .map(|&sharpness| (sharpness, self.log_loss(sharpness)))
            .min_by(|left, right| left.1.total_cmp(&right.1))
            .expect("there are candidates");
        IntentEvaluation {
            messages,
            accuracy: ratio(correct, messages),
            macro_f1: self.macro_f1(),
            best_sharpness,
            log_loss,
        }
    }

    fn macro_f1(&self) -> f64 {
        // Per labelled intent: (true positives, predicted as it, labelled as it).
        let mut counts: FxHashMap<&str, (usize, usize, usize)> = FxHashMap::default();
        for (label, predicted, ..) in &self.answers {
            counts.entry(label).or_default().2 += 1;
            counts.entry(predicted).or_default().1 += 1;
            if label == predicted {
                counts.entry(label).or_default().0 += 1;
            }
        }
        let labelled: Vec<_> = counts.values().filter(|&&(_, _, labelled)| labelled > 0).collect();
        let total: f64 = labelled
            .iter()
            .map(|&&(true_positives, predicted, labelled)| 2.0 * true_positives as f64 / (predicted + labelled) as f64)
            .sum();
        total / labelled.len().max(1) as f64
    }

    /// A label the model never saw costs as much as a confidence of 1e-6.
    fn log_loss(&self, sharpness: f64) -> f64 {
        let total: f64 = self
            .answers
            .iter()
            .map(|(_, _, scores, label_column)| {
                let Some(column) = *label_column else {
                    return -(1e-6f64).ln();
                };
                let highest = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let normaliser: f64 = scores
                    .iter()
                    .map(|&score| (f64::from(score - highest) * sharpness).exp())
                    .sum();
                let probability = (f64::from(scores[column] - highest) * sharpness).exp() / normaliser;
                -probability.max(1e-6).ln()
            })
            .sum();
        total / self.answers.len().max(1) as f64
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}
