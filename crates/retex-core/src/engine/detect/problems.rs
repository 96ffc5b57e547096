//! `recurring_problem`: the same root cause resolved `repeats` times at one location within `window_days` is a
//! problem people own and close with a corrective action, keyed by the location and the cause.

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::command::RootCause;
use crate::engine::detect::{Detection, Params, key_of};
use crate::engine::ledger::LocationId;
use crate::rules::ExceptionType;

/// One resolution behind a problem, as its explanation names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recurrence {
    pub id: u64,
    pub exception_type: String,
    /// What it was about: its SKU or document, when it had one.
    pub about: Option<String>,
    pub resolved_at: Timestamp,
    pub impact: Money,
}

/// The problem made by `recurrences` (oldest first, at least `repeats` of them) of `cause` at `location`.
pub fn recurring_problem(
    params: &Params<'_>,
    location: LocationId,
    cause: RootCause,
    recurrences: &[Recurrence],
    window_days: u32,
    at: Timestamp,
    seq: u64,
) -> Option<Detection> {
    let kind = ExceptionType::RecurringProblem;
    if !params.is_enabled(kind) {
        return None;
    }
    let reference = DocumentNumber::parse(cause.name()).expect("a root cause's name is a code");
    let impact = recurrences
        .iter()
        .fold(Money::ZERO, |sum, recurrence| sum + recurrence.impact);
    let mut detection = Detection::at_position(kind, location, 0, at, impact, seq);
    detection.key = key_of(kind, Some(location), None, Some(&reference));
    detection.sku = None;
    detection.reference = Some(reference);
    detection.touches = Vec::new();
    detection.explanation = Some(explain(cause, recurrences, window_days));
    Some(detection)
}

/// "3 exceptions resolved as count_inaccuracy here within 30 days: #12 count_variance K1 (2026-11-03),
/// #40 count_variance K7 (2026-11-10), #77 negative_stock K1 (2026-11-21)".
fn explain(cause: RootCause, recurrences: &[Recurrence], window_days: u32) -> String {
    let listed: Vec<String> = recurrences
        .iter()
        .map(|recurrence| {
            let day = recurrence.resolved_at.to_rfc3339();
            let about = recurrence
                .about
                .as_deref()
                .map_or_else(String::new, |about| format!(" {about}"));
            format!(
                "#{} {}{about} ({})",
                recurrence.id,
                recurrence.exception_type,
                &day[..day.len().min(10)]
            )
        })
        .collect();
    format!(
        "{} exceptions resolved as {} here within {window_days} days: {}",
        recurrences.len(),
        cause.name(),
        listed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explanation_lists_the_resolutions() {
        let recurrence = |id, about: Option<&str>, day: &str| Recurrence {
            id,
            exception_type: "count_variance".into(),
            about: about.map(str::to_owned),
            resolved_at: Timestamp::parse_rfc3339(&format!("{day}T10:00:00Z")).unwrap(),
            impact: Money::ZERO,
        };
        let text = explain(
            RootCause::CountInaccuracy,
            &[
                recurrence(12, Some("K1"), "2026-11-03"),
                recurrence(40, None, "2026-11-10"),
            ],
            30,
        );
        assert_eq!(
            text,
            "2 exceptions resolved as count_inaccuracy here within 30 days: #12 count_variance K1 (2026-11-03), \
             #40 count_variance (2026-11-10)"
        );
    }
}
