//! Group commit: the events of concurrent requests share one log transaction.
//!
//! A request queues its events and waits for the write path. Whoever gets it next commits everything queued by
//! then in one transaction and answers every request in it, so many clients posting one event each pay for a few
//! commits, not one each. A request is answered only once the transaction holding its events is durable, and
//! what each request did is counted as if it had been appended alone.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use retex_core::event::Event;
use retex_store::{AppendSummary, IncomingEvent, LiveEngine};
use tokio::sync::oneshot;

use crate::error::{Failure, Outcome};

/// The most events one transaction holds; what is queued beyond waits for the next.
pub const GROUP_EVENTS_MAX: usize = 10_000;

/// One request's events, parsed, each with the text the log keeps.
pub type Submission = Vec<(Event, String)>;

struct Waiting {
    events: Submission,
    answer: oneshot::Sender<Outcome<AppendSummary>>,
}

/// The requests waiting for the next commit, oldest first.
#[derive(Default)]
pub struct GroupCommit {
    waiting: Mutex<VecDeque<Waiting>>,
}

impl GroupCommit {
    /// Appends and applies `events` (at most [`GROUP_EVENTS_MAX`]) in one transaction with whatever other
    /// requests queued meanwhile; blocks until that transaction is durable.
    pub fn commit(&self, writer: &Mutex<LiveEngine>, events: Submission) -> Outcome<AppendSummary> {
        let (answer, mut outcome) = oneshot::channel();
        lock(&self.waiting).push_back(Waiting { events, answer });
        loop {
            let mut live = lock(writer);
            match outcome.try_recv() {
                Ok(answered) => return answered,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(Failure::internal(
                        "group commit",
                        &"the commit holding the events failed",
                    ));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            // Ours is in this group, or in a later one once the requests queued before it are committed.
            commit_group(&mut live, self.next_group());
        }
    }

    /// The oldest waiting requests, up to [`GROUP_EVENTS_MAX`] events (one request at least).
    fn next_group(&self) -> Vec<Waiting> {
        let mut waiting = lock(&self.waiting);
        let mut group = Vec::new();
        let mut events = 0;
        while let Some(next) = waiting.front() {
            if !group.is_empty() && events + next.events.len() > GROUP_EVENTS_MAX {
                break;
            }
            events += next.events.len();
            group.extend(waiting.pop_front());
        }
        group
    }
}

fn commit_group(live: &mut LiveEngine, group: Vec<Waiting>) {
    let outcome = {
        let batches: Vec<Vec<IncomingEvent<'_>>> = group
            .iter()
            .map(|waiting| {
                waiting
                    .events
                    .iter()
                    .map(|(event, text)| IncomingEvent { event, text })
                    .collect()
            })
            .collect();
        let slices: Vec<&[IncomingEvent<'_>]> = batches.iter().map(Vec::as_slice).collect();
        live.append_event_groups(&slices)
    };
    match outcome {
        Ok(summaries) => {
            for (waiting, summary) in group.into_iter().zip(summaries) {
                // A request that gave up waiting (its client left) needs no answer.
                let _ = waiting.answer.send(Ok(summary));
            }
        }
        Err(error) => {
            let failure = Failure::from(error);
            for waiting in group {
                let _ = waiting.answer.send(Err(failure.clone()));
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
