//! `retex backup` and `retex restore`: a consistent copy of an SQLite store, taken while a server runs, and
//! that copy put back in place after its audit chain is verified. PostgreSQL has its own tools for this
//! (`docs/operations.md`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use retex_store::{ChainVerdict, back_up_sqlite, open_sqlite, restore_sqlite, verify_chain};

#[derive(Args)]
pub struct BackupArgs {
    /// The SQLite store to copy; a server may be running on it.
    #[arg(long, value_name = "PATH", default_value = "retex.db")]
    db: PathBuf,
    /// Where to write the copy; must not exist.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A file written by `retex backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// Where to put the restored store; must not exist (stop the server and move the damaged file away first).
    #[arg(long, value_name = "PATH", default_value = "retex.db")]
    db: PathBuf,
}

pub fn backup(args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if !args.db.exists() {
        bail!("{}: no such store", args.db.display());
    }
    let started = Instant::now();
    let spinner = spinner(format!("backing up {} to {}", args.db.display(), args.to.display()));
    back_up_sqlite(&args.db, &args.to).with_context(|| format!("back up {}", args.db.display()))?;
    spinner.set_message(format!("verifying the audit chain of {}", args.to.display()));
    let mut copy = open_sqlite(&args.to).with_context(|| format!("open the backup {}", args.to.display()))?;
    let verdict = verify_chain(&mut copy, None).context("verify the backup's audit chain")?;
    spinner.finish_and_clear();
    report("backed up", &args.to, &verdict, started)
}

pub fn restore(args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    if !args.from.exists() {
        bail!("{}: no such backup", args.from.display());
    }
    let started = Instant::now();
    let spinner = spinner(format!("restoring {} to {}", args.from.display(), args.db.display()));
    let verdict = restore_sqlite(&args.from, &args.db).with_context(|| format!("restore {}", args.from.display()))?;
    spinner.finish_and_clear();
    report("restored", &args.db, &verdict, started)
}

fn spinner(message: String) -> ProgressBar {
    let spinner = ProgressBar::new_spinner()
        .with_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"))
        .with_message(message);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

fn report(done: &str, path: &Path, verdict: &ChainVerdict, started: Instant) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0);
    match verdict {
        ChainVerdict::Intact { entries, head, .. } => {
            let head = head.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string);
            println!(
                "{done} {}: {entries} log entries, audit chain intact (head {head}), {:.1} MB in {:.2} s",
                path.display(),
                bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        ChainVerdict::Broken { seq, problem } => {
            bail!("{}: the audit chain is broken at seq {seq}: {problem}", path.display())
        }
    }
}
