//! Prices and promotions: the retailer's price book, daily price changes, weekly promotions, and the pricing
//! faults (a till that keeps an old price, a cashier's override, conflicting or below-cost promotions).
//!
//! The active price follows events.md and exceptions.md exactly, because healthy tills must charge it: a
//! running promotion for the SKU, location and channel (the most specific, then the latest `from`), else a
//! channel price, else the latest chain-wide price, else the product's price. Healthy promotions never overlap
//! on a SKU and never go below cost, so only injected faults raise `price_mismatch` or `promotion_conflict`.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use retex_core::codes::{DocumentNumber, Timestamp};
use retex_core::event::{Channel, EventBody, PriceUpsert, PromotionUpsert};

use crate::catalog::Catalog;
use crate::clock::{DAY, HOUR};
use crate::emit::{Source, money};
use crate::random::chance;
use crate::truth::{Detection, ExceptionType, FaultId, FaultKey, FaultKind};
use crate::world::{World, next_number};

/// Price changes and promotion starts happen at this UTC hour, when no store in any region is open.
pub(crate) const PRICING_HOUR: i64 = 5;
/// Promotions are announced this many days before they start: far enough ahead for buyers to stock up.
pub(crate) const PROMOTION_NOTICE_DAYS: u32 = 14;
pub(crate) const DAYS_PER_WEEK: u32 = 7;
/// Price changes per day per 1,000 SKUs.
const PRICE_CHANGES_PER_THOUSAND_SKUS: f64 = 3.0;
/// A price change moves the price by this share, up or down.
const PRICE_CHANGE_SHARE_RANGE: std::ops::Range<f64> = 0.04..0.12;
/// New promotions per week per 1,000 SKUs.
const PROMOTIONS_PER_THOUSAND_SKUS: f64 = 20.0;
/// A promotion's discount off the regular price.
const PROMOTION_DISCOUNT_RANGE: std::ops::Range<f64> = 0.10..0.30;
/// How much a promotion multiplies demand where it runs.
pub(crate) const PROMOTION_LIFT: f64 = 2.5;
/// Shares of promotions limited to the web channel, and to one store; the rest run everywhere.
const WEB_ONLY_PROMOTION_SHARE: f64 = 0.2;
const SINGLE_STORE_PROMOTION_SHARE: f64 = 0.1;
/// A healthy promotion keeps at least this margin over cost.
const PROMOTION_MARGIN_OVER_COST: f64 = 1.05;
/// A stale till keeps the old price for this many hours.
const STALE_TILL_HOURS_RANGE: std::ops::Range<i64> = 18..72;
/// A conflicting "weekend deal" starts this many days into the week-long promotion and lasts this long.
const CONFLICT_START_DAYS: i64 = 3;
const CONFLICT_LENGTH_DAYS: i64 = 2;
/// Extra discount of the conflicting promotion relative to the first one.
const CONFLICT_PRICE_SHARE: f64 = 0.85;
/// A below-cost promotion price is this share of cost (a mistyped price).
const BELOW_COST_SHARE: f64 = 0.6;
/// Share of conflicting-promotion faults that overlap (the rest are below cost).
const OVERLAP_CONFLICT_SHARE: f64 = 0.7;

pub(crate) struct PromotionPlan {
    pub(crate) code: String,
    pub(crate) sku: usize,
    pub(crate) price_cents: i64,
    pub(crate) from: Timestamp,
    pub(crate) to: Timestamp,
    pub(crate) location: Option<usize>,
    pub(crate) channel: Option<Channel>,
}

/// A till that still charges an old price until `until`.
pub(crate) struct StaleTillPrice {
    pub(crate) price_cents: i64,
    pub(crate) until: Timestamp,
    /// Opened at the first sale it misprices.
    pub(crate) fault: Option<FaultId>,
}

pub(crate) struct PriceBook {
    /// The latest chain-wide price per SKU (the product's price until a `price` event changes it).
    pub(crate) regular_cents: Vec<i64>,
    /// A web channel price, for some SKUs.
    pub(crate) web_cents: Vec<Option<i64>>,
    /// Promotions per SKU, announced ones included.
    promotions: Vec<Vec<PromotionPlan>>,
    /// Stale tills per (store, SKU).
    pub(crate) stale_tills: BTreeMap<(usize, usize), StaleTillPrice>,
    /// (store, SKU) keys that already had a price fault: a second would only add occurrences.
    pub(crate) mispriced_keys: BTreeSet<(usize, usize)>,
    conflicted_skus: BTreeSet<usize>,
}

impl PriceBook {
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let sku_count = catalog.products.len();
        Self {
            regular_cents: catalog.products.iter().map(|product| product.price_cents).collect(),
            web_cents: vec![None; sku_count],
            promotions: (0..sku_count).map(|_| Vec::new()).collect(),
            stale_tills: BTreeMap::new(),
            mispriced_keys: BTreeSet::new(),
            conflicted_skus: BTreeSet::new(),
        }
    }

    /// The promotion in force for a sale: the most specific scope, then the latest `from`.
    fn running_promotion(
        &self,
        sku: usize,
        location: usize,
        channel: Channel,
        at: Timestamp,
    ) -> Option<&PromotionPlan> {
        let mut best: Option<(u8, Timestamp, &PromotionPlan)> = None;
        for promotion in &self.promotions[sku] {
            let in_time = promotion.from <= at && at < promotion.to;
            let in_location = promotion.location.is_none_or(|only| only == location);
            let in_channel = promotion.channel.is_none_or(|only| only == channel);
            if !(in_time && in_location && in_channel) {
                continue;
            }
            let specificity = u8::from(promotion.location.is_some()) * 2 + u8::from(promotion.channel.is_some());
            let better = best.is_none_or(|(best_specificity, best_from, _)| {
                (specificity, promotion.from) > (best_specificity, best_from)
            });
            if better {
                best = Some((specificity, promotion.from, promotion));
            }
        }
        best.map(|(_, _, promotion)| promotion)
    }

    pub(crate) fn active_price(&self, sku: usize, location: usize, channel: Channel, at: Timestamp) -> i64 {
        if let Some(promotion) = self.running_promotion(sku, location, channel, at) {
            return promotion.price_cents;
        }
        match (channel, self.web_cents[sku]) {
            (Channel::Web, Some(web_price)) => web_price,
            _ => self.regular_cents[sku],
        }
    }

    /// Demand multiplier from a promotion running for this location and channel at `at`.
    pub(crate) fn promotion_lift(&self, sku: usize, location: usize, channel: Channel, at: Timestamp) -> f64 {
        if self.promotions[sku].is_empty() {
            return 1.0;
        }
        match self.running_promotion(sku, location, channel, at) {
            Some(_) => PROMOTION_LIFT,
            None => 1.0,
        }
    }

    /// True when the SKU has a promotion that has not ended by `at`.
    fn has_promotion_after(&self, sku: usize, at: Timestamp) -> bool {
        self.promotions[sku].iter().any(|promotion| promotion.to > at)
    }

    /// True when a promotion on the SKU runs at some instant of `from..until`.
    pub(crate) fn has_promotion_between(&self, sku: usize, from: Timestamp, until: Timestamp) -> bool {
        self.promotions[sku]
            .iter()
            .any(|promotion| promotion.from < until && from < promotion.to)
    }
}

/// A shelf-style price: rounded to ten cents, minus one (2.49, 12.99).
pub(crate) fn shelf_price_cents(raw_cents: f64) -> i64 {
    ((raw_cents / 10.0).round() as i64).max(1) * 10 - 1
}

impl World<'_> {
    pub(crate) fn run_pricing_day(&mut self, day: u32) {
        self.change_prices();
        let week_day = day + PROMOTION_NOTICE_DAYS;
        if week_day.is_multiple_of(DAYS_PER_WEEK) && week_day < self.scenario.days {
            self.announce_promotions(week_day);
        }
    }

    fn change_prices(&mut self) {
        let sku_count = self.catalog.products.len();
        let mean = PRICE_CHANGES_PER_THOUSAND_SKUS * sku_count as f64 / 1000.0;
        let changes = crate::random::poisson(&mut self.operations_rng, mean);
        for _ in 0..changes {
            let sku = self.operations_rng.random_range(0..sku_count);
            if self.prices.has_promotion_after(sku, self.now) {
                continue;
            }
            let old_cents = self.prices.regular_cents[sku];
            let share = self.operations_rng.random_range(PRICE_CHANGE_SHARE_RANGE);
            let direction = if self.operations_rng.random_bool(0.5) {
                1.0
            } else {
                -1.0
            };
            let new_cents = shelf_price_cents(old_cents as f64 * (1.0 + direction * share));
            if new_cents == old_cents || new_cents <= self.catalog.products[sku].cost_cents {
                continue;
            }
            self.prices.regular_cents[sku] = new_cents;
            let body = EventBody::Price(PriceUpsert {
                sku: self.catalog.products[sku].sku.clone(),
                price: money(new_cents),
                location: None,
                channel: None,
            });
            let id = format!("PRC-{:06}", next_number(&mut self.numbers.prices));
            self.emitter.emit(self.now, 0, Source::Erp, id, body);
            self.arm_stale_tills(sku, old_cents);
        }
    }

    /// Some stores' tills miss the price file and keep charging the old price for a day or more.
    fn arm_stale_tills(&mut self, sku: usize, old_cents: i64) {
        for store in 0..self.network.store_count {
            if !self.fault_at(self.rates.stale_till_price, store) || self.prices.mispriced_keys.contains(&(store, sku))
            {
                continue;
            }
            let hours = self.faults_rng.random_range(STALE_TILL_HOURS_RANGE);
            let until = Timestamp(self.now.0 + hours * HOUR);
            self.prices.mispriced_keys.insert((store, sku));
            self.prices.stale_tills.insert(
                (store, sku),
                StaleTillPrice {
                    price_cents: old_cents,
                    until,
                    fault: None,
                },
            );
        }
    }

    /// Announces the promotions of the week starting on `week_day`.
    pub(crate) fn announce_promotions(&mut self, week_day: u32) {
        let from = Timestamp(self.day_start(week_day).0 + PRICING_HOUR * HOUR);
        let to = Timestamp(from.0 + i64::from(DAYS_PER_WEEK) * DAY);
        let sku_count = self.catalog.products.len();
        let count = (PROMOTIONS_PER_THOUSAND_SKUS * sku_count as f64 / 1000.0)
            .round()
            .max(1.0) as usize;
        let mut chosen: BTreeSet<usize> = BTreeSet::new();
        let mut attempts = 0;
        while chosen.len() < count && attempts < count * 10 {
            attempts += 1;
            let sku = self.operations_rng.random_range(0..sku_count);
            if !self.prices.has_promotion_after(sku, self.now) && !self.prices.conflicted_skus.contains(&sku) {
                chosen.insert(sku);
            }
        }
        for sku in chosen {
            self.create_promotion(sku, from, to);
        }
    }

    fn create_promotion(&mut self, sku: usize, from: Timestamp, to: Timestamp) {
        let product = &self.catalog.products[sku];
        let regular = self.prices.regular_cents[sku];
        let discount = self.operations_rng.random_range(PROMOTION_DISCOUNT_RANGE);
        let floor = (product.cost_cents as f64 * PROMOTION_MARGIN_OVER_COST).ceil() as i64;
        let mut price_cents = shelf_price_cents(regular as f64 * (1.0 - discount)).max(floor);
        let scope_draw = self.operations_rng.random::<f64>();
        let (location, channel) = if scope_draw < WEB_ONLY_PROMOTION_SHARE {
            (None, Some(Channel::Web))
        } else if scope_draw < WEB_ONLY_PROMOTION_SHARE + SINGLE_STORE_PROMOTION_SHARE {
            (
                Some(self.operations_rng.random_range(0..self.network.store_count)),
                None,
            )
        } else {
            (None, None)
        };
        let cost_known = product.master_defect.is_none();
        let conflict = cost_known && chance(&mut self.faults_rng, self.rates.conflicting_promotion);
        let overlap = conflict && self.faults_rng.random_bool(OVERLAP_CONFLICT_SHARE);
        if conflict && !overlap {
            price_cents = ((product.cost_cents as f64) * BELOW_COST_SHARE).floor().max(1.0) as i64;
        }
        let plan = self.promotion_plan(sku, price_cents, (from, to), location, channel);
        self.emit_promotion(&plan);
        if conflict && !overlap {
            self.record_below_cost_promotion(&plan);
        }
        let first_price = plan.price_cents;
        self.prices.promotions[sku].push(plan);
        if overlap {
            self.add_conflicting_promotion(sku, from, first_price);
        }
    }

    /// A promotion with the next promotion number.
    fn promotion_plan(
        &mut self,
        sku: usize,
        price_cents: i64,
        (from, to): (Timestamp, Timestamp),
        location: Option<usize>,
        channel: Option<Channel>,
    ) -> PromotionPlan {
        let code = format!("PR{:05}", next_number(&mut self.numbers.promotions));
        PromotionPlan {
            code,
            sku,
            price_cents,
            from,
            to,
            location,
            channel,
        }
    }

    fn emit_promotion(&mut self, plan: &PromotionPlan) {
        let body = EventBody::Promotion(PromotionUpsert {
            promotion: DocumentNumber::parse(plan.code.clone()).expect("promotion codes are valid"),
            sku: self.catalog.products[plan.sku].sku.clone(),
            price: money(plan.price_cents),
            from: crate::clock::event_time(plan.from, 0),
            to: crate::clock::event_time(plan.to, 0),
            location: plan.location.map(|store| self.network.locations[store].code.clone()),
            channel: plan.channel,
        });
        self.emitter
            .emit(self.now, 0, Source::Erp, format!("{}:v1", plan.code), body);
    }

    fn record_below_cost_promotion(&mut self, plan: &PromotionPlan) {
        let product = &self.catalog.products[plan.sku];
        let note = format!(
            "promotion {} prices {} at {} cents, below its cost of {} cents (a mistyped price)",
            plan.code, product.sku, plan.price_cents, product.cost_cents
        );
        let key = FaultKey::sku_document(product.sku.as_str(), &plan.code);
        let fault = self.truth.open(FaultKind::ConflictingPromotion, note);
        self.truth.expect(
            fault,
            ExceptionType::PromotionConflict,
            key,
            self.now,
            Detection::AtEvent,
        );
        self.prices.conflicted_skus.insert(plan.sku);
    }

    /// A second category manager's "weekend deal" on the same SKU, inside the first promotion, at another price.
    fn add_conflicting_promotion(&mut self, sku: usize, first_from: Timestamp, first_price: i64) {
        let from = Timestamp(first_from.0 + CONFLICT_START_DAYS * DAY);
        let to = Timestamp(from.0 + CONFLICT_LENGTH_DAYS * DAY);
        let floor = (self.catalog.products[sku].cost_cents as f64 * PROMOTION_MARGIN_OVER_COST).ceil() as i64;
        let mut price_cents = shelf_price_cents(first_price as f64 * CONFLICT_PRICE_SHARE).max(floor);
        if price_cents == first_price {
            price_cents = first_price + 10;
        }
        let plan = self.promotion_plan(sku, price_cents, (from, to), None, None);
        self.emit_promotion(&plan);
        let sku_code = self.catalog.products[sku].sku.to_string();
        let note = format!(
            "promotion {} ({price_cents} cents) overlaps an earlier promotion on {sku_code} at {first_price} cents",
            plan.code
        );
        let key = FaultKey::sku_document(&sku_code, &plan.code);
        let fault = self.truth.open(FaultKind::ConflictingPromotion, note);
        self.truth.expect(
            fault,
            ExceptionType::PromotionConflict,
            key,
            self.now,
            Detection::AtEvent,
        );
        self.prices.conflicted_skus.insert(sku);
        self.prices.promotions[sku].push(plan);
    }
}
