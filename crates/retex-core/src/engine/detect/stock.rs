//! `negative_stock` and `count_variance`: what one movement or count of a position says about it.

use crate::codes::{Money, Qty};
use crate::engine::detect::{Cause, Detection, Params, Verdict, clear};
use crate::engine::ledger::{LocationId, SkuId};
use crate::rules::{ExceptionType, Param};

/// Why on hand moved; only some moves can make stock negative in the sense of `negative_stock`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Sale,
    Adjustment,
    TransferShipment,
    OrderShipment,
    Receipt,
}

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
        return Some(Verdict::Raise(detection));
    }
    (moved.before.is_negative() && !after.is_negative())
        .then(|| clear(kind, Some(moved.location), Some(moved.sku), None, cause))
}

/// `count_variance`: the count differs from on hand by more than max(units, share of abs(on hand)); a later
/// count within tolerance clears it. Nothing when the type is off (no exception of it can exist).
pub fn count_variance(
    params: &Params<'_>,
    location: LocationId,
    sku: SkuId,
    before: Qty,
    variance: Qty,
    cause: Cause,
) -> Option<Verdict> {
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
    let impact = variance.abs() * params.master.unit_cost(sku);
    Some(Verdict::Raise(Detection::at_position(
        kind, location, sku, cause.at, impact, cause.seq,
    )))
}
