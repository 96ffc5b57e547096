//! `retex bench`: the throughput and memory figures of the foundation, measured on a realistic stream.
//!
//! Figures come from here (run on a release build), never from timed assertions in tests. The stream is the
//! simulator's default scenario unless `--input` names an NDJSON file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::{ExceptionType, Rules};
use retex_core::wire::parse_event;
use retex_store::{LiveEngine, LiveOptions, StoreLocation};
use serde_json::json;

use crate::ingest::ingest_files;
use retex_core::receive::FutureEvents;

/// Pairs of engine runs (detectors off, then on) whose medians are reported.
const ENGINE_RUNS: usize = 5;
/// Pairs of durable ingests (detectors off, then on), each into a new file; the medians are reported.
const INGEST_RUNS: usize = 3;
/// Pairs of engine runs (detectors on, then one type off) per type with `--by-type`.
const TYPE_RUNS: usize = 3;

#[derive(Args)]
pub struct BenchArgs {
    /// Rules for the detectors-on runs (default: the built-in defaults).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Measure the engine only (no durable ingest).
    #[arg(long)]
    engine_only: bool,
    /// NDJSON event stream to measure with; default: the simulator's default scenario.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Seed of the simulated stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also measure what each enabled built-in type costs: its share of the detectors-on time (two engine runs
    /// per type and pair, so it takes a while).
    #[arg(long)]
    by_type: bool,
    /// Where to write the figures as JSON.
    #[arg(long, value_name = "FILE", default_value = "bench.json")]
    out: PathBuf,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let rules = match &args.rules {
        Some(path) => crate::store_args::load_rules(path)?,
        None => Rules::default(),
    };
    let config = EngineConfig {
        rules: Arc::new(rules),
        insight: Some(Arc::new(retex_insight::EmbeddedInsight)),
    };
    let workdir = tempfile::tempdir().context("create a temporary directory")?;
    let stream = match &args.input {
        Some(path) => path.clone(),
        None => {
            let path = workdir.path().join("events.ndjson");
            eprintln!("simulating the default scenario (seed {})", args.seed);
            let scenario = retex_sim::Scenario {
                seed: args.seed,
                ..retex_sim::Scenario::default_retailer()
            };
            crate::simulate::write_scenario(&scenario, &path, true)?;
            path
        }
    };
    let mut detectors_off = Rules::default();
    for rule in &mut detectors_off.types {
        rule.enabled = false;
    }
    let config_off = EngineConfig {
        rules: Arc::new(detectors_off),
        insight: None,
    };
    // The ingests come first, while this process is as fresh as a `retex ingest`: after the engine runs below,
    // the same ingest took a quarter longer in the same process (4.8 s against 3.8 s).
    let ingest_times = match args.engine_only {
        true => None,
        false => Some(measure_durable_ingests(&stream, workdir.path(), &config_off, &config)?),
    };
    let text = std::fs::read_to_string(&stream).with_context(|| format!("read {}", stream.display()))?;

    let started = Instant::now();
    let mut inputs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let event = parse_event(line).with_context(|| format!("{}:{}", stream.display(), index + 1))?;
        inputs.push(Input::Event(event));
    }
    let parse_seconds = started.elapsed().as_secs_f64();
    let events = inputs.len();
    eprintln!("parsed {events} events in {parse_seconds:.2} s");

    let (engine, times) = measure_engines(&inputs, &config_off, &config);
    let type_costs = args.by_type.then(|| measure_type_costs(&inputs, &config));
    let positions = engine.ledger().len();
    let ledger_table_bytes = engine.ledger().table_bytes();
    let detector_stats_bytes = engine.detector_stats_bytes();
    let started = Instant::now();
    let snapshot_bytes = engine.snapshot_bytes().len();
    let snapshot_seconds = started.elapsed().as_secs_f64();
    drop(inputs);

    let figures = json!({
        "machine": machine(),
        "events": events,
        "parse_events_per_s": rate(events, parse_seconds),
        "engine_events_per_s": rate(events, median(&times.on)),
        "engine_detectors_off_events_per_s": rate(events, median(&times.off)),
        "detector_cost_share": median(&times.cost_shares()),
        "detector_cost_share_by_type": type_costs,
        "durable_ingest_events_per_s": ingest_times.as_ref().map(|times| rate(events, median(&times.on))),
        "durable_ingest_detectors_off_events_per_s": ingest_times.as_ref().map(|times| rate(events, median(&times.off))),
        "durable_detector_cost_share": ingest_times.as_ref().map(|times| median(&times.cost_shares())),
        "ledger_positions": positions,
        "ledger_bytes_per_position": ledger_table_bytes as f64 / positions.max(1) as f64,
        "detector_stats_bytes_per_position": detector_stats_bytes as f64 / positions.max(1) as f64,
        "exceptions_raised": engine.exception_records().len(),
        "snapshot_bytes": snapshot_bytes,
        "snapshot_encode_ms": (snapshot_seconds * 1000.0).round(),
        "targets": {
            "engine_events_per_s_min": 2_000_000,
            "detector_cost_share_max": 0.30,
            "durable_ingest_events_per_s_min": 300_000,
            "ledger_bytes_per_position_max": 150,
        },
    });
    let pretty = serde_json::to_string_pretty(&figures)?;
    std::fs::write(&args.out, format!("{pretty}\n")).with_context(|| format!("write {}", args.out.display()))?;
    println!("{pretty}");
    Ok(ExitCode::SUCCESS)
}

/// Seconds of each run of a pair, detectors off and on.
#[derive(Default)]
struct PairTimes {
    off: Vec<f64>,
    on: Vec<f64>,
}

impl PairTimes {
    /// The share of each pair's detectors-on time that the detectors cost.
    fn cost_shares(&self) -> Vec<f64> {
        self.off.iter().zip(&self.on).map(|(off, on)| 1.0 - off / on).collect()
    }
}

/// Runs the engine with detectors off, then on, [`ENGINE_RUNS`] times in turn: on a machine whose speed drifts
/// (a shared VM) both runs of a pair see about the same machine, so the pairs' cost shares vary far less than
/// separate medians would. Returns the last detectors-on engine and every run's time.
fn measure_engines(inputs: &[Input], config_off: &EngineConfig, config_on: &EngineConfig) -> (Engine, PairTimes) {
    let mut times = PairTimes::default();
    let mut last_on = None;
    for run in 1..=ENGINE_RUNS {
        let (_, off) = run_engine(inputs, config_off);
        let (engine_on, on) = run_engine(inputs, config_on);
        last_on = Some(engine_on);
        eprintln!("engine run {run}: detectors off {off:.3} s, on {on:.3} s");
        times.off.push(off);
        times.on.push(on);
    }
    (last_on.expect("ENGINE_RUNS is at least one"), times)
}

/// What each enabled built-in type costs: the share of the detectors-on time that switching it off alone saves,
/// the median of [`TYPE_RUNS`] alternating pairs. Where one type costs most, its rules are the first to tune.
fn measure_type_costs(inputs: &[Input], config_on: &EngineConfig) -> serde_json::Map<String, serde_json::Value> {
    let enabled: Vec<ExceptionType> = (ExceptionType::ALL.into_iter())
        .filter(|&exception_type| config_on.rules.is_enabled(exception_type))
        .collect();
    let progress = ProgressBar::new(enabled.len() as u64)
        .with_style(ProgressStyle::with_template("{bar:40} {pos}/{len} types, {msg}").expect("a valid template"));
    let mut costs = serde_json::Map::new();
    for exception_type in enabled {
        progress.set_message(exception_type.name());
        let mut rules = (*config_on.rules).clone();
        rules.types[exception_type.index()].enabled = false;
        let config_without = EngineConfig {
            rules: Arc::new(rules),
            insight: config_on.insight.clone(),
        };
        let shares: Vec<f64> = (0..TYPE_RUNS)
            .map(|_| {
                let (_, on) = run_engine(inputs, config_on);
                let (_, without) = run_engine(inputs, &config_without);
                1.0 - without / on
            })
            .collect();
        costs.insert(exception_type.name().to_string(), json!(median(&shares)));
        progress.inc(1);
    }
    progress.finish_and_clear();
    costs
}

/// Applies every input to a fresh engine; returns it and the seconds taken.
fn run_engine(inputs: &[Input], config: &EngineConfig) -> (Engine, f64) {
    let mut engine = Engine::new(config.clone());
    let started = Instant::now();
    for (index, input) in inputs.iter().enumerate() {
        engine.apply(index as u64 + 1, input);
    }
    (engine, started.elapsed().as_secs_f64())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The seconds of [`INGEST_RUNS`] pairs of durable ingests of the stream (detectors off, then on, as the engine
/// runs alternate), each into a new file in `dir`.
fn measure_durable_ingests(
    stream: &Path,
    dir: &Path,
    config_off: &EngineConfig,
    config_on: &EngineConfig,
) -> anyhow::Result<PairTimes> {
    let mut times = PairTimes::default();
    for run in 1..=INGEST_RUNS {
        for (config, seconds) in [(config_off, &mut times.off), (config_on, &mut times.on)] {
            let db = dir.join(format!("ingest-{run}.db"));
            seconds.push(measure_durable_ingest(stream, &db, config)?);
            for suffix in ["", "-wal", "-shm"] {
                let file = PathBuf::from(format!("{}{suffix}", db.display()));
                if file.exists() {
                    std::fs::remove_file(&file).with_context(|| format!("remove {}", file.display()))?;
                }
            }
        }
    }
    Ok(times)
}

/// Ingests the stream file into a new SQLite file, as `retex ingest` does, and closes it; returns the seconds
/// taken.
fn measure_durable_ingest(stream: &Path, db: &Path, config: &EngineConfig) -> anyhow::Result<f64> {
    let store = retex_store::open(&StoreLocation::Sqlite(db.to_path_buf())).context("open the bench database")?;
    let mut live = LiveEngine::open(store, config.clone(), LiveOptions::default())?;
    let started = Instant::now();
    let totals = ingest_files(&mut live, &[stream.to_path_buf()], false, FutureEvents::Allowed)?;
    live.save_snapshot()?;
    // Closing the store checkpoints what is left of the WAL: part of the cost of the ingest.
    drop(live);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("ingested {} events into SQLite in {seconds:.2} s", totals.accepted);
    Ok(seconds)
}

fn rate(events: usize, seconds: f64) -> f64 {
    (events as f64 / seconds.max(1e-9)).round()
}

/// The machine the figures were measured on.
pub fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| {
            line.strip_prefix("model name")
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, name)| name.trim())
        })
        .unwrap_or("unknown");
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    json!({ "cpu": model, "cores": cores, "os": std::env::consts::OS })
}
