//! `retex audit verify`: recompute the log's audit chain and report the first entry that was changed,
//! removed, reordered or slipped in.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use retex_store::{ChainHead, ChainVerdict, verify_chain};

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
    /// Verify the hash chain over the whole log and print its head (SEQ:HASH) to write down elsewhere.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// A head printed by an earlier verify: the chain must still pass through it, which detects a log
        /// whose newest entries were removed, or that was rewritten with its chain recomputed.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<ChainHead>,
    },
}

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { store, expect_head } = &args.command;
    let mut opened = retex_store::open(&store.location()).context("open the store")?;
    match verify_chain(opened.as_mut(), expect_head.as_ref()).context("read the log")? {
        ChainVerdict::Intact { entries, batches, head } => {
            let head = head.map_or_else(|| "none (the log is empty)".to_owned(), |head| head.to_string());
            let through = match expect_head {
                Some(expected) => format!(", through the expected head at seq {}", expected.seq),
                None => String::new(),
            };
            println!("audit chain intact: {entries} entries in {batches} transactions{through}; head {head}");
            Ok(ExitCode::SUCCESS)
        }
        ChainVerdict::Broken { seq, problem } => {
            println!("audit chain broken at seq {seq}: {problem}");
            Ok(ExitCode::from(EXIT_CHAIN_BROKEN))
        }
    }
}
