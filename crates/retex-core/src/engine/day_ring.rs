//! Counts per UTC day over the last `HISTORY_DAYS` days, as a ring: a position's sales and till lines, a store's
//! lines and exceptions. The tests hold the ring to a plain map of days.

use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;
use crate::rules::HISTORY_DAYS;

/// A UTC day number (days since the Unix epoch).
pub fn day_of(at: Timestamp) -> i32 {
    at.0.div_euclid(Timestamp::MILLIS_PER_DAY) as i32
}

/// Counts per UTC day over the last [`HISTORY_DAYS`] days, as a ring.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayRing {
    values: [u32; HISTORY_DAYS],
    /// The newest day the ring holds; older days are `last_day - 1`, ... back to `HISTORY_DAYS - 1` days.
    last_day: i32,
}

impl DayRing {
    pub fn add(&mut self, day: i32, amount: u32) {
        if day > self.last_day {
            let cleared = (day - self.last_day).min(HISTORY_DAYS as i32);
            for offset in 0..cleared {
                self.values[slot(day - offset)] = 0;
            }
            self.last_day = day;
        }
        let age = self.last_day - day;
        if age < HISTORY_DAYS as i32 {
            let value = &mut self.values[slot(day)];
            *value = value.saturating_add(amount);
        }
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
            prop_assert_eq!(ring.window(until_day, days).collect::<Vec<_>>(), expected);
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
