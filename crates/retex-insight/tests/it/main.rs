//! Integration tests of retex-insight: the message model's intents and complaints against the Bitext data and
//! held-out retail messages (with equality between the embedded model and a freshly trained one), the store exception-rate
//! test against hand-computed Poisson tails, the late-risk model on the SCMS delivery history, and the NAB
//! scorer and streaming anomaly detector.
#![allow(clippy::disallowed_methods)]

mod complaint;
mod intent;
mod late_risk;
mod nab;
mod store_rate;

use std::path::PathBuf;

/// Bitext's 8k file, used for cross-validation; relative to this crate's directory.
pub const BITEXT_CROSS_VALIDATION_CSV: &str = "data/bitext/train_8k.csv";
/// The embedded model's training files, as `build.rs` names them.
pub const BITEXT_TRAINING_CSV: &str = "data/bitext/train_20k.csv";
pub const SUPPLEMENT_CSV: &str = "data/retail_supplement.csv";
/// The USAID SCMS delivery history, 2006 to 2012.
pub const SCMS_CSV: &str = "data/scms/deliveries_2006_2012.csv";

/// Reads a file named relative to this crate's directory; panics naming the path (test data must be there).
pub fn read_crate_relative(relative_path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative_path);
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    }
}
