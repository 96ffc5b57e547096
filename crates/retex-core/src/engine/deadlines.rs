//! The deadline queue: obligations with a due instant ("received within 4 h of expected").
//!
//! Before an input is applied the clock moves to its time and every deadline strictly before that time fires, in
//! time order (exceptions.md). Entries are not removed when an obligation changes or is met; a fired entry is
//! checked against the document's current state, which keeps rescheduling a plain insert.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Timestamp};

/// What falls due.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Deadline {
    /// A shipped transfer must be received by now.
    TransferReceipt(DocumentNumber),
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DeadlineQueue {
    entries: BTreeSet<(Timestamp, Deadline)>,
}

impl DeadlineQueue {
    pub fn schedule(&mut self, due_at: Timestamp, deadline: Deadline) {
        self.entries.insert((due_at, deadline));
    }

    /// Removes and returns the earliest deadline due strictly before `now`.
    pub fn pop_due_before(&mut self, now: Timestamp) -> Option<(Timestamp, Deadline)> {
        let first = self.entries.first()?;
        if first.0 >= now {
            return None;
        }
        self.entries.pop_first()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
