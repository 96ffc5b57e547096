//! The exception book: every exception Retex raised, de-duplicated by (type, key), with repeats linked.
//!
//! While an exception with the same type and key is open, a new occurrence increments `occurrences` (and may
//! raise its impact and severity, never lower them); after it is resolved, the next occurrence opens a new
//! exception that names the old one as `repeat_of` (exceptions.md).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::sorted_map;
use crate::rules::{ExceptionType, Severity};

/// A built-in type or a custom type of the rules (by its index in `Rules::custom`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TypeRef {
    BuiltIn(ExceptionType),
    Custom(u16),
}

/// What de-duplicates an exception: its type and the key columns of exceptions.md.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExceptionKey {
    pub exception_type: TypeRef,
    pub location: Option<LocationId>,
    pub sku: Option<SkuId>,
    pub reference: Option<DocumentNumber>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExceptionStatus {
    Open,
    Resolved,
}

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
    pub rules_version: String,
    /// Log sequence numbers of the inputs that raised it (traceability), at most [`CAUSES_KEPT_MAX`].
    pub caused_by: Vec<u64>,
    pub resolved_at: Option<Timestamp>,
    /// The log entry whose input cleared the condition.
    pub resolved_by: Option<u64>,
    /// The exception this one repeats: same type and key, resolved before this opened.
    pub repeat_of: Option<u64>,
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
    pub cause: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExceptionBook {
    records: Vec<ExceptionRecord>,
    /// Id of the open exception per key.
    #[serde(with = "sorted_map")]
    open: FxHashMap<ExceptionKey, u64>,
    /// Id of the newest exception per key, open or not.
    #[serde(with = "sorted_map")]
    latest: FxHashMap<ExceptionKey, u64>,
}

impl ExceptionBook {
    pub fn open_id(&self, key: &ExceptionKey) -> Option<u64> {
        self.open.get(key).copied()
    }

    /// Counts one more occurrence of an open exception.
    pub fn recur(&mut self, id: u64, impact: Money, severity: Severity, cause: u64) {
        let record = self.get_mut(id);
        record.occurrences += 1;
        record.impact = record.impact.max(impact);
        record.severity = record.severity.max(severity);
        if record.caused_by.len() < CAUSES_KEPT_MAX {
            record.caused_by.push(cause);
        }
    }

    pub fn open(&mut self, opening: Opening, rules_version: &str) -> u64 {
        let id = self.records.len() as u64 + 1;
        let repeat_of = self.latest.get(&opening.key).copied();
        self.open.insert(opening.key.clone(), id);
        self.latest.insert(opening.key.clone(), id);
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
            rules_version: rules_version.to_string(),
            caused_by: vec![opening.cause],
            resolved_at: None,
            resolved_by: None,
            repeat_of,
        });
        id
    }

    /// Resolves the open exception under `key`, if any, and returns its id.
    pub fn resolve(&mut self, key: &ExceptionKey, at: Timestamp, cause: u64) -> Option<u64> {
        let id = self.open.remove(key)?;
        let record = self.get_mut(id);
        record.status = ExceptionStatus::Resolved;
        record.resolved_at = Some(at);
        record.resolved_by = Some(cause);
        Some(id)
    }

    pub fn get(&self, id: u64) -> &ExceptionRecord {
        &self.records[(id - 1) as usize]
    }

    fn get_mut(&mut self, id: u64) -> &mut ExceptionRecord {
        &mut self.records[(id - 1) as usize]
    }

    pub fn records(&self) -> &[ExceptionRecord] {
        &self.records
    }
}
