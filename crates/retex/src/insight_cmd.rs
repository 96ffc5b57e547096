//! `retex insight ...`: Retex's models run over files, so each can be measured on public data and used from
//! scripts. Every model lives in `retex-insight`; these commands only read files and print.
//!
//! # Layout
//! - `intent.rs`: `retex insight intent`: the 27-intent message classifier over stdin.

mod intent;

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
}

pub fn run(args: &InsightArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        InsightCommand::Intent(args) => intent::run(args),
    }
}
