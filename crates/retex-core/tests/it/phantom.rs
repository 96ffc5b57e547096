//! `phantom_stock` measures a silence in its store's own till lines, day by day: a position that sold one line
//! in ten of a store ringing up 240 a day, for five days, goes unheard of for 343 of its store's lines (a whole
//! day and 103 lines of the next) before the silence is less likely than the default 1e-5 (the model's unit test
//! `five_steady_days_then_silence_is_improbable_at_the_store_line_the_engine_test_expects` works the number out).
//! A store that sells nothing says nothing; a sale, a count or stock arriving from zero begins the silence
//! again; a position with fewer than 20 lines in the window is not judged.

use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, Input};
use retex_core::wire::parse_event;

/// Till lines a test store rings up each hour of its pattern: nine of `F`, then one of the watched SKU `X`.
const LINES_PER_HOUR: i64 = 10;

/// Events for store S1: master data, stock, then `hours` hours of the pattern from 2026-11-02T00:00Z.
fn pattern(hours: i64) -> Vec<String> {
    let mut lines = vec![
        r#"{"id":"L","source":"t","type":"location","at":"2026-11-02T00:00:00Z","code":"S1","name":"Store","kind":"store","timezone":"UTC"}"#.to_owned(),
        r#"{"id":"AX","source":"t","type":"adjustment","at":"2026-11-02T00:00:00Z","location":"S1","sku":"X","qty":500,"reason":"correction"}"#.to_owned(),
        r#"{"id":"AF","source":"t","type":"adjustment","at":"2026-11-02T00:00:00Z","location":"S1","sku":"F","qty":50000,"reason":"correction"}"#.to_owned(),
    ];
    lines.extend(trading(0..hours, 1));
    lines
}

/// The store's hours `hours`, ten lines each, the last of every `x_every`-th hour one of X and the rest of `F`.
fn trading(hours: std::ops::Range<i64>, x_every: i64) -> Vec<String> {
    let mut lines = Vec::new();
    for hour in hours {
        let last = LINES_PER_HOUR - 1;
        lines.extend((0..last).map(|line| sale(&format!("f{hour}-{line}"), "F", minute_of(hour, line))));
        let (id, sku) = match hour % x_every {
            0 => (format!("x{hour}"), "X"),
            _ => (format!("f{hour}-{last}"), "F"),
        };
        lines.push(sale(&id, sku, minute_of(hour, last)));
    }
    lines
}

/// Till lines of the other SKU only, `lines` of them from `first_hour` on, ten an hour.
fn filler(first_hour: i64, lines: i64) -> Vec<String> {
    (0..lines)
        .map(|index| {
            let (hour, line) = (first_hour + index / LINES_PER_HOUR, index % LINES_PER_HOUR);
            sale(&format!("g{index}"), "F", minute_of(hour, line))
        })
        .collect()
}

/// The instant of minute `minute` of hour `hour` after 2026-11-02T00:00Z.
fn minute_of(hour: i64, minute: i64) -> Timestamp {
    let start = Timestamp::parse_rfc3339("2026-11-02T00:00:00Z").unwrap();
    Timestamp(start.0 + hour * 3_600_000 + minute * 60_000)
}

fn sale(id: &str, sku: &str, at: Timestamp) -> String {
    format!(
        r#"{{"id":"{id}","source":"t","type":"sale","at":"{at}","location":"S1","sku":"{sku}","qty":1,"unit_price":1,"channel":"pos"}}"#
    )
}

/// An engine after `lines` and a tick at the end.
fn engine_after(lines: &[String]) -> Engine {
    let mut engine = Engine::default();
    let mut seq = 0;
    for line in lines {
        seq += 1;
        let event = parse_event(line).unwrap_or_else(|error| panic!("{line}: {error}"));
        engine.apply(seq, &Input::Event(event));
    }
    engine.apply(seq + 1, &Input::Tick(minute_of(24 * 30, 0)));
    engine
}

/// The `phantom_stock` exceptions `lines` raise, as (opened at, status).
fn phantom_of(lines: &[String]) -> Vec<(String, String)> {
    engine_after(lines)
        .exceptions()
        .iter()
        .filter(|view| view.exception_type == "phantom_stock")
        .map(|view| (view.opened_at.clone(), view.status.to_string()))
        .collect()
}

/// Five days of the pattern: 120 lines of X in the window, one store line in ten.
const PATTERN_HOURS: i64 = 120;
/// The store lines of silence after which the pattern's silence is below 1e-5.
const SILENCE_LINES: i64 = 343;

#[test]
fn a_silent_shelf_in_a_selling_store_is_flagged_at_the_343rd_store_line() {
    let mut lines = pattern(PATTERN_HOURS);
    lines.extend(filler(PATTERN_HOURS, SILENCE_LINES - 1));
    assert!(
        phantom_of(&lines).is_empty(),
        "342 lines of silence are not yet below 1e-5"
    );
    lines.push(sale("last", "F", minute_of(PATTERN_HOURS + 34, 2)));
    let opened = phantom_of(&lines);
    assert_eq!(
        opened,
        [(minute_of(PATTERN_HOURS + 34, 2).to_rfc3339(), "open".to_owned())]
    );
}

#[test]
fn it_explains_what_it_expected() {
    let mut lines = pattern(PATTERN_HOURS);
    lines.extend(filler(PATTERN_HOURS, SILENCE_LINES));
    let engine = engine_after(&lines);
    let opened = engine
        .exceptions()
        .into_iter()
        .find(|view| view.exception_type == "phantom_stock")
        .unwrap();
    assert_eq!(
        opened.explanation,
        Some(
            "no sale since 2026-11-06 23:09 (UTC): 34.3 sales expected in the 343 till lines the store rang up \
             since, over 34.9 open hours; probability of none 9.8e-6 (threshold 1e-5)"
        )
    );
}

#[test]
fn a_store_that_sells_nothing_says_nothing() {
    // The pattern, then days without a single till line: the store was closed, the shelf may be full.
    let mut lines = pattern(PATTERN_HOURS);
    lines.push(r#"{"id":"late","source":"t","type":"adjustment","at":"2026-11-20T00:00:00Z","location":"S1","sku":"F","qty":1,"reason":"correction"}"#.to_owned());
    assert!(phantom_of(&lines).is_empty());
}

#[test]
fn a_position_with_fewer_than_20_lines_in_the_window_is_not_judged() {
    let mut lines = pattern(19);
    lines.extend(filler(19, 5_000));
    assert!(phantom_of(&lines).is_empty());
}

#[test]
fn a_position_whose_pattern_finds_its_silence_likely_is_judged_again_as_it_sells() {
    // Five days selling, fourteen silent (flagged), then it sells again: its window is mostly silence now, so
    // the pattern finds any silence likely ...
    let mut lines = pattern(PATTERN_HOURS);
    let back = PATTERN_HOURS + 14 * 24;
    lines.extend(filler(PATTERN_HOURS, 14 * 24 * LINES_PER_HOUR));
    // ... but twelve days of steady sales later, a silence of three days is improbable again.
    lines.extend(trading(back..back + 12 * 24, 1));
    let silence_from = back + 12 * 24;
    lines.extend(filler(silence_from, 3 * 24 * LINES_PER_HOUR));
    let opened = phantom_of(&lines);
    assert_eq!(opened.len(), 2, "{opened:?}");
    assert!(opened[1].0 > minute_of(silence_from, 0).to_rfc3339(), "{opened:?}");
}

#[test]
fn a_sale_clears_it_and_the_silence_begins_again() {
    let mut lines = pattern(PATTERN_HOURS);
    lines.extend(filler(PATTERN_HOURS, SILENCE_LINES));
    lines.push(sale("back", "X", minute_of(PATTERN_HOURS + 35, 30)));
    let opened = phantom_of(&lines);
    assert_eq!(
        opened,
        [(minute_of(PATTERN_HOURS + 34, 2).to_rfc3339(), "resolved".to_owned())]
    );
    // The silence counts from the sale: as many lines again are not enough now that the share is lower (its
    // silent day is in the window), a thousand are.
    lines.extend(filler(PATTERN_HOURS + 36, SILENCE_LINES));
    assert_eq!(phantom_of(&lines).len(), 1);
    lines.extend(filler(PATTERN_HOURS + 71, 1_000));
    let opened = phantom_of(&lines);
    assert_eq!(opened.len(), 2, "{opened:?}");
    assert_eq!(opened[1].1, "open");
}

#[test]
fn an_empty_ledger_explains_the_silence_and_stock_arriving_begins_a_new_one() {
    let mut lines = pattern(PATTERN_HOURS);
    let on_hand = 500 - PATTERN_HOURS;
    lines.push(format!(
        r#"{{"id":"out","source":"t","type":"adjustment","at":"{}","location":"S1","sku":"X","qty":-{on_hand},"reason":"damage"}}"#,
        minute_of(PATTERN_HOURS, 0)
    ));
    lines.extend(filler(PATTERN_HOURS, 200));
    assert!(
        phantom_of(&lines).is_empty(),
        "nothing on the books: not selling is no surprise"
    );
    let arrived = minute_of(PATTERN_HOURS + 20, 30);
    lines.push(format!(
        r#"{{"id":"in","source":"t","type":"adjustment","at":"{arrived}","location":"S1","sku":"X","qty":40,"reason":"correction"}}"#,
    ));
    // 250 lines after the arrival: 450 since the last sale would be past the boundary.
    lines.extend(filler(PATTERN_HOURS + 21, 250));
    assert!(
        phantom_of(&lines).is_empty(),
        "the silence begins at the arrival, not at the last sale"
    );
    lines.extend(filler(PATTERN_HOURS + 46, 1_000));
    let opened = phantom_of(&lines);
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(opened[0].0 > arrived.to_rfc3339(), "{opened:?}");
}

fn count(id: &str, counted: i64, at: Timestamp) -> String {
    format!(r#"{{"id":"{id}","source":"t","type":"count","at":"{at}","location":"S1","sku":"X","counted":{counted}}}"#)
}

/// A detector's confirmation figures: confirmed, not confirmed, pending, ended unanswered, confirmed share.
type Figures = (u64, u64, u64, u64, Option<f64>);

/// Whether the field confirmed each `phantom_stock` exception, and the detector's confirmation figures.
fn confirmations(lines: &[String]) -> (Vec<Option<bool>>, Figures) {
    let engine = engine_after(lines);
    let answers = (engine.exceptions().iter())
        .filter(|view| view.exception_type == "phantom_stock")
        .map(|view| view.confirmed)
        .collect();
    let kpis = engine.kpis(minute_of(24 * 30, 0), None);
    let rate = kpis
        .confirmation
        .iter()
        .find(|rate| rate.exception_type == "phantom_stock")
        .unwrap();
    let figures = (
        rate.confirmed,
        rate.not_confirmed,
        rate.pending,
        rate.unanswered,
        rate.rate,
    );
    (answers, figures)
}

#[test]
fn the_count_that_follows_confirms_it_when_the_shelf_held_less_than_the_books() {
    let mut lines = pattern(PATTERN_HOURS);
    lines.extend(filler(PATTERN_HOURS, SILENCE_LINES));
    assert_eq!(
        confirmations(&lines),
        (vec![None], (0, 0, 1, 0, None)),
        "not answered yet"
    );
    lines.push(count("c", 3, minute_of(PATTERN_HOURS + 35, 30)));
    assert_eq!(confirmations(&lines), (vec![Some(true)], (1, 0, 0, 0, Some(1.0))));
}

#[test]
fn a_full_shelf_says_it_was_not_and_a_sale_ends_it_unanswered() {
    let on_books = 500 - PATTERN_HOURS;
    let mut lines = pattern(PATTERN_HOURS);
    lines.extend(filler(PATTERN_HOURS, SILENCE_LINES));
    lines.push(count("c", on_books, minute_of(PATTERN_HOURS + 35, 30)));
    assert_eq!(confirmations(&lines), (vec![Some(false)], (0, 1, 0, 0, Some(0.0))));
    let mut lines = pattern(PATTERN_HOURS);
    lines.extend(filler(PATTERN_HOURS, SILENCE_LINES));
    lines.push(sale("back", "X", minute_of(PATTERN_HOURS + 35, 30)));
    assert_eq!(
        confirmations(&lines),
        (vec![None], (0, 0, 0, 1, None)),
        "a shelf put back sells again as a chance silence does"
    );
}
