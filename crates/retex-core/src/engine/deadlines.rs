//! The deadline queue: obligations with a due instant ("received within 4 h of expected").
//!
//! Before an input is applied the clock moves to its time and every deadline strictly before that time fires, in
//! time order (exceptions.md). Entries are not removed when an obligation changes or is met; a fired entry is
//! checked against the document's current state, which keeps rescheduling a plain insert.
//!
//! The queue pops in exactly the order of a sorted set of `(due, deadline)`; an entry scheduled twice is popped
//! twice in a row and fires once. A snapshot holds the entries sorted. It is two binary heaps: exceptions' SLA
//! steps, most of what falls due (every exception has its steps), keep to a heap of 16-byte entries that compare
//! as integers ([`pack`]); the documents' deadlines and the daily one to a heap of their own. A pop takes the
//! smaller of the two heads.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{DocumentNumber, Timestamp};

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
    /// Every deadline that does not [`pack`].
    entries: BinaryHeap<Reverse<(Timestamp, Deadline)>>,
    /// SLA steps by due time, then [`pack`], which orders them as their `Deadline`s.
    packed: BinaryHeap<Reverse<(Timestamp, u64)>>,
}

/// A packed entry is 16 bytes, as the module documentation says.
const _: () = assert!(size_of::<Reverse<(Timestamp, u64)>>() == 16);

impl DeadlineQueue {
    pub fn schedule(&mut self, due_at: Timestamp, deadline: Deadline) {
        match pack(&deadline) {
            Some(packed) => self.packed.push(Reverse((due_at, packed))),
            None => self.entries.push(Reverse((due_at, deadline))),
        }
    }

    /// Removes and returns the earliest deadline due strictly before `now`, with any copies of it.
    pub fn pop_due_before(&mut self, now: Timestamp) -> Option<(Timestamp, Deadline)> {
        let packed = self.packed.peek().map(|&Reverse(packed)| packed);
        let packed_first = match (packed, self.entries.peek()) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            // Only a tie in time needs the deadlines themselves.
            (Some((due_at, packed)), Some(Reverse((other_due_at, other)))) => match due_at.cmp(other_due_at) {
                std::cmp::Ordering::Equal => unpack(packed) < *other,
                order => order.is_lt(),
            },
        };
        if packed_first {
            packed.filter(|&(due_at, _)| due_at < now)?;
            let (due_at, packed) = pop_with_copies(&mut self.packed)?;
            return Some((due_at, unpack(packed)));
        }
        if self.entries.peek()?.0.0 >= now {
            return None;
        }
        pop_with_copies(&mut self.entries)
    }

    pub fn next_due(&self) -> Option<Timestamp> {
        let other = self.entries.peek().map(|Reverse((due_at, _))| *due_at);
        let packed = self.packed.peek().map(|Reverse((due_at, _))| *due_at);
        other.into_iter().chain(packed).min()
    }

    pub fn len(&self) -> usize {
        self.entries.len() + self.packed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.packed.is_empty()
    }

    /// The distinct entries in the order they fall due.
    fn sorted(&self) -> Vec<(Timestamp, Deadline)> {
        let others = self.entries.iter().map(|Reverse(entry)| entry.clone());
        let packed = (self.packed.iter()).map(|&Reverse((due_at, packed))| (due_at, unpack(packed)));
        let mut entries: Vec<(Timestamp, Deadline)> = others.chain(packed).collect();
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

/// Bits of a packed deadline that say which kind it is: the top four, in the order of `Deadline`'s variants.
const KIND_SHIFT: u32 = 60;
/// Bits of a packed SLA step below its exception id: the target, level, reminder or repeat number.
const NUMBER_BITS: u32 = 8;

/// An SLA step as one integer that orders as its `Deadline` does among them (kind, then its fields in order),
/// or `None` for any other deadline and for an exception id of 2^52 or more, which the entries heap takes.
fn pack(deadline: &Deadline) -> Option<u64> {
    let packed = pack_fields(deadline);
    debug_assert!(
        packed.is_none_or(|packed| unpack(packed) == *deadline),
        "{deadline:?} packs and unpacks"
    );
    packed
}

fn pack_fields(deadline: &Deadline) -> Option<u64> {
    let kind = |kind: u64| kind << KIND_SHIFT;
    let step = |kind_bits: u64, exception: u64, number: u8| {
        (exception < 1 << (KIND_SHIFT - NUMBER_BITS))
            .then(|| kind(kind_bits) | exception << NUMBER_BITS | u64::from(number))
    };
    match *deadline {
        Deadline::Breach(exception, target) => step(0, exception, target as u8),
        Deadline::Escalation(exception, level) => step(1, exception, level),
        Deadline::Renotify(exception, count) => step(2, exception, count),
        Deadline::Repeat(exception, count) => step(3, exception, count),
        _ => None,
    }
}

fn unpack(packed: u64) -> Deadline {
    let fields = packed & ((1 << KIND_SHIFT) - 1);
    let (exception, number) = (fields >> NUMBER_BITS, packed as u8);
    match packed >> KIND_SHIFT {
        0 if number == Target::Acknowledge as u8 => Deadline::Breach(exception, Target::Acknowledge),
        0 => Deadline::Breach(exception, Target::Resolve),
        1 => Deadline::Escalation(exception, number),
        2 => Deadline::Renotify(exception, number),
        _ => Deadline::Repeat(exception, number),
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    /// The plain queue the packed one must behave as: a sorted set of `(due, deadline)`.
    #[derive(Default)]
    struct ReferenceQueue(BTreeSet<(Timestamp, Deadline)>);

    impl ReferenceQueue {
        fn pop_due_before(&mut self, now: Timestamp) -> Option<(Timestamp, Deadline)> {
            let first = self.0.first()?.clone();
            (first.0 < now).then(|| self.0.pop_first().expect("not empty"))
        }
    }

    fn deadline() -> impl Strategy<Value = Deadline> {
        let exception = prop_oneof![0u64..4, Just((1 << 52) - 1), Just(1 << 52)];
        let number = prop_oneof![0u8..3, Just(u8::MAX)];
        let document = (0u8..3).prop_map(|n| DocumentNumber::parse(format!("D{n}")).expect("a valid number"));
        prop_oneof![
            (exception.clone(), any::<bool>())
                .prop_map(|(e, ack)| Deadline::Breach(e, if ack { Target::Acknowledge } else { Target::Resolve })),
            (exception.clone(), number.clone()).prop_map(|(e, n)| Deadline::Escalation(e, n)),
            (exception.clone(), number.clone()).prop_map(|(e, n)| Deadline::Renotify(e, n)),
            (exception, number).prop_map(|(e, n)| Deadline::Repeat(e, n)),
            document.clone().prop_map(Deadline::TransferReceipt),
            document.clone().prop_map(Deadline::OrderShipment),
            document.prop_map(Deadline::Refund),
            Just(Deadline::Daily),
        ]
    }

    proptest! {
        /// Whatever is scheduled, in any order and with copies, the queue pops what the sorted set pops, and a
        /// snapshot of it holds the set.
        #[test]
        fn the_packed_queue_pops_as_a_sorted_set_would(
            steps in proptest::collection::vec(
                prop_oneof![
                    (0i64..6, deadline()).prop_map(|(due, deadline)| (Some(deadline), due)),
                    (0i64..8).prop_map(|now| (None, now)),
                ],
                0..80,
            ),
        ) {
            let (mut queue, mut reference) = (DeadlineQueue::default(), ReferenceQueue::default());
            for (deadline, time) in steps {
                match deadline {
                    Some(deadline) => {
                        queue.schedule(Timestamp(time), deadline.clone());
                        reference.0.insert((Timestamp(time), deadline));
                    }
                    None => loop {
                        let popped = queue.pop_due_before(Timestamp(time));
                        prop_assert_eq!(&popped, &reference.pop_due_before(Timestamp(time)));
                        if popped.is_none() {
                            break;
                        }
                    },
                }
                prop_assert_eq!(queue.sorted(), reference.0.iter().cloned().collect::<Vec<_>>());
                prop_assert_eq!(queue.next_due(), reference.0.first().map(|(due, _)| *due));
            }
        }
    }

    #[test]
    fn deadlines_pop_in_time_then_deadline_order_and_a_copy_fires_once() {
        let mut queue = DeadlineQueue::default();
        queue.schedule(Timestamp(30), Deadline::Daily);
        queue.schedule(Timestamp(10), Deadline::Repeat(2, 1));
        queue.schedule(Timestamp(10), Deadline::Breach(7, Target::Resolve));
        queue.schedule(Timestamp(10), Deadline::Breach(7, Target::Acknowledge));
        queue.schedule(Timestamp(10), Deadline::Breach(7, Target::Acknowledge));
        queue.schedule(Timestamp(20), Deadline::Escalation(1, 1));
        queue.schedule(Timestamp(20), Deadline::Escalation(1 << 60, 1));
        queue.schedule(Timestamp(10), Deadline::Renotify(7, 2));
        queue.schedule(Timestamp(10), Deadline::Escalation(7, 3));
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
                (
                    Timestamp(10),
                    Deadline::OrderShipment(DocumentNumber::parse("W1").unwrap())
                ),
                (Timestamp(10), Deadline::Breach(7, Target::Acknowledge)),
                (Timestamp(10), Deadline::Breach(7, Target::Resolve)),
                (Timestamp(10), Deadline::Escalation(7, 3)),
                (Timestamp(10), Deadline::Renotify(7, 2)),
                (Timestamp(10), Deadline::Repeat(2, 1)),
                (Timestamp(20), Deadline::Escalation(1, 1)),
                (Timestamp(20), Deadline::Escalation(1 << 60, 1)),
            ]
        );
        assert_eq!(queue.next_due(), Some(Timestamp(30)), "due at 30 is not before 30");
        let restored: DeadlineQueue = postcard::from_bytes(&saved).unwrap();
        assert_eq!(restored.len(), 9, "a snapshot keeps one of each copy");
        assert_eq!(postcard::to_stdvec(&restored).unwrap(), saved);
    }
}
