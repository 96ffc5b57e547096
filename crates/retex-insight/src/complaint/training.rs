//! Trains the multinomial naive Bayes complaint model from labelled messages.
//!
//! Like `tokenise.rs`, this file is compiled into both `build.rs` (training the embedded model at build time)
//! and the library (training fold models for cross-validation), so the model that ships and the models that are
//! cross-validated come from one copy of the training code.
//!
//! The model, for the two classes *complaint* and *other*:
//! - prior `P(class) = (messages in class + 1) / (messages + 2)`: Laplace smoothing on the priors too, so a
//!   training set (or cross-validation fold) without one class still gives finite log-probabilities;
//! - likelihood `P(term | class) = (occurrences of term in class + 1) / (term occurrences in class + V)`, where
//!   `V` is the vocabulary size (every unigram and bigram seen in training, in either class): Laplace smoothing.
//!
//! Terms are kept in a `BTreeMap`, so the vocabulary comes out sorted and training is deterministic.

use std::collections::BTreeMap;

use super::tokenise::for_each_feature;

/// A pair of natural-log probabilities, one per class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassLogProbabilities {
    pub complaint: f64,
    pub other: f64,
}

/// How often something was seen in each class.
#[derive(Debug, Clone, Copy, Default)]
struct ClassCounts {
    complaint: u64,
    other: u64,
}

impl ClassCounts {
    fn add_one(&mut self, is_complaint: bool) {
        if is_complaint {
            self.complaint += 1;
        } else {
            self.other += 1;
        }
    }
}

/// A trained model in plain form: log priors and, per term, its log-likelihood in each class.
#[derive(Debug, Clone)]
pub struct TrainedNaiveBayes {
    pub log_priors: ClassLogProbabilities,
    /// Sorted by term, each term once.
    pub terms: Vec<(String, ClassLogProbabilities)>,
}

/// Accumulates term counts over labelled messages; [`TermCounts::into_model`] turns them into probabilities.
#[derive(Debug, Default)]
pub struct TermCounts {
    messages: ClassCounts,
    /// Occurrences of every term across all messages of each class.
    term_occurrences: ClassCounts,
    occurrences_by_term: BTreeMap<String, ClassCounts>,
}

impl TermCounts {
    /// Counts one labelled message.
    pub fn add_message(&mut self, text: &str, is_complaint: bool) {
        self.messages.add_one(is_complaint);
        for_each_feature(text, |feature| {
            self.term_occurrences.add_one(is_complaint);
            match self.occurrences_by_term.get_mut(feature) {
                Some(counts) => counts.add_one(is_complaint),
                None => {
                    let mut counts = ClassCounts::default();
                    counts.add_one(is_complaint);
                    self.occurrences_by_term.insert(feature.to_owned(), counts);
                }
            }
        });
    }

    /// Turns the counts into Laplace-smoothed log-probabilities (see the module doc).
    pub fn into_model(self) -> TrainedNaiveBayes {
        let message_total = (self.messages.complaint + self.messages.other) as f64;
        let log_priors = ClassLogProbabilities {
            complaint: ((self.messages.complaint as f64 + 1.0) / (message_total + 2.0)).ln(),
            other: ((self.messages.other as f64 + 1.0) / (message_total + 2.0)).ln(),
        };
        let vocabulary_size = self.occurrences_by_term.len() as f64;
        let complaint_denominator = self.term_occurrences.complaint as f64 + vocabulary_size;
        let other_denominator = self.term_occurrences.other as f64 + vocabulary_size;
        let mut terms = Vec::with_capacity(self.occurrences_by_term.len());
        for (term, counts) in self.occurrences_by_term {
            let log_likelihoods = ClassLogProbabilities {
                complaint: ((counts.complaint as f64 + 1.0) / complaint_denominator).ln(),
                other: ((counts.other as f64 + 1.0) / other_denominator).ln(),
            };
            terms.push((term, log_likelihoods));
        }
        TrainedNaiveBayes { log_priors, terms }
    }
}
