//! `retex insight`: Retex's models run over files, outside the engine: `late-risk` (supplier delay risk).

mod late_risk;

use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Args)]
pub struct InsightArgs {
    #[command(subcommand)]
    command: InsightCommand,
}

#[derive(Subcommand)]
enum InsightCommand {
    /// The probability that each PO line arrives late, learnt from a delivery history (USAID SCMS format).
    LateRisk(late_risk::LateRiskArgs),
}

pub fn run(args: &InsightArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        InsightCommand::LateRisk(args) => late_risk::run(args),
    }
}
