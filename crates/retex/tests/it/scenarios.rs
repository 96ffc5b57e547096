//! Data-driven detector tests: every scenario in `tests/scenarios/*.ndjson` (after the master data of
//! `_master.ndjson`) runs in a fresh engine with the shipped models and the default rules, or the rules of
//! `*.rules.toml` beside it, and the exceptions it raised must equal `*.expected`. Refresh with `RETEX_BLESS=1 cargo test -p retex scenarios`, then read the
//! diff: the expectations are the spec's, not whatever the engine said.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::Rules;
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

/// The default rules, or those of the scenario's `NAME.rules.toml` when it has one.
fn engine_config(scenario: &Path) -> EngineConfig {
    let rules_path = scenario.with_extension("rules.toml");
    let rules = match std::fs::read_to_string(&rules_path) {
        Ok(text) => parse_rules(&text).unwrap_or_else(|errors| panic!("{}: {errors:?}", rules_path.display())),
        Err(_) => Rules::default(),
    };
    EngineConfig {
        rules: Arc::new(rules),
        insight: Some(Arc::new(retex_insight::EmbeddedInsight)),
    }
}

/// Runs one scenario's lines (events, or `tick RFC3339`) after the master data and describes what it raised.
fn run_scenario(config: &EngineConfig, master: &str, lines: &[&str]) -> String {
    let mut engine = Engine::new(config.clone());
    let mut seq = 0;
    for line in master.lines().chain(lines.iter().copied()) {
        seq += 1;
        let input = match line.strip_prefix("tick ") {
            Some(at) => Input::Tick(Timestamp::parse_rfc3339(at).unwrap()),
            None => Input::Event(parse_event(line).unwrap_or_else(|error| panic!("{line}: {error}"))),
        };
        engine.apply(seq, &input);
    }
    let mut text = String::new();
    for view in engine.exceptions() {
        writeln!(
            text,
            "{} loc={} sku={} ref={} opened={} status={} occurrences={} impact={} severity={} team={:?} ack_due={} resolve_due={} caused_by={:?} resolved_by={:?} repeat_of={:?}",
            view.exception_type,
            view.location.unwrap_or("-"),
            view.sku.unwrap_or("-"),
            view.reference.unwrap_or("-"),
            view.opened_at,
            view.status,
            view.occurrences,
            view.impact,
            view.severity,
            view.team,
            view.ack_due,
            view.resolve_due,
            view.caused_by,
            view.resolved_by,
            view.repeat_of,
        )
        .unwrap();
    }
    text
}

fn run_file(path: &Path, master: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let config = engine_config(path);
    let mut report = String::new();
    let mut title: Option<&str> = None;
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().chain(std::iter::once("# end")) {
        if let Some(next_title) = line.strip_prefix("# ") {
            if let Some(title) = title {
                writeln!(report, "## {title}\n{}", run_scenario(&config, master, &lines)).unwrap();
            }
            title = Some(next_title);
            lines.clear();
        } else if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    report
}

#[test]
fn every_scenario_raises_what_the_spec_says() {
    let dir = scenario_dir();
    let master = std::fs::read_to_string(dir.join("_master.ndjson")).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "ndjson"))
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "scenario files found");
    let mut mismatched = Vec::new();
    for file in files {
        let report = run_file(&file, &master);
        let expected_path = file.with_extension("expected");
        if std::env::var_os("RETEX_BLESS").is_some() {
            std::fs::write(&expected_path, &report).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != report {
            mismatched.push(format!("{}:\n{report}", file.display()));
        }
    }
    assert!(
        mismatched.is_empty(),
        "scenarios differ from their .expected files:\n{}",
        mismatched.join("\n")
    );
}
