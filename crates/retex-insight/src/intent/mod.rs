//! The message intent classifier: which of Bitext's 27 customer-service intents a message is about (cancel an
//! order, get a refund, where is my delivery, a complaint, a payment problem, ...), so a `customer_message` goes
//! to the team that handles it.
//!
//! A linear support vector machine per intent over TF-IDF words, word pairs and character n-grams ([`terms`],
//! [`vectors`]), trained by `build.rs` on all of Bitext's 2019 samples ([`training`]) and embedded in the binary
//! ([`model_file`]). Linear, so a message's score for an intent is a bias plus one weight per term it contains:
//! [`IntentModel::explain`] names the terms that decided. Deterministic: the same text always gets the same
//! answer.

pub mod cross_validation;
pub mod model_file;
pub mod terms;
pub mod training;
pub mod vectors;

use std::sync::OnceLock;

use self::training::{TrainedIntentModel, TrainingParameters, train};
use self::vectors::{TermRows, Weighting, weigh};

/// The embedded model's bytes, written by `build.rs`.
static EMBEDDED_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/intent_model.bin"));

static EMBEDDED_MODEL: OnceLock<IntentModel> = OnceLock::new();

/// How sharply a message's scores become confidences: `softmax(score × CONFIDENCE_SHARPNESS)`. An SVM's scores are
/// margins, not probabilities; this factor is the one that gives the lowest log-loss in cross-validation
/// (docs/insight.md), so a confidence of 0.8 is right about four times in five.
pub const CONFIDENCE_SHARPNESS: f64 = 5.0;

/// Words too common to explain anything on their own.
const FUNCTION_WORDS: [&str; 24] = [
    "a", "an", "and", "are", "be", "can", "do", "for", "i", "in", "is", "it", "me", "my", "of", "on", "so", "that",
    "the", "this", "to", "was", "with", "you",
];

/// How many intents a classification lists with their confidences.
pub const TOP_INTENTS: usize = 3;

/// A trained intent classifier.
pub struct IntentModel {
    intents: Vec<Box<str>>,
    rows: TermRows,
    /// Each row's term, for explanations.
    terms: Vec<Box<str>>,
    inverse_document_frequency: Vec<f32>,
    biases: Vec<f32>,
    /// Row-major, `intents.len()` weights per row.
    weights: Vec<f32>,
}

/// What a message is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification<'model> {
    pub intent: &'model str,
    pub confidence: f64,
    /// The [`TOP_INTENTS`] likeliest intents, likeliest first (the first is `intent`).
    pub top: Vec<(&'model str, f64)>,
}

impl IntentModel {
    /// The model trained at build time, loaded at first use.
    pub fn embedded() -> &'static IntentModel {
        EMBEDDED_MODEL.get_or_init(|| IntentModel::from_embedded_bytes(EMBEDDED_BYTES))
    }

    /// A model `build.rs` wrote in [`model_file`]'s format and checked by reading it back.
    pub(crate) fn from_embedded_bytes(bytes: &[u8]) -> IntentModel {
        match model_file::decode(bytes) {
            Ok(trained) => IntentModel::from_trained(trained),
            Err(error) => unreachable!("build.rs checked the embedded model: {error}"),
        }
    }

    /// Trains a model on `(message, intent)` rows with the same code that trained the embedded one.
    pub fn train(rows: &[(String, String)], parameters: &TrainingParameters) -> IntentModel {
        IntentModel::from_trained(train(rows, parameters))
    }

    fn from_trained(trained: TrainedIntentModel) -> IntentModel {
        let rows = TermRows::new(&trained.word_terms, &trained.character_terms);
        let terms = trained
            .word_terms
            .iter()
            .chain(&trained.character_terms)
            .map(|term| term.as_str().into())
            .collect();
        IntentModel {
            intents: trained.intents.iter().map(|intent| intent.as_str().into()).collect(),
            rows,
            terms,
            inverse_document_frequency: trained.inverse_document_frequency,
            biases: trained.biases,
            weights: trained.weights,
        }
    }

    /// The intents this model knows, sorted.
    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.intents.iter().map(|intent| &**intent)
    }

    /// The message's weighted terms, sorted by row.
    fn vector(&self, text: &str) -> Vec<(u32, f32)> {
        let mut occurrences = Vec::new();
        self.rows.occurrences(text, &mut occurrences);
        let mut vector = Vec::with_capacity(occurrences.len());
        let weighting = Weighting {
            inverse_document_frequency: &self.inverse_document_frequency,
            word_rows: self.rows.word_rows(),
        };
        weigh(&mut occurrences, weighting, &mut vector);
        vector
    }

    /// Each intent's score (margin) for `text`, in [`IntentModel::intents`] order.
    pub fn scores(&self, text: &str) -> Vec<f32> {
        let mut scores = self.biases.clone();
        let intent_count = self.intents.len();
        for (row, value) in self.vector(text) {
            let start = row as usize * intent_count;
            for (score, weight) in scores.iter_mut().zip(&self.weights[start..start + intent_count]) {
                *score += value * weight;
            }
        }
        scores
    }

    /// Each intent's confidence for `text`, in [`IntentModel::intents`] order: `softmax(score ×
    /// CONFIDENCE_SHARPNESS)`, so they add up to 1.
    pub fn confidences(&self, text: &str) -> Vec<f64> {
        let scores = self.scores(text);
        let highest = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut confidences: Vec<f64> = scores
            .iter()
            .map(|&score| (f64::from(score - highest) * CONFIDENCE_SHARPNESS).exp())
            .collect();
        let total: f64 = confidences.iter().sum();
        for confidence in &mut confidences {
            *confidence /= total;
        }
        confidences
    }

    /// The likeliest intent of `text` with its confidence, and the next likeliest.
    pub fn classify(&self, text: &str) -> Classification<'_> {
        // The likeliest few, kept in order as the confidences go by: intents are sorted by name, so on a tie the
        // earlier name stays ahead and the answer depends on nothing but the scores.
        let mut ranked: Vec<(&str, f64)> = Vec::with_capacity(TOP_INTENTS + 1);
        for (intent, confidence) in self.intents().zip(self.confidences(text)) {
            let place = ranked.partition_point(|&(_, kept)| kept >= confidence);
            if place < TOP_INTENTS {
                ranked.insert(place, (intent, confidence));
                ranked.truncate(TOP_INTENTS);
            }
        }
        Classification {
            intent: ranked[0].0,
            confidence: ranked[0].1,
            top: ranked,
        }
    }

    /// The `n` words and word pairs of `text` that pushed it most towards `intent`, strongest first, each with
    /// its contribution to the score (weight in the message times the intent's weight for the term). Character
    /// n-grams and lone function words ("the", "is") count in the score but say nothing to a reader, so they
    /// are not listed. Empty for an intent the model does not know.
    pub fn explain(&self, text: &str, intent: &str, n: usize) -> Vec<(String, f32)> {
        let Some(column) = self.intents.iter().position(|known| &**known == intent) else {
            return Vec::new();
        };
        let intent_count = self.intents.len();
        let mut contributions: Vec<(String, f32)> = self
            .vector(text)
            .into_iter()
            .filter(|&(row, _)| row < self.rows.word_rows() && !FUNCTION_WORDS.contains(&&*self.terms[row as usize]))
            .map(|(row, value)| {
                let weight = self.weights[row as usize * intent_count + column];
                (self.terms[row as usize].to_string(), value * weight)
            })
            .filter(|&(_, contribution)| contribution > 0.0)
            .collect();
        contributions.sort_by(|left, right| right.1.total_cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
        contributions.truncate(n);
        contributions
    }

    /// How many terms the model knows (words, word pairs and character n-grams).
    pub fn vocabulary_size(&self) -> usize {
        self.terms.len()
    }
}

impl std::fmt::Debug for IntentModel {
    /// A summary: the weights are far too many for a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IntentModel")
            .field("intents", &self.intents.len())
            .field("vocabulary_size", &self.vocabulary_size())
            .finish()
    }
}
