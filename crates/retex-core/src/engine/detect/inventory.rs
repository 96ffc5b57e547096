//! `phantom_stock` and `low_stock`: judgements over a position's sales history (kept by the engine in
//! `DetectorStats` as sales happen) and what is inbound to it.

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::engine::detect::{Cause, Detection, Verdict, clear};
use crate::engine::documents::PurchaseOrderDoc;
use crate::engine::incidents::Touch;
use crate::engine::ledger::{Ledger, LocationId, SkuId, pack};
use crate::engine::master::MasterData;
use crate::engine::stats::{DetectorStats, PhantomCheck, PositionStats};
use crate::engine::stock_cover::StockCover;
use crate::rules::{ExceptionType, HISTORY_DAYS, Param, Rules, ScopeContext};

/// What a due `phantom_stock` check found.
#[derive(Debug)]
pub enum PhantomFinding {
    /// The check was replaced by another, at another instant: this one checks nothing.
    Superseded,
    /// The check is used up; what follows from it.
    Checked(AfterCheck),
}

#[derive(Debug)]
pub enum AfterCheck {
    /// Nothing: the item sells too slowly to judge, shows no stock, or the type is off.
    Quiet,
    /// It sold since the check was queued: check again when the business clock reads this.
    CheckAgainAt(i64),
    /// Silent beyond its pattern while the ledger shows stock.
    Raise(Detection),
}

/// `phantom_stock` when its check falls due at `due_at`: the ledger shows stock, yet an item selling at least
/// `min_daily` a day has been silent for `silence` times its mean interval between sales, counted in open hours.
#[allow(clippy::too_many_arguments)]
pub fn phantom_stock(
    ledger: &Ledger,
    master: &MasterData,
    enabled: bool,
    stats: &PositionStats,
    (min_daily, silence): (Decimal, Decimal),
    location: LocationId,
    sku: SkuId,
    due_at: Timestamp,
) -> PhantomFinding {
    let Some(check) = stats.phantom_check.filter(|check: &PhantomCheck| check.at == due_at) else {
        return PhantomFinding::Superseded;
    };
    let Some(current_due) = stats.phantom_due_reading(silence) else {
        return PhantomFinding::Checked(AfterCheck::Quiet);
    };
    if current_due > check.reading {
        return PhantomFinding::Checked(AfterCheck::CheckAgainAt(current_due));
    }
    let on_hand = ledger.get(location, sku).map_or(Qty::ZERO, |position| position.on_hand);
    if !stats.phantom_qualifies(min_daily) || on_hand <= Qty::ZERO || !enabled {
        return PhantomFinding::Checked(AfterCheck::Quiet);
    }
    let impact = on_hand * master.unit_cost(sku);
    let kind = ExceptionType::PhantomStock;
    let detection = Detection::at_position(kind, location, sku, due_at, impact, stats.last_sale_seq);
    PhantomFinding::Checked(AfterCheck::Raise(detection))
}

/// A sale, or a count, clears `phantom_stock`.
pub fn phantom_cleared(location: LocationId, sku: SkuId, cause: Cause) -> Verdict {
    clear(ExceptionType::PhantomStock, Some(location), Some(sku), None, cause)
}

/// What `low_stock` reads beyond a position's own cover: what is on order and in transit to its location, and
/// when each is due.
#[derive(Clone, Copy)]
pub struct InboundView<'a> {
    pub stats: &'a DetectorStats,
    pub purchase_orders: &'a FxHashMap<DocumentNumber, PurchaseOrderDoc>,
}

impl InboundView<'_> {
    /// A stock cover with what open purchase orders bring to the position.
    pub fn with_orders(&self, location: LocationId, sku: SkuId, cover: StockCover) -> StockCover {
        let on_order = self.stats.on_order.get(&pack(location, sku)).copied();
        StockCover {
            on_order: on_order.unwrap_or(Qty::ZERO),
            ..cover
        }
    }

    /// What open purchase orders and shipped transfers bring to a position within the lead time (exceptions.md):
    /// the part of the inbound quantities that `low_stock` counts, within [`StockCover::inbound_range`].
    pub fn within_lead_time(&self, location: LocationId, sku: SkuId, cover: &StockCover) -> Qty {
        let horizon = days_after(cover.at, cover.lead_time);
        let on_order = match cover.on_order > Qty::ZERO {
            true => (cover.on_order - self.on_order_due_after(location, sku, horizon)).max(Qty::ZERO),
            false => cover.on_order,
        };
        let in_transit = match cover.in_transit > Qty::ZERO {
            true => (cover.in_transit - self.in_transit_due_after(location, sku, horizon)).max(Qty::ZERO),
            false => cover.in_transit,
        };
        on_order + in_transit
    }

    /// What open purchase orders bring to a position but is due after `horizon`.
    fn on_order_due_after(&self, location: LocationId, sku: SkuId, horizon: Timestamp) -> Qty {
        let Some(orders) = self.stats.open_pos.get(&location) else {
            return Qty::ZERO;
        };
        let late_orders = orders.iter().filter(|&&(_, expected)| expected > horizon);
        let late_lines = late_orders
            .filter_map(|(po, _)| self.purchase_orders.get(po))
            .flat_map(|doc| doc.lines.iter().filter(|line| line.sku == sku));
        late_lines.fold(Qty::ZERO, |late, line| {
            late + (line.ordered - line.received).max(Qty::ZERO)
        })
    }

    /// What shipped transfers bring to a position but is due after `horizon`.
    fn in_transit_due_after(&self, location: LocationId, sku: SkuId, horizon: Timestamp) -> Qty {
        let transfers = self.stats.transfers_in_transit.get(&location);
        (transfers.into_iter().flatten())
            .filter(|transfer| transfer.due.is_some_and(|due| due > horizon))
            .fold(Qty::ZERO, |late, transfer| late + transfer.qty(sku))
    }
}

/// `low_stock` on a position's cover: available (on hand - reserved + what is inbound within the lead time)
/// below what the rules want, for an item that sold on enough days. `None` when that agrees with `is_open`;
/// else whether it is low now and the verdict that says so.
pub fn low_stock(
    inbound: &InboundView<'_>,
    master: &MasterData,
    location: LocationId,
    sku: SkuId,
    cover: &StockCover,
    is_open: bool,
    cause: Cause,
) -> Option<(bool, Verdict)> {
    // What is inbound only counts when due within the lead time; working that out takes a walk over the
    // location's documents, which is needed only when counting none or all of it would decide differently
    // (most positions have nothing inbound: then the least is the most, and one comparison decides). What is on
    // order is never below zero, so it adds nothing to the least: it is looked up only for a position short
    // even so.
    let low = cover.selling && cover.short_counting_least() && {
        let cover = inbound.with_orders(location, sku, cover.clone());
        let short = |available: Qty| cover.is_short(available);
        let (least, most) = cover.inbound_range();
        least == most || short(cover.free + most) || short(cover.free + inbound.within_lead_time(location, sku, &cover))
    };
    if low == is_open {
        return None;
    }
    let kind = ExceptionType::LowStock;
    let verdict = if low {
        let product = master.product(sku);
        let price = product.and_then(|product| product.price).unwrap_or(Money::ZERO);
        let impact = Money(cover.velocity() * cover.lead_time * price.0);
        let mut detection = Detection::at_position(kind, location, sku, cause.at, impact, cause.seq);
        // What master data feeds `low_stock`: the product's supplier and the supplier's lead time.
        detection.touches.push(Touch::SupplierOfSku(sku));
        if let Some(supplier) = product.and_then(|product| product.supplier.clone()) {
            detection.touches.push(Touch::LeadTimeOf(supplier));
        }
        Verdict::Raise(detection)
    } else {
        clear(kind, Some(location), Some(sku), None, cause)
    };
    Some((low, verdict))
}

/// The instant `days` (a decimal number of days) after `at`, to the millisecond.
fn days_after(at: Timestamp, days: rust_decimal::Decimal) -> Timestamp {
    let day_ms = rust_decimal::Decimal::from(Timestamp::MILLIS_PER_DAY);
    let after_ms = i64::try_from((days * day_ms).trunc()).unwrap_or(i64::MAX / 4);
    Timestamp(at.0.saturating_add(after_ms))
}

/// The parameters every till sale reads, worked out once for types whose rules have no overrides (`None`
/// otherwise), so that a sale does not look them up and convert them.
#[derive(Clone, Copy, Debug, Default)]
pub struct SaleParams {
    pub phantom: Option<PhantomParams>,
    /// `low_stock`'s velocity window and the selling days it asks of it.
    pub low_stock_window: Option<(usize, usize)>,
}

impl SaleParams {
    pub fn of(rules: &Rules) -> Self {
        let unscoped = |kind: ExceptionType| {
            let context = ScopeContext::default();
            (!rules.has_overrides(kind)).then_some(move |param| rules.param(kind, param, &context))
        };
        Self {
            phantom: unscoped(ExceptionType::PhantomStock).map(PhantomParams::from),
            low_stock_window: unscoped(ExceptionType::LowStock).map(low_stock_window),
        }
    }
}

/// `phantom_stock`'s parameters: the least a day an item must sell to be judged, and how many of its mean
/// intervals between sales a silence must last.
#[derive(Clone, Copy, Debug)]
pub struct PhantomParams {
    pub min_daily: Decimal,
    pub silence: Decimal,
}

impl PhantomParams {
    pub fn from(param: impl Fn(Param) -> Decimal) -> Self {
        Self {
            min_daily: param(Param::MinDailySales),
            silence: param(Param::SilenceIntervals),
        }
    }
}

/// `low_stock`'s velocity window and the selling days it asks of it, in days, from its parameters.
pub fn low_stock_window(param: impl Fn(Param) -> Decimal) -> (usize, usize) {
    (
        decimal_days(param(Param::VelocityWindowDays)),
        decimal_days(param(Param::MinSellingDays)),
    )
}

/// A day count from the rules, within the history kept.
fn decimal_days(days: rust_decimal::Decimal) -> usize {
    let whole = if days.scale() == 0 {
        usize::try_from(days.mantissa()).ok()
    } else {
        usize::try_from(days.trunc()).ok()
    };
    whole.unwrap_or(HISTORY_DAYS).min(HISTORY_DAYS)
}
