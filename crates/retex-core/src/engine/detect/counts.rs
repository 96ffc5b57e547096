//! `count_overdue`: positions of a scheduled category at a store that were not counted within the rule's days, as
//! one exception per store and rule, keyed by the rule's category.

use chrono::DateTime;

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::display;
use crate::engine::detect::{Detection, Params, key_of};
use crate::engine::ledger::LocationId;
use crate::rules::{CountRule, ExceptionType};

/// What a store's overdue positions of one rule come to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverdueCounts<'a> {
    pub rule: &'a CountRule,
    pub overdue: u32,
    pub enrolled: u32,
    /// When the longest-waiting position fell due.
    pub earliest_due: Timestamp,
    /// Their stock at cost.
    pub value: Money,
}

/// The rule's key reference: its category.
pub fn rule_reference(rule: &CountRule) -> DocumentNumber {
    DocumentNumber::parse(rule.category.as_str()).expect("a scheduled category is a non-empty path")
}

/// `count_overdue` for a store with positions of `counts.rule` overdue at `at` (a UTC midnight), caused by
/// log entry `seq`.
pub fn count_overdue(
    params: &Params<'_>,
    location: LocationId,
    counts: &OverdueCounts<'_>,
    at: Timestamp,
    seq: u64,
) -> Option<Detection> {
    let kind = ExceptionType::CountOverdue;
    if !params.is_enabled(kind) {
        return None;
    }
    let reference = rule_reference(counts.rule);
    let mut detection = Detection::at_position(kind, location, 0, at, counts.value, seq);
    detection.key = key_of(kind, Some(location), None, Some(&reference));
    detection.sku = None;
    detection.reference = Some(reference);
    detection.touches = Vec::new();
    detection.explanation = Some(explain(counts, at, params.rules.currency.as_str()));
    Some(detection)
}

/// "3 of 40 positions of Home (counted every 14 days) are overdue, holding 120.50 EUR at cost; the longest
/// waiting fell due 2026-11-15 10:00 UTC, 1 day ago".
fn explain(counts: &OverdueCounts<'_>, at: Timestamp, currency: &str) -> String {
    let due = DateTime::from_timestamp_millis(counts.earliest_due.0)
        .map(|due| due.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let days_late = (at.0 - counts.earliest_due.0).max(0) / Timestamp::MILLIS_PER_DAY;
    let day_word = if days_late == 1 { "day" } else { "days" };
    format!(
        "{} of {} positions of {} (counted every {} days) are overdue, holding {} at cost; the longest waiting \
         fell due {due}, {days_late} {day_word} ago",
        counts.overdue,
        counts.enrolled,
        counts.rule.category,
        counts.rule.every_days,
        display::money(counts.value, currency),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explanation_counts_the_positions_and_the_wait() {
        let rule = CountRule {
            category: "Home".into(),
            every_days: 14,
        };
        let counts = OverdueCounts {
            rule: &rule,
            overdue: 3,
            enrolled: 40,
            earliest_due: Timestamp::parse_rfc3339("2026-11-15T10:00:00Z").unwrap(),
            value: Money("120.5".parse().unwrap()),
        };
        assert_eq!(
            explain(
                &counts,
                Timestamp::parse_rfc3339("2026-11-17T00:00:00Z").unwrap(),
                "EUR"
            ),
            "3 of 40 positions of Home (counted every 14 days) are overdue, holding 120.50 EUR at cost; the longest \
             waiting fell due 2026-11-15 10:00 UTC, 1 day ago"
        );
    }
}
