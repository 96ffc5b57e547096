//! `shrink_anomaly`: each UTC midnight closes every store's day of shrink at cost; a day of several losses far
//! beyond the store's usual days opens one for the store, with the day against its usual range, and a single
//! large loss does not.

use crate::Log;

impl Log {
    fn shrinking_store(rules: &str) -> Log {
        let mut log = Log::with_rules(rules);
        log.event(
            "L1",
            "2026-11-01T00:00:00Z",
            r#""type":"location","code":"S01","name":"Store 1","kind":"store""#,
        );
        for sku in 1..=9 {
            log.event(
                &format!("P{sku}"),
                "2026-11-01T00:00:00Z",
                &format!(
                    r#""type":"product","sku":"{sku}","name":"Item {sku}","category":"Home/Lamps","uom":"unit","cost":25,"supplier":"SUP1""#
                ),
            );
            log.event(
                &format!("A{sku}"),
                "2026-11-01T00:00:00Z",
                &format!(r#""type":"adjustment","location":"S01","sku":"{sku}","qty":500,"reason":"correction""#),
            );
        }
        log
    }

    /// A write-off of `units` of `sku` on November `day`, at 10:00 plus `minute`.
    fn lose(&mut self, day: u32, sku: u32, units: u32, minute: u32) {
        self.event(
            &format!("W{day}-{sku}-{minute}"),
            &format!("2026-11-{day:02}T10:{minute:02}:00Z"),
            &format!(r#""type":"adjustment","location":"S01","sku":"{sku}","qty":-{units},"reason":"theft""#),
        );
    }

    /// Two weeks and more of one small theft every third day, up to November `last_day`.
    fn usual_days(&mut self, last_day: u32) {
        for day in (2..=last_day).step_by(3) {
            self.lose(day, 1, 1, 0);
        }
    }

    /// The shrink anomalies so far: (location, impact, explanation).
    fn anomalies(&self) -> Vec<(String, String, String)> {
        self.engine
            .exceptions()
            .iter()
            .filter(|view| view.exception_type == "shrink_anomaly")
            .map(|view| {
                (
                    view.location.unwrap_or_default().to_owned(),
                    view.impact.0.to_string(),
                    view.explanation.unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

#[test]
fn a_day_of_many_losses_far_beyond_the_usual_opens_one_for_the_store() {
    let mut log = Log::shrinking_store("");
    log.usual_days(20);
    for sku in 2..=7 {
        log.lose(21, sku, 4, sku);
    }
    assert!(log.anomalies().is_empty(), "the day is judged when it closes");
    log.event(
        "next",
        "2026-11-22T00:30:00Z",
        r#""type":"sale","location":"S01","sku":"9","qty":1,"unit_price":40,"channel":"pos""#,
    );
    let anomalies = log.anomalies();
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    let (location, impact, explanation) = &anomalies[0];
    assert_eq!(location, "S01");
    assert_eq!(impact, "600");
    assert!(
        explanation.starts_with("shrink at cost 600.00 EUR in the day (6 losses"),
        "{explanation}"
    );
    assert!(explanation.contains("median 0.00, highest 25.00"), "{explanation}");
}

#[test]
fn one_large_loss_is_its_own_count_variance_not_an_unusual_day() {
    let mut log = Log::shrinking_store("");
    log.usual_days(20);
    log.lose(21, 2, 400, 0);
    log.event(
        "next",
        "2026-11-22T00:30:00Z",
        r#""type":"sale","location":"S01","sku":"9","qty":1,"unit_price":40,"channel":"pos""#,
    );
    assert!(log.anomalies().is_empty());
}

#[test]
fn the_first_two_weeks_learn_the_store_and_the_rules_can_turn_it_off() {
    let mut early = Log::shrinking_store("");
    for sku in 2..=7 {
        early.lose(5, sku, 4, sku);
    }
    early.event(
        "next",
        "2026-11-06T00:30:00Z",
        r#""type":"sale","location":"S01","sku":"9","qty":1,"unit_price":40,"channel":"pos""#,
    );
    assert!(early.anomalies().is_empty(), "no judgement before the warm-up");

    let mut off = Log::shrinking_store("[types.shrink_anomaly]\nenabled = false\n");
    off.usual_days(20);
    for sku in 2..=7 {
        off.lose(21, sku, 4, sku);
    }
    off.event(
        "next",
        "2026-11-22T00:30:00Z",
        r#""type":"sale","location":"S01","sku":"9","qty":1,"unit_price":40,"channel":"pos""#,
    );
    assert!(off.anomalies().is_empty());
}

#[test]
fn corrections_are_not_shrink() {
    let mut log = Log::shrinking_store("");
    log.usual_days(20);
    for sku in 2..=7 {
        log.event(
            &format!("C{sku}"),
            "2026-11-21T10:00:00Z",
            &format!(r#""type":"adjustment","location":"S01","sku":"{sku}","qty":-40,"reason":"correction""#),
        );
    }
    log.event(
        "next",
        "2026-11-22T00:30:00Z",
        r#""type":"sale","location":"S01","sku":"9","qty":1,"unit_price":40,"channel":"pos""#,
    );
    assert!(log.anomalies().is_empty());
}
