//! The web shop: orders placed around the clock, allocated to the warehouse or (ship-from-store) to a store,
//! shipped before their promise, sometimes cancelled by the customer; plus fulfilment delays and the headline
//! chain's order that a store with a stale ledger cannot pick.
//!
//! Healthy allocation goes only to a location whose stock covers every line on the shelf and on the books, less
//! what is already reserved, so no healthy order is short; healthy orders ship well before `ship_by` - 4 h.
//! The simulator reserves at placement (the shop's checkout); the engine sees the reservation at allocation.

use rand::Rng;
use retex_core::codes::{DocumentNumber, Timestamp};
use retex_core::event::{
    CancelReason, Channel, EventBody, OrderAllocated, OrderCancelled, OrderLine, OrderPlaced, OrderShipped,
};

use crate::clock::{HOUR, MINUTE, next_open_instant};
use crate::demand::{WEB_SECOND_LINE_CHANCE, WEB_THIRD_LINE_CHANCE, WEB_TWO_UNITS_CHANCE, web_traffic};
use crate::emit::{Source, money, units};
use crate::messages::{Complaint, Inquiry, Message};
use crate::random::{chance, duration_between, instant_between, pick_cumulative, poisson};
use crate::replenish::{Transfer, TransferFate};
use crate::truth::{Detection, ExceptionType, FaultId, FaultKey, FaultKind};
use crate::world::{Action, World, next_number};

/// Standard and express promises.
const STANDARD_PROMISE_HOURS: i64 = 48;
const EXPRESS_PROMISE_HOURS: i64 = 24;
const EXPRESS_SHARE: f64 = 0.2;
/// Share of standard orders the shop tries to ship from a store first.
const SHIP_FROM_STORE_SHARE: f64 = 0.15;
/// Stores tried for a ship-from-store order.
const SHIP_FROM_STORE_CANDIDATES: usize = 5;
/// The order management system allocates this long after placement.
const ALLOCATION_DELAY_MINUTES: std::ops::Range<i64> = 2..20;
/// The warehouse ships this long after placement; a store this long after it next opens.
const WAREHOUSE_SHIPPING_HOURS: std::ops::Range<i64> = 2..10;
const STORE_SHIPPING_MINUTES: std::ops::Range<i64> = 30..150;
/// exceptions.md: an order is at risk when not shipped 4 h before `ship_by`.
const AT_RISK_HOURS_BEFORE_PROMISE: i64 = 4;
/// A delayed order ships this long after it became at risk.
const DELAYED_SHIPPING_HOURS: std::ops::Range<i64> = 2..30;
/// Customers cancel this share of orders, this long after placing them (always after allocation, before shipping).
const CUSTOMER_CANCEL_SHARE: f64 = 0.025;
const CUSTOMER_CANCEL_MINUTES: std::ops::Range<i64> = 25..90;
/// Customers write about this share of orders with a question.
const INQUIRY_SHARE: f64 = 0.02;
const INQUIRY_DELAY_HOURS: std::ops::Range<i64> = 1..30;
/// Share of delayed or cancelled customers who complain, and when.
const COMPLAINT_SHARE: f64 = 0.6;
const COMPLAINT_DELAY_HOURS: std::ops::Range<i64> = 1..20;
/// A store that cannot pick gives up this long after the order became at risk.
const STOCKOUT_CANCEL_MINUTES: std::ops::Range<i64> = 30..150;
/// Damaged or wrong-item complaints come this long after shipping.
const DELIVERY_COMPLAINT_HOURS: std::ops::Range<i64> = 40..100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderFate {
    Healthy,
    CustomerCancels,
    Delayed(FaultId),
    /// The headline chain: allocated to a store that cannot pick it, cancelled for stockout.
    StaleLedger(FaultId),
}

#[derive(Clone)]
pub(crate) struct WebOrder {
    pub(crate) number: String,
    /// (sku, qty, unit price in cents)
    pub(crate) lines: Vec<(usize, i32, i64)>,
    pub(crate) location: usize,
    pub(crate) placed_at: Timestamp,
    pub(crate) ship_by: Timestamp,
    pub(crate) fate: OrderFate,
}

impl World<'_> {
    pub(crate) fn plan_web_orders(&mut self, day: u32) {
        let day_start = self.day_start(day);
        let weekday = crate::clock::weekday_index(crate::clock::utc_date(day_start));
        let mean = f64::from(self.scenario.web_orders_per_day) * crate::demand::WEEKDAY_FACTORS[weekday];
        for _ in 0..poisson(&mut self.demand_rng, mean) {
            let at = loop {
                let candidate = instant_between(&mut self.demand_rng, day_start, Timestamp(day_start.0 + 24 * HOUR));
                if self.demand_rng.random::<f64>() < web_traffic((candidate.0 - day_start.0) / HOUR) {
                    break candidate;
                }
            };
            self.schedule(at, Action::PlaceWebOrder);
        }
    }

    pub(crate) fn place_web_order(&mut self) {
        let mut wanted: Vec<(usize, i32)> = Vec::new();
        let line_count = 1
            + usize::from(chance(&mut self.demand_rng, WEB_SECOND_LINE_CHANCE))
            + usize::from(chance(&mut self.demand_rng, WEB_THIRD_LINE_CHANCE));
        for _ in 0..line_count {
            let sku = pick_cumulative(&mut self.demand_rng, &self.demand.web_cumulative);
            let qty = 1 + i32::from(chance(&mut self.demand_rng, WEB_TWO_UNITS_CHANCE));
            if wanted.iter().all(|&(known, _)| known != sku) {
                wanted.push((sku, qty));
            }
        }
        let express = chance(&mut self.demand_rng, EXPRESS_SHARE);
        let Some((location, lines)) = self.choose_fulfilment(wanted, express) else {
            return;
        };
        let promise_hours = if express {
            EXPRESS_PROMISE_HOURS
        } else {
            STANDARD_PROMISE_HOURS
        };
        let number = format!("W{:07}", next_number(&mut self.numbers.web_orders));
        let web = self.network.web;
        let priced = lines
            .into_iter()
            .map(|(sku, qty)| (sku, qty, self.prices.active_price(sku, web, Channel::Web, self.now)))
            .collect();
        let mut order = WebOrder {
            number,
            lines: priced,
            location,
            placed_at: self.now,
            ship_by: Timestamp(self.now.0 + promise_hours * HOUR),
            fate: OrderFate::Healthy,
        };
        order.fate = self.order_fate(&order);
        self.open_order(&order);
        self.schedule_order_outcome(order);
    }

    /// Where the order can be picked in full, and the lines it keeps (lines nobody has are not sold online).
    fn choose_fulfilment(&mut self, wanted: Vec<(usize, i32)>, express: bool) -> Option<(usize, Vec<(usize, i32)>)> {
        let warehouse = self.network.warehouse;
        if !express && chance(&mut self.operations_rng, SHIP_FROM_STORE_SHARE) {
            for _ in 0..SHIP_FROM_STORE_CANDIDATES {
                let store = self.operations_rng.random_range(0..self.network.store_count);
                if self.covers(store, &wanted) {
                    return Some((store, wanted));
                }
            }
        }
        let lines: Vec<(usize, i32)> = wanted
            .into_iter()
            .filter(|&(sku, qty)| self.ledger.cells[self.ledger.cell_index(warehouse, sku)].sellable() >= qty)
            .collect();
        (!lines.is_empty()).then_some((warehouse, lines))
    }

    fn covers(&self, location: usize, lines: &[(usize, i32)]) -> bool {
        lines
            .iter()
            .all(|&(sku, qty)| self.ledger.cells[self.ledger.cell_index(location, sku)].sellable() >= qty)
    }

    fn order_fate(&mut self, order: &WebOrder) -> OrderFate {
        if chance(&mut self.faults_rng, self.rates.fulfilment_delay) {
            let location = self.network.locations[order.location].code.to_string();
            let fault = self
                .truth
                .open(FaultKind::FulfilmentDelay, format!("{location} shipped the order late"));
            let at_risk = Timestamp(order.ship_by.0 - AT_RISK_HOURS_BEFORE_PROMISE * HOUR);
            let key = FaultKey::document(&order.number);
            self.truth
                .expect(fault, ExceptionType::OrderAtRisk, key, at_risk, Detection::AtDeadline);
            self.truth.may_also_raise(fault, ExceptionType::CustomerComplaint);
            return OrderFate::Delayed(fault);
        }
        if chance(&mut self.demand_rng, CUSTOMER_CANCEL_SHARE) {
            return OrderFate::CustomerCancels;
        }
        OrderFate::Healthy
    }

    /// Reserves the lines, writes `order_placed`, schedules the allocation and maybe a customer's question.
    fn open_order(&mut self, order: &WebOrder) {
        for &(sku, qty, _) in &order.lines {
            self.ledger.cell(order.location, sku).reserved += qty;
            self.note_stockout(order.location, sku);
        }
        let body = EventBody::OrderPlaced(OrderPlaced {
            order: DocumentNumber::parse(order.number.clone()).expect("order numbers are valid"),
            channel: Channel::Web,
            ship_by: crate::clock::event_time(order.ship_by, 0),
            lines: order
                .lines
                .iter()
                .map(|&(sku, qty, price)| OrderLine {
                    sku: self.catalog.products[sku].sku.clone(),
                    qty: units(qty),
                    unit_price: money(price),
                })
                .collect(),
        });
        self.emitter
            .emit(self.now, 0, Source::Web, format!("{}:placed", order.number), body);
        let delay = duration_between(
            &mut self.operations_rng,
            ALLOCATION_DELAY_MINUTES.start * MINUTE,
            ALLOCATION_DELAY_MINUTES.end * MINUTE,
        );
        self.schedule(
            Timestamp(self.now.0 + delay),
            Action::AllocateOrder(Box::new(order.clone())),
        );
        if chance(&mut self.demand_rng, INQUIRY_SHARE) {
            let delay = self.demand_rng.random_range(INQUIRY_DELAY_HOURS) * HOUR;
            let message = Message::inquiry(Inquiry::pick(&mut self.demand_rng), Some(order.number.clone()));
            self.schedule(Timestamp(self.now.0 + delay), Action::SendMessage(Box::new(message)));
        }
    }

    fn schedule_order_outcome(&mut self, order: WebOrder) {
        match order.fate {
            OrderFate::CustomerCancels => {
                let delay = duration_between(
                    &mut self.demand_rng,
                    CUSTOMER_CANCEL_MINUTES.start * MINUTE,
                    CUSTOMER_CANCEL_MINUTES.end * MINUTE,
                );
                self.schedule(Timestamp(self.now.0 + delay), Action::CancelOrder(Box::new(order)));
            }
            OrderFate::Delayed(fault) => {
                let at_risk = order.ship_by.0 - AT_RISK_HOURS_BEFORE_PROMISE * HOUR;
                let late = Timestamp(at_risk + self.faults_rng.random_range(DELAYED_SHIPPING_HOURS) * HOUR);
                let at = self.shipping_instant(order.location, late);
                if chance(&mut self.demand_rng, COMPLAINT_SHARE) {
                    let delay = self.demand_rng.random_range(COMPLAINT_DELAY_HOURS) * HOUR;
                    let message = Message::complaint(Complaint::NotDelivered, Some(order.number.clone()), Some(fault));
                    self.schedule(
                        Timestamp(order.ship_by.0 + delay),
                        Action::SendMessage(Box::new(message)),
                    );
                }
                self.schedule(at, Action::ShipOrder(Box::new(order)));
            }
            OrderFate::Healthy => {
                let at = if order.location == self.network.warehouse {
                    Timestamp(self.now.0 + self.operations_rng.random_range(WAREHOUSE_SHIPPING_HOURS) * HOUR)
                } else {
                    let minutes = self.operations_rng.random_range(STORE_SHIPPING_MINUTES) * MINUTE;
                    Timestamp(
                        self.shipping_instant(
                            order.location,
                            Timestamp(self.now.0 + ALLOCATION_DELAY_MINUTES.end * MINUTE),
                        )
                        .0 + minutes,
                    )
                };
                self.schedule(at, Action::ShipOrder(Box::new(order)));
            }
            OrderFate::StaleLedger(_) => {
                unreachable!("the headline chain's order is placed by its own step")
            }
        }
    }

    /// The first instant at or after `at` when the location can ship (a store only while open).
    fn shipping_instant(&self, location: usize, at: Timestamp) -> Timestamp {
        match self.network.locations[location].hours {
            Some(hours) => next_open_instant(self.network.locations[location].zone, hours, at),
            None => at,
        }
    }

    pub(crate) fn allocate_order(&mut self, order: &WebOrder) {
        let body = EventBody::OrderAllocated(OrderAllocated {
            order: DocumentNumber::parse(order.number.clone()).expect("order numbers are valid"),
            location: self.network.locations[order.location].code.clone(),
        });
        self.emitter
            .emit(self.now, 0, Source::Web, format!("{}:allocated", order.number), body);
    }

    pub(crate) fn ship_order(&mut self, order: WebOrder) {
        for &(sku, qty, _) in &order.lines {
            let index = self.ledger.cell_index(order.location, sku);
            self.ledger.record_sale_day(index, self.local_day(order.location));
            let cell = &mut self.ledger.cells[index];
            cell.physical -= qty;
            cell.book -= qty;
            cell.reserved -= qty;
        }
        let location = &self.network.locations[order.location];
        let source = if order.location == self.network.warehouse {
            Source::Wms
        } else {
            Source::Store
        };
        let offset = location.zone.offset_minutes_at(self.now);
        let body = EventBody::OrderShipped(OrderShipped {
            order: DocumentNumber::parse(order.number.clone()).expect("order numbers are valid"),
            location: location.code.clone(),
            lines: None,
        });
        self.emitter
            .emit(self.now, offset, source, format!("{}:shipped", order.number), body);
        if chance(&mut self.demand_rng, self.rates.delivery_complaint) {
            let complaint = if self.demand_rng.random_bool(0.5) {
                Complaint::Damaged
            } else {
                Complaint::WrongItem
            };
            let delay = self.demand_rng.random_range(DELIVERY_COMPLAINT_HOURS) * HOUR;
            let message = Message::complaint(complaint, Some(order.number.clone()), None);
            self.schedule(Timestamp(self.now.0 + delay), Action::SendMessage(Box::new(message)));
        }
        self.consider_web_return(&order);
    }

    pub(crate) fn cancel_order(&mut self, order: WebOrder) {
        for &(sku, qty, _) in &order.lines {
            self.ledger.cell(order.location, sku).reserved -= qty;
        }
        let reason = match order.fate {
            OrderFate::StaleLedger(_) => CancelReason::Stockout,
            _ => CancelReason::Customer,
        };
        let body = EventBody::OrderCancelled(OrderCancelled {
            order: DocumentNumber::parse(order.number.clone()).expect("order numbers are valid"),
            reason,
        });
        self.emitter
            .emit(self.now, 0, Source::Web, format!("{}:cancelled", order.number), body);
        if let OrderFate::StaleLedger(fault) = order.fate {
            self.after_stockout_cancellation(&order, fault);
        }
    }

    /// The headline chain's end: the customer may complain, and the store finally counts the item.
    fn after_stockout_cancellation(&mut self, order: &WebOrder, fault: FaultId) {
        if chance(&mut self.demand_rng, COMPLAINT_SHARE) {
            let delay = self.demand_rng.random_range(COMPLAINT_DELAY_HOURS) * HOUR;
            let message = Message::complaint(Complaint::Cancelled, Some(order.number.clone()), Some(fault));
            self.schedule(Timestamp(self.now.0 + delay), Action::SendMessage(Box::new(message)));
        }
        let (sku, _, _) = order.lines[0];
        if let Some(at) = self.reveal_count_time(order.location, 1) {
            let task = crate::stores::CountTask {
                location: order.location,
                sku,
                purpose: crate::stores::CountPurpose::Reveal(fault),
            };
            self.schedule(at, Action::Count(Box::new(task)));
        }
    }

    /// The headline chain's order: for more units than the shelf holds but no more than the books show.
    pub(crate) fn place_stale_ledger_order(&mut self, transfer: &Transfer) {
        let TransferFate::StaleLedger { line, fault } = transfer.fate else {
            unreachable!("only the headline chain places this order");
        };
        let (sku, _) = transfer.lines[line];
        let stock = self.ledger.cell(transfer.store, sku).clone();
        let on_shelf = (stock.physical - stock.reserved).max(0);
        let on_books = stock.book - stock.reserved;
        if on_books <= on_shelf {
            self.truth
                .append_note(fault, "no web order followed: the shelf covered the books");
            return;
        }
        let qty = (on_shelf + 1 + self.faults_rng.random_range(0..2)).min(on_books);
        let number = format!("W{:07}", next_number(&mut self.numbers.web_orders));
        let price = self.prices.active_price(sku, self.network.web, Channel::Web, self.now);
        let order = WebOrder {
            number,
            lines: vec![(sku, qty, price)],
            location: transfer.store,
            placed_at: self.now,
            ship_by: Timestamp(self.now.0 + STANDARD_PROMISE_HOURS * HOUR),
            fate: OrderFate::StaleLedger(fault),
        };
        let at_risk = Timestamp(order.ship_by.0 - AT_RISK_HOURS_BEFORE_PROMISE * HOUR);
        let cancel_at = Timestamp(at_risk.0 + self.faults_rng.random_range(STOCKOUT_CANCEL_MINUTES) * MINUTE);
        let key = FaultKey::document(&order.number);
        self.truth.expect(
            fault,
            ExceptionType::OrderAtRisk,
            key.clone(),
            at_risk,
            Detection::AtDeadline,
        );
        self.truth.expect(
            fault,
            ExceptionType::OrderCancelledStockout,
            key,
            cancel_at,
            Detection::AtEvent,
        );
        let note = format!(
            "order {} for {qty} units, {on_shelf} on the shelf, {on_books} on the books",
            order.number
        );
        self.truth.append_note(fault, &note);
        self.open_order(&order);
        self.schedule(cancel_at, Action::CancelOrder(Box::new(order)));
    }
}
