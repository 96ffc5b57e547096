//! `low_stock`: parameters scoped by location (each position is judged with its own location's values), what it
//! says, what answers it, the open hours its horizon is counted in, and the replenishment rhythm it learns.

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
            "10 free (on hand less reserved), selling 1.0 a day: empty about 2026-11-18 12:00 UTC; next supply: \
             nothing on its way: the lead time + 1 day, due 2026-11-19 12:00 UTC, 11.0 open days away, against a \
             projected demand of 10.7 units until then; expected to miss 1.0"
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

#[test]
fn raised_on_a_shelf_that_has_run_out_it_is_confirmed_before_the_delivery_clears_it() {
    let emptied = event(
        r#"{"id":"out","source":"t","type":"sale","at":"2026-11-10T12:00:00Z","location":"S1","sku":"X","qty":9,"unit_price":1,"channel":"pos"}"#,
    );
    let delivered = event(
        r#"{"id":"in","source":"t","type":"adjustment","at":"2026-11-11T08:00:00Z","location":"S1","sku":"X","qty":100,"reason":"correction"}"#,
    );
    assert_eq!(
        low_stock_after("", &[emptied, delivered]),
        [(Some("S1".to_owned()), Some(true))]
    );
}

/// The `low_stock` exceptions (location, whether open) after `lines` (NDJSON events, in order).
fn low_stock_of(lines: &[String]) -> Vec<(String, bool)> {
    let mut engine = Engine::default();
    for (seq, line) in lines.iter().enumerate() {
        engine.apply(seq as u64 + 1, &event(line));
    }
    (engine.exceptions().iter())
        .filter(|view| view.exception_type == "low_stock")
        .map(|view| (view.location.unwrap_or("-").to_owned(), view.status == "open"))
        .collect()
}

fn location(code: &str, hours: Option<&str>) -> String {
    let kind = if code.starts_with("DC") { "warehouse" } else { "store" };
    let hours = hours.map_or_else(String::new, |hours| format!(r#","hours":"{hours}""#));
    format!(
        r#"{{"id":"L{code}","source":"t","type":"location","at":"2026-11-01T00:00:00Z","code":"{code}","name":"{code}","kind":"{kind}","timezone":"UTC"{hours}}}"#
    )
}

fn adjustment(id: &str, at: &str, store: &str, sku: &str, qty: i64) -> String {
    format!(
        r#"{{"id":"{id}","source":"t","type":"adjustment","at":"{at}","location":"{store}","sku":"{sku}","qty":{qty},"reason":"correction"}}"#
    )
}

fn sale(id: &str, at: &str, store: &str, qty: i64) -> String {
    format!(
        r#"{{"id":"{id}","source":"t","type":"sale","at":"{at}","location":"{store}","sku":"X","qty":{qty},"unit_price":1,"channel":"pos"}}"#
    )
}

/// A transfer from DC to `store` of `lines` (sku, qty), shipped at `shipped` and expected at `expected`.
fn shipped(transfer: &str, at: &str, store: &str, expected: &str, lines: &[(&str, i64)]) -> String {
    let lines: Vec<String> = (lines.iter())
        .map(|(sku, qty)| format!(r#"{{"sku":"{sku}","qty":{qty}}}"#))
        .collect();
    format!(
        r#"{{"id":"{transfer}:ship","source":"t","type":"transfer_shipped","at":"{at}","transfer":"{transfer}","from":"DC","to":"{store}","expected":"{expected}","lines":[{}]}}"#,
        lines.join(",")
    )
}

fn received(transfer: &str, at: &str, store: &str, lines: &[(&str, i64)]) -> String {
    let lines: Vec<String> = (lines.iter())
        .map(|(sku, qty)| format!(r#"{{"sku":"{sku}","qty":{qty}}}"#))
        .collect();
    format!(
        r#"{{"id":"{transfer}:recv","source":"t","type":"transfer_received","at":"{at}","transfer":"{transfer}","location":"{store}","lines":[{}]}}"#,
        lines.join(",")
    )
}

#[test]
fn a_closed_store_sells_nothing_so_its_horizon_counts_open_hours_only() {
    // Two a day for eight days; at 19:30 a sale leaves 1, with a transfer shipped at 18:00 expected at 10:00. Open
    // 08:00-20:00, the store has 2.5 open hours (0.21 open days) to go: demand of 0.4, empty with probability
    // about 1/3. Open around the clock, it has 14.5 hours (0.6 days): demand of 1.2, empty more likely than not.
    let mut lines = vec![location("DC", None)];
    for (store, hours) in [("S1", Some("08:00-20:00")), ("S2", None)] {
        lines.push(location(store, hours));
        lines.push(adjustment(&format!("a{store}"), "2026-11-01T09:00:00Z", store, "X", 19));
        for day in 2..=9 {
            lines.push(sale(
                &format!("s{store}{day}"),
                &format!("2026-11-{day:02}T12:00:00Z"),
                store,
                2,
            ));
        }
        let transfer = format!("T{store}");
        let expected = "2026-11-10T10:00:00Z";
        lines.push(shipped(
            &transfer,
            "2026-11-09T18:00:00Z",
            store,
            expected,
            &[("X", 10)],
        ));
        lines.push(sale(&format!("e{store}"), "2026-11-09T19:30:00Z", store, 2));
    }
    assert_eq!(low_stock_of(&lines), [("S2".to_owned(), true)]);
}

/// How X is refilled on a night.
#[derive(Clone, Copy, PartialEq)]
enum Refill {
    /// The run brings it back to 10.
    ByRun,
    /// The run leaves it out, and the store books it back to 10 by hand.
    ByHand,
    /// Not at all.
    Not,
}

/// A store whose position X sells two a day (three on the 8th), at 10 each morning after its refill
/// (`refill(day)`), where nightly runs from DC also bring SKU Y. On the 9th at 14:00 a sale leaves 2.
fn nightly_runs(refill: impl Fn(i64) -> Refill) -> Vec<String> {
    let mut lines = vec![location("DC", None), location("S1", None)];
    lines.push(adjustment("a", "2026-11-01T09:00:00Z", "S1", "X", 10));
    let mut on_hand = 10;
    for day in 2..=9 {
        let sold = if day == 8 { 3 } else { 2 };
        lines.push(sale(
            &format!("s{day}"),
            &format!("2026-11-{day:02}T12:00:00Z"),
            "S1",
            sold,
        ));
        on_hand -= sold;
        if day == 9 {
            break;
        }
        let missing = 10 - on_hand;
        let run: Vec<(&str, i64)> = match refill(day) {
            Refill::ByRun => vec![("X", missing), ("Y", 4)],
            Refill::ByHand | Refill::Not => vec![("Y", 4)],
        };
        let transfer = format!("T{day}");
        let next = day + 1;
        let expected = format!("2026-11-{next:02}T08:00:00Z");
        lines.push(shipped(
            &transfer,
            &format!("2026-11-{day:02}T20:00:00Z"),
            "S1",
            &expected,
            &run,
        ));
        lines.push(received(&transfer, &format!("2026-11-{next:02}T07:30:00Z"), "S1", &run));
        let at = format!("2026-11-{day:02}T21:00:00Z");
        match refill(day) {
            Refill::ByRun => on_hand = 10,
            Refill::ByHand => {
                lines.push(adjustment(&format!("h{day}"), &at, "S1", "X", missing));
                on_hand = 10;
            }
            Refill::Not => {}
        }
    }
    lines.push(sale("last", "2026-11-09T14:00:00Z", "S1", on_hand - 2));
    lines
}

#[test]
fn a_position_on_the_nightly_runs_waits_for_the_next_run_not_the_lead_time() {
    // With nothing on its way, the next run ships at 20:00 and its transfers take 11.5 hours: 0.73 days, demand
    // of 1.5 against 2 free. Without a rhythm (the runs never brought X) it waits the lead time + 1 day: 1.48
    // days, demand of 3.2.
    assert_eq!(low_stock_of(&nightly_runs(|_| Refill::ByRun)), []);
    assert_eq!(
        low_stock_of(&nightly_runs(|_| Refill::ByHand)),
        [("S1".to_owned(), true)]
    );
}

#[test]
fn a_run_that_passes_a_position_below_its_reorder_level_breaks_its_rhythm() {
    // The run of the 8th leaves X out although its sale that noon took it below the level the runs refilled it
    // at: its planning may have stopped, so it waits the lead time + 1 day.
    let lines = nightly_runs(|day| if day == 8 { Refill::Not } else { Refill::ByRun });
    assert_eq!(low_stock_of(&lines), [("S1".to_owned(), true)]);
}

#[test]
fn an_empty_shelf_stays_low_until_supply_arrives() {
    // The shelf empties at 19:00 with the transfer due at 19:30: no time is left for demand, but it is empty.
    let mut lines = vec![location("DC", None), location("S1", None)];
    lines.push(adjustment("a", "2026-11-01T09:00:00Z", "S1", "X", 19));
    for day in 2..=9 {
        lines.push(sale(
            &format!("s{day}"),
            &format!("2026-11-{day:02}T12:00:00Z"),
            "S1",
            2,
        ));
    }
    lines.push(shipped(
        "T1",
        "2026-11-09T13:00:00Z",
        "S1",
        "2026-11-09T19:30:00Z",
        &[("X", 10)],
    ));
    lines.push(sale("empty", "2026-11-09T19:00:00Z", "S1", 3));
    let count =
        r#"{"id":"c","source":"t","type":"count","at":"2026-11-09T20:00:00Z","location":"S1","sku":"X","counted":0}"#;
    lines.push(count.to_owned());
    assert_eq!(low_stock_of(&lines), [("S1".to_owned(), true)]);
    lines.push(received("T1", "2026-11-09T20:30:00Z", "S1", &[("X", 10)]));
    assert_eq!(low_stock_of(&lines), [("S1".to_owned(), false)]);
}
