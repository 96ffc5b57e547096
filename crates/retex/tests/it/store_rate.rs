//! `store_exception_rate` end to end: stores with equal sales, one of which raises many more exceptions, are
//! tested at midnight against their peers by the shipped Poisson test; a uniform set of stores flags none.

use std::fmt::Write;
use std::sync::Arc;

use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::wire::parse_event;

const STORES: usize = 8;
const DAYS: i64 = 7;
const SALES_PER_STORE_DAY: usize = 60;

/// A week of till sales in every store, and `noisy_counts` miscounts a day in store S0 (each a count_variance).
fn week(noisy_counts: usize) -> String {
    let mut text = String::new();
    for store in 0..STORES {
        writeln!(text, r#"{{"id":"L{store}","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S{store}","name":"Store","kind":"store"}}"#).unwrap();
    }
    let mut id = 0;
    for day in 0..DAYS {
        for slot in 0..SALES_PER_STORE_DAY {
            for store in 0..STORES {
                id += 1;
                let at = 1_793_606_400 + day * 86_400 + 28_800 + slot as i64 * 600;
                let at = chrono::DateTime::from_timestamp(at, 0).unwrap().to_rfc3339();
                writeln!(text, r#"{{"id":"s{id}","source":"pos","type":"sale","at":"{at}","location":"S{store}","sku":"K{slot}","qty":1,"unit_price":1,"channel":"pos"}}"#).unwrap();
                let miscount = store == 0 && slot < noisy_counts;
                // Stores other than S0 get one miscount a day, so the peers' rate is not zero.
                let peer_miscount = store != 0 && slot == 0;
                if miscount || peer_miscount {
                    id += 1;
                    writeln!(text, r#"{{"id":"c{id}","source":"wms","type":"count","at":"{at}","location":"S{store}","sku":"X{slot}-{day}","counted":9}}"#).unwrap();
                }
            }
        }
    }
    text
}

/// The engine after `stream` and the midnight that ends its week.
fn after_the_week(stream: &str) -> Engine {
    let config = EngineConfig {
        rules: Arc::default(),
        insight: Some(Arc::new(retex_insight::EmbeddedInsight)),
    };
    let mut engine = Engine::new(config);
    let mut seq = 0;
    for line in stream.lines() {
        seq += 1;
        engine.apply(seq, &Input::Event(parse_event(line).unwrap()));
    }
    let after_the_week = chrono::DateTime::from_timestamp(1_793_606_400 + (DAYS + 1) * 86_400 + 1, 0).unwrap();
    engine.apply(
        seq + 1,
        &Input::Tick(retex_core::codes::Timestamp::from_datetime(&after_the_week)),
    );
    engine
}

fn flagged_stores(stream: &str) -> Vec<String> {
    let engine = after_the_week(stream);
    let mut flagged: Vec<String> = engine
        .exceptions()
        .into_iter()
        .filter(|view| view.exception_type == "store_exception_rate")
        .map(|view| format!("{}@{}", view.location.unwrap(), view.opened_at))
        .collect();
    flagged.dedup();
    flagged
}

#[test]
fn a_store_with_many_times_its_peers_exceptions_is_flagged_and_a_uniform_set_is_not() {
    let flagged = flagged_stores(&week(6));
    assert!(!flagged.is_empty(), "S0 raises 6 miscounts a day against its peers' 1");
    assert!(flagged.iter().all(|entry| entry.starts_with("S0@")), "{flagged:?}");
    assert!(
        flagged_stores(&week(1)).is_empty(),
        "every store alike: nothing abnormal"
    );
}

#[test]
fn a_flagged_store_says_which_of_its_exceptions_made_the_rate() {
    let engine = after_the_week(&week(6));
    let flagged = engine
        .exceptions()
        .into_iter()
        .find(|view| view.exception_type == "store_exception_rate")
        .expect("S0 is flagged");
    let brief = engine.exception_brief(flagged.id).unwrap();
    let words = &brief.what_happened[0];
    let counted: u64 = words.split(' ').next().unwrap().parse().unwrap();
    let (_, by_type) = words.split_once("; by type: ").expect(words);
    let counts: Vec<(u64, &str)> = by_type
        .split(", ")
        .map(|part| {
            let (count, name) = part.split_once(' ').unwrap();
            (count.parse().unwrap(), name)
        })
        .collect();
    assert_eq!(counts.iter().map(|(count, _)| count).sum::<u64>(), counted, "{words}");
    // Its miscounts first; counting 9 of a product it never had also drives the ledger negative.
    assert_eq!(
        counts.iter().map(|(_, name)| *name).collect::<Vec<_>>(),
        ["count_variance", "negative_stock"]
    );
}
