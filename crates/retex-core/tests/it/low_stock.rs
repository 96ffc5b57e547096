//! `low_stock` with parameters scoped by location: each position is judged with its own location's values.

use std::sync::Arc;

use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

/// Where `low_stock` opened after the same item sold one unit a day for eight days at two stores holding 17
/// units each, under `rules`.
fn low_stock_locations(rules: &str) -> Vec<String> {
    let rules = parse_rules(rules).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    });
    let mut lines = Vec::new();
    for store in ["S1", "S2"] {
        lines.push(format!(
            r#"{{"id":"L{store}","source":"t","type":"location","at":"2026-11-01T00:00:00Z","code":"{store}","name":"Store","kind":"store","timezone":"UTC"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"A{store}","source":"t","type":"adjustment","at":"2026-11-01T00:00:00Z","location":"{store}","sku":"X","qty":17,"reason":"correction"}}"#
        ));
    }
    for day in 2..=9 {
        for store in ["S1", "S2"] {
            lines.push(format!(
                r#"{{"id":"s{store}{day}","source":"t","type":"sale","at":"2026-11-{day:02}T12:00:00Z","location":"{store}","sku":"X","qty":1,"unit_price":1,"channel":"pos"}}"#
            ));
        }
    }
    for (seq, line) in lines.iter().enumerate() {
        let event = parse_event(line).unwrap_or_else(|error| panic!("{line}: {error}"));
        engine.apply(seq as u64 + 1, &Input::Event(event));
    }
    (engine.exceptions().iter())
        .filter(|view| view.exception_type == "low_stock")
        .filter_map(|view| view.location.map(str::to_owned))
        .collect()
}

#[test]
fn a_lead_time_scoped_to_one_location_applies_there_only() {
    // Eight units over the 14-day window: 8/14 a day. With no lead time S1 wants 0.86 units on hand; with
    // 10 days S2 wants 8/14 x 11 x 1.5 = 9.43 and has 9 left.
    assert!(low_stock_locations("").is_empty());
    let scoped = "[[types.low_stock.overrides]]\nlocation = \"S2\"\ndefault_lead_time_days = 10\n";
    assert_eq!(low_stock_locations(scoped), vec!["S2"]);
}
