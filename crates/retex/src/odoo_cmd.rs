//! `retex odoo pull`: what changed in a shop's Odoo since the last pull, appended to the log as events.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use retex_core::command::{Action, Command};
use retex_odoo::mapping::Mapping;
use retex_odoo::{Credentials, OdooClient, PullError, PullOptions, activities, orders};

use crate::store_args::StoreArgs;

/// The actor and source of what the connector logs.
const EXPORTER: &str = "retex-odoo";
/// Exit status when Odoo could not be read (a wrong password, an unreachable server, a missing model or field).
const EXIT_ODOO: u8 = 2;
/// Exit status when some records could not be mapped and were skipped.
const EXIT_SOME_SKIPPED: u8 = 3;

#[derive(Args)]
pub struct OdooArgs {
    #[command(subcommand)]
    command: OdooCommand,
}

#[derive(Subcommand)]
enum OdooCommand {
    /// Pull warehouses, products and suppliers, purchase orders and receipts, sale orders and deliveries, and
    /// till sales changed since the last pull; a repeat adds nothing.
    Pull(PullArgs),
    /// Write open exceptions about Odoo records back as to-do activities on them, mark done those settled
    /// since in Retex, and create approved replenishment drafts as purchase orders (RFQs).
    Push(PushArgs),
}

#[derive(Args)]
pub struct PullArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    odoo: Connection,
    /// On the first pull, only records written from this time on (RFC 3339, or a date); later pulls resume
    /// where the last one stopped.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Leave out the stock check: reading what Odoo holds (`stock.quant`) and naming each position where
    /// Retex's on hand differs.
    #[arg(long)]
    no_stock_check: bool,
}

#[derive(Args)]
pub struct PushArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    odoo: Connection,
    /// Retex's address as people reach it, for the link in each activity's note.
    #[arg(long, value_name = "URL")]
    retex_url: Option<String>,
}

/// Where Odoo is and how to log in.
#[derive(Args)]
struct Connection {
    /// Odoo's address, e.g. `https://shop.odoo.com`.
    #[arg(long, value_name = "URL")]
    url: String,
    /// The Odoo database.
    #[arg(long, value_name = "NAME")]
    database: String,
    /// The Odoo user's login.
    #[arg(long, value_name = "LOGIN")]
    user: String,
    /// A file whose first line is the user's password (or an API key used as one), for JSON-RPC (Odoo 16 to 18).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "api_key_file",
        conflicts_with = "api_key_file"
    )]
    password_file: Option<PathBuf>,
    /// A file whose first line is an API key, for the JSON-2 API (Odoo 19 and later).
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
    /// A TOML file that overrides the default mapping: `[locations]` gives warehouse codes their kind
    /// (`S01 = "store"`; `warehouse` otherwise), `[fields]` names the Odoo fields that hold a product's SKU,
    /// a supplier's code, cost, price or ship-by date where they are not the defaults (`sku = "barcode"`).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
}

impl Connection {
    fn credentials(&self) -> anyhow::Result<Credentials> {
        match (&self.password_file, &self.api_key_file) {
            (Some(path), _) => Ok(Credentials::Password(first_line(path)?)),
            (None, Some(path)) => Ok(Credentials::ApiKey(first_line(path)?)),
            (None, None) => bail!("give --password-file or --api-key-file"),
        }
    }

    /// The mapping file's changes to the defaults.
    fn mapping(&self) -> anyhow::Result<Mapping> {
        let Some(path) = &self.mapping else {
            return Ok(Mapping::default());
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        let table: toml::Table = toml::from_str(&text).with_context(|| format!("{}: not TOML", path.display()))?;
        if let Some(other) = table
            .keys()
            .find(|key| !["locations", "fields"].contains(&key.as_str()))
        {
            bail!(
                "{}: {other}: unknown; the mapping file has [locations] and [fields]",
                path.display()
            );
        }
        retex_odoo::config::mapping(&table).map_err(|problem| anyhow::anyhow!("{}: {problem}", path.display()))
    }

    /// The name of this Odoo database in the store's keys.
    fn scope(&self) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), self.database)
    }

    /// Logs in and runs `work`, on a runtime of its own; an Odoo error is one line and exit 2.
    fn run<T>(
        &self,
        work: impl AsyncFnOnce(OdooClient) -> Result<T, PullError>,
    ) -> anyhow::Result<Result<T, ExitCode>> {
        let credentials = self.credentials()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("start the async runtime")?;
        let outcome = runtime.block_on(async {
            let client = OdooClient::connect(&self.url, &self.database, &self.user, credentials).await?;
            work(client).await
        });
        match outcome {
            Ok(value) => Ok(Ok(value)),
            Err(PullError::Odoo(error)) => {
                eprintln!("error: {error}");
                Ok(Err(ExitCode::from(EXIT_ODOO)))
            }
            Err(PullError::Store(error)) => Err(error).context("the store"),
        }
    }
}

pub fn run(args: &OdooArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        OdooCommand::Pull(pull) => run_pull(pull),
        OdooCommand::Push(push) => run_push(push),
    }
}

fn run_push(args: &PushArgs) -> anyhow::Result<ExitCode> {
    let mut live = args.store.open_live()?;
    let key = activities::known_key(&args.odoo.scope());
    let mut known = activities::parse_known(live.setting(&key)?.as_deref());
    let names = args.odoo.mapping()?.fields;
    let questions = activities::questions(&live.engine(), &known, &names);
    let drafts = orders::drafts(&live.engine());
    let pushed = args.odoo.run(async |client| {
        let report = activities::push(&client, &questions, &mut known, args.retex_url.as_deref(), &names).await?;
        Ok((report, orders::export(&client, &drafts, &names).await?))
    })?;
    // What was created before an error is kept, so it is not created twice.
    live.put_setting(&key, &serde_json::to_string(&known)?)?;
    let (report, exported) = match pushed {
        Ok(pushed) => pushed,
        Err(code) => return Ok(code),
    };
    for problem in &report.not_found {
        eprintln!("odoo: {problem}");
    }
    let mut ordered = 0;
    // `export` answers in the drafts' order.
    for (draft, (task, outcome)) in drafts.iter().zip(exported) {
        match outcome {
            Ok(reference) => {
                let command = Command {
                    id: format!("odoo-export:{task}"),
                    source: EXPORTER.into(),
                    at: chrono::Utc::now().fixed_offset(),
                    actor: EXPORTER.into(),
                    role: None,
                    exception: draft.exception,
                    action: Action::TaskExported { task, reference },
                };
                live.append_command(&command).context("log the exported draft")?;
                ordered += 1;
            }
            Err(problem) => eprintln!("odoo: task {task}: {problem}"),
        }
    }
    println!(
        "activities created {}, marked done {}; approved drafts created {ordered}; {} exceptions about records Odoo does not have",
        report.created,
        report.done,
        report.not_found.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_pull(args: &PullArgs) -> anyhow::Result<ExitCode> {
    let options = PullOptions {
        since: args.since.as_deref().map(odoo_datetime).transpose()?,
        mapping: args.odoo.mapping()?,
        skip_stock_check: args.no_stock_check,
    };
    let mut live = args.store.open_live()?;
    let scope = args.odoo.scope();
    let pulled = args
        .odoo
        .run(async |client| retex_odoo::pull(&client, &mut live, &scope, &options).await)?;
    let report = match pulled {
        Ok(report) => report,
        Err(code) => return Ok(code),
    };
    live.save_snapshot().context("save a snapshot")?;
    for skipped in &report.skipped {
        eprintln!("{skipped}");
    }
    for id in &report.conflicts {
        eprintln!("odoo: {id}: changed in Odoo after it was pulled; the logged event stands");
    }
    for difference in &report.stock_differences {
        eprintln!("{difference}");
    }
    let read: Vec<String> = report
        .read
        .iter()
        .map(|(model, count)| format!("{model} {count}"))
        .collect();
    let stock_check = match args.no_stock_check {
        true => String::new(),
        false => format!(
            "; stock differs from Odoo's at {} positions",
            report.stock_differences.len()
        ),
    };
    println!(
        "read {}; accepted {}, duplicates {}, skipped {}{stock_check}",
        read.join(", "),
        report.accepted,
        report.duplicates,
        report.skipped.len() + report.conflicts.len()
    );
    if report.skipped.is_empty() && report.conflicts.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(EXIT_SOME_SKIPPED))
}

fn first_line(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        bail!("{}: the first line is empty", path.display());
    }
    Ok(line.to_owned())
}

/// An RFC 3339 time or a date as Odoo writes datetimes (UTC).
fn odoo_datetime(text: &str) -> anyhow::Result<String> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S").to_string());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("--since {text}: not an RFC 3339 time or a YYYY-MM-DD date"))?;
    Ok(format!("{date} 00:00:00"))
}
