//! `retex insight nab`: the NAB score of Retex's streaming detector run over NAB's `data/` folder, or of a
//! detector's results files (`timestamp,value,anomaly_score,...`), under NAB's profiles. Reads the files and
//! hands text to `retex_insight::nab`; a bad file is reported as `FILE:LINE: problem`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use retex_insight::nab::{
    CorpusScore, DetectorConfig, NabParseError, PROFILES, Profile, ScoredFile, StreamingDetector, ThresholdChoice,
    WindowLimits, WindowSpan, format_timestamp, parse_series_csv, parse_windows_json, profile_by_name, score_corpus,
    window_spans,
};

#[derive(clap::Args)]
pub struct NabArgs {
    /// NAB's `data/` folder: run Retex's detector over every series the windows file names.
    #[arg(long, conflicts_with = "results", required_unless_present = "results")]
    data: Option<PathBuf>,
    /// A detector's results folder (`results/DETECTOR/`): score its `anomaly_score` column instead.
    #[arg(long)]
    results: Option<PathBuf>,
    /// NAB's label windows, `labels/combined_windows.json`.
    #[arg(long)]
    windows: PathBuf,
    /// `standard`, `reward_low_FP_rate`, `reward_low_FN_rate`, or `all`.
    #[arg(long, default_value = "standard")]
    profile: String,
    /// Score at this threshold instead of NAB's optimised one (as NAB's scoring step reads `thresholds.json`).
    #[arg(long)]
    threshold: Option<f64>,
    /// `text` or `json` (one object per profile, one per line).
    #[arg(long, default_value = "text")]
    format: String,
}

/// One series of the corpus, read and matched to its windows.
struct CorpusSeries {
    anomaly_scores: Vec<f64>,
    windows: Vec<WindowSpan>,
}

pub fn run(args: &NabArgs) -> anyhow::Result<ExitCode> {
    let profiles = selected_profiles(&args.profile)?;
    if args.format != "text" && args.format != "json" {
        bail!("--format must be text or json, not {:?}", args.format);
    }
    let windows_text = std::fs::read_to_string(&args.windows)
        .with_context(|| format!("read windows file {}", args.windows.display()))?;
    let windows = parse_windows_json(&windows_text).map_err(|error| located(&args.windows, &error))?;
    let mut corpus = Vec::with_capacity(windows.len());
    let mut rows = 0;
    let mut detector_seconds = 0.0;
    for (name, limits) in &windows {
        let (path, is_results) = match (&args.data, &args.results) {
            (Some(data), _) => (data.join(name), false),
            (None, Some(results)) => (results_file(results, name)?, true),
            (None, None) => bail!("give --data or --results"),
        };
        let text = std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        let series = parse_series_csv(&text, is_results).map_err(|error| located(&path, &error))?;
        let spans = spans(&path, &series.timestamps, limits)?;
        rows += series.values.len();
        let anomaly_scores = if is_results {
            series.anomaly_scores
        } else {
            let start = Instant::now();
            let mut detector = StreamingDetector::new(DetectorConfig::NAB);
            let scores: Vec<f64> = series.values.iter().map(|&value| detector.score(value)).collect();
            detector_seconds += start.elapsed().as_secs_f64();
            scores
        };
        corpus.push(CorpusSeries {
            anomaly_scores,
            windows: spans,
        });
    }
    let files: Vec<ScoredFile<'_>> = corpus
        .iter()
        .map(|series| ScoredFile {
            anomaly_scores: &series.anomaly_scores,
            windows: &series.windows,
        })
        .collect();
    let choice = args.threshold.map_or(ThresholdChoice::Optimise, ThresholdChoice::Fixed);
    let rows_per_second = (args.data.is_some() && detector_seconds > 0.0).then(|| rows as f64 / detector_seconds);
    for profile in &profiles {
        let score = score_corpus(&files, profile, choice);
        let report = Report {
            score: &score,
            files: files.len(),
            rows,
            rows_per_second,
        };
        if args.format == "json" {
            println!("{}", report.json());
        } else {
            println!("{}", report.text());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn selected_profiles(name: &str) -> anyhow::Result<Vec<Profile>> {
    if name == "all" {
        return Ok(PROFILES.to_vec());
    }
    match profile_by_name(name) {
        Some(profile) => Ok(vec![profile]),
        None => bail!("unknown profile {name:?}: standard, reward_low_FP_rate, reward_low_FN_rate or all"),
    }
}

/// `FILE:LINE: problem`, or `FILE: problem` when the problem is not on one line.
fn located(path: &Path, error: &NabParseError) -> anyhow::Error {
    if error.line == 0 {
        return anyhow!("{}: {}", path.display(), error.problem);
    }
    anyhow!("{}:{}: {}", path.display(), error.line, error.problem)
}

/// The results file of a data file `folder/name.csv`: `folder/DETECTOR_name.csv` in the results folder.
fn results_file(results: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let (folder, file_name) = name.rsplit_once('/').unwrap_or(("", name));
    let folder_path = results.join(folder);
    let entries = std::fs::read_dir(&folder_path).with_context(|| format!("read {}", folder_path.display()))?;
    let suffix = format!("_{file_name}");
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("read {}", folder_path.display()))?.path();
        let candidate = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if candidate == file_name || candidate.ends_with(&suffix) {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("{}: no results file for {name}", folder_path.display()),
        _ => bail!("{}: more than one results file for {name}", folder_path.display()),
    }
}

fn spans(path: &Path, timestamps: &[i64], limits: &[WindowLimits]) -> anyhow::Result<Vec<WindowSpan>> {
    window_spans(timestamps, limits).map_err(|missing| {
        anyhow!(
            "{}: window limit {} is not a row of the file",
            path.display(),
            format_timestamp(missing)
        )
    })
}

/// One profile's score, as text or JSON.
struct Report<'a> {
    score: &'a CorpusScore,
    files: usize,
    rows: usize,
    rows_per_second: Option<f64>,
}

impl Report<'_> {
    fn text(&self) -> String {
        let score = self.score;
        let mut text = format!(
            "{}: score {:.2} (threshold {}, raw {:.4}, null {:.4}, perfect {:.4}; detections {} in windows, {} \
             outside; {} files, {} windows, {} rows)",
            score.profile.name,
            score.normalised,
            score.threshold.threshold,
            score.threshold.score,
            score.null,
            score.perfect,
            score.threshold.true_positives,
            score.threshold.false_positives,
            self.files,
            score.window_count,
            self.rows,
        );
        if let Some(rate) = self.rows_per_second {
            text.push_str(&format!("; detector {rate:.0} rows/s"));
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let score = self.score;
        serde_json::json!({
            "profile": score.profile.name,
            "score": score.normalised,
            "threshold": score.threshold.threshold,
            "raw": score.threshold.score,
            "null": score.null,
            "perfect": score.perfect,
            "true_positive_rows": score.threshold.true_positives,
            "false_positive_rows": score.threshold.false_positives,
            "files": self.files,
            "windows": score.window_count,
            "rows": self.rows,
            "rows_per_second": self.rows_per_second,
        })
    }
}
