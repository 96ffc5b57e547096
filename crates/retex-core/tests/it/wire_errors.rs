//! Rejections name the field and the problem, and valid variants of each field are accepted.

use retex_core::event::EventBody;
use retex_core::wire::parse_event;

fn rejection(line: &str) -> String {
    match parse_event(line) {
        Ok(event) => panic!("accepted {event:?}"),
        Err(error) => error.to_string(),
    }
}

const SALE: &str = r#"{"id":"s1","source":"pos","type":"sale","at":"2026-11-02T10:15:00+01:00","location":"S001","sku":"1001","qty":2,"unit_price":1.49,"channel":"pos"}"#;

#[test]
fn a_valid_sale_keeps_exact_values_and_its_offset() {
    let event = parse_event(SALE).unwrap();
    assert_eq!(event.at.to_rfc3339(), "2026-11-02T10:15:00+01:00");
    let EventBody::Sale(sale) = event.body else {
        panic!("not a sale")
    };
    assert_eq!(sale.unit_price.to_string(), "1.49");
    assert_eq!(sale.qty.to_string(), "2");
}

#[test]
fn each_problem_is_named_with_its_field() {
    let cases = [
        ("not json", "json: expected a JSON object"),
        (r#"{"id":"1""#, "json: EOF while parsing an object (column 9)"),
        (&SALE.replace(r#""id":"s1","#, ""), "id: missing"),
        (&SALE.replace(r#""id":"s1""#, r#""id":"""#), "id: must not be empty"),
        (
            &SALE.replace(r#""id":"s1""#, r#""id":7"#),
            "id: expected a string, got a number",
        ),
        (
            &SALE.replace(r#""type":"sale""#, r#""type":"sold""#),
            r#"type: unknown event type "sold""#,
        ),
        (
            &SALE.replace("2026-11-02T10:15:00+01:00", "2026-11-02 10:15"),
            r#"at: "2026-11-02 10:15" is not an RFC 3339 timestamp with offset, like 2026-11-02T10:15:00Z"#,
        ),
        (
            &SALE.replace("2026-11-02T10:15:00+01:00", "2026-11-02T10:15:00"),
            r#"at: "2026-11-02T10:15:00" is not an RFC 3339 timestamp with offset, like 2026-11-02T10:15:00Z"#,
        ),
        (
            &SALE.replace(r#""qty":2"#, r#""qty":"two""#),
            r#"qty: "two" is not a decimal number (at most 28 significant digits)"#,
        ),
        (
            &SALE.replace(r#""qty":2"#, r#""qty":-2"#),
            "qty: must be greater than 0, got -2",
        ),
        (
            &SALE.replace(r#""qty":2"#, r#""qty":[2]"#),
            "qty: expected a number, got an array",
        ),
        (
            &SALE.replace(r#""channel":"pos""#, r#""channel":"till""#),
            r#"channel: "till" is not one of pos, web"#,
        ),
        (&SALE.replace(r#","unit_price":1.49"#, ""), "unit_price: missing"),
    ];
    for (line, expected) in cases {
        assert_eq!(rejection(line), expected, "for {line}");
    }
}

#[test]
fn line_problems_name_the_line_index() {
    let receipt = r#"{"id":"r","source":"wms","type":"receipt","at":"2026-11-02T10:00:00Z","po":"PO-1","location":"W1","lines":[{"sku":"A","qty":5},{"sku":"B","qty":2,"damaged":3}]}"#;
    assert_eq!(rejection(receipt), "lines[1].damaged: must not exceed `qty`");
    let no_lines = receipt.replace(r#"[{"sku":"A","qty":5},{"sku":"B","qty":2,"damaged":3}]"#, "[]");
    assert_eq!(rejection(&no_lines), "lines: must have at least one line");
    let not_array = receipt.replace(
        r#"[{"sku":"A","qty":5},{"sku":"B","qty":2,"damaged":3}]"#,
        r#"{"sku":"A"}"#,
    );
    assert_eq!(rejection(&not_array), "lines: expected an array of line objects");
    let missing_sku = receipt.replace(r#"{"sku":"B","qty":2,"damaged":3}"#, r#"{"qty":2}"#);
    assert_eq!(rejection(&missing_sku), "lines[1].sku: missing");
}

#[test]
fn unknown_fields_and_nulls_for_optional_fields_are_accepted() {
    let line = SALE.replace(r#""channel":"pos""#, r#""channel":"pos","till":"T3","order":null"#);
    let EventBody::Sale(sale) = parse_event(&line).unwrap().body else {
        panic!("not a sale")
    };
    assert_eq!(sale.order, None);
}

#[test]
fn escaped_strings_are_decoded() {
    let line = r#"{"id":"m\u0031","source":"cs","type":"customer_message","at":"2026-11-02T10:00:00Z","message":"M","text":"It said \"in stock\"\nbut no"}"#;
    let event = parse_event(line).unwrap();
    assert_eq!(event.id.as_str(), "m1");
    let EventBody::CustomerMessage(message) = event.body else {
        panic!("not a message")
    };
    assert_eq!(message.text, "It said \"in stock\"\nbut no");
}

#[test]
fn location_hours_and_kinds_are_checked() {
    let location = r#"{"id":"l","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"S","kind":"store","hours":"08:00-21:00"}"#;
    parse_event(location).unwrap();
    assert_eq!(
        rejection(&location.replace("08:00-21:00", "8-21")),
        r#"hours: "8-21" is not opening hours like "08:00-21:00""#
    );
    assert_eq!(
        rejection(&location.replace(r#""hours""#, r#""timezone":"Mars/Olympus","hours""#)),
        r#"timezone: "Mars/Olympus" is not an IANA time zone name like Europe/Berlin"#
    );
    assert_eq!(
        rejection(&location.replace(r#""kind":"store""#, r#""kind":"shop""#)),
        r#"kind: "shop" is not one of store, warehouse, web"#
    );
}

#[test]
fn every_type_round_trips_through_its_serialization() {
    for line in include_str!("../data/every_event_type.ndjson").lines() {
        let event = parse_event(line).unwrap();
        let written = serde_json::to_string(&event).unwrap();
        assert_eq!(parse_event(&written).unwrap(), event, "{written}");
    }
}

#[test]
fn quantities_and_amounts_that_could_overflow_the_engine_are_refused() {
    let sale = |qty: &str, price: &str| {
        format!(
            r#"{{"id":"1","source":"t","type":"sale","at":"2026-11-02T10:00:00Z","location":"S1","sku":"A","qty":{qty},"unit_price":{price},"channel":"pos"}}"#
        )
    };
    assert!(
        parse_event(&sale("9999999999.999", "9999999999.99")).is_ok(),
        "ten integer digits are fine"
    );
    assert_eq!(
        rejection(&sale("10000000000", "1")),
        "qty: 10000000000 is too large: quantities and amounts are below 10000000000 in magnitude"
    );
    assert!(rejection(&sale("1", "-79228162514264337593543950335")).starts_with("unit_price: "));
    // Two such sales used to overflow the ledger: the engine stopped at them on every replay. They are refused.
    let mut engine = retex_core::engine::Engine::default();
    let huge = sale("79228162514264337593543950335", "1");
    assert!(parse_event(&huge).is_err());
    let fine = parse_event(&sale("9999999999", "9999999999")).unwrap();
    for seq in 1..=3 {
        engine.apply(seq, &retex_core::engine::Input::Event(fine.clone()));
    }
    assert_eq!(
        engine.position("S1", "A").on_hand.0,
        rust_decimal::Decimal::from(-29_999_999_997i64)
    );
}

#[test]
fn a_product_barcode_must_be_a_gtin_with_its_check_digit() {
    let product = |barcode: &str| {
        format!(
            r#"{{"id":"p1","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"1001","name":"Cola 1L","category":"Grocery/Drinks","barcode":"{barcode}"}}"#
        )
    };
    for barcode in ["4006381333931", "036000291452", "96385074", "10012345678902"] {
        let event = parse_event(&product(barcode)).unwrap_or_else(|error| panic!("{barcode}: {error}"));
        match event.body {
            EventBody::Product(upsert) => assert_eq!(upsert.barcode.as_deref(), Some(barcode)),
            other => panic!("{other:?}"),
        }
    }
    for (barcode, problem) in [
        (
            "4006381333932",
            "barcode: 4006381333932 is not a GTIN: its check digit should be 1",
        ),
        (
            "400638133391",
            "barcode: 400638133391 is not a GTIN: its check digit should be 0",
        ),
        (
            "40063813339",
            "barcode: \"40063813339\" is not a GTIN: 8, 12, 13 or 14 digits",
        ),
        (
            "4006-38133393",
            "barcode: \"4006-38133393\" is not a GTIN: 8, 12, 13 or 14 digits",
        ),
    ] {
        let error = parse_event(&product(barcode)).unwrap_err();
        assert_eq!(error.to_string(), problem);
    }
}
