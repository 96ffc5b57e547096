//! `phantom_stock` timing: the check falls due `silence_intervals` mean intervals after the last sale, whole or
//! fractional, and a later sale moves it.

use std::sync::Arc;

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

/// A store open around the clock with stock, selling one unit every hour from midnight: 48 sales, the last at
/// 2026-11-03T23:00Z, then a tick two days later.
fn phantom_opened_at(rules: &str, extra_sale: Option<&str>) -> Vec<String> {
    let rules = parse_rules(rules).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    });
    let mut lines = vec![
        r#"{"id":"L","source":"t","type":"location","at":"2026-11-02T00:00:00Z","code":"S1","name":"Store","kind":"store","timezone":"UTC"}"#.to_owned(),
        r#"{"id":"A","source":"t","type":"adjustment","at":"2026-11-02T00:00:00Z","location":"S1","sku":"X","qty":500,"reason":"correction"}"#.to_owned(),
    ];
    for hour in 0..48 {
        let at = Timestamp(Timestamp::parse_rfc3339("2026-11-02T00:30:00Z").unwrap().0 + hour * 3_600_000);
        lines.push(format!(
            r#"{{"id":"s{hour}","source":"t","type":"sale","at":"{at}","location":"S1","sku":"X","qty":1,"unit_price":1,"channel":"pos"}}"#
        ));
    }
    lines.extend(extra_sale.map(str::to_owned));
    let mut seq = 0;
    for line in &lines {
        seq += 1;
        let event = parse_event(line).unwrap_or_else(|error| panic!("{line}: {error}"));
        engine.apply(seq, &Input::Event(event), &mut Vec::new());
    }
    let later = Timestamp::parse_rfc3339("2026-11-06T00:00:00Z").unwrap();
    engine.apply(seq + 1, &Input::Tick(later), &mut Vec::new());
    engine
        .exceptions()
        .iter()
        .filter(|view| view.exception_type == "phantom_stock")
        .map(|view| view.opened_at.clone())
        .collect()
}

#[test]
fn the_silence_is_whole_or_fractional_mean_intervals_after_the_last_sale() {
    // Mean interval one hour, last sale 2026-11-03T23:30Z.
    assert_eq!(phantom_opened_at("", None), vec!["2026-11-04T03:30:00Z"]);
    let two_and_a_half = "[types.phantom_stock]\nsilence_intervals = 2.5\n";
    assert_eq!(phantom_opened_at(two_and_a_half, None), vec!["2026-11-04T02:00:00Z"]);
}

#[test]
fn a_sale_before_the_check_moves_it() {
    // One more sale 1 h 30 after the last: 48 intervals over 48 h 30, a mean of 60 min 37.5 s.
    let sale = r#"{"id":"late","source":"t","type":"sale","at":"2026-11-04T01:00:00Z","location":"S1","sku":"X","qty":1,"unit_price":1,"channel":"pos"}"#;
    assert_eq!(phantom_opened_at("", Some(sale)), vec!["2026-11-04T05:02:30Z"]);
}
