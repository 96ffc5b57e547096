//! The Numenta Anomaly Benchmark (NAB v1.1): its scorer, its files read from text, and Retex's streaming
//! anomaly detector measured by it. Pure: the CLI reads the corpus and hands over text and numbers.

pub mod corpus;
pub mod scorer;

pub use corpus::{
    NabParseError, Series, Timestamp, WindowLimits, format_compact_scores, format_timestamp, parse_compact_scores,
    parse_series_csv, parse_timestamp, parse_windows_json,
};
pub use retex_core::anomaly::{DetectorConfig, StreamingDetector, detect_series, log10_normal_tail};
pub use scorer::{
    CorpusScore, PROFILES, Profile, ScoredFile, SweepPoint, ThresholdChoice, ThresholdScore, WindowSpan,
    normalised_score, optimise_threshold, probationary_length, profile_by_name, scaled_sigmoid, score_at_threshold,
    score_corpus, sweep_points, window_spans,
};
