//! `retex insight late-risk --train TRAIN.csv (--score SCORE.csv [--explain] | --evaluate EVAL.csv)`: trains
//! the supplier delay risk model on a delivery history and prints `ID,probability` for every line to score,
//! or, for lines with outcomes, the AUC, Brier score and reliability table. The model is
//! `retex_insight::late_risk`; this file reads the files and writes the answers.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use retex_insight::late_risk::{
    Evaluation, LateRiskConfig, LateRiskModel, ScmsFile, TrainingReport, evaluate, outcomes, parse_scms,
    scms::COLUMN_DELIVERED,
};

/// Reasons printed per line with `--explain`.
const EXPLAIN_REASONS: usize = 3;

#[derive(Args)]
pub struct LateRiskArgs {
    /// The delivery history to learn from, with outcomes (`Delivered to Client Date`).
    #[arg(long)]
    train: PathBuf,
    /// Lines to score (outcomes absent or ignored): prints `ID,probability` for each.
    #[arg(long, required_unless_present = "evaluate", conflicts_with = "evaluate")]
    score: Option<PathBuf>,
    /// Lines with outcomes to measure the model on: AUC, Brier score, reliability table.
    #[arg(long)]
    evaluate: Option<PathBuf>,
    /// With `--score`: a third column with each line's top reasons and their effect in log-odds.
    #[arg(long, requires = "score")]
    explain: bool,
    /// How `--evaluate` prints its figures.
    #[arg(long, value_enum, default_value_t = EvaluationFormat::Text)]
    format: EvaluationFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EvaluationFormat {
    Text,
    Json,
}

pub fn run(args: &LateRiskArgs) -> anyhow::Result<ExitCode> {
    let train = read_scms(&args.train)?;
    if !train.has_delivered_column {
        bail!(
            "{}: the header has no column {COLUMN_DELIVERED:?}: training needs outcomes",
            args.train.display()
        );
    }
    let (model, report) = LateRiskModel::train(&train.deliveries, &LateRiskConfig::default())
        .with_context(|| format!("train on {}", args.train.display()))?;
    eprintln!("{}", training_summary(&args.train, &train, &report));
    if let Some(score) = &args.score {
        let file = read_scms(score)?;
        write_stdout(&score_csv(&model, &file, args.explain))?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(evaluate_path) = &args.evaluate else {
        bail!("give --score or --evaluate");
    };
    let file = read_scms(evaluate_path)?;
    if !file.has_delivered_column {
        bail!(
            "{}: the header has no column {COLUMN_DELIVERED:?}: evaluation needs outcomes",
            evaluate_path.display()
        );
    }
    let (lines, labels) = outcomes(&file.deliveries);
    let left_out = file.deliveries.len() - lines.len();
    if left_out > 0 {
        eprintln!(
            "{}: {left_out} lines without a readable scheduled and delivered date left out",
            evaluate_path.display()
        );
    }
    let evaluation = evaluate(&model.score(&lines), &labels);
    match args.format {
        EvaluationFormat::Text => write_stdout(&evaluation_text(&evaluation))?,
        EvaluationFormat::Json => write_stdout(&format!("{}\n", evaluation_json(&evaluation, &report)))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout as an error, not a panic, so a closed pipe (`| head`) ends quietly.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn read_scms(path: &Path) -> anyhow::Result<ScmsFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    parse_scms(&text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
}

fn training_summary(path: &Path, file: &ScmsFile, report: &TrainingReport) -> String {
    let mut summary = format!(
        "{}: trained on {} lines ({} late)",
        path.display(),
        report.lines_used,
        report.late
    );
    for (reason, count) in &report.skipped {
        write!(summary, "; skipped {count}: {}", reason.describe()).unwrap();
    }
    if file.lines_without_id > 0 {
        write!(summary, "; skipped {}: no ID", file.lines_without_id).unwrap();
    }
    summary
}

fn score_csv(model: &LateRiskModel, file: &ScmsFile, explain: bool) -> String {
    let mut out = String::new();
    if !explain {
        out.push_str("ID,probability\n");
        for (delivery, probability) in file.deliveries.iter().zip(model.score(&file.deliveries)) {
            writeln!(out, "{},{probability:.6}", csv_field(&delivery.id)).unwrap();
        }
        return out;
    }
    out.push_str("ID,probability,reasons\n");
    let explained = model.explain(&file.deliveries, EXPLAIN_REASONS);
    for (delivery, (probability, reasons)) in file.deliveries.iter().zip(explained) {
        let reasons: Vec<String> = reasons
            .iter()
            .map(|reason| format!("{:+.2} {}", reason.log_odds, reason.text))
            .collect();
        writeln!(
            out,
            "{},{probability:.6},{}",
            csv_field(&delivery.id),
            csv_field(&reasons.join("; "))
        )
        .unwrap();
    }
    out
}

/// Quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.4}"))
}

fn evaluation_text(evaluation: &Evaluation) -> String {
    let mut out = format!(
        "lines {} ({} late), AUC {}, Brier {}\nreliability (predicted probability bins)\nbin        lines  predicted  observed\n",
        evaluation.lines,
        evaluation.late,
        optional(evaluation.auc),
        optional(evaluation.brier)
    );
    for bin in &evaluation.reliability {
        writeln!(
            out,
            "{:.1}-{:.1}  {:>7}  {:>9}  {:>8}",
            bin.lower,
            bin.upper,
            bin.count,
            optional(bin.mean_predicted),
            optional(bin.observed_rate)
        )
        .unwrap();
    }
    out
}

fn evaluation_json(evaluation: &Evaluation, report: &TrainingReport) -> serde_json::Value {
    let bins: Vec<serde_json::Value> = evaluation
        .reliability
        .iter()
        .map(|bin| {
            serde_json::json!({
                "lower": bin.lower,
                "upper": bin.upper,
                "count": bin.count,
                "mean_predicted": bin.mean_predicted,
                "observed_rate": bin.observed_rate,
            })
        })
        .collect();
    let skipped: serde_json::Map<String, serde_json::Value> = report
        .skipped
        .iter()
        .map(|(reason, count)| (reason.describe().to_owned(), serde_json::json!(count)))
        .collect();
    serde_json::json!({
        "lines": evaluation.lines,
        "late": evaluation.late,
        "auc": evaluation.auc,
        "brier": evaluation.brier,
        "reliability": bins,
        "training": {
            "lines_used": report.lines_used,
            "late": report.late,
            "skipped": skipped,
            "calibration_lines": report.calibration_lines,
        },
    })
}
