//! The deadline queue: obligations with a due instant ("received within 4 h of expected").
//!
//! Before an input is applied the clock moves to its time and every deadline strictly before that time fires, in
//! time order (exceptions.md). Entries are not removed when an obligation changes or is met; a fired entry is
//! checked against the document's current state, which keeps rescheduling a plain insert.
//!
//! The queue pops in exactly the order of a sorted set of `(due, deadline)`; an entry scheduled twice is popped
//! twice in a row and fires once. A snapshot holds the entries sorted. It is two binary heaps: `phantom_stock`
//! checks, most of what falls due (a fast mover's check comes round again every few sales), keep to a heap of
//! 16-byte entries that compare as integers, and every other deadline to a heap of its own; a pop takes the
//! smaller of the two heads.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{DocumentNumber, Timestamp};
use crate::engine::ledger::{LocationId, SkuId, pack, unpack};
use crate::engine::{Engine, Output};

/// What falls due.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Deadline {
    /// A shipped transfer must be received by now (`transfer_overdue`).
    TransferReceipt(DocumentNumber),
    /// A purchase order's expected delivery (`po_late`).
    PurchaseOrderExpected(DocumentNumber),
    /// A received return must be refunded by now (`refund_overdue`).
    Refund(DocumentNumber),
    /// An order must have shipped by now (`order_at_risk`).
    OrderShipment(DocumentNumber),
    /// A selling item has been silent this long (`phantom_stock`).
    PhantomCheck(LocationId, SkuId),
    /// UTC midnight: the daily test of store exception rates (`store_exception_rate`) and the forgetting of
    /// till receipts too old to return against.
    Daily,
    /// An exception's SLA target falls due: a breach if it is not met. Before the escalation it causes at the
    /// same instant.
    Breach(u64, Target),
    /// An exception's escalation level (1-based, in the policy's order) falls due.
    Escalation(u64, u8),
    /// The n-th reminder of an unacknowledged exception.
    Renotify(u64, u8),
    /// The n-th repeat of the last escalation level of an unresolved exception.
    Repeat(u64, u8),
}

/// An SLA target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    Acknowledge,
    Resolve,
}

#[derive(Clone, Debug, Default)]
pub struct DeadlineQueue {
    /// Every deadline but the `phantom_stock` checks.
    entries: BinaryHeap<Reverse<(Timestamp, Deadline)>>,
    /// `phantom_stock` checks by due time, then position (both ids packed as in the ledger), which is the
    /// order of their `Deadline::PhantomCheck`s.
    phantom_checks: BinaryHeap<Reverse<(Timestamp, u64)>>,
}

impl DeadlineQueue {
    pub fn schedule(&mut self, due_at: Timestamp, deadline: Deadline) {
        match deadline {
            Deadline::PhantomCheck(location, sku) => self.phantom_checks.push(Reverse((due_at, pack(location, sku)))),
            deadline => self.entries.push(Reverse((due_at, deadline))),
        }
    }

    /// Removes and returns the earliest deadline due strictly before `now`, with any copies of it.
    pub fn pop_due_before(&mut self, now: Timestamp) -> Option<(Timestamp, Deadline)> {
        let check = self.phantom_checks.peek().map(|&Reverse(check)| check);
        let check_first = match (check, self.entries.peek()) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((due_at, position)), Some(Reverse(other))) => (due_at, phantom_check(position)) < *other,
        };
        if check_first {
            check.filter(|&(due_at, _)| due_at < now)?;
            let (due_at, position) = pop_with_copies(&mut self.phantom_checks)?;
            return Some((due_at, phantom_check(position)));
        }
        if self.entries.peek()?.0.0 >= now {
            return None;
        }
        pop_with_copies(&mut self.entries)
    }

    pub fn next_due(&self) -> Option<Timestamp> {
        let other = self.entries.peek().map(|Reverse((due_at, _))| *due_at);
        let check = self.phantom_checks.peek().map(|Reverse((due_at, _))| *due_at);
        other.into_iter().chain(check).min()
    }

    pub fn len(&self) -> usize {
        self.entries.len() + self.phantom_checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.phantom_checks.is_empty()
    }

    /// The distinct entries in the order they fall due.
    fn sorted(&self) -> Vec<(Timestamp, Deadline)> {
        let others = self.entries.iter().map(|Reverse(entry)| entry.clone());
        let checks = (self.phantom_checks.iter()).map(|&Reverse((due_at, position))| (due_at, phantom_check(position)));
        let mut entries: Vec<(Timestamp, Deadline)> = others.chain(checks).collect();
        entries.sort_unstable();
        entries.dedup();
        entries
    }
}

/// Pops the head of `heap` and any copies of it right behind.
fn pop_with_copies<T: Ord>(heap: &mut BinaryHeap<Reverse<T>>) -> Option<T> {
    let Reverse(head) = heap.pop()?;
    while heap.peek().is_some_and(|Reverse(next)| *next == head) {
        heap.pop();
    }
    Some(head)
}

fn phantom_check(position: u64) -> Deadline {
    let (location, sku) = unpack(position);
    Deadline::PhantomCheck(location, sku)
}

impl Serialize for DeadlineQueue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.sorted())
    }
}

impl<'de> Deserialize<'de> for DeadlineQueue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut queue = Self::default();
        for (due_at, deadline) in Vec::<(Timestamp, Deadline)>::deserialize(deserializer)? {
            queue.schedule(due_at, deadline);
        }
        Ok(queue)
    }
}

impl Engine {
    /// Fires, in time order, every deadline due strictly before `now`.
    pub(super) fn fire_deadlines_before(&mut self, now: Timestamp, outputs: &mut Vec<Output>) {
        while let Some((due_at, deadline)) = self.state.deadlines.pop_due_before(now) {
            match deadline {
                Deadline::TransferReceipt(transfer) => self.fire_transfer_receipt(&transfer, due_at, outputs),
                Deadline::PurchaseOrderExpected(po) => self.fire_po_expected(&po, due_at, outputs),
                Deadline::Refund(return_number) => self.fire_refund_due(&return_number, due_at, outputs),
                Deadline::OrderShipment(order) => self.fire_order_at_risk(&order, due_at, outputs),
                Deadline::PhantomCheck(location, sku) => self.fire_phantom_check(location, sku, due_at, outputs),
                Deadline::Daily => self.fire_daily(due_at, outputs),
                Deadline::Escalation(exception, level) => {
                    self.fire_escalation(exception, level, due_at, outputs);
                    self.continue_sla_steps(exception, (due_at, deadline));
                }
                Deadline::Breach(exception, target) => {
                    self.fire_breach(exception, target, due_at, outputs);
                    self.continue_sla_steps(exception, (due_at, deadline));
                }
                Deadline::Renotify(exception, count) => self.fire_renotify(exception, count, due_at, outputs),
                Deadline::Repeat(exception, count) => self.fire_repeat(exception, count, due_at, outputs),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_pop_in_time_then_deadline_order_and_a_copy_fires_once() {
        let mut queue = DeadlineQueue::default();
        queue.schedule(Timestamp(30), Deadline::Daily);
        queue.schedule(Timestamp(10), Deadline::Repeat(2, 1));
        queue.schedule(Timestamp(10), Deadline::Breach(7, Target::Resolve));
        queue.schedule(Timestamp(10), Deadline::Breach(7, Target::Acknowledge));
        queue.schedule(Timestamp(10), Deadline::Breach(7, Target::Acknowledge));
        queue.schedule(Timestamp(20), Deadline::Escalation(1, 1));
        queue.schedule(Timestamp(10), Deadline::PhantomCheck(3, 4));
        queue.schedule(Timestamp(10), Deadline::PhantomCheck(2, 9));
        queue.schedule(Timestamp(10), Deadline::PhantomCheck(2, 9));
        queue.schedule(Timestamp(5), Deadline::PhantomCheck(7, 7));
        queue.schedule(
            Timestamp(10),
            Deadline::OrderShipment(DocumentNumber::parse("W1").unwrap()),
        );
        let saved = postcard::to_stdvec(&queue).unwrap();
        let mut popped = Vec::new();
        while let Some(entry) = queue.pop_due_before(Timestamp(30)) {
            popped.push(entry);
        }
        assert_eq!(
            popped,
            vec![
                (Timestamp(5), Deadline::PhantomCheck(7, 7)),
                (
                    Timestamp(10),
                    Deadline::OrderShipment(DocumentNumber::parse("W1").unwrap())
                ),
                (Timestamp(10), Deadline::PhantomCheck(2, 9)),
                (Timestamp(10), Deadline::PhantomCheck(3, 4)),
                (Timestamp(10), Deadline::Breach(7, Target::Acknowledge)),
                (Timestamp(10), Deadline::Breach(7, Target::Resolve)),
                (Timestamp(10), Deadline::Repeat(2, 1)),
                (Timestamp(20), Deadline::Escalation(1, 1)),
            ]
        );
        assert_eq!(queue.next_due(), Some(Timestamp(30)), "due at 30 is not before 30");
        let restored: DeadlineQueue = postcard::from_bytes(&saved).unwrap();
        assert_eq!(restored.len(), 9, "a snapshot keeps one of each copy");
        assert_eq!(postcard::to_stdvec(&restored).unwrap(), saved);
    }
}
