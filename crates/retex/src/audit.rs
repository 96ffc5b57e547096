//! `retex audit verify`: recompute the log's audit chain and report the first entry that was changed,
//! removed, reordered or slipped in.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use retex_store::{ChainVerdict, verify_chain};

use crate::store_args::StoreArgs;

/// Exit status when the chain is broken.
const EXIT_CHAIN_BROKEN: u8 = 4;

#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain over the whole log.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { store } = &args.command;
    let mut opened = retex_store::open(&store.location()).context("open the store")?;
    match verify_chain(opened.as_mut()).context("read the log")? {
        ChainVerdict::Intact { entries, batches } => {
            println!("audit chain intact: {entries} entries in {batches} transactions");
            Ok(ExitCode::SUCCESS)
        }
        ChainVerdict::Broken { seq, problem } => {
            println!("audit chain broken at seq {seq}: {problem}");
            Ok(ExitCode::from(EXIT_CHAIN_BROKEN))
        }
    }
}
