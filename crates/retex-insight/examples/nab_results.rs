//! Scores a NAB results directory with the Rust scorer, each profile optimised and at a given threshold, and
//! writes the compact score file the tests rebuild those results from:
//! `cargo run --release -p retex-insight --example nab_results -- RESULTS_DIR WINDOWS_JSON [COMPACT_OUT]`.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use retex_insight::nab::{
    PROFILES, ScoredFile, ThresholdChoice, format_compact_scores, parse_series_csv, parse_windows_json, score_corpus,
    window_spans,
};

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let results_dir = Path::new(&arguments[0]);
    let windows = parse_windows_json(&std::fs::read_to_string(&arguments[1]).unwrap()).unwrap();
    let mut series = Vec::new();
    for (name, file_windows) in &windows {
        let (folder, file_name) = name.split_once('/').unwrap();
        let mut found = None;
        for entry in std::fs::read_dir(results_dir.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let candidate = path.file_name().unwrap().to_string_lossy().into_owned();
            if candidate.ends_with(&format!("_{file_name}")) {
                found = Some(path);
            }
        }
        let path = found.unwrap();
        let parsed = parse_series_csv(&std::fs::read_to_string(&path).unwrap(), true).unwrap();
        let spans = window_spans(&parsed.timestamps, file_windows).unwrap();
        series.push((name.clone(), parsed.anomaly_scores, spans));
    }
    let files: Vec<ScoredFile<'_>> = series
        .iter()
        .map(|(_, scores, spans)| ScoredFile {
            anomaly_scores: scores,
            windows: spans,
        })
        .collect();
    for profile in &PROFILES {
        for choice in [ThresholdChoice::Optimise, ThresholdChoice::Fixed(1.0)] {
            let score = score_corpus(&files, profile, choice);
            println!(
                "{:20} {:?}: threshold {} raw {:.6} null {} perfect {} normalised {:.6} tp {} fp {}",
                profile.name,
                choice,
                score.threshold.threshold,
                score.threshold.score,
                score.null,
                score.perfect,
                score.normalised,
                score.threshold.true_positives,
                score.threshold.false_positives
            );
        }
    }
    if let Some(out) = arguments.get(2) {
        let compact: Vec<(String, Vec<f64>)> = series.into_iter().map(|(name, scores, _)| (name, scores)).collect();
        std::fs::write(out, format_compact_scores(&compact)).unwrap();
    }
}
