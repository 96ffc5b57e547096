//! People reshaping incidents: merging one into another and splitting members off, as logged commands that a
//! replay from any snapshot repeats exactly; the refusals; and where later exceptions join afterwards.

use retex_core::command::{IncidentAction, IncidentCommand};
use retex_core::engine::{Engine, Input, RefusalKind};
use retex_core::event::Event;

use crate::parse_all;

/// A transfer from S2 to S1 overdue at 16:00 (exception 1, incident 1) and a count short where it goes (2, joining
/// incident 1); counts short where it came from (3, incident 2) and of another product at both stores (4 at S1,
/// incident 3; 5 at S2, incident 4).
const WORLD: &str = r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store","timezone":"Europe/Berlin","hours":"00:00-24:00"}
{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S2","name":"Two","kind":"store","timezone":"America/New_York","hours":"00:00-24:00"}
{"id":"SUP","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"S","lead_time_days":3}
{"id":"P1","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K1","name":"Kettle","category":"Home/Kitchen","uom":"unit","cost":20,"price":45,"supplier":"SUP"}
{"id":"P2","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K2","name":"Kettle lid","category":"Home/Kitchen","uom":"unit","cost":10,"price":15,"supplier":"SUP"}
{"id":"a1","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S1","sku":"K1","qty":50,"reason":"correction"}
{"id":"a2","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S2","sku":"K1","qty":50,"reason":"correction"}
{"id":"a3","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S1","sku":"K2","qty":50,"reason":"correction"}
{"id":"T1","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:00:00Z","transfer":"T1","from":"S2","to":"S1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":5}]}
{"id":"c1","source":"t","type":"count","at":"2026-11-02T17:00:00Z","location":"S1","sku":"K1","counted":20}
{"id":"c2","source":"t","type":"count","at":"2026-11-02T17:30:00Z","location":"S2","sku":"K1","counted":10}
{"id":"c3","source":"t","type":"count","at":"2026-11-02T18:00:00Z","location":"S1","sku":"K2","counted":30}
{"id":"c4","source":"t","type":"count","at":"2026-11-02T18:30:00Z","location":"S2","sku":"K2","counted":5}"#;

/// Sold beyond what S2 holds of K2: a negative stock (exception 6) related to exception 5 only.
const OVERSOLD_AT_S2: &str = r#"{"id":"s9","source":"pos","type":"sale","at":"2026-11-02T20:00:00Z","location":"S2","sku":"K2","qty":8,"unit_price":15,"channel":"pos"}"#;

fn incident_command(minute: u32, incident: u64, action: IncidentAction) -> IncidentCommand {
    IncidentCommand {
        id: format!("reshape-{minute}"),
        source: "test".into(),
        at: chrono::DateTime::parse_from_rfc3339(&format!("2026-11-02T19:{minute:02}:00Z")).unwrap(),
        actor: "anna".into(),
        role: Some("operations_lead".into()),
        incident,
        action,
    }
}

fn merge(minute: u32, into: u64, from: u64) -> Input {
    Input::IncidentCommand(incident_command(minute, into, IncidentAction::Merge { from }))
}

fn split(minute: u32, incident: u64, exceptions: &[u64]) -> Input {
    let exceptions = exceptions.to_vec();
    Input::IncidentCommand(incident_command(minute, incident, IncidentAction::Split { exceptions }))
}

/// The world's events as inputs, then `more`.
fn inputs(more: Vec<Input>) -> Vec<Input> {
    let events: Vec<Event> = parse_all(WORLD);
    events.into_iter().map(Input::Event).chain(more).collect()
}

fn run(inputs: &[Input]) -> Engine {
    let mut engine = Engine::default();
    for (index, input) in inputs.iter().enumerate() {
        engine.apply(index as u64 + 1, input);
    }
    engine
}

/// Each incident with members: (id, root cause, members).
fn shape(engine: &Engine) -> Vec<(u64, u64, Vec<u64>)> {
    (engine.incidents(1).iter())
        .map(|incident| (incident.id, incident.root_cause, incident.exceptions.clone()))
        .collect()
}

/// Every exception is in exactly one incident, the one its view names.
fn assert_each_exception_in_one_incident(engine: &Engine) {
    let incidents = engine.incidents(1);
    for exception in engine.exceptions() {
        let holding: Vec<u64> = (incidents.iter())
            .filter(|incident| incident.exceptions.contains(&exception.id))
            .map(|incident| incident.id)
            .collect();
        assert_eq!(holding, [exception.incident], "exception {}", exception.id);
    }
}

#[test]
fn the_world_holds_four_incidents() {
    let engine = run(&inputs(Vec::new()));
    assert_eq!(
        shape(&engine),
        [(1, 1, vec![1, 2]), (2, 3, vec![3]), (3, 4, vec![4]), (4, 5, vec![5])]
    );
    let types: Vec<&str> = engine
        .exceptions()
        .iter()
        .map(|exception| exception.exception_type)
        .collect();
    assert_eq!(
        types,
        [
            "transfer_overdue",
            "count_variance",
            "count_variance",
            "count_variance",
            "count_variance"
        ]
    );
}

#[test]
fn a_merge_moves_the_members_and_keeps_the_root_first_in_the_causal_order() {
    let engine = run(&inputs(vec![merge(0, 2, 1)]));
    assert_eq!(
        shape(&engine),
        [(2, 1, vec![1, 2, 3]), (3, 4, vec![4]), (4, 5, vec![5])],
        "the transfer (before the counts in the causal order) is the merged incident's root"
    );
    let merged = engine.incident(2).unwrap();
    assert_eq!(merged.opened_at, "2026-11-02T16:00:00Z", "when the new root opened");
    assert_eq!(
        (merged.root_cause_location, merged.root_cause_reference),
        (Some("S1"), Some("T1"))
    );
    assert_eq!((merged.changes[0].change, merged.changes[0].incident), ("merged", 1));
    assert_eq!(merged.changes[0].exceptions, [1, 2]);
    assert_eq!(merged.open_exceptions, 3);
    let emptied = engine.incident(1).unwrap();
    assert_eq!((emptied.merged_into, emptied.exceptions.len()), (Some(2), 0));
    assert_eq!(emptied.changes[0].change, "merged_into");
    let (moved, timeline) = engine.exception_detail(2).unwrap();
    assert_eq!(moved.incident, 2);
    let last = timeline.last().unwrap();
    assert_eq!(
        (last.actor, last.action, last.detail),
        ("anna", "merge", "incident 1 -> 2")
    );
    assert_each_exception_in_one_incident(&engine);
}

#[test]
fn a_split_makes_a_new_incident_and_each_side_takes_its_own_root() {
    let engine = run(&inputs(vec![split(0, 1, &[1])]));
    assert_eq!(
        shape(&engine),
        [
            (1, 2, vec![2]),
            (2, 3, vec![3]),
            (3, 4, vec![4]),
            (4, 5, vec![5]),
            (5, 1, vec![1])
        ]
    );
    let left = engine.incident(1).unwrap();
    assert_eq!(left.opened_at, "2026-11-02T17:00:00Z", "the count that is its root now");
    assert_eq!((left.changes[0].change, left.changes[0].incident), ("split_off", 5));
    assert_eq!(left.changes[0].exceptions, [1]);
    let new = engine.incident(5).unwrap();
    assert_eq!((new.changes[0].change, new.changes[0].incident), ("split_from", 1));
    assert_eq!(
        engine.exception_detail(1).unwrap().1.last().unwrap().detail,
        "incident 1 -> 5"
    );
    assert_each_exception_in_one_incident(&engine);
}

#[test]
fn later_exceptions_join_the_incident_their_related_member_is_in_now() {
    let oversold = parse_all(OVERSOLD_AT_S2).remove(0);
    let untouched = run(&inputs(vec![Input::Event(oversold.clone())]));
    assert_eq!(untouched.exceptions()[5].exception_type, "negative_stock");
    assert_eq!(untouched.exceptions()[5].incident, 4, "with the count at S2 of K2");
    let merged = run(&inputs(vec![merge(0, 3, 4), Input::Event(oversold)]));
    assert_eq!(merged.exceptions()[5].incident, 3, "that count is in incident 3 now");
    assert_eq!(
        shape(&merged),
        [(1, 1, vec![1, 2]), (2, 3, vec![3]), (3, 4, vec![4, 5, 6])]
    );
}

#[test]
fn refusals_name_what_is_wrong_and_change_nothing() {
    let engine = run(&inputs(vec![merge(0, 4, 3)]));
    let refused = |input: Input| {
        let Input::IncidentCommand(command) = input else {
            unreachable!()
        };
        let refusal = engine.check_incident_command(&command).unwrap_err();
        (refusal.kind, refusal.message)
    };
    let invalid = RefusalKind::Invalid;
    assert_eq!(
        refused(merge(1, 1, 1)),
        (invalid, "incident 1 cannot be merged into itself".into())
    );
    assert_eq!(
        refused(merge(1, 1, 9)),
        (RefusalKind::NotFound, "no incident 9 (there are 4)".into())
    );
    assert_eq!(
        refused(merge(1, 1, 3)),
        (RefusalKind::Conflict, "incident 3 was merged into incident 4".into())
    );
    assert_eq!(
        refused(split(1, 3, &[4])),
        (RefusalKind::Conflict, "incident 3 was merged into incident 4".into())
    );
    assert_eq!(
        refused(split(1, 1, &[1, 2])),
        (
            RefusalKind::Conflict,
            "splitting off all 2 members would leave incident 1 empty: leave at least one".into()
        )
    );
    assert_eq!(
        refused(split(1, 1, &[4])),
        (invalid, "exception 4 is in incident 4, not 1".into())
    );
    assert_eq!(
        refused(split(1, 1, &[77])),
        (RefusalKind::NotFound, "no exception 77".into())
    );
    assert_eq!(
        refused(split(1, 1, &[2, 2])),
        (invalid, "exception 2 is named twice".into())
    );
    assert_eq!(
        refused(split(1, 1, &[])),
        (invalid, "name the exceptions to split off".into())
    );

    let mut applied = engine.clone();
    let before = applied.state_hash();
    let Input::IncidentCommand(mut command) = merge(1, 1, 1) else {
        unreachable!()
    };
    command.id = "logged anyway".into();
    applied.apply(engine.applied_seq() + 1, &Input::IncidentCommand(command));
    let after = applied.state_hash();
    assert_ne!(before, after, "the entry is applied (its seq and clock)");
    assert_eq!(
        shape(&applied),
        shape(&engine),
        "but a refused command changes no incident"
    );
}

#[test]
fn a_replay_from_any_snapshot_gives_the_same_incidents() {
    let oversold = parse_all(OVERSOLD_AT_S2).remove(0);
    let all = inputs(vec![
        merge(0, 2, 1),
        split(1, 2, &[2, 3]),
        merge(2, 4, 5),
        Input::Event(oversold),
    ]);
    let full = run(&all);
    assert_eq!(
        shape(&full),
        [(2, 1, vec![1]), (3, 4, vec![4]), (4, 2, vec![2, 3, 5, 6])]
    );
    assert_each_exception_in_one_incident(&full);
    for cut in 0..=all.len() {
        let head = run(&all[..cut]);
        let mut restored = Engine::from_snapshot(&head.snapshot_bytes(), head.config().clone()).unwrap();
        for (index, input) in all.iter().enumerate().skip(cut) {
            restored.apply(index as u64 + 1, input);
        }
        assert_eq!(restored.state_hash(), full.state_hash(), "cut after {cut} inputs");
        assert_eq!(restored.incidents(1), full.incidents(1));
    }
}
