//! Integration tests of the simulator: determinism, schema conformance of every line, and the truth's shape.
//!
//! One test binary (STYLE.md); the small scenario keeps each run to well under a second in debug builds.

use retex_core::wire::parse_event;
use retex_sim::{FaultRates, Scenario, SimSummary, simulate};
use sha2::{Digest, Sha256};

fn run(scenario: &Scenario) -> (Vec<u8>, SimSummary) {
    let mut out = Vec::new();
    let summary = simulate(scenario, &mut out, &mut |_| {}).expect("writing to memory cannot fail");
    (out, summary)
}

fn digest(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_truth() {
    let (first, first_summary) = run(&Scenario::small());
    let (second, second_summary) = run(&Scenario::small());
    assert_eq!(digest(&first), digest(&second));
    assert_eq!(first_summary, second_summary);
    let first_truth = serde_json::to_vec(&first_summary.truth).unwrap();
    let second_truth = serde_json::to_vec(&second_summary.truth).unwrap();
    assert_eq!(digest(&first_truth), digest(&second_truth));
}

#[test]
fn a_different_seed_gives_a_different_world() {
    let (first, _) = run(&Scenario::small());
    let (second, _) = run(&Scenario {
        seed: 43,
        ..Scenario::small()
    });
    assert_ne!(digest(&first), digest(&second));
}

#[test]
fn every_line_parses_and_the_summary_counts_them() {
    let (out, summary) = run(&Scenario::small());
    let text = String::from_utf8(out).expect("NDJSON is UTF-8");
    let mut lines = 0;
    let mut previous_at = None;
    for (number, line) in text.lines().enumerate() {
        let event = parse_event(line).unwrap_or_else(|error| panic!("line {}: {error}: {line}", number + 1));
        if let Some(previous) = previous_at {
            assert!(event.at >= previous, "line {} goes back in time", number + 1);
        }
        previous_at = Some(event.at);
        lines += 1;
    }
    assert_eq!(lines, summary.events_written);
    assert_eq!(text.len() as u64, summary.bytes_written);
}

#[test]
fn event_ids_are_unique_within_their_source() {
    let (out, _) = run(&Scenario::small());
    let text = String::from_utf8(out).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        let event = parse_event(line).unwrap();
        assert!(
            seen.insert((event.source.to_string(), event.id.to_string())),
            "repeated id in {line}"
        );
    }
}

#[test]
fn master_data_comes_first_and_every_process_shows_up() {
    let (out, _) = run(&Scenario::small());
    let text = String::from_utf8(out).unwrap();
    let kinds: Vec<&'static str> = text
        .lines()
        .map(|line| parse_event(line).unwrap().body.kind())
        .collect();
    assert_eq!(kinds[0], "location");
    let first_operation = kinds.iter().position(|kind| *kind == "adjustment").unwrap();
    assert!(
        kinds[..first_operation]
            .iter()
            .all(|kind| ["location", "supplier", "product", "price"].contains(kind))
    );
    for expected in [
        "sale",
        "count",
        "transfer_shipped",
        "transfer_received",
        "purchase_order",
        "order_placed",
        "order_allocated",
        "order_shipped",
        "promotion",
        "return_requested",
    ] {
        assert!(kinds.contains(&expected), "no {expected} event in the small scenario");
    }
}

#[test]
fn the_truth_names_types_keys_and_times_for_every_fault() {
    let (_, summary) = run(&Scenario::small());
    let truth = &summary.truth;
    assert!(
        truth.faults.len() > 10,
        "the small scenario injects faults: {}",
        truth.faults.len()
    );
    assert_eq!(
        truth.statistical_types,
        [
            "low_stock",
            "phantom_stock",
            "store_exception_rate",
            "customer_complaint",
            "shrink_anomaly"
        ]
    );
    for fault in &truth.faults {
        assert!(
            !fault.exception_types.is_empty() && !fault.expected.is_empty(),
            "{fault:?}"
        );
        let earliest = fault
            .expected
            .iter()
            .map(|expected| expected.detectable_at)
            .min()
            .unwrap();
        assert_eq!(fault.detectable_at, earliest);
        assert_eq!(fault.key, fault.expected[0].key);
    }
    let json = serde_json::to_value(truth).unwrap();
    assert!(json["faults"][0]["key"].is_object());
}

#[test]
fn a_healthy_world_injects_nothing() {
    let scenario = Scenario {
        fault_rates: FaultRates::none(),
        troubled_stores: 0,
        ..Scenario::small()
    };
    let (out, summary) = run(&scenario);
    assert!(summary.truth.faults.is_empty(), "{:?}", summary.truth.faults);
    assert!(
        !out.windows(5).any(|window| window == b"fault"),
        "no event field may say fault"
    );
}

#[test]
fn an_empty_scenario_is_refused() {
    let mut out = Vec::new();
    let result = simulate(
        &Scenario {
            stores: 0,
            ..Scenario::small()
        },
        &mut out,
        &mut |_| {},
    );
    assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn progress_reports_every_day() {
    let mut days = Vec::new();
    let mut out = Vec::new();
    simulate(&Scenario::small(), &mut out, &mut |progress| {
        days.push(progress.days_done)
    })
    .unwrap();
    assert_eq!(days, [1, 2, 3]);
}
