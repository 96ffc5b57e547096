//! Group commit: the events of concurrent requests share one log transaction.
//!
//! A request queues its events and waits, without holding a thread, for one committer thread. The committer
//! takes everything queued by then (up to [`GROUP_EVENTS_MAX`] events), appends it in one transaction and
//! answers every request in it, so many clients posting one event each pay for a few commits, not one each. A
//! request is answered only once the transaction holding its events is durable, and what each request did is
//! counted as if it had been appended alone.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

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

/// The requests waiting for the committer, oldest first; `closed` once the server is done with it.
#[derive(Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    queued: Condvar,
}

/// The queue and its committer thread, which ends when this is dropped.
pub struct GroupCommit {
    shared: Arc<Shared>,
    committer: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the committer, which appends through `writer` (taking turns with the server's other writes).
    pub fn start(writer: Arc<Mutex<LiveEngine>>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let queue = Arc::clone(&shared);
        let committer = std::thread::Builder::new()
            .name("retex-commit".to_owned())
            .spawn(move || commit_until_closed(&queue, &writer))?;
        Ok(Self {
            shared,
            committer: Some(committer),
        })
    }

    /// Appends and applies `events` (at most [`GROUP_EVENTS_MAX`]) in one transaction with whatever other requests
    /// queued meanwhile; answers once that transaction is durable.
    pub async fn commit(&self, events: Submission) -> Outcome<AppendSummary> {
        let (answer, outcome) = oneshot::channel();
        lock(&self.shared.queue).waiting.push_back(Waiting { events, answer });
        self.shared.queued.notify_one();
        outcome
            .await
            .map_err(|_| Failure::internal("group commit", &"the committer stopped before answering"))?
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        lock(&self.shared.queue).closed = true;
        self.shared.queued.notify_one();
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

fn commit_until_closed(shared: &Shared, writer: &Mutex<LiveEngine>) {
    loop {
        let group = {
            let mut queue = lock(&shared.queue);
            while queue.waiting.is_empty() && !queue.closed {
                queue = shared.queued.wait(queue).unwrap_or_else(PoisonError::into_inner);
            }
            if queue.waiting.is_empty() {
                return;
            }
            next_group(&mut queue.waiting)
        };
        commit_group(&mut lock(writer), group);
    }
}

/// The oldest waiting requests, up to [`GROUP_EVENTS_MAX`] events (one request at least).
fn next_group(waiting: &mut VecDeque<Waiting>) -> Vec<Waiting> {
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
