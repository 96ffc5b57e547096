//! `phantom_stock` timing: the check falls due `silence_intervals` mean intervals after the last sale, whole or
//! fractional, and a later sale moves it, back or forward.

use std::sync::Arc;

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

/// When `phantom_stock` opened for an item of a store open around the clock with stock, sold one unit at each
/// of `sales` (in order), then the events `then`, on a tick at 2026-11-06T00:00Z.
fn phantom_opened_at(rules: &str, sales: &[Timestamp], then: &[&str]) -> Vec<String> {
    let rules = parse_rules(rules).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    });
    let mut lines = vec![
        r#"{"id":"L","source":"t","type":"location","at":"2026-11-02T00:00:00Z","code":"S1","name":"Store","kind":"store","timezone":"UTC"}"#.to_owned(),
        r#"{"id":"A","source":"t","type":"adjustment","at":"2026-11-02T00:00:00Z","location":"S1","sku":"X","qty":500,"reason":"correction"}"#.to_owned(),
    ];
    for (index, at) in sales.iter().enumerate() {
        lines.push(format!(
            r#"{{"id":"s{index}","source":"t","type":"sale","at":"{at}","location":"S1","sku":"X","qty":1,"unit_price":1,"channel":"pos"}}"#
        ));
    }
    lines.extend(then.iter().map(|line| (*line).to_owned()));
    let mut seq = 0;
    for line in &lines {
        seq += 1;
        let event = parse_event(line).unwrap_or_else(|error| panic!("{line}: {error}"));
        engine.apply(seq, &Input::Event(event));
    }
    engine.apply(seq + 1, &Input::Tick(at("2026-11-06T00:00:00Z")));
    engine
        .exceptions()
        .iter()
        .filter(|view| view.exception_type == "phantom_stock")
        .map(|view| view.opened_at.clone())
        .collect()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// `count` sales `step_ms` apart from `first`.
fn every(first: &str, step_ms: i64, count: i64) -> Vec<Timestamp> {
    (0..count)
        .map(|index| Timestamp(at(first).0 + index * step_ms))
        .collect()
}

/// 48 sales an hour apart, the last at 2026-11-03T23:30Z.
fn hourly() -> Vec<Timestamp> {
    every("2026-11-02T00:30:00Z", 3_600_000, 48)
}

#[test]
fn the_silence_is_whole_or_fractional_mean_intervals_after_the_last_sale() {
    // Mean interval one hour, last sale 2026-11-03T23:30Z.
    assert_eq!(phantom_opened_at("", &hourly(), &[]), vec!["2026-11-04T03:30:00Z"]);
    let two_and_a_half = "[types.phantom_stock]\nsilence_intervals = 2.5\n";
    assert_eq!(
        phantom_opened_at(two_and_a_half, &hourly(), &[]),
        vec!["2026-11-04T02:00:00Z"]
    );
}

#[test]
fn a_sale_before_the_check_moves_it() {
    // One more sale 1 h 30 after the last: 48 intervals over 48 h 30, a mean of 60 min 37.5 s.
    let mut sales = hourly();
    sales.push(at("2026-11-04T01:00:00Z"));
    assert_eq!(phantom_opened_at("", &sales, &[]), vec!["2026-11-04T05:02:30Z"]);
}

#[test]
fn a_burst_of_sales_brings_the_check_forward() {
    // Two sales twelve hours apart queue a check 48 h after the second. Ten more within 45 minutes make the
    // mean interval 13 h 15 over 11, 4,336,363 ms, so the silence ends 4 h 49 min 5.452 s after the last.
    let mut sales = vec![at("2026-11-02T00:30:00Z"), at("2026-11-02T12:30:00Z")];
    sales.extend(every("2026-11-02T13:00:00Z", 5 * 60_000, 10));
    assert_eq!(phantom_opened_at("", &sales, &[]), vec!["2026-11-02T18:34:05.452Z"]);
}

#[test]
fn new_opening_hours_measure_the_silence_in_the_new_open_hours() {
    // From 2026-11-04 the store opens 09:00-21:00 UTC. Its sales (00:30 on the 2nd to 23:30 on the 3rd) span
    // two whole open days on that calendar, 47 intervals of 1,838,297 ms: the silence ends 2 h 2 min 33.188 s
    // into the next open day, not at 03:30 as on the old, always open calendar.
    let hours = r#"{"id":"L2","source":"t","type":"location","at":"2026-11-04T00:00:00Z","code":"S1","name":"Store","kind":"store","timezone":"UTC","hours":"09:00-21:00"}"#;
    assert_eq!(
        phantom_opened_at("", &hourly(), &[hours]),
        vec!["2026-11-04T11:02:33.188Z"]
    );
}
