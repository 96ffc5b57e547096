//! The exception book: every exception Retex raised, de-duplicated by (type, key), with repeats linked.
//!
//! While an exception with the same type and key is open, a new occurrence increments `occurrences`; after it is
//! resolved, the next occurrence opens a new exception that names the old one as `repeat_of` (exceptions.md).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::sorted_map;

/// The built-in exception types of exceptions.md that the engine raises so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ExceptionType {
    CountVariance,
    NegativeStock,
    TransferOverdue,
}

impl ExceptionType {
    pub fn name(self) -> &'static str {
        match self {
            Self::CountVariance => "count_variance",
            Self::NegativeStock => "negative_stock",
            Self::TransferOverdue => "transfer_overdue",
        }
    }

    pub fn category(self) -> &'static str {
        match self {
            Self::CountVariance | Self::NegativeStock => "inventory",
            Self::TransferOverdue => "transfer",
        }
    }
}

/// What de-duplicates an exception: its type and the key columns of exceptions.md.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExceptionKey {
    pub exception_type: ExceptionType,
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
    pub opened_at: Timestamp,
    pub status: ExceptionStatus,
    /// Every occurrence, the first included.
    pub occurrences: u32,
    pub impact: Money,
    /// Log sequence numbers of the inputs that raised it (traceability).
    pub caused_by: Vec<u64>,
    pub resolved_at: Option<Timestamp>,
    /// The log entry whose input cleared the condition.
    pub resolved_by: Option<u64>,
    /// The exception this one repeats: same type and key, resolved before this opened.
    pub repeat_of: Option<u64>,
}

/// Upper bound on the causes kept per exception; `occurrences` still counts every one.
pub const CAUSES_KEPT_MAX: usize = 32;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExceptionBook {
    records: Vec<ExceptionRecord>,
    /// Index into `records` of the open exception per key.
    #[serde(with = "sorted_map")]
    open: FxHashMap<ExceptionKey, usize>,
    /// Index into `records` of the newest exception per key, open or not.
    #[serde(with = "sorted_map")]
    latest: FxHashMap<ExceptionKey, usize>,
}

/// What raising an occurrence did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raised {
    Opened(u64),
    Recurred(u64),
}

impl ExceptionBook {
    pub fn raise(&mut self, key: ExceptionKey, at: Timestamp, impact: Money, cause: u64) -> Raised {
        if let Some(&index) = self.open.get(&key) {
            let record = &mut self.records[index];
            record.occurrences += 1;
            record.impact = record.impact.max(impact);
            if record.caused_by.len() < CAUSES_KEPT_MAX {
                record.caused_by.push(cause);
            }
            return Raised::Recurred(record.id);
        }
        let repeat_of = self.latest.get(&key).map(|&index| self.records[index].id);
        let id = self.records.len() as u64 + 1;
        let index = self.records.len();
        self.records.push(ExceptionRecord {
            id,
            key: key.clone(),
            opened_at: at,
            status: ExceptionStatus::Open,
            occurrences: 1,
            impact,
            caused_by: vec![cause],
            resolved_at: None,
            resolved_by: None,
            repeat_of,
        });
        self.open.insert(key.clone(), index);
        self.latest.insert(key, index);
        Raised::Opened(id)
    }

    /// Resolves the open exception under `key`, if any, and returns its id.
    pub fn resolve(&mut self, key: &ExceptionKey, at: Timestamp, cause: u64) -> Option<u64> {
        let index = self.open.remove(key)?;
        let record = &mut self.records[index];
        record.status = ExceptionStatus::Resolved;
        record.resolved_at = Some(at);
        record.resolved_by = Some(cause);
        Some(record.id)
    }

    pub fn is_open(&self, key: &ExceptionKey) -> bool {
        self.open.contains_key(key)
    }

    pub fn records(&self) -> &[ExceptionRecord] {
        &self.records
    }
}
