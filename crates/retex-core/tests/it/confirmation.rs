//! A person's answer to a complaint is the field's answer: resolving it confirms it, dismissing it refutes it.

use std::sync::Arc;

use retex_core::command::{Action, RootCause};
use retex_core::engine::{
    AbnormalStore, ComplaintReading, Engine, EngineConfig, Input, Insight, RateTestParams, StoreWindow,
};
use retex_core::wire::parse_event;

use crate::command;

/// Calls a message a complaint when it says "broken".
#[derive(Debug)]
struct SaysBroken;

impl Insight for SaysBroken {
    fn version(&self) -> &str {
        "says-broken-1"
    }

    fn complaint(&self, text: &str) -> Option<ComplaintReading> {
        text.contains("broken").then(|| ComplaintReading {
            probability: 0.75,
            kind: None,
            because_of: Vec::new(),
        })
    }

    fn abnormal_stores(&self, _: &[StoreWindow], _: RateTestParams) -> Vec<AbnormalStore> {
        Vec::new()
    }
}

fn message(id: &str, text: &str) -> Input {
    let line = format!(
        r#"{{"id":"{id}","source":"cs","type":"customer_message","at":"2026-11-09T12:00:00Z","message":"{id}","text":"{text}","channel":"email"}}"#
    );
    Input::Event(parse_event(&line).unwrap())
}

#[test]
fn resolving_a_complaint_confirms_it_and_dismissing_one_refutes_it() {
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::default(),
        insight: Some(Arc::new(SaysBroken)),
    });
    engine.apply(1, &message("M-1", "the lamp arrived broken"));
    engine.apply(2, &message("M-2", "is it broken if it hums?"));
    engine.apply(3, &message("M-3", "the vase came broken too"));
    let resolve = Action::Resolve {
        root_cause: RootCause::Other,
        note: "replaced".into(),
        resolution: None,
    };
    engine.apply(4, &command("2026-11-09T13:00:00Z", "ann", 1, resolve));
    let dismiss = Action::Dismiss {
        reason: "a question".into(),
    };
    engine.apply(5, &command("2026-11-09T13:05:00Z", "ann", 2, dismiss));
    let answers: Vec<Option<bool>> = engine.exceptions().iter().map(|view| view.confirmed).collect();
    assert_eq!(answers, [Some(true), Some(false), None]);
    let kpis = engine.kpis(
        retex_core::codes::Timestamp::parse_rfc3339("2026-11-09T14:00:00Z").unwrap(),
        None,
    );
    let complaints = kpis
        .confirmation
        .iter()
        .find(|rate| rate.exception_type == "customer_complaint")
        .unwrap();
    assert_eq!(
        (
            complaints.confirmed,
            complaints.not_confirmed,
            complaints.pending,
            complaints.rate
        ),
        (1, 1, 1, Some(0.5))
    );
}
