//! The NAB scorer against hand-worked numbers (the sigmoid at a window's edges, a false positive before any
//! window and after one, only a window's first detection, the probationary period, the normaliser, the
//! threshold sweep), NAB's published windowedGaussian scores rebuilt from the committed compact file, and
//! Retex's streaming detector on the whole corpus.

use retex_insight::nab::{
    DetectorConfig, PROFILES, ScoredFile, Series, StreamingDetector, ThresholdChoice, WindowSpan, detect_series,
    format_compact_scores, format_timestamp, normalised_score, optimise_threshold, parse_compact_scores,
    parse_series_csv, parse_timestamp, parse_windows_json, probationary_length, profile_by_name, scaled_sigmoid,
    score_at_threshold, score_corpus, sweep_points, window_spans,
};

use crate::read_crate_relative;

const STANDARD: retex_insight::nab::Profile = PROFILES[0];
const CLOSE: f64 = 1e-9;

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < CLOSE, "{actual} is not {expected}");
}

/// The score of one 100-row file (probation: the first 15 rows) with one window on rows 40 to 49, detecting
/// exactly at `detections`.
fn one_file_score(detections: &[usize], windows: &[WindowSpan], profile: &retex_insight::nab::Profile) -> f64 {
    let mut scores = vec![0.0; 100];
    for &row in detections {
        scores[row] = 1.0;
    }
    let file = ScoredFile {
        anomaly_scores: &scores,
        windows,
    };
    score_corpus(&[file], profile, ThresholdChoice::Fixed(0.5))
        .threshold
        .score
}

const WINDOW: [WindowSpan; 1] = [WindowSpan { first: 40, last: 49 }];

#[test]
fn scaled_sigmoid_at_a_window_s_edges_and_beyond() {
    // 2 sigmoid(5) - 1 at the left edge, 0 at the right edge, its negative one width past it, -1 beyond three.
    assert_close(scaled_sigmoid(-1.0), 0.986_614_298_151_430_5);
    assert_close(scaled_sigmoid(0.0), 0.0);
    assert_close(scaled_sigmoid(1.0), -0.986_614_298_151_430_5);
    assert_close(scaled_sigmoid(3.0), -0.999_999_388_195_546_1);
    assert_close(scaled_sigmoid(3.000_001), -1.0);
}

#[test]
fn probation_is_fifteen_percent_capped_at_750_rows() {
    assert_eq!(probationary_length(100), 15);
    assert_eq!(probationary_length(1127), 169);
    assert_eq!(probationary_length(4032), 604);
    assert_eq!(probationary_length(5000), 750);
    assert_eq!(probationary_length(22695), 750);
}

#[test]
fn a_window_s_first_row_earns_the_true_positive_weight_and_its_last_row_a_quarter() {
    assert_close(one_file_score(&[40], &WINDOW, &STANDARD), 1.0);
    // Row 45: half a window before the right edge: sigmoid(-0.5) / sigmoid(-1).
    assert_close(one_file_score(&[45], &WINDOW, &STANDARD), 0.859_792_566_909_783_7);
    // Row 49: a tenth of a window before the edge.
    assert_close(one_file_score(&[49], &WINDOW, &STANDARD), 0.248_241_549_775_429_92);
}

#[test]
fn only_a_window_s_first_detection_counts() {
    assert_close(
        one_file_score(&[45, 46, 47, 49], &WINDOW, &STANDARD),
        0.859_792_566_909_783_7,
    );
    assert_close(one_file_score(&[40, 45], &WINDOW, &STANDARD), 1.0);
}

#[test]
fn a_false_positive_before_any_window_costs_the_full_weight_and_a_missed_window_costs_one() {
    assert_close(one_file_score(&[20], &WINDOW, &STANDARD), -1.0 - 0.11);
    let low_fp = profile_by_name("reward_low_FP_rate").unwrap();
    assert_close(one_file_score(&[20], &WINDOW, &low_fp), -1.0 - 0.22);
    let low_fn = profile_by_name("reward_low_fn_rate").unwrap();
    assert_close(one_file_score(&[20], &WINDOW, &low_fn), -2.0 - 0.11);
    assert_close(one_file_score(&[], &WINDOW, &STANDARD), -1.0);
}

#[test]
fn a_false_positive_after_a_window_is_weighed_by_its_distance_in_window_widths() {
    // Row 58 is 9 rows past row 49, one width (10 rows, less one) past: 0.11 sigmoid-scaled at 1.
    assert_close(
        one_file_score(&[40, 58], &WINDOW, &STANDARD),
        1.0 - 0.108_527_572_796_657_34,
    );
    // Right after the window it costs little.
    assert_close(
        one_file_score(&[40, 50], &WINDOW, &STANDARD),
        1.0 - 0.029_793_183_036_839_352,
    );
    // Far past it, the full weight.
    assert_close(one_file_score(&[40, 90], &WINDOW, &STANDARD), 1.0 - 0.11);
}

#[test]
fn probationary_rows_and_windows_are_not_scored() {
    // A detection in the first 15 rows neither costs nor earns.
    assert_close(one_file_score(&[10], &WINDOW, &STANDARD), -1.0);
    // A window wholly in probation is not counted as missed...
    let early = [WindowSpan { first: 5, last: 9 }];
    assert_close(one_file_score(&[], &early, &STANDARD), 0.0);
    // ...but a detection after it is a false positive weighed by its distance past it: row 90 is 81 rows past
    // a 5-row window, beyond three widths.
    assert_close(one_file_score(&[90], &early, &STANDARD), -0.11);
}

#[test]
fn the_normaliser_maps_null_to_zero_and_perfect_to_a_hundred() {
    assert_close(normalised_score(-116.0, -116.0, 116.0), 0.0);
    assert_close(normalised_score(116.0, -116.0, 116.0), 100.0);
    assert_close(normalised_score(0.0, -116.0, 116.0), 50.0);
    let mut scores = vec![0.0; 100];
    scores[40] = 1.0;
    let file = ScoredFile {
        anomaly_scores: &scores,
        windows: &WINDOW,
    };
    let perfect = score_corpus(&[file], &STANDARD, ThresholdChoice::Optimise);
    assert_close(perfect.null, -1.0);
    assert_close(perfect.perfect, 1.0);
    assert_close(perfect.normalised, 100.0);
}

#[test]
fn the_sweep_keeps_the_threshold_of_the_best_total_over_every_file() {
    // File one: 0.9 at the window's start, 0.8 on four rows outside. File two: 0.7 outside, no window.
    let mut first = vec![0.1; 100];
    first[40] = 0.9;
    for row in [20, 30, 60, 70] {
        first[row] = 0.8;
    }
    let mut second = vec![0.1; 100];
    second[50] = 0.7;
    let no_windows: [WindowSpan; 0] = [];
    let mut points = Vec::new();
    sweep_points(&first, &WINDOW, &STANDARD, 0, &mut points);
    sweep_points(&second, &no_windows, &STANDARD, 1, &mut points);
    let best = optimise_threshold(&mut points, 1, &STANDARD);
    assert_close(best.threshold, 0.9);
    assert_close(best.score, 1.0);
    assert_eq!((best.true_positives, best.false_positives), (1, 0));
    // Lower thresholds add false positives; the sweep and a direct score agree at each.
    let at_08 = score_at_threshold(&points, 1, &STANDARD, 0.8);
    assert_eq!((at_08.true_positives, at_08.false_positives), (1, 4));
    assert!(at_08.score < best.score);
    let files = [
        ScoredFile {
            anomaly_scores: &first,
            windows: &WINDOW,
        },
        ScoredFile {
            anomaly_scores: &second,
            windows: &no_windows,
        },
    ];
    let corpus = score_corpus(&files, &STANDARD, ThresholdChoice::Optimise);
    assert_close(corpus.threshold.threshold, 0.9);
    assert_close(corpus.normalised, 100.0);
}

#[test]
fn timestamps_read_both_of_nab_s_spellings_and_errors_name_the_line() {
    assert_eq!(
        parse_timestamp("2014-04-10 07:15:00"),
        parse_timestamp("2014-04-10 07:15:00.000000")
    );
    assert_eq!(parse_timestamp("1970-01-01 00:00:01"), Some(1_000_000));
    let time = parse_timestamp("2016-02-29 23:59:58.25").unwrap();
    assert_eq!(format_timestamp(time), "2016-02-29 23:59:58.250000");
    assert_eq!(parse_timestamp("2014-13-01 00:00:00"), None);
    let error = parse_series_csv("timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,x\n", false).unwrap_err();
    assert_eq!(error.line, 3);
    let error = parse_series_csv("timestamp,value\n2014-01-01 00:00:00,1\n", true).unwrap_err();
    assert_eq!(
        (error.line, error.problem.as_str()),
        (1, "header has no `anomaly_score` column")
    );
    let windows = parse_windows_json("{\"a.csv\": [[\"2014-01-01 00:00:00\", \"2014-01-01 01:00:00\"]]}").unwrap();
    assert_eq!(windows["a.csv"].len(), 1);
    assert!(parse_windows_json("{\"a.csv\": [[\"2014-01-01 00:00:00\"]]}").is_err());
}

#[test]
fn the_compact_score_file_reads_back_exactly() {
    let series = vec![("a/b.csv".to_owned(), vec![0.0, 0.5, 1.0, 0.617_299_730_383, 1e-7])];
    let text = format_compact_scores(&series);
    assert_eq!(text, "= a/b.csv\n0 .5 1 .617299730383 .0000001\n");
    assert_eq!(parse_compact_scores(&text).unwrap(), series);
    assert_eq!(parse_compact_scores("= a\n0 2\n").unwrap_err().line, 2);
}

/// NAB's 58 series with their windows, from the copy in `data/nab`.
fn corpus() -> Vec<(String, Series, Vec<WindowSpan>)> {
    let windows = parse_windows_json(&read_crate_relative("data/nab/labels/combined_windows.json")).unwrap();
    let mut corpus = Vec::new();
    for (name, limits) in windows {
        let series = parse_series_csv(&read_crate_relative(&format!("data/nab/data/{name}")), false).unwrap();
        let spans = window_spans(&series.timestamps, &limits).unwrap();
        corpus.push((name, series, spans));
    }
    corpus
}

fn normalised_scores(corpus: &[(String, Vec<f64>, Vec<WindowSpan>)]) -> Vec<(f64, f64)> {
    let files: Vec<ScoredFile<'_>> = corpus
        .iter()
        .map(|(_, scores, spans)| ScoredFile {
            anomaly_scores: scores,
            windows: spans,
        })
        .collect();
    PROFILES
        .iter()
        .map(|profile| {
            let score = score_corpus(&files, profile, ThresholdChoice::Optimise);
            (score.normalised, score.threshold.threshold)
        })
        .collect()
}

#[test]
fn windowed_gaussian_s_published_scores_are_reproduced() {
    let compact = parse_compact_scores(&read_crate_relative("data/nab/results/windowedGaussian_scores.txt")).unwrap();
    let mut rebuilt = Vec::new();
    for ((name, series, spans), (compact_name, scores)) in corpus().into_iter().zip(compact) {
        assert_eq!(name, compact_name);
        assert_eq!(series.values.len(), scores.len(), "{name}");
        rebuilt.push((name, scores, spans));
    }
    assert_eq!(rebuilt.len(), 58);
    let windows: usize = rebuilt.iter().map(|(_, _, spans)| spans.len()).sum();
    assert_eq!(windows, 116);
    // results/final_results.json; the threshold is config/thresholds.json's 1.0 for all three.
    let published = [39.649_523_496_077_585, 20.867_985_824_741_38, 47.410_027_158_304_6];
    for ((score, threshold), expected) in normalised_scores(&rebuilt).into_iter().zip(published) {
        assert!((score - expected).abs() < 1e-6, "{score} is not NAB's {expected}");
        assert_close(threshold, 1.0);
    }
}

/// Measured with `DetectorConfig::NAB` (see docs/benchmarks.md), rounded down.
const DETECTOR_SCORES_AT_LEAST: [f64; 3] = [69.10, 62.42, 73.40];

#[test]
fn the_streaming_detector_scores_at_least_its_measured_figures_on_nab() {
    let scored: Vec<(String, Vec<f64>, Vec<WindowSpan>)> = corpus()
        .into_iter()
        .map(|(name, series, spans)| (name, detect_series(&series.values, DetectorConfig::NAB), spans))
        .collect();
    for (((score, _), at_least), profile) in normalised_scores(&scored)
        .into_iter()
        .zip(DETECTOR_SCORES_AT_LEAST)
        .zip(PROFILES)
    {
        assert!(score >= at_least, "{}: {score} < {at_least}", profile.name);
        assert!(
            score < at_least + 0.01,
            "{}: {score} beats {at_least}: raise the figure",
            profile.name
        );
    }
}

#[test]
fn the_detector_is_causal_deterministic_bounded_and_quiet_after_an_alarm() {
    let values: Vec<f64> = (0..3000)
        .map(|row| ((row * 37 % 101) as f64).sin() + if row == 2000 { 50.0 } else { 0.0 })
        .collect();
    let whole = detect_series(&values, DetectorConfig::NAB);
    assert_eq!(whole, detect_series(&values, DetectorConfig::NAB));
    assert_eq!(detect_series(&values[..1500], DetectorConfig::NAB), whole[..1500]);
    assert!(whole.iter().all(|score| (0.0..=1.0).contains(score)));
    assert!(
        whole[..DetectorConfig::NAB.warm_up_rows]
            .iter()
            .all(|&score| score == 0.0)
    );
    // The spike is past everything seen: it scores 1 and the next rest_rows rows score 0.
    assert_close(whole[2000], 1.0);
    assert!(
        whole[2001..=2000 + DetectorConfig::NAB.rest_rows]
            .iter()
            .all(|&score| score == 0.0)
    );
    let mut detector = StreamingDetector::new(DetectorConfig::NAB);
    let before = detector.state_bytes();
    for &value in &values {
        detector.score(value);
    }
    assert_eq!(detector.state_bytes(), before);
    assert!(before < 16_000, "{before} bytes");
}
