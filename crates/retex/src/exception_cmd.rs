//! `retex exception show|ack|assign|comment|status|snooze|attach|request-approval|approve|reject|resolve|dismiss|
//! reopen ID --as USER`: one exception, and the workflow commands people run on it, for scripting. Each command
//! is checked against the exception's state and the rules first (a refusal is one clear line), then logged under
//! an idempotency key and applied.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, Subcommand, ValueEnum};

use retex_core::command::{Action, Command, Resolution, RootCause, WorkStatus, keyed_command_id};
use retex_store::{AccountKind, EVIDENCE_BYTES_MAX, PriorCommand, check_evidence, sha256_hex};

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
        /// What was done: corrected, stock_adjusted, recounted, replenished, supplier_claim, customer_refunded,
        /// no_action_needed, other.
        #[arg(long, value_parser = parse_resolution)]
        resolution: Option<Resolution>,
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
    /// No escalation until a time.
    Snooze {
        #[command(flatten)]
        acting: Acting,
        /// RFC 3339.
        #[arg(long, value_parser = parse_at)]
        until: DateTime<FixedOffset>,
    },
    /// Attach a file as evidence (PNG, JPEG, PDF or text, at most 10 MiB), kept under its SHA-256.
    Attach {
        #[command(flatten)]
        acting: Acting,
        file: PathBuf,
    },
    /// Ask another person to approve the resolution (needed above the type's approval threshold).
    RequestApproval {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        reason: String,
    },
    /// Approve the pending request (not your own; needs the rule's role, stated with --role).
    Approve {
        #[command(flatten)]
        acting: Acting,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reject the pending request.
    Reject {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
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
    /// The actor's role, for approvals (admin, operations_lead, ...).
    #[arg(long)]
    role: Option<String>,
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

fn parse_resolution(text: &str) -> Result<Resolution, String> {
    Resolution::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Resolution::ALL.iter().map(|resolution| resolution.name()).collect();
        format!("{text:?} is not a resolution code; use one of {}", names.join(", "))
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
            resolution,
        } => (
            acting,
            Action::Resolve {
                root_cause: *root_cause,
                note: note.clone(),
                resolution: *resolution,
            },
        ),
        ExceptionCommand::Dismiss { acting, reason } => (acting, Action::Dismiss { reason: reason.clone() }),
        ExceptionCommand::Reopen { acting, note } => (acting, Action::Reopen { note: note.clone() }),
        ExceptionCommand::Snooze { acting, until } => (acting, Action::Snooze { until: *until }),
        ExceptionCommand::Attach { acting, file } => (acting, keep_evidence(&acting.store, file)?),
        ExceptionCommand::RequestApproval { acting, reason } => {
            (acting, Action::RequestApproval { reason: reason.clone() })
        }
        ExceptionCommand::Approve { acting, note } => (acting, Action::Approve { note: note.clone() }),
        ExceptionCommand::Reject { acting, note } => (acting, Action::Reject { note: note.clone() }),
    };
    act(acting, action)
}

/// Checks a file and keeps it in the evidence store; the command that attaches it names its hash.
fn keep_evidence(store: &StoreArgs, file: &Path) -> anyhow::Result<Action> {
    let bytes = read_evidence(file)?;
    let media_type = check_evidence(&bytes, None).with_context(|| file.display().to_string())?;
    let sha256 = sha256_hex(&bytes);
    store.require_existing()?;
    let mut evidence = retex_store::open(&store.location()).context("open the store")?;
    evidence
        .put_evidence(&sha256, media_type, &bytes)
        .context("keep the evidence")?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok(Action::AttachEvidence {
        sha256,
        name,
        media_type: media_type.to_owned(),
        bytes: bytes.len() as u64,
    })
}

/// The file's bytes, refused once it passes the evidence limit: a huge file is not read into memory.
fn read_evidence(file: &Path) -> anyhow::Result<Vec<u8>> {
    let opened = File::open(file).with_context(|| format!("open {}", file.display()))?;
    let mut bytes = Vec::new();
    opened
        .take(EVIDENCE_BYTES_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("read {}", file.display()))?;
    if bytes.len() > EVIDENCE_BYTES_MAX {
        bail!(
            "{}: evidence is over the limit of {EVIDENCE_BYTES_MAX} bytes",
            file.display()
        );
    }
    Ok(bytes)
}

/// With people in the store, who acts and whom an exception is assigned to must be among them (a typo would
/// otherwise sign the timeline with a name nobody has); a store without people, a script's first steps say,
/// takes any name.
fn check_people(store: &StoreArgs, command: &Command) -> anyhow::Result<()> {
    let mut accounts = retex_store::open(&store.location()).context("open the store")?;
    if !accounts.has_people().context("read the accounts")? {
        return Ok(());
    }
    let mut is_person = |name: &str| -> anyhow::Result<bool> {
        let account = accounts.account(name).context("read the accounts")?;
        Ok(account.is_some_and(|account| account.kind == AccountKind::User))
    };
    if !is_person(&command.actor)? {
        bail!("--as {}: no such user in this store (retex user add)", command.actor);
    }
    if let Action::Assign { assignee } = &command.action
        && !is_person(assignee)?
    {
        bail!("--to {assignee}: no such user in this store (retex user add)");
    }
    Ok(())
}

fn act(acting: &Acting, action: Action) -> anyhow::Result<ExitCode> {
    let at = acting.at.unwrap_or_else(|| Utc::now().fixed_offset());
    let id = match &acting.key {
        Some(key) => keyed_command_id(&acting.actor, acting.id, key),
        None => format!("{}-{}-{}", at.timestamp_micros(), std::process::id(), action.name()),
    };
    let command = Command {
        id,
        source: "cli".into(),
        at,
        actor: acting.actor.clone(),
        role: acting.role.clone(),
        exception: acting.id,
        action,
    };
    let mut live = acting.store.open_existing_live()?;
    check_people(&acting.store, &command)?;
    let key = acting.key.as_deref().unwrap_or(&command.id);
    match live.prior_command(&command).context("read the log")? {
        PriorCommand::Same => {
            println!(
                "exception {}: this command was already logged (key {key})",
                command.exception
            );
            return Ok(ExitCode::SUCCESS);
        }
        PriorCommand::Other { seq } => bail!(
            "exception {}: key {key} was used for another command (log seq {seq}); use a new key",
            command.exception
        ),
        PriorCommand::None => {}
    }
    if let Err(problem) = live.engine().check_command(&command) {
        bail!("{} refused: {problem}", command.action.name());
    }
    live.append_command(&command).context("log the command")?;
    let engine = live.engine();
    let (view, _) = engine.exception_detail(command.exception).expect("checked above");
    println!(
        "exception {}: {} by {}; now {}",
        view.id,
        command.action.name(),
        command.actor,
        view.status
    );
    Ok(ExitCode::SUCCESS)
}

fn show(store: &StoreArgs, id: u64, format: ShowFormat) -> anyhow::Result<ExitCode> {
    let live = store.open_existing_live()?;
    let engine = live.engine();
    let (Some((view, timeline)), Some(brief)) = (engine.exception_detail(id), engine.exception_brief(id)) else {
        bail!("no exception {id}");
    };
    match format {
        ShowFormat::Json => {
            let mut value = serde_json::to_value(&view)?;
            value["timeline"] = serde_json::to_value(timeline)?;
            value["brief"] = serde_json::to_value(&brief)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        ShowFormat::Text => {
            let place = view.place(" ");
            println!(
                "#{} {} {place} ({}, {})",
                view.id, view.exception_type, view.category, view.severity
            );
            println!(
                "status {}, impact {}, team {}",
                view.status,
                engine.money_text(view.impact),
                view.team
            );
            println!(
                "opened {}, acknowledge by {}, resolve by {}",
                view.opened_at, view.ack_due, view.resolve_due
            );
            for line in &brief.what_happened {
                println!("  {line}");
            }
            if let Some(stock) = &brief.stock {
                println!("stock here now: {}", stock.words);
                for document in &stock.open_documents {
                    println!("  {}", document.words);
                }
                if stock.more_open_documents > 0 {
                    println!("  and {} more open documents", stock.more_open_documents);
                }
            }
            println!("{}", brief.approval.words);
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
