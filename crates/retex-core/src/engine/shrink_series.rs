//! A store's shrink at cost, a day at a time, for `shrink_anomaly`: what the store lost since the last daily
//! check (count variances below the books, and write-offs for damage, theft, expiry or other reasons), its
//! recent days for the explanation, and the streaming detector that judges each closed day against the store's
//! own history. Fixed size whatever the history's length.

use std::collections::VecDeque;

use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::anomaly::{DetectorConfig, StreamingDetector};
use crate::codes::Money;

/// Closed days kept for the explanation's usual range (four weeks).
pub const SHRINK_RECENT_DAYS: usize = 28;

/// The detector's parameters for daily shrink: eight weeks of history, two weeks before the first judgement,
/// each day judged on its own, and no rest after a high score (the open exception takes the days that follow
/// as occurrences, and a high score that the rules did not report must not blind the next day).
pub const DAILY_SHRINK_DETECTOR: DetectorConfig = DetectorConfig {
    history_rows: 56,
    warm_up_rows: 14,
    likelihood_rows: 1,
    likelihood_alpha: 0.05,
    range_tolerance: 0.5,
    rest_level: 1.0,
    rest_rows: 0,
    value_weight: 1.0,
    spread_weight: 0.0,
    spread_span_rows: 7.0,
};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShrinkSeries {
    /// Shrink at cost since the last daily check, and how many losses made it.
    pub open_amount: Money,
    pub open_losses: u32,
    /// The closed days' shrink, oldest first, at most [`SHRINK_RECENT_DAYS`].
    pub recent: VecDeque<f64>,
    detector: StreamingDetector,
}

/// A closed day: its shrink, how many losses made it, and the detector's score for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedDay {
    pub amount: Money,
    pub losses: u32,
    pub score: f64,
}

impl Default for ShrinkSeries {
    fn default() -> Self {
        Self {
            open_amount: Money::ZERO,
            open_losses: 0,
            recent: VecDeque::with_capacity(SHRINK_RECENT_DAYS),
            detector: StreamingDetector::new(DAILY_SHRINK_DETECTOR),
        }
    }
}

impl ShrinkSeries {
    /// Adds a loss at cost to the open day.
    pub fn record_loss(&mut self, amount: Money) {
        self.open_amount += amount;
        self.open_losses += 1;
    }

    /// Closes the open day: scores it, and keeps it among the recent days. The scores come before the day
    /// joins `recent`, so `recent` is the usual range it was judged against.
    pub fn close_day(&mut self) -> ClosedDay {
        let amount = self.open_amount;
        let value = amount.0.to_f64().unwrap_or(0.0);
        let day = ClosedDay {
            amount,
            losses: self.open_losses,
            score: self.detector.score(value),
        };
        if self.recent.len() == SHRINK_RECENT_DAYS {
            self.recent.pop_front();
        }
        self.recent.push_back(value);
        self.open_amount = Money::ZERO;
        self.open_losses = 0;
        day
    }
}
