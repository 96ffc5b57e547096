//! The JSON Schema checked in for integrators stays what the types generate.
//! Refresh it with `RETEX_BLESS=1 cargo test -p retex-core schema`.
// The engine does no I/O; its tests may read and refresh the checked-in schema.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

#[test]
fn docs_event_schema_is_in_sync_with_the_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/event.schema.json");
    let generated = serde_json::to_string_pretty(&retex_core::event::json_schema()).unwrap() + "\n";
    if std::env::var_os("RETEX_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/event.schema.json is out of date: run RETEX_BLESS=1 cargo test -p retex-core schema"
    );
}

#[test]
fn the_schema_names_every_event_type() {
    let schema = serde_json::to_string(&retex_core::event::json_schema()).unwrap();
    for kind in retex_core::event::EVENT_TYPES {
        assert!(
            schema.contains(&format!("\"const\":\"{kind}\"")),
            "{kind} missing from the schema"
        );
    }
}
