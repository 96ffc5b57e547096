//! How a location is replenished, as `low_stock` learns it from the transfers shipped to it: the cadence of its
//! replenishment runs, and per position the level at which a run last shipped to it.
//!
//! A store replenished from a warehouse is refilled by runs (nightly, or on its delivery days) that ship what
//! each position needs when it has fallen below its reorder level. With nothing on its way, a position's next
//! supply is then the arrival of the first run that finds it below that level, not a lead time from now; and a
//! run that passed while the position was below it, without shipping to it, says the rhythm is broken (its
//! planning stopped, or the warehouse had none), so that only the lead time is left to count on.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;
use crate::engine::ledger::LocationId;
use crate::engine::sorted_map;

/// Transfers shipped to a location within this long of a run's first belong to that run: a warehouse ships a
/// run's transfers in a wave, not at one instant. A run counts as passed once this long after its start.
pub const RUN_SPAN_MS: i64 = 2 * 3_600_000;
/// A cadence is trusted from this many runs on.
pub const CADENCE_RUNS_MIN: u32 = 3;

/// The runs that shipped transfers to a location.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCadence {
    /// The start (first shipment) of the first run seen.
    pub first_at: Timestamp,
    /// The start of the latest run.
    pub last_at: Timestamp,
    pub runs: u32,
}

impl RunCadence {
    /// A transfer shipped to the location at `at`: part of the latest run, or the start of a new one. A
    /// shipment dated before the latest run (a late event) changes nothing.
    pub fn note_shipment(&mut self, at: Timestamp) {
        if self.runs == 0 {
            *self = Self {
                first_at: at,
                last_at: at,
                runs: 1,
            };
        } else if at.0 >= self.last_at.0 + RUN_SPAN_MS {
            self.last_at = at;
            self.runs = self.runs.saturating_add(1);
        }
    }

    /// The mean time between two runs, once there are enough to trust it.
    pub fn period_ms(&self) -> Option<i64> {
        let period = (self.last_at.0 - self.first_at.0) / i64::from(self.runs.saturating_sub(1).max(1));
        (self.runs >= CADENCE_RUNS_MIN && period > 0).then_some(period)
    }

    /// The start of the first run due at or after `at`, later than the latest run: the latest run plus whole
    /// periods.
    pub fn next_run_from(&self, at: Timestamp) -> Option<Timestamp> {
        let period = self.period_ms()?;
        let periods = ((at.0 - self.last_at.0).max(1) + period - 1) / period;
        Some(Timestamp(self.last_at.0 + periods.max(1) * period))
    }
}

/// What the runs did for one position.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PositionSupply {
    /// Its stock position (on hand - reserved + in transit) just before the latest run shipped to it, in units:
    /// the runs refill it when it is below this.
    pub reorder_level: f64,
    /// When a run last shipped to it.
    pub supplied_at: Timestamp,
    /// Since when it has been below `reorder_level` without a run shipping to it, as `low_stock` saw it.
    pub below_since: Option<Timestamp>,
}

/// The replenishment rhythm of every location and position that transfers supply.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SupplyRhythm {
    #[serde(with = "sorted_map")]
    pub cadences: FxHashMap<LocationId, RunCadence>,
    /// By packed position.
    #[serde(with = "sorted_map")]
    pub positions: FxHashMap<u64, PositionSupply>,
}

impl SupplyRhythm {
    /// A transfer shipped to `location` at `at`.
    pub fn note_transfer(&mut self, location: LocationId, at: Timestamp) {
        self.cadences.entry(location).or_default().note_shipment(at);
    }

    /// A run shipped to a position whose stock position was `level` units just before.
    pub fn note_supplied(&mut self, position: u64, level: f64, at: Timestamp) {
        let supply = PositionSupply {
            reorder_level: level,
            supplied_at: at,
            below_since: None,
        };
        let known = self.positions.entry(position).or_insert(supply);
        if at.0 >= known.supplied_at.0 {
            *known = supply;
        }
    }

    /// `low_stock` saw the position at `level` at `at`: notes since when it has been below its reorder level.
    pub fn note_level(&mut self, position: u64, level: f64, at: Timestamp) {
        let Some(supply) = self.positions.get_mut(&position) else {
            return;
        };
        if level >= supply.reorder_level {
            supply.below_since = None;
        } else if supply.below_since.is_none() {
            supply.below_since = Some(at);
        }
    }

    /// When the next run that can refill the position starts, seen at `at`: the next run of the location's
    /// cadence. `None` when the location has no cadence yet, no run ever shipped to the position, or the latest
    /// run passed while the position was below its reorder level without shipping to it.
    pub fn next_run(&self, location: LocationId, position: u64, at: Timestamp) -> Option<Timestamp> {
        let cadence = self.cadences.get(&location)?;
        let supply = self.positions.get(&position)?;
        let run_passed = at.0 >= cadence.last_at.0 + RUN_SPAN_MS && supply.supplied_at.0 < cadence.last_at.0;
        let missed = run_passed && supply.below_since.is_some_and(|since| since.0 < cadence.last_at.0);
        if missed {
            return None;
        }
        cadence.next_run_from(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn nightly(nights: i64) -> RunCadence {
        let mut cadence = RunCadence::default();
        for night in 0..nights {
            cadence.note_shipment(Timestamp(night * DAY + 20 * HOUR));
            cadence.note_shipment(Timestamp(night * DAY + 20 * HOUR + 30 * 60_000));
        }
        cadence
    }

    #[test]
    fn a_run_s_wave_is_one_run_and_the_cadence_is_the_mean_gap() {
        let cadence = nightly(4);
        assert_eq!(cadence.runs, 4);
        assert_eq!(cadence.period_ms(), Some(DAY));
        assert_eq!(nightly(2).period_ms(), None, "two runs are not a cadence");
        let noon = Timestamp(4 * DAY + 12 * HOUR);
        assert_eq!(cadence.next_run_from(noon), Some(Timestamp(4 * DAY + 20 * HOUR)));
        let after = Timestamp(4 * DAY + 21 * HOUR);
        assert_eq!(cadence.next_run_from(after), Some(Timestamp(5 * DAY + 20 * HOUR)));
    }

    #[test]
    fn a_position_waits_for_the_next_run_unless_one_passed_it_by_below_its_level() {
        let mut rhythm = SupplyRhythm::default();
        for night in 0..3 {
            rhythm.note_transfer(1, Timestamp(night * DAY + 20 * HOUR));
            rhythm.note_supplied(7, 10.0, Timestamp(night * DAY + 20 * HOUR));
        }
        let noon = Timestamp(3 * DAY + 12 * HOUR);
        rhythm.note_level(7, 4.0, noon);
        assert_eq!(rhythm.next_run(1, 7, noon), Some(Timestamp(3 * DAY + 20 * HOUR)));
        assert_eq!(rhythm.next_run(2, 7, noon), None, "no cadence at another store");
        assert_eq!(
            rhythm.next_run(1, 8, noon),
            None,
            "no run ever shipped to another position"
        );
        // Tonight's run ships to the store but not to the position.
        rhythm
            .cadences
            .get_mut(&1)
            .unwrap()
            .note_shipment(Timestamp(3 * DAY + 20 * HOUR));
        let next_morning = Timestamp(4 * DAY + 9 * HOUR);
        assert_eq!(rhythm.next_run(1, 7, next_morning), None);
        // A position above its level was not due to be shipped to.
        rhythm.note_level(7, 12.0, next_morning);
        let evening = Some(Timestamp(4 * DAY + 20 * HOUR));
        assert_eq!(rhythm.next_run(1, 7, next_morning), evening);
        rhythm.note_level(7, 3.0, next_morning);
        assert_eq!(
            rhythm.next_run(1, 7, next_morning),
            evening,
            "it fell below after the run"
        );
        rhythm.note_transfer(1, Timestamp(4 * DAY + 20 * HOUR));
        rhythm.note_supplied(7, 3.0, Timestamp(4 * DAY + 20 * HOUR));
        assert!(rhythm.next_run(1, 7, Timestamp(5 * DAY + 9 * HOUR)).is_some());
    }
}
