//! Purchasing: the buyers' review that orders from suppliers for the warehouse, suppliers' notices, deliveries
//! (split into drops now and then), and the supplier faults (slips, short and damaged deliveries).
//!
//! Each supplier is reviewed every few days; a SKU is ordered up to cover lead time, the review interval and a
//! safety margin. Healthy suppliers deliver before `expected` (and before any earlier date their notice gives),
//! in full: so only injected faults raise `po_late`, `po_short` or `damaged_receipt`. A supplier's
//! unreliability multiplies its slip rate, so late deliveries cluster on a few suppliers, as they do in life.

use rand::Rng;
use retex_core::codes::{DocumentNumber, Timestamp};
use retex_core::event::{EventBody, PoUpdate, PurchaseOrder, PurchaseOrderLine, Receipt, ReceivedLine};

use crate::clock::{DAY, HOUR, event_time};
use crate::emit::{Source, money, units};
use crate::random::chance;
use crate::truth::{Detection, ExceptionType, FaultKey, FaultKind};
use crate::world::{Action, World, next_number};

/// The buyers review at this UTC hour.
pub(crate) const PURCHASE_REVIEW_HOUR: i64 = 2;
/// Each supplier is reviewed every this many days.
const REVIEW_INTERVAL_DAYS: u32 = 3;
/// Extra days of cover the warehouse keeps against late suppliers.
const WAREHOUSE_SAFETY_DAYS: f64 = 6.0;
/// A promotion coming within the lead time multiplies the warehouse's forecast by this: the promotion's lift plus
/// the stores raising their own stock to match it.
const WAREHOUSE_PROMOTION_FACTOR: f64 = 3.0;
/// How far past lead time and review interval the buyers look for promotions.
const PROMOTION_HORIZON_DAYS: i64 = 7;
/// Deliveries are due at this UTC hour of the expected day.
const DELIVERY_SLOT_HOUR: i64 = 10;
/// Healthy deliveries arrive this long before the (possibly advanced) expected instant.
const EARLY_DELIVERY_HOURS: std::ops::Range<i64> = 1..16;
/// Share of healthy orders with an advance ship notice, which may move `expected` earlier by up to this much.
const ADVANCE_NOTICE_SHARE: f64 = 0.4;
const ADVANCE_NOTICE_EARLIER_HOURS: std::ops::Range<i64> = 0..5;
/// Notices come this long before the delivery.
const NOTICE_LEAD_HOURS: std::ops::Range<i64> = 12..36;
/// Share of healthy orders split into two drops; the first comes this long before the second.
const SPLIT_DELIVERY_SHARE: f64 = 0.15;
const SPLIT_GAP_HOURS: std::ops::Range<i64> = 12..36;
/// A delay notice moves `expected` this far (exceptions.md: more than 24 h is late).
const DELAY_NOTICE_HOURS: std::ops::Range<i64> = 30..96;
/// A silent slip delivers this long after `expected`.
const SILENT_SLIP_HOURS: std::ops::Range<i64> = 6..72;
/// Share of slips announced by a delay notice (the rest are silent).
const ANNOUNCED_SLIP_SHARE: f64 = 0.5;
/// A short line delivers this share of what was ordered (exceptions.md: below 98% is short).
const SHORT_LINE_SHARE: std::ops::Range<f64> = 0.5..0.95;

pub(crate) struct DeliveryLine {
    pub(crate) sku: usize,
    pub(crate) qty: i32,
    pub(crate) damaged: i32,
    /// Units this drop takes off the warehouse's on-order quantity (the final drop clears what is left).
    pub(crate) on_order_release: i32,
}

pub(crate) struct Delivery {
    pub(crate) po: String,
    pub(crate) lines: Vec<DeliveryLine>,
    pub(crate) is_final: bool,
}

pub(crate) struct DelayNotice {
    pub(crate) po: String,
    pub(crate) expected: Timestamp,
}

/// What goes wrong with a purchase order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SupplierFault {
    None,
    AnnouncedSlip,
    SilentSlip,
    Short,
    Damaged,
}

impl World<'_> {
    pub(crate) fn review_purchasing(&mut self, day: u32) {
        for supplier in 0..self.catalog.suppliers.len() {
            if (day + supplier as u32).is_multiple_of(REVIEW_INTERVAL_DAYS) {
                self.order_from_supplier(supplier, day);
            }
        }
    }

    /// Units the warehouse should hold of a SKU after a review: lead time, review interval and safety.
    pub(crate) fn warehouse_order_up_to(&self, sku: usize) -> i32 {
        let product = &self.catalog.products[sku];
        let lead_time_days = f64::from(self.catalog.suppliers[product.supplier].lead_time_days);
        let velocity = self.warehouse_velocity(sku);
        let cover_days = lead_time_days + 2.0 * f64::from(REVIEW_INTERVAL_DAYS) + WAREHOUSE_SAFETY_DAYS;
        (velocity * cover_days).ceil() as i32 + product.case_pack
    }

    /// The buyers' forecast of what the warehouse ships a day, raised for a promotion within reach.
    fn warehouse_velocity(&self, sku: usize) -> f64 {
        let product = &self.catalog.products[sku];
        let lead_time_days = i64::from(self.catalog.suppliers[product.supplier].lead_time_days);
        let reach_days = lead_time_days + i64::from(REVIEW_INTERVAL_DAYS) + PROMOTION_HORIZON_DAYS;
        let reach = Timestamp(self.now.0 + reach_days * DAY);
        let expected = self.demand.expected_units[self.ledger.cell_index(self.network.warehouse, sku)];
        if self.prices.has_promotion_between(sku, self.now, reach) {
            expected * WAREHOUSE_PROMOTION_FACTOR
        } else {
            expected
        }
    }

    fn order_from_supplier(&mut self, supplier: usize, day: u32) {
        let mut lines = Vec::new();
        for sku in 0..self.catalog.products.len() {
            let product = &self.catalog.products[sku];
            if product.supplier != supplier {
                continue;
            }
            let stock = &self.ledger.cells[self.ledger.cell_index(self.network.warehouse, sku)];
            let position = stock.book - stock.reserved + stock.in_transit;
            let velocity = self.warehouse_velocity(sku);
            let order_up_to = self.warehouse_order_up_to(sku);
            let reorder_point = order_up_to - (velocity * f64::from(REVIEW_INTERVAL_DAYS)).ceil() as i32;
            if position >= reorder_point {
                continue;
            }
            let cases = (order_up_to - position + product.case_pack - 1) / product.case_pack;
            lines.push((sku, cases * product.case_pack));
        }
        if lines.is_empty() {
            return;
        }
        let lead_time_days = self.catalog.suppliers[supplier].lead_time_days;
        let expected = Timestamp(self.day_start(day + lead_time_days).0 + DELIVERY_SLOT_HOUR * HOUR);
        let po = format!("PO{:06}", next_number(&mut self.numbers.purchase_orders));
        for &(sku, qty) in &lines {
            self.ledger.cell(self.network.warehouse, sku).in_transit += qty;
        }
        self.emit_purchase_order(&po, supplier, &lines, expected);
        let fault = self.supplier_fault(supplier);
        self.plan_deliveries(po, lines, expected, fault);
    }

    fn emit_purchase_order(&mut self, po: &str, supplier: usize, lines: &[(usize, i32)], expected: Timestamp) {
        let body = EventBody::PurchaseOrder(PurchaseOrder {
            po: DocumentNumber::parse(po).expect("po numbers are valid"),
            supplier: self.catalog.suppliers[supplier].code.clone(),
            location: self.network.locations[self.network.warehouse].code.clone(),
            expected: event_time(expected, 0),
            lines: lines
                .iter()
                .map(|&(sku, qty)| PurchaseOrderLine {
                    sku: self.catalog.products[sku].sku.clone(),
                    qty: units(qty),
                    unit_cost: Some(money(self.catalog.products[sku].cost_cents)),
                })
                .collect(),
        });
        self.emitter.emit(self.now, 0, Source::Erp, format!("{po}:order"), body);
    }

    fn supplier_fault(&mut self, supplier: usize) -> SupplierFault {
        let slip_rate = self.rates.supplier_slip * self.catalog.suppliers[supplier].unreliability;
        if chance(&mut self.faults_rng, slip_rate) {
            return if self.faults_rng.random_bool(ANNOUNCED_SLIP_SHARE) {
                SupplierFault::AnnouncedSlip
            } else {
                SupplierFault::SilentSlip
            };
        }
        if chance(&mut self.faults_rng, self.rates.short_delivery) {
            return SupplierFault::Short;
        }
        if chance(&mut self.faults_rng, self.rates.damaged_delivery) {
            return SupplierFault::Damaged;
        }
        SupplierFault::None
    }

    /// Schedules the notice and the drops of an order, and records what its fault must raise.
    fn plan_deliveries(&mut self, po: String, lines: Vec<(usize, i32)>, expected: Timestamp, fault: SupplierFault) {
        let ordered_at = self.now;
        let due = self.schedule_notice(&po, expected, fault);
        let delivered_at = if fault == SupplierFault::SilentSlip {
            let note = "delivered after expected without notice";
            self.record_supplier_fault(
                FaultKind::SupplierSlip,
                &po,
                ExceptionType::PoLate,
                expected,
                Detection::AtDeadline,
                note,
            );
            Timestamp(expected.0 + self.faults_rng.random_range(SILENT_SLIP_HOURS) * HOUR)
        } else {
            let early = self.operations_rng.random_range(EARLY_DELIVERY_HOURS) * HOUR;
            Timestamp((due.0 - early).max(ordered_at.0 + HOUR))
        };
        let split_at = Timestamp(delivered_at.0 - self.operations_rng.random_range(SPLIT_GAP_HOURS) * HOUR);
        let can_split = fault == SupplierFault::None && split_at.0 > ordered_at.0 + HOUR;
        if can_split && chance(&mut self.operations_rng, SPLIT_DELIVERY_SHARE) {
            self.schedule_split_delivery(po, &lines, split_at, delivered_at);
            return;
        }
        let delivery = self.full_delivery(&po, &lines, fault, delivered_at);
        self.schedule(delivered_at, Action::ReceivePurchaseOrder(Box::new(delivery)));
    }

    /// Schedules the supplier's notice, if one comes, and returns the date deliveries are due by: a delay notice
    /// moves it more than 24 h later (a fault), an advance ship notice a few hours earlier.
    fn schedule_notice(&mut self, po: &str, expected: Timestamp, fault: SupplierFault) -> Timestamp {
        let ordered_at = self.now;
        let (due, notice_at) = if fault == SupplierFault::AnnouncedSlip {
            let due = Timestamp(expected.0 + self.faults_rng.random_range(DELAY_NOTICE_HOURS) * HOUR);
            let notice_at = self.notice_time(expected, ordered_at);
            let note = "the supplier's notice moved expected by more than 24 h";
            self.record_supplier_fault(
                FaultKind::SupplierSlip,
                po,
                ExceptionType::PoLate,
                notice_at,
                Detection::AtEvent,
                note,
            );
            (due, notice_at)
        } else if fault == SupplierFault::None && chance(&mut self.operations_rng, ADVANCE_NOTICE_SHARE) {
            let earlier = self.operations_rng.random_range(ADVANCE_NOTICE_EARLIER_HOURS) * HOUR;
            let due = Timestamp(expected.0 - earlier);
            (due, self.notice_time(due, ordered_at))
        } else {
            return expected;
        };
        let notice = DelayNotice {
            po: po.to_owned(),
            expected: due,
        };
        self.schedule(notice_at, Action::NotifyPurchaseOrder(Box::new(notice)));
        due
    }

    /// A notice comes a day or so before `before`, but never before the order.
    fn notice_time(&mut self, before: Timestamp, ordered_at: Timestamp) -> Timestamp {
        let lead = self.operations_rng.random_range(NOTICE_LEAD_HOURS) * HOUR;
        Timestamp((before.0 - lead).max(ordered_at.0 + HOUR))
    }

    fn record_supplier_fault(
        &mut self,
        kind: FaultKind,
        po: &str,
        exception_type: ExceptionType,
        at: Timestamp,
        detection: Detection,
        note: &str,
    ) {
        let fault = self.truth.open(kind, note.to_owned());
        self.truth
            .expect(fault, exception_type, FaultKey::document(po), at, detection);
    }

    /// One drop with every line; a short or damaged fault shows on some lines.
    fn full_delivery(
        &mut self,
        po: &str,
        lines: &[(usize, i32)],
        fault: SupplierFault,
        delivered_at: Timestamp,
    ) -> Delivery {
        let faulty_line = self.faults_rng.random_range(0..lines.len());
        let mut delivery_lines = Vec::with_capacity(lines.len());
        for (index, &(sku, ordered)) in lines.iter().enumerate() {
            let mut qty = ordered;
            let mut damaged = 0;
            if index == faulty_line && fault == SupplierFault::Short {
                qty = ((f64::from(ordered) * self.faults_rng.random_range(SHORT_LINE_SHARE)).floor() as i32)
                    .min(ordered - 1);
            }
            if index == faulty_line && fault == SupplierFault::Damaged {
                damaged = self.faults_rng.random_range(1..=(ordered / 10).max(1));
            }
            delivery_lines.push(DeliveryLine {
                sku,
                qty,
                damaged,
                on_order_release: ordered,
            });
        }
        let sku_code = &self.catalog.products[lines[faulty_line].0].sku;
        match fault {
            SupplierFault::Short => {
                let note = format!("the final delivery was short on {sku_code}");
                self.record_supplier_fault(
                    FaultKind::ShortDelivery,
                    po,
                    ExceptionType::PoShort,
                    delivered_at,
                    Detection::AtEvent,
                    &note,
                );
            }
            SupplierFault::Damaged => {
                let note = format!("units of {sku_code} arrived damaged");
                self.record_supplier_fault(
                    FaultKind::DamagedDelivery,
                    po,
                    ExceptionType::DamagedReceipt,
                    delivered_at,
                    Detection::AtEvent,
                    &note,
                );
            }
            SupplierFault::None | SupplierFault::AnnouncedSlip | SupplierFault::SilentSlip => {}
        }
        Delivery {
            po: po.to_owned(),
            lines: delivery_lines,
            is_final: true,
        }
    }

    /// Two drops, both before `expected`, that together deliver every line in full.
    fn schedule_split_delivery(
        &mut self,
        po: String,
        lines: &[(usize, i32)],
        first_at: Timestamp,
        second_at: Timestamp,
    ) {
        let mut first_lines = Vec::new();
        let mut second_lines = Vec::new();
        for &(sku, ordered) in lines {
            let first_qty = if ordered >= 2 {
                self.operations_rng.random_range(1..ordered)
            } else {
                0
            };
            if first_qty > 0 {
                first_lines.push(DeliveryLine {
                    sku,
                    qty: first_qty,
                    damaged: 0,
                    on_order_release: first_qty,
                });
            }
            second_lines.push(DeliveryLine {
                sku,
                qty: ordered - first_qty,
                damaged: 0,
                on_order_release: ordered - first_qty,
            });
        }
        if !first_lines.is_empty() {
            let first = Delivery {
                po: po.clone(),
                lines: first_lines,
                is_final: false,
            };
            self.schedule(first_at, Action::ReceivePurchaseOrder(Box::new(first)));
        }
        let second = Delivery {
            po,
            lines: second_lines,
            is_final: true,
        };
        self.schedule(second_at, Action::ReceivePurchaseOrder(Box::new(second)));
    }

    pub(crate) fn notify_purchase_order(&mut self, notice: &DelayNotice) {
        let body = EventBody::PoUpdate(PoUpdate {
            po: DocumentNumber::parse(notice.po.clone()).expect("po numbers are valid"),
            expected: event_time(notice.expected, 0),
        });
        self.emitter
            .emit(self.now, 0, Source::Supplier, format!("{}:notice", notice.po), body);
    }

    pub(crate) fn receive_purchase_order(&mut self, delivery: Delivery) {
        let warehouse = self.network.warehouse;
        let mut lines = Vec::new();
        for line in &delivery.lines {
            let cell = self.ledger.cell(warehouse, line.sku);
            cell.physical += line.qty - line.damaged;
            cell.book += line.qty - line.damaged;
            cell.in_transit -= line.on_order_release;
            if line.qty - line.damaged > 0 {
                self.end_stockout(warehouse, line.sku);
            }
            if line.qty > 0 {
                lines.push(ReceivedLine {
                    sku: self.catalog.products[line.sku].sku.clone(),
                    qty: units(line.qty),
                    damaged: units(line.damaged),
                });
            }
        }
        let suffix = if delivery.is_final { "final" } else { "drop" };
        let body = EventBody::Receipt(Receipt {
            po: DocumentNumber::parse(delivery.po.clone()).expect("po numbers are valid"),
            location: self.network.locations[warehouse].code.clone(),
            lines,
            is_final: delivery.is_final,
        });
        let id = format!("{}:{suffix}", delivery.po);
        self.emitter.emit(self.now, 0, Source::Wms, id, body);
    }
}
