//! Runs Retex's NAB detector over a NAB data directory and scores it under the three profiles, with config
//! overrides for tuning: `cargo run --release -p retex-insight --example nab_detect -- DATA_DIR WINDOWS_JSON
//! [key=value ...] [--files] [--out SCORES.txt]` (`--out` writes the scores as a compact score file, which
//! NAB's own Python sweeper can be run over as a peer check).
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::time::Instant;

use retex_insight::nab::{
    DetectorConfig, PROFILES, ScoredFile, ThresholdChoice, detect_series, parse_series_csv, parse_windows_json,
    score_corpus, window_spans,
};

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let data_dir = Path::new(&arguments[0]);
    let windows = parse_windows_json(&std::fs::read_to_string(&arguments[1]).unwrap()).unwrap();
    let mut config = DetectorConfig::NAB;
    let mut per_file = false;
    let mut out = None;
    let mut rest = arguments[2..].iter();
    while let Some(argument) = rest.next() {
        if argument == "--files" {
            per_file = true;
            continue;
        }
        if argument == "--out" {
            out = rest.next().cloned();
            continue;
        }
        let (key, value) = argument.split_once('=').unwrap();
        let number: f64 = value.parse().unwrap();
        match key {
            "history" => config.history_rows = number as usize,
            "warm" => config.warm_up_rows = number as usize,
            "lrows" => config.likelihood_rows = number as usize,
            "lalpha" => config.likelihood_alpha = number,
            "range" => config.range_tolerance = number,
            "rest_level" => config.rest_level = number,
            "rest" => config.rest_rows = number as usize,
            "wv" => config.value_weight = number,
            "ws" => config.spread_weight = number,
            "sspan" => config.spread_span_rows = number,
            _ => panic!("unknown key {key}"),
        }
    }
    let mut series = Vec::new();
    let mut elapsed = 0.0;
    let mut rows = 0;
    for (name, file_windows) in &windows {
        let parsed = parse_series_csv(&std::fs::read_to_string(data_dir.join(name)).unwrap(), false).unwrap();
        let spans = window_spans(&parsed.timestamps, file_windows).unwrap();
        let start = Instant::now();
        let scores = detect_series(&parsed.values, config);
        if let Some(row) = scores.iter().position(|score| !score.is_finite()) {
            panic!("{name}: row {row} scores {}", scores[row]);
        }
        elapsed += start.elapsed().as_secs_f64();
        rows += scores.len();
        series.push((name.clone(), scores, spans));
    }
    let files: Vec<ScoredFile<'_>> = series
        .iter()
        .map(|(_, scores, spans)| ScoredFile {
            anomaly_scores: scores,
            windows: spans,
        })
        .collect();
    let state_bytes = retex_insight::nab::StreamingDetector::new(config).state_bytes();
    let mut line = format!(
        "{config:?} | {state_bytes} bytes | {:.0} rows/s |",
        rows as f64 / elapsed
    );
    for profile in &PROFILES {
        let score = score_corpus(&files, profile, ThresholdChoice::Optimise);
        line.push_str(&format!(
            " {} {:.2} (t {:.4} tp {} fp {})",
            profile.name,
            score.normalised,
            score.threshold.threshold,
            score.threshold.true_positives,
            score.threshold.false_positives
        ));
        if per_file && profile.name == "standard" {
            for (file, (name, _, _)) in files.iter().zip(&series) {
                let one = score_corpus(
                    std::slice::from_ref(file),
                    profile,
                    ThresholdChoice::Fixed(score.threshold.threshold),
                );
                println!(
                    "{:60} windows {} raw {:.3} fp {}",
                    name, one.window_count, one.threshold.score, one.threshold.false_positives
                );
            }
        }
    }
    println!("{line}");
    if let Some(out) = out {
        let compact: Vec<(String, Vec<f64>)> = series.into_iter().map(|(name, scores, _)| (name, scores)).collect();
        std::fs::write(out, retex_insight::nab::format_compact_scores(&compact)).unwrap();
    }
}
