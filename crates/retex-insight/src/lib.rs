//! Retex's models: the customer complaint and message intent classifiers, the store exception-rate test,
//! supplier delay risk, and a streaming anomaly detector with the NAB scorer that measures it.
//!
//! Pure like `retex-core`: no I/O, no clock, no randomness at run time. The message models are trained by
//! `build.rs` from the Bitext data set (and a retail supplement) and embedded in the binary, so the same text always
//! gets the same answer, which keeps engine replays byte-identical. `retex-core` sees this crate only through its
//! `Insight` trait, implemented here by [`EmbeddedInsight`].
//!
//! # Layout
//! - [`intent`]: [`IntentModel`], a linear SVM per intent over TF-IDF words, word pairs and character n-grams,
//!   routing a customer message to one of Bitext's 27 intents; trained by `build.rs`, embedded as bytes.
//!   - [`intent::cross_validation`]: accuracy, macro-F1 and confidence calibration, k-fold.
//! - [`complaint`]: [`ComplaintModel`], the same method trained with a retail supplement; a message is a
//!   complaint when its complaint intents together reach even odds (`customer_complaint`).
//! - [`bitext`]: parsing Bitext's CSV; `words` (private): what a word is.
//! - [`store_rate`]: the one-sided exact Poisson test, Bonferroni-corrected, behind `store_exception_rate`.
//! - [`engine_insight`]: [`EmbeddedInsight`], the engine's `Insight` backed by the two above.
//! - [`late_risk`]: supplier delay risk, the calibrated probability that a PO line arrives late, trained at run
//!   time on a delivery history given as text (USAID SCMS format); `retex insight late-risk` reads the files.
//!   - [`late_risk::scms`]: the SCMS CSV to `Delivery` lines, every messy value read, never fatal.
//!   - [`late_risk::features`]: what is known before delivery, the causal record so far (`History`).
//!   - [`late_risk::boosting`], [`late_risk::calibration`]: histogram boosted trees, Platt scaling.
//!   - [`late_risk::metrics`], [`late_risk::explain`]: AUC, Brier, reliability; a line's top reasons.
//! - [`nab`]: the Numenta Anomaly Benchmark and Retex's anomaly detector, measured by it.
//!   - [`nab::corpus`]: NAB's files from text (series, results, label windows, the compact score file).
//!   - [`nab::scorer`]: NAB v1.1's scoring: windows, probation, the scaled sigmoid, profiles, the corpus-wide
//!     threshold sweep and the null/perfect normalisation.
//!   - the detector itself is `retex_core::anomaly` (the engine runs it on each store's daily shrink), re-exported
//!     here as [`nab::StreamingDetector`].
//!
//! `build.rs` reads `data/bitext/` and `data/retail_supplement.csv` and writes the trained models to
//! `OUT_DIR`. `data/scms/` holds the SCMS delivery history for the late-risk tests and its time-split example;
//! `data/nab` holds NAB's corpus (MIT) for the tests.

pub mod bitext;
pub mod complaint;
pub mod engine_insight;
pub mod intent;
pub mod late_risk;
pub mod nab;
pub mod store_rate;
mod words;

/// The embedded models' versions, written by `build.rs`: `complaint-svm-` and `intent-svm-` with a hash of the
/// model's contents, so a retrained model is a new version.
pub mod versions {
    include!(concat!(env!("OUT_DIR"), "/model_versions.rs"));
}

pub use bitext::{BitextError, parse_bitext_files, parse_bitext_intents};
pub use complaint::{COMPLAINT_INTENTS, COMPLAINT_PROBABILITY_THRESHOLD, ComplaintModel, ComplaintVerdict};
pub use engine_insight::EmbeddedInsight;
pub use intent::{Classification, IntentModel};
pub use store_rate::{
    DISPERSION_PEERS_MIN, StoreRateVerdict, abnormal_store_rates, negative_binomial_upper_tail, poisson_upper_tail,
};
