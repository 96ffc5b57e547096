//! workflow.md's example end to end: a `low` exception opened at 16:30 in a New York store open 09:00-17:00 gets
//! its dues in business hours, escalates at `ack_due`, at 75% of the resolve target and at `resolve_due`, each
//! once, and an acknowledgement in time prevents level 1.

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, Input};

use crate::parse_all;

const NEW_YORK_STORE: &str = concat!(
    r#"{"id":"L","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"NY1","name":"NY","kind":"store","region":"east","timezone":"America/New_York","hours":"09:00-17:00"}"#,
    "\n",
    r#"{"id":"P","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"A","name":"A","category":"Grocery/Drinks","uom":"unit","cost":2,"price":5,"supplier":"SUP"}"#,
    "\n",
    r#"{"id":"S","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"S","lead_time_days":3}"#,
    "\n",
    r#"{"id":"a","source":"t","type":"adjustment","at":"2026-11-02T14:00:00Z","location":"NY1","sku":"A","qty":10,"reason":"correction"}"#,
    "\n",
    r#"{"id":"c","source":"t","type":"count","at":"2026-11-02T21:30:00Z","location":"NY1","sku":"A","counted":7}"#,
);

fn engine_after(ticks: &[&str]) -> Engine {
    let mut engine = Engine::default();
    let mut seq = 0;
    for event in parse_all(NEW_YORK_STORE) {
        seq += 1;
        engine.apply(seq, &Input::Event(event));
    }
    for tick in ticks {
        seq += 1;
        engine.apply(seq, &Input::Tick(Timestamp::parse_rfc3339(tick).unwrap()));
    }
    engine
}

fn escalations(engine: &Engine) -> Vec<String> {
    let (_, timeline) = engine.exception_detail(1).unwrap();
    timeline
        .iter()
        .filter(|entry| entry.action == "escalated")
        .map(|entry| format!("{} {}", entry.at, entry.detail))
        .collect()
}

#[test]
fn the_workflow_md_example_escalates_at_its_three_instants() {
    let engine = engine_after(&[]);
    let (view, _) = engine.exception_detail(1).unwrap();
    assert_eq!((view.exception_type, view.severity), ("count_variance", "low"));
    assert_eq!(
        (view.ack_due.as_str(), view.resolve_due.as_str()),
        ("2026-11-03T21:30:00Z", "2026-11-11T21:30:00Z")
    );

    // Exactly at a due instant nothing fires yet; just after, it does.
    assert!(escalations(&engine_after(&["2026-11-03T21:30:00Z"])).is_empty());
    let engine = engine_after(&["2026-11-03T21:30:01Z"]);
    assert_eq!(
        escalations(&engine),
        ["2026-11-03T21:30:00Z level 1: team lead of store NY1 notified, not acknowledged by its due time"]
    );
    assert!(engine.exception_detail(1).unwrap().0.ack_breached);

    // 75% of 72 business hours is 54: half an hour on the 2nd, six full days, 5.5 h on the 9th (14:30 EST).
    let engine = engine_after(&["2026-11-12T00:00:00Z"]);
    assert_eq!(
        escalations(&engine),
        [
            "2026-11-03T21:30:00Z level 1: team lead of store NY1 notified, not acknowledged by its due time",
            "2026-11-09T19:30:00Z level 2: regional manager of east notified, 75% of its resolve target has passed",
            "2026-11-11T21:30:00Z level 3: operations director notified, not resolved by its due time",
        ]
    );
    let (view, _) = engine.exception_detail(1).unwrap();
    assert!(view.resolve_breached && view.escalation_level == 3);
}

/// The example's exception resolved by a recount that agrees, before `ack_due`; and the last log entry's seq.
fn engine_resolved_by_a_recount() -> (Engine, u64) {
    let mut events = NEW_YORK_STORE.to_string();
    events.push('\n');
    events.push_str(
        r#"{"id":"c2","source":"t","type":"count","at":"2026-11-03T15:00:00Z","location":"NY1","sku":"A","counted":7}"#,
    );
    let mut engine = Engine::default();
    let mut seq = 0;
    for event in parse_all(&events) {
        seq += 1;
        engine.apply(seq, &Input::Event(event));
    }
    (engine, seq)
}

#[test]
fn a_resolved_exception_does_not_escalate() {
    let (mut engine, seq) = engine_resolved_by_a_recount();
    engine.apply(
        seq + 1,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-20T00:00:00Z").unwrap()),
    );
    assert!(
        escalations(&engine).is_empty(),
        "the recount agreed before ack_due: resolved, nothing to escalate"
    );
    assert_eq!(engine.exception_detail(1).unwrap().0.status, "resolved");
}

#[test]
fn a_reopened_exception_takes_up_the_levels_still_to_come() {
    let (mut engine, seq) = engine_resolved_by_a_recount();
    // Closed when level 1 fell due (2026-11-03T21:30Z), open again for levels 2 and 3.
    let reopen = retex_core::command::Action::Reopen {
        note: "the recount was of the wrong shelf".into(),
    };
    engine.apply(seq + 1, &command("2026-11-05T15:00:00Z", "lead", reopen));
    engine.apply(
        seq + 2,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-12T00:00:00Z").unwrap()),
    );
    assert_eq!(
        escalations(&engine),
        [
            "2026-11-09T19:30:00Z level 2: regional manager of east notified, 75% of its resolve target has passed",
            "2026-11-11T21:30:00Z level 3: operations director notified, not resolved by its due time",
        ]
    );
    let (view, _) = engine.exception_detail(1).unwrap();
    assert!(!view.ack_breached && view.resolve_breached);
}

fn command(at: &str, actor: &str, action: retex_core::command::Action) -> Input {
    crate::command(at, actor, 1, action)
}

#[test]
fn waiting_for_the_supplier_pauses_the_resolve_clock() {
    use retex_core::command::{Action, WorkStatus};
    let mut engine = engine_after(&[]);
    let steps = [
        command("2026-11-03T15:00:00Z", "ann", Action::Acknowledge),
        // Paused from 10:00 to 16:00 local on the 4th: 6 business hours.
        command(
            "2026-11-04T15:00:00Z",
            "ann",
            Action::SetStatus {
                status: WorkStatus::WaitingSupplier,
            },
        ),
        command(
            "2026-11-04T21:00:00Z",
            "ann",
            Action::SetStatus {
                status: WorkStatus::InProgress,
            },
        ),
    ];
    for (index, step) in steps.iter().enumerate() {
        engine.apply(100 + index as u64, step);
    }
    let (view, timeline) = engine.exception_detail(1).unwrap();
    // resolve_due moves from 2026-11-11 16:30 local by 6 business hours: to 14:30 local on the 12th (19:30Z).
    assert_eq!(view.resolve_due, "2026-11-12T19:30:00Z");
    let actions: Vec<&str> = timeline.iter().map(|entry| entry.action).collect();
    assert_eq!(
        actions,
        [
            "opened",
            "acknowledge",
            "set_status",
            "clock_paused",
            "clock_resumed",
            "set_status"
        ]
    );
    assert!(!view.ack_breached, "acknowledged before ack_due");

    // Level 3 waits for the moved due time.
    engine.apply(
        200,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-12T19:00:00Z").unwrap()),
    );
    assert!(
        escalations(&engine).iter().all(|entry| !entry.contains("level 3")),
        "{:?}",
        escalations(&engine)
    );
    engine.apply(
        201,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-12T19:30:01Z").unwrap()),
    );
    assert!(
        escalations(&engine)
            .iter()
            .any(|entry| entry.starts_with("2026-11-12T19:30:00Z level 3")),
        "{:?}",
        escalations(&engine)
    );
}
