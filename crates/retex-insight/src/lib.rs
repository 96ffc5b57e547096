//! Retex's models: the customer complaint classifier, the store exception-rate test and a streaming anomaly
//! detector with the NAB scorer that measures it.
//!
//! Pure like `retex-core`: no I/O, no clock, no randomness at run time. The complaint model is trained by
//! `build.rs` from the Bitext data set and embedded in the binary, so classifying is a table lookup per word and
//! the same text always gets the same answer, which keeps engine replays byte-identical. `retex-core` sees this
//! crate only through its `Insight` trait, implemented here by [`EmbeddedInsight`].
//!
//! # Layout
//! - [`complaint`]: [`ComplaintModel`], multinomial naive Bayes over word unigrams and bigrams
//!   (`customer_complaint`), with its one-copy tokeniser and training code shared with `build.rs`.
//!   - [`complaint::training_data`]: parsing Bitext's CSV, the intents labelled as complaints, the supplement.
//!   - [`complaint::cross_validation`]: k-fold cross-validation with the same training code.
//! - [`store_rate`]: the one-sided exact Poisson test, Bonferroni-corrected, behind `store_exception_rate`.
//! - [`engine_insight`]: [`EmbeddedInsight`], the engine's `Insight` backed by the two above.
//! - [`nab`]: the Numenta Anomaly Benchmark and Retex's anomaly detector, measured by it.
//!   - [`nab::corpus`]: NAB's files from text (series, results, label windows, the compact score file).
//!   - [`nab::scorer`]: NAB v1.1's scoring: windows, probation, the scaled sigmoid, profiles, the corpus-wide
//!     threshold sweep and the null/perfect normalisation.
//!   - [`nab::detector`]: [`nab::StreamingDetector`], fixed-size state per series, causal and deterministic.
//!
//! `build.rs` reads `data/bitext/train_20k.csv` and `data/complaint_supplement.csv` and writes the
//! trained model to `OUT_DIR/complaint_model.rs`. `data/nab` holds NAB's corpus (MIT) for the tests.

pub mod complaint;
pub mod engine_insight;
pub mod nab;
pub mod store_rate;

pub use complaint::cross_validation::{CrossValidation, cross_validate};
pub use complaint::training_data::{BitextError, COMPLAINT_INTENTS, embedded_model_training_rows, parse_bitext_csv};
pub use complaint::{COMPLAINT_PROBABILITY_THRESHOLD, ComplaintModel};
pub use engine_insight::EmbeddedInsight;
pub use store_rate::{StoreRateVerdict, abnormal_store_rates, poisson_upper_tail};
