//! `retex insight ...`: Retex's models run over files, so each can be measured on public data and used from
//! scripts. Every model lives in `retex-insight`; these commands only read files and print.
//!
//! # Layout
//! - `nab.rs`: `retex insight nab`: NAB scores of Retex's streaming anomaly detector or of a detector's results.

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
    /// Score anomaly detection on the Numenta Anomaly Benchmark: Retex's detector over NAB's data, or a
    /// detector's results files.
    Nab(nab::NabArgs),
}

pub fn run(args: &InsightArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        InsightCommand::Nab(args) => nab::run(args),
    }
}
