//! The engine: applies inputs in log order to the operational picture and raises exceptions.
//!
//! [`Engine::apply`] is the only way state changes. It is deterministic: no clock, no randomness, no I/O, and
//! every map that leaves the engine is sorted first, so a snapshot plus its tail and a full replay end in the same
//! bytes and the same [`Engine::state_hash`].

mod classify;
mod deadlines;
mod documents;
mod exceptions;
mod interner;
mod ledger;
mod master;
mod operations;
mod sorted_map;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use classify::ComplaintClassifier;
pub use deadlines::{Deadline, DeadlineQueue};
pub use documents::{OrderDoc, OrderStatus, PurchaseOrderDoc, ReturnDoc, TransferDoc};
pub use exceptions::{
    ExceptionBook, ExceptionKey, ExceptionRecord, ExceptionStatus, ExceptionType,
};
pub use interner::Interner;
pub use ledger::{Ledger, LocationId, Position, SkuId};
pub use master::MasterData;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::event::Event;

/// Version of the snapshot encoding; a snapshot of another version is ignored and the log replayed instead.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// One entry of the log, as the engine applies it.
// Nearly every input is an event: boxing it would add an allocation per event to the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Event(Event),
    /// Moves the clock to this instant (`retex tick --at T`, or the server's wall clock).
    Tick(Timestamp),
}

impl Input {
    pub fn time(&self) -> Timestamp {
        match self {
            Self::Event(event) => Timestamp::from_datetime(&event.at),
            Self::Tick(at) => *at,
        }
    }
}

/// What applying an input changed, for the shell to materialise or deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    ExceptionOpened(u64),
    ExceptionRecurred(u64),
    ExceptionResolved(u64),
}

/// Everything the engine knows; serialized as a snapshot.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    /// Sequence number of the last applied log entry; 0 before the first.
    applied_seq: u64,
    /// Event time: the newest input time applied so far.
    clock: Option<Timestamp>,
    locations: Interner,
    skus: Interner,
    master: MasterData,
    ledger: Ledger,
    #[serde(with = "sorted_map")]
    transfers: FxHashMap<DocumentNumber, TransferDoc>,
    #[serde(with = "sorted_map")]
    purchase_orders: FxHashMap<DocumentNumber, PurchaseOrderDoc>,
    #[serde(with = "sorted_map")]
    orders: FxHashMap<DocumentNumber, OrderDoc>,
    #[serde(with = "sorted_map")]
    returns: FxHashMap<DocumentNumber, ReturnDoc>,
    deadlines: DeadlineQueue,
    exceptions: ExceptionBook,
}

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("snapshot does not decode: {0}")]
pub struct SnapshotError(String);

#[derive(Clone, Debug, Default)]
pub struct Engine {
    state: State,
}

/// One ledger row with its codes, as the CLI and API print it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StockRow<'a> {
    pub location: &'a str,
    pub sku: &'a str,
    pub on_hand: Qty,
    pub reserved: Qty,
    pub in_transit: Qty,
}

/// One exception with its codes, as `retex exceptions` prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExceptionView<'a> {
    pub id: u64,
    #[serde(rename = "type")]
    pub exception_type: &'static str,
    pub category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<&'a str>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    pub opened_at: String,
    pub status: &'static str,
    pub impact: Money,
    pub occurrences: u32,
    pub caused_by: &'a [u64],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<u64>,
}

impl Engine {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one log entry. `seq` must be greater than every sequence number applied before.
    pub fn apply(&mut self, seq: u64, input: &Input, outputs: &mut Vec<Output>) {
        assert!(
            seq > self.state.applied_seq,
            "log entry {seq} applied after {}",
            self.state.applied_seq
        );
        let at = input.time();
        self.advance_clock(at, outputs);
        if let Input::Event(event) = input {
            self.apply_event(seq, event, at, outputs);
            // An obligation created already overdue fires now, at the time of the event that created it.
            let clock = self.state.clock.unwrap_or(at);
            self.fire_deadlines_before(clock, outputs);
        }
        self.state.applied_seq = seq;
    }

    /// Moves the clock forward to `at`, firing every deadline strictly before it in time order; a late input
    /// (dated before the clock) leaves the clock where it is.
    fn advance_clock(&mut self, at: Timestamp, outputs: &mut Vec<Output>) {
        if self.state.clock.is_some_and(|clock| clock >= at) {
            return;
        }
        self.fire_deadlines_before(at, outputs);
        self.state.clock = Some(at);
    }

    pub fn applied_seq(&self) -> u64 {
        self.state.applied_seq
    }

    pub fn clock(&self) -> Option<Timestamp> {
        self.state.clock
    }

    pub fn ledger(&self) -> &Ledger {
        &self.state.ledger
    }

    pub fn location_id(&self, code: &str) -> Option<LocationId> {
        self.state.locations.get(code)
    }

    pub fn sku_id(&self, code: &str) -> Option<SkuId> {
        self.state.skus.get(code)
    }

    /// The position of a location and SKU by code; zero when the ledger never saw it.
    pub fn position(&self, location: &str, sku: &str) -> Position {
        match (self.location_id(location), self.sku_id(sku)) {
            (Some(location), Some(sku)) => self
                .state
                .ledger
                .get(location, sku)
                .copied()
                .unwrap_or_default(),
            _ => Position::default(),
        }
    }

    /// Ledger rows ordered by location then SKU code, optionally for one location and/or SKU.
    pub fn stock_rows(&self, location: Option<&str>, sku: Option<&str>) -> Vec<StockRow<'_>> {
        let mut rows = Vec::new();
        for (location_id, sku_id, position) in self.state.ledger.sorted() {
            let location_code = self.state.locations.name(location_id);
            let sku_code = self.state.skus.name(sku_id);
            if location.is_some_and(|wanted| wanted != location_code)
                || sku.is_some_and(|wanted| wanted != sku_code)
            {
                continue;
            }
            rows.push(StockRow {
                location: location_code,
                sku: sku_code,
                on_hand: position.on_hand,
                reserved: position.reserved,
                in_transit: position.in_transit,
            });
        }
        rows.sort_by(|a, b| (a.location, a.sku).cmp(&(b.location, b.sku)));
        rows
    }

    pub fn exception_records(&self) -> &[ExceptionRecord] {
        self.state.exceptions.records()
    }

    /// Every exception with its codes, in order of opening.
    pub fn exceptions(&self) -> Vec<ExceptionView<'_>> {
        let mut views = Vec::new();
        for record in self.state.exceptions.records() {
            let key = &record.key;
            views.push(ExceptionView {
                id: record.id,
                exception_type: key.exception_type.name(),
                category: key.exception_type.category(),
                location: key.location.map(|id| self.state.locations.name(id)),
                sku: key.sku.map(|id| self.state.skus.name(id)),
                reference: key.reference.as_ref().map(DocumentNumber::as_str),
                opened_at: record.opened_at.to_rfc3339(),
                status: match record.status {
                    ExceptionStatus::Open => "open",
                    ExceptionStatus::Resolved => "resolved",
                },
                impact: record.impact,
                occurrences: record.occurrences,
                caused_by: &record.caused_by,
                resolved_at: record.resolved_at.map(Timestamp::to_rfc3339),
                resolved_by: record.resolved_by,
                repeat_of: record.repeat_of,
            });
        }
        views
    }

    /// The snapshot encoding of the whole state (versioned by [`SNAPSHOT_FORMAT_VERSION`]).
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(&self.state).expect("engine state always encodes")
    }

    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let state =
            postcard::from_bytes(bytes).map_err(|error| SnapshotError(error.to_string()))?;
        Ok(Self { state })
    }

    /// SHA-256 of the snapshot encoding, in hex: equal states give equal hashes.
    pub fn state_hash(&self) -> String {
        hash_hex(&self.snapshot_bytes())
    }
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn hash_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}
