//! `retex serve`, `retex user add` and `retex token add`: the HTTP server over the store, and the accounts that
//! may use it.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use retex_core::rules::file::default_rules_toml;
use retex_core::rules::workflow::Secret;
use retex_odoo::OdooConfig;
use retex_server::auth::{PASSWORD_CHARS_MIN, Role, new_token, token_account, user_account};
use retex_server::nats::NatsOptions;
use retex_server::outbound::DraftsTo;
use retex_server::state::{EmailOptions, TlsFiles};
use retex_server::{ClockMode, Connectors, ServerOptions, app_state};
use retex_store::{Account, AccountSessions, AdminChange, Leadership, LiveEngine};

use crate::ingest::FutureArgs;
use crate::store_args::StoreArgs;

/// Where the server listens unless told otherwise: this machine only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// `wall`: the engine's clock follows the wall clock between events, so deadlines fire on time. `log`: it
    /// stays at the newest event, for a replayed or simulated history read as it was then.
    #[arg(long, value_enum, default_value = "wall")]
    clock: ClockArg,
    #[command(flatten)]
    future: FutureArgs,
    /// A file holding a token that `/metrics` then requires (`Authorization: Bearer TOKEN`); without it the
    /// metrics are open to whoever reaches the port.
    #[arg(long, value_name = "FILE")]
    metrics_token_file: Option<PathBuf>,
    /// Certificate authorities (a PEM file) to trust for `https://` webhooks besides this machine's, for
    /// receivers whose certificate a private authority signed.
    #[arg(long, value_name = "FILE")]
    webhook_ca: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); cookies are then
    /// `Secure`. Give `--tls-key` with it.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The SMTP server e-mail notifications go through: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25`; without it they wait in the
    /// outbox for a relay. Read from RETEX_SMTP_URL too, so a password stays out of the command line.
    #[arg(long, value_name = "URL", env = "RETEX_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of Retex's e-mails.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = retex_server::dispatch::DEFAULT_SENDER,
        requires = "smtp_url"
    )]
    smtp_from: String,
    #[command(flatten)]
    nats: NatsArgs,
    /// Pull from a shop's Odoo on a schedule, with the settings in this TOML file (docs/integrations.md).
    #[arg(long, value_name = "FILE")]
    odoo: Option<PathBuf>,
    /// Where approved replenishment drafts go for a shop without Odoo: an `https://` (or `http://`) webhook,
    /// or `nats:SUBJECT` on the `--nats` server; the receiver's reference is noted on the exception.
    #[arg(long, value_name = "TARGET")]
    drafts_to: Option<String>,
    /// The environment variable holding the secret `--drafts-to`'s webhook deliveries are signed with.
    #[arg(long, value_name = "VAR", requires = "drafts_to")]
    drafts_secret_env: Option<String>,
}

/// Taking events from a NATS JetStream stream as well as over HTTP.
#[derive(Args)]
pub struct NatsArgs {
    /// The NATS server (`nats://host:4222`); events are then taken from its stream too.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// The JetStream stream, created on `--nats-subject` when it does not exist.
    #[arg(long, value_name = "NAME", default_value = "RETEX", requires = "nats")]
    nats_stream: String,
    /// The subject events are published on (one JSON event or NDJSON lines per message).
    #[arg(long, value_name = "SUBJECT", default_value = "retex.events", requires = "nats")]
    nats_subject: String,
    /// The durable consumer, whose position in the stream survives restarts.
    #[arg(long, value_name = "NAME", default_value = "retex", requires = "nats")]
    nats_durable: String,
    /// Where a malformed message is copied, with its problem in the `Retex-Error` header.
    #[arg(long, value_name = "SUBJECT", default_value = "retex.dead_letter", requires = "nats")]
    nats_dead_letter: String,
    /// Publish every change of an exception (opened, acknowledged, escalated, resolved, ...) on this subject.
    #[arg(long, value_name = "SUBJECT", requires = "nats")]
    nats_exceptions: Option<String>,
}

impl NatsArgs {
    fn options(&self) -> Option<NatsOptions> {
        Some(NatsOptions {
            url: self.nats.clone()?,
            stream: self.nats_stream.clone(),
            subject: self.nats_subject.clone(),
            durable: self.nats_durable.clone(),
            dead_letter: self.nats_dead_letter.clone(),
            exceptions: self.nats_exceptions.clone(),
        })
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ClockArg {
    Wall,
    Log,
}

pub fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let metrics_token = match &args.metrics_token_file {
        Some(path) => Some(read_token(path)?),
        None => None,
    };
    let options = ServerOptions {
        clock: match args.clock {
            ClockArg::Wall => ClockMode::Wall,
            ClockArg::Log => ClockMode::Engine,
        },
        future_events: args.future.future_events(),
        metrics_token,
        email: args.smtp_url.as_ref().map(|url| EmailOptions {
            url: url.clone(),
            from: args.smtp_from.clone(),
        }),
        webhook_roots: match &args.webhook_ca {
            Some(path) => Some(read_file(path)?),
            None => None,
        },
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(certificates), Some(key)) => Some(TlsFiles {
                certificates: read_file(certificates)?,
                key: read_file(key)?,
            }),
            _ => None,
        },
    };
    let connectors = Connectors {
        nats: args.nats.options(),
        odoo: match &args.odoo {
            Some(path) => Some(OdooConfig::read(path).map_err(|problem| anyhow::anyhow!(problem))?),
            None => None,
        },
        drafts_to: match &args.drafts_to {
            Some(target) => {
                let secret = args.drafts_secret_env.clone().map(Secret::Env);
                Some(DraftsTo::parse(target, secret).map_err(|problem| anyhow::anyhow!("--drafts-to {problem}"))?)
            }
            None => None,
        },
    };
    connectors.check()?;
    if let (Some(files), Some(certificates), Some(key)) = (&options.tls, &args.tls_cert, &args.tls_key) {
        retex_server::tls::server_config(files)
            .with_context(|| format!("--tls-cert {} --tls-key {}", certificates.display(), key.display()))?;
    }
    let live = args.store.open_live()?;
    serve_live(&args.store, live, args.listen, options, connectors)?;
    Ok(ExitCode::SUCCESS)
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("read {}", path.display()))
}

/// A secret kept in a file: its first line, which must not be empty.
fn read_token(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        bail!("{}: the first line holds no token", path.display());
    }
    Ok(token.to_owned())
}

/// Serves an opened engine until Ctrl-C or SIGTERM.
pub fn serve_live(
    store: &StoreArgs,
    live: LiveEngine,
    listen: SocketAddr,
    options: ServerOptions,
    connectors: Connectors,
) -> anyhow::Result<()> {
    init_logging();
    let accounts = retex_store::open(&store.location()).context("open a second store connection for accounts")?;
    let rules_text = match &store.rules {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("read rules file {}", path.display()))?,
        None => default_rules_toml(),
    };
    let leadership = Leadership::for_location(&store.location()).context("set up leadership")?;
    let state = app_state(live, accounts, leadership, rules_text, options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    let scheme = if state.options.tls.is_some() { "https" } else { "http" };
    println!("serving on {scheme}://{listen} (Ctrl-C stops)");
    let kept = std::sync::Arc::clone(&state);
    let served = runtime.block_on(retex_server::serve(state, listen, connectors));
    // The runtime's tasks hold the state too and end with the runtime, so the stores close below, on this
    // thread: the PostgreSQL client runs a runtime of its own to close, which it may not do inside this one.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    drop(kept);
    served
}

/// How long the background work (deliveries, pulls, a write in progress) may take to end after the last request.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RETEX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

#[derive(Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    command: AccountCommand,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create a person (or replace one with the same name); the password is read from standard input.
    Add(NewUser),
}

/// A person: an account, and where notifications naming them are e-mailed.
#[derive(Args)]
struct NewUser {
    #[command(flatten)]
    account: NewAccount,
    /// Their e-mail address: notifications whose target names them are sent there.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
}

#[derive(Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; prints it alone on the last line (it is shown once, only its hash is kept).
    Add(NewAccount),
}

/// An account to create: where, its name, and what it may do.
#[derive(Args)]
struct NewAccount {
    #[command(flatten)]
    store: StoreArgs,
    name: String,
    #[command(flatten)]
    access: Access,
}

/// What an account may do and where.
#[derive(Args)]
struct Access {
    /// admin, operations_lead, team_member, viewer or source.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The team it belongs to (its queue's default view).
    #[arg(long)]
    team: Option<String>,
    /// The locations it is limited to, comma-separated; none: every location.
    #[arg(long, value_delimiter = ',')]
    locations: Vec<String>,
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|role| role.name()).collect();
        format!("{name:?} is not a role; use one of {}", names.join(", "))
    })
}

pub fn user(args: &AccountArgs) -> anyhow::Result<ExitCode> {
    let AccountCommand::Add(NewUser { account, email }) = &args.command;
    let NewAccount { store, name, access } = account;
    if let Some(address) = email
        && address.parse::<lettre::Address>().is_err()
    {
        bail!("--email {address}: not an e-mail address");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < PASSWORD_CHARS_MIN {
        bail!("the password must have at least {PASSWORD_CHARS_MIN} characters (a phrase of a few words is best)");
    }
    let mut account = user_account(
        name,
        password,
        access.role,
        access.team.clone(),
        access.locations.clone(),
        chrono::Utc::now().timestamp_millis(),
    )?;
    account.email.clone_from(email);
    put_account(store, &account, "user saved")?;
    println!("user {name} ({}) saved", access.role.name());
    Ok(ExitCode::SUCCESS)
}

pub fn token(args: &TokenArgs) -> anyhow::Result<ExitCode> {
    let TokenCommand::Add(NewAccount { store, name, access }) = &args.command;
    let (token, secret_hash) = new_token()?;
    let account = token_account(
        name,
        secret_hash,
        access.role,
        access.team.clone(),
        access.locations.clone(),
        chrono::Utc::now().timestamp_millis(),
    );
    put_account(store, &account, "token created")?;
    println!(
        "token {name} ({}) saved; send it as `Authorization: Bearer TOKEN`:",
        access.role.name()
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// Creates or replaces an account, recorded as an administrative change by `cli`; a replaced one's sessions
/// end, as its password may have changed.
pub fn put_account(store: &StoreArgs, account: &Account, action: &str) -> anyhow::Result<()> {
    let mut accounts = retex_store::open(&store.location()).context("open the store")?;
    let change = AdminChange {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: "cli".to_owned(),
        action: action.to_owned(),
        target: account.name.clone(),
        detail: format!("role {}", account.role),
    };
    accounts
        .change_account(account, AccountSessions::End, &change)
        .context("save the account")
}
