//! `retex silence add|end|list`: mute new exceptions of a type, at a location or for a SKU, until a time, with a
//! required comment; end one early, saying why; list the silences.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, Subcommand};
use retex_core::command::{Silence, SilenceEnd};

use crate::store_args::StoreArgs;

#[derive(Args)]
pub struct SilenceArgs {
    #[command(subcommand)]
    command: SilenceCommand,
}

#[derive(Subcommand)]
enum SilenceCommand {
    /// Mute new exceptions of a type until a time.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// The exception type, e.g. count_variance.
        #[arg(long = "type")]
        exception_type: String,
        /// Only at this location.
        #[arg(long)]
        location: Option<String>,
        /// Only for this SKU.
        #[arg(long)]
        sku: Option<String>,
        /// The end of the silence (RFC 3339).
        #[arg(long, value_parser = parse_at)]
        until: DateTime<FixedOffset>,
        /// Why: required.
        #[arg(long)]
        comment: String,
        /// Who sets it.
        #[arg(long = "as", value_name = "USER")]
        actor: String,
        /// When it starts (RFC 3339); now by default.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<FixedOffset>>,
        /// Idempotency key.
        #[arg(long)]
        key: Option<String>,
    },
    /// End a silence before its time: new exceptions are no longer muted, and those it muted escalate again at
    /// their next step.
    End {
        #[command(flatten)]
        store: StoreArgs,
        /// The silence's number, as `retex silence list` shows it.
        silence: u64,
        /// Why: required.
        #[arg(long)]
        comment: String,
        /// Who ends it.
        #[arg(long = "as", value_name = "USER")]
        actor: String,
        /// When it ends (RFC 3339); now by default.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<FixedOffset>>,
    },
    /// List the silences.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn parse_at(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|_| format!("{text:?} is not an RFC 3339 timestamp with offset"))
}

pub fn run(args: &SilenceArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        SilenceCommand::List { store } => {
            let live = store.open_existing_live()?;
            for silence in live.engine().silences() {
                let scope = [silence.location.as_deref(), silence.sku.as_deref()]
                    .iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>();
                println!(
                    "#{} {} {} from {} until {} by {}: {}",
                    silence.id,
                    silence.exception_type,
                    if scope.is_empty() {
                        "everywhere".to_string()
                    } else {
                        scope.join(" ")
                    },
                    silence.from,
                    silence.until,
                    silence.actor,
                    silence.comment
                );
                if let Some((by, why)) = &silence.ended_early {
                    println!("   ended early by {by}: {why}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::End {
            store,
            silence,
            comment,
            actor,
            at,
        } => {
            let at = at.unwrap_or_else(|| Utc::now().fixed_offset());
            let end = SilenceEnd {
                id: format!("{}-{}-silence-end", at.timestamp_micros(), std::process::id()),
                source: "cli".into(),
                at,
                actor: actor.clone(),
                silence: *silence,
                comment: comment.clone(),
            };
            let mut live = store.open_existing_live()?;
            if let Err(problem) = live.engine().check_silence_end(&end) {
                bail!("refused: {problem}");
            }
            live.append_silence_end(&end).context("log the end of the silence")?;
            println!("silence {silence} ended at {at}");
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::Add {
            store,
            exception_type,
            location,
            sku,
            until,
            comment,
            actor,
            at,
            key,
        } => {
            let at = at.unwrap_or_else(|| Utc::now().fixed_offset());
            let id = key
                .clone()
                .unwrap_or_else(|| format!("{}-{}-silence", at.timestamp_micros(), std::process::id()));
            let silence = Silence {
                id,
                source: "cli".into(),
                at,
                actor: actor.clone(),
                exception_type: exception_type.clone(),
                location: location.clone(),
                sku: sku.clone(),
                until: *until,
                comment: comment.clone(),
            };
            // A silence may be planned before the store holds anything: it creates the store.
            let mut live = store.open_live()?;
            if let Err(problem) = live.engine().check_silence(&silence) {
                bail!("silence refused: {problem}");
            }
            let appended = live.append_silence(&silence).context("log the silence")?;
            match appended {
                true => println!("silenced {exception_type} until {until}"),
                false => println!("this silence was already logged (key {})", silence.id),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
