//! [`LiveEngine`]: the engine kept current with a store, the one write path of a Retex process.
//!
//! Inputs are appended to the log first; only what the log accepted (a new `seq`) reaches the engine, so a
//! duplicate is a no-op and a crash loses nothing that was acknowledged. Opening loads the newest snapshot
//! and replays the tail, and a snapshot is written every [`LiveOptions::snapshot_every_inputs`] inputs (more
//! rarely for a state whose snapshot is large, see [`LiveOptions::snapshot_bytes_per_input`]), so a restart costs
//! at most that much replay.
//!
//! The write path has two halves, [`Appender`] (the store) and [`Applier`] (the engine). [`LiveEngine::append_events`]
//! runs them one after the other; a bulk loader can take them apart with [`LiveEngine::split`] and run them on two
//! threads, appending the next batch while the engine applies the last one.
//!
//! Readers do not go through the write path: they read a [`SharedEngine`]. The writer holds its lock only while it
//! applies, [`APPLY_CHUNK_INPUTS`] inputs at a time, and encodes snapshots under a read lock, so a read never waits
//! for the log's I/O or a snapshot, only for the chunk being applied.

use retex_core::codes::Timestamp;
use retex_core::command::{
    COMMAND_KIND, Command, INCIDENT_COMMAND_KIND, IncidentCommand, SILENCE_END_KIND, SILENCE_KIND, Silence, SilenceEnd,
};
use retex_core::engine::{Engine, EngineConfig, Input, SNAPSHOT_FORMAT_VERSION};
use retex_core::event::Event;
use retex_core::import::ImportedRow;
use retex_core::wire::parse_event;

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::{AppendOutcome, NewEntry, Snapshot, Store, StoreError, StoredEntry};

/// The source and kind under which ticks are logged.
pub const TICK_SOURCE: &str = "retex";
pub const TICK_KIND: &str = "tick";
/// How many log entries one replay read fetches.
const REPLAY_PAGE_ENTRIES: usize = 10_000;
/// The most inputs applied under one hold of the engine's write lock: what a read may wait for (about a
/// millisecond of the engine's work).
pub const APPLY_CHUNK_INPUTS: usize = 1_000;

#[derive(Clone, Copy, Debug)]
pub struct LiveOptions {
    /// A snapshot is written after this many applied inputs.
    pub snapshot_every_inputs: u64,
    /// And no sooner than one applied input for this many bytes of the last snapshot (0: no such floor), so that
    /// writing snapshots stays a small share of the work however large the state: replaying an input costs about
    /// as much as writing 100 bytes of snapshot, and a chain of 20 million positions has a 270 MB one.
    pub snapshot_bytes_per_input: u64,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            snapshot_every_inputs: 500_000,
            snapshot_bytes_per_input: 100,
        }
    }
}

/// Inputs applied since the last snapshot, and its size: when the next one is due.
#[derive(Clone, Copy, Debug, Default)]
struct SnapshotClock {
    applied: u64,
    last_bytes: u64,
}

impl SnapshotClock {
    fn is_due(&self, options: &LiveOptions) -> bool {
        let floor = self
            .last_bytes
            .checked_div(options.snapshot_bytes_per_input)
            .unwrap_or(0);
        self.applied >= options.snapshot_every_inputs.max(floor)
    }

    fn taken(&mut self, snapshot: &Snapshot) {
        self.applied = 0;
        self.last_bytes = snapshot.bytes.len() as u64;
    }
}

/// One event to append: the parsed event and its original text, which the log keeps verbatim.
#[derive(Clone, Copy)]
pub struct IncomingEvent<'a> {
    pub event: &'a Event,
    pub text: &'a str,
}

/// What one append did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendSummary {
    /// New entries, now in the log.
    pub accepted: usize,
    /// Repeats of an idempotency key already in the log (or earlier in the batch), ignored.
    pub duplicates: usize,
    /// The duplicates whose content differs from the logged entry.
    pub conflicting: Vec<Conflict>,
}

/// What one import did with the rows of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows the master data already held, not logged again.
    pub unchanged: usize,
    /// The rest, appended: new entries, duplicates and conflicts.
    pub appended: AppendSummary,
    /// The file line of each conflict in `appended.conflicting`, in the same order.
    pub conflict_lines: Vec<u64>,
}

/// What the log holds under a command's idempotency key: nothing, the same command (a harmless retry), or
/// another command, logged at `seq` (the key was reused by mistake).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorCommand {
    None,
    Same,
    Other { seq: u64 },
}

/// A repeat of a logged idempotency key with different content: the logged entry stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The repeat's index in the appended batch.
    pub index: usize,
    pub source: String,
    pub id: String,
    /// The logged entry's seq and event time (Unix milliseconds).
    pub logged_seq: u64,
    pub logged_at_ms: i64,
}

pub struct LiveEngine {
    store: Box<dyn Store>,
    engine: SharedEngine,
    options: LiveOptions,
    snapshot_clock: SnapshotClock,
}

/// The engine a [`LiveEngine`] keeps current, as its readers see it: any number read at once, each seeing the
/// state after a whole applied input.
#[derive(Clone)]
pub struct SharedEngine(Arc<RwLock<Engine>>);

impl SharedEngine {
    fn new(engine: Engine) -> Self {
        Self(Arc::new(RwLock::new(engine)))
    }

    /// The engine to read; the writer waits while this is held, so hold it for one answer, not longer.
    pub fn read(&self) -> RwLockReadGuard<'_, Engine> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Engine> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The store half of the write path: appends batches and saves the snapshots the engine half hands over.
pub struct Appender<'a> {
    store: &'a mut dyn Store,
}

/// The engine half of the write path: applies what the log accepted, in log order.
pub struct Applier<'a> {
    engine: &'a SharedEngine,
    options: LiveOptions,
    snapshot_clock: &'a mut SnapshotClock,
    /// Set once an append came back with entries from another writer in between: the rest must come from the log.
    behind: bool,
}

impl LiveEngine {
    /// Loads the newest snapshot and replays the log after it. A snapshot that does not decode back to its own
    /// hash, or was taken under other rules, is skipped: the whole log is replayed instead.
    pub fn open(mut store: Box<dyn Store>, config: EngineConfig, options: LiveOptions) -> Result<Self, StoreError> {
        let snapshot = store.latest_snapshot(SNAPSHOT_FORMAT_VERSION)?;
        // A snapshot must encode back to the very bytes it was saved as: anything else (a layout change without a
        // new format version, a damaged blob) means replaying the log instead.
        let mut snapshot_clock = SnapshotClock::default();
        let restored = snapshot.and_then(|snapshot| {
            let engine = Engine::from_snapshot(&snapshot.bytes, config.clone()).ok()?;
            snapshot_clock.taken(&snapshot);
            (engine.state_hash() == snapshot.state_hash).then_some(engine)
        });
        let engine = restored.unwrap_or_else(|| Engine::new(config));
        let mut live = Self {
            store,
            engine: SharedEngine::new(engine),
            options,
            snapshot_clock,
        };
        live.catch_up()?;
        Ok(live)
    }

    /// The engine, read-locked: drop the guard before the next write.
    pub fn engine(&self) -> RwLockReadGuard<'_, Engine> {
        self.engine.read()
    }

    /// The engine for readers on other threads, which then never wait for this writer's I/O.
    pub fn shared(&self) -> SharedEngine {
        self.engine.clone()
    }

    /// The two halves of the write path, to run on two threads; call [`LiveEngine::catch_up`] afterwards.
    pub fn split(&mut self) -> (Appender<'_>, Applier<'_>) {
        let appender = Appender {
            store: self.store.as_mut(),
        };
        let applier = Applier {
            engine: &self.engine,
            options: self.options,
            snapshot_clock: &mut self.snapshot_clock,
            behind: false,
        };
        (appender, applier)
    }

    /// Applies every log entry after the engine's position, e.g. entries another process appended.
    pub fn catch_up(&mut self) -> Result<u64, StoreError> {
        let mut applied = 0;
        loop {
            let after = self.engine.read().applied_seq();
            let entries = self.store.read_log(after, REPLAY_PAGE_ENTRIES)?;
            if entries.is_empty() {
                return Ok(applied);
            }
            for chunk in entries.chunks(APPLY_CHUNK_INPUTS) {
                let inputs = chunk.iter().map(decode_entry).collect::<Result<Vec<_>, _>>()?;
                let mut engine = self.engine.write();
                for (entry, input) in chunk.iter().zip(&inputs) {
                    engine.apply(entry.seq, input);
                }
                drop(engine);
                self.snapshot_clock.applied += chunk.len() as u64;
                applied += chunk.len() as u64;
            }
            self.snapshot_when_due()?;
        }
    }

    /// Appends a batch in one transaction and applies what the log accepted.
    pub fn append_events(&mut self, batch: &[IncomingEvent<'_>]) -> Result<AppendSummary, StoreError> {
        let (_, summary) = self.append_and_apply(batch)?;
        Ok(summary)
    }

    /// Appends several batches (the events of concurrent requests) in one transaction, so they share its commit,
    /// and applies what the log accepted; what each batch did, in order, as if each had been appended alone.
    pub fn append_event_groups(&mut self, groups: &[&[IncomingEvent<'_>]]) -> Result<Vec<AppendSummary>, StoreError> {
        let batch: Vec<IncomingEvent<'_>> = groups.iter().flat_map(|group| group.iter().copied()).collect();
        let (outcome, summary) = self.append_and_apply(&batch)?;
        let mut conflicts = summary.conflicting.into_iter().peekable();
        let mut start = 0;
        Ok(groups
            .iter()
            .map(|group| {
                let end = start + group.len();
                let accepted = outcome.seqs[start..end].iter().flatten().count();
                let mut conflicting = Vec::new();
                while let Some(conflict) = conflicts.next_if(|conflict| conflict.index < end) {
                    conflicting.push(Conflict {
                        index: conflict.index - start,
                        ..conflict
                    });
                }
                start = end;
                AppendSummary {
                    accepted,
                    duplicates: group.len() - accepted,
                    conflicting,
                }
            })
            .collect())
    }

    fn append_and_apply(&mut self, batch: &[IncomingEvent<'_>]) -> Result<(AppendOutcome, AppendSummary), StoreError> {
        let (mut appender, mut applier) = self.split();
        let (outcome, summary) = appender.append(batch)?;
        applier.apply(batch, &outcome);
        let behind = applier.behind;
        if behind {
            self.catch_up()?;
        }
        self.snapshot_when_due()?;
        Ok((outcome, summary))
    }

    /// Appends the rows of an imported file, leaving out the master data rows the engine already holds, so a
    /// file imported twice adds nothing the second time.
    pub fn import_rows(&mut self, rows: &[ImportedRow]) -> Result<ImportSummary, StoreError> {
        let engine = self.engine.read();
        let changed: Vec<&ImportedRow> = rows
            .iter()
            .filter(|row| !engine.master_data_holds(&row.event.body))
            .collect();
        drop(engine);
        let batch: Vec<IncomingEvent<'_>> = changed
            .iter()
            .map(|row| IncomingEvent {
                event: &row.event,
                text: &row.text,
            })
            .collect();
        let appended = self.append_events(&batch)?;
        let conflict_lines = appended
            .conflicting
            .iter()
            .map(|conflict| changed[conflict.index].line)
            .collect();
        Ok(ImportSummary {
            unchanged: rows.len() - changed.len(),
            appended,
            conflict_lines,
        })
    }

    /// The setting under `key` (a connector's cursor), if any.
    pub fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.store.setting(key)
    }

    /// Stores a setting, replacing the value under `key`.
    pub fn put_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.store.put_setting(key, value)
    }

    /// Logs and applies a tick that moves the clock to `at`; false when that tick was already logged.
    pub fn tick(&mut self, at: Timestamp) -> Result<bool, StoreError> {
        let at_text = at.to_rfc3339();
        let event_id = format!("{TICK_KIND}:{at_text}");
        let body = serde_json::json!({ "at": at_text }).to_string();
        self.append_one(NewEntry {
            source: TICK_SOURCE,
            event_id: &event_id,
            kind: TICK_KIND,
            at_ms: at.0,
            body: &body,
        })
    }

    /// Logs and applies a person's command; false when its idempotency key was already logged.
    pub fn append_command(&mut self, command: &Command) -> Result<bool, StoreError> {
        let body = serde_json::to_string(command).expect("a command always serializes");
        let at_ms = command.at.timestamp_millis();
        self.append_person_entry(COMMAND_KIND, &command.source, &command.id, at_ms, &body)
    }

    /// Logs and applies a person's command on an incident; false when its idempotency key was already logged.
    pub fn append_incident_command(&mut self, command: &IncidentCommand) -> Result<bool, StoreError> {
        let body = serde_json::to_string(command).expect("an incident command always serializes");
        let at_ms = command.at.timestamp_millis();
        self.append_person_entry(INCIDENT_COMMAND_KIND, &command.source, &command.id, at_ms, &body)
    }

    /// Logs and applies a silence; false when its idempotency key was already logged.
    pub fn append_silence(&mut self, silence: &Silence) -> Result<bool, StoreError> {
        let body = serde_json::to_string(silence).expect("a silence always serializes");
        let at_ms = silence.at.timestamp_millis();
        self.append_person_entry(SILENCE_KIND, &silence.source, &silence.id, at_ms, &body)
    }

    /// Logs and applies a silence ended early, under its idempotency key; `Ok(false)` when it was logged before.
    pub fn append_silence_end(&mut self, end: &SilenceEnd) -> Result<bool, StoreError> {
        let body = serde_json::to_string(end).expect("a silence end always serializes");
        let at_ms = end.at.timestamp_millis();
        self.append_person_entry(SILENCE_END_KIND, &end.source, &end.id, at_ms, &body)
    }

    /// Logs and applies what a person did, under its idempotency key `(source, id)`.
    fn append_person_entry(
        &mut self,
        kind: &str,
        source: &str,
        id: &str,
        at_ms: i64,
        body: &str,
    ) -> Result<bool, StoreError> {
        self.append_one(NewEntry {
            source,
            event_id: id,
            kind,
            at_ms,
            body,
        })
    }

    /// Appends one entry in its own transaction and applies the log up to it.
    fn append_one(&mut self, entry: NewEntry<'_>) -> Result<bool, StoreError> {
        self.catch_up()?;
        let outcome = self.store.append(&[entry])?;
        self.catch_up()?;
        Ok(outcome.seqs[0].is_some())
    }

    /// The newest entry's seq in the log (ahead of the engine while another writer appends).
    pub fn last_seq(&mut self) -> Result<u64, StoreError> {
        self.store.last_seq()
    }

    /// What the log already holds under a command's idempotency key.
    pub fn prior_command(&mut self, command: &Command) -> Result<PriorCommand, StoreError> {
        self.prior_entry(&command.source, &command.id, |body| {
            serde_json::from_str::<Command>(body).is_ok_and(|logged| logged.action == command.action)
        })
    }

    /// What the log already holds under an incident command's idempotency key.
    pub fn prior_incident_command(&mut self, command: &IncidentCommand) -> Result<PriorCommand, StoreError> {
        self.prior_entry(&command.source, &command.id, |body| {
            serde_json::from_str::<IncidentCommand>(body)
                .is_ok_and(|logged| (logged.incident, &logged.action) == (command.incident, &command.action))
        })
    }

    /// What the log holds under `(source, id)`: nothing, the same thing (`same` reads the logged body), or
    /// something else.
    fn prior_entry(&mut self, source: &str, id: &str, same: impl Fn(&str) -> bool) -> Result<PriorCommand, StoreError> {
        let Some(logged) = self.store.find_entry(source, id)? else {
            return Ok(PriorCommand::None);
        };
        Ok(if same(&logged.body) {
            PriorCommand::Same
        } else {
            PriorCommand::Other { seq: logged.seq }
        })
    }

    /// The log entry with this seq, e.g. one an exception names as its cause.
    pub fn log_entry(&mut self, seq: u64) -> Result<Option<StoredEntry>, StoreError> {
        log_entry(self.store.as_mut(), seq)
    }

    /// Writes a snapshot of the current state, encoded under a read lock (readers go on) and saved after it.
    pub fn save_snapshot(&mut self) -> Result<(), StoreError> {
        let snapshot = snapshot_of(&self.engine.read());
        self.store.save_snapshot(&snapshot)?;
        self.snapshot_clock.taken(&snapshot);
        Ok(())
    }

    fn snapshot_when_due(&mut self) -> Result<(), StoreError> {
        if self.snapshot_clock.is_due(&self.options) {
            self.save_snapshot()?;
        }
        Ok(())
    }
}

impl Appender<'_> {
    /// Appends a batch in one transaction and tells harmless repeats from conflicting ones.
    pub fn append(&mut self, batch: &[IncomingEvent<'_>]) -> Result<(AppendOutcome, AppendSummary), StoreError> {
        let mut entries = Vec::with_capacity(batch.len());
        for incoming in batch {
            entries.push(NewEntry {
                source: incoming.event.source.as_str(),
                event_id: incoming.event.id.as_str(),
                kind: incoming.event.body.kind(),
                at_ms: incoming.event.at.timestamp_millis(),
                body: incoming.text,
            });
        }
        let outcome = self.store.append(&entries)?;
        let mut summary = AppendSummary::default();
        for (index, seq) in outcome.seqs.iter().enumerate() {
            if seq.is_some() {
                summary.accepted += 1;
                continue;
            }
            summary.duplicates += 1;
            if let Some(logged) = self.conflicting_entry(&batch[index])? {
                let event = &batch[index].event;
                summary.conflicting.push(Conflict {
                    index,
                    source: event.source.to_string(),
                    id: event.id.to_string(),
                    logged_seq: logged.seq,
                    logged_at_ms: logged.at_ms,
                });
            }
        }
        Ok((outcome, summary))
    }

    pub fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.store.save_snapshot(snapshot)
    }

    /// The logged entry a repeat contradicts; `None` when the repeat says what the logged entry says (byte for
    /// byte, or parsed alike) and is harmless.
    fn conflicting_entry(&mut self, incoming: &IncomingEvent<'_>) -> Result<Option<StoredEntry>, StoreError> {
        let event = &incoming.event;
        let Some(stored) = self.store.find_entry(event.source.as_str(), event.id.as_str())? else {
            return Err(StoreError::Corrupt {
                location: format!("idempotency key {}/{}", event.source, event.id),
                detail: "append called it a duplicate but no entry holds it".into(),
            });
        };
        let same = stored.body == incoming.text || parse_event(&stored.body).is_ok_and(|logged| logged == **event);
        Ok((!same).then_some(stored))
    }
}

impl Applier<'_> {
    /// Applies the accepted entries of an appended batch. Once the log holds entries of another writer before
    /// ours, nothing more is applied here: [`LiveEngine::catch_up`] then replays the log in order.
    pub fn apply(&mut self, batch: &[IncomingEvent<'_>], outcome: &AppendOutcome) {
        let mut accepted = batch
            .iter()
            .zip(&outcome.seqs)
            .filter_map(|(incoming, seq)| Some((seq.as_ref()?, incoming.event)))
            .peekable();
        while !self.behind && accepted.peek().is_some() {
            let mut engine = self.engine.write();
            for (&seq, event) in accepted.by_ref().take(APPLY_CHUNK_INPUTS) {
                if seq != engine.applied_seq() + 1 {
                    self.behind = true;
                    return;
                }
                engine.apply_event_entry(seq, event);
                self.snapshot_clock.applied += 1;
            }
        }
    }

    /// A snapshot to save, when one is due (see [`LiveOptions`]).
    pub fn snapshot_when_due(&mut self) -> Option<Snapshot> {
        if self.behind || !self.snapshot_clock.is_due(&self.options) {
            return None;
        }
        let snapshot = snapshot_of(&self.engine.read());
        self.snapshot_clock.taken(&snapshot);
        Some(snapshot)
    }
}

/// The log entry with this seq, if the log holds it yet.
pub fn log_entry(store: &mut dyn Store, seq: u64) -> Result<Option<StoredEntry>, StoreError> {
    let Some(after) = seq.checked_sub(1) else {
        return Ok(None);
    };
    Ok(store
        .read_log(after, 1)?
        .into_iter()
        .next()
        .filter(|entry| entry.seq == seq))
}

fn snapshot_of(engine: &Engine) -> Snapshot {
    let bytes = engine.snapshot_bytes();
    Snapshot {
        seq: engine.applied_seq(),
        format_version: SNAPSHOT_FORMAT_VERSION,
        state_hash: retex_core::engine::hash_hex(&bytes),
        bytes,
    }
}

/// Turns a log entry back into the input it was.
pub fn decode_entry(entry: &StoredEntry) -> Result<Input, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        location: format!("log entry {}", entry.seq),
        detail,
    };
    if entry.source == TICK_SOURCE && entry.kind == TICK_KIND {
        return Ok(Input::Tick(Timestamp(entry.at_ms)));
    }
    if entry.kind == COMMAND_KIND {
        let command = serde_json::from_str(&entry.body).map_err(|error| corrupt(format!("command: {error}")))?;
        return Ok(Input::Command(command));
    }
    if entry.kind == INCIDENT_COMMAND_KIND {
        let command =
            serde_json::from_str(&entry.body).map_err(|error| corrupt(format!("incident command: {error}")))?;
        return Ok(Input::IncidentCommand(command));
    }
    if entry.kind == SILENCE_KIND {
        let silence = serde_json::from_str(&entry.body).map_err(|error| corrupt(format!("silence: {error}")))?;
        return Ok(Input::Silence(silence));
    }
    if entry.kind == SILENCE_END_KIND {
        let end = serde_json::from_str(&entry.body).map_err(|error| corrupt(format!("silence end: {error}")))?;
        return Ok(Input::SilenceEnd(end));
    }
    let event = parse_event(&entry.body).map_err(|error| corrupt(error.to_string()))?;
    Ok(Input::Event(event))
}
