//! Integration tests of retex-core: the event contract, the engine's stock movements, snapshots and a reference
//! model of the ledger.

mod brief;
mod confirmation;
mod counts;
mod escalation;
mod incidents;
mod layering;
mod low_stock;
mod messages;
mod phantom;
mod problems;
mod queries;
mod query_orders;
mod reference_ledger;
mod schema;
mod shrink;
mod snapshots;
mod stock;
mod stock_now;
mod suggestions;
mod supplier_risk;
mod wire_errors;
mod workflow;

use std::sync::Arc;

use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::event::Event;
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

/// Parses an NDJSON text; panics with the line number on a rejected line (test data must be valid).
pub fn parse_all(ndjson: &str) -> Vec<Event> {
    let mut events = Vec::new();
    for (index, line) in ndjson.lines().enumerate() {
        match parse_event(line) {
            Ok(event) => events.push(event),
            Err(error) => panic!("line {}: {error}", index + 1),
        }
    }
    events
}

/// A person's command on an exception at an RFC 3339 instant, as an input.
pub fn command(at: &str, actor: &str, exception: u64, action: retex_core::command::Action) -> Input {
    Input::Command(retex_core::command::Command {
        id: format!("{at}-{actor}-{}", action.name()),
        source: "test".into(),
        at: chrono::DateTime::parse_from_rfc3339(at).unwrap(),
        actor: actor.into(),
        role: None,
        exception,
        action,
    })
}

/// Applies events as log entries 1, 2, ... to a new engine.
pub fn replay(events: &[Event]) -> Engine {
    let mut engine = Engine::default();
    for (index, event) in events.iter().enumerate() {
        engine.apply(index as u64 + 1, &Input::Event(event.clone()));
    }
    engine
}

/// An engine under a rules file's text, fed one log entry at a time.
pub struct Log {
    pub engine: Engine,
    seq: u64,
}

impl Log {
    pub fn with_rules(rules: &str) -> Log {
        let rules = parse_rules(rules).unwrap_or_else(|errors| panic!("{errors:?}"));
        let engine = Engine::new(EngineConfig {
            rules: Arc::new(rules),
            insight: None,
        });
        Log { engine, seq: 0 }
    }

    /// Applies an event from the `erp` source given by its id, time and the rest of its fields.
    pub fn event(&mut self, id: &str, at: &str, body: &str) {
        let line = format!(r#"{{"id":"{id}","source":"erp","at":"{at}",{body}}}"#);
        self.seq += 1;
        self.engine.apply(self.seq, &Input::Event(parse_event(&line).unwrap()));
    }
}
