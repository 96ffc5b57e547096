//! `recurring_problem`: three resolutions with the same root cause at one location within 30 days make a problem
//! for the location, listed with its exceptions; later ones are occurrences of it, and resolutions far apart,
//! elsewhere, with another cause or of the problem itself do not count.

use retex_core::command::{Action, RootCause};
use retex_core::engine::{Engine, Input};

use crate::{command, parse_all};

/// Ten SKUs counted short at S1 and one at S2, each on its own day of November from the 1st: exceptions 1 to
/// 10 at S1 and 11 at S2.
fn variances() -> (Engine, u64) {
    let mut lines = vec![
        r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store"}"#.to_string(),
        r#"{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S2","name":"Two","kind":"store"}"#.to_string(),
    ];
    for index in 1..=11 {
        let store = if index == 11 { "S2" } else { "S1" };
        lines.push(format!(
            r#"{{"id":"a{index}","source":"t","type":"adjustment","at":"2026-11-01T07:00:00Z","location":"{store}","sku":"K{index}","qty":100,"reason":"correction"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"c{index}","source":"t","type":"count","at":"2026-11-{index:02}T08:00:00Z","location":"{store}","sku":"K{index}","counted":50}}"#
        ));
    }
    let mut engine = Engine::default();
    let events = parse_all(&lines.join("\n"));
    let seq = events.len() as u64;
    for (index, event) in events.into_iter().enumerate() {
        engine.apply(index as u64 + 1, &Input::Event(event));
    }
    (engine, seq)
}

fn resolve(engine: &mut Engine, seq: &mut u64, id: u64, day: u32, cause: RootCause) {
    *seq += 1;
    let action = Action::Resolve {
        root_cause: cause,
        note: "recounted".into(),
        resolution: None,
    };
    engine.apply(
        *seq,
        &command(&format!("2026-11-{day:02}T12:00:00Z"), "anna", id, action),
    );
}

/// The problems: (id, location, ref, status, occurrences, explanation).
fn problems(engine: &Engine) -> Vec<(u64, String, String, String, u32, String)> {
    engine
        .exceptions()
        .iter()
        .filter(|view| view.exception_type == "recurring_problem")
        .map(|view| {
            (
                view.id,
                view.location.unwrap_or_default().to_owned(),
                view.reference.unwrap_or_default().to_owned(),
                view.status.to_owned(),
                view.occurrences,
                view.explanation.unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_third_resolution_with_one_cause_at_a_place_makes_a_problem() {
    let (mut engine, mut seq) = variances();
    resolve(&mut engine, &mut seq, 1, 2, RootCause::CountInaccuracy);
    resolve(&mut engine, &mut seq, 2, 3, RootCause::CountInaccuracy);
    resolve(&mut engine, &mut seq, 3, 4, RootCause::TheftOrShrink);
    resolve(&mut engine, &mut seq, 11, 12, RootCause::CountInaccuracy);
    resolve(&mut engine, &mut seq, 4, 5, RootCause::Other);
    assert!(
        problems(&engine).is_empty(),
        "two of one cause, others elsewhere or of another cause"
    );

    resolve(&mut engine, &mut seq, 5, 6, RootCause::CountInaccuracy);
    let found = problems(&engine);
    assert_eq!(found.len(), 1);
    let (id, location, reference, status, occurrences, explanation) = &found[0];
    assert_eq!(
        (location.as_str(), reference.as_str(), status.as_str(), *occurrences),
        ("S1", "count_inaccuracy", "open", 1)
    );
    assert_eq!(
        explanation,
        "3 exceptions resolved as count_inaccuracy here within 30 days: #1 count_variance K1 (2026-11-02), \
         #2 count_variance K2 (2026-11-03), #5 count_variance K5 (2026-11-06)"
    );

    resolve(&mut engine, &mut seq, 6, 7, RootCause::CountInaccuracy);
    assert_eq!(
        problems(&engine)[0].4,
        2,
        "a fourth is another occurrence of the open problem"
    );

    // Closing the problem with its corrective action does not count as a recurrence of anything.
    resolve(&mut engine, &mut seq, *id, 8, RootCause::CountInaccuracy);
    assert_eq!(problems(&engine)[0].3, "resolved");
}

#[test]
fn resolutions_further_apart_than_the_window_make_no_problem() {
    let (mut engine, mut seq) = variances();
    resolve(&mut engine, &mut seq, 1, 1, RootCause::CountInaccuracy);
    resolve(&mut engine, &mut seq, 2, 2, RootCause::CountInaccuracy);
    // A third on December 2nd is 31 days after the first: two within the window, no problem.
    seq += 1;
    let action = Action::Resolve {
        root_cause: RootCause::CountInaccuracy,
        note: "recounted".into(),
        resolution: None,
    };
    engine.apply(seq, &command("2026-12-02T12:00:00Z", "anna", 3, action));
    assert!(problems(&engine).is_empty());
}
