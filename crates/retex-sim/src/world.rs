//! The world's state and its clock: everything the simulation knows, the queue of scheduled actions, and the
//! day loop that runs them in time order.
//!
//! Each day the world plans what will happen (baskets at the tills, counts, web orders, the warehouse's
//! replenishment run, the buyers' purchase review) as actions on one queue; running an action changes the state,
//! writes its events and may schedule follow-ups (a receipt, a refund). The queue orders actions by instant and
//! then by scheduling order, which with seeded random streams makes the output a pure function of the scenario.

use std::collections::BinaryHeap;
use std::io;

use rand::rngs::SmallRng;
use retex_core::codes::Timestamp;

use crate::catalog::Catalog;
use crate::clock::{DAY, HOUR, MINUTE};
use crate::demand::Demand;
use crate::emit::Emitter;
use crate::network::Network;
use crate::orders::WebOrder;
use crate::pricing::PriceBook;
use crate::purchasing::{DelayNotice, Delivery};
use crate::random::{Stream, chance, stream};
use crate::replenish::Transfer;
use crate::returns::ReturnCase;
use crate::scenario::{FaultRates, Scenario, TROUBLED_STORE_FAULT_FACTOR};
use crate::stock::Ledger;
use crate::stores::{Basket, CountTask, FoundStock, StockLossKind};
use crate::truth::{ExceptionType, FaultKey, FaultKind, TruthRecorder};
use crate::{SimProgress, messages::Message};

/// After the last day, actions keep running this long, so that the last local business day of the western
/// stores (which ends after midnight UTC) is complete.
const TAIL_HOURS: i64 = 6;
/// How long the world runs on after the stream, to see the stockouts a warning in its last days foresaw: as long
/// as a `low_stock` warning counts before the shelf runs empty.
const AFTER_STREAM_DAYS: u32 = 14;
/// A store's exception rate is tested every UTC midnight over the days before (exceptions.md: the last 7), so a
/// troubled store, troubled from the start, may show from the first midnight on.
const STORE_EXCEPTION_RATE_FIRST_TEST_DAYS: i64 = 1;

/// Something that happens at an instant.
pub(crate) enum Action {
    PricingDay { day: u32 },
    PurchaseReview { day: u32 },
    CountRound { location: usize, day: u32 },
    Count(Box<CountTask>),
    Basket(Box<Basket>),
    StockLoss { store: usize, kind: StockLossKind },
    Spree { store: usize },
    FindStock(Box<FoundStock>),
    ReplenishStores,
    ReceiveTransfer(Box<Transfer>),
    WriteOffTransit(Box<Transfer>),
    BookMissingTransferByHand(Box<Transfer>),
    PlaceStaleLedgerOrder(Box<Transfer>),
    NotifyPurchaseOrder(Box<DelayNotice>),
    ReceivePurchaseOrder(Box<Delivery>),
    PlaceWebOrder,
    AllocateOrder(Box<WebOrder>),
    ShipOrder(Box<WebOrder>),
    CancelOrder(Box<WebOrder>),
    RequestReturn(Box<ReturnCase>),
    ReceiveReturn(Box<ReturnCase>),
    IssueRefund(Box<ReturnCase>),
    SendMessage(Box<Message>),
    FixMasterData { record: crate::master::MasterRecord },
}

struct Scheduled {
    at: Timestamp,
    sequence: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed, so that the max-heap pops the earliest instant first and, within an instant, the first scheduled.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.sequence).cmp(&(self.at, self.sequence))
    }
}

/// Numbers for documents, one sequence per kind.
#[derive(Default)]
pub(crate) struct DocumentNumbers {
    pub(crate) transfers: u32,
    pub(crate) purchase_orders: u32,
    pub(crate) web_orders: u32,
    pub(crate) returns: u32,
    pub(crate) messages: u32,
    pub(crate) promotions: u32,
    pub(crate) till_receipts: u32,
    pub(crate) adjustments: u32,
    pub(crate) counts: u32,
    pub(crate) prices: u32,
}

/// Takes the next number of a sequence.
pub(crate) fn next_number(counter: &mut u32) -> u32 {
    *counter += 1;
    *counter
}

pub(crate) struct World<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) rates: FaultRates,
    pub(crate) catalog: Catalog,
    pub(crate) network: Network,
    pub(crate) demand: Demand,
    pub(crate) ledger: Ledger,
    pub(crate) prices: PriceBook,
    pub(crate) emitter: Emitter<'a>,
    pub(crate) truth: TruthRecorder,
    pub(crate) numbers: DocumentNumbers,
    /// Customers: baskets, web orders, returns, messages.
    pub(crate) demand_rng: SmallRng,
    /// The retailer's and suppliers' routine: timings, quantities.
    pub(crate) operations_rng: SmallRng,
    /// Whether and how a fault happens.
    pub(crate) faults_rng: SmallRng,
    /// Whether and where organised theft strikes (`spree`).
    pub(crate) sprees_rng: SmallRng,
    /// Stores whose store-level faults are more frequent.
    pub(crate) troubled_stores: Vec<bool>,
    /// Midnight (or whatever instant) starting the first simulated day.
    pub(crate) start: Timestamp,
    /// The end of the last simulated day: nothing is planned after it.
    pub(crate) horizon: Timestamp,
    queue: BinaryHeap<Scheduled>,
    next_sequence: u64,
    /// The instant of the action being run; nothing may be scheduled before it.
    pub(crate) now: Timestamp,
}

impl<'a> World<'a> {
    pub(crate) fn new(scenario: &'a Scenario, out: &'a mut dyn io::Write) -> Self {
        let mut catalogue_rng = stream(scenario.seed, Stream::Catalogue);
        let catalog = Catalog::generate(&mut catalogue_rng, scenario.skus, scenario.suppliers);
        let network = Network::generate(&mut catalogue_rng, scenario.stores);
        let demand = Demand::generate(&mut catalogue_rng, scenario, &catalog, &network);
        let mut troubled_stores = vec![false; network.store_count];
        for _ in 0..scenario.troubled_stores.min(scenario.stores) {
            let candidates: Vec<usize> = (0..network.store_count)
                .filter(|&store| !troubled_stores[store])
                .collect();
            let pick = rand::Rng::random_range(&mut catalogue_rng, 0..candidates.len());
            troubled_stores[candidates[pick]] = true;
        }
        let start = Timestamp::from_datetime(&scenario.start);
        let ledger = Ledger::new(network.warehouse + 1, catalog.products.len());
        let prices = PriceBook::new(&catalog);
        Self {
            scenario,
            rates: scenario.fault_rates.clone(),
            catalog,
            network,
            demand,
            ledger,
            prices,
            emitter: Emitter::new(out),
            truth: TruthRecorder::default(),
            numbers: DocumentNumbers::default(),
            demand_rng: stream(scenario.seed, Stream::Demand),
            operations_rng: stream(scenario.seed, Stream::Operations),
            faults_rng: stream(scenario.seed, Stream::Faults),
            sprees_rng: stream(scenario.seed, Stream::Sprees),
            troubled_stores,
            start,
            horizon: Timestamp(start.0 + i64::from(scenario.days) * DAY),
            queue: BinaryHeap::new(),
            next_sequence: 0,
            now: Timestamp(start.0 - DAY),
        }
    }

    pub(crate) fn schedule(&mut self, at: Timestamp, action: Action) {
        assert!(at >= self.now, "an action cannot be scheduled in the past");
        self.queue.push(Scheduled {
            at,
            sequence: self.next_sequence,
            action,
        });
        self.next_sequence += 1;
    }

    /// The instant starting simulated day `day`.
    pub(crate) fn day_start(&self, day: u32) -> Timestamp {
        Timestamp(self.start.0 + i64::from(day) * DAY)
    }

    /// Today's number on a location's calendar (days since 1970-01-01 in its time zone).
    pub(crate) fn local_day(&self, location: usize) -> i64 {
        let offset = self.network.locations[location].zone.offset_minutes_at(self.now);
        (self.now.0 + i64::from(offset) * MINUTE).div_euclid(DAY)
    }

    /// A fault rate for something happening at a location: raised in a troubled store.
    fn location_rate(&self, base_rate: f64, location: usize) -> f64 {
        if location < self.network.store_count && self.troubled_stores[location] {
            base_rate * TROUBLED_STORE_FAULT_FACTOR
        } else {
            base_rate
        }
    }

    /// Draws whether a fault happens at a location, at the location's rate.
    pub(crate) fn fault_at(&mut self, base_rate: f64, location: usize) -> bool {
        let rate = self.location_rate(base_rate, location);
        chance(&mut self.faults_rng, rate)
    }

    pub(crate) fn run(&mut self, progress: &mut dyn FnMut(SimProgress)) -> io::Result<()> {
        self.emit_master_data();
        self.record_troubled_stores();
        self.emitter.take_error()?;
        for day in 0..self.scenario.days {
            self.ledger.start_sales_day();
            self.plan_day(day);
            self.run_until(Timestamp(self.day_start(day).0 + DAY));
            self.emitter.take_error()?;
            progress(SimProgress {
                days_done: day + 1,
                days_total: self.scenario.days,
                events_written: self.emitter.events_written,
            });
        }
        self.run_until(Timestamp(self.horizon.0 + TAIL_HOURS * HOUR));
        self.emitter.flush()?;
        self.run_after_the_stream();
        Ok(())
    }

    /// Runs the world on for [`AFTER_STREAM_DAYS`] after the stream's last event, writing nothing and injecting
    /// no fault, so that the truth knows which shelves ran empty just after it: a `low_stock` raised in the
    /// stream's last days may be warning of one of them (`Truth::stockouts_after_stream`). The stream itself is
    /// unchanged: every random stream is drawn from in time order.
    fn run_after_the_stream(&mut self) {
        self.emitter.fall_silent();
        self.truth.end_stream();
        self.rates = self.rates.scaled(0.0);
        let days = self.scenario.days;
        self.horizon = self.day_start(days + 1 + AFTER_STREAM_DAYS);
        // The tail ran into day `days`, so the world picks up with the next one.
        for day in days + 1..days + 1 + AFTER_STREAM_DAYS {
            self.ledger.start_sales_day();
            self.plan_day(day);
            self.run_until(Timestamp(self.day_start(day).0 + DAY));
        }
    }

    fn plan_day(&mut self, day: u32) {
        let day_start = self.day_start(day);
        self.schedule(
            Timestamp(day_start.0 + crate::purchasing::PURCHASE_REVIEW_HOUR * HOUR),
            Action::PurchaseReview { day },
        );
        self.schedule(
            Timestamp(day_start.0 + crate::stores::WAREHOUSE_COUNT_HOUR * HOUR),
            Action::CountRound {
                location: self.network.warehouse,
                day,
            },
        );
        self.schedule(
            Timestamp(day_start.0 + crate::pricing::PRICING_HOUR * HOUR),
            Action::PricingDay { day },
        );
        for store in 0..self.network.store_count {
            self.plan_store_day(store, day);
        }
        self.plan_web_orders(day);
        self.schedule(
            Timestamp(day_start.0 + crate::replenish::REPLENISHMENT_HOUR * HOUR),
            Action::ReplenishStores,
        );
    }

    fn run_until(&mut self, limit: Timestamp) {
        while self.queue.peek().is_some_and(|next| next.at < limit) {
            let Scheduled { at, action, .. } = self.queue.pop().expect("peeked above");
            self.now = at;
            self.perform(action);
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::PricingDay { day } => self.run_pricing_day(day),
            Action::PurchaseReview { day } => self.review_purchasing(day),
            Action::CountRound { location, day } => self.run_count_round(location, day),
            Action::Count(task) => self.run_count_task(*task),
            Action::Basket(basket) => self.ring_up_basket(*basket),
            Action::StockLoss { store, kind } => self.lose_stock(store, kind),
            Action::Spree { store } => self.run_spree(store),
            Action::FindStock(found) => self.find_stock(*found),
            Action::ReplenishStores => self.replenish_stores(),
            Action::ReceiveTransfer(transfer) => self.receive_transfer(*transfer),
            Action::WriteOffTransit(transfer) => self.write_off_transit(&transfer),
            Action::BookMissingTransferByHand(transfer) => self.book_missing_transfer_by_hand(*transfer),
            Action::PlaceStaleLedgerOrder(transfer) => self.place_stale_ledger_order(&transfer),
            Action::NotifyPurchaseOrder(notice) => self.notify_purchase_order(&notice),
            Action::ReceivePurchaseOrder(delivery) => self.receive_purchase_order(*delivery),
            Action::PlaceWebOrder => self.place_web_order(),
            Action::AllocateOrder(order) => self.allocate_order(&order),
            Action::ShipOrder(order) => self.ship_order(*order),
            Action::CancelOrder(order) => self.cancel_order(*order),
            Action::RequestReturn(case) => self.request_return(*case),
            Action::ReceiveReturn(case) => self.receive_return(*case),
            Action::IssueRefund(case) => self.issue_refund(&case),
            Action::SendMessage(message) => self.send_message(*message),
            Action::FixMasterData { record } => self.fix_master_data(record),
        }
    }

    /// A troubled store has more faults of every store-level kind; peers make its exception rate stand out.
    fn record_troubled_stores(&mut self) {
        let detectable_at = Timestamp(self.start.0 + STORE_EXCEPTION_RATE_FIRST_TEST_DAYS * DAY);
        for store in 0..self.network.store_count {
            if !self.troubled_stores[store] {
                continue;
            }
            let code = self.network.locations[store].code.to_string();
            let note = format!(
                "store {code} has {TROUBLED_STORE_FAULT_FACTOR}x the store-level fault rates (shrink, phantom stock, \
                 miscounts, till prices, transfer faults)"
            );
            let fault = self.truth.open(FaultKind::TroubledStore, note);
            let key = FaultKey::location(&code);
            (self.truth).expect_while_it_lasts(fault, ExceptionType::StoreExceptionRate, key, detectable_at);
        }
    }

    /// Finishes the truth: what the written stream can reveal, and the stockouts just after it.
    pub(crate) fn into_summary(self) -> crate::SimSummary {
        // A silent emitter keeps the instant of the stream's last event.
        let last_event_at = self.emitter.last_at;
        crate::SimSummary {
            events_written: self.emitter.events_written,
            bytes_written: self.emitter.bytes_written,
            truth: self.truth.finish(last_event_at),
        }
    }
}
