//! `retex insight intent`: one customer message per line on stdin, its intent and confidence per line on stdout.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use retex_insight::{Classification, IntentModel};

#[derive(Args)]
pub struct IntentArgs {
    /// `tsv`: `intent<TAB>confidence`; `json`: `{"intent":..,"confidence":..,"top":[..]}`, one object a line.
    #[arg(long, value_enum, default_value_t = IntentFormat::Tsv)]
    format: IntentFormat,
    /// Also give the terms that decided (json only: `"why"`).
    #[arg(long)]
    explain: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum IntentFormat {
    Tsv,
    Json,
}

/// How many terms `--explain` names.
const EXPLAINED_TERMS: usize = 5;

pub fn run(args: &IntentArgs) -> anyhow::Result<ExitCode> {
    let model = IntentModel::embedded();
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (index, line) in stdin.lines().enumerate() {
        let line = line.with_context(|| format!("stdin:{}: not UTF-8 text", index + 1))?;
        let classification = model.classify(&line);
        match args.format {
            IntentFormat::Tsv => writeln!(out, "{}\t{:.3}", classification.intent, classification.confidence)?,
            IntentFormat::Json => {
                let why = args
                    .explain
                    .then(|| model.explain(&line, classification.intent, EXPLAINED_TERMS));
                writeln!(out, "{}", json_line(&classification, why.as_deref()))?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn json_line(classification: &Classification<'_>, why: Option<&[(String, f32)]>) -> serde_json::Value {
    let rounded = |confidence: f64| (confidence * 1000.0).round() / 1000.0;
    let top: Vec<serde_json::Value> = classification
        .top
        .iter()
        .map(|&(intent, confidence)| serde_json::json!({"intent": intent, "confidence": rounded(confidence)}))
        .collect();
    let mut line = serde_json::json!({
        "intent": classification.intent,
        "confidence": rounded(classification.confidence),
        "top": top,
    });
    if let Some(why) = why {
        line["why"] = why
            .iter()
            .map(|(term, contribution)| serde_json::json!({"term": term, "weight": (f64::from(*contribution) * 1000.0).round() / 1000.0}))
            .collect();
    }
    line
}
