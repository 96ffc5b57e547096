//! `negative_stock` and `count_variance`: what one movement or count of a position says about it.

use crate::codes::{EventId, Money, Qty};
use crate::engine::detect::{Cause, Detection, Params, Verdict, clear};
use crate::engine::facts::Facts;
pub use crate::engine::facts::Movement;
use crate::engine::ledger::{LocationId, SkuId};
use crate::rules::{ExceptionType, Param};

/// How on hand moved at one position.
#[derive(Clone, Copy)]
pub struct Move {
    pub location: LocationId,
    pub sku: SkuId,
    pub before: Qty,
    pub after: Qty,
    pub delta: Qty,
    pub movement: Movement,
}

/// `negative_stock`: a sale, negative adjustment, transfer shipment or order shipment leaves on hand below
/// zero; on hand back at zero or above clears it.
pub fn negative_stock(moved: &Move, cause: Cause) -> Option<Verdict> {
    let after = moved.after;
    let can_go_negative = match moved.movement {
        Movement::Sale | Movement::TransferShipment | Movement::OrderShipment => true,
        Movement::Adjustment => moved.delta.is_negative(),
        Movement::Receipt => false,
    };
    let kind = ExceptionType::NegativeStock;
    if after.is_negative() && can_go_negative {
        let detection = Detection::at_position(kind, moved.location, moved.sku, cause.at, Money::ZERO, cause.seq);
        let facts = Facts::NegativeStock {
            movement: moved.movement,
            moved: moved.delta,
            before: moved.before,
            after,
        };
        return Some(Verdict::Raise(detection.with_facts(facts)));
    }
    (moved.before.is_negative() && !after.is_negative())
        .then(|| clear(kind, Some(moved.location), Some(moved.sku), None, cause))
}

/// One count of a position: the count event, and on hand just before it.
pub struct CountSeen<'a> {
    pub count: &'a EventId,
    pub location: LocationId,
    pub sku: SkuId,
    pub before: Qty,
    pub variance: Qty,
}

/// `count_variance`: the count differs from on hand by more than max(units, share of abs(on hand)); a later
/// count within tolerance clears it. Nothing when the type is off (no exception of it can exist).
pub fn count_variance(params: &Params<'_>, seen: &CountSeen<'_>, cause: Cause) -> Option<Verdict> {
    let (location, sku, before, variance) = (seen.location, seen.sku, seen.before, seen.variance);
    let kind = ExceptionType::CountVariance;
    if !params.is_enabled(kind) {
        return None;
    }
    let units = params.get(kind, Param::ToleranceUnits, Some(location), Some(sku));
    let share = params.get(kind, Param::ToleranceShare, Some(location), Some(sku));
    let tolerance = units.max(share * before.0.abs());
    if variance.0.abs() <= tolerance {
        return Some(clear(kind, Some(location), Some(sku), None, cause));
    }
    let unit_cost = params.master.unit_cost(sku);
    let impact = variance.abs() * unit_cost;
    let facts = Facts::Count {
        count: seen.count.clone(),
        counted: before + variance,
        ledger: before,
        unit_cost,
    };
    let detection = Detection::at_position(kind, location, sku, cause.at, impact, cause.seq);
    Some(Verdict::Raise(detection.with_facts(facts)))
}
