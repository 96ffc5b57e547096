//! An exception about one shelf shows that position's books now and the documents still open on it there
//! (transfers in and out, purchase orders, web orders holding stock), soonest first, in the location's zone;
//! received transfers, closed purchase orders and other shelves' documents stay out.

use std::sync::Arc;

use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::Rules;

use crate::parse_all;

/// Store S1 in Berlin (UTC+1 in November) counts its kettles short; around it, documents open and closed.
const WORLD: &str = r#"
{"id":"L1","source":"erp","type":"location","at":"2026-11-02T00:00:00Z","code":"S1","name":"Store One","kind":"store","timezone":"Europe/Berlin"}
{"id":"L2","source":"erp","type":"location","at":"2026-11-02T00:00:00Z","code":"S2","name":"Store Two","kind":"store","timezone":"Europe/Berlin"}
{"id":"L3","source":"erp","type":"location","at":"2026-11-02T00:00:00Z","code":"W1","name":"Warehouse","kind":"warehouse"}
{"id":"S1","source":"erp","type":"supplier","at":"2026-11-02T00:00:00Z","code":"SUP","name":"Kitchen Ltd","lead_time_days":3}
{"id":"P1","source":"erp","type":"product","at":"2026-11-02T00:00:00Z","sku":"K1","name":"Kettle","category":"Home/Kitchen","uom":"unit","cost":4.10,"price":9.99,"supplier":"SUP"}
{"id":"P2","source":"erp","type":"product","at":"2026-11-02T00:00:00Z","sku":"K2","name":"Toaster","category":"Home/Kitchen","uom":"unit","cost":20,"price":45,"supplier":"SUP"}
{"id":"a1","source":"t","type":"adjustment","at":"2026-11-02T01:00:00Z","location":"S1","sku":"K1","qty":12,"reason":"correction"}
{"id":"a2","source":"t","type":"adjustment","at":"2026-11-02T01:00:00Z","location":"W1","sku":"K1","qty":50,"reason":"correction"}
{"id":"c1","source":"wms","type":"count","at":"2026-11-02T08:00:00Z","location":"S1","sku":"K1","counted":9}
{"id":"s1","source":"pos","type":"sale","at":"2026-11-02T08:10:00Z","location":"S1","sku":"K1","qty":1,"unit_price":9.99,"channel":"pos"}
{"id":"T1","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:30:00Z","transfer":"T1","from":"W1","to":"S1","expected":"2026-11-03T10:00:00Z","lines":[{"sku":"K1","qty":5},{"sku":"K2","qty":7}]}
{"id":"T2","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:40:00Z","transfer":"T2","from":"W1","to":"S1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":4}]}
{"id":"T2r","source":"wms","type":"transfer_received","at":"2026-11-02T09:00:00Z","transfer":"T2","location":"S1","lines":[{"sku":"K1","qty":4}]}
{"id":"T3","source":"wms","type":"transfer_shipped","at":"2026-11-02T09:05:00Z","transfer":"T3","from":"S1","to":"S2","expected":"2026-11-04T10:00:00Z","lines":[{"sku":"K1","qty":2}]}
{"id":"T4","source":"wms","type":"transfer_shipped","at":"2026-11-02T09:06:00Z","transfer":"T4","from":"W1","to":"S2","expected":"2026-11-03T10:00:00Z","lines":[{"sku":"K1","qty":3}]}
{"id":"PO1","source":"erp","type":"purchase_order","at":"2026-11-02T09:10:00Z","po":"PO1","supplier":"SUP","location":"S1","expected":"2026-11-05T10:00:00Z","lines":[{"sku":"K1","qty":10}]}
{"id":"PO1r","source":"wms","type":"receipt","at":"2026-11-02T09:20:00Z","po":"PO1","location":"S1","lines":[{"sku":"K1","qty":4}],"final":false}
{"id":"PO2","source":"erp","type":"purchase_order","at":"2026-11-02T09:30:00Z","po":"PO2","supplier":"SUP","location":"S1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":3}]}
{"id":"PO2r","source":"wms","type":"receipt","at":"2026-11-02T09:40:00Z","po":"PO2","location":"S1","lines":[{"sku":"K1","qty":3}],"final":true}
{"id":"O1","source":"web","type":"order_placed","at":"2026-11-02T09:50:00Z","order":"O1","channel":"web","ship_by":"2026-11-02T18:00:00Z","lines":[{"sku":"K1","qty":2,"unit_price":9.99}]}
{"id":"O1a","source":"web","type":"order_allocated","at":"2026-11-02T10:00:00Z","order":"O1","location":"S1"}
"#;

fn engine() -> Engine {
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(Rules::default()),
        insight: None,
    });
    for (index, event) in parse_all(WORLD.trim()).into_iter().enumerate() {
        engine.apply(index as u64 + 1, &Input::Event(event));
    }
    engine
}

/// The id of the (only) exception of a type.
fn id_of(engine: &Engine, exception_type: &str) -> u64 {
    let views = engine.exceptions();
    let found = views.iter().find(|view| view.exception_type == exception_type);
    found.unwrap_or_else(|| panic!("no {exception_type}: {views:#?}")).id
}

#[test]
fn a_count_variance_shows_its_shelf_books_and_the_documents_still_open_on_it() {
    let engine = engine();
    let variance = id_of(&engine, "count_variance");
    let stock = engine
        .exception_brief(variance)
        .unwrap()
        .stock
        .expect("a shelf's exception has its stock");

    // 12, counted 9, sold 1, received 4 (T2) and 4 + 3 (PO1, PO2), shipped 2 to S2: 17; O1 holds 2.
    assert_eq!(
        stock.words,
        "on hand 17, reserved 2, available 15, in transit here 5; last sale 2026-11-02 09:10 Europe/Berlin"
    );
    let documents: Vec<&str> = stock
        .open_documents
        .iter()
        .map(|document| document.words.as_str())
        .collect();
    assert_eq!(
        documents,
        [
            "web order O1: 2 reserved here, ship by 2026-11-02 19:00 Europe/Berlin",
            "transfer T1 from W1 (Warehouse): 5 shipped 2026-11-02 09:30 Europe/Berlin, expected 2026-11-03 11:00 \
             Europe/Berlin",
            "transfer T3 to S2 (Store Two): 2 shipped from here 2026-11-02 10:05 Europe/Berlin, not received there yet",
            "purchase order PO1 from SUP (Kitchen Ltd): 6 of 10 still to come, expected 2026-11-05 11:00 Europe/Berlin",
        ]
    );
    let kinds: Vec<&str> = stock.open_documents.iter().map(|document| document.kind).collect();
    assert_eq!(kinds, ["web order", "transfer in", "transfer out", "purchase order"]);
    assert_eq!(stock.more_open_documents, 0);
}

#[test]
fn an_exception_about_a_document_has_no_shelf_to_show() {
    let mut engine = engine();
    let later = retex_core::codes::Timestamp::parse_rfc3339("2026-11-06T00:00:00Z").unwrap();
    engine.apply(1_000, &Input::Tick(later));
    let overdue = id_of(&engine, "transfer_overdue");
    assert_eq!(engine.exception_brief(overdue).unwrap().stock, None);
}
