//! The engine: applies inputs in log order to the operational picture and raises exceptions.
//!
//! [`Engine::apply`] is the only way state changes. It is deterministic: no clock, no randomness, no I/O, and
//! every map that leaves the engine is sorted first, so a snapshot plus its tail and a full replay end in the same
//! bytes and the same [`Engine::state_hash`].
//!
//! # Layout
//! - `apply`: how each event moves master data, the ledger and the documents.
//! - `detect_inventory`, `detect_documents`, `detect_commercial`: the built-in detectors, by the state they watch.
//! - `custom`: custom exception types of the rules.
//! - `escalation`: escalation levels and SLA breaches at their instants.
//! - `silences`: muting new exceptions of a type for a while.
//! - `raise`: opening, recurring and resolving exceptions (severity, team, SLA dues, incidents).
//! - `incident_commands`: people merging incidents and splitting them.
//! - `exceptions`, `incidents`, `calendar`, `deadlines`: the books and clocks those use.
//! - `ledger`, `interner`, `master`, `documents`, `stats`: the state itself.
//! - `views`: what leaves the engine for the CLI and API, with codes instead of ids.
//! - `facts`, `brief`: what a detector saw, and an exception explained in words (names, money in the currency,
//!   local times, documents, its procedure, whether it needs an approval).
//! - `suggestions`: the root causes and resolutions that worked for similar resolved exceptions.

mod apply;
mod brief;
mod calendar;
mod composition;
mod count_program;
mod day_ring;
mod deadlines;
mod detect;
mod detect_commercial;
mod detect_counts;
mod detect_documents;
mod detect_inventory;
mod detect_messages;
mod detect_problems;
mod detect_shrink;
mod documents;
mod escalation;
mod exception_commands;
mod exceptions;
mod facts;
mod incident_commands;
mod incidents;
mod insight;
mod interner;
mod kpis;
mod ledger;
mod master;
mod picture;
mod position_now;
mod query;
mod query_order;
mod raise;
mod receipts;
mod recurrences;
mod refusal;
mod related_documents;
mod roster;
mod shrink_series;
mod silence_records;
mod silences;
mod sorted_map;
mod stats;
mod stock_projection;
mod suggestions;
mod supply_rhythm;
mod task_list;
mod tasks;
mod views;

pub use brief::{ApprovalNeed, DEFAULT_APPROVER_ROLE, ExceptionBrief};
pub use calendar::BusinessHours;
use composition::State;
pub use composition::{Engine, EngineConfig, Input, Output, SnapshotError};
pub use deadlines::{Deadline, DeadlineQueue, Target};
pub use documents::{OrderDoc, OrderStatus, PurchaseOrderDoc, ReturnDoc, TransferDoc};
pub use exceptions::{
    ApprovalState, EvidenceRef, ExceptionBook, ExceptionKey, ExceptionRecord, ExceptionStatus, ExceptionSummary,
    TimelineEntry, TypeRef,
};
pub use incidents::{Filing, Incident, IncidentBook, IncidentChange, Reshape, RootKey, Touch};
pub use insight::{AbnormalStore, ComplaintReading, Insight, MessageIntent, RateTestParams, StoreWindow};
pub use interner::Interner;
pub use kpis::{
    AgingBucket, CategoryCounts, ConfirmationRate, FlowFigures, Kpis, Period, PeriodView, RootCauseCount, StoreRate,
    TypeFigures,
};
pub use ledger::{Ledger, LocationId, Position, SkuId};
pub use master::MasterData;
pub use position_now::{NamedPosition, OpenDocument, PositionNow};
pub use query::{ExceptionPage, ExceptionQuery, PageStart, StatusFilter, StatusGroup};
pub use query_order::{CURSOR_PATTERN, CURSOR_TEXT_BYTES_MAX, Cursor, ExceptionOrder, Sort};
pub use refusal::{Refusal, RefusalKind};
pub use related_documents::RelatedDocument;
pub use roster::TeamMember;
pub use silence_records::SilenceRecord;
pub use stats::HISTORY_DAYS;
pub use suggestions::{HOLD_WINDOW_MS, SIMILAR_EXAMPLES_MIN, SUGGESTIONS_MAX, SimilarBy, Suggestion};
pub use task_list::{DELIVERY_RETRY_WINDOW_MS, Task, TaskKind, TaskStatus};
pub use views::{
    ApprovalView, EvidenceView, ExceptionChange, ExceptionView, InboundTransfer, IncidentChangeView, IncidentView,
    StockRow, TaskView, TimelineView,
};

pub use crate::codes::hash_hex;
use crate::codes::{Money, Timestamp};
use crate::command::{Action, Command};
use crate::event::Event;
use crate::rules::Rules;

/// Version of the snapshot encoding; a snapshot of another version is ignored and the log replayed instead.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 31;

impl Engine {
    /// Applies one log entry and returns what it changed. `seq` must be greater than every sequence number
    /// applied before.
    pub fn apply(&mut self, seq: u64, input: &Input) -> &[Output] {
        match input {
            Input::Event(event) => return self.apply_event_entry(seq, event),
            Input::Tick(at) => {
                self.begin_entry(seq, *at);
                self.finish_entry(seq);
            }
            Input::Command(command) => {
                let at = Timestamp::from_datetime(&command.at);
                self.begin_entry(seq, at);
                // The shell checked it before logging; one that no longer fits (another command came first)
                // changes nothing.
                if self.check_command(command).is_ok() {
                    self.apply_command(command, at, seq);
                    self.outbox.push(Output::ExceptionChanged(command.exception));
                }
                self.finish_entry(seq);
            }
            Input::IncidentCommand(command) => {
                let at = Timestamp::from_datetime(&command.at);
                self.begin_entry(seq, at);
                if self.check_incident_command(command).is_ok() {
                    self.apply_incident_command(command, at, seq);
                }
                self.finish_entry(seq);
            }
            Input::Silence(silence) => {
                let at = Timestamp::from_datetime(&silence.at);
                self.begin_entry(seq, at);
                if self.check_silence(silence).is_ok() {
                    self.add_silence(silence, seq);
                }
                self.finish_entry(seq);
            }
            Input::SilenceEnd(end) => {
                let at = Timestamp::from_datetime(&end.at);
                self.begin_entry(seq, at);
                if self.check_silence_end(end).is_ok() {
                    self.end_silence(end, seq);
                }
                self.finish_entry(seq);
            }
        }
        &self.outbox
    }

    /// Applies one log entry holding an event (what [`Engine::apply`] does for `Input::Event`, without
    /// needing the event moved into an `Input`).
    pub fn apply_event_entry(&mut self, seq: u64, event: &Event) -> &[Output] {
        let at = Timestamp::from_datetime(&event.at);
        self.begin_entry(seq, at);
        self.apply_event(seq, event, at);
        // An obligation created already overdue fires now, at the time of the event that created it.
        let clock = self.state.clock.unwrap_or(at);
        self.fire_deadlines_before(clock);
        self.finish_entry(seq);
        &self.outbox
    }

    /// Records the entry as applied and brings derived views up to date.
    fn finish_entry(&mut self, seq: u64) {
        self.run_triggered_actions();
        self.state.applied_seq = seq;
        self.state.book.exceptions.refresh_summaries();
    }

    fn begin_entry(&mut self, seq: u64, at: Timestamp) {
        assert!(
            seq > self.state.applied_seq,
            "log entry {seq} applied after {}",
            self.state.applied_seq
        );
        self.outbox.clear();
        self.advance_clock(at);
    }

    /// Moves the clock forward to `at`, firing every deadline strictly before it in time order; a late input
    /// (dated before the clock) leaves the clock where it is.
    fn advance_clock(&mut self, at: Timestamp) {
        if self.state.clock.is_some_and(|clock| clock >= at) {
            return;
        }
        if self.state.clock.is_none() {
            self.schedule_daily(at);
        }
        self.fire_deadlines_before(at);
        self.state.clock = Some(at);
    }

    /// Fires, in time order, every deadline due strictly before `now`.
    fn fire_deadlines_before(&mut self, now: Timestamp) {
        while let Some((due_at, deadline)) = self.state.workflow.deadlines.pop_due_before(now) {
            match deadline {
                Deadline::TransferReceipt(transfer) => self.fire_transfer_receipt(&transfer, due_at),
                Deadline::PurchaseOrderExpected(po) => self.fire_po_expected(&po, due_at),
                Deadline::Refund(return_number) => self.fire_refund_due(&return_number, due_at),
                Deadline::OrderShipment(order) => self.fire_order_at_risk(&order, due_at),
                Deadline::Daily => self.fire_daily(due_at),
                Deadline::Escalation(exception, level) => {
                    self.fire_escalation(exception, level, due_at);
                    self.continue_sla_steps(exception, (due_at, deadline));
                }
                Deadline::Breach(exception, target) => {
                    self.fire_breach(exception, target, due_at);
                    self.continue_sla_steps(exception, (due_at, deadline));
                }
                Deadline::Renotify(exception, count) => self.fire_renotify(exception, count, due_at),
                Deadline::Repeat(exception, count) => self.fire_repeat(exception, count, due_at),
            }
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn rules(&self) -> &Rules {
        &self.config.rules
    }

    pub fn rules_version(&self) -> &str {
        &self.rules_version
    }

    pub fn applied_seq(&self) -> u64 {
        self.state.applied_seq
    }

    /// When the earliest pending deadline falls due: a clock that follows the wall clock must tick by then.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.state.workflow.deadlines.next_due()
    }

    pub fn clock(&self) -> Option<Timestamp> {
        self.state.clock
    }

    pub fn ledger(&self) -> &Ledger {
        &self.state.picture.ledger
    }

    /// Heap bytes held by the detectors' per-position statistics (sales history).
    pub fn detector_stats_bytes(&self) -> usize {
        self.state.stats.table_bytes()
    }

    pub fn location_id(&self, code: &str) -> Option<LocationId> {
        self.state.picture.locations.get(code)
    }

    pub fn sku_id(&self, code: &str) -> Option<SkuId> {
        self.state.picture.skus.get(code)
    }

    /// The SKU a person typed or scanned: a known SKU as it is, else the product whose barcode it is (a scan
    /// of a form, not a hot path: the products are searched in order), with the product's name when known.
    pub fn product_by_code(&self, code: &str) -> Option<(&str, Option<&str>)> {
        let picture = &self.state.picture;
        let name_of = |sku: SkuId| picture.master.product(sku).map(|product| product.name.as_str());
        if let Some(sku) = picture.skus.get(code) {
            return Some((picture.skus.name(sku), name_of(sku)));
        }
        let (index, product) = picture
            .master
            .products
            .iter()
            .enumerate()
            .find_map(|(index, product)| {
                product
                    .as_ref()
                    .filter(|product| product.barcode.as_deref() == Some(code))
                    .map(|product| (index, product))
            })?;
        Some((picture.skus.name(index as SkuId), Some(product.name.as_str())))
    }

    pub fn location_code(&self, location: LocationId) -> &str {
        self.state.picture.locations.name(location)
    }

    pub fn sku_code(&self, sku: SkuId) -> &str {
        self.state.picture.skus.name(sku)
    }

    /// The position of a location and SKU by code; zero when the ledger never saw it.
    pub fn position(&self, location: &str, sku: &str) -> Position {
        match (self.location_id(location), self.sku_id(sku)) {
            (Some(location), Some(sku)) => self.state.picture.position(location, sku),
            _ => Position::default(),
        }
    }

    /// Why `command` cannot act on its exception now, if it cannot (the shell asks before logging it).
    /// Whether a command fits the exception's state and the rules: evidence required before resolving, and the
    /// four-eyes rule (above a type's threshold, a resolution needs an approval by another person with the role).
    pub fn check_command(&self, command: &Command) -> Result<(), Refusal> {
        self.state.book.exceptions.check_command(command)?;
        self.check_task_command(command)?;
        let record = self.state.book.exceptions.get(command.exception);
        let subject = format!("exception {}", record.id);
        let refuse = |kind: RefusalKind, problem: String| Err(Refusal::new(kind, problem).about(&subject));
        let type_name = self.type_name(record.key.exception_type);
        match &command.action {
            Action::Resolve { .. } => {
                let requires_evidence = match record.key.exception_type {
                    TypeRef::BuiltIn(exception_type) => self.config.rules.rule(exception_type).require_evidence,
                    TypeRef::Custom(_) => false,
                };
                if requires_evidence && record.evidence.is_empty() {
                    return refuse(
                        RefusalKind::Conflict,
                        format!("{type_name} needs evidence attached before it is resolved"),
                    );
                }
                if let Some(rule) = self.approval_rule_exceeded(record)
                    && !record.approval.as_ref().is_some_and(|approval| approval.is_approved())
                {
                    return refuse(
                        RefusalKind::Conflict,
                        format!(
                            "impact {} is above {}: request approval, and have another {} approve, first",
                            self.money_text(record.impact),
                            self.money_text(Money(rule.above)),
                            rule.role
                        ),
                    );
                }
                Ok(())
            }
            Action::Approve { .. } | Action::Reject { .. } => {
                let required = self.approver_role(record.key.exception_type);
                match command.role.as_deref() {
                    Some(role) if role == required || role == "admin" => Ok(()),
                    role => refuse(
                        RefusalKind::Forbidden,
                        format!(
                            "deciding an approval needs role {required}; {} has {}",
                            command.actor,
                            role.unwrap_or("no stated role")
                        ),
                    ),
                }
            }
            _ => Ok(()),
        }
    }

    pub fn exception_records(&self) -> &[ExceptionRecord] {
        self.state.book.exceptions.records()
    }

    /// The snapshot encoding of the whole state (versioned by [`SNAPSHOT_FORMAT_VERSION`]).
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(&self.state).expect("engine state always encodes")
    }

    /// Restores an engine from a snapshot taken under the same rules.
    pub fn from_snapshot(bytes: &[u8], config: EngineConfig) -> Result<Self, SnapshotError> {
        let state: State =
            postcard::from_bytes(bytes).map_err(|error| SnapshotError::Undecodable(error.to_string()))?;
        let rules_version = config.rules.version();
        if state.rules_version != rules_version {
            return Err(SnapshotError::OtherRules {
                found: state.rules_version,
                current: rules_version,
            });
        }
        Ok(Self::assemble(state, config, rules_version))
    }

    /// SHA-256 of the snapshot encoding, in hex: equal states give equal hashes.
    pub fn state_hash(&self) -> String {
        hash_hex(&self.snapshot_bytes())
    }
}
