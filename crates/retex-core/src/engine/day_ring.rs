//! Counts per UTC day over the last `HISTORY_DAYS` days, as a ring: a position's sales and till lines, a store's
//! lines and exceptions. A window total ending on the newest day is remembered and kept up as the day goes on.
//! The tests hold the ring to a plain map of days.

use std::num::NonZeroU8;

use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;
use crate::rules::HISTORY_DAYS;

/// A UTC day number (days since the Unix epoch).
pub fn day_of(at: Timestamp) -> i32 {
    at.0.div_euclid(Timestamp::MILLIS_PER_DAY) as i32
}

/// Counts per UTC day over the last [`HISTORY_DAYS`] days, as a ring.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DayRing {
    values: [u32; HISTORY_DAYS],
    /// The newest day the ring holds; older days are `last_day - 1`, ... back to `HISTORY_DAYS - 1` days.
    last_day: i32,
    /// The last [`Self::window_total`] of a window ending on `last_day`, kept up to date by [`Self::add`] until
    /// the day moves on: an item's sales on one day each ask for the same window. Derived, not state.
    #[serde(skip)]
    latest_window: Option<WindowTotal>,
}

/// A window's length in days, the sum of its values, and how many of them are not zero: 16 bytes with its
/// `Option` (the length is never zero, which leaves room for the tag), in every position's sales history.
#[derive(Clone, Copy, Debug)]
struct WindowTotal {
    total: u64,
    days: NonZeroU8,
    nonzero: u8,
}

/// Equal rings hold equal days, whatever they remember of their windows.
impl PartialEq for DayRing {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values && self.last_day == other.last_day
    }
}

impl DayRing {
    pub fn add(&mut self, day: i32, amount: u32) {
        if day > self.last_day {
            let cleared = (day - self.last_day).min(HISTORY_DAYS as i32);
            for offset in 0..cleared {
                self.values[slot(day - offset)] = 0;
            }
            self.last_day = day;
            self.latest_window = None;
        }
        let age = self.last_day - day;
        if age < HISTORY_DAYS as i32 {
            let value = &mut self.values[slot(day)];
            let before = *value;
            *value = value.saturating_add(amount);
            if let Some(window) = &mut self.latest_window
                && (age as usize) < usize::from(window.days.get()).min(HISTORY_DAYS)
            {
                window.total += u64::from(*value - before);
                window.nonzero += u8::from(before == 0 && *value > 0);
            }
        }
    }

    /// The sum of [`Self::window`] and how many of its days are not zero; a window ending on the newest day is
    /// remembered and kept up to date (see `latest_window`).
    pub fn window_total(&mut self, until_day: i32, days: usize) -> (u64, usize) {
        if let Some(window) = self.remembered(until_day, days) {
            return (window.total, usize::from(window.nonzero));
        }
        let ends_on_latest = until_day == self.last_day;
        let (mut total, mut nonzero) = (0, 0);
        for value in self.window(until_day, days) {
            total += u64::from(value);
            nonzero += usize::from(value > 0);
        }
        // A window is at most `HISTORY_DAYS` long, so its count of days with sales fits a byte.
        if ends_on_latest && let Some(days) = u8::try_from(days).ok().and_then(NonZeroU8::new) {
            self.latest_window = Some(WindowTotal {
                total,
                days,
                nonzero: nonzero as u8,
            });
        }
        (total, nonzero)
    }

    fn remembered(&self, until_day: i32, days: usize) -> Option<WindowTotal> {
        (self.latest_window).filter(|window| until_day == self.last_day && usize::from(window.days.get()) == days)
    }

    /// The value of `day`, 0 for a day the ring does not hold.
    pub fn value_on(&self, day: i32) -> u32 {
        let age = self.last_day - day;
        if (0..HISTORY_DAYS as i32).contains(&age) {
            self.values[slot(day)]
        } else {
            0
        }
    }

    /// The values of the `days` days ending at `until_day` that the ring holds, newest first (a day it does not
    /// hold counts nothing).
    pub fn window(&self, until_day: i32, days: usize) -> impl Iterator<Item = u32> + '_ {
        let newest = until_day.min(self.last_day);
        let oldest = (until_day - days.min(HISTORY_DAYS) as i32).max(self.last_day - HISTORY_DAYS as i32) + 1;
        let held = (newest - oldest + 1).max(0);
        (0..held).map(move |offset| self.values[slot(newest - offset)])
    }
}

fn slot(day: i32) -> usize {
    const _: () = assert!(HISTORY_DAYS.is_power_of_two());
    // The Euclidean remainder by a power of two, as a mask: the index is in bounds without a check.
    (day & (HISTORY_DAYS as i32 - 1)) as usize
}

const _: () = assert!(size_of::<Option<WindowTotal>>() == 16);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A window sums what a plain map of the kept days would: the newest day seen and the
        /// `HISTORY_DAYS - 1` before it.
        #[test]
        fn a_window_sums_the_days_a_map_would_keep(
            adds in proptest::collection::vec((90i32..140, 1u32..5), 0..60),
            until_day in 80i32..150,
            days in 0usize..20,
        ) {
            let mut ring = DayRing::default();
            let mut map = std::collections::BTreeMap::new();
            let mut newest = 0;
            for &(day, amount) in &adds {
                ring.add(day, amount);
                newest = newest.max(day);
                if newest - day < HISTORY_DAYS as i32 {
                    *map.entry(day).or_insert(0u32) += amount;
                }
            }
            let kept = |day: i32| newest - day < HISTORY_DAYS as i32 && day <= newest;
            let expected: Vec<u32> = (0..days.min(HISTORY_DAYS) as i32)
                .map(|offset| until_day - offset)
                .filter(|&day| kept(day))
                .map(|day| map.get(&day).copied().unwrap_or(0))
                .collect();
            let total = expected.iter().map(|&value| u64::from(value)).sum();
            let nonzero = expected.iter().filter(|&&value| value > 0).count();
            prop_assert_eq!(ring.window(until_day, days).collect::<Vec<_>>(), expected);
            prop_assert_eq!(ring.window_total(until_day, days), (total, nonzero));
        }

        /// A remembered window total, kept up by every later add, is the total summed afresh.
        #[test]
        fn a_remembered_window_total_is_the_total(
            adds in proptest::collection::vec((90i32..110, 0u32..5), 0..80),
            days in 0usize..20,
        ) {
            let mut ring = DayRing::default();
            for &(day, amount) in &adds {
                ring.add(day, amount);
                let newest = ring.last_day;
                let fresh = DayRing { latest_window: None, ..ring.clone() }.window_total(newest, days);
                prop_assert_eq!(ring.window_total(newest, days), fresh, "day {} days {}", day, days);
            }
        }
    }

    #[test]
    fn the_day_ring_forgets_old_days_and_keeps_late_ones() {
        let mut ring = DayRing::default();
        ring.add(100, 5);
        ring.add(101, 7);
        ring.add(100, 1); // a late sale for yesterday
        assert_eq!(ring.window(101, 3).collect::<Vec<_>>(), vec![7, 6, 0]);
        ring.add(130, 2); // a month later: everything before is gone
        assert_eq!(ring.window(130, 16).sum::<u32>(), 2);
        ring.add(100, 9); // too old to keep
        assert_eq!(ring.window(130, 16).sum::<u32>(), 2);
    }
}
