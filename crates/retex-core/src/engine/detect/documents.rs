//! Document detectors: transfers (`transfer_overdue`, `transfer_mismatch`), purchase orders (`po_late`,
//! `po_short`, `damaged_receipt`), online orders (`order_at_risk`, `allocation_short`,
//! `order_cancelled_stockout`) and returns (`return_policy`, `refund_overdue`).
//!
//! The timed ones come in pairs: a `*_due_at` that says when the engine should ask (it queues the deadline),
//! and the check it runs then, which first makes sure the deadline still stands (the document may have moved).

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::engine::detect::{Cause, Detection, Params, Verdict, clear};
use crate::engine::documents::{OrderDoc, OrderStatus, PurchaseOrderDoc, ReturnDoc, TransferDoc};
use crate::engine::facts::{DamagedLine, Facts, Lines, OrderedLine, ReturnBreach, ShortLine, TransferLineFacts};
use crate::engine::incidents::Touch;
use crate::engine::interner::Interner;
use crate::engine::ledger::{Ledger, LocationId, SkuId};
use crate::engine::receipts::ReceiptBook;
use crate::event::Receipt;
use crate::rules::{ExceptionType, Param};

/// When a shipped transfer is overdue: `grace_hours` after `expected`, else `no_expected_hours` after shipping.
pub fn transfer_due_at(params: &Params<'_>, doc: &TransferDoc) -> Option<Timestamp> {
    let kind = ExceptionType::TransferOverdue;
    match (doc.expected, doc.shipped_at) {
        (Some(expected), _) => Some(Timestamp(
            expected.0 + params.hours_ms(kind, Param::GraceHours, Some(doc.to), None),
        )),
        (None, Some(shipped_at)) => Some(Timestamp(
            shipped_at.0 + params.hours_ms(kind, Param::NoExpectedHours, Some(doc.to), None),
        )),
        (None, None) => None,
    }
}

/// `transfer_overdue` at its deadline: the transfer is still not received, and its due time has not moved.
pub fn transfer_overdue(
    params: &Params<'_>,
    doc: &TransferDoc,
    transfer: &DocumentNumber,
    due_at: Timestamp,
) -> Option<Detection> {
    if doc.received_at.is_some() || transfer_due_at(params, doc) != Some(due_at) {
        return None;
    }
    let (Some(shipped_at), Some(seq)) = (doc.shipped_at, doc.shipped_seq) else {
        return None;
    };
    let master = params.master;
    let impact = doc.shipped_value(|sku| master.unit_cost(sku));
    let positions = transfer_positions(doc);
    let facts = Facts::TransferOverdue {
        from: doc.from,
        shipped_at,
        expected: doc.expected,
        due_at,
        units: doc.shipped.iter().fold(Qty::ZERO, |sum, &(_, qty)| sum + qty),
        lines: u32::try_from(doc.shipped.len()).unwrap_or(u32::MAX),
    };
    let detection = Detection::on_document(
        ExceptionType::TransferOverdue,
        Some(doc.to),
        transfer,
        &positions,
        due_at.max(shipped_at),
        impact,
        seq,
    );
    Some(detection.with_facts(facts))
}

/// The receipt of a transfer clears `transfer_overdue`.
pub fn transfer_received(transfer: &DocumentNumber, cause: Cause) -> Verdict {
    clear(ExceptionType::TransferOverdue, None, None, Some(transfer), cause)
}

/// `transfer_mismatch`: a received line differs from the shipped quantity, or arrived damaged. Asked once both
/// the shipment and the receipt are known.
pub fn transfer_mismatch(
    params: &Params<'_>,
    doc: &TransferDoc,
    transfer: &DocumentNumber,
    cause: Cause,
) -> Option<Detection> {
    if !params.is_enabled(ExceptionType::TransferMismatch) {
        return None;
    }
    let mut impact = Money::ZERO;
    let mut mismatched = Vec::new();
    for line in doc.lines_by_sku() {
        // A SKU received but never shipped is a mismatch whatever its quantities.
        if line.received != line.shipped || line.damaged > Qty::ZERO || !line.was_shipped {
            let cost = params.master.unit_cost(line.sku);
            impact += (line.received - line.shipped).abs() * cost + line.damaged * cost;
            mismatched.push(TransferLineFacts {
                sku: line.sku,
                shipped: line.shipped,
                received: line.received,
                damaged: line.damaged,
                was_shipped: line.was_shipped,
            });
        }
    }
    (!mismatched.is_empty()).then(|| {
        let positions = transfer_positions(doc);
        let facts = Facts::TransferMismatch {
            from: doc.from,
            lines: Lines::of(mismatched),
        };
        Detection::on_document(
            ExceptionType::TransferMismatch,
            Some(doc.to),
            transfer,
            &positions,
            cause.at,
            impact,
            cause.seq,
        )
        .with_facts(facts)
    })
}

/// `po_late` at `expected`: the PO is open, `expected` has not moved, and a line has received less than
/// `received_share`.
pub fn po_expected(
    params: &Params<'_>,
    doc: &PurchaseOrderDoc,
    po: &DocumentNumber,
    due_at: Timestamp,
) -> Option<Detection> {
    if doc.closed || doc.expected != Some(due_at) || po_fully_received(params, doc, ExceptionType::PoLate) {
        return None;
    }
    let seq = doc.ordered_seq?;
    let facts = Facts::PoLate {
        expected: due_at,
        ordered: doc.lines.iter().fold(Qty::ZERO, |sum, line| sum + line.ordered),
        received: doc.lines.iter().fold(Qty::ZERO, |sum, line| sum + line.received),
    };
    Some(po_detection(params, ExceptionType::PoLate, doc, po, due_at, seq).with_facts(facts))
}

/// `po_late` by a notice: a `po_update` moves `expected` more than `slip_hours` past the original.
pub fn po_slip(params: &Params<'_>, doc: &PurchaseOrderDoc, po: &DocumentNumber, cause: Cause) -> Option<Detection> {
    let (Some(expected), Some(original)) = (doc.expected, doc.original_expected) else {
        return None;
    };
    let slip_ms = params.hours_ms(ExceptionType::PoLate, Param::SlipHours, Some(doc.location), None);
    (expected.0 - original.0 > slip_ms).then(|| {
        po_detection(params, ExceptionType::PoLate, doc, po, cause.at, cause.seq)
            .with_facts(Facts::PoSlip { original, expected })
    })
}

/// After a receipt: `damaged_receipt` per damaged line, `po_short` when a final receipt leaves a line under
/// `received_share`, and `po_late` and `po_short` cleared once every line has arrived. In that order.
pub fn receipt(
    params: &Params<'_>,
    skus: &Interner,
    doc: Option<&PurchaseOrderDoc>,
    receipt: &Receipt,
    location: LocationId,
    cause: Cause,
) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for line in &receipt.lines {
        if line.damaged > Qty::ZERO {
            let sku = skus.get(line.sku.as_str()).expect("interned by the receipt");
            let unit_cost = params.master.unit_cost(sku);
            let impact = line.damaged * unit_cost;
            let damaged = DamagedLine {
                sku,
                received: line.qty,
                damaged: line.damaged,
                unit_cost,
            };
            let detection = Detection::on_document(
                ExceptionType::DamagedReceipt,
                Some(location),
                &receipt.po,
                &[(location, sku)],
                cause.at,
                impact,
                cause.seq,
            );
            let facts = Facts::DamagedReceipt {
                lines: Lines::of([damaged]),
            };
            verdicts.push(Verdict::Raise(detection.with_facts(facts)));
        }
    }
    let Some(doc) = doc else { return verdicts };
    let late_cleared = po_fully_received(params, doc, ExceptionType::PoLate);
    let short_cleared = po_fully_received(params, doc, ExceptionType::PoShort);
    if late_cleared {
        verdicts.push(clear(ExceptionType::PoLate, None, None, Some(&receipt.po), cause));
    }
    if short_cleared {
        verdicts.push(clear(ExceptionType::PoShort, None, None, Some(&receipt.po), cause));
    } else if receipt.is_final {
        let short = po_detection(params, ExceptionType::PoShort, doc, &receipt.po, cause.at, cause.seq);
        let facts = Facts::PoShort {
            lines: Lines::of(short_po_lines(params, doc, ExceptionType::PoShort)),
        };
        verdicts.push(Verdict::Raise(short.with_facts(facts)));
    }
    verdicts
}

/// Whether every line received (damaged included) at least the type's `received_share` of its order.
fn po_fully_received(params: &Params<'_>, doc: &PurchaseOrderDoc, kind: ExceptionType) -> bool {
    short_po_lines(params, doc, kind).next().is_none()
}

/// The lines that received (damaged included) less than the type's `received_share` of their order.
fn short_po_lines<'d>(
    params: &Params<'_>,
    doc: &'d PurchaseOrderDoc,
    kind: ExceptionType,
) -> impl Iterator<Item = OrderedLine> + 'd {
    let share = params.get(kind, Param::ReceivedShare, Some(doc.location), None);
    doc.lines
        .iter()
        .filter(move |line| line.received.0 < line.ordered.0 * share)
        .map(|line| OrderedLine {
            sku: line.sku,
            ordered: line.ordered,
            received: line.received,
        })
}

pub(super) fn po_detection(
    params: &Params<'_>,
    kind: ExceptionType,
    doc: &PurchaseOrderDoc,
    po: &DocumentNumber,
    at: Timestamp,
    seq: u64,
) -> Detection {
    let master = params.master;
    let impact = doc.open_value(|sku| master.unit_cost(sku));
    let positions: Vec<(LocationId, SkuId)> = doc.lines.iter().map(|line| (doc.location, line.sku)).collect();
    let mut detection = Detection::on_document(kind, Some(doc.location), po, &positions, at, impact, seq);
    // What master data feeds the PO types: each line's supplier and the supplier's lead time.
    for line in &doc.lines {
        detection.touches.push(Touch::SupplierOfSku(line.sku));
    }
    if let Some(supplier) = &doc.supplier {
        detection.touches.push(Touch::LeadTimeOf(supplier.clone()));
    }
    detection
}

/// When an order is at risk: `hours_before_ship_by` before its `ship_by`.
pub fn order_at_risk_at(params: &Params<'_>, ship_by: Timestamp) -> Timestamp {
    let hours_ms = params.hours_ms(ExceptionType::OrderAtRisk, Param::HoursBeforeShipBy, None, None);
    Timestamp(ship_by.0 - hours_ms)
}

/// `order_at_risk` at its deadline: the order is open, not shipped in full, and its `ship_by` has not moved.
pub fn order_at_risk(
    params: &Params<'_>,
    doc: &OrderDoc,
    order: &DocumentNumber,
    due_at: Timestamp,
) -> Option<Detection> {
    let (Some(placed_at), Some(ship_by), Some(seq)) = (doc.placed_at, doc.ship_by, doc.placed_seq) else {
        return None;
    };
    if doc.status != OrderStatus::Open || order_at_risk_at(params, ship_by) != due_at {
        return None;
    }
    let facts = Facts::OrderAtRisk {
        ship_by,
        ordered: doc.lines.iter().fold(Qty::ZERO, |sum, line| sum + line.qty),
        shipped: doc.lines.iter().fold(Qty::ZERO, |sum, line| sum + line.shipped),
    };
    let detection = order_detection(
        ExceptionType::OrderAtRisk,
        doc,
        doc.allocated_to,
        order,
        due_at.max(placed_at),
        seq,
    );
    Some(detection.with_facts(facts))
}

/// `allocation_short`: the allocated location's available quantity (on hand less other reservations) is below
/// a line's quantity. Asked before the order's own reservation is placed.
pub fn allocation_short(
    ledger: &Ledger,
    doc: &OrderDoc,
    order: &DocumentNumber,
    location: LocationId,
    cause: Cause,
) -> Option<Detection> {
    let mut short: Vec<ShortLine> = Vec::new();
    for line in &doc.lines {
        let available = ledger
            .get(location, line.sku)
            .map_or(Qty::ZERO, |position| position.available());
        let wanted: Qty = doc
            .lines
            .iter()
            .filter(|other| other.sku == line.sku)
            .fold(Qty::ZERO, |sum, other| sum + other.open_qty());
        if available < wanted && short.iter().all(|seen| seen.sku != line.sku) {
            short.push(ShortLine {
                sku: line.sku,
                wanted,
                available,
            });
        }
    }
    (!short.is_empty()).then(|| {
        order_detection(
            ExceptionType::AllocationShort,
            doc,
            Some(location),
            order,
            cause.at,
            cause.seq,
        )
        .with_facts(Facts::AllocationShort {
            lines: Lines::of(short),
        })
    })
}

/// `order_cancelled_stockout`: the order was cancelled for want of stock.
pub fn cancelled_for_stockout(doc: &OrderDoc, order: &DocumentNumber, cause: Cause) -> Detection {
    let open = doc.lines.iter().map(|line| (line.sku, line.open_qty()));
    let facts = Facts::OrderCancelled {
        lines: Lines::of(open.filter(|(_, qty)| qty.is_positive())),
        value: doc.value(),
    };
    order_detection(
        ExceptionType::OrderCancelledStockout,
        doc,
        doc.allocated_to,
        order,
        cause.at,
        cause.seq,
    )
    .with_facts(facts)
}

/// An order shipped in full or cancelled clears `order_at_risk` and `allocation_short`.
pub fn order_closed(order: &DocumentNumber, cause: Cause) -> [Verdict; 2] {
    [ExceptionType::OrderAtRisk, ExceptionType::AllocationShort].map(|kind| clear(kind, None, None, Some(order), cause))
}

fn order_detection(
    kind: ExceptionType,
    doc: &OrderDoc,
    location: Option<LocationId>,
    order: &DocumentNumber,
    at: Timestamp,
    seq: u64,
) -> Detection {
    let positions: Vec<(LocationId, SkuId)> = match location {
        Some(location) => doc.lines.iter().map(|line| (location, line.sku)).collect(),
        None => Vec::new(),
    };
    Detection::on_document(kind, location, order, &positions, at, doc.value(), seq)
}

/// What `return_policy` reads: the orders and till receipts a return can name, and the products' windows.
#[derive(Clone, Copy)]
pub struct ReturnView<'a> {
    pub params: Params<'a>,
    pub orders: &'a FxHashMap<DocumentNumber, OrderDoc>,
    pub receipts: &'a ReceiptBook,
}

/// `return_policy`: requested more than `return_days` after its order was placed (or first sold), refunds
/// above what was paid for the returned units, or an order Retex never saw.
pub fn return_policy(
    view: &ReturnView<'_>,
    doc: &ReturnDoc,
    return_number: &DocumentNumber,
    cause: Cause,
) -> Option<Detection> {
    let order = doc.order.as_ref()?;
    let breaches = return_breaches(view, doc, order, cause.at);
    (!breaches.is_empty()).then(|| {
        let positions: Vec<(LocationId, SkuId)> = doc.lines.iter().map(|&(sku, _, _)| (doc.location, sku)).collect();
        let mut detection = Detection::on_document(
            ExceptionType::ReturnPolicy,
            Some(doc.location),
            return_number,
            &positions,
            cause.at,
            doc.refund_requested,
            cause.seq,
        );
        detection.touches.push(Touch::Document(order.clone()));
        detection.with_facts(Facts::ReturnPolicy {
            order: order.clone(),
            breaches: Lines::of(breaches),
        })
    })
}

/// What breaks the policy in a return requested at `at`: an order never seen, or per line a request past the
/// product's window or a refund above what was paid for its units.
fn return_breaches(view: &ReturnView<'_>, doc: &ReturnDoc, order: &DocumentNumber, at: Timestamp) -> Vec<ReturnBreach> {
    let (ordered_at, paid) = match (view.orders.get(order), view.receipts.get(order.as_str())) {
        (Some(placed), _) if placed.placed_at.is_some() => {
            let paid: Vec<(SkuId, Qty, Money)> = placed
                .lines
                .iter()
                .map(|line| (line.sku, line.qty, line.qty * line.unit_price))
                .collect();
            (placed.placed_at.expect("matched"), paid)
        }
        (_, Some(sold)) => (sold.first_sold_at, sold.paid),
        _ => return vec![ReturnBreach::UnknownOrder],
    };
    let mut breaches = Vec::new();
    for &(sku, qty, refund) in &doc.lines {
        let return_days = view
            .params
            .master
            .product(sku)
            .map_or(crate::event::RETURN_DAYS_DEFAULT, |product| product.return_days);
        let window_ms = i64::from(return_days) * Timestamp::MILLIS_PER_DAY;
        if at.0 - ordered_at.0 > window_ms {
            breaches.push(ReturnBreach::Late {
                sku,
                days_after: (at.0 - ordered_at.0) / Timestamp::MILLIS_PER_DAY,
                window_days: return_days,
            });
        }
        let (paid_qty, paid_money) = paid
            .iter()
            .filter(|(candidate, _, _)| *candidate == sku)
            .fold((Qty::ZERO, Money::ZERO), |(q, m), &(_, qty, money)| {
                (q + qty, m + money)
            });
        let unit_paid = if paid_qty.0.is_zero() {
            Decimal::ZERO
        } else {
            paid_money.0 / paid_qty.0
        };
        if refund.0 > qty.0 * unit_paid {
            breaches.push(ReturnBreach::OverRefund {
                sku,
                qty,
                refund,
                paid: Money(qty.0 * unit_paid),
            });
        }
    }
    breaches
}

/// When a received return's refund is overdue: `refund_hours` after it was received.
pub fn refund_due_at(params: &Params<'_>, location: Option<LocationId>, received_at: Timestamp) -> Timestamp {
    let hours_ms = params.hours_ms(ExceptionType::RefundOverdue, Param::RefundHours, location, None);
    Timestamp(received_at.0 + hours_ms)
}

/// `refund_overdue` at its deadline: a received return has seen no `refund_issued`.
pub fn refund_overdue(
    params: &Params<'_>,
    doc: &ReturnDoc,
    return_number: &DocumentNumber,
    due_at: Timestamp,
) -> Option<Detection> {
    let (Some(received_at), Some(seq)) = (doc.received_at, doc.received_seq) else {
        return None;
    };
    if doc.refund_seen || refund_due_at(params, Some(doc.location), received_at) != due_at {
        return None;
    }
    let positions: Vec<(LocationId, SkuId)> = doc.lines.iter().map(|&(sku, _, _)| (doc.location, sku)).collect();
    let facts = Facts::RefundOverdue {
        received_at,
        due_at,
        refund: doc.refund_requested,
    };
    let mut detection = Detection::on_document(
        ExceptionType::RefundOverdue,
        Some(doc.location),
        return_number,
        &positions,
        due_at.max(received_at),
        doc.refund_requested,
        seq,
    )
    .with_facts(facts);
    if let Some(order) = &doc.order {
        detection.touches.push(Touch::Document(order.clone()));
    }
    Some(detection)
}

/// A refund clears `refund_overdue`.
pub fn refunded(return_number: &DocumentNumber, cause: Cause) -> Verdict {
    clear(ExceptionType::RefundOverdue, None, None, Some(return_number), cause)
}

/// The positions of a transfer's exception: its receiving location with every SKU shipped or received (the
/// location the exception is about; the sending end's position is another place).
fn transfer_positions(doc: &TransferDoc) -> Vec<(LocationId, SkuId)> {
    let skus = doc
        .shipped
        .iter()
        .map(|&(sku, _)| sku)
        .chain(doc.received.iter().map(|&(sku, _, _)| sku));
    let mut positions: Vec<(LocationId, SkuId)> = skus.map(|sku| (doc.to, sku)).collect();
    positions.sort_unstable();
    positions.dedup();
    positions
}
