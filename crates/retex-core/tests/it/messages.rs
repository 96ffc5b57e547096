//! Customer messages: a complaint shows what the customer wrote and why it is one; another message about an
//! order goes on the timelines of the order's open exceptions, and nowhere else.

use std::sync::Arc;

use retex_core::engine::{
    AbnormalStore, ComplaintReading, Engine, EngineConfig, ExceptionQuery, Input, Insight, MessageIntent,
    RateTestParams, StatusFilter, StoreWindow,
};
use retex_core::wire::parse_event;

/// Calls a message a complaint when it says "broken" (because of "broken"); reads every message as about
/// `track_order`, because of "where".
#[derive(Debug)]
struct ReadsIntents;

impl Insight for ReadsIntents {
    fn version(&self) -> &str {
        "reads-intents-1"
    }

    fn complaint(&self, text: &str) -> Option<ComplaintReading> {
        text.contains("broken").then(|| ComplaintReading {
            probability: 0.75,
            kind: None,
            because_of: vec!["broken".to_owned()],
        })
    }

    fn message_intent(&self, _text: &str) -> Option<MessageIntent> {
        Some(MessageIntent {
            intent: "track_order".to_owned(),
            confidence: 0.875,
            because_of: vec!["where".to_owned()],
        })
    }

    fn abnormal_stores(&self, _: &[StoreWindow], _: RateTestParams) -> Vec<AbnormalStore> {
        Vec::new()
    }
}

fn event(id: &str, at: &str, body: &str) -> Input {
    let line = format!(r#"{{"id":"{id}","source":"t","at":"{at}",{body}}}"#);
    Input::Event(parse_event(&line).unwrap())
}

fn message(id: &str, order: &str, text: &str) -> Input {
    event(
        id,
        "2026-11-09T12:00:00Z",
        &format!(r#""type":"customer_message","message":"{id}","order":"{order}","text":"{text}","channel":"chat""#),
    )
}

/// An engine where web order O-1 was cancelled for want of stock (an open `order_cancelled_stockout`) and
/// order O-2 went through.
fn engine_with_a_cancelled_order() -> Engine {
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::default(),
        insight: Some(Arc::new(ReadsIntents)),
    });
    let inputs = [
        event(
            "O1",
            "2026-11-09T09:00:00Z",
            r#""type":"order_placed","order":"O-1","channel":"web","ship_by":"2026-11-10T09:00:00Z","lines":[{"sku":"A","qty":1,"unit_price":"10"}]"#,
        ),
        event(
            "C1",
            "2026-11-09T10:00:00Z",
            r#""type":"order_cancelled","order":"O-1","reason":"stockout""#,
        ),
        event(
            "O2",
            "2026-11-09T09:00:00Z",
            r#""type":"order_placed","order":"O-2","channel":"web","ship_by":"2026-11-10T09:00:00Z","lines":[{"sku":"A","qty":1,"unit_price":"10"}]"#,
        ),
    ];
    for (seq, input) in inputs.iter().enumerate() {
        engine.apply(seq as u64 + 1, input);
    }
    engine
}

fn messages_on_timeline(engine: &Engine, id: u64) -> Vec<String> {
    let (_, timeline) = engine.exception_detail(id).unwrap();
    timeline
        .iter()
        .filter(|entry| entry.action == "customer_message")
        .map(|entry| entry.detail.to_owned())
        .collect()
}

#[test]
fn a_question_about_an_order_goes_on_its_open_exceptions() {
    let mut engine = engine_with_a_cancelled_order();
    let exceptions = engine.exceptions();
    assert_eq!(exceptions.len(), 1, "{exceptions:?}");
    assert_eq!(exceptions[0].exception_type, "order_cancelled_stockout");
    engine.apply(10, &message("M-1", "O-1", "where is my lamp?"));
    engine.apply(11, &message("M-2", "O-2", "where is my other lamp?"));
    assert_eq!(engine.exceptions().len(), 1, "a question opens nothing");
    assert_eq!(
        messages_on_timeline(&engine, 1),
        [r#"M-1 (chat, about track_order (confidence 0.88), from "where"): "where is my lamp?""#]
    );
}

#[test]
fn a_complaint_opens_its_own_exception_with_what_the_customer_wrote_and_why_it_is_one() {
    let mut engine = engine_with_a_cancelled_order();
    engine.apply(10, &message("M-1", "O-1", "the lamp arrived broken"));
    let exceptions = engine.exceptions();
    assert_eq!(exceptions.len(), 2);
    assert_eq!(exceptions[1].exception_type, "customer_complaint");
    assert_eq!(
        exceptions[1].explanation,
        Some(r#"a complaint (probability 0.75), from "broken""#)
    );
    assert_eq!(exceptions[1].model_version, Some("reads-intents-1"));
    let brief = engine.exception_brief(exceptions[1].id).unwrap();
    assert_eq!(
        brief.what_happened,
        [
            r#"the customer wrote by chat about order O-1: "the lamp arrived broken""#,
            r#"a complaint (probability 0.75), from "broken""#,
        ]
    );
    let documents: Vec<(&str, &str)> = brief
        .documents
        .iter()
        .map(|document| (document.kind, document.number.as_str()))
        .collect();
    assert_eq!(documents, [("customer message", "M-1"), ("order", "O-1")]);
    assert_eq!(
        exceptions[0].model_version, None,
        "no model opened the cancellation's exception"
    );
    assert!(
        messages_on_timeline(&engine, 1).is_empty(),
        "the complaint is its own exception"
    );
}

#[test]
fn an_order_number_finds_its_cancellation_and_the_complaint_about_it() {
    let mut engine = engine_with_a_cancelled_order();
    engine.apply(10, &message("M-1", "O-1", "the lamp arrived broken"));
    let about = |number: &str| -> Vec<&str> {
        let query = ExceptionQuery {
            document: Some(number),
            status: StatusFilter::All,
            limit: 50,
            ..ExceptionQuery::default()
        };
        let page = engine.query_exceptions(&query);
        let mut types: Vec<&str> = page.items.iter().map(|view| view.exception_type).collect();
        types.sort_unstable();
        types
    };
    assert_eq!(about("o-1"), ["customer_complaint", "order_cancelled_stockout"]);
    assert_eq!(about("M-1"), ["customer_complaint"]);
    assert!(
        about("O-2").is_empty(),
        "no exception is about the order that went through"
    );
}
