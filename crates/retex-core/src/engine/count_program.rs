//! The cycle-count program behind `count_overdue`: when each position of a scheduled category at a store is next
//! due to be counted. Kept ordered by store, rule and due time, so the positions overdue at an instant are one
//! range, whatever the number of positions.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;
use crate::engine::ledger::{LocationId, SkuId, pack};
use crate::engine::sorted_map;

/// A store and the index of a count rule in the rules' `count_schedule`.
pub type CountGroup = (LocationId, u16);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CountProgram {
    /// Per enrolled position (packed location and SKU): its rule and when it is next due.
    #[serde(with = "sorted_map")]
    enrolled: FxHashMap<u64, (u16, Timestamp)>,
    /// Every enrolled position as (location, rule, due, SKU).
    due: BTreeSet<(LocationId, u16, Timestamp, SkuId)>,
    /// Positions enrolled per store and rule.
    #[serde(with = "sorted_map")]
    sizes: FxHashMap<CountGroup, u32>,
}

/// The positions of a store and rule overdue at an instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Overdue {
    pub skus: Vec<SkuId>,
    /// The earliest due time among them: how long the longest-waiting position has waited.
    pub earliest_due: Timestamp,
}

impl CountProgram {
    pub fn is_enrolled(&self, location: LocationId, sku: SkuId) -> bool {
        self.enrolled.contains_key(&pack(location, sku))
    }

    /// Sets when the position is next due, enrolling it under `rule` if it was not.
    pub fn schedule(&mut self, location: LocationId, sku: SkuId, rule: u16, due: Timestamp) {
        match self.enrolled.insert(pack(location, sku), (rule, due)) {
            Some((old_rule, old_due)) => {
                self.due.remove(&(location, old_rule, old_due, sku));
                if old_rule != rule {
                    self.resize((location, old_rule), -1);
                    self.resize((location, rule), 1);
                }
            }
            None => self.resize((location, rule), 1),
        }
        self.due.insert((location, rule, due, sku));
    }

    fn resize(&mut self, group: CountGroup, delta: i32) {
        let size = self.sizes.entry(group).or_default();
        *size = size.saturating_add_signed(delta);
    }

    /// The positions of `group` due at or before `at`, earliest first; `None` when there are none.
    pub fn overdue(&self, group: CountGroup, at: Timestamp) -> Option<Overdue> {
        let (location, rule) = group;
        let mut range = self
            .due
            .range((location, rule, Timestamp(i64::MIN), SkuId::MIN)..=(location, rule, at, SkuId::MAX))
            .peekable();
        let earliest_due = range.peek()?.2;
        Some(Overdue {
            skus: range.map(|&(_, _, _, sku)| sku).collect(),
            earliest_due,
        })
    }

    /// Positions enrolled in `group`.
    pub fn size(&self, group: CountGroup) -> u32 {
        self.sizes.get(&group).copied().unwrap_or(0)
    }

    /// Every store and rule with enrolled positions, in order.
    pub fn groups(&self) -> Vec<CountGroup> {
        let mut groups: Vec<CountGroup> = self.sizes.keys().copied().collect();
        groups.sort_unstable();
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_positions_are_the_range_due_by_the_instant() {
        let mut program = CountProgram::default();
        program.schedule(1, 10, 0, Timestamp(100));
        program.schedule(1, 11, 0, Timestamp(300));
        program.schedule(1, 12, 1, Timestamp(50));
        program.schedule(2, 10, 0, Timestamp(50));
        let overdue = program.overdue((1, 0), Timestamp(200)).unwrap();
        assert_eq!((overdue.skus, overdue.earliest_due), (vec![10], Timestamp(100)));
        assert_eq!(program.overdue((1, 0), Timestamp(99)), None);
        // A count moves the position's due time on.
        program.schedule(1, 10, 0, Timestamp(400));
        assert_eq!(program.overdue((1, 0), Timestamp(200)), None);
        assert_eq!(program.size((1, 0)), 2);
        assert_eq!(program.groups(), vec![(1, 0), (1, 1), (2, 0)]);
        assert!(program.is_enrolled(2, 10) && !program.is_enrolled(2, 11));
    }
}
