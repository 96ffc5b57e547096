//! `retex exception show|ack|assign|comment|status|resolve|dismiss|reopen ID --as USER`: one exception, and the
//! workflow commands people run on it, for scripting. Each command is checked against the exception's state
//! first (a refusal is one clear line), then logged under an idempotency key and applied.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, Subcommand, ValueEnum};
use retex_core::command::{Action, Command, RootCause, WorkStatus};

use crate::store_args::StoreArgs;

#[derive(Args)]
pub struct ExceptionArgs {
    #[command(subcommand)]
    command: ExceptionCommand,
}

#[derive(Subcommand)]
enum ExceptionCommand {
    /// Show one exception with its timeline.
    Show {
        #[command(flatten)]
        store: StoreArgs,
        id: u64,
        #[arg(long, value_enum, default_value = "text")]
        format: ShowFormat,
    },
    /// Acknowledge it: someone is on it.
    Ack(Acting),
    /// Assign it to a person.
    Assign {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        to: String,
    },
    /// Add a comment to its timeline.
    Comment {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        text: String,
    },
    /// Set its working status.
    Status {
        #[command(flatten)]
        acting: Acting,
        #[arg(long, value_enum)]
        status: StatusArg,
    },
    /// Resolve it with a root cause.
    Resolve {
        #[command(flatten)]
        acting: Acting,
        /// One of process_noncompliance, delayed_receiving, transfer_discipline, count_inaccuracy,
        /// supplier_failure, master_data_error, integration_error, theft_or_shrink, customer_behaviour, other.
        #[arg(long, value_parser = parse_root_cause)]
        root_cause: RootCause,
        #[arg(long)]
        note: String,
    },
    /// Close it as a false positive.
    Dismiss {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        reason: String,
    },
    /// Open it again.
    Reopen {
        #[command(flatten)]
        acting: Acting,
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// Who acts on which exception, when, under which idempotency key.
#[derive(Args)]
struct Acting {
    #[command(flatten)]
    store: StoreArgs,
    /// The exception's id.
    id: u64,
    /// Who is acting.
    #[arg(long = "as", value_name = "USER")]
    actor: String,
    /// When it happened (RFC 3339); now by default.
    #[arg(long, value_parser = parse_at)]
    at: Option<DateTime<FixedOffset>>,
    /// Idempotency key: running the same command again with it changes nothing.
    #[arg(long)]
    key: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ShowFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StatusArg {
    InProgress,
    WaitingSupplier,
    WaitingCustomer,
}

fn parse_root_cause(text: &str) -> Result<RootCause, String> {
    RootCause::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = RootCause::ALL.iter().map(|cause| cause.name()).collect();
        format!("{text:?} is not a root-cause code; use one of {}", names.join(", "))
    })
}

fn parse_at(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|_| format!("{text:?} is not an RFC 3339 timestamp with offset"))
}

pub fn run(args: &ExceptionArgs) -> anyhow::Result<ExitCode> {
    let (acting, action) = match &args.command {
        ExceptionCommand::Show { store, id, format } => return show(store, *id, *format),
        ExceptionCommand::Ack(acting) => (acting, Action::Acknowledge),
        ExceptionCommand::Assign { acting, to } => (acting, Action::Assign { assignee: to.clone() }),
        ExceptionCommand::Comment { acting, text } => (acting, Action::Comment { text: text.clone() }),
        ExceptionCommand::Status { acting, status } => {
            let status = match status {
                StatusArg::InProgress => WorkStatus::InProgress,
                StatusArg::WaitingSupplier => WorkStatus::WaitingSupplier,
                StatusArg::WaitingCustomer => WorkStatus::WaitingCustomer,
            };
            (acting, Action::SetStatus { status })
        }
        ExceptionCommand::Resolve {
            acting,
            root_cause,
            note,
        } => (
            acting,
            Action::Resolve {
                root_cause: *root_cause,
                note: note.clone(),
            },
        ),
        ExceptionCommand::Dismiss { acting, reason } => (acting, Action::Dismiss { reason: reason.clone() }),
        ExceptionCommand::Reopen { acting, note } => (acting, Action::Reopen { note: note.clone() }),
    };
    act(acting, action)
}

fn act(acting: &Acting, action: Action) -> anyhow::Result<ExitCode> {
    let at = acting.at.unwrap_or_else(|| Utc::now().fixed_offset());
    let id = acting
        .key
        .clone()
        .unwrap_or_else(|| format!("{}-{}-{}", at.timestamp_micros(), std::process::id(), action.name()));
    let command = Command {
        id,
        source: "cli".into(),
        at,
        actor: acting.actor.clone(),
        exception: acting.id,
        action,
    };
    let mut live = acting.store.open_live()?;
    let appended_before = live.engine().check_command(&command);
    if let Err(problem) = appended_before {
        bail!("{} refused: {problem}", command.action.name());
    }
    let appended = live.append_command(&command).context("log the command")?;
    let (view, _) = live
        .engine()
        .exception_detail(command.exception)
        .expect("checked above");
    match appended {
        true => println!(
            "exception {}: {} by {}; now {}",
            view.id,
            command.action.name(),
            command.actor,
            view.status
        ),
        false => println!(
            "exception {}: this command was already logged (key {})",
            view.id, command.id
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn show(store: &StoreArgs, id: u64, format: ShowFormat) -> anyhow::Result<ExitCode> {
    let live = store.open_live()?;
    let Some((view, timeline)) = live.engine().exception_detail(id) else {
        bail!("no exception {id}");
    };
    match format {
        ShowFormat::Json => {
            let mut value = serde_json::to_value(&view)?;
            value["timeline"] = serde_json::to_value(timeline)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        ShowFormat::Text => {
            let place = [view.location, view.sku, view.reference]
                .iter()
                .flatten()
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            println!(
                "#{} {} {place} ({}, {})",
                view.id, view.exception_type, view.category, view.severity
            );
            println!("status {}, impact {}, team {}", view.status, view.impact, view.team);
            println!(
                "opened {}, acknowledge by {}, resolve by {}",
                view.opened_at, view.ack_due, view.resolve_due
            );
            for entry in timeline {
                println!(
                    "  {}  {:<12} {:<12} {}",
                    entry.at, entry.actor, entry.action, entry.detail
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
