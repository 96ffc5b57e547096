//! Trains the embedded message models at build time, so the library never reads a file and the models that
//! ship are a pure function of the data set and this crate's source. The `#[path]` modules below are the very
//! files the library compiles.
//!
//! - The complaint model: from Bitext's `data/bitext/train_20k.csv` (with its licence and source beside it) and
//!   `data/complaint_supplement.csv`, written to `OUT_DIR/complaint_model.rs` as a sorted Rust table that
//!   `src/complaint/mod.rs` includes. Floats are written with `{:?}`, which prints the shortest text that reads
//!   back to the same f64, so the embedded model equals the trained one bit for bit.
//! - The intent model: from both Bitext files, written to `OUT_DIR/intent_model.bin` in the format of
//!   `src/intent/model_file.rs`, read back and compared before the build goes on. `Cargo.toml` compiles this
//!   crate, build script included, optimised even in debug builds: training takes seconds optimised and minutes
//!   without.
#![allow(clippy::disallowed_methods)]

#[path = "src/bitext.rs"]
mod bitext;
#[path = "src/intent"]
mod intent {
    pub mod model_file;
    pub mod terms;
    pub mod training;
    pub mod vectors;
}
#[path = "src/words.rs"]
mod words;

#[path = "src/complaint/tokenise.rs"]
mod tokenise;
#[path = "src/complaint/training.rs"]
mod training;
#[path = "src/complaint/training_data.rs"]
mod training_data;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use training::{TermCounts, TrainedNaiveBayes};

/// Bitext's training file, relative to this crate's directory.
const BITEXT_TRAINING_CSV: &str = "data/bitext/train_20k.csv";
/// Hand-written complaints of the kinds Bitext lacks, relative to this crate's directory.
const SUPPLEMENT_CSV: &str = "data/complaint_supplement.csv";
/// Bitext's other file; the intent model trains on both.
const BITEXT_SECOND_CSV: &str = "data/bitext/train_8k.csv";
const MODEL_FILE_NAME: &str = "complaint_model.rs";
const INTENT_MODEL_FILE_NAME: &str = "intent_model.bin";

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bitext_path = crate_dir.join(BITEXT_TRAINING_CSV);
    let supplement_path = crate_dir.join(SUPPLEMENT_CSV);
    println!("cargo::rerun-if-changed={}", bitext_path.display());
    println!("cargo::rerun-if-changed={}", supplement_path.display());

    let bitext_csv = read_training_file(&bitext_path);
    let supplement_csv = read_training_file(&supplement_path);
    let rows = match training_data::embedded_model_training_rows(&bitext_csv, &supplement_csv) {
        Ok(rows) => rows,
        Err(error) => fail(&format!("complaint training data is invalid: {error}")),
    };
    let mut counts = TermCounts::default();
    for (message, is_complaint) in &rows {
        counts.add_message(message, *is_complaint);
    }
    let model_source = model_as_rust_source(&counts.into_model());
    write_file(&out_dir.join(MODEL_FILE_NAME), model_source.as_bytes());

    let second_path = crate_dir.join(BITEXT_SECOND_CSV);
    println!("cargo::rerun-if-changed={}", second_path.display());
    write_file(
        &out_dir.join(INTENT_MODEL_FILE_NAME),
        &intent_model_bytes(&bitext_csv, &read_training_file(&second_path)),
    );
}

/// Trains the intent model on both Bitext files and returns its bytes, checked to read back to the same model.
fn intent_model_bytes(first_csv: &str, second_csv: &str) -> Vec<u8> {
    let mut rows = Vec::new();
    for text in [first_csv, second_csv] {
        match bitext::parse_bitext_intents(text) {
            Ok(parsed) => rows.extend(parsed),
            Err(error) => fail(&format!("intent training data is invalid: {error}")),
        }
    }
    let model = intent::training::train(&rows, &intent::training::EMBEDDED_TRAINING);
    let bytes = intent::model_file::encode(&model);
    match intent::model_file::decode(&bytes) {
        Ok(read_back) if read_back == model => bytes,
        Ok(_) => fail("the intent model's bytes read back to a different model"),
        Err(error) => fail(&error.to_string()),
    }
}

fn write_file(path: &Path, contents: &[u8]) {
    if let Err(error) = std::fs::write(path, contents) {
        fail(&format!("cannot write {}: {error}", path.display()));
    }
}

fn read_training_file(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => fail(&format!(
            "cannot read the complaint classifier's training data at {}: {error} (retex-insight trains its \
             model at build time from the data folder in its crate)",
            path.display()
        )),
    }
}

/// Writes the model as the two items `src/complaint/mod.rs` expects: `EMBEDDED_LOG_PRIORS` and `EMBEDDED_TERMS`.
fn model_as_rust_source(model: &TrainedNaiveBayes) -> String {
    let mut source = String::new();
    source.push_str("// Generated by retex-insight's build.rs from the complaint training data.\n");
    let priors = model.log_priors;
    writeln!(
        source,
        "pub(super) const EMBEDDED_LOG_PRIORS: (f64, f64) = ({:?}, {:?});",
        priors.complaint, priors.other
    )
    .expect("writing to a String cannot fail");
    source.push_str("pub(super) static EMBEDDED_TERMS: &[(&str, f64, f64)] = &[\n");
    for (term, log_likelihoods) in &model.terms {
        writeln!(
            source,
            "({term:?}, {:?}, {:?}),",
            log_likelihoods.complaint, log_likelihoods.other
        )
        .expect("writing to a String cannot fail");
    }
    source.push_str("];\n");
    source
}

/// Fails the build with one message that Cargo shows as the error.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(1)
}
