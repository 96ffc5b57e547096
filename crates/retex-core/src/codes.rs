//! Validated identifiers, timestamps and decimal amounts of the event schema.
//!
//! Codes (locations, SKUs, documents) are newtypes so that a transfer number can never be passed where a SKU is
//! expected. Quantities and money are exact decimals (`rust_decimal`): `2.00 - 1.99` is exactly `0.01`. In JSON
//! they are written as numbers with their exact digits; in binary snapshots as scale and mantissa.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest accepted id or code, in characters (events.md: ids are 1-200 chars).
pub const CODE_LEN_MAX: usize = 200;

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("must not be empty")]
    Empty,
    #[error("longer than {CODE_LEN_MAX} characters")]
    TooLong,
    #[error("contains a control character")]
    ControlCharacter,
}

fn check_code(text: &str) -> Result<(), CodeError> {
    if text.trim().is_empty() {
        return Err(CodeError::Empty);
    }
    if text.chars().count() > CODE_LEN_MAX {
        return Err(CodeError::TooLong);
    }
    if text.chars().any(char::is_control) {
        return Err(CodeError::ControlCharacter);
    }
    Ok(())
}

macro_rules! code_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(#[schemars(length(min = 1, max = 200))] String);

        impl $name {
            /// Accepts 1 to 200 characters with no control characters.
            pub fn parse(text: impl Into<String>) -> Result<Self, CodeError> {
                let text = text.into();
                check_code(&text)?;
                Ok(Self(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

code_newtype!(
    /// An event's id, unique within its source.
    EventId
);
code_newtype!(
    /// The sending system (`pos`, `web`, `wms`, `erp`, ...).
    SourceName
);
code_newtype!(
    /// A store, warehouse or web shop.
    LocationCode
);
code_newtype!(
    /// A stock keeping unit.
    Sku
);
code_newtype!(
    /// A supplier's code.
    SupplierCode
);
code_newtype!(
    /// A document number: transfer, purchase order, order, return, promotion or customer message.
    DocumentNumber
);

macro_rules! decimal_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Decimal);

        impl $name {
            pub const ZERO: Self = Self(Decimal::ZERO);

            pub fn is_negative(self) -> bool {
                self.0.is_sign_negative() && !self.0.is_zero()
            }

            pub fn is_positive(self) -> bool {
                self.0.is_sign_positive() && !self.0.is_zero()
            }

            pub fn abs(self) -> Self {
                Self(self.0.abs())
            }

            pub fn max(self, other: Self) -> Self {
                if other > self { other } else { self }
            }

            pub fn min(self, other: Self) -> Self {
                if other < self { other } else { self }
            }
        }

        impl Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                Self(self.0 + rhs.0)
            }
        }

        impl Sub for $name {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self {
                Self(self.0 - rhs.0)
            }
        }

        impl Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }

        impl AddAssign for $name {
            fn add_assign(&mut self, rhs: Self) {
                self.0 += rhs.0;
            }
        }

        impl SubAssign for $name {
            fn sub_assign(&mut self, rhs: Self) {
                self.0 -= rhs.0;
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = rust_decimal::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_decimal(text).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_decimal(self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_decimal(deserializer).map(Self)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "number",
                    "description": "an exact decimal number, written with the digits it has (never rounded through binary floating point)"
                })
            }
        }
    };
}

decimal_newtype!(
    /// A quantity in the product's unit of measure.
    Qty
);
decimal_newtype!(
    /// An amount of money in the company currency.
    Money
);

impl Qty {
    pub fn from_units(units: i64) -> Self {
        Self(Decimal::from(units))
    }

    /// The quantity as a float, for statistics; whole quantities (the usual case) skip decimal arithmetic.
    pub fn units_f64(self) -> f64 {
        if self.0.scale() == 0
            && let Ok(units) = i64::try_from(self.0.mantissa())
        {
            return units as f64;
        }
        rust_decimal::prelude::ToPrimitive::to_f64(&self.0).unwrap_or(0.0)
    }
}

impl Mul<Money> for Qty {
    type Output = Money;
    fn mul(self, rhs: Money) -> Money {
        Money(self.0 * rhs.0)
    }
}

/// The GS1 check digit of a GTIN's other digits (ASCII `0`-`9`): from the right, weights 3, 1, 3, ...
pub fn gtin_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| u32::from(digit - b'0') * if index % 2 == 0 { 3 } else { 1 })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Checks a barcode as a GTIN-8, -12 (UPC-A), -13 (EAN) or -14: its length, its digits and its check digit.
pub fn check_gtin(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    if ![8, 12, 13, 14].contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(format!("{text:?} is not a GTIN: 8, 12, 13 or 14 digits"));
    }
    let (body, check) = bytes.split_at(bytes.len() - 1);
    let expected = gtin_check_digit(body);
    if check[0] != expected {
        return Err(format!(
            "{text} is not a GTIN: its check digit should be {}",
            char::from(expected)
        ));
    }
    Ok(())
}

/// Parses a decimal exactly, in plain (`12.50`) or scientific (`1.25e1`) notation.
pub fn parse_decimal(text: &str) -> Result<Decimal, rust_decimal::Error> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    }
}

fn serialize_decimal<S: Serializer>(value: Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        let raw = serde_json::value::RawValue::from_string(value.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    } else {
        // Scale and mantissa: a binary format writes small integers in a byte or two (postcard's varints),
        // where the 16 raw bytes would always cost 17.
        (value.scale() as u8, value.mantissa()).serialize(serializer)
    }
}

fn deserialize_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    struct DecimalVisitor;

    impl serde::de::Visitor<'_> for DecimalVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Decimal, E> {
            parse_decimal(text).map_err(E::custom)
        }

        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(value))
        }

        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(value))
        }

        /// A float reaches here only from a format without exact numbers (never from the event parser); its
        /// shortest round-trip text is the decimal the writer meant.
        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Decimal, E> {
            parse_decimal(&value.to_string()).map_err(E::custom)
        }
    }

    if deserializer.is_human_readable() {
        deserializer.deserialize_any(DecimalVisitor)
    } else {
        let (scale, mantissa) = <(u8, i128)>::deserialize(deserializer)?;
        Decimal::try_from_i128_with_scale(mantissa, u32::from(scale)).map_err(serde::de::Error::custom)
    }
}

/// An instant, in milliseconds since the Unix epoch (UTC): the engine's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MILLIS_PER_HOUR: i64 = 3_600_000;
    pub const MILLIS_PER_DAY: i64 = 24 * Self::MILLIS_PER_HOUR;

    pub fn from_datetime<Tz: chrono::TimeZone>(at: &chrono::DateTime<Tz>) -> Self {
        Self(at.timestamp_millis())
    }

    pub fn plus_hours(self, hours: i64) -> Self {
        Self(self.0 + hours * Self::MILLIS_PER_HOUR)
    }

    /// RFC 3339 in UTC, as the CLI and API print instants.
    pub fn to_rfc3339(self) -> String {
        match chrono::DateTime::from_timestamp_millis(self.0) {
            Some(at) => at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            None => format!("@{}ms", self.0),
        }
    }

    /// Parses an RFC 3339 timestamp; the offset is required.
    pub fn parse_rfc3339(text: &str) -> Result<Self, chrono::ParseError> {
        chrono::DateTime::parse_from_rfc3339(text).map(|at| Self::from_datetime(&at))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn hash_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_arithmetic_is_exact() {
        let a: Money = "2.00".parse().unwrap();
        let b: Money = "1.99".parse().unwrap();
        assert_eq!((a - b).to_string(), "0.01");
        assert_eq!(a - b, "0.01".parse().unwrap());
    }

    #[test]
    fn decimals_keep_their_digits_in_json() {
        let price: Money = "1.490".parse().unwrap();
        assert_eq!(serde_json::to_string(&price).unwrap(), "1.490");
        let scientific: Qty = "1.5e2".parse().unwrap();
        assert_eq!(scientific, Qty::from_units(150));
    }

    #[test]
    fn decimals_round_trip_through_binary_encoding() {
        let qty: Qty = "-12.375".parse().unwrap();
        let bytes = postcard::to_stdvec(&qty).unwrap();
        assert_eq!(postcard::from_bytes::<Qty>(&bytes).unwrap(), qty);
    }

    #[test]
    fn codes_are_validated() {
        assert_eq!(Sku::parse(""), Err(CodeError::Empty));
        assert_eq!(Sku::parse("a".repeat(201)), Err(CodeError::TooLong));
        assert_eq!(Sku::parse("a\nb"), Err(CodeError::ControlCharacter));
        assert_eq!(Sku::parse("1001").unwrap().as_str(), "1001");
    }
}
