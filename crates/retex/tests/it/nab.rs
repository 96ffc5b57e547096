//! `retex insight nab`: a detector's results files scored to hand-worked numbers, a bad line reported as
//! `FILE:LINE`, and Retex's detector run over the NAB corpus kept in `retex-insight/data/nab`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::{retex, stderr, stdout};

/// A corpus of one 100-row series `x/s.csv` with one window on rows 40 to 49, and a detector `det`'s results
/// for it: 1 on row 40 (the window's first row) and 0.8 on row 20 (before the window); `bad_line` (1-based,
/// the header is line 1) gets an anomaly score that is not a number.
fn write_corpus(dir: &Path, bad_line: Option<usize>) -> (PathBuf, PathBuf) {
    let time = |row: usize| format!("2020-01-01 {:02}:{:02}:00", row * 5 / 60, row * 5 % 60);
    let windows = dir.join("windows.json");
    let limits = format!("{{\"x/s.csv\": [[\"{}.000000\", \"{}.000000\"]]}}", time(40), time(49));
    std::fs::write(&windows, limits).unwrap();
    let results = dir.join("det");
    std::fs::create_dir_all(results.join("x")).unwrap();
    let mut text = String::from("timestamp,value,anomaly_score,label\n");
    for row in 0..100 {
        let score = match row {
            40 => "1",
            20 => "0.8",
            _ if bad_line == Some(row + 2) => "high",
            _ => "0",
        };
        writeln!(text, "{},{row},{score},0", time(row)).unwrap();
    }
    std::fs::write(results.join("x/det_s.csv"), text).unwrap();
    (results, windows)
}

#[test]
fn results_files_are_scored_with_the_optimised_threshold_and_a_fixed_one() {
    let dir = tempfile::tempdir().unwrap();
    let (results, windows) = write_corpus(dir.path(), None);
    let (results, windows) = (results.to_str().unwrap(), windows.to_str().unwrap());
    let output = insight_nab(&["--results", results, "--windows", windows, "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    // Threshold 1 catches the window's first row alone: raw 1, the perfect score.
    assert_eq!(report["profile"], "standard");
    assert_eq!(report["threshold"], 1.0);
    assert_eq!(report["raw"], 1.0);
    assert_eq!(report["null"], -1.0);
    assert_eq!(report["score"], 100.0);
    // At 0.8 the row before the window costs 0.11: (0.89 + 1) / 2 = 94.5%.
    let output = insight_nab(&["--results", results, "--windows", windows, "--threshold", "0.8"]);
    let text = stdout(&output);
    assert!(
        text.starts_with("standard: score 94.50 (threshold 0.8, raw 0.8900"),
        "{text}"
    );
    let output = insight_nab(&["--results", results, "--windows", windows, "--profile", "all"]);
    assert_eq!(stdout(&output).lines().count(), 3);
}

#[test]
fn a_bad_line_is_reported_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (results, windows) = write_corpus(dir.path(), Some(23));
    let output = insight_nab(&[
        "--results",
        results.to_str().unwrap(),
        "--windows",
        windows.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("det_s.csv:23: `anomaly_score` is not a finite number: \"high\""),
        "{message}"
    );
    let output = insight_nab(&["--results", "x", "--windows", "w", "--profile", "lenient"]);
    assert!(
        stderr(&output).contains("unknown profile \"lenient\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_detector_over_nab_s_data_scores_its_measured_figure() {
    let nab = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../retex-insight/data/nab");
    let data = nab.join("data");
    let windows = nab.join("labels/combined_windows.json");
    let output = insight_nab(&[
        "--data",
        data.to_str().unwrap(),
        "--windows",
        windows.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    let score = report["score"].as_f64().unwrap();
    assert!(score >= 69.10, "{score}");
    assert_eq!(report["files"], 58);
    assert_eq!(report["windows"], 116);
    assert!(report["rows_per_second"].as_f64().unwrap() > 0.0);
}

/// Runs `retex insight nab` with `args`.
fn insight_nab(args: &[&str]) -> std::process::Output {
    let mut full = vec!["insight", "nab"];
    full.extend_from_slice(args);
    retex(&full)
}
