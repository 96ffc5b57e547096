//! Commercial and governance detectors: `price_mismatch`, `promotion_conflict`, `customer_complaint`,
//! `master_data` and `store_exception_rate`.

use rust_decimal::prelude::ToPrimitive;

use crate::codes::{DocumentNumber, Money, SupplierCode, Timestamp};
use crate::engine::apply::Cause;
use crate::engine::incidents::Touch;
use crate::engine::insight::{RateTestParams, StoreWindow};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::master::{PriceScope, PromotionInfo};
use crate::engine::raise::{Detection, key_of};
use crate::engine::stats::{DayRing, StoreActivity, day_of};
use crate::engine::{Deadline, Engine};
use crate::event::{Channel, CustomerMessage, LocationKind, Sale};
use crate::rules::{ExceptionType, Param};

impl Engine {
    /// `price_mismatch`: a sale's unit price differs by more than `price_tolerance` from the active price.
    pub(super) fn check_price(&mut self, sale: &Sale, location: LocationId, sku: SkuId, cause: Cause) {
        let kind = ExceptionType::PriceMismatch;
        if !self.config.rules.is_enabled(kind) {
            return;
        }
        let Some(expected) = self.active_price(sku, location, sale.channel, cause.at) else {
            return;
        };
        // Most lines are charged the active price: no arithmetic for them.
        if expected == sale.unit_price {
            return;
        }
        let tolerance = self.param(kind, Param::PriceTolerance, Some(location), Some(sku));
        let difference = (expected - sale.unit_price).abs();
        if difference.0 > tolerance {
            let impact = sale.qty * difference;
            self.raise(Detection::at_position(kind, location, sku, cause.at, impact, cause.seq));
        }
    }

    /// The price a till should charge: a running promotion (most specific, then latest start), else the most
    /// specific `price`, else the product's price.
    fn active_price(&self, sku: SkuId, location: LocationId, channel: Channel, at: Timestamp) -> Option<Money> {
        let master = &self.state.master;
        let mut best: Option<((u8, Timestamp, &DocumentNumber), Money)> = None;
        for number in self.state.stats.promotions_by_sku.get(&sku).into_iter().flatten() {
            let promotion = &master.promotions[number];
            let running = promotion.from <= at && at < promotion.to;
            let in_scope = promotion.location.is_none_or(|scope| scope == location)
                && promotion.channel.is_none_or(|scope| scope == channel);
            if running && in_scope {
                let rank = (specificity(promotion), promotion.from, number);
                if best.as_ref().is_none_or(|(best_rank, _)| rank > *best_rank) {
                    best = Some((rank, promotion.price));
                }
            }
        }
        if let Some((_, price)) = best {
            return Some(price);
        }
        let scopes = [
            (Some(location), Some(channel)),
            (Some(location), None),
            (None, Some(channel)),
            (None, None),
        ];
        let priced = self.state.stats.priced_skus.get(sku as usize).copied().unwrap_or(false);
        for (location, channel) in scopes.into_iter().filter(|_| priced) {
            if let Some(entry) = master.prices.get(&PriceScope { sku, location, channel }) {
                return Some(entry.price);
            }
        }
        master.product(sku).and_then(|product| product.price)
    }

    /// `promotion_conflict`: two promotions on one SKU overlap in time and scope with different prices, or a
    /// promotion price is below cost. `ref` is the later promotion.
    pub(super) fn check_promotion_conflict(&mut self, number: &DocumentNumber, cause: Cause) {
        let kind = ExceptionType::PromotionConflict;
        let promotions = &self.state.master.promotions;
        let this = &promotions[number];
        let (sku, scope_location) = (this.sku, this.location);
        let mut conflicts: Vec<DocumentNumber> = Vec::new();
        for other_number in self.state.stats.promotions_by_sku.get(&sku).into_iter().flatten() {
            if other_number == number {
                continue;
            }
            let other = &promotions[other_number];
            if overlaps(this, other) && this.price != other.price {
                let later = if (other.from, other_number) > (this.from, number) {
                    other_number
                } else {
                    number
                };
                conflicts.push(later.clone());
            }
        }
        let below_cost = self
            .state
            .master
            .product(sku)
            .and_then(|product| product.cost)
            .is_some_and(|cost| this.price < cost);
        if below_cost {
            conflicts.push(number.clone());
        }
        for later in conflicts {
            let mut detection =
                Detection::on_document(kind, scope_location, &later, &[], cause.at, Money::ZERO, cause.seq);
            detection.key = key_of(kind, None, Some(sku), None);
            detection.sku = Some(sku);
            detection.touches.push(Touch::Document(number.clone()));
            detection.touches.push(Touch::Sku(sku));
            self.raise(detection);
        }
    }

    /// `customer_complaint`: the message is classified as a complaint by the configured model.
    pub(super) fn check_customer_message(&mut self, message: &CustomerMessage, cause: Cause) {
        let Some(insight) = &self.config.insight else {
            return;
        };
        if !insight.is_complaint(&message.text) {
            return;
        }
        let location = message
            .order
            .as_ref()
            .and_then(|order| self.state.orders.get(order))
            .and_then(|doc| doc.allocated_to);
        let mut detection = Detection::on_document(
            ExceptionType::CustomerComplaint,
            location,
            &message.message,
            &[],
            cause.at,
            Money::ZERO,
            cause.seq,
        );
        if let Some(order) = &message.order {
            detection.touches.push(Touch::Document(order.clone()));
        }
        self.raise(detection);
    }

    /// `master_data` for a product: it lacks cost, unit of measure, a category of two levels, or a supplier.
    pub(super) fn check_product_master_data(&mut self, sku: SkuId, cause: Cause) {
        let kind = ExceptionType::MasterData;
        let Some(product) = self.state.master.product(sku) else {
            return;
        };
        let defective = product.cost.is_none()
            || product.uom.is_none()
            || product.supplier.is_none()
            || product
                .category
                .split('/')
                .filter(|level| !level.trim().is_empty())
                .count()
                < 2;
        let key = key_of(kind, None, Some(sku), None);
        if !defective {
            self.resolve_key(&key, cause.at, cause.seq);
            return;
        }
        let mut detection = Detection::at_position(kind, 0, sku, cause.at, Money::ZERO, cause.seq);
        detection.key = key;
        detection.location = None;
        detection.touches = vec![Touch::Sku(sku)];
        self.raise(detection);
    }

    /// `master_data` for a supplier: it lacks `lead_time_days`.
    pub(super) fn check_supplier_master_data(&mut self, code: &SupplierCode, cause: Cause) {
        let kind = ExceptionType::MasterData;
        let reference = DocumentNumber::parse(code.as_str()).expect("a supplier code is a valid reference");
        let key = key_of(kind, None, None, Some(&reference));
        let defective = self
            .state
            .master
            .suppliers
            .get(code)
            .is_some_and(|supplier| supplier.lead_time_days.is_none());
        if !defective {
            self.resolve_key(&key, cause.at, cause.seq);
            return;
        }
        let mut detection = Detection::on_document(kind, None, &reference, &[], cause.at, Money::ZERO, cause.seq);
        detection.touches = vec![Touch::Supplier(code.clone())];
        self.raise(detection);
    }

    /// Counts a till sale line for the store exception rate.
    pub(super) fn count_sale_line(&mut self, location: LocationId, at: Timestamp) {
        self.state
            .stats
            .stores
            .entry(location)
            .or_default()
            .sale_lines
            .add(day_of(at), 1);
    }

    /// Queues the first daily deadline at the UTC midnight after the first input.
    pub(super) fn schedule_daily(&mut self, first_input_at: Timestamp) {
        let midnight = Timestamp(i64::from(day_of(first_input_at) + 1) * Timestamp::MILLIS_PER_DAY);
        self.state.deadlines.schedule(midnight, Deadline::Daily);
    }

    /// The daily deadline: queues the next one, forgets till receipts older than any return window, and tests
    /// the store exception rates.
    pub(super) fn fire_daily(&mut self, due_at: Timestamp) {
        self.state
            .deadlines
            .schedule(Timestamp(due_at.0 + Timestamp::MILLIS_PER_DAY), Deadline::Daily);
        self.forget_old_receipts(due_at);
        self.fire_store_rate_check(due_at);
    }

    /// A return more than `return_days` after its sale breaks the policy whether or not Retex remembers the
    /// receipt (an unknown order breaks it too), so receipts older than the longest return window of any
    /// product, and a day, are forgotten (in bulk, see `ReceiptBook::forget_sold_before`): the receipt book holds
    /// about a return window of sales, not all of history.
    fn forget_old_receipts(&mut self, now: Timestamp) {
        let longest_days = self
            .state
            .master
            .products
            .iter()
            .flatten()
            .map(|product| product.return_days)
            .fold(crate::event::RETURN_DAYS_DEFAULT, u32::max);
        let kept_ms = (i64::from(longest_days) + 1) * Timestamp::MILLIS_PER_DAY;
        self.state.stats.receipts.forget_sold_before(Timestamp(now.0 - kept_ms));
    }

    /// The `store_exception_rate` window in days and test parameters, from the rules.
    pub(super) fn store_rate_params(&self) -> (usize, RateTestParams) {
        let kind = ExceptionType::StoreExceptionRate;
        let window_days = self
            .param(kind, Param::RateWindowDays, None, None)
            .to_usize()
            .unwrap_or(7);
        let params = RateTestParams {
            alpha: self.param(kind, Param::Alpha, None, None).to_f64().unwrap_or(0.01),
            min_sale_lines: self.param(kind, Param::MinSaleLines, None, None).to_u64().unwrap_or(0),
            min_exceptions: self.param(kind, Param::MinExceptions, None, None).to_u64().unwrap_or(0),
        };
        (window_days, params)
    }

    /// Each store's exceptions and sale lines over the `window_days` days up to `last_full_day`, with its id.
    pub(super) fn store_windows(&self, last_full_day: i32, window_days: usize) -> (Vec<StoreWindow>, Vec<LocationId>) {
        let mut windows = Vec::new();
        let mut ids = Vec::new();
        for (index, info) in self.state.master.locations.iter().enumerate() {
            if info.as_ref().is_none_or(|info| info.kind != LocationKind::Store) {
                continue;
            }
            let location = index as LocationId;
            let activity = self.state.stats.stores.get(&location);
            let sum = |ring: fn(&StoreActivity) -> &DayRing| {
                activity.map_or(0, |activity| {
                    ring(activity).window(last_full_day, window_days).map(u64::from).sum()
                })
            };
            windows.push(StoreWindow {
                location: self.state.locations.name(location).to_string(),
                exceptions: sum(|activity| &activity.exceptions),
                sale_lines: sum(|activity| &activity.sale_lines),
            });
            ids.push(location);
        }
        (windows, ids)
    }

    /// `store_exception_rate`: every UTC midnight, each store's exceptions per sale line over the last
    /// `rate_window_days` full days are tested against its peers by the configured model.
    fn fire_store_rate_check(&mut self, due_at: Timestamp) {
        let kind = ExceptionType::StoreExceptionRate;
        let Some(insight) = self.config.insight.clone() else {
            return;
        };
        if !self.config.rules.is_enabled(kind) {
            return;
        }
        let (window_days, params) = self.store_rate_params();
        let (windows, ids) = self.store_windows(day_of(due_at) - 1, window_days);
        let seq = self.state.applied_seq;
        for code in insight.abnormal_stores(&windows, params) {
            let Some(position) = windows.iter().position(|window| window.location == code) else {
                continue;
            };
            let location = ids[position];
            let mut detection = Detection::at_position(kind, location, 0, due_at, Money::ZERO, seq);
            detection.key = key_of(kind, Some(location), None, None);
            detection.sku = None;
            detection.touches = Vec::new();
            self.raise(detection);
        }
    }
}

/// How specific a promotion's scope is: location and channel both, location, channel, neither.
fn specificity(promotion: &PromotionInfo) -> u8 {
    u8::from(promotion.location.is_some()) * 2 + u8::from(promotion.channel.is_some())
}

/// Whether two promotions overlap in time (`to` excluded) and in scope (equal, or absent on one side).
fn overlaps(a: &PromotionInfo, b: &PromotionInfo) -> bool {
    let in_time = a.from < b.to && b.from < a.to;
    let same_place = a.location.is_none() || b.location.is_none() || a.location == b.location;
    let same_channel = a.channel.is_none() || b.channel.is_none() || a.channel == b.channel;
    in_time && same_place && same_channel
}
