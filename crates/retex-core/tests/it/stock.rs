//! Stock movements as events.md describes them, on its own example and on one event of every type.

use retex_core::codes::{Qty, Timestamp};
use retex_core::engine::{Input, Output, Position};

use crate::{parse_all, replay};

fn qty(text: &str) -> Qty {
    text.parse().unwrap()
}

#[test]
fn the_events_md_example_moves_stock_as_documented() {
    let engine = replay(&parse_all(include_str!("../data/events_md_example.ndjson")));
    assert_eq!(
        engine.position("S004", "1001"),
        Position {
            on_hand: qty("36"),
            ..Position::default()
        }
    );
    assert_eq!(
        engine.position("S001", "1001"),
        Position {
            on_hand: qty("22"),
            ..Position::default()
        }
    );
    assert!(engine.exceptions().is_empty(), "the example raises nothing");
}

#[test]
fn every_event_type_moves_stock_as_documented() {
    let engine = replay(&parse_all(include_str!("../data/every_event_type.ndjson")));
    // 60 received, 2 damaged; 20 shipped to S001.
    assert_eq!(engine.position("W1", "1001").on_hand, qty("38"));
    // Sale 1.5 and theft 3 from nothing, count sets 10, transfer adds 19, order ships 2, return adds 1.
    let store = engine.position("S001", "1001");
    assert_eq!(
        store,
        Position {
            on_hand: qty("28"),
            reserved: Qty::ZERO,
            in_transit: Qty::ZERO
        }
    );
}

#[test]
fn reservations_move_with_allocation_and_never_change_on_hand() {
    let events = parse_all(concat!(
        r#"{"id":"1","source":"t","type":"adjustment","at":"2026-11-01T00:00:00Z","location":"S1","sku":"A","qty":5,"reason":"correction"}"#,
        "\n",
        r#"{"id":"2","source":"t","type":"order_placed","at":"2026-11-01T01:00:00Z","order":"O","channel":"web","ship_by":"2026-11-03T00:00:00Z","lines":[{"sku":"A","qty":3,"unit_price":1}]}"#,
        "\n",
        r#"{"id":"3","source":"t","type":"order_allocated","at":"2026-11-01T02:00:00Z","order":"O","location":"S1"}"#,
        "\n",
        r#"{"id":"4","source":"t","type":"order_allocated","at":"2026-11-01T03:00:00Z","order":"O","location":"S2"}"#,
        "\n",
    ));
    let mut engine = replay(&events[..3]);
    assert_eq!(
        engine.position("S1", "A"),
        Position {
            on_hand: qty("5"),
            reserved: qty("3"),
            in_transit: Qty::ZERO
        }
    );
    engine.apply(4, &Input::Event(events[3].clone()));
    assert_eq!(engine.position("S1", "A").reserved, Qty::ZERO);
    assert_eq!(engine.position("S2", "A").reserved, qty("3"));
    assert_eq!(engine.position("S1", "A").on_hand, qty("5"));
}

#[test]
fn an_unreceived_transfer_is_overdue_at_its_deadline_and_resolved_by_the_receipt() {
    let events = parse_all(concat!(
        r#"{"id":"1","source":"t","type":"transfer_shipped","at":"2026-11-02T07:00:00Z","transfer":"T","from":"W","to":"S","expected":"2026-11-02T15:00:00Z","lines":[{"sku":"A","qty":4}]}"#,
        "\n",
        r#"{"id":"2","source":"t","type":"sale","at":"2026-11-02T19:00:00Z","location":"S","sku":"B","qty":1,"unit_price":1,"channel":"pos"}"#,
        "\n",
        r#"{"id":"3","source":"t","type":"sale","at":"2026-11-02T19:00:01Z","location":"S","sku":"B","qty":1,"unit_price":1,"channel":"pos"}"#,
        "\n",
        r#"{"id":"4","source":"t","type":"transfer_received","at":"2026-11-03T08:00:00Z","transfer":"T","location":"S","lines":[{"sku":"A","qty":4}]}"#,
        "\n",
    ));
    // Due at expected + 4 h = 19:00; an input dated exactly then is still on time.
    let engine = replay(&events[..2]);
    assert!(
        engine
            .exceptions()
            .iter()
            .all(|view| view.exception_type != "transfer_overdue")
    );
    let engine = replay(&events[..3]);
    let overdue: Vec<_> = engine
        .exceptions()
        .into_iter()
        .filter(|view| view.exception_type == "transfer_overdue")
        .collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].opened_at, "2026-11-02T19:00:00Z");
    assert_eq!(overdue[0].reference, Some("T"));
    assert_eq!(overdue[0].caused_by, &[1]);
    let engine = replay(&events);
    let overdue = engine
        .exceptions()
        .into_iter()
        .find(|view| view.exception_type == "transfer_overdue")
        .unwrap();
    assert_eq!((overdue.status, overdue.resolved_by), ("resolved", Some(4)));
}

#[test]
fn a_tick_fires_deadlines_without_an_event() {
    let events = parse_all(
        r#"{"id":"1","source":"t","type":"transfer_shipped","at":"2026-11-02T07:00:00Z","transfer":"T","from":"W","to":"S","lines":[{"sku":"A","qty":4}]}"#,
    );
    let mut engine = replay(&events);
    let outputs = engine.apply(
        2,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-03T07:00:00Z").unwrap()),
    );
    // (The negative stock at W escalates meanwhile; nothing new opens.)
    let opened = outputs
        .iter()
        .filter(|output| matches!(output, Output::ExceptionOpened(_)))
        .count();
    assert_eq!(opened, 0, "24 h after shipping is still on time");
    engine.apply(
        3,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-03T07:00:01Z").unwrap()),
    );
    let overdue = engine
        .exceptions()
        .into_iter()
        .find(|view| view.exception_type == "transfer_overdue")
        .unwrap();
    assert_eq!(overdue.opened_at, "2026-11-03T07:00:00Z");
}

#[test]
fn money_and_quantities_stay_exact_through_the_ledger() {
    let events = parse_all(concat!(
        r#"{"id":"1","source":"t","type":"adjustment","at":"2026-11-01T00:00:00Z","location":"S","sku":"K","qty":2.00,"reason":"correction"}"#,
        "\n",
        r#"{"id":"2","source":"t","type":"sale","at":"2026-11-01T01:00:00Z","location":"S","sku":"K","qty":1.99,"unit_price":1,"channel":"pos"}"#,
        "\n",
    ));
    assert_eq!(replay(&events).position("S", "K").on_hand.to_string(), "0.01");
}
