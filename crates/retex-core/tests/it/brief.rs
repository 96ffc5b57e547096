//! Each deterministic type explains itself: what its detector saw, in words, with product names, money in the
//! rules' currency and times in the location's zone; the documents it is about; and the standard operating
//! procedure of its type, built in or from the rules file.

use std::sync::Arc;

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::ExceptionType;
use retex_core::rules::file::parse_rules;

use crate::parse_all;

/// Store S1 in Berlin, a warehouse and a web shop in UTC; a day of events that raises every deterministic type
/// once or twice, then a tick three days on for the deadlines.
const WORLD: &str = r#"
{"id":"L1","source":"erp","type":"location","at":"2026-11-02T00:00:00Z","code":"S1","name":"Store One","kind":"store","timezone":"Europe/Berlin"}
{"id":"L2","source":"erp","type":"location","at":"2026-11-02T00:00:00Z","code":"W1","name":"Warehouse","kind":"warehouse"}
{"id":"L3","source":"erp","type":"location","at":"2026-11-02T00:00:00Z","code":"WEB","name":"WEB","kind":"web"}
{"id":"S1","source":"erp","type":"supplier","at":"2026-11-02T00:00:00Z","code":"SUP","name":"Kitchen Ltd","lead_time_days":3}
{"id":"S2","source":"erp","type":"supplier","at":"2026-11-02T00:00:00Z","code":"SUP2","name":"New Ltd"}
{"id":"P1","source":"erp","type":"product","at":"2026-11-02T00:00:00Z","sku":"K1","name":"Kettle","category":"Home/Kitchen","uom":"unit","cost":4.10,"price":9.99,"supplier":"SUP"}
{"id":"P2","source":"erp","type":"product","at":"2026-11-02T00:00:00Z","sku":"K2","name":"Toaster","category":"Home/Kitchen","uom":"unit","cost":20,"price":45,"supplier":"SUP"}
{"id":"P3","source":"erp","type":"product","at":"2026-11-02T00:00:00Z","sku":"K3","name":"Mystery","category":"Misc","uom":"unit"}
{"id":"a1","source":"t","type":"adjustment","at":"2026-11-02T01:00:00Z","location":"S1","sku":"K1","qty":12,"reason":"correction"}
{"id":"a2","source":"t","type":"adjustment","at":"2026-11-02T01:00:00Z","location":"W1","sku":"K1","qty":50,"reason":"correction"}
{"id":"a3","source":"t","type":"adjustment","at":"2026-11-02T01:00:00Z","location":"W1","sku":"K2","qty":50,"reason":"correction"}
{"id":"c1","source":"wms","type":"count","at":"2026-11-02T08:00:00Z","location":"S1","sku":"K1","counted":3}
{"id":"s1","source":"pos","type":"sale","at":"2026-11-02T08:10:00Z","location":"S1","sku":"K2","qty":2,"unit_price":45,"channel":"pos"}
{"id":"s2","source":"pos","type":"sale","at":"2026-11-02T08:20:00Z","location":"S1","sku":"K1","qty":2,"unit_price":7.49,"channel":"pos"}
{"id":"T1","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:30:00Z","transfer":"T1","from":"W1","to":"S1","expected":"2026-11-02T10:00:00Z","lines":[{"sku":"K2","qty":5}]}
{"id":"T2","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:40:00Z","transfer":"T2","from":"W1","to":"S1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":10}]}
{"id":"T2r","source":"wms","type":"transfer_received","at":"2026-11-02T09:00:00Z","transfer":"T2","location":"S1","lines":[{"sku":"K1","qty":8,"damaged":1}]}
{"id":"PO1","source":"erp","type":"purchase_order","at":"2026-11-02T09:10:00Z","po":"PO1","supplier":"SUP","location":"W1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":100}]}
{"id":"PO1r","source":"wms","type":"receipt","at":"2026-11-02T09:20:00Z","po":"PO1","location":"W1","lines":[{"sku":"K1","qty":40}],"final":false}
{"id":"PO2","source":"erp","type":"purchase_order","at":"2026-11-02T09:30:00Z","po":"PO2","supplier":"SUP","location":"W1","expected":"2026-11-03T12:00:00Z","lines":[{"sku":"K2","qty":20}]}
{"id":"PO2r","source":"wms","type":"receipt","at":"2026-11-02T09:40:00Z","po":"PO2","location":"W1","lines":[{"sku":"K2","qty":15,"damaged":3}]}
{"id":"O1","source":"web","type":"order_placed","at":"2026-11-02T09:50:00Z","order":"O1","channel":"web","ship_by":"2026-11-02T18:00:00Z","lines":[{"sku":"K2","qty":3,"unit_price":45}]}
{"id":"O1a","source":"web","type":"order_allocated","at":"2026-11-02T10:00:00Z","order":"O1","location":"WEB"}
{"id":"O2","source":"web","type":"order_placed","at":"2026-11-02T10:10:00Z","order":"O2","channel":"web","ship_by":"2026-11-05T18:00:00Z","lines":[{"sku":"K1","qty":2,"unit_price":9.99}]}
{"id":"O2c","source":"web","type":"order_cancelled","at":"2026-11-02T10:15:00Z","order":"O2","reason":"stockout"}
{"id":"R1","source":"web","type":"return_requested","at":"2026-11-02T10:20:00Z","return":"R1","order":"O9","location":"S1","lines":[{"sku":"K1","qty":1,"refund":9.99}]}
{"id":"R2","source":"web","type":"return_requested","at":"2026-11-02T10:30:00Z","return":"R2","order":"O1","location":"S1","lines":[{"sku":"K2","qty":1,"refund":99}]}
{"id":"R2r","source":"pos","type":"return_received","at":"2026-11-02T10:40:00Z","return":"R2","location":"S1","lines":[{"sku":"K2","qty":1,"condition":"resellable"}]}
{"id":"PR1","source":"erp","type":"promotion","at":"2026-11-02T10:50:00Z","promotion":"PR1","sku":"K1","price":8,"from":"2026-11-10T00:00:00Z","to":"2026-11-20T00:00:00Z"}
{"id":"PR2","source":"erp","type":"promotion","at":"2026-11-02T10:51:00Z","promotion":"PR2","sku":"K1","price":7,"from":"2026-11-15T00:00:00Z","to":"2026-11-25T00:00:00Z"}
{"id":"PR3","source":"erp","type":"promotion","at":"2026-11-02T10:52:00Z","promotion":"PR3","sku":"K2","price":10,"from":"2026-11-10T00:00:00Z","to":"2026-11-20T00:00:00Z"}
"#;

fn engine_with(rules: &str) -> Engine {
    let rules = parse_rules(rules).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    });
    let events = parse_all(WORLD.trim());
    let count = events.len() as u64;
    for (index, event) in events.into_iter().enumerate() {
        engine.apply(index as u64 + 1, &Input::Event(event));
    }
    let later = Timestamp::parse_rfc3339("2026-11-06T00:00:00Z").unwrap();
    engine.apply(count + 1, &Input::Tick(later));
    engine
}

/// The id of the exception of a type, at a place or about a document (its `place(" ")`).
fn id_of(engine: &Engine, exception_type: &str, place: &str) -> u64 {
    let views = engine.exceptions();
    let found = views
        .iter()
        .find(|view| view.exception_type == exception_type && view.place(" ") == place);
    found
        .unwrap_or_else(|| panic!("no {exception_type} at {place}: {views:#?}"))
        .id
}

fn what_happened(engine: &Engine, exception_type: &str, place: &str) -> Vec<String> {
    let id = id_of(engine, exception_type, place);
    engine.exception_brief(id).unwrap().what_happened
}

#[test]
fn every_deterministic_type_says_what_happened() {
    let engine = engine_with("");
    let expected: [(&str, &str, &[&str]); 16] = [
        (
            "count_variance",
            "S1 K1",
            &["counted 3, ledger 12, variance -9 × 4.10 = 36.90 EUR"],
        ),
        ("negative_stock", "S1 K2", &["a sale of 2 took on hand from 0 to -2"]),
        (
            "price_mismatch",
            "S1 K1",
            &["till 7.49, list 9.99: 2 × 2.50 = 5.00 EUR"],
        ),
        (
            "transfer_overdue",
            "S1 T1",
            &[
                "shipped from W1 (Warehouse) 2026-11-02 09:30 Europe/Berlin, expected 2026-11-02 11:00 \
               Europe/Berlin; not received by 2026-11-02 15:00 Europe/Berlin; 5 units on 1 line in transit",
            ],
        ),
        (
            "transfer_mismatch",
            "S1 T2",
            &[
                "sent from W1 (Warehouse)",
                "K1 (Kettle): shipped 10, received 8, 1 damaged",
            ],
        ),
        (
            "po_late",
            "W1 PO1",
            &["expected 2026-11-02 12:00 UTC; 40 of 100 units received (40%)"],
        ),
        ("po_short", "W1 PO2", &["K2 (Toaster): ordered 20, received 15 (75%)"]),
        (
            "damaged_receipt",
            "W1 PO2",
            &["K2 (Toaster): 3 damaged of 15 received × 20.00 = 60.00 EUR"],
        ),
        ("allocation_short", "WEB O1", &["K2 (Toaster): needs 3, 0 available"]),
        (
            "order_at_risk",
            "WEB O1",
            &["to ship by 2026-11-02 18:00 UTC; 0 of 3 units shipped"],
        ),
        (
            "order_cancelled_stockout",
            "O2",
            &[
                "cancelled for want of stock; order value 19.98 EUR",
                "K1 (Kettle): 2 open",
            ],
        ),
        ("return_policy", "S1 R1", &["order O9 is one Retex never saw"]),
        (
            "return_policy",
            "S1 R2",
            &["K2 (Toaster): refund of 99.00 EUR asked, 45.00 EUR paid for the 1 returned"],
        ),
        (
            "refund_overdue",
            "S1 R2",
            &[
                "return received 2026-11-02 11:40 Europe/Berlin; refund of 99.00 EUR requested, none issued by \
               2026-11-05 11:40 Europe/Berlin",
            ],
        ),
        (
            "master_data",
            "K3",
            &["the record lacks cost, a category of two levels, supplier"],
        ),
        ("master_data", "SUP2", &["the record lacks lead_time_days"]),
    ];
    for (exception_type, place, lines) in expected {
        assert_eq!(
            what_happened(&engine, exception_type, place),
            lines,
            "{exception_type} at {place}"
        );
    }
    // Promotions conflict per SKU; `ref` is the later promotion.
    assert_eq!(
        what_happened(&engine, "promotion_conflict", "K1 PR2"),
        ["promotion PR2 at 7.00 EUR overlaps promotion PR1 at 8.00 EUR in time and place"]
    );
    assert_eq!(
        what_happened(&engine, "promotion_conflict", "K2 PR3"),
        ["promotion PR3 sells at 10.00 EUR, below the cost of 20.00 EUR"]
    );
}

#[test]
fn an_exception_names_its_place_its_documents_and_its_zone() {
    let engine = engine_with("");
    let brief = engine
        .exception_brief(id_of(&engine, "count_variance", "S1 K1"))
        .unwrap();
    assert_eq!(brief.location.as_deref(), Some("S1 (Store One)"));
    assert_eq!(brief.product.as_deref(), Some("K1 (Kettle)"));
    assert_eq!(brief.timezone, "Europe/Berlin");
    assert_eq!(brief.currency, "EUR");
    let documents = |brief: &retex_core::engine::ExceptionBrief<'_>| {
        let named: Vec<String> = (brief.documents.iter())
            .map(|document| format!("{} {}", document.kind, document.number))
            .collect();
        named
    };
    assert_eq!(documents(&brief), ["count c1"]);
    let refund = engine
        .exception_brief(id_of(&engine, "refund_overdue", "S1 R2"))
        .unwrap();
    assert_eq!(documents(&refund), ["return R2", "order O1"]);
    let promotions = engine
        .exception_brief(id_of(&engine, "promotion_conflict", "K1 PR2"))
        .unwrap();
    assert_eq!(documents(&promotions), ["promotion PR2", "promotion PR1"]);
    let late = engine.exception_brief(id_of(&engine, "po_late", "W1 PO1")).unwrap();
    assert_eq!(
        (documents(&late), late.timezone.as_str()),
        (vec!["purchase order PO1".to_owned()], "UTC")
    );
    let supplier = engine.exception_brief(id_of(&engine, "master_data", "SUP2")).unwrap();
    assert_eq!(
        (documents(&supplier), supplier.product),
        (vec!["supplier SUP2".to_owned()], None)
    );
}

#[test]
fn procedures_are_built_in_and_the_rules_file_replaces_them_and_the_currency() {
    let engine = engine_with("");
    let count = id_of(&engine, "count_variance", "S1 K1");
    let brief = engine.exception_brief(count).unwrap();
    assert_eq!(brief.procedure, Some(ExceptionType::CountVariance.default_procedure()));
    for exception_type in ExceptionType::ALL {
        let text = exception_type.default_procedure();
        assert!(
            text.contains("Escalate") && text.len() < 500,
            "{}: a short text that says when to escalate",
            exception_type.name()
        );
    }

    let engine = engine_with(
        "[money]\ncurrency = \"CHF\"\n\n[types.count_variance]\nprocedure = \"Recount twice, then call the area \
         manager.\"\n",
    );
    let brief = engine.exception_brief(count).unwrap();
    assert_eq!(brief.procedure, Some("Recount twice, then call the area manager."));
    assert_eq!(
        brief.what_happened,
        ["counted 3, ledger 12, variance -9 × 4.10 = 36.90 CHF"]
    );
    let po_short = engine.exception_brief(id_of(&engine, "po_short", "W1 PO2")).unwrap();
    assert_eq!(po_short.procedure, Some(ExceptionType::PoShort.default_procedure()));
}

#[test]
fn a_later_sighting_brings_its_own_facts_and_damaged_lines_add_up() {
    let extra = r#"{"id":"c2","source":"wms","type":"count","at":"2026-11-06T08:00:00Z","location":"S1","sku":"K1","counted":30}
{"id":"PO2r2","source":"wms","type":"receipt","at":"2026-11-06T08:10:00Z","po":"PO2","location":"W1","lines":[{"sku":"K1","qty":2,"damaged":2}]}"#;
    let mut engine = engine_with("");
    let seq = engine.applied_seq();
    for (index, event) in parse_all(extra).into_iter().enumerate() {
        engine.apply(seq + 1 + index as u64, &Input::Event(event));
    }
    assert_eq!(
        what_happened(&engine, "count_variance", "S1 K1"),
        ["counted 30, ledger 8, variance 22 × 4.10 = 90.20 EUR"]
    );
    assert_eq!(
        what_happened(&engine, "damaged_receipt", "W1 PO2"),
        [
            "K2 (Toaster): 3 damaged of 15 received × 20.00 = 60.00 EUR",
            "K1 (Kettle): 2 damaged of 2 received × 4.10 = 8.20 EUR"
        ]
    );
}
