//! `count_overdue`: with a count schedule in the rules, every store position of a scheduled category must be
//! counted within the rule's days; each UTC midnight opens one exception per store and rule with positions
//! overdue, and the count that leaves none overdue resolves it. Without a schedule nothing is ever due.

use retex_core::rules::file::parse_rules;

use crate::Log;

const SCHEDULE: &str = "[count_schedule]\nHome = 7\n\"Home/Lamps\" = 3\n";

impl Log {
    /// A store and a warehouse stocking a kettle and a pan (Home/Kitchen), a lamp (Home/Lamps) and cola.
    fn counting_store(rules: &str) -> Log {
        let mut log = Log::with_rules(rules);
        log.event(
            "L1",
            "2026-11-01T00:00:00Z",
            r#""type":"location","code":"S01","name":"One","kind":"store""#,
        );
        log.event(
            "L2",
            "2026-11-01T00:00:00Z",
            r#""type":"location","code":"W1","name":"Hub","kind":"warehouse""#,
        );
        for (sku, category) in [
            ("K1", "Home/Kitchen"),
            ("K2", "Home/Kitchen"),
            ("LAMP", "Home/Lamps"),
            ("COLA", "Grocery/Drinks"),
        ] {
            log.event(
                &format!("P-{sku}"),
                "2026-11-01T00:00:00Z",
                &format!(r#""type":"product","sku":"{sku}","name":"{sku}","category":"{category}","uom":"unit","cost":4,"supplier":"SUP""#),
            );
            for location in ["S01", "W1"] {
                log.event(
                    &format!("A-{sku}-{location}"),
                    "2026-11-01T10:00:00Z",
                    &format!(
                        r#""type":"adjustment","location":"{location}","sku":"{sku}","qty":10,"reason":"correction""#
                    ),
                );
            }
        }
        log
    }

    fn count(&mut self, sku: &str, at: &str) {
        let body = format!(r#""type":"count","location":"S01","sku":"{sku}","counted":10"#);
        self.event(&format!("C-{sku}-{at}"), at, &body);
    }

    /// Moves the clock to `at` with a sale of cola.
    fn clock(&mut self, at: &str) {
        let body = r#""type":"sale","location":"S01","sku":"COLA","qty":1,"unit_price":2,"channel":"pos""#;
        self.event(&format!("S-{at}"), at, body);
    }

    /// The count_overdue exceptions: (location, ref, status, occurrences, explanation).
    fn overdue(&self) -> Vec<(String, String, String, u32, String)> {
        self.engine
            .exceptions()
            .iter()
            .filter(|view| view.exception_type == "count_overdue")
            .map(|view| {
                (
                    view.location.unwrap_or_default().to_owned(),
                    view.reference.unwrap_or_default().to_owned(),
                    view.status.to_owned(),
                    view.occurrences,
                    view.explanation.unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

#[test]
fn positions_not_counted_within_their_days_open_one_exception_per_store_and_rule() {
    let mut log = Log::counting_store(SCHEDULE);
    // The lamp's rule (3 days) is more specific than Home's; it is due on the 4th at 10:00.
    log.count("LAMP", "2026-11-03T09:00:00Z");
    log.count("K1", "2026-11-05T09:00:00Z");
    log.clock("2026-11-07T12:00:00Z");
    let lamp = log.overdue();
    assert_eq!(lamp.len(), 1, "{lamp:?}");
    assert_eq!(
        (lamp[0].0.as_str(), lamp[0].1.as_str(), lamp[0].2.as_str()),
        ("S01", "Home/Lamps", "open")
    );
    assert!(
        lamp[0].4.starts_with("1 of 1 positions of Home/Lamps (counted every 3 days) are overdue, holding 40.00 EUR at cost; the longest waiting fell due 2026-11-06 09:00 UTC"),
        "{}",
        lamp[0].4
    );
    // K2 was last stocked on the 1st: due on the 8th at 10:00, seen at the midnight after; K1 is due on the 12th.
    log.clock("2026-11-09T06:00:00Z");
    let home = log
        .overdue()
        .into_iter()
        .find(|row| row.1 == "Home")
        .expect("Home is overdue");
    assert!(
        home.4.starts_with("1 of 2 positions of Home (counted every 7 days)"),
        "{}",
        home.4
    );

    // Counting the kettle leaves Home with none overdue: it resolves; the lamp's stays open.
    log.count("K2", "2026-11-09T08:00:00Z");
    let statuses: Vec<(String, String)> = log.overdue().into_iter().map(|row| (row.1, row.2)).collect();
    assert_eq!(
        statuses,
        [
            ("Home/Lamps".to_owned(), "open".to_owned()),
            ("Home".to_owned(), "resolved".to_owned())
        ]
    );
}

#[test]
fn without_a_schedule_nothing_is_due() {
    let mut log = Log::counting_store("");
    log.clock("2026-12-20T12:00:00Z");
    assert!(log.overdue().is_empty());
}

#[test]
fn the_schedule_is_checked_line_by_line() {
    for (text, problem) in [
        (
            "[count_schedule]\nHome = 0\n",
            "line 2: count_schedule.Home: days between counts: a whole number from 1 to 366",
        ),
        (
            "[count_schedule]\nHome = 7.5\n",
            "line 2: count_schedule.Home: days between counts: a whole number from 1 to 366",
        ),
        (
            "[count_schedule]\nHome = 7\n\"Home/\" = 3\n",
            "line 3: count_schedule.Home/: Home is scheduled twice",
        ),
        (
            "[count_schedule]\n\"Home//Lamps\" = 3\n",
            "line 2: count_schedule.Home//Lamps: a category path such as \"Home\" or \"Grocery/Drinks\"",
        ),
        (
            "[count_schedule]\nHome = \"weekly\"\n",
            "line 2: count_schedule.Home: expected a number",
        ),
    ] {
        let errors = parse_rules(text).unwrap_err();
        assert_eq!(errors[0].to_string(), problem, "{text}");
    }
    let rules = parse_rules(SCHEDULE).unwrap();
    assert_eq!(rules.count_rule_for("Home/Kitchen/Kettles"), Some(0));
    assert_eq!(rules.count_rule_for("Home/Lamps"), Some(1));
    assert_eq!(rules.count_rule_for("Homeware/Cups"), None);
    assert_ne!(
        rules.version(),
        parse_rules("").unwrap().version(),
        "the schedule is part of the rules' version"
    );
}
