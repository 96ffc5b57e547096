//! A snapshot taken at any point, plus the tail of the log, gives the state of a full replay.

use retex_core::engine::{Engine, Input};

use crate::{parse_all, replay};

#[test]
fn snapshot_plus_tail_equals_full_replay_at_every_cut() {
    let events = parse_all(include_str!("../data/every_event_type.ndjson"));
    let full = replay(&events);
    for cut in 0..=events.len() {
        let head = replay(&events[..cut]);
        let mut restored = Engine::from_snapshot(&head.snapshot_bytes(), head.config().clone()).unwrap();
        assert_eq!(restored.state_hash(), head.state_hash());
        for (index, event) in events.iter().enumerate().skip(cut) {
            restored.apply(index as u64 + 1, &Input::Event(event.clone()));
        }
        assert_eq!(restored.state_hash(), full.state_hash(), "cut after {cut} events");
    }
}

#[test]
fn a_snapshot_that_does_not_decode_is_an_error() {
    assert!(Engine::from_snapshot(b"not a snapshot", Default::default()).is_err());
}

#[test]
fn a_snapshot_taken_under_other_rules_is_refused() {
    use std::sync::Arc;

    use retex_core::engine::{EngineConfig, SnapshotError};
    use retex_core::rules::file::parse_rules;

    let events = parse_all(include_str!("../data/every_event_type.ndjson"));
    let taken = replay(&events);
    let other_rules = parse_rules("[types.count_variance]\ntolerance_units = 5\n").unwrap();
    let other = EngineConfig {
        rules: Arc::new(other_rules),
        insight: None,
    };
    assert_ne!(other.rules.version(), taken.rules_version());
    match Engine::from_snapshot(&taken.snapshot_bytes(), other) {
        Err(SnapshotError::OtherRules { found, current }) => {
            assert_eq!(found, taken.rules_version());
            assert_ne!(current, found);
        }
        Err(error) => panic!("refused for another reason: {error}"),
        Ok(_) => panic!("a snapshot of other rules was loaded"),
    }
    // Under its own rules the same bytes load.
    assert!(Engine::from_snapshot(&taken.snapshot_bytes(), taken.config().clone()).is_ok());
}
