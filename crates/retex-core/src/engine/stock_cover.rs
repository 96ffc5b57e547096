//! `low_stock`'s arithmetic: whether a position's stock is short of what the rules want, decided exactly.
//!
//! Asked at every sale of a selling item, so it decides in 128-bit integers when the quantities allow (any
//! till's do), and in exact decimals otherwise; the tests hold the integer path to the decimal one.

use rust_decimal::Decimal;

use crate::codes::{Qty, Timestamp};
use crate::rules::HISTORY_DAYS;

/// A position's stock against what `low_stock` wants (`Engine::stock_cover` works it out).
#[derive(Clone)]
pub struct StockCover {
    /// When it was worked out.
    pub at: Timestamp,
    /// On hand - reserved.
    pub free: Qty,
    pub in_transit: Qty,
    /// Ordered on open purchase orders and not yet received.
    pub on_order: Qty,
    /// Thousandths of a unit sold over the window.
    pub sold_milli: u64,
    /// (lead time + 1) x cover factor: the days of sales wanted on hand.
    pub want_factor: Decimal,
    pub window_days: u64,
    pub lead_time: Decimal,
    /// It sold on enough days of the window to judge.
    pub selling: bool,
}

impl StockCover {
    /// Units sold per day over the window.
    pub fn velocity(&self) -> Decimal {
        Decimal::from(self.sold_milli) / Decimal::ONE_THOUSAND / Decimal::from(self.window_days)
    }

    /// What the rules want on hand: velocity x (lead time + 1) x cover factor.
    pub fn wanted(&self) -> Decimal {
        Decimal::from(self.sold_milli) * self.want_factor / Decimal::ONE_THOUSAND / Decimal::from(self.window_days)
    }

    /// Whether `available` is below what the rules want: `available x days x 1000 < sold x factor`, free of
    /// division, exactly. In integers when the mantissas allow (any till quantity does), else in decimals.
    pub fn is_short(&self, available: Qty) -> bool {
        let qty = available.0;
        if let Some(short) = self.is_short_in_integers(qty.mantissa(), qty.scale()) {
            return short;
        }
        let per_unit = Decimal::from(self.window_days * 1000);
        match (
            qty.checked_mul(per_unit),
            Decimal::from(self.sold_milli).checked_mul(self.want_factor),
        ) {
            (Some(have), Some(want)) => have < want,
            // A product beyond the range of decimals is beyond anything the other side can be.
            (None, _) => qty.is_sign_negative(),
            (Some(_), None) => self.want_factor.is_sign_positive(),
        }
    }

    /// [`Self::is_short`] for `mantissa / 10^scale` in 128-bit integers, `None` where they overflow: with the
    /// factor `mf / 10^sf`, whether `mantissa x days x 1000 x 10^sf < sold x mf x 10^scale`.
    fn is_short_in_integers(&self, mantissa: i128, scale: u32) -> Option<bool> {
        let factor = self.want_factor;
        let (factor_mantissa, factor_scale) = (factor.mantissa(), factor.scale());
        // Operands within these bounds (any till quantity, any usual factor) cannot overflow: have < 2^63 x
        // 2^14 x 2^30 and want < 2^60 x 2^36 x 2^30, so the products skip the checks (each a call).
        let (window_days, sold_milli) = (i128::from(self.window_days), i128::from(self.sold_milli));
        if scale < POWERS_OF_TEN.len() as u32
            && factor_scale < POWERS_OF_TEN.len() as u32
            && mantissa.unsigned_abs() < 1 << 63
            && factor_mantissa.unsigned_abs() < 1 << 60
            && window_days <= HISTORY_DAYS as i128
            && sold_milli < 1 << 36
        {
            let have = mantissa * window_days * 1000 * POWERS_OF_TEN[factor_scale as usize];
            let want = factor_mantissa * sold_milli * POWERS_OF_TEN[scale as usize];
            return Some(have < want);
        }
        let have = (mantissa.checked_mul(window_days * 1000))?.checked_mul(10i128.checked_pow(factor_scale)?)?;
        let want = (factor_mantissa.checked_mul(sold_milli))?.checked_mul(10i128.checked_pow(scale)?)?;
        Some(have < want)
    }

    /// Whether even the least that can be available (free, with the least of what is inbound, see
    /// [`Self::inbound_range`]) is short: asked at every sale of a selling item, so summed in integers when
    /// every quantity is whole (as a till's are), else in decimals.
    pub fn short_counting_least(&self) -> bool {
        let whole = |qty: Qty| match qty.0.scale() {
            0 => i64::try_from(qty.0.mantissa()).ok().map(i128::from),
            _ => None,
        };
        if let (Some(free), Some(in_transit), Some(on_order)) =
            (whole(self.free), whole(self.in_transit), whole(self.on_order))
            && let Some(short) = self.is_short_in_integers(free + in_transit.min(0) + on_order.min(0), 0)
        {
            return short;
        }
        self.is_short(self.free + self.inbound_range().0)
    }

    /// The least and the most that `Engine::inbound_within_lead_time` can count: a positive quantity counts
    /// in part or in full, whatever is not positive in full.
    pub fn inbound_range(&self) -> (Qty, Qty) {
        let least = self.in_transit.min(Qty::ZERO) + self.on_order.min(Qty::ZERO);
        (least, self.in_transit + self.on_order)
    }
}

/// 10^0 to 10^9: the scales of [`StockCover::is_short_in_integers`]'s fast path.
const POWERS_OF_TEN: [i128; 10] = {
    let mut powers = [1; 10];
    let mut index = 1;
    while index < powers.len() {
        powers[index] = powers[index - 1] * 10;
        index += 1;
    }
    powers
};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cover(sold_milli: u64, want_factor: Decimal, window_days: u64) -> StockCover {
        StockCover {
            at: Timestamp(0),
            free: Qty::ZERO,
            in_transit: Qty::ZERO,
            on_order: Qty::ZERO,
            sold_milli,
            want_factor,
            window_days,
            lead_time: Decimal::ZERO,
            selling: true,
        }
    }

    /// A quantity: mostly whole units, as tills send them, else any decimal.
    fn quantity() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            3 => (-1_000i64..1_000).prop_map(Decimal::from),
            1 => decimal(),
        ]
    }

    /// A decimal from a mantissa and a scale, both drawn wide enough to leave the integer path.
    fn decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (-100_000i64..100_000, 0u32..4).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
            (any::<i64>(), 0u32..28).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
        ]
    }

    proptest! {
        /// The integer comparison decides exactly as decimal arithmetic does, and falls back where it overflows.
        #[test]
        fn is_short_agrees_with_decimal_arithmetic(
            available in decimal(),
            factor in decimal(),
            sold_milli in prop_oneof![0u64..50_000_000, Just(16 * u64::from(u32::MAX))],
            window_days in 1u64..=16,
        ) {
            let cover = cover(sold_milli, factor, window_days);
            let have = available.checked_mul(Decimal::from(window_days * 1000));
            let want = Decimal::from(sold_milli).checked_mul(factor);
            // Beyond the range of decimals there is nothing to agree with.
            let (Some(have), Some(want)) = (have, want) else { return Ok(()) };
            prop_assert_eq!(cover.is_short(Qty(available)), have < want);
        }

        /// Free stock with the least of what is inbound, whole or not, is short exactly when `is_short` says.
        #[test]
        fn the_least_available_is_short_as_decimals_say(
            free in quantity(),
            in_transit in quantity(),
            on_order in quantity(),
            factor in decimal(),
            sold_milli in prop_oneof![0u64..50_000_000, Just(16 * u64::from(u32::MAX))],
            window_days in 1u64..=16,
        ) {
            let cover = StockCover {
                free: Qty(free),
                in_transit: Qty(in_transit),
                on_order: Qty(on_order),
                ..cover(sold_milli, factor, window_days)
            };
            let (least, _) = cover.inbound_range();
            let Some(available) = free.checked_add(least.0) else { return Ok(()) };
            let have = available.checked_mul(Decimal::from(window_days * 1000));
            let want = Decimal::from(sold_milli).checked_mul(factor);
            let (Some(have), Some(want)) = (have, want) else { return Ok(()) };
            prop_assert_eq!(cover.short_counting_least(), have < want);
        }
    }

    #[test]
    fn the_least_available_counts_what_is_owed_but_not_what_is_on_its_way() {
        // 7 units over 14 days, 4.5 days wanted: 2.25 units. Free 3 with 1 owed in transit is 2: short.
        let with = |free: i64, in_transit: i64, on_order: i64| StockCover {
            free: Qty(free.into()),
            in_transit: Qty(in_transit.into()),
            on_order: Qty(on_order.into()),
            ..cover(7_000, Decimal::new(45, 1), 14)
        };
        assert!(with(2, 0, 0).short_counting_least());
        assert!(!with(3, 0, 0).short_counting_least());
        assert!(with(3, -1, 0).short_counting_least());
        assert!(with(2, 4, 5).short_counting_least(), "inbound may come too late");
        assert!(!with(3, 4, 5).short_counting_least());
        // A fraction anywhere takes the decimal path to the same answers.
        let fractional = StockCover {
            free: Qty(Decimal::new(225, 2)),
            ..with(0, 0, 0)
        };
        assert!(!fractional.short_counting_least());
        let fractional = StockCover {
            free: Qty(Decimal::new(224, 2)),
            ..with(0, 0, 0)
        };
        assert!(fractional.short_counting_least());
    }

    #[test]
    fn a_fraction_below_the_wanted_cover_is_short() {
        // 7 units over 14 days, (2 + 1) x 1.5 days wanted: 0.5 x 4.5 = 2.25 units.
        let cover = cover(7_000, Decimal::new(45, 1), 14);
        assert!(cover.is_short(Qty(Decimal::new(224, 2))));
        assert!(!cover.is_short(Qty(Decimal::new(225, 2))));
        assert_eq!(cover.wanted(), Decimal::new(225, 2));
    }
}
