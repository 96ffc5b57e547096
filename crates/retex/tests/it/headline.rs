//! The headline scenario of DESIGN.md: a web order allocated to a store whose ledger says 3 on hand; the store
//! cannot pick it because an inter-store transfer was never confirmed and the cycle count came late. Retex must
//! show it as one incident whose root cause is the unconfirmed transfer.

use crate::{all_exceptions, retex, stderr, stdout};

#[test]
fn the_headline_chain_is_one_incident_rooted_in_the_unconfirmed_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/headline.ndjson");
    let ingest = retex(&["ingest", "--db", db, data]);
    assert_eq!(ingest.status.code(), Some(0), "{}", stderr(&ingest));

    let listed = stdout(&retex(&["incidents", "--db", db, "--format", "ndjson"]));
    let incidents: Vec<serde_json::Value> = listed.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(incidents.len(), 1, "one incident links the chain: {listed}");
    let incident = &incidents[0];
    assert_eq!(incident["root_cause_type"], "transfer_overdue", "{incident}");
    let types: Vec<&str> = incident["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    for expected in [
        "transfer_overdue",
        "order_at_risk",
        "count_variance",
        "order_cancelled_stockout",
        "customer_complaint",
    ] {
        assert!(types.contains(&expected), "{expected} missing from {types:?}");
    }

    // Each part goes to its owner.
    let exceptions = all_exceptions(db);
    let team_of = |kind: &str| {
        exceptions
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .find(|exception| exception["type"] == kind)
            .map(|exception| exception["team"].as_str().unwrap().to_string())
    };
    assert_eq!(team_of("transfer_overdue").as_deref(), Some("store S1"));
    assert_eq!(team_of("count_variance").as_deref(), Some("store S1"));
    assert_eq!(team_of("order_cancelled_stockout").as_deref(), Some("web operations"));
    assert_eq!(team_of("customer_complaint").as_deref(), Some("customer service"));
}
