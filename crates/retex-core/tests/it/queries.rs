//! Queries and KPIs over a book of count variances at two stores: pages follow their order with no row twice or
//! missing, filters and a store user's scope hold, and the KPIs count what the records say.

use retex_core::codes::Timestamp;
use retex_core::command::Action;
use retex_core::engine::{
    Cursor, Engine, ExceptionOrder, ExceptionQuery, Input, PageStart, Period, Sort, StatusFilter,
};

use crate::{command, parse_all};

/// Twelve SKUs, each counted short at one of two stores an hour apart; the shortfall grows with the index.
fn book() -> Engine {
    let mut lines = vec![
        r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store","region":"east","timezone":"UTC","hours":"00:00-24:00"}"#.to_string(),
        r#"{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S2","name":"Two","kind":"store","region":"east","timezone":"UTC","hours":"00:00-24:00"}"#.to_string(),
        r#"{"id":"S","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"S","lead_time_days":3}"#.to_string(),
    ];
    for index in 0..12 {
        let store = if index % 2 == 0 { "S1" } else { "S2" };
        let hour = 8 + index;
        lines.push(format!(
            r#"{{"id":"P{index}","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K{index}","name":"K","category":"Grocery/Drinks","uom":"unit","cost":2,"price":5,"supplier":"SUP"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"a{index}","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"{store}","sku":"K{index}","qty":100,"reason":"correction"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"c{index}","source":"t","type":"count","at":"2026-11-02T{hour:02}:00:00Z","location":"{store}","sku":"K{index}","counted":{}}}"#,
            60 - 4 * index
        ));
    }
    let mut engine = Engine::default();
    for (index, event) in parse_all(&lines.join("\n")).into_iter().enumerate() {
        engine.apply(index as u64 + 1, &Input::Event(event));
    }
    engine
}

fn ids(engine: &Engine, query: &ExceptionQuery<'_>) -> Vec<u64> {
    engine
        .query_exceptions(query)
        .items
        .iter()
        .map(|view| view.id)
        .collect()
}

/// Every page of a query, following the cursors.
fn all_pages(engine: &Engine, mut query: ExceptionQuery<'_>) -> Vec<u64> {
    let mut seen = Vec::new();
    loop {
        let page = engine.query_exceptions(&query);
        seen.extend(page.items.iter().map(|view| view.id));
        match page.next_cursor {
            Some(cursor) => query.start = PageStart::After(Cursor::decode(&cursor.encode()).unwrap()),
            None => return seen,
        }
    }
}

#[test]
fn pages_follow_the_order_without_repeating_or_skipping_a_row() {
    let engine = book();
    assert_eq!(engine.exception_records().len(), 12);
    let newest = all_pages(
        &engine,
        ExceptionQuery {
            sort: Sort::new(ExceptionOrder::Newest),
            limit: 5,
            ..Default::default()
        },
    );
    assert_eq!(newest, (1..=12).rev().collect::<Vec<u64>>());
    let oldest = all_pages(
        &engine,
        ExceptionQuery {
            sort: Sort::new(ExceptionOrder::Oldest),
            limit: 5,
            ..Default::default()
        },
    );
    assert_eq!(oldest, (1..=12).collect::<Vec<u64>>());

    // Impact grows with the index, so largest first is newest first here.
    let by_impact = all_pages(
        &engine,
        ExceptionQuery {
            sort: Sort::new(ExceptionOrder::Impact),
            limit: 7,
            ..Default::default()
        },
    );
    assert_eq!(by_impact, newest);
    // Opened an hour apart with the same targets: the earliest due comes first.
    let by_risk = all_pages(
        &engine,
        ExceptionQuery {
            sort: Sort::new(ExceptionOrder::SlaRisk),
            limit: 3,
            ..Default::default()
        },
    );
    assert_eq!(by_risk, oldest);
    let page = engine.query_exceptions(&ExceptionQuery {
        limit: 5,
        ..Default::default()
    });
    assert_eq!(page.total, 12);
}

#[test]
fn filters_and_scope_narrow_the_rows() {
    let engine = book();
    let s1 = ids(
        &engine,
        &ExceptionQuery {
            location: Some("S1"),
            sort: Sort::new(ExceptionOrder::Oldest),
            limit: 50,
            ..Default::default()
        },
    );
    assert_eq!(s1, [1, 3, 5, 7, 9, 11]);
    let scope = ["S2".to_string()];
    let scoped = ids(
        &engine,
        &ExceptionQuery {
            scope: Some(&scope),
            sort: Sort::new(ExceptionOrder::Oldest),
            limit: 50,
            ..Default::default()
        },
    );
    assert_eq!(scoped, [2, 4, 6, 8, 10, 12]);
    let nowhere = ids(
        &engine,
        &ExceptionQuery {
            location: Some("S9"),
            limit: 50,
            ..Default::default()
        },
    );
    assert!(
        nowhere.is_empty(),
        "an unknown location matches nothing, not everything"
    );
    let wrong_type = ids(
        &engine,
        &ExceptionQuery {
            exception_type: Some("late_delivery"),
            limit: 50,
            ..Default::default()
        },
    );
    assert!(wrong_type.is_empty());
    let counts = ids(
        &engine,
        &ExceptionQuery {
            exception_type: Some("count_variance"),
            limit: 50,
            ..Default::default()
        },
    );
    assert_eq!(counts.len(), 12);
    let opened_from = Timestamp::parse_rfc3339("2026-11-02T17:00:00Z").unwrap();
    let late = ids(
        &engine,
        &ExceptionQuery {
            opened_from: Some(opened_from),
            sort: Sort::new(ExceptionOrder::Oldest),
            limit: 50,
            ..Default::default()
        },
    );
    assert_eq!(late, [10, 11, 12]);
    let closed = ids(
        &engine,
        &ExceptionQuery {
            status: StatusFilter::Closed,
            limit: 50,
            ..Default::default()
        },
    );
    assert!(closed.is_empty());
    assert!(!engine.in_scope(engine.exception_record(1).unwrap(), Some(&scope)));
    assert!(engine.in_scope(engine.exception_record(2).unwrap(), Some(&scope)));
}

#[test]
fn kpis_count_what_the_records_say() {
    let mut engine = book();
    let resolve = command(
        "2026-11-02T10:00:00Z",
        "anna",
        1,
        Action::Resolve {
            root_cause: retex_core::command::RootCause::CountInaccuracy,
            note: "recounted".into(),
            resolution: None,
        },
    );
    engine.apply(1_000, &resolve);
    let now = Timestamp::parse_rfc3339("2026-11-02T20:30:00Z").unwrap();
    let kpis = engine.kpis(now, None);
    assert_eq!((kpis.flow.total, kpis.open), (12, 11));
    assert_eq!(kpis.open_by_category.iter().map(|counts| counts.total).sum::<u64>(), 11);
    assert_eq!(kpis.aging.iter().map(|bucket| bucket.open).sum::<u64>(), 11);
    // Opened 09:00-19:00, so at 20:30 the youngest three are under 4 hours old.
    assert_eq!(kpis.aging[0].open, 3);
    assert_eq!(kpis.root_causes.len(), 1);
    assert_eq!(kpis.root_causes[0].root_cause, "count_inaccuracy");
    assert_eq!(kpis.root_causes[0].cumulative_share, 1.0);
    // Exception 1 opened 08:00 and resolved 10:00: the only resolution, two hours.
    assert_eq!(kpis.flow.mttr_hours, Some(2.0));
    assert_eq!(kpis.flow.repeat_rate, Some(0.0));

    let scope = ["S2".to_string()];
    let scoped = engine.kpis(now, Some(&scope));
    assert_eq!((scoped.flow.total, scoped.open), (6, 6));
    assert_eq!(scoped.flow.mttr_hours, None);
    assert!(scoped.stores.iter().all(|store| store.location == "S2"));
}

#[test]
fn summaries_follow_commands_and_survive_a_snapshot() {
    let mut engine = book();
    let risk = ExceptionQuery {
        sort: Sort::new(ExceptionOrder::SlaRisk),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(ids(&engine, &risk)[0], 1);
    let acknowledge = command("2026-11-02T09:30:00Z", "anna", 1, Action::Acknowledge);
    engine.apply(1_000, &acknowledge);
    let after_ack = ids(&engine, &risk);
    assert_ne!(
        after_ack[0], 1,
        "acknowledged, its next due is the later resolve target"
    );
    assert_eq!(after_ack.len(), 12);

    let restored = Engine::from_snapshot(&engine.snapshot_bytes(), Default::default()).unwrap();
    assert_eq!(ids(&restored, &risk), after_ack);
    assert_eq!(restored.exception_summary(1), engine.exception_summary(1));
}

#[test]
fn period_kpis_count_what_opened_in_it_against_the_period_before() {
    let mut engine = book();
    let acknowledge = command("2026-11-02T09:30:00Z", "anna", 2, Action::Acknowledge);
    engine.apply(1_000, &acknowledge);
    let resolve = command(
        "2026-11-02T10:00:00Z",
        "anna",
        1,
        Action::Resolve {
            root_cause: retex_core::command::RootCause::CountInaccuracy,
            note: "recounted".into(),
            resolution: None,
        },
    );
    engine.apply(1_001, &resolve);
    let evening = Timestamp::parse_rfc3339("2026-11-02T20:30:00Z").unwrap();

    let day = engine.kpis_over(evening, None, Some(Period::named("2026-11-02").unwrap()));
    assert_eq!((day.flow.total, day.flow.closed), (12, 1));
    // MTTA is the acknowledgement's half hour alone; the resolution's two hours are MTTR's.
    assert_eq!(day.flow.mtta_hours, Some(0.5));
    assert_eq!(day.flow.mttr_hours, Some(2.0));
    assert_eq!(day.previous.as_ref().map(|previous| previous.total), Some(0));
    assert_eq!(day.by_type.len(), 1);
    assert_eq!(
        (day.by_type[0].exception_type.as_str(), day.by_type[0].flow.total),
        ("count_variance", 12)
    );
    assert_eq!(day.period.as_ref().unwrap().from, "2026-11-02T00:00:00Z");
    // The resolution is hours old: whether it holds is not known yet.
    assert_eq!(day.flow.resolution_quality, None);

    // Opened from noon on: exceptions 5 to 12, none acknowledged or resolved.
    let afternoon = Period::between("2026-11-02T12:00:00Z", "2026-11-02").unwrap();
    let later = engine.kpis_over(evening, None, Some(afternoon));
    assert_eq!(
        (later.flow.total, later.flow.mtta_hours, later.flow.mttr_hours),
        (8, None, None)
    );
    assert_eq!(later.previous.as_ref().map(|previous| previous.total), Some(4));
    assert_eq!(later.open, 11, "what is open is counted now, whatever the period");

    // Three weeks on, nothing reopened it nor repeated it: the resolution held.
    let weeks_later = Timestamp::parse_rfc3339("2026-11-23T00:00:00Z").unwrap();
    let held = engine.kpis_over(weeks_later, None, Some(Period::named("2026-11").unwrap()));
    assert_eq!(held.flow.resolution_quality, Some(1.0));
}
