//! `price_mismatch` and `promotion_conflict`: what a till should charge, against what it charged, and
//! promotions that contradict each other or sell below cost.

use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::engine::detect::{Cause, Detection, Params, key_of};
use crate::engine::facts::{Facts, PriceSource};
use crate::engine::incidents::Touch;
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::master::{MasterData, PriceScope, PromotionInfo};
use crate::event::{Channel, Sale};
use crate::rules::{ExceptionType, Param};

/// What the pricing detectors read: the master prices and promotions, and two indexes over them.
#[derive(Clone, Copy)]
pub struct PricingView<'a> {
    pub params: Params<'a>,
    pub master: &'a MasterData,
    pub promotions_by_sku: &'a FxHashMap<SkuId, Vec<DocumentNumber>>,
    /// Whether a `price` event ever named the SKU (by SKU id).
    pub priced_skus: &'a [bool],
}

/// `price_mismatch`: a sale's unit price differs by more than `price_tolerance` from the active price.
pub fn price_mismatch(
    view: &PricingView<'_>,
    sale: &Sale,
    location: LocationId,
    sku: SkuId,
    cause: Cause,
) -> Option<Detection> {
    let kind = ExceptionType::PriceMismatch;
    if !view.params.is_enabled(kind) {
        return None;
    }
    let (expected, source) = active_price(view, sku, location, sale.channel, cause.at)?;
    // Most lines are charged the active price: no arithmetic for them.
    if expected == sale.unit_price {
        return None;
    }
    let tolerance = view.params.get(kind, Param::PriceTolerance, Some(location), Some(sku));
    let difference = (expected - sale.unit_price).abs();
    (difference.0 > tolerance).then(|| {
        let impact = sale.qty * difference;
        let facts = Facts::PriceMismatch {
            charged: sale.unit_price,
            expected,
            source: source.as_fact(),
            qty: sale.qty,
        };
        Detection::at_position(kind, location, sku, cause.at, impact, cause.seq).with_facts(facts)
    })
}

/// Where the active price comes from, borrowed: every till line asks, few mismatch.
enum ActiveSource<'a> {
    Promotion(&'a DocumentNumber),
    PriceList,
    ProductPrice,
}

impl ActiveSource<'_> {
    fn as_fact(&self) -> PriceSource {
        match self {
            Self::Promotion(number) => PriceSource::Promotion((*number).clone()),
            Self::PriceList => PriceSource::PriceList,
            Self::ProductPrice => PriceSource::ProductPrice,
        }
    }
}

/// The price a till should charge, and where it comes from: a running promotion (most specific, then latest
/// start), else the most specific `price`, else the product's price.
fn active_price<'a>(
    view: &PricingView<'a>,
    sku: SkuId,
    location: LocationId,
    channel: Channel,
    at: Timestamp,
) -> Option<(Money, ActiveSource<'a>)> {
    let master = view.master;
    let mut best: Option<((u8, Timestamp, &DocumentNumber), Money)> = None;
    for number in view.promotions_by_sku.get(&sku).into_iter().flatten() {
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
    if let Some(((_, _, number), price)) = best {
        return Some((price, ActiveSource::Promotion(number)));
    }
    let scopes = [
        (Some(location), Some(channel)),
        (Some(location), None),
        (None, Some(channel)),
        (None, None),
    ];
    let priced = view.priced_skus.get(sku as usize).copied().unwrap_or(false);
    for (location, channel) in scopes.into_iter().filter(|_| priced) {
        if let Some(entry) = master.prices.get(&PriceScope { sku, location, channel }) {
            return Some((entry.price, ActiveSource::PriceList));
        }
    }
    let price = master.product(sku).and_then(|product| product.price)?;
    Some((price, ActiveSource::ProductPrice))
}

/// `promotion_conflict`: two promotions on one SKU overlap in time and scope with different prices, or a
/// promotion price is below cost. `ref` is the later promotion.
pub fn promotion_conflicts(view: &PricingView<'_>, number: &DocumentNumber, cause: Cause) -> Vec<Detection> {
    let kind = ExceptionType::PromotionConflict;
    let promotions = &view.master.promotions;
    let this = &promotions[number];
    let (sku, scope_location) = (this.sku, this.location);
    let mut conflicts: Vec<(DocumentNumber, Facts)> = Vec::new();
    for other_number in view.promotions_by_sku.get(&sku).into_iter().flatten() {
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
            let facts = Facts::PromotionOverlap {
                promotion: number.clone(),
                price: this.price,
                other: other_number.clone(),
                other_price: other.price,
            };
            conflicts.push((later.clone(), facts));
        }
    }
    let cost = view.master.product(sku).and_then(|product| product.cost);
    if let Some(cost) = cost.filter(|cost| this.price < *cost) {
        let facts = Facts::PromotionBelowCost {
            promotion: number.clone(),
            price: this.price,
            cost,
        };
        conflicts.push((number.clone(), facts));
    }
    let mut detections = Vec::with_capacity(conflicts.len());
    for (later, facts) in conflicts {
        let mut detection = Detection::on_document(kind, scope_location, &later, &[], cause.at, Money::ZERO, cause.seq);
        detection.key = key_of(kind, None, Some(sku), None);
        detection.sku = Some(sku);
        detection.touches.push(Touch::Document(number.clone()));
        detections.push(detection.with_facts(facts));
    }
    detections
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
