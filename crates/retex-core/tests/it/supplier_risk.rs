//! `po_late_risk`: off unless the rules turn it on; then a supplier's late record raises it on a new PO, with
//! its reasons, and the delivery answers it.

use std::sync::Arc;

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, EngineConfig, Input};
use retex_core::rules::file::parse_rules;
use retex_core::wire::parse_event;

const TURNED_ON: &str = "[types.po_late_risk]\nenabled = true\n";

fn engine(rules: Option<&str>) -> Engine {
    let rules = rules.map_or_else(Default::default, |text| {
        parse_rules(text).unwrap_or_else(|errors| panic!("{errors:?}"))
    });
    Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    })
}

fn event(id: String, at: &str, body: String) -> Input {
    let line = format!(r#"{{"id":"{id}","source":"erp","at":"{at}",{body}}}"#);
    Input::Event(parse_event(&line).unwrap())
}

/// PO `number` from SUP-1 to S01, expected on day `expected_day` of November 2026, placed on the day before.
fn place(number: u32, expected_day: u32) -> Input {
    event(
        format!("po{number}"),
        &format!("2026-11-{:02}T08:00:00Z", expected_day - 1),
        format!(
            r#""type":"purchase_order","po":"PO{number}","supplier":"SUP-1","location":"S01","expected":"2026-11-{expected_day:02}T12:00:00Z","lines":[{{"sku":"A","qty":10}}]"#
        ),
    )
}

/// The final receipt of PO `number`, in full, on day `day` at 16:00.
fn receive(number: u32, day: u32) -> Input {
    event(
        format!("rc{number}"),
        &format!("2026-11-{day:02}T16:00:00Z"),
        format!(r#""type":"receipt","po":"PO{number}","location":"S01","lines":[{{"sku":"A","qty":10}}]"#),
    )
}

/// Five POs each received a day after expected, then PO 6.
fn late_history_then_a_new_po(engine: &mut Engine) {
    let mut seq = 0;
    let mut apply = |engine: &mut Engine, input: Input| {
        seq += 1;
        engine.apply(seq, &input);
    };
    for number in 1..=5 {
        apply(engine, place(number, 2 + number));
        apply(engine, receive(number, 3 + number));
    }
    apply(engine, place(6, 12));
}

fn risks(engine: &Engine) -> Vec<(String, String, Option<bool>, String)> {
    engine
        .exceptions()
        .iter()
        .filter(|view| view.exception_type == "po_late_risk")
        .map(|view| {
            (
                view.reference.unwrap_or_default().to_owned(),
                view.explanation.unwrap_or_default().to_owned(),
                view.confirmed,
                view.status.to_owned(),
            )
        })
        .collect()
}

#[test]
fn without_rules_a_late_supplier_raises_no_forecast() {
    let mut engine = engine(None);
    late_history_then_a_new_po(&mut engine);
    assert!(risks(&engine).is_empty());
    let po_late = engine
        .exceptions()
        .iter()
        .filter(|view| view.exception_type == "po_late")
        .count();
    assert_eq!(po_late, 5, "the deliveries themselves were late");
    let kpis = engine.kpis(Timestamp::parse_rfc3339("2026-11-12T00:00:00Z").unwrap(), None);
    let detectors: Vec<&str> = kpis.confirmation.iter().map(|rate| rate.exception_type).collect();
    assert!(
        !detectors.contains(&"po_late_risk"),
        "a detector that is off has nothing to confirm: {detectors:?}"
    );
}

#[test]
fn a_supplier_late_five_times_out_of_five_puts_its_next_po_at_risk() {
    let mut engine = engine(Some(TURNED_ON));
    late_history_then_a_new_po(&mut engine);
    // chain (5 + 1) / (5 + 2) = 0.857; supplier (5 + 4 × 0.857) / 9 = 0.937; lane, the same five: 0.965.
    let chain = 6.0 / 7.0;
    let supplier = (5.0 + 4.0 * chain) / 9.0;
    let lane = (5.0 + 4.0 * supplier) / 9.0;
    let expected = format!(
        "probability of arriving late {lane:.2}: supplier SUP-1 delivered 5 of 5 POs late, 5 of 5 to S01; the \
         chain's suppliers 100% of 5"
    );
    assert_eq!(
        risks(&engine),
        [("PO6".to_owned(), expected.clone(), None, "open".to_owned())]
    );

    // On time: the forecast was wrong, and says so, on the dashboard's confirmation rates too.
    engine.apply(100, &receive(6, 11));
    assert_eq!(
        risks(&engine),
        [("PO6".to_owned(), expected, Some(false), "resolved".to_owned())]
    );
    let kpis = engine.kpis(Timestamp::parse_rfc3339("2026-11-12T00:00:00Z").unwrap(), None);
    let rate = kpis
        .confirmation
        .iter()
        .find(|rate| rate.exception_type == "po_late_risk")
        .unwrap();
    assert_eq!((rate.confirmed, rate.not_confirmed), (0, 1));
}

#[test]
fn four_deliveries_are_too_few_to_judge() {
    let mut engine = engine(Some(TURNED_ON));
    let mut seq = 0;
    for number in 1..=4 {
        for input in [place(number, 2 + number), receive(number, 3 + number)] {
            seq += 1;
            engine.apply(seq, &input);
        }
    }
    engine.apply(seq + 1, &place(5, 12));
    assert!(risks(&engine).is_empty());
}
