//! Returns and refunds: web orders sent back to the warehouse, till purchases brought back to the store, and
//! their faults (a return past its window or refunding more than was paid, a refund never or late paid).
//!
//! A healthy return is requested within the product's `return_days` of the purchase, for units that were bought,
//! refunding exactly what was paid; the refund follows the receipt within 72 h (at once at a till). Resellable
//! units go back on hand.

use rand::Rng;
use retex_core::codes::{DocumentNumber, Timestamp};
use retex_core::event::{
    EventBody, RefundIssued, ReturnCondition, ReturnReceived, ReturnReceivedLine, ReturnRequestLine, ReturnRequested,
};

use crate::clock::{DAY, HOUR, MINUTE, SECOND};
use crate::emit::{Source, money, units};
use crate::messages::{Complaint, Message};
use crate::orders::WebOrder;
use crate::random::{chance, duration_between, instant_between};
use crate::truth::{Detection, ExceptionType, FaultId, FaultKey, FaultKind};
use crate::world::{Action, World, next_number};

/// Share of shipped web orders returned, and of till lines brought back.
const WEB_RETURN_SHARE: f64 = 0.08;
const TILL_RETURN_SHARE: f64 = 0.004;
/// A healthy return comes at least this many days after the purchase, and at most `return_days` - 1.
const EARLIEST_RETURN_DAYS: i64 = 1;
/// A late return comes this many days after the window closed.
const LATE_RETURN_DAYS: std::ops::Range<i64> = 1..5;
/// Share of late-return faults that are past the window (the rest refund more than was paid).
const PAST_WINDOW_SHARE: f64 = 0.6;
/// A generous clerk refunds this share of the price paid when no regular price is higher.
const OVER_REFUND_SHARE: f64 = 1.25;
/// Parcels come back to the warehouse this long after the request.
const PARCEL_RETURN_DAYS: std::ops::Range<i64> = 2..6;
/// Healthy refunds follow the receipt this long after (exceptions.md: overdue after 72 h).
const REFUND_DELAY_HOURS: std::ops::Range<i64> = 4..48;
const REFUND_OVERDUE_HOURS: i64 = 72;
/// An overdue refund is paid this long after receipt, when it is paid at all.
const LATE_REFUND_HOURS: std::ops::Range<i64> = 80..150;
const NEVER_REFUNDED_SHARE: f64 = 0.6;
/// Share of unpaid customers who complain, and when.
const REFUND_COMPLAINT_SHARE: f64 = 0.7;
const REFUND_COMPLAINT_HOURS: std::ops::Range<i64> = 96..150;
/// At a till the three steps of a return follow each other this quickly.
const TILL_STEP_MINUTES: i64 = 2;
/// Share of returned units that come back damaged.
const DAMAGED_RETURN_SHARE: f64 = 0.15;

const REASONS: &[&str] = &[
    "Too small",
    "Changed my mind",
    "Not as described",
    "Wrong colour",
    "Found it cheaper",
    "No longer needed",
];
const DAMAGED_REASON: &str = "Arrived damaged";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReturnFate {
    Healthy,
    PastWindow,
    OverRefund,
    RefundNotPaid,
}

/// What is being returned: a line of a web order or a till receipt, and where it comes back.
struct Purchase {
    order: String,
    location: usize,
    sku: usize,
    qty: i32,
    paid_cents: i64,
}

#[derive(Clone)]
pub(crate) struct ReturnCase {
    pub(crate) number: String,
    /// The web order or till receipt it returns.
    pub(crate) order: String,
    pub(crate) location: usize,
    pub(crate) sku: usize,
    pub(crate) qty: i32,
    pub(crate) refund_cents: i64,
    pub(crate) condition: ReturnCondition,
    pub(crate) at_till: bool,
    pub(crate) fate: ReturnFate,
    pub(crate) note: String,
}

impl World<'_> {
    /// Maybe the customer sends one line of a shipped web order back.
    pub(crate) fn consider_web_return(&mut self, order: &WebOrder) {
        if !chance(&mut self.demand_rng, WEB_RETURN_SHARE) {
            return;
        }
        let (sku, qty, paid_cents) = order.lines[self.demand_rng.random_range(0..order.lines.len())];
        let Some((at, fate)) = self.return_timing(sku, order.placed_at, self.now) else {
            return;
        };
        let purchase = Purchase {
            order: order.number.clone(),
            location: self.network.warehouse,
            sku,
            qty,
            paid_cents,
        };
        let case = self.new_return_case(purchase, fate, false);
        self.schedule(at, Action::RequestReturn(Box::new(case)));
    }

    /// Maybe the customer brings a till line back to the store on a later day, during opening hours.
    pub(crate) fn consider_till_return(&mut self, store: usize, receipt: &str, sku: usize, qty: i32, paid_cents: i64) {
        if !chance(&mut self.demand_rng, TILL_RETURN_SHARE) {
            return;
        }
        let Some((day_hint, fate)) = self.return_timing(sku, self.now, self.now) else {
            return;
        };
        let zone = self.network.locations[store].zone;
        let hours = self.store_hours_on(store, zone.local_date(day_hint));
        let at = instant_between(
            &mut self.demand_rng,
            hours.opens_at,
            Timestamp(hours.closes_at.0 - 10 * MINUTE),
        );
        if at <= self.now {
            return;
        }
        let purchase = Purchase {
            order: receipt.to_owned(),
            location: store,
            sku,
            qty,
            paid_cents,
        };
        let case = self.new_return_case(purchase, fate, true);
        self.schedule(at, Action::RequestReturn(Box::new(case)));
    }

    /// When a return is requested and whether it breaks the policy; `None` when it would not fall in the run.
    fn return_timing(
        &mut self,
        sku: usize,
        purchased_at: Timestamp,
        earliest: Timestamp,
    ) -> Option<(Timestamp, ReturnFate)> {
        let return_days = i64::from(self.catalog.products[sku].return_days);
        let mut fate = ReturnFate::Healthy;
        if chance(&mut self.faults_rng, self.rates.late_return) {
            fate = if self.faults_rng.random_bool(PAST_WINDOW_SHARE) {
                ReturnFate::PastWindow
            } else {
                ReturnFate::OverRefund
            };
        }
        let at = if fate == ReturnFate::PastWindow {
            let days_after = return_days + self.faults_rng.random_range(LATE_RETURN_DAYS);
            Timestamp(purchased_at.0 + days_after * DAY + self.faults_rng.random_range(0..20) * HOUR)
        } else {
            // Most returns come in the first days: the share of the window is a squared uniform draw.
            let window_end = purchased_at.0 + (return_days - 1) * DAY;
            let from = earliest.0.max(purchased_at.0) + EARLIEST_RETURN_DAYS * DAY;
            let share = self.demand_rng.random::<f64>().powi(2);
            let offset = ((window_end - from).max(0) as f64 * share) as i64;
            Timestamp(from + offset / SECOND * SECOND)
        };
        (at < self.horizon && at > earliest).then_some((at, fate))
    }

    fn new_return_case(&mut self, purchase: Purchase, mut fate: ReturnFate, at_till: bool) -> ReturnCase {
        let Purchase {
            order,
            location,
            sku,
            qty,
            paid_cents,
        } = purchase;
        let mut refund_cents = paid_cents * i64::from(qty);
        let mut note = String::new();
        if fate == ReturnFate::OverRefund {
            let regular = self.prices.regular_cents[sku];
            let per_unit = if regular > paid_cents {
                regular
            } else {
                (paid_cents as f64 * OVER_REFUND_SHARE).round() as i64
            };
            refund_cents = per_unit * i64::from(qty);
            note = format!("refunds {refund_cents} cents for units bought at {paid_cents} cents each");
        }
        if fate == ReturnFate::Healthy && !at_till && chance(&mut self.faults_rng, self.rates.refund_not_paid) {
            fate = ReturnFate::RefundNotPaid;
        }
        let condition = if chance(&mut self.demand_rng, DAMAGED_RETURN_SHARE) {
            ReturnCondition::Damaged
        } else {
            ReturnCondition::Resellable
        };
        let number = format!("RT{:06}", next_number(&mut self.numbers.returns));
        ReturnCase {
            number,
            order,
            location,
            sku,
            qty,
            refund_cents,
            condition,
            at_till,
            fate,
            note,
        }
    }

    pub(crate) fn request_return(&mut self, case: ReturnCase) {
        let reason = match case.condition {
            ReturnCondition::Damaged => DAMAGED_REASON,
            ReturnCondition::Resellable => REASONS[self.demand_rng.random_range(0..REASONS.len())],
        };
        let location = &self.network.locations[case.location];
        let body = EventBody::ReturnRequested(ReturnRequested {
            return_number: DocumentNumber::parse(case.number.clone()).expect("return numbers are valid"),
            order: Some(DocumentNumber::parse(case.order.clone()).expect("order numbers are valid")),
            location: location.code.clone(),
            reason: Some(reason.to_owned()),
            lines: vec![ReturnRequestLine {
                sku: self.catalog.products[case.sku].sku.clone(),
                qty: units(case.qty),
                refund: money(case.refund_cents),
            }],
        });
        let (source, offset) = if case.at_till {
            (Source::Pos, location.zone.offset_minutes_at(self.now))
        } else {
            (Source::Web, 0)
        };
        self.emitter
            .emit(self.now, offset, source, format!("{}:requested", case.number), body);
        self.record_return_policy_fault(&case);
        let receive_in = if case.at_till {
            TILL_STEP_MINUTES * MINUTE
        } else {
            duration_between(
                &mut self.operations_rng,
                PARCEL_RETURN_DAYS.start * DAY,
                PARCEL_RETURN_DAYS.end * DAY,
            )
        };
        self.schedule(
            Timestamp(self.now.0 + receive_in),
            Action::ReceiveReturn(Box::new(case)),
        );
    }

    fn record_return_policy_fault(&mut self, case: &ReturnCase) {
        let note = match case.fate {
            ReturnFate::PastWindow => format!(
                "requested after the {} day return window of {}",
                self.catalog.products[case.sku].return_days, case.order
            ),
            ReturnFate::OverRefund => case.note.clone(),
            ReturnFate::Healthy | ReturnFate::RefundNotPaid => return,
        };
        let fault = self.truth.open(FaultKind::LateReturn, note);
        let key = FaultKey::document(&case.number);
        self.truth
            .expect(fault, ExceptionType::ReturnPolicy, key, self.now, Detection::AtEvent);
    }

    pub(crate) fn receive_return(&mut self, case: ReturnCase) {
        if case.condition == ReturnCondition::Resellable {
            let cell = self.ledger.cell(case.location, case.sku);
            cell.physical += case.qty;
            cell.book += case.qty;
        }
        let location = &self.network.locations[case.location];
        let body = EventBody::ReturnReceived(ReturnReceived {
            return_number: DocumentNumber::parse(case.number.clone()).expect("return numbers are valid"),
            location: location.code.clone(),
            lines: vec![ReturnReceivedLine {
                sku: self.catalog.products[case.sku].sku.clone(),
                qty: units(case.qty),
                condition: case.condition,
            }],
        });
        let (source, offset) = if case.at_till {
            (Source::Pos, location.zone.offset_minutes_at(self.now))
        } else {
            (Source::Wms, 0)
        };
        self.emitter
            .emit(self.now, offset, source, format!("{}:received", case.number), body);
        if case.fate == ReturnFate::RefundNotPaid {
            self.withhold_refund(case);
            return;
        }
        let refund_in = if case.at_till {
            TILL_STEP_MINUTES * MINUTE
        } else {
            duration_between(
                &mut self.operations_rng,
                REFUND_DELAY_HOURS.start * HOUR,
                REFUND_DELAY_HOURS.end * HOUR,
            )
        };
        self.schedule(Timestamp(self.now.0 + refund_in), Action::IssueRefund(Box::new(case)));
    }

    /// Finance misses the refund: paid late, or never; the customer may chase it.
    fn withhold_refund(&mut self, case: ReturnCase) {
        let never = self.faults_rng.random_bool(NEVER_REFUNDED_SHARE);
        let note = if never {
            "the refund was never paid"
        } else {
            "the refund was paid days late"
        };
        let fault: FaultId = self.truth.open(FaultKind::RefundNotPaid, note.to_owned());
        let overdue_at = Timestamp(self.now.0 + REFUND_OVERDUE_HOURS * HOUR);
        self.truth.expect(
            fault,
            ExceptionType::RefundOverdue,
            FaultKey::document(&case.number),
            overdue_at,
            Detection::AtDeadline,
        );
        self.truth.may_also_raise(fault, ExceptionType::CustomerComplaint);
        if chance(&mut self.demand_rng, REFUND_COMPLAINT_SHARE) {
            let delay = self.demand_rng.random_range(REFUND_COMPLAINT_HOURS) * HOUR;
            let message = Message::complaint(Complaint::RefundMissing, Some(case.order.clone()), Some(fault));
            self.schedule(Timestamp(self.now.0 + delay), Action::SendMessage(Box::new(message)));
        }
        if !never {
            let late = self.faults_rng.random_range(LATE_REFUND_HOURS) * HOUR;
            self.schedule(Timestamp(self.now.0 + late), Action::IssueRefund(Box::new(case)));
        }
    }

    pub(crate) fn issue_refund(&mut self, case: &ReturnCase) {
        let body = EventBody::RefundIssued(RefundIssued {
            return_number: DocumentNumber::parse(case.number.clone()).expect("return numbers are valid"),
            amount: money(case.refund_cents),
        });
        let (source, offset) = if case.at_till {
            (
                Source::Pos,
                self.network.locations[case.location].zone.offset_minutes_at(self.now),
            )
        } else {
            (Source::Erp, 0)
        };
        self.emitter
            .emit(self.now, offset, source, format!("{}:refund", case.number), body);
    }
}
