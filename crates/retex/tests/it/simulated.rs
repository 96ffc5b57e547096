//! The simulator drives the whole system: a small scenario with raised fault rates is simulated, ingested
//! through the CLI into SQLite, and scored against its ground truth. Deterministic types must be found with
//! precision and recall of at least 0.98 (issue: every deterministic type), and the score is deterministic.

use std::collections::BTreeMap;

use crate::{retex, stderr, stdout};

/// Scores at or above this for every deterministic type.
const DETERMINISTIC_FLOOR: f64 = 0.98;

/// A small simulated world ingested into a store: its truth and its database, in a folder of its own.
struct SimulatedWorld {
    dir: tempfile::TempDir,
    truth: String,
    db: String,
}

impl SimulatedWorld {
    /// The path of another file in the world's folder.
    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
}

/// Simulates 4 stores for 4 days (seed 7) with `extra` arguments to `retex simulate`, and ingests the events.
fn simulate_and_ingest(extra: &[&str]) -> SimulatedWorld {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (events, truth, db) = (path("events.ndjson"), path("truth.json"), path("retex.db"));
    let mut args = vec!["simulate", "--stores", "4", "--days", "4", "--seed", "7"];
    args.extend_from_slice(extra);
    args.extend(["--out", &events, "--truth", &truth]);
    let simulated = retex(&args);
    assert!(simulated.status.success(), "{}", stderr(&simulated));
    let ingested = retex(&["ingest", "--db", &db, &events]);
    assert_eq!(
        ingested.status.code(),
        Some(0),
        "every simulated line is valid: {}",
        stderr(&ingested)
    );
    SimulatedWorld { dir, truth, db }
}

#[test]
fn a_small_simulated_retailer_scores_on_every_deterministic_type() {
    let world = simulate_and_ingest(&[]);
    let (truth, db) = (world.truth.as_str(), world.db.as_str());
    let scored = retex(&["score", "--db", db, "--truth", truth, "--format", "json"]);
    assert!(scored.status.success(), "{}", stderr(&scored));
    let report: serde_json::Value = serde_json::from_str(&stdout(&scored)).unwrap();
    let types: BTreeMap<String, serde_json::Value> = serde_json::from_value(report["types"].clone()).unwrap();
    let mut below = Vec::new();
    let mut positives = 0;
    for (name, figures) in &types {
        if figures["statistical"].as_bool().unwrap() {
            continue;
        }
        positives += figures["tp"].as_u64().unwrap() + figures["fn"].as_u64().unwrap();
        let (precision, recall) = (
            figures["precision"].as_f64().unwrap(),
            figures["recall"].as_f64().unwrap(),
        );
        if precision < DETERMINISTIC_FLOOR || recall < DETERMINISTIC_FLOOR {
            below.push(format!("{name}: precision {precision}, recall {recall}"));
        }
    }
    assert!(
        positives >= 20,
        "the scenario injects enough faults to mean something: {positives}"
    );
    assert!(
        below.is_empty(),
        "deterministic types below {DETERMINISTIC_FLOOR}: {below:?}"
    );
    assert!(report["overall"]["tp"].as_u64().unwrap() > 0);
}

#[test]
fn score_replays_suggested_resolutions_on_a_copy_and_leaves_the_store_alone() {
    let world = simulate_and_ingest(&[]);
    let (truth, db) = (world.truth.as_str(), world.db.as_str());
    let exceptions = || crate::all_exceptions(db);
    let before = exceptions();
    let scored = retex(&["score", "--db", db, "--truth", truth, "--format", "json"]);
    assert!(scored.status.success(), "{}", stderr(&scored));
    assert_eq!(exceptions(), before, "the replay resolves exceptions in memory only");

    let report: serde_json::Value = serde_json::from_str(&stdout(&scored)).unwrap();
    let suggestions = &report["suggestions"];
    let count = |figures: &serde_json::Value, name: &str| figures[name].as_u64().unwrap();
    let overall = &suggestions["overall"];
    let kinds = suggestions["kinds"].as_object().unwrap();
    assert!(
        !kinds.contains_key("customer_complaint") && !kinds.contains_key("stockout"),
        "{kinds:?}"
    );
    let faults: u64 = kinds.values().map(|figures| count(figures, "faults")).sum();
    assert_eq!(count(overall, "faults"), faults);
    assert!(
        count(overall, "first_matched") > 0 && count(overall, "without_evidence") < faults,
        "later faults learn from earlier ones: {overall}"
    );
    let with_evidence = count(overall, "faults") - count(overall, "without_evidence");
    let share = count(overall, "first_matched") as f64 / with_evidence as f64;
    assert_eq!(overall["first_matched_share"].as_f64().unwrap(), share);

    let table = retex(&["score", "--db", db, "--truth", truth]);
    assert!(
        stdout(&table).contains("suggestions: the first named the injected root cause for"),
        "{}",
        stdout(&table)
    );
}

#[test]
fn a_fault_free_world_raises_no_deterministic_exception() {
    let world = simulate_and_ingest(&["--fault-free"]);
    let (truth, db) = (world.truth.as_str(), world.db.as_str());
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap();
    assert_eq!(written["faults"].as_array().unwrap().len(), 0, "nothing injected");
    let scored = retex(&["score", "--db", db, "--truth", truth, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&scored)).unwrap();
    // Healthy trading holds every deterministic rule: any exception of those types would be a false alarm.
    assert_eq!(report["deterministic"]["fp"], 0, "{}", report["types"]);
    assert_eq!(report["overall"]["tp"], 0);
}

#[test]
fn the_same_seed_gives_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let events = dir.path().join(format!("{name}.ndjson"));
        let truth = dir.path().join(format!("{name}.json"));
        let output = retex(&[
            "simulate",
            "--stores",
            "3",
            "--days",
            "2",
            "--seed",
            "11",
            "--out",
            events.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        (std::fs::read(events).unwrap(), std::fs::read(truth).unwrap())
    };
    let (first_events, first_truth) = run("first");
    let (second_events, second_truth) = run("second");
    assert!(first_events == second_events, "events are byte-identical");
    assert!(first_truth == second_truth, "truth is byte-identical");
    assert!(first_events.len() > 10_000);
}

#[test]
fn backtest_scores_both_rule_sets_against_the_truth() {
    let world = simulate_and_ingest(&[]);
    let (truth, db, rules) = (world.truth.clone(), world.db.clone(), world.file("loose.toml"));
    // Counts off by up to 1,000 units are tolerated: every miscount goes unreported.
    std::fs::write(&rules, "[types.count_variance]\ntolerance_units = 1000\n").unwrap();
    let backtest = retex(&[
        "backtest", "--db", &db, "--new", &rules, "--truth", &truth, "--format", "ndjson",
    ]);
    assert!(backtest.status.success(), "{}", stderr(&backtest));
    let report: serde_json::Value = serde_json::from_str(stdout(&backtest).trim()).unwrap();
    let count_variance = |rules: &str| report["score"][rules]["types"]["count_variance"].clone();
    assert!(
        count_variance("base")["tp"].as_u64().unwrap() > 0,
        "{}",
        count_variance("base")
    );
    assert_eq!(count_variance("base")["recall"], 1.0);
    assert_eq!(count_variance("new")["tp"], 0);
    assert_eq!(count_variance("new")["recall"], 0.0);
    let table = stdout(&retex(&["backtest", "--db", &db, "--new", &rules, "--truth", &truth]));
    assert!(table.contains("against the truth (precision / recall):"), "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.starts_with("count_variance") && line.ends_with("1.000 / 0.000")),
        "{table}"
    );
}
