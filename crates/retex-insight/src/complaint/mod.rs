//! The customer complaint classifier behind `customer_complaint`: multinomial naive Bayes over lowercase word
//! unigrams and bigrams, trained at build time and embedded in the binary.
//!
//! Naive Bayes is chosen for transparency: a message's score is the class prior plus one number per term it
//! contains, so an operator can be shown why a message was called a complaint ([`ComplaintModel::explain`]) and
//! which words the model leans on overall ([`ComplaintModel::strongest_terms`]). It is also fast: a lookup and
//! an addition per term.
//!
//! `build.rs` trains the model on Bitext plus this crate's supplement (see [`training_data`] for the data and
//! the intents labelled as complaints) and writes it as a Rust table to `OUT_DIR`; [`ComplaintModel::embedded`]
//! turns that table into a hash map once, at first use. Tokenising (`tokenise`), training (`training`) and the
//! data recipe ([`training_data`]) are single files compiled into both the build script and the library.

pub mod cross_validation;
mod tokenise;
mod training;
pub mod training_data;

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use self::tokenise::for_each_feature;
use self::training::{ClassLogProbabilities, TermCounts, TrainedNaiveBayes};

/// A message whose complaint probability reaches this is a complaint. Even odds: the model's priors already
/// carry the base rate, and a missed complaint and a needless exception cost about the same (one look by
/// customer service).
pub const COMPLAINT_PROBABILITY_THRESHOLD: f64 = 0.5;

/// The model written by `build.rs`: `EMBEDDED_LOG_PRIORS` (complaint, other) and `EMBEDDED_TERMS`, sorted
/// `(term, log-likelihood in complaint, log-likelihood in other)` rows.
mod embedded_table {
    include!(concat!(env!("OUT_DIR"), "/complaint_model.rs"));
}

static EMBEDDED_MODEL: OnceLock<ComplaintModel> = OnceLock::new();

/// A trained complaint classifier. Deterministic: the same text always gets the same probability.
pub struct ComplaintModel {
    log_priors: ClassLogProbabilities,
    /// Every term seen in training with its log-likelihood per class. Terms outside it are ignored when
    /// scoring, as is usual for naive Bayes with a fixed vocabulary.
    log_likelihoods_by_term: FxHashMap<Box<str>, ClassLogProbabilities>,
}

impl ComplaintModel {
    /// The model trained at build time, loaded at first use.
    pub fn embedded() -> &'static ComplaintModel {
        EMBEDDED_MODEL.get_or_init(|| {
            let mut terms = Vec::with_capacity(embedded_table::EMBEDDED_TERMS.len());
            for &(term, complaint, other) in embedded_table::EMBEDDED_TERMS {
                terms.push((term.to_owned(), ClassLogProbabilities { complaint, other }));
            }
            let (complaint, other) = embedded_table::EMBEDDED_LOG_PRIORS;
            let log_priors = ClassLogProbabilities { complaint, other };
            ComplaintModel::from_trained(TrainedNaiveBayes { log_priors, terms })
        })
    }

    /// Trains a model on `(message, is_complaint)` rows with the same code that trained the embedded one.
    pub fn train(rows: &[(String, bool)]) -> ComplaintModel {
        let mut counts = TermCounts::default();
        for (message, is_complaint) in rows {
            counts.add_message(message, *is_complaint);
        }
        ComplaintModel::from_trained(counts.into_model())
    }

    fn from_trained(trained: TrainedNaiveBayes) -> ComplaintModel {
        let mut log_likelihoods_by_term = FxHashMap::default();
        log_likelihoods_by_term.reserve(trained.terms.len());
        for (term, log_likelihoods) in trained.terms {
            log_likelihoods_by_term.insert(term.into_boxed_str(), log_likelihoods);
        }
        ComplaintModel {
            log_priors: trained.log_priors,
            log_likelihoods_by_term,
        }
    }

    /// The posterior probability that `text` is a complaint, in `[0, 1]`.
    pub fn complaint_probability(&self, text: &str) -> f64 {
        let mut log_odds = self.log_priors.complaint - self.log_priors.other;
        for_each_feature(text, |feature| {
            if let Some(log_likelihoods) = self.log_likelihoods_by_term.get(feature) {
                log_odds += log_likelihoods.complaint - log_likelihoods.other;
            }
        });
        // The logistic function; a huge negative log_odds gives 1 / inf = 0, never NaN.
        1.0 / (1.0 + (-log_odds).exp())
    }

    /// Whether `text` is a complaint: its probability reaches [`COMPLAINT_PROBABILITY_THRESHOLD`].
    pub fn is_complaint(&self, text: &str) -> bool {
        self.complaint_probability(text) >= COMPLAINT_PROBABILITY_THRESHOLD
    }

    /// Each known term of `text`, in message order, with its log-likelihood ratio (natural log of
    /// `P(term | complaint) / P(term | other)`): positive pushes towards complaint. Together with the prior they
    /// add up to the log-odds behind [`ComplaintModel::complaint_probability`].
    pub fn explain(&self, text: &str) -> Vec<(String, f64)> {
        let mut contributions = Vec::new();
        for_each_feature(text, |feature| {
            if let Some(log_likelihoods) = self.log_likelihoods_by_term.get(feature) {
                let ratio = log_likelihoods.complaint - log_likelihoods.other;
                contributions.push((feature.to_owned(), ratio));
            }
        });
        contributions
    }

    /// The `n` terms whose presence most favours *complaint*, strongest first, each with its log-likelihood
    /// ratio `ln P(term | complaint) - ln P(term | other)` (positive).
    pub fn strongest_terms(&self, n: usize) -> Vec<(String, f64)> {
        self.strongest_terms_for(n, ClassDirection::Complaint)
    }

    /// The `n` terms whose presence most favours *other* (not a complaint), strongest first, each with its
    /// log-likelihood ratio `ln P(term | other) - ln P(term | complaint)` (positive).
    pub fn strongest_non_complaint_terms(&self, n: usize) -> Vec<(String, f64)> {
        self.strongest_terms_for(n, ClassDirection::Other)
    }

    fn strongest_terms_for(&self, n: usize, direction: ClassDirection) -> Vec<(String, f64)> {
        let mut ranked = Vec::with_capacity(self.log_likelihoods_by_term.len());
        for (term, log_likelihoods) in &self.log_likelihoods_by_term {
            let ratio = match direction {
                ClassDirection::Complaint => log_likelihoods.complaint - log_likelihoods.other,
                ClassDirection::Other => log_likelihoods.other - log_likelihoods.complaint,
            };
            ranked.push((term.to_string(), ratio));
        }
        // Ties broken by term so the answer does not depend on hash-map order.
        ranked.sort_by(|left, right| right.1.total_cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
        ranked.truncate(n);
        ranked
    }

    /// How many distinct terms (unigrams and bigrams) the model knows.
    pub fn vocabulary_size(&self) -> usize {
        self.log_likelihoods_by_term.len()
    }
}

/// Which class a ranking of terms favours.
#[derive(Debug, Clone, Copy)]
enum ClassDirection {
    Complaint,
    Other,
}

impl std::fmt::Debug for ComplaintModel {
    /// A summary: the vocabulary has thousands of terms, too many for a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ComplaintModel")
            .field("log_priors", &self.log_priors)
            .field("vocabulary_size", &self.vocabulary_size())
            .finish()
    }
}
