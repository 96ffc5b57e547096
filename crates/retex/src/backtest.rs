//! `retex backtest`: replay the log through two rule sets in memory and show what each would have raised.
//!
//! Nothing is written: the log is read page by page and applied to two fresh engines side by side. Exceptions
//! are matched by type, key and opening time; the report lists, per type, how many each rule set raised,
//! which the new rules add and which they remove, with examples. Given the truth of a simulated log
//! (`--truth`), it also scores both rule sets against it, so a tuned threshold shows what it does to precision
//! and recall. The same log and rules give the same report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, EngineConfig};
use retex_core::rules::Rules;

use retex_sim::score::{Score, TypeScore};

use crate::report::Format;
use crate::simulate::{read_truth, score_engine};
use crate::store_args::{StoreArgs, load_rules};

/// Log entries read per page.
const PAGE_ENTRIES: usize = 10_000;
/// Examples printed per type and direction.
const EXAMPLES_MAX: usize = 3;

#[derive(Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The rules to try.
    #[arg(long = "new", value_name = "FILE", alias = "rules-new")]
    new_rules: PathBuf,
    /// The rules to compare with; the defaults when absent.
    #[arg(long, value_name = "FILE")]
    base: Option<PathBuf>,
    /// Compare exceptions opened at or after this instant (RFC 3339).
    #[arg(long, value_parser = crate::report::parse_instant)]
    from: Option<Timestamp>,
    /// ... and before this one; log entries from this instant on are not replayed.
    #[arg(long, value_parser = crate::report::parse_instant)]
    to: Option<Timestamp>,
    /// The ground truth of a simulated log (`retex simulate --truth`): score both rule sets against it.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// An exception as backtests compare it: type, key (exceptions.md's key columns) and opening time.
type Identity = (String, String, String);

pub fn run(args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let base_rules = match &args.base {
        Some(path) => load_rules(path)?,
        None => Rules::default(),
    };
    let new_rules = load_rules(&args.new_rules)?;
    let insight = args.store.engine_config()?.insight;
    let mut base = Engine::new(EngineConfig {
        rules: Arc::new(base_rules),
        insight: insight.clone(),
    });
    let mut new = Engine::new(EngineConfig {
        rules: Arc::new(new_rules),
        insight,
    });
    args.store.require_existing()?;
    let mut store = retex_store::open(&args.store.location()).context("open the store")?;
    let mut after = 0;
    loop {
        let page = store.read_log(after, PAGE_ENTRIES).context("read the log")?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            if args.to.is_some_and(|to| entry.at_ms >= to.0) {
                continue;
            }
            let input = retex_store::decode_entry(entry)?;
            base.apply(entry.seq, &input);
            new.apply(entry.seq, &input);
        }
    }
    let base_set = identities(&base, args.from, args.to);
    let new_set = identities(&new, args.from, args.to);
    let scores = match &args.truth {
        Some(path) => {
            let truth = read_truth(path)?;
            Some((score_engine(&base, &truth), score_engine(&new, &truth)))
        }
        None => None,
    };
    print_report(
        &base_set,
        &new_set,
        args.format,
        (base.rules_version(), new.rules_version()),
        scores.as_ref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn identities(engine: &Engine, from: Option<Timestamp>, to: Option<Timestamp>) -> BTreeSet<Identity> {
    let mut set = BTreeSet::new();
    for record in engine.exception_records() {
        if from.is_some_and(|from| record.opened_at < from) || to.is_some_and(|to| record.opened_at >= to) {
            continue;
        }
        let key = &record.key;
        let code = |name: Option<&str>| name.unwrap_or("-").to_string();
        let described = format!(
            "{}/{}/{}",
            code(key.location.map(|id| engine.location_code(id))),
            code(key.sku.map(|id| engine.sku_code(id))),
            code(key.reference.as_ref().map(|reference| reference.as_str())),
        );
        set.insert((
            engine.type_name(key.exception_type).to_string(),
            described,
            record.opened_at.to_rfc3339(),
        ));
    }
    set
}

#[derive(Default, serde::Serialize)]
struct TypeDifference {
    base: usize,
    new: usize,
    added: Vec<String>,
    removed: Vec<String>,
}

fn print_report(
    base: &BTreeSet<Identity>,
    new: &BTreeSet<Identity>,
    format: Format,
    versions: (&str, &str),
    scores: Option<&(Score, Score)>,
) -> anyhow::Result<()> {
    let mut by_type: BTreeMap<&str, TypeDifference> = BTreeMap::new();
    for identity in base {
        by_type.entry(&identity.0).or_default().base += 1;
    }
    for identity in new {
        by_type.entry(&identity.0).or_default().new += 1;
    }
    for identity in new.difference(base) {
        by_type
            .entry(&identity.0)
            .or_default()
            .added
            .push(format!("{} at {}", identity.1, identity.2));
    }
    for identity in base.difference(new) {
        by_type
            .entry(&identity.0)
            .or_default()
            .removed
            .push(format!("{} at {}", identity.1, identity.2));
    }
    if let Format::Ndjson = format {
        let score = scores.map(|(base, new)| serde_json::json!({ "base": base, "new": new }));
        let report = serde_json::json!({
            "base_rules": versions.0,
            "new_rules": versions.1,
            "types": by_type,
            "score": score,
        });
        println!("{report}");
        return Ok(());
    }
    println!("base rules {} -> new rules {}", versions.0, versions.1);
    println!(
        "{:<26} {:>8} {:>8} {:>8} {:>8}",
        "type", "base", "new", "added", "removed"
    );
    for (name, difference) in &by_type {
        println!(
            "{name:<26} {:>8} {:>8} {:>8} {:>8}",
            difference.base,
            difference.new,
            difference.added.len(),
            difference.removed.len()
        );
    }
    for (name, difference) in &by_type {
        for example in difference.added.iter().take(EXAMPLES_MAX) {
            println!("+ {name} {example}");
        }
        for example in difference.removed.iter().take(EXAMPLES_MAX) {
            println!("- {name} {example}");
        }
    }
    if let Some((base, new)) = scores {
        print_scores(base, new);
    }
    Ok(())
}

/// Precision and recall of both rule sets against the truth, type by type.
fn print_scores(base: &Score, new: &Score) {
    println!("against the truth (precision / recall):");
    println!("{:<26} {:>15} {:>15}", "type", "base", "new");
    let figures = |score: Option<&TypeScore>| {
        score.map_or("-".to_string(), |score| {
            format!("{:.3} / {:.3}", score.precision, score.recall)
        })
    };
    let names: BTreeSet<&String> = base.types.keys().chain(new.types.keys()).collect();
    for name in names {
        let (base, new) = (base.types.get(name), new.types.get(name));
        println!("{name:<26} {:>15} {:>15}", figures(base), figures(new));
    }
    for (name, base, new) in [
        ("deterministic", &base.deterministic, &new.deterministic),
        ("overall", &base.overall, &new.overall),
    ] {
        println!("{name:<26} {:>15} {:>15}", figures(Some(base)), figures(Some(new)));
    }
}
