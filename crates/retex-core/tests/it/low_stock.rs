//! `low_stock` with parameters scoped by location: each position is judged with its own location's values.

use std::sync::Arc;

use retex_core::command::Action;
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

use crate::command;

/// Where `low_stock` opened after the same item sold one unit a day for eight days at two stores holding 17
/// units each, under `rules`.
fn low_stock_locations(rules: &str) -> Vec<String> {
    (low_stock_after(rules, &[]).iter())
        .filter_map(|(location, _)| location.clone())
        .collect()
}

/// The `low_stock` exceptions (location, whether the field confirmed it) after the eight days and `then`.
fn low_stock_after(rules: &str, then: &[Input]) -> Vec<(Option<String>, Option<bool>)> {
    (engine_after(rules, then).exceptions().iter())
        .filter(|view| view.exception_type == "low_stock")
        .map(|view| (view.location.map(str::to_owned), view.confirmed))
        .collect()
}

/// The engine after the eight days of sales and `then`, under `rules`.
fn engine_after(rules: &str, then: &[Input]) -> Engine {
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
    let inputs = lines.iter().map(|line| event(line)).chain(then.iter().cloned());
    for (seq, input) in inputs.enumerate() {
        engine.apply(seq as u64 + 1, &input);
    }
    engine
}

fn event(line: &str) -> Input {
    Input::Event(parse_event(line).unwrap_or_else(|error| panic!("{line}: {error}")))
}

#[test]
fn a_lead_time_scoped_to_one_location_applies_there_only() {
    // Eight units over the 14-day window: 8/14 a day. With no lead time S1 wants 0.86 units on hand; with
    // 10 days S2 wants 8/14 x 11 x 1.5 = 9.43 and has 9 left.
    assert!(low_stock_locations("").is_empty());
    let scoped = "[[types.low_stock.overrides]]\nlocation = \"S2\"\ndefault_lead_time_days = 10\n";
    assert_eq!(low_stock_locations(scoped), vec!["S2"]);
}

#[test]
fn it_says_what_it_projected() {
    let scoped = "[[types.low_stock.overrides]]\nlocation = \"S2\"\ndefault_lead_time_days = 10\n";
    let engine = engine_after(scoped, &[]);
    let brief = engine.exception_brief(1).unwrap();
    assert_eq!(
        brief.what_happened,
        [
            "10 free (on hand less reserved) against a projected demand of 10.7 units (1.0 a day) over the 11.0 days \
          until the next supply; expected to miss 1.0"
        ]
    );
}

#[test]
fn the_stockout_that_follows_confirms_it_and_a_delivery_in_time_does_not() {
    let scoped = "[[types.low_stock.overrides]]\nlocation = \"S2\"\ndefault_lead_time_days = 10\n";
    let sold_out = event(
        r#"{"id":"out","source":"t","type":"sale","at":"2026-11-10T12:00:00Z","location":"S2","sku":"X","qty":9,"unit_price":1,"channel":"pos"}"#,
    );
    assert_eq!(
        low_stock_after(scoped, std::slice::from_ref(&sold_out)),
        [(Some("S2".to_owned()), Some(true))]
    );
    let delivered = event(
        r#"{"id":"in","source":"t","type":"adjustment","at":"2026-11-10T08:00:00Z","location":"S2","sku":"X","qty":100,"reason":"correction"}"#,
    );
    assert_eq!(
        low_stock_after(scoped, &[delivered]),
        [(Some("S2".to_owned()), Some(false))]
    );
    assert_eq!(
        low_stock_after(scoped, &[]),
        [(Some("S2".to_owned()), None)],
        "not answered yet"
    );
    let dismissed = command(
        "2026-11-09T13:00:00Z",
        "ann",
        1,
        Action::Dismiss {
            reason: "a delivery is on its way".into(),
        },
    );
    assert_eq!(
        low_stock_after(scoped, &[dismissed, sold_out]),
        [(Some("S2".to_owned()), Some(false))],
        "a person's dismissal is the answer; the stockout after it does not change it"
    );
}
