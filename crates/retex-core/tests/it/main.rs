//! Integration tests of retex-core: the event contract, the engine's stock movements, snapshots and a reference
//! model of the ledger.

mod escalation;
mod queries;
mod reference_ledger;
mod schema;
mod snapshots;
mod stock;
mod wire_errors;

use retex_core::engine::{Engine, Input};
use retex_core::event::Event;
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

/// Applies events as log entries 1, 2, ... to a new engine.
pub fn replay(events: &[Event]) -> Engine {
    let mut engine = Engine::default();
    let mut outputs = Vec::new();
    for (index, event) in events.iter().enumerate() {
        engine.apply(index as u64 + 1, &Input::Event(event.clone()), &mut outputs);
    }
    engine
}
