//! `retex insight bench`: how fast each model answers, on one core, over the public data in the repository:
//! messages/s of the intent and complaint classifiers, rows/s of supplier delay risk scoring and points/s of the streaming
//! anomaly detector over NAB's series, written as JSON with the targets beside the figures.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use retex_insight::late_risk::{LateRiskConfig, LateRiskModel, parse_scms, split_at_scheduled};
use retex_insight::nab::{DetectorConfig, detect_series, parse_series_csv};
use retex_insight::parse_bitext_intents;
use retex_insight::{ComplaintModel, IntentModel};

use crate::bench::machine;

#[derive(Args)]
pub struct InsightBenchArgs {
    /// Bitext messages to classify (the repository's copy by default; run from its root).
    #[arg(long, default_value = "crates/retex-insight/data/bitext/train_8k.csv")]
    bitext: PathBuf,
    /// A delivery history in the SCMS format: trained up to 2010, every line scored.
    #[arg(long, default_value = "crates/retex-insight/data/scms/deliveries_2006_2012.csv")]
    scms: PathBuf,
    /// A folder of NAB series (`timestamp,value` CSVs, in subfolders), each run through a fresh detector.
    #[arg(long, default_value = "crates/retex-insight/data/nab/data")]
    nab: PathBuf,
    /// Each measurement runs at least this long, in seconds.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    #[arg(long, default_value = "insight-bench.json")]
    out: PathBuf,
}

/// The target for the intent classifier, on one core.
const MESSAGES_PER_SECOND_TARGET: f64 = 100_000.0;
/// Where the late-risk bench cuts its training history.
const LATE_RISK_TRAINING_CUT: (i32, u32, u32) = (2010, 12, 31);

pub fn run(args: &InsightBenchArgs) -> anyhow::Result<ExitCode> {
    let minimum = Duration::from_secs_f64(args.seconds.max(0.1));
    let messages: Vec<String> = parse_bitext_intents(&read(&args.bitext)?)
        .map_err(|error| anyhow::anyhow!("{}: {error}", args.bitext.display()))?
        .into_iter()
        .map(|(message, _)| message)
        .collect();
    let model = IntentModel::embedded();
    let messages_per_second = rate(minimum, messages.len(), || {
        for message in &messages {
            std::hint::black_box(model.classify(message));
        }
    });
    eprintln!("intent: {messages_per_second:.0} messages/s (target {MESSAGES_PER_SECOND_TARGET:.0})");
    let complaints = ComplaintModel::embedded();
    let complaint_messages_per_second = rate(minimum, messages.len(), || {
        for message in &messages {
            std::hint::black_box(complaints.is_complaint(message));
        }
    });
    eprintln!("complaint: {complaint_messages_per_second:.0} messages/s");

    let history =
        parse_scms(&read(&args.scms)?).map_err(|error| anyhow::anyhow!("{}: {error}", args.scms.display()))?;
    let (year, month, day) = LATE_RISK_TRAINING_CUT;
    let cut = NaiveDate::from_ymd_opt(year, month, day).expect("a valid date");
    let (training, _) = split_at_scheduled(&history.deliveries, cut);
    let started = Instant::now();
    let (late_risk, _) = LateRiskModel::train(&training, &LateRiskConfig::default())
        .with_context(|| format!("train on {}", args.scms.display()))?;
    let training_seconds = started.elapsed().as_secs_f64();
    let rows_per_second = rate(minimum, history.deliveries.len(), || {
        std::hint::black_box(late_risk.score(&history.deliveries));
    });
    eprintln!(
        "late risk: trained on {} lines in {training_seconds:.2} s, scores {rows_per_second:.0} rows/s",
        training.len()
    );

    let series = nab_series(&args.nab)?;
    let points: usize = series.iter().map(Vec::len).sum();
    let points_per_second = rate(minimum, points, || {
        for values in &series {
            std::hint::black_box(detect_series(values, DetectorConfig::NAB));
        }
    });
    eprintln!(
        "anomaly detector: {} series, {points} points, {points_per_second:.0} points/s",
        series.len()
    );

    let figures = serde_json::json!({
        "machine": machine(),
        "intent": {
            "messages": messages.len(),
            "messages_per_second": messages_per_second.round(),
            "target_messages_per_second": MESSAGES_PER_SECOND_TARGET,
            "meets_target": messages_per_second >= MESSAGES_PER_SECOND_TARGET,
        },
        "complaint": {
            "messages": messages.len(),
            "messages_per_second": complaint_messages_per_second.round(),
        },
        "late_risk": {
            "training_lines": training.len(),
            "training_seconds": (training_seconds * 1000.0).round() / 1000.0,
            "scored_lines": history.deliveries.len(),
            "rows_per_second": rows_per_second.round(),
        },
        "anomaly_detector": {
            "series": series.len(),
            "points": points,
            "points_per_second": points_per_second.round(),
        },
    });
    std::fs::write(&args.out, format!("{}\n", serde_json::to_string_pretty(&figures)?))
        .with_context(|| format!("write {}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The values of every series under `folder`, in path order.
fn nab_series(folder: &Path) -> anyhow::Result<Vec<Vec<f64>>> {
    let mut paths = Vec::new();
    let subfolders = std::fs::read_dir(folder).with_context(|| format!("read {}", folder.display()))?;
    for entry in subfolders {
        let subfolder = entry?.path();
        if subfolder.is_dir() {
            for file in std::fs::read_dir(&subfolder)? {
                let path = file?.path();
                if path.extension().is_some_and(|extension| extension == "csv") {
                    paths.push(path);
                }
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let series = parse_series_csv(&read(path)?, false)
                .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            Ok(series.values)
        })
        .collect()
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "read {} (run from the repository's root, or name the file)",
            path.display()
        )
    })
}

/// Items per second: `work` (which handles `items`) repeated until `minimum` has passed.
fn rate(minimum: Duration, items: usize, mut work: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut rounds = 0u64;
    while rounds == 0 || started.elapsed() < minimum {
        work();
        rounds += 1;
    }
    (items as f64 * rounds as f64) / started.elapsed().as_secs_f64()
}
