//! People's resolutions by location and root cause, for `recurring_problem`: the same cause resolved again and
//! again at one place is a problem to own and correct, not a run of unrelated exceptions. Each list keeps only
//! the resolutions within the longest window the rules allow.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;
use crate::command::RootCause;
use crate::engine::ledger::LocationId;
use crate::engine::sorted_map;

/// A person's resolution: when, and which exception.
pub type Resolved = (Timestamp, u64);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Recurrences {
    #[serde(with = "sorted_map")]
    by_place: FxHashMap<(LocationId, RootCause), VecDeque<Resolved>>,
}

impl Recurrences {
    /// Records a resolution and returns the resolutions with the same cause at the same place since `since`,
    /// oldest first, this one included; older ones are forgotten.
    pub fn record(
        &mut self,
        location: LocationId,
        cause: RootCause,
        resolved: Resolved,
        since: Timestamp,
    ) -> &VecDeque<Resolved> {
        let list = self.by_place.entry((location, cause)).or_default();
        // Resolved again after a reopening: the latest resolution stands for it.
        list.retain(|&(_, id)| id != resolved.1);
        list.push_back(resolved);
        while list.front().is_some_and(|&(at, _)| at < since) {
            list.pop_front();
        }
        list
    }
}
