//! `shrink_anomaly`: a store's shrink at cost over a day (count variances below the books and write-offs) is
//! abnormal against the store's own recent days, as the streaming detector scores it, made of several losses
//! (one large loss is its own `count_variance`), and large enough to be worth a loss-prevention lead's time.

use rust_decimal::prelude::ToPrimitive;

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::codes::{Money, Timestamp};
use crate::display;
use crate::engine::detect::{Detection, Params, key_of};
use crate::engine::ledger::LocationId;
use crate::engine::shrink_series::ClosedDay;
use crate::rules::{ExceptionType, Param};

/// The closed day `day` at `location`, judged at `due_at` (the UTC midnight that closed it) by log entry `seq`;
/// `recent` is the store's shrink on the days before it, oldest first.
pub fn shrink_anomaly(
    params: &Params<'_>,
    location: LocationId,
    day: &ClosedDay,
    recent: &[f64],
    due_at: Timestamp,
    seq: u64,
) -> Option<Detection> {
    let kind = ExceptionType::ShrinkAnomaly;
    if !params.is_enabled(kind) {
        return None;
    }
    let min_shrink = params.get(kind, Param::MinShrink, Some(location), None);
    let threshold = params.get(kind, Param::AnomalyScore, Some(location), None);
    let min_losses = params.get(kind, Param::MinLosses, Some(location), None);
    if day.amount.0 < min_shrink
        || rust_decimal::Decimal::from(day.losses) < min_losses
        || day.score < threshold.to_f64().unwrap_or(1.0)
    {
        return None;
    }
    let mut detection = Detection::at_position(kind, location, 0, due_at, day.amount, seq);
    detection.key = key_of(kind, Some(location), None, None);
    detection.sku = None;
    detection.touches = Vec::new();
    let currency = params.rules.currency.as_str();
    detection.explanation = Some(explain(day, recent, threshold.to_f64().unwrap_or(1.0), currency));
    Some(detection)
}

/// "shrink at cost 1,234.50 EUR in the day (7 losses: counts below the books and write-offs); the 28 days
/// before: median 0.00, highest 85.20; anomaly score 0.97 (threshold 0.50)".
fn explain(day: &ClosedDay, recent: &[f64], threshold: f64, currency: &str) -> String {
    let mut sorted = recent.to_vec();
    sorted.sort_by(f64::total_cmp);
    let amount = |value: f64| display::amount_only(Money(Decimal::from_f64(value).unwrap_or_default()));
    let median = amount(sorted.get(sorted.len() / 2).copied().unwrap_or(0.0));
    let highest = amount(sorted.last().copied().unwrap_or(0.0));
    format!(
        "shrink at cost {} in the day ({} losses: counts below the books and write-offs); the {} days before: \
         median {median}, highest {highest}; anomaly score {:.2} (threshold {threshold:.2})",
        display::money(day.amount, currency),
        day.losses,
        recent.len(),
        day.score,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explanation_states_the_day_against_its_usual_range() {
        let day = ClosedDay {
            amount: Money("1234.5".parse().unwrap()),
            losses: 7,
            score: 0.97,
        };
        assert_eq!(
            explain(&day, &[0.0, 85.2, 0.0, 12.0, 0.0], 0.5, "EUR"),
            "shrink at cost 1,234.50 EUR in the day (7 losses: counts below the books and write-offs); the 5 days before: \
             median 0.00, highest 85.20; anomaly score 0.97 (threshold 0.50)"
        );
    }
}
