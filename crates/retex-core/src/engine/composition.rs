//! The engine as a composition: its state by the part that owns it (the picture, the detectors' statistics,
//! the exception book, the workflow), the caches derived from the rules and master data, and the inputs and
//! outputs of `Engine::apply`. Every other engine module builds on this one; none of them is below it.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;
use crate::command::{Command, IncidentCommand, Silence, SilenceEnd};
use crate::engine::calendar::{BusinessHours, CalendarMemo};
use crate::engine::deadlines::DeadlineQueue;
use crate::engine::detect;
use crate::engine::exceptions::ExceptionBook;
use crate::engine::incidents::IncidentBook;
use crate::engine::insight::Insight;
use crate::engine::picture::Picture;
use crate::engine::silence_records::SilenceRecord;
use crate::engine::sorted_map;
use crate::engine::stats;
use crate::engine::task_list::{Task, Triggered};
use crate::event::Event;
use crate::rules::Rules;

/// One entry of the log, as the engine applies it.
// Nearly every input is an event: boxing it would add an allocation per event to the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Event(Event),
    /// Moves the clock to this instant (`retex tick --at T`, or the server's wall clock).
    Tick(Timestamp),
    /// A person's action on an exception.
    Command(Command),
    /// A person merging or splitting an incident.
    IncidentCommand(IncidentCommand),
    /// A person mutes new exceptions of a type for a while.
    Silence(Silence),
    /// A person ends a silence early.
    SilenceEnd(SilenceEnd),
}

impl Input {
    pub fn time(&self) -> Timestamp {
        match self {
            Self::Event(event) => Timestamp::from_datetime(&event.at),
            Self::Tick(at) => *at,
            Self::Command(command) => Timestamp::from_datetime(&command.at),
            Self::IncidentCommand(command) => Timestamp::from_datetime(&command.at),
            Self::Silence(silence) => Timestamp::from_datetime(&silence.at),
            Self::SilenceEnd(end) => Timestamp::from_datetime(&end.at),
        }
    }
}

/// What applying an input changed, for the shell to materialise or deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    ExceptionOpened(u64),
    ExceptionRecurred(u64),
    ExceptionResolved(u64),
    /// A command changed it (acknowledged, assigned, commented, status, resolved, dismissed, reopened, moved to
    /// another incident).
    ExceptionChanged(u64),
}

/// What the engine runs with: the rules and, optionally, the statistical models. Not part of the state; a
/// snapshot records the rules version it was taken under and only loads under the same rules.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub rules: Arc<Rules>,
    pub insight: Option<Arc<dyn Insight>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            rules: Arc::new(Rules::default()),
            insight: None,
        }
    }
}

/// Everything the engine knows, by the part that owns it; serialized as a snapshot.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct State {
    /// Sequence number of the last applied log entry; 0 before the first.
    pub(super) applied_seq: u64,
    /// Event time: the newest input time applied so far.
    pub(super) clock: Option<Timestamp>,
    pub(super) rules_version: String,
    /// What happened: master data, the ledger, the documents.
    pub(super) picture: Picture,
    /// What the detectors keep beside the picture (sales history, store activity, indexes).
    pub(super) stats: stats::DetectorStats,
    /// What is wrong: the exceptions, their incidents, the silences that mute them.
    pub(super) book: Book,
    /// Who works on it and by when: deadlines, assignment, automated actions.
    pub(super) workflow: Workflow,
}

/// The exception book with the incidents that link its exceptions and the silences that mute new ones.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Book {
    pub(super) exceptions: ExceptionBook,
    pub(super) incidents: IncidentBook,
    pub(super) silences: Vec<SilenceRecord>,
}

/// The workflow's clocks and memory: every pending deadline, round-robin positions, automated actions.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Workflow {
    pub(super) deadlines: DeadlineQueue,
    /// Per team that assigns round robin: the index of the member assigned last.
    #[serde(with = "sorted_map")]
    pub(super) round_robin: FxHashMap<String, usize>,
    /// Tasks of automated actions; id = index + 1.
    pub(super) tasks: Vec<Task>,
    /// Open recount tasks per packed position, completed by the next count there.
    #[serde(with = "sorted_map")]
    pub(super) open_recounts: FxHashMap<u64, Vec<u64>>,
}

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot does not decode: {0}")]
    Undecodable(String),
    #[error("snapshot was taken under rules {found}, not the current {current}")]
    OtherRules { found: String, current: String },
}

#[derive(Clone, Debug)]
pub struct Engine {
    pub(super) state: State,
    pub(super) config: EngineConfig,
    pub(super) rules_version: Arc<str>,
    /// Each type's parameter values without overrides.
    pub(super) param_defaults: detect::ParamDefaults,
    /// Derived from the rules: what every till sale reads, typed.
    pub(super) sale_params: detect::inventory::SaleParams,
    /// Derived from master data, not state: each SKU's lead time for `low_stock` and its stockout quantile
    /// (cleared by any product or supplier upsert).
    pub(super) lead_times: Vec<Option<detect::inventory::SupplyParams>>,
    /// Derived from master data, not state: each location's business hours in its zone, by location id (`None`
    /// until worked out; every till sale asks for its store's).
    pub(super) calendars: Vec<Option<Option<BusinessHours>>>,
    /// Time-zone arithmetic worked out before (pure, so not state).
    pub(super) calendar_memo: CalendarMemo,
    /// Derived from the rules: the business time after opening of each SLA target and escalation level, per
    /// SLA target (see `escalation::due_offsets_ms`).
    pub(super) due_offsets: FxHashMap<crate::rules::SlaTarget, Vec<i64>>,
    /// Automated actions triggered while applying the current entry, run once it is fully applied (so a
    /// replenishment proposal sees the stock after the event). Always empty between entries.
    pub(super) triggered: Vec<Triggered>,
    /// What the entry being applied changed, returned by [`Engine::apply`]; emptied as each entry begins.
    pub(super) outbox: Vec<Output>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new(EngineConfig::default())
    }
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        let rules_version = config.rules.version();
        let state = State {
            rules_version: rules_version.clone(),
            ..State::default()
        };
        Self::assemble(state, config, rules_version)
    }

    /// An engine over `state`, with the caches derived from the config empty.
    pub(super) fn assemble(mut state: State, config: EngineConfig, rules_version: String) -> Self {
        state.book.exceptions.refresh_summaries();
        let param_defaults = detect::ParamDefaults::of(&config.rules);
        let sale_params = detect::inventory::SaleParams::of(&config.rules);
        let (lead_times, calendars) = (Vec::new(), Vec::new());
        Self {
            state,
            config,
            rules_version: Arc::from(rules_version),
            param_defaults,
            sale_params,
            lead_times,
            calendars,
            calendar_memo: CalendarMemo::default(),
            due_offsets: FxHashMap::default(),
            triggered: Vec::new(),
            outbox: Vec::new(),
        }
    }
}
