//! `retex simulate`, `retex score` and `retex demo`: the simulated retailer, and how well Retex detects its
//! injected faults.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use retex_core::command::{Action, Command};
use retex_core::engine::{Engine, Input};
use retex_server::auth::{Role, new_password, user_account};
use retex_server::{Connectors, ServerOptions};
use retex_sim::score::{RaisedException, STEADY_SELLER_DAILY_UNITS, Score, score};
use retex_sim::suggestion_score::{SuggestionScore, replay_plan};
use retex_sim::{Scenario, Truth};

use crate::ingest::ingest_files;
use crate::serve_cmd::{put_account, serve_live};
use crate::store_args::StoreArgs;
use retex_core::receive::FutureEvents;

/// The seed of `retex demo`: the same retailer every time.
const DEMO_SEED: u64 = 42;
const DEMO_DB: &str = "retex-demo.db";
const DEMO_EVENTS: &str = "retex-demo.ndjson";
const DEMO_TRUTH: &str = "retex-demo-truth.json";

#[derive(Args)]
pub struct SimulateArgs {
    /// Number of stores.
    #[arg(long, default_value_t = 40)]
    stores: u32,
    /// Number of days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Number of SKUs in the catalogue, every one stocked at every store (10 to 1,000,000).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
    skus: u32,
    /// Seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to write the events (NDJSON).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Where to write the ground truth (JSON).
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// A healthy world: no fault is injected and no store is troubled, so every exception raised on it is a
    /// false alarm (its score shows how noisy each detector is on normal trading).
    #[arg(long)]
    fault_free: bool,
}

#[derive(Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The ground truth written by `retex simulate --truth`.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    format: ScoreFormat,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ScoreFormat {
    Table,
    Json,
}

pub fn simulate(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario {
        stores: args.stores,
        days: args.days,
        skus: args.skus,
        seed: args.seed,
        ..Scenario::default_retailer()
    };
    if args.fault_free {
        scenario = scenario.fault_free();
    }
    let started = Instant::now();
    let truth = write_scenario(&scenario, &args.out, true)?;
    if let Some(path) = &args.truth {
        write_truth(&truth, path)?;
    }
    println!(
        "simulated {} stores with {} SKUs for {} days (seed {}) into {} in {:.1} s; {} faults injected",
        args.stores,
        args.skus,
        args.days,
        args.seed,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        truth.faults.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Simulates a scenario into an NDJSON file, with a progress bar by day when `show_progress`.
pub fn write_scenario(scenario: &Scenario, out: &Path, show_progress: bool) -> anyhow::Result<Truth> {
    let file = File::create(out).with_context(|| format!("create {}", out.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let progress = if show_progress {
        ProgressBar::new(u64::from(scenario.days))
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("simulating {bar:40} day {pos}/{len} {msg}").expect("a valid template"),
    );
    let summary = retex_sim::simulate(scenario, &mut writer, &mut |step| {
        progress.set_position(u64::from(step.days_done));
        progress.set_message(format!("{} events", step.events_written));
    })
    .with_context(|| format!("write {}", out.display()))?;
    writer.flush().with_context(|| format!("write {}", out.display()))?;
    progress.finish_and_clear();
    Ok(summary.truth)
}

fn write_truth(truth: &Truth, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(truth)?;
    std::fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))
}

/// Reads a truth file written by `retex simulate --truth`.
pub fn read_truth(path: &Path) -> anyhow::Result<Truth> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))
}

pub fn score_command(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let truth = read_truth(&args.truth)?;
    let live = args.store.open_existing_live()?;
    let result = score_engine(&live.engine(), &truth);
    match args.format {
        ScoreFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        ScoreFormat::Table => print_score(&result),
    }
    Ok(ExitCode::SUCCESS)
}

/// What an engine raised, scored against a truth, with its suggested resolutions replayed on a copy.
pub fn score_engine(engine: &Engine, truth: &Truth) -> Score {
    let raised = raised_exceptions(engine);
    let mut result = score(truth, &raised);
    result.suggestions = Some(replay_suggestions(engine.clone(), truth, &raised));
    result
}

/// Every exception the engine raised, in id order, as the scorer compares them.
fn raised_exceptions(engine: &Engine) -> Vec<RaisedException> {
    let roots: std::collections::BTreeSet<u64> =
        engine.incidents(1).iter().map(|incident| incident.root_cause).collect();
    let mut raised = Vec::new();
    for view in engine.exceptions() {
        raised.push(RaisedException {
            exception_type: view.exception_type.to_string(),
            location: view.location.map(str::to_string),
            sku: view.sku.map(str::to_string),
            reference: view.reference.map(str::to_string),
            opened_at: view.opened_at.parse().expect("the engine writes RFC 3339"),
            incident: view.incident,
            is_incident_root: roots.contains(&view.id),
        });
    }
    raised
}

/// Plays the people on an engine of its own (in memory, never logged): in opening order, each exception matched
/// to a fault with a cause is asked for its suggestions, then resolved with the injected cause at the engine's
/// clock. One the engine closed itself (the condition cleared) is reopened first, as a person records a root
/// cause after the fact; one that cannot be (its key has a newer open exception) gets no suggestion and gives no
/// evidence.
fn replay_suggestions(mut engine: Engine, truth: &Truth, raised: &[RaisedException]) -> SuggestionScore {
    let mut result = SuggestionScore::default();
    let Some(clock) = engine.clock() else {
        return result;
    };
    let at = chrono::DateTime::parse_from_rfc3339(&clock.to_rfc3339()).expect("the engine writes RFC 3339");
    let mut seq = engine.applied_seq();
    let mut apply = |engine: &mut Engine, exception: u64, action: Action| {
        seq += 1;
        let command = Command {
            id: format!("replay-{seq}"),
            source: "score".to_owned(),
            at,
            actor: "replay".to_owned(),
            role: None,
            exception,
            action,
        };
        let fits = engine.check_command(&command).is_ok();
        if fits {
            engine.apply(seq, &Input::Command(command));
        }
        fits
    };
    for step in replay_plan(truth, raised) {
        // `raised` is in id order.
        let id = step.raised as u64 + 1;
        let active = engine.exception_records()[step.raised].status.is_active();
        let reopen = Action::Reopen {
            note: "recording the root cause".to_owned(),
        };
        let workable = active || apply(&mut engine, id, reopen);
        if step.is_trial {
            let first = engine.suggestions(id).first().map(|suggestion| suggestion.root_cause);
            result.add(truth, &step, first);
        }
        if !workable {
            continue;
        }
        let resolve = Action::Resolve {
            root_cause: step.root_cause,
            note: "as the simulator injected it".to_owned(),
            resolution: Some(step.resolution),
        };
        apply(&mut engine, id, resolve);
    }
    result
}

fn print_score(result: &Score) {
    let seconds = |value: Option<f64>| value.map_or("-".to_string(), |seconds| format!("{seconds:.0}"));
    println!(
        "{:<26} {:>9} {:>7} {:>7} {:>7} {:>7} {:>9} {:>10} {:>10}",
        "type", "precision", "recall", "tp", "fp", "fn", "explained", "ttd_p50_s", "ttd_p95_s"
    );
    let rows = result
        .types
        .iter()
        .map(|(name, score)| (name.clone() + if score.statistical { " *" } else { "" }, score))
        .chain([
            ("deterministic".to_string(), &result.deterministic),
            ("overall".to_string(), &result.overall),
        ]);
    for (name, score) in rows {
        println!(
            "{name:<26} {:>9.3} {:>7.3} {:>7} {:>7} {:>7} {:>9} {:>10} {:>10}",
            score.precision,
            score.recall,
            score.tp,
            score.fp,
            score.false_negatives,
            score.explained,
            seconds(score.ttd_p50_s),
            seconds(score.ttd_p95_s)
        );
    }
    println!(
        "* statistical type: figures are reported, not promised; explained: neither found nor false (a side \
         effect, a repeat, a warning past the stream)"
    );
    let stockouts = &result.stockouts;
    println!(
        "low_stock: {} of {} stockouts warned before the shelf ran empty ({:.3}), median warning {}; of positions \
         selling {STEADY_SELLER_DAILY_UNITS} a day or more, {} of {}",
        stockouts.warned,
        stockouts.stockouts,
        stockouts.warned_share,
        stockouts
            .warning_p50_hours
            .map_or("-".to_owned(), |hours| format!("{hours:.1} h")),
        stockouts.steady_warned,
        stockouts.steady_stockouts,
    );
    println!("phantom_stock by expected sales a day: band, faults, found, recall, median days to detect");
    for band in &result.phantom_stock_bands {
        println!(
            "  {:<18} {:>5} {:>5} {:>7.3} {:>7}",
            band.band,
            band.faults,
            band.found,
            band.recall,
            band.ttd_p50_days.map_or("-".to_owned(), |days| format!("{days:.2}"))
        );
    }
    if let Some(suggestions) = &result.suggestions {
        print_suggestion_score(suggestions);
    }
    let incidents = &result.incidents;
    println!(
        "incidents: {} of {} chains whole in one incident with the right root ({:.3}); {} of {} incidents with \
         faults mix faults (pure {:.3}); the largest holds {} exceptions",
        incidents.chains_right,
        incidents.chains,
        incidents.chains_right_share,
        incidents.incidents_mixed,
        incidents.incidents_with_faults,
        incidents.pure_share,
        incidents.largest
    );
}

fn print_suggestion_score(result: &SuggestionScore) {
    let overall = &result.overall;
    println!(
        "suggestions: the first named the injected root cause for {} of {} faults with evidence ({:.3}); {} had none",
        overall.first_matched,
        overall.faults - overall.without_evidence,
        overall.first_matched_share,
        overall.without_evidence
    );
    println!(
        "  {:<24} {:>6} {:>9} {:>8} {:>7}",
        "fault", "faults", "evidence", "matched", "share"
    );
    for (kind, figures) in &result.kinds {
        println!(
            "  {kind:<24} {:>6} {:>9} {:>8} {:>7.3}",
            figures.faults,
            figures.faults - figures.without_evidence,
            figures.first_matched,
            figures.first_matched_share
        );
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// Address and port of the web UI.
    #[arg(long, value_name = "ADDR", default_value = crate::serve_cmd::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// Stop after the score instead of serving the web UI.
    #[arg(long)]
    no_serve: bool,
}

/// Simulates the default retailer, ingests it into `./retex-demo.db` and prints how well Retex detected its faults.
pub fn demo(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    for stale in [DEMO_DB, "retex-demo.db-wal", "retex-demo.db-shm"] {
        if Path::new(stale).exists() {
            std::fs::remove_file(stale).with_context(|| format!("remove the previous {stale}"))?;
        }
    }
    let scenario = Scenario {
        seed: DEMO_SEED,
        ..Scenario::default_retailer()
    };
    println!(
        "simulating the default retailer: {} stores, {} days, seed {DEMO_SEED}",
        scenario.stores, scenario.days
    );
    let truth = write_scenario(&scenario, Path::new(DEMO_EVENTS), true)?;
    write_truth(&truth, Path::new(DEMO_TRUTH))?;
    let store = StoreArgs {
        db: DEMO_DB.into(),
        database_url: None,
        rules: None,
    };
    let mut live = store.open_live()?;
    let ingest_started = Instant::now();
    let totals = ingest_files(&mut live, &[PathBuf::from(DEMO_EVENTS)], true, FutureEvents::Allowed)?;
    live.save_snapshot().context("save a snapshot")?;
    let seconds = ingest_started.elapsed().as_secs_f64();
    println!(
        "ingested {} events into {DEMO_DB} in {seconds:.1} s ({:.0} events/s); {} exceptions, {} incidents",
        totals.accepted,
        totals.accepted as f64 / seconds.max(1e-9),
        live.engine().exception_records().len(),
        live.engine().incidents(2).len(),
    );
    print_score(&score_engine(&live.engine(), &truth));
    println!(
        "done in {:.0} s. Explore: retex exceptions --db {DEMO_DB} | retex incidents --db {DEMO_DB} | retex score --db {DEMO_DB} --truth {DEMO_TRUTH}",
        started.elapsed().as_secs_f64()
    );
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let first_store = live.engine().store_codes().into_iter().next();
    let mut logins = Vec::new();
    for (name, role, team, locations) in [
        ("admin", Role::Admin, None, vec![]),
        ("lead", Role::OperationsLead, None, vec![]),
        (
            "store",
            Role::TeamMember,
            first_store.as_ref().map(|code| format!("store {code}")),
            first_store.into_iter().collect(),
        ),
    ] {
        let password = new_password()?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let account = user_account(name, &password, role, team, locations.clone(), now_ms)?;
        put_account(&store, &account, "demo user saved")?;
        let scope = if locations.is_empty() {
            "all locations".to_owned()
        } else {
            locations.join(", ")
        };
        logins.push(format!("  {name:<6} {password}  ({}, {scope})", role.name()));
    }
    println!("\nweb UI on http://{}: log in as one of (name, password):", args.listen);
    println!("{}", logins.join("\n"));
    println!("the demo's clock stays at the end of the simulation, so due times read as they were then");
    serve_live(
        &store,
        live,
        args.listen,
        ServerOptions::engine_clock(),
        Connectors::default(),
    )?;
    Ok(ExitCode::SUCCESS)
}
