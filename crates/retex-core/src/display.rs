//! How values are written for people: money with two decimals, thousands separators and its currency
//! (`1,234.50 EUR`), quantities without trailing zeros (`1,200`, `2.5`), and instants in a place's time zone
//! with the zone named (`2026-11-04 10:37 Europe/Berlin`). The engine's words and every page of the web UI use
//! these, so that an amount or a time reads the same wherever it is shown; never a raw decimal
//! (`7.4000000000000000000000000001`).

use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::codes::{Money, Qty, Timestamp};

/// An amount with its currency: `1,234.50 EUR`, `-9.00 EUR`.
pub fn money(amount: Money, currency: &str) -> String {
    let mut text = String::with_capacity(16 + currency.len());
    push_money(&mut text, amount, currency);
    text
}

/// Appends [`money`] to `text`, without the formatting machinery for the usual amounts: every exception's
/// opening note shows its impact.
pub fn push_money(text: &mut String, amount: Money, currency: &str) {
    push_amount(text, amount.0);
    text.push(' ');
    text.push_str(currency);
}

/// An amount without its currency, for a sentence that names the currency once: `4.10`, `1,234.50`.
pub fn amount_only(amount: Money) -> String {
    let mut text = String::with_capacity(16);
    push_amount(&mut text, amount.0);
    text
}

/// Appends an amount rounded half away from zero to cents, its units grouped by thousands.
fn push_amount(text: &mut String, amount: Decimal) {
    let cents = whole_cents(amount)
        .or_else(|| whole_cents(amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)));
    match cents {
        Some(cents) => push_cents(text, cents),
        None => text.push_str(&rounded_amount(amount)),
    }
}

/// The amount in whole cents, when it has at most two decimals and fits.
fn whole_cents(amount: Decimal) -> Option<i64> {
    let mantissa = i64::try_from(amount.mantissa()).ok()?;
    match amount.scale() {
        0 => mantissa.checked_mul(100),
        1 => mantissa.checked_mul(10),
        2 => Some(mantissa),
        _ => None,
    }
}

/// `-123456789` cents as `-1,234,567.89`.
fn push_cents(text: &mut String, cents: i64) {
    if cents < 0 {
        text.push('-');
    }
    let cents = cents.unsigned_abs();
    let units = cents / 100;
    // The units' digits, least significant first, with a separator after every third.
    let mut digits = [0u8; 32];
    let mut end = 0;
    let mut rest = units;
    loop {
        if end > 0 && end % 4 == 3 {
            digits[end] = b',';
            end += 1;
        }
        digits[end] = b'0' + (rest % 10) as u8;
        end += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits[..end].reverse();
    text.push_str(std::str::from_utf8(&digits[..end]).expect("ASCII digits"));
    let fraction = cents % 100;
    text.push('.');
    text.push(char::from(b'0' + (fraction / 10) as u8));
    text.push(char::from(b'0' + (fraction % 10) as u8));
}

/// An amount of any size through the formatting machinery: what [`push_amount`] writes for the usual ones.
fn rounded_amount(amount: Decimal) -> String {
    let cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    // A negative amount that rounds to zero is zero.
    let cents = if cents.is_zero() { Decimal::ZERO } else { cents };
    grouped(&format!("{cents:.2}"))
}

/// A quantity as counted: `1,200`, `2.5`, `-9`.
pub fn quantity(qty: Qty) -> String {
    let normalized = qty.0.normalize();
    let normalized = if normalized.is_zero() {
        Decimal::ZERO
    } else {
        normalized
    };
    grouped(&normalized.to_string())
}

/// A count of things: `12,345`.
pub fn count(count: u64) -> String {
    grouped(&count.to_string())
}

/// The time zone a location's master data names, UTC when it names none or one this build does not know.
pub fn zone(name: Option<&str>) -> Tz {
    name.and_then(|name| name.parse::<Tz>().ok()).unwrap_or(Tz::UTC)
}

/// An instant to the minute in `zone`, the zone named: `2026-11-04 10:37 Europe/Berlin`.
pub fn local_time(at: Timestamp, zone: Tz) -> String {
    match chrono::DateTime::from_timestamp_millis(at.0) {
        Some(instant) => format!("{} {zone}", instant.with_timezone(&zone).format("%Y-%m-%d %H:%M")),
        None => at.to_rfc3339(),
    }
}

/// An instant to the minute in UTC, the zone named: for what happens at several places at once.
pub fn utc_time(at: Timestamp) -> String {
    local_time(at, Tz::UTC)
}

/// A plain decimal text (`-1234567.50`) with its integer digits grouped by three: `-1,234,567.50`.
fn grouped(plain: &str) -> String {
    let (sign, unsigned) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let mut text = String::with_capacity(plain.len() + integer.len() / 3);
    text.push_str(sign);
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    if let Some(fraction) = fraction {
        text.push('.');
        text.push_str(fraction);
    }
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn money_of(text: &str) -> Money {
        Money(text.parse().unwrap())
    }

    #[test]
    fn money_has_cents_thousands_and_its_currency() {
        assert_eq!(money(money_of("1234.5"), "EUR"), "1,234.50 EUR");
        assert_eq!(money(money_of("7.4000000000000000000000000001"), "EUR"), "7.40 EUR");
        assert_eq!(money(money_of("-36.9"), "USD"), "-36.90 USD");
        assert_eq!(
            money(money_of("0.005"), "EUR"),
            "0.01 EUR",
            "half a cent rounds away from zero"
        );
        assert_eq!(money(money_of("-0.001"), "EUR"), "0.00 EUR");
        assert_eq!(money(money_of("1234567890.1"), "EUR"), "1,234,567,890.10 EUR");
        assert_eq!(amount_only(money_of("999.999")), "1,000.00");
        assert_eq!(amount_only(Money::ZERO), "0.00");
    }

    proptest! {
        /// The quick way writes what the formatting machinery writes, whatever the sign, scale and size.
        #[test]
        fn pushed_amounts_read_as_formatted(
            low in any::<u32>(),
            middle in prop_oneof![Just(0u32), any::<u32>()],
            high in prop_oneof![Just(0u32), Just(0u32), any::<u32>()],
            negative in any::<bool>(),
            scale in 0u32..=28,
        ) {
            let amount = Decimal::from_parts(low, middle, high, negative, scale);
            prop_assert_eq!(amount_only(Money(amount)), rounded_amount(amount));
        }
    }

    #[test]
    fn quantities_lose_trailing_zeros_and_keep_their_sign() {
        let qty = |text: &str| Qty(text.parse().unwrap());
        assert_eq!(quantity(qty("1200.000")), "1,200");
        assert_eq!(quantity(qty("2.50")), "2.5");
        assert_eq!(quantity(qty("-9")), "-9");
        assert_eq!(quantity(qty("-0.0")), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
    }

    #[test]
    fn times_read_in_the_zone_they_name() {
        let at = Timestamp::parse_rfc3339("2026-11-04T09:37:00Z").unwrap();
        assert_eq!(
            local_time(at, zone(Some("Europe/Berlin"))),
            "2026-11-04 10:37 Europe/Berlin"
        );
        assert_eq!(local_time(at, zone(None)), "2026-11-04 09:37 UTC");
        assert_eq!(utc_time(at), "2026-11-04 09:37 UTC");
        assert_eq!(local_time(at, zone(Some("Mars/Olympus"))), "2026-11-04 09:37 UTC");
    }
}
