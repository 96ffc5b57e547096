//! The ground truth: every fault the simulator injected and the exceptions the spec says it must raise.
//!
//! The truth comes from the simulator's own model of the world (what it did on purpose), never from the engine
//! it grades. Each fault lists one [`ExpectedException`] per exception it must raise, with the key exceptions.md
//! de-duplicates on and the earliest instant the spec's rule makes it detectable; the summary fields of
//! [`InjectedFault`] (`exception_types`, `key`, `detectable_at`) are derived from that list.
//! Expectations the event stream cannot reveal (a deadline after the last event) are dropped when the truth is
//! finished, and so is a fault left with none.

use chrono::{DateTime, Utc};
use retex_core::codes::Timestamp;

use crate::clock::DAY;
use serde::{Deserialize, Serialize};

/// The exception types of exceptions.md that the simulator's faults raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExceptionType {
    CountVariance,
    PhantomStock,
    TransferOverdue,
    TransferMismatch,
    PoLate,
    PoShort,
    DamagedReceipt,
    PriceMismatch,
    PromotionConflict,
    ReturnPolicy,
    RefundOverdue,
    OrderAtRisk,
    OrderCancelledStockout,
    CustomerComplaint,
    MasterData,
    StoreExceptionRate,
    LowStock,
    ShrinkAnomaly,
}

impl ExceptionType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::CountVariance => "count_variance",
            Self::PhantomStock => "phantom_stock",
            Self::TransferOverdue => "transfer_overdue",
            Self::TransferMismatch => "transfer_mismatch",
            Self::PoLate => "po_late",
            Self::PoShort => "po_short",
            Self::DamagedReceipt => "damaged_receipt",
            Self::PriceMismatch => "price_mismatch",
            Self::PromotionConflict => "promotion_conflict",
            Self::ReturnPolicy => "return_policy",
            Self::RefundOverdue => "refund_overdue",
            Self::OrderAtRisk => "order_at_risk",
            Self::OrderCancelledStockout => "order_cancelled_stockout",
            Self::CustomerComplaint => "customer_complaint",
            Self::MasterData => "master_data",
            Self::StoreExceptionRate => "store_exception_rate",
            Self::LowStock => "low_stock",
            Self::ShrinkAnomaly => "shrink_anomaly",
        }
    }

    /// Types whose detection depends on statistics (velocities, classifiers, peer comparison): a grader should
    /// expect them only approximately, and healthy traffic can raise them too.
    pub(crate) fn is_statistical(self) -> bool {
        matches!(
            self,
            Self::LowStock
                | Self::PhantomStock
                | Self::StoreExceptionRate
                | Self::CustomerComplaint
                | Self::ShrinkAnomaly
        )
    }
}

/// The statistical types, as written in `truth.json`.
const STATISTICAL_TYPES: [ExceptionType; 5] = [
    ExceptionType::LowStock,
    ExceptionType::PhantomStock,
    ExceptionType::StoreExceptionRate,
    ExceptionType::CustomerComplaint,
    ExceptionType::ShrinkAnomaly,
];

/// The kinds of fault the simulator injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultKind {
    UnconfirmedTransfer,
    ShortTransfer,
    DamagedTransfer,
    Miscount,
    Shrink,
    PhantomStock,
    SupplierSlip,
    ShortDelivery,
    DamagedDelivery,
    MispricedTill,
    ConflictingPromotion,
    LateReturn,
    RefundNotPaid,
    FulfilmentDelay,
    StaleLedgerAllocation,
    MasterDataDefect,
    CustomerComplaint,
    TroubledStore,
    Stockout,
    ShrinkSpree,
}

impl FaultKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::UnconfirmedTransfer => "unconfirmed_transfer",
            Self::ShortTransfer => "short_transfer",
            Self::DamagedTransfer => "damaged_transfer",
            Self::Miscount => "miscount",
            Self::Shrink => "shrink",
            Self::PhantomStock => "phantom_stock",
            Self::SupplierSlip => "supplier_slip",
            Self::ShortDelivery => "short_delivery",
            Self::DamagedDelivery => "damaged_delivery",
            Self::MispricedTill => "mispriced_till",
            Self::ConflictingPromotion => "conflicting_promotion",
            Self::LateReturn => "late_return",
            Self::RefundNotPaid => "refund_not_paid",
            Self::FulfilmentDelay => "fulfilment_delay",
            Self::StaleLedgerAllocation => "stale_ledger_allocation",
            Self::MasterDataDefect => "master_data_defect",
            Self::CustomerComplaint => "customer_complaint",
            Self::TroubledStore => "troubled_store",
            Self::Stockout => "stockout",
            Self::ShrinkSpree => "shrink_spree",
        }
    }
}

/// The key of an exception as exceptions.md de-duplicates it: location and sku, or a document (`ref`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The transfer, purchase order, order, return, promotion, message or supplier code.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl FaultKey {
    pub(crate) fn location_sku(location: &str, sku: &str) -> Self {
        Self {
            location: Some(location.to_owned()),
            sku: Some(sku.to_owned()),
            reference: None,
        }
    }

    pub(crate) fn document(reference: &str) -> Self {
        Self {
            location: None,
            sku: None,
            reference: Some(reference.to_owned()),
        }
    }

    pub(crate) fn sku_document(sku: &str, reference: &str) -> Self {
        Self {
            location: None,
            sku: Some(sku.to_owned()),
            reference: Some(reference.to_owned()),
        }
    }

    pub(crate) fn location(location: &str) -> Self {
        Self {
            location: Some(location.to_owned()),
            sku: None,
            reference: None,
        }
    }

    pub(crate) fn sku(sku: &str) -> Self {
        Self {
            location: None,
            sku: Some(sku.to_owned()),
            reference: None,
        }
    }
}

/// One exception a fault must raise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectedException {
    pub exception_type: String,
    pub key: FaultKey,
    /// The earliest instant the spec's rule makes it detectable: the triggering event's time, or the deadline.
    pub detectable_at: DateTime<Utc>,
    /// True for types that are detected statistically (see [`Truth::statistical_types`]).
    pub statistical: bool,
    /// When set, an exception counts as finding this one only if it opened within `detect_from..=detect_until`
    /// (else the scorer's window for the type applies): a shelf's stockout is warned before it ran empty, a
    /// misplaced shelf is found while it is still empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect_until: Option<DateTime<Utc>>,
    /// For a position's fault: the units a day the position was expected to sell (before promotions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_units: Option<f64>,
    /// For a shelf emptied while the ledger shows stock: how many days it stayed empty (to the end of the
    /// stream if nobody found it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_days: Option<f64>,
}

/// One injected fault and what it must raise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InjectedFault {
    /// `F00001`, in the order the faults were injected.
    pub id: String,
    /// The fault kind, e.g. `unconfirmed_transfer`.
    pub fault: String,
    /// The exception types it must raise (exceptions.md names), in the order they become detectable.
    pub exception_types: Vec<String>,
    /// The key of its first expected exception.
    pub key: FaultKey,
    /// The earliest instant any of its exceptions becomes detectable.
    pub detectable_at: DateTime<Utc>,
    pub note: String,
    /// Each expected exception with its own key and time (a chain raises several, keyed differently).
    pub expected: Vec<ExpectedException>,
    /// Types that may follow as side effects (statistical, or depending on what customers do next).
    pub may_also_raise: Vec<String>,
}

/// The ground truth of one simulation, written as `truth.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Exception types detected statistically: a grader should allow misses and healthy false alarms for them.
    pub statistical_types: Vec<String>,
    pub faults: Vec<InjectedFault>,
    /// Shelves of positions `low_stock` judges that ran empty in the days after the stream's last event (the
    /// world ran on without writing events): a `low_stock` raised in the stream that warned of one is right, yet
    /// none is missed, since the stream ended before the shelf ran empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stockouts_after_stream: Vec<ExpectedException>,
}

/// A handle to a fault being recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FaultId(usize);

/// Whether an expectation is revealed by an event at that instant, or by a deadline that fires only once a later
/// event moves the engine's clock past it (exceptions.md: deadlines fire strictly before the clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detection {
    AtEvent,
    AtDeadline,
}

struct Expectation {
    exception_type: ExceptionType,
    key: FaultKey,
    at: Timestamp,
    detection: Detection,
    window: Option<Window>,
    daily_units: Option<f64>,
    /// The shelf emptied at `at` and is refilled then (`None`: not yet).
    shelf_refilled: Option<Option<Timestamp>>,
}

/// The openings that count as finding an expectation; `until: None` runs to the end of the stream.
#[derive(Clone, Copy)]
struct Window {
    from: Timestamp,
    until: Option<Timestamp>,
}

struct FaultRecord {
    kind: FaultKind,
    note: String,
    expectations: Vec<Expectation>,
    may_also_raise: Vec<ExceptionType>,
}

/// Collects faults while the world runs; [`TruthRecorder::finish`] turns them into the [`Truth`].
#[derive(Default)]
pub(crate) struct TruthRecorder {
    records: Vec<FaultRecord>,
    /// The stream has ended: what happens next is not written, so no note tells of it.
    stream_ended: bool,
}

impl TruthRecorder {
    pub(crate) fn open(&mut self, kind: FaultKind, note: String) -> FaultId {
        self.records.push(FaultRecord {
            kind,
            note,
            expectations: Vec::new(),
            may_also_raise: Vec::new(),
        });
        FaultId(self.records.len() - 1)
    }

    pub(crate) fn expect(
        &mut self,
        fault: FaultId,
        exception_type: ExceptionType,
        key: FaultKey,
        at: Timestamp,
        detection: Detection,
    ) {
        self.records[fault.0].expectations.push(Expectation {
            exception_type,
            key,
            at,
            detection,
            window: None,
            daily_units: None,
            shelf_refilled: None,
        });
    }

    /// Expects a statistical exception of a shelf that ran empty at `emptied_at`, selling `daily_units` a day:
    /// found by one that opened from `found_from` until the shelf holds stock again (see
    /// [`Self::shelf_refilled`]). `phantom_stock` finds a misplaced shelf while it stays empty; `low_stock` warns
    /// of a stockout before it, or at least raises it while it lasts.
    pub(crate) fn expect_while_empty(
        &mut self,
        fault: FaultId,
        exception_type: ExceptionType,
        key: FaultKey,
        found_from: Timestamp,
        emptied_at: Timestamp,
        daily_units: f64,
    ) {
        self.records[fault.0].expectations.push(Expectation {
            exception_type,
            key,
            at: emptied_at,
            detection: Detection::AtEvent,
            window: Some(Window {
                from: found_from,
                until: None,
            }),
            daily_units: Some(daily_units),
            shelf_refilled: Some(None),
        });
    }

    /// Expects a statistical exception of a fault that lasts to the end of the stream (a store whose practices
    /// stay bad): found by one that opened from `at` on, whenever.
    pub(crate) fn expect_while_it_lasts(
        &mut self,
        fault: FaultId,
        exception_type: ExceptionType,
        key: FaultKey,
        at: Timestamp,
    ) {
        self.records[fault.0].expectations.push(Expectation {
            exception_type,
            key,
            at,
            detection: Detection::AtEvent,
            window: Some(Window { from: at, until: None }),
            daily_units: None,
            shelf_refilled: None,
        });
    }

    /// The shelf of a fault's [`Self::expect_while_empty`] holds stock again at `at`.
    pub(crate) fn shelf_refilled(&mut self, fault: FaultId, at: Timestamp) {
        for expectation in &mut self.records[fault.0].expectations {
            if let Some(refilled @ None) = &mut expectation.shelf_refilled {
                *refilled = Some(at);
                if let Some(window) = &mut expectation.window {
                    window.until = Some(at);
                }
            }
        }
    }

    pub(crate) fn may_also_raise(&mut self, fault: FaultId, exception_type: ExceptionType) {
        let record = &mut self.records[fault.0];
        if !record.may_also_raise.contains(&exception_type) {
            record.may_also_raise.push(exception_type);
        }
    }

    pub(crate) fn append_note(&mut self, fault: FaultId, text: &str) {
        if self.stream_ended {
            return;
        }
        let note = &mut self.records[fault.0].note;
        note.push_str("; ");
        note.push_str(text);
    }

    /// The stream has ended; the world may run on to see what follows it, without notes.
    pub(crate) fn end_stream(&mut self) {
        self.stream_ended = true;
    }

    /// The public id a fault will carry in the truth (faults keep their injection order).
    pub(crate) fn public_id(fault: FaultId) -> String {
        format!("F{:05}", fault.0 + 1)
    }

    /// Drops what the stream cannot reveal (deadlines not strictly before `last_event_at`, events after it) and
    /// derives each fault's summary fields.
    pub(crate) fn finish(self, last_event_at: Timestamp) -> Truth {
        let mut faults = Vec::new();
        let mut stockouts_after_stream = Vec::new();
        for (index, mut record) in self.records.into_iter().enumerate() {
            let (after, within): (Vec<Expectation>, Vec<Expectation>) = (record.expectations.into_iter())
                .partition(|expectation| is_stockout_after(expectation, last_event_at));
            if !after.is_empty() {
                let after = FaultRecord {
                    kind: record.kind,
                    note: String::new(),
                    expectations: after,
                    may_also_raise: Vec::new(),
                };
                if let Some(fault) = finish_record(FaultId(index), after, last_event_at) {
                    stockouts_after_stream.extend(fault.expected);
                }
            }
            record.expectations = within;
            if let Some(fault) = finish_record(FaultId(index), record, last_event_at) {
                faults.push(fault);
            }
        }
        let statistical_types = STATISTICAL_TYPES.iter().map(|kind| kind.as_str().to_owned()).collect();
        Truth {
            statistical_types,
            faults,
            stockouts_after_stream,
        }
    }
}

/// Whether an expectation is a `low_stock` warning of a shelf that ran empty after the stream's last event, yet
/// could be warned of within the stream.
fn is_stockout_after(expectation: &Expectation, last_event_at: Timestamp) -> bool {
    expectation.exception_type == ExceptionType::LowStock
        && expectation.at > last_event_at
        && expectation.window.is_some_and(|window| window.from <= last_event_at)
}

fn finish_record(id: FaultId, record: FaultRecord, last_event_at: Timestamp) -> Option<InjectedFault> {
    let mut kept: Vec<Expectation> = Vec::new();
    for expectation in record.expectations {
        let revealed = match (expectation.window, expectation.detection) {
            (Some(window), _) => window.from <= last_event_at,
            (None, Detection::AtEvent) => expectation.at <= last_event_at,
            (None, Detection::AtDeadline) => expectation.at < last_event_at,
        };
        if revealed {
            kept.push(expectation);
        }
    }
    kept.sort_by_key(|expectation| expectation.at);
    let first = kept.first()?;
    let key = first.key.clone();
    let detectable_at = utc(first.at);
    let mut exception_types: Vec<String> = Vec::new();
    let mut expected = Vec::new();
    for expectation in &kept {
        let name = expectation.exception_type.as_str().to_owned();
        if !exception_types.contains(&name) {
            exception_types.push(name.clone());
        }
        let until = |window: Window| window.until.unwrap_or(last_event_at).min(last_event_at);
        let empty_until = expectation
            .shelf_refilled
            .map(|refilled| refilled.unwrap_or(last_event_at).min(last_event_at));
        expected.push(ExpectedException {
            exception_type: name,
            key: expectation.key.clone(),
            detectable_at: utc(expectation.at),
            statistical: expectation.exception_type.is_statistical(),
            detect_from: expectation.window.map(|window| utc(window.from)),
            detect_until: expectation.window.map(|window| utc(until(window))),
            daily_units: expectation.daily_units,
            empty_days: empty_until.map(|until| (until.0 - expectation.at.0) as f64 / DAY as f64),
        });
    }
    Some(InjectedFault {
        id: TruthRecorder::public_id(id),
        fault: record.kind.as_str().to_owned(),
        exception_types,
        key,
        detectable_at,
        note: record.note,
        expected,
        may_also_raise: record
            .may_also_raise
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect(),
    })
}

fn utc(at: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.0).expect("simulated instants are within chrono's range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stockout_is_found_from_its_warning_window_until_the_shelf_is_refilled() {
        let mut recorder = TruthRecorder::default();
        let fault = recorder.open(FaultKind::Stockout, "the shelf ran empty".into());
        let (emptied, refilled) = (Timestamp(20 * DAY), Timestamp(21 * DAY + DAY / 2));
        let key = FaultKey::location_sku("S1", "K1");
        let warned_from = Timestamp(emptied.0 - 14 * DAY);
        recorder.expect_while_empty(fault, ExceptionType::LowStock, key, warned_from, emptied, 2.0);
        recorder.shelf_refilled(fault, refilled);
        let truth = recorder.finish(Timestamp(30 * DAY));
        let expected = &truth.faults[0].expected[0];
        assert_eq!(expected.detectable_at, utc(emptied));
        assert_eq!(expected.detect_from, Some(utc(warned_from)));
        assert_eq!(expected.detect_until, Some(utc(refilled)));
        assert_eq!(expected.empty_days, Some(1.5));
    }

    #[test]
    fn a_stockout_after_the_stream_is_kept_apart_with_its_warning_window_cut_at_the_end() {
        let mut recorder = TruthRecorder::default();
        let stream_end = Timestamp(30 * DAY);
        let key = FaultKey::location_sku("S1", "K1");
        for emptied in [Timestamp(32 * DAY), Timestamp(50 * DAY)] {
            let fault = recorder.open(FaultKind::Stockout, "the shelf ran empty".into());
            let warned_from = Timestamp(emptied.0 - 14 * DAY);
            recorder.expect_while_empty(fault, ExceptionType::LowStock, key.clone(), warned_from, emptied, 2.0);
        }
        let truth = recorder.finish(stream_end);
        assert!(truth.faults.is_empty(), "neither is expected of the stream");
        let [after] = truth.stockouts_after_stream.as_slice() else {
            panic!(
                "one could be warned of in the stream: {:?}",
                truth.stockouts_after_stream
            );
        };
        assert_eq!(after.detectable_at, utc(Timestamp(32 * DAY)));
        assert_eq!(after.detect_from, Some(utc(Timestamp(18 * DAY))));
        assert_eq!(after.detect_until, Some(utc(stream_end)));
    }

    #[test]
    fn after_the_stream_ends_no_note_is_added() {
        let mut recorder = TruthRecorder::default();
        let fault = recorder.open(FaultKind::Stockout, "the shelf ran empty".into());
        recorder.append_note(fault, "in the stream");
        recorder.end_stream();
        recorder.append_note(fault, "after it");
        assert_eq!(recorder.records[0].note, "the shelf ran empty; in the stream");
    }
}
