//! `retex insight ...`: Retex's models run over files, outside the engine, so each can be measured on public
//! data and used from scripts. Every model lives in `retex-insight`; these commands only read files and print.
//!
//! # Layout
//! - `intent.rs`: `retex insight intent`: the 27-intent message classifier over stdin.
//! - `late_risk.rs`: `retex insight late-risk`: supplier delay risk over an SCMS delivery history.
//! - `nab.rs`: `retex insight nab`: NAB scores of Retex's streaming anomaly detector or of a detector's results.
//! - `bench.rs`: `retex insight bench`: how fast each model answers, as JSON.

mod bench;
mod intent;
mod late_risk;
mod nab;

use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Args)]
pub struct InsightArgs {
    #[command(subcommand)]
    command: InsightCommand,
}

#[derive(Subcommand)]
enum InsightCommand {
    /// Classify customer messages, one per line on stdin, into Bitext's 27 intents.
    Intent(intent::IntentArgs),
    /// The probability that each PO line arrives late, learnt from a delivery history (USAID SCMS format).
    LateRisk(late_risk::LateRiskArgs),
    /// Measure how fast each model answers on the repository's public data; writes JSON.
    Bench(bench::InsightBenchArgs),
    /// Score anomaly detection on the Numenta Anomaly Benchmark: Retex's detector over NAB's data, or a
    /// detector's results files.
    Nab(nab::NabArgs),
}

pub fn run(args: &InsightArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        InsightCommand::Intent(args) => intent::run(args),
        InsightCommand::LateRisk(args) => late_risk::run(args),
        InsightCommand::Bench(args) => bench::run(args),
        InsightCommand::Nab(args) => nab::run(args),
    }
}
