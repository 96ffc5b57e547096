//! The exception book: every exception Retex raised, de-duplicated by (type, key), with repeats linked.
//!
//! While an exception with the same type and key is open, a new occurrence increments `occurrences` (and may
//! raise its impact and severity, never lower them); after it is resolved, the next occurrence opens a new
//! exception that names the old one as `repeat_of` (exceptions.md).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::command::{Resolution, RootCause};
use crate::display;
use crate::engine::facts::Facts;
use crate::engine::interner::Interner;
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::sorted_map;
use crate::rules::{ExceptionType, Severity};

/// A built-in type or a custom type of the rules (by its index in `Rules::custom`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TypeRef {
    BuiltIn(ExceptionType),
    Custom(u16),
}

impl TypeRef {
    /// Detected statistically: the field confirms it or not (custom types are not).
    pub fn is_statistical(self) -> bool {
        matches!(self, TypeRef::BuiltIn(exception_type) if exception_type.is_statistical())
    }

    /// Confirmed when a person resolves it: a complaint, a store's rate or its shrink, which nothing but a
    /// person checks.
    pub fn confirmed_by_resolution(self) -> bool {
        matches!(
            self,
            TypeRef::BuiltIn(
                ExceptionType::CustomerComplaint | ExceptionType::StoreExceptionRate | ExceptionType::ShrinkAnomaly
            )
        )
    }
}

/// What de-duplicates an exception: its type and the key columns of exceptions.md.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExceptionKey {
    pub exception_type: TypeRef,
    pub location: Option<LocationId>,
    pub sku: Option<SkuId>,
    pub reference: Option<DocumentNumber>,
}

crate::wire_names! {
    pub enum ExceptionStatus {
        Open = "open",
        InProgress = "in_progress",
        WaitingSupplier = "waiting_supplier",
        WaitingCustomer = "waiting_customer",
        Resolved = "resolved",
        /// Closed by a person as a false positive.
        Dismissed = "dismissed",
    }
}

impl ExceptionStatus {
    /// Still to be worked on: not resolved and not dismissed.
    pub fn is_active(self) -> bool {
        !matches!(self, Self::Resolved | Self::Dismissed)
    }
}

/// One thing that happened to an exception, for its timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// A person, or `retex` for what the engine did. The engine's own words are borrowed, not copied: most
    /// entries are the engine's, and an exception's life writes several.
    pub actor: Cow<'static, str>,
    pub action: Cow<'static, str>,
    pub detail: Cow<'static, str>,
    /// The log entry that did it.
    pub seq: u64,
}

/// The engine's name as an actor on timelines.
pub const ENGINE_ACTOR: &str = "retex";
/// Upper bound on the timeline kept per exception; occurrences beyond it are only counted.
pub const TIMELINE_ENTRIES_MAX: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    /// 1-based, in order of opening.
    pub id: u64,
    pub key: ExceptionKey,
    /// Where it is (also when the key does not name the location, as for an order).
    pub location: Option<LocationId>,
    pub sku: Option<SkuId>,
    /// The transfer, po, order, return, promotion, message or supplier it concerns.
    pub reference: Option<DocumentNumber>,
    pub opened_at: Timestamp,
    pub status: ExceptionStatus,
    /// From the impact bands and the type's floor; only rises.
    pub severity: Severity,
    pub impact: Money,
    /// Every occurrence, the first included.
    pub occurrences: u32,
    pub team: String,
    pub ack_due: Timestamp,
    pub resolve_due: Timestamp,
    /// The version of the rule set that raised it.
    /// Shared by every exception the rule set raised: one allocation, not one per exception.
    pub rules_version: Arc<str>,
    /// Log sequence numbers of the inputs that raised it (traceability), at most [`CAUSES_KEPT_MAX`].
    pub caused_by: Vec<u64>,
    pub resolved_at: Option<Timestamp>,
    /// The log entry whose input cleared the condition.
    pub resolved_by: Option<u64>,
    /// The exception this one repeats: same type and key, resolved before this opened.
    pub repeat_of: Option<u64>,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub assignee: Option<String>,
    /// Set by the person who resolved it.
    pub root_cause: Option<RootCause>,
    /// Acknowledged after `ack_due`, or resolved after `resolve_due`: a breach stays.
    pub ack_breached: bool,
    pub resolve_breached: bool,
    /// The highest escalation level reached (0 before any).
    pub escalation_level: u8,
    /// When each escalation level of the policy falls due; the resolve-clock ones move with pauses.
    pub escalation_dues: Vec<Timestamp>,
    /// Reminders sent while unacknowledged, and repeats of the last level while unresolved.
    pub renotified: u8,
    pub repeats: u8,
    /// Set while a waiting status pauses the resolve clock.
    pub paused_at: Option<Timestamp>,
    /// A silence mutes its escalation until then.
    pub silenced_until: Option<Timestamp>,
    pub timeline: Vec<TimelineEntry>,
    /// What was done, as the resolver said.
    pub resolution: Option<Resolution>,
    /// Files attached, in order.
    pub evidence: Vec<EvidenceRef>,
    /// The latest approval request and its decision.
    pub approval: Option<ApprovalState>,
    /// For a statistical type, what its detector saw, in words.
    pub explanation: Option<String>,
    /// The version of the model that opened it, when a model did (`Insight::version`).
    pub model_version: Option<String>,
    /// For a statistical type, whether the field confirmed it (a count that found the shelf short, the stockout
    /// that followed, a person resolving a complaint) or not (a sale, a full shelf, no stockout, a dismissal).
    pub confirmed: Option<bool>,
    /// What its detector saw at the latest occurrence (a built-in type's numbers), for "What happened".
    pub facts: Option<Facts>,
}

/// A file in the evidence store, by content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub bytes: u64,
    pub by: String,
    pub at: Timestamp,
}

/// An approval request: who asked, and who decided how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalState {
    pub requested_by: String,
    pub requested_at: Timestamp,
    /// The approver and whether they approved; `None` while pending.
    pub decision: Option<(String, bool)>,
}

impl ApprovalState {
    pub fn is_approved(&self) -> bool {
        matches!(self.decision, Some((_, true)))
    }
}

impl ExceptionRecord {
    pub(super) fn note(
        &mut self,
        at: Timestamp,
        actor: &str,
        action: &'static str,
        detail: impl Into<Cow<'static, str>>,
        seq: u64,
    ) {
        if self.timeline.len() < TIMELINE_ENTRIES_MAX {
            let actor = match actor {
                ENGINE_ACTOR => Cow::Borrowed(ENGINE_ACTOR),
                person => Cow::Owned(person.to_owned()),
            };
            self.timeline.push(TimelineEntry {
                at,
                actor,
                action: Cow::Borrowed(action),
                detail: detail.into(),
                seq,
            });
        }
    }
}

/// Upper bound on the causes kept per exception; `occurrences` still counts every one.
pub const CAUSES_KEPT_MAX: usize = 32;

/// Everything an exception starts with, computed by the engine from rules and master data.
pub struct Opening {
    pub key: ExceptionKey,
    pub location: Option<LocationId>,
    pub sku: Option<SkuId>,
    pub reference: Option<DocumentNumber>,
    pub at: Timestamp,
    pub impact: Money,
    pub severity: Severity,
    pub team: String,
    pub ack_due: Timestamp,
    pub resolve_due: Timestamp,
    pub escalation_dues: Vec<Timestamp>,
    pub cause: u64,
    pub explanation: Option<String>,
    pub model_version: Option<String>,
    pub facts: Option<Facts>,
}

/// Another sighting of an open exception's condition.
pub struct Occurrence {
    pub at: Timestamp,
    pub impact: Money,
    pub severity: Severity,
    pub cause: u64,
    pub facts: Option<Facts>,
}

/// The fields queries filter and sort on, 48 bytes side by side, so that a scan reads them in order instead of
/// chasing records. Derived from the records, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExceptionSummary {
    /// The next due time that matters: acknowledgement while unacknowledged, then resolution.
    pub next_due: Timestamp,
    pub opened_at: Timestamp,
    /// The impact in cents, rounded: the sort key of "largest impact first".
    pub impact_cents: i64,
    pub location: Option<LocationId>,
    pub exception_type: TypeRef,
    pub status: ExceptionStatus,
    pub severity: Severity,
    /// The assignee, by [`ExceptionBook::person`] id.
    pub assignee: Option<u32>,
    /// Acknowledged by a person.
    pub acknowledged: bool,
    /// Its acknowledge or resolve target was missed.
    pub breached: bool,
}

const _: () = assert!(size_of::<ExceptionSummary>() == 48);

impl ExceptionSummary {
    fn of(record: &ExceptionRecord, people: &mut Interner) -> Self {
        let next_due = if record.acknowledged_at.is_none() {
            record.ack_due.min(record.resolve_due)
        } else {
            record.resolve_due
        };
        Self {
            next_due,
            opened_at: record.opened_at,
            impact_cents: cents(record.impact.0),
            location: record.location,
            exception_type: record.key.exception_type,
            status: record.status,
            severity: record.severity,
            assignee: record.assignee.as_deref().map(|name| people.intern(name)),
            acknowledged: record.acknowledged_at.is_some(),
            breached: record.ack_breached || record.resolve_breached,
        }
    }

    /// The person whose load this exception counts in: its assignee while it is active.
    fn load_of(&self) -> Option<u32> {
        self.assignee.filter(|_| self.status.is_active())
    }
}

/// An amount in whole cents, rounded half to even; amounts of at most two decimals (nearly all) without
/// decimal arithmetic, as the summaries are refreshed at every change of an exception.
fn cents(amount: Decimal) -> i64 {
    let exact = match amount.scale() {
        0 => i64::try_from(amount.mantissa())
            .ok()
            .and_then(|units| units.checked_mul(100)),
        1 => i64::try_from(amount.mantissa())
            .ok()
            .and_then(|dimes| dimes.checked_mul(10)),
        2 => i64::try_from(amount.mantissa()).ok(),
        _ => None,
    };
    exact.unwrap_or_else(|| (amount * Decimal::ONE_HUNDRED).round().to_i64().unwrap_or(i64::MAX))
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExceptionBook {
    records: Vec<ExceptionRecord>,
    /// One per record, same order; brought up to date after every log entry.
    #[serde(skip)]
    summaries: Vec<ExceptionSummary>,
    /// Records changed since the summaries were last brought up to date.
    #[serde(skip)]
    changed: Vec<u64>,
    /// Assignees, for the summaries' person ids.
    #[serde(skip)]
    people: Interner,
    /// Active exceptions assigned to each person, by person id.
    #[serde(skip)]
    load: Vec<u32>,
    /// The exceptions of each key: one map, so that raising hashes a key once to find both.
    #[serde(with = "sorted_map")]
    keys: FxHashMap<ExceptionKey, KeyExceptions>,
    /// Derived, for suggested resolutions: the exceptions a person gave a root cause, by type, so that a
    /// suggestion reads the type's resolved exceptions instead of the whole book.
    #[serde(skip)]
    root_caused: FxHashMap<TypeRef, BTreeSet<u64>>,
    /// Derived, for suggested resolutions: when the first repeat of an exception opened, by the repeated id.
    #[serde(skip)]
    first_repeat_at: FxHashMap<u64, Timestamp>,
}

/// The exceptions under one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct KeyExceptions {
    /// The open one, if any.
    open: Option<u64>,
    /// The newest, open or not.
    latest: u64,
}

impl ExceptionBook {
    pub fn open_id(&self, key: &ExceptionKey) -> Option<u64> {
        self.keys.get(key).and_then(|ids| ids.open)
    }

    /// Counts one more occurrence of an open exception, with what its detector saw this time; `currency` is
    /// the one its timeline writes the impact in.
    pub fn recur(&mut self, id: u64, occurrence: Occurrence, currency: &str) {
        let record = self.get_mut(id);
        record.occurrences += 1;
        Facts::absorb(&mut record.facts, occurrence.facts);
        record.impact = record.impact.max(occurrence.impact);
        record.severity = record.severity.max(occurrence.severity);
        if record.caused_by.len() < CAUSES_KEPT_MAX {
            record.caused_by.push(occurrence.cause);
        }
        let detail = format!(
            "occurrence {}, impact {}",
            record.occurrences,
            display::money(occurrence.impact, currency)
        );
        record.note(occurrence.at, ENGINE_ACTOR, "occurred", detail, occurrence.cause);
    }

    /// Opens an exception; `currency` is the one its timeline writes the impact in.
    pub fn open(&mut self, opening: Opening, rules_version: &Arc<str>, currency: &str) -> u64 {
        let id = self.records.len() as u64 + 1;
        let now = KeyExceptions {
            open: Some(id),
            latest: id,
        };
        let repeat_of = (self.keys.insert(opening.key.clone(), now)).map(|before| before.latest);
        self.records.push(ExceptionRecord {
            id,
            key: opening.key,
            location: opening.location,
            sku: opening.sku,
            reference: opening.reference,
            opened_at: opening.at,
            status: ExceptionStatus::Open,
            severity: opening.severity,
            impact: opening.impact,
            occurrences: 1,
            team: opening.team,
            ack_due: opening.ack_due,
            resolve_due: opening.resolve_due,
            rules_version: Arc::clone(rules_version),
            caused_by: vec![opening.cause],
            resolved_at: None,
            resolved_by: None,
            repeat_of,
            acknowledged_at: None,
            acknowledged_by: None,
            assignee: None,
            root_cause: None,
            ack_breached: false,
            resolve_breached: false,
            escalation_level: 0,
            escalation_dues: opening.escalation_dues,
            renotified: 0,
            repeats: 0,
            paused_at: None,
            silenced_until: None,
            timeline: Vec::new(),
            resolution: None,
            evidence: Vec::new(),
            approval: None,
            explanation: opening.explanation,
            model_version: opening.model_version,
            confirmed: None,
            facts: opening.facts,
        });
        let record = self.get_mut(id);
        // Written piece by piece: every exception opens with this note.
        let mut detail = String::with_capacity(48 + record.team.len());
        detail.push_str("severity ");
        detail.push_str(record.severity.name());
        detail.push_str(", impact ");
        display::push_money(&mut detail, record.impact, currency);
        detail.push_str(", team ");
        detail.push_str(&record.team);
        record.note(opening.at, ENGINE_ACTOR, "opened", detail, opening.cause);
        id
    }

    /// Resolves the open exception under `key`, if any, and returns its id.
    pub fn resolve(&mut self, key: &ExceptionKey, at: Timestamp, cause: u64) -> Option<u64> {
        let id = self.keys.get_mut(key)?.open.take()?;
        let record = self.get_mut(id);
        record.status = ExceptionStatus::Resolved;
        record.resolved_at = Some(at);
        record.resolved_by = Some(cause);
        record.resolve_breached |= at > record.resolve_due;
        record.note(at, ENGINE_ACTOR, "resolved", "the condition cleared", cause);
        Some(id)
    }

    /// Records what the field said of a statistical exception, once: whether it confirmed it, and how.
    pub fn confirm(&mut self, id: u64, confirmed: bool, at: Timestamp, detail: String, seq: u64) {
        let record = self.get_mut(id);
        if record.confirmed.is_some() {
            return;
        }
        record.confirmed = Some(confirmed);
        let action = if confirmed { "confirmed" } else { "not_confirmed" };
        record.note(at, ENGINE_ACTOR, action, detail, seq);
    }

    /// Records whether the exception under its key is still the open one, after a command changed its status.
    pub(super) fn track_open(&mut self, id: u64) {
        let record = &self.records[(id - 1) as usize];
        let (key, active) = (record.key.clone(), record.status.is_active());
        if let Some(ids) = self.keys.get_mut(&key) {
            if active {
                ids.open = Some(id);
            } else if ids.open == Some(id) {
                ids.open = None;
            }
        }
    }

    pub fn get(&self, id: u64) -> &ExceptionRecord {
        &self.records[(id - 1) as usize]
    }

    pub(super) fn get_mut(&mut self, id: u64) -> &mut ExceptionRecord {
        self.changed.push(id);
        &mut self.records[(id - 1) as usize]
    }

    /// The summaries of [`Self::records`], in the same order.
    pub fn summaries(&self) -> &[ExceptionSummary] {
        &self.summaries
    }

    /// Brings the summaries and the suggestion indexes up to date with the records (after a log entry, or a
    /// snapshot load).
    pub(super) fn refresh_summaries(&mut self) {
        let changed = std::mem::take(&mut self.changed);
        for id in changed {
            let index = (id - 1) as usize;
            if let (Some(record), Some(old)) = (self.records.get(index), self.summaries.get(index).copied()) {
                let new = ExceptionSummary::of(record, &mut self.people);
                Self::index_root_cause(&mut self.root_caused, record);
                self.count_load(old.load_of(), -1);
                self.count_load(new.load_of(), 1);
                self.summaries[index] = new;
            }
        }
        for index in self.summaries.len()..self.records.len() {
            let record = &self.records[index];
            let summary = ExceptionSummary::of(record, &mut self.people);
            Self::index_root_cause(&mut self.root_caused, record);
            if let Some(repeated) = record.repeat_of {
                self.first_repeat_at.entry(repeated).or_insert(record.opened_at);
            }
            self.count_load(summary.load_of(), 1);
            self.summaries.push(summary);
        }
    }

    /// A root cause, once given, stays (a reopen keeps it until the next resolution replaces it).
    fn index_root_cause(root_caused: &mut FxHashMap<TypeRef, BTreeSet<u64>>, record: &ExceptionRecord) {
        if record.root_cause.is_some() {
            root_caused
                .entry(record.key.exception_type)
                .or_default()
                .insert(record.id);
        }
    }

    /// The exceptions of a type that a person gave a root cause, in id order.
    pub fn root_caused(&self, exception_type: TypeRef) -> impl Iterator<Item = &ExceptionRecord> {
        let ids = self.root_caused.get(&exception_type).into_iter().flatten();
        ids.map(|&id| self.get(id))
    }

    /// When the first repeat of an exception opened, if it was repeated.
    pub fn first_repeat_at(&self, id: u64) -> Option<Timestamp> {
        self.first_repeat_at.get(&id).copied()
    }

    fn count_load(&mut self, person: Option<u32>, delta: i32) {
        if let Some(person) = person {
            let person = person as usize;
            if self.load.len() <= person {
                self.load.resize(person + 1, 0);
            }
            self.load[person] = self.load[person].saturating_add_signed(delta);
        }
    }

    /// Everyone who was ever an assignee, by person id.
    pub fn people(&self) -> &Interner {
        &self.people
    }

    /// The person id of a name that was ever an assignee.
    pub fn person(&self, name: &str) -> Option<u32> {
        self.people.get(name)
    }

    /// Active exceptions assigned to a person (as of the last log entry).
    pub fn load(&self, name: &str) -> u32 {
        self.person(name)
            .and_then(|person| self.load.get(person as usize).copied())
            .unwrap_or(0)
    }

    pub fn records(&self) -> &[ExceptionRecord] {
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whole cents come out as decimal rounding gives them, whatever the scale.
        #[test]
        fn cents_round_as_decimals_do(mantissa in any::<i64>(), scale in 0u32..8) {
            let amount = Decimal::new(mantissa, scale);
            let expected = (amount * Decimal::ONE_HUNDRED).round().to_i64().unwrap_or(i64::MAX);
            prop_assert_eq!(cents(amount), expected);
        }
    }
}
