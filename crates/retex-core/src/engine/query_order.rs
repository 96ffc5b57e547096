//! The orders a page of exceptions can follow, and the cursor that marks a place in one.
//!
//! Every order compares a sort key: a number (a time, an amount, a rank), up to three texts (a type's name; a
//! place's location, SKU and document; an assignee), a tie-breaker, and last the exception's id, so no two rows
//! tie and every page is deterministic. A reversed order compares the same keys the other way round. A cursor is
//! the key of a row, texts included, so it keeps its place when names appear or change between two pages.

use std::cmp::Ordering;
use std::fmt::Write;

use crate::codes::DocumentNumber;
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, ExceptionSummary};

crate::wire_names! {
    /// What a page is sorted by, each in the direction people want first.
    #[derive(Default)]
    pub enum ExceptionOrder {
        /// The highest number first: the last opened.
        #[default]
        Newest = "newest",
        /// The lowest number first.
        Oldest = "oldest",
        /// The next due time first (acknowledge while unacknowledged, then resolve), larger impact first among
        /// equals: what a queue works through.
        SlaRisk = "sla_risk",
        /// Largest impact first.
        Impact = "impact",
        /// The earliest opening time first: the oldest by age.
        Opened = "opened",
        /// By type name.
        Type = "type",
        /// By location code, then SKU code, then document.
        Place = "place",
        /// Most severe first.
        Severity = "severity",
        /// In workflow order: open, in progress, waiting for the supplier, for the customer, resolved, dismissed.
        Status = "status",
        /// By the assignee's name, unassigned first.
        Assignee = "assignee",
    }
}

/// An order and its direction, as a query string writes it: `type`, or `-type` for the reverse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub order: ExceptionOrder,
    pub reversed: bool,
}

impl Sort {
    pub const fn new(order: ExceptionOrder) -> Self {
        Self { order, reversed: false }
    }

    pub fn from_name(text: &str) -> Option<Self> {
        let (reversed, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text),
        };
        ExceptionOrder::from_name(name).map(|order| Self { order, reversed })
    }

    pub fn name(self) -> String {
        let prefix = if self.reversed { "-" } else { "" };
        format!("{prefix}{}", self.order.name())
    }

    /// Every name a sort may be given: each order, then each reversed.
    pub fn names() -> impl Iterator<Item = String> {
        let forward = ExceptionOrder::NAMES.into_iter().map(str::to_owned);
        forward.chain(ExceptionOrder::NAMES.into_iter().map(|name| format!("-{name}")))
    }

    /// The same order the other way round.
    pub fn toggled(self) -> Self {
        Self {
            order: self.order,
            reversed: !self.reversed,
        }
    }
}

/// A sort reads as one of its names (`sla_risk`, `-type`, ...).
impl<'de> serde::Deserialize<'de> for Sort {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{name:?} is not one of {} (a leading - reverses the order)",
                ExceptionOrder::NAMES.join(", ")
            ))
        })
    }
}

/// A row's place in an order, borrowing its texts from the engine (or a cursor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SortKey<'a> {
    number: i64,
    texts: [Option<&'a str>; 3],
    tie: i64,
    id: u64,
}

/// A sort key compared in a direction: what a page keeps the first rows of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Directed<'a> {
    pub key: SortKey<'a>,
    pub reversed: bool,
}

impl Ord for Directed<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let forward = self.key.cmp(&other.key);
        if self.reversed { forward.reverse() } else { forward }
    }
}

impl PartialOrd for Directed<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Longest text a cursor carries, in bytes: more than any code takes (200 characters). A longer name (only an
/// assignee's could be) is cut, and the page after a cut may repeat rows whose names share what was kept.
pub const CURSOR_TEXT_BYTES_MAX: usize = 1024;

/// A place in an order: the sort key of a row. Its text form is opaque to clients, and what the API's schema
/// says of it (`CURSOR_PATTERN`) is exactly what [`Cursor::decode`] takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    number: i64,
    texts: [Option<Box<str>>; 3],
    tie: i64,
    id: u64,
}

/// The text form of a cursor, as a regular expression: three numbers, then up to three texts, each absent
/// (empty) or `x` and its UTF-8 bytes in hex.
pub const CURSOR_PATTERN: &str = r"^-?[0-9]{1,19}_-?[0-9]{1,19}_[0-9]{1,19}(_(x([0-9a-f]{2}){0,1024})?){0,3}$";

impl Cursor {
    /// The cursor's text form: `number_tie_id`, then `_x` and each text in hex, up to the last text present.
    pub fn encode(&self) -> String {
        let mut text = format!("{}_{}_{}", self.number, self.tie, self.id);
        let present = self.texts.iter().rposition(Option::is_some).map_or(0, |last| last + 1);
        for slot in &self.texts[..present] {
            text.push('_');
            if let Some(slot) = slot {
                text.push('x');
                for byte in slot.bytes().take(CURSOR_TEXT_BYTES_MAX) {
                    let _ = write!(text, "{byte:02x}");
                }
            }
        }
        text
    }

    /// The cursor of a text form that matches [`CURSOR_PATTERN`]; `None` for any other text.
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('_');
        let number = decode_number(parts.next()?)?;
        let tie = decode_number(parts.next()?)?;
        let id = parts.next().filter(|digits| is_digits(digits, 19))?.parse().ok()?;
        let mut texts: [Option<Box<str>>; 3] = Default::default();
        for slot in &mut texts {
            match parts.next() {
                None => break,
                Some("") => {}
                Some(part) => *slot = Some(decode_text(part.strip_prefix('x')?)?),
            }
        }
        parts.next().is_none().then_some(Self { number, texts, tie, id })
    }

    pub(super) fn key(&self) -> SortKey<'_> {
        SortKey {
            number: self.number,
            texts: self.texts.each_ref().map(Option::as_deref),
            tie: self.tie,
            id: self.id,
        }
    }
}

impl SortKey<'_> {
    pub(super) fn to_cursor(self) -> Cursor {
        Cursor {
            number: self.number,
            texts: self.texts.map(|text| text.map(Box::from)),
            tie: self.tie,
            id: self.id,
        }
    }
}

fn is_digits(text: &str, digits_max: usize) -> bool {
    (1..=digits_max).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// `-?[0-9]{1,19}`, held to the range of `i64`.
fn decode_number(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !is_digits(digits, 19) {
        return None;
    }
    let wide: i128 = text.parse().ok()?;
    Some(wide.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Lowercase hex of at most [`CURSOR_TEXT_BYTES_MAX`] bytes, read as UTF-8 (anything else, which no cursor holds,
/// still reads as a place in the order).
fn decode_text(hex: &str) -> Option<Box<str>> {
    let valid = hex.len().is_multiple_of(2)
        && hex.len() <= 2 * CURSOR_TEXT_BYTES_MAX
        && hex.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("checked hex"))
        .collect();
    Some(String::from_utf8_lossy(&bytes).into())
}

impl Engine {
    /// Where the exception `id` stands in `order`; its record is read only by the orders on texts.
    pub(super) fn sort_key<'a>(
        &'a self,
        order: ExceptionOrder,
        id: u64,
        summary: &ExceptionSummary,
        record: &'a ExceptionRecord,
    ) -> SortKey<'a> {
        let numbered = |number: i64| SortKey {
            number,
            texts: [None; 3],
            tie: 0,
            id,
        };
        let texts = |texts: [Option<&'a str>; 3]| SortKey {
            number: 0,
            texts,
            tie: 0,
            id,
        };
        match order {
            ExceptionOrder::Newest => numbered(-i64::try_from(id).unwrap_or(i64::MAX)),
            ExceptionOrder::Oldest => numbered(i64::try_from(id).unwrap_or(i64::MAX)),
            ExceptionOrder::SlaRisk => SortKey {
                tie: summary.impact_cents.saturating_neg(),
                ..numbered(summary.next_due.0)
            },
            ExceptionOrder::Impact => numbered(summary.impact_cents.saturating_neg()),
            ExceptionOrder::Opened => numbered(summary.opened_at.0),
            ExceptionOrder::Severity => numbered(-(summary.severity as i64)),
            ExceptionOrder::Status => numbered(summary.status as i64),
            ExceptionOrder::Type => texts([Some(self.type_name(summary.exception_type)), None, None]),
            ExceptionOrder::Place => texts([
                record.location.map(|location| self.location_code(location)),
                record.sku.map(|sku| self.sku_code(sku)),
                record.reference.as_ref().map(DocumentNumber::as_str),
            ]),
            ExceptionOrder::Assignee => texts([record.assignee.as_deref(), None, None]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(number: i64, texts: [Option<&str>; 3], tie: i64, id: u64) -> Cursor {
        SortKey { number, texts, tie, id }.to_cursor()
    }

    #[test]
    fn a_cursor_reads_back_as_written() {
        for written in [
            cursor(-5, [None; 3], 0, 7),
            cursor(i64::MIN, [None; 3], i64::MAX, u64::from(u32::MAX)),
            cursor(0, [Some("S1"), Some("K_1"), None], 0, 3),
            cursor(0, [None, None, Some("PO-7 ünïcode")], -2, 9),
            cursor(0, [Some(""), None, None], 0, 1),
        ] {
            let text = written.encode();
            assert!(regex_lite_match(&text), "{text} fits the documented pattern");
            assert_eq!(Cursor::decode(&text), Some(written), "{text}");
        }
    }

    #[test]
    fn only_the_documented_form_decodes() {
        assert!(Cursor::decode("1_2_3").is_some());
        assert!(Cursor::decode("1_2_3_").is_some(), "an absent text");
        assert_eq!(
            Cursor::decode("99999999999999999999_0_1"),
            None,
            "twenty digits are more than the pattern allows"
        );
        assert_eq!(
            Cursor::decode("9999999999999999999_0_1").map(|cursor| cursor.number),
            Some(i64::MAX),
            "nineteen digits fit the pattern, so they read, held to the range"
        );
        for refused in [
            "",
            "1_2",
            "+1_2_3",
            "1_2_-3",
            "1_2_3_x4",
            "1_2_3_x4G",
            "1_2_3_xAB",
            "1_2_3_4_5_6_7",
            "1_2_3_y",
        ] {
            assert_eq!(Cursor::decode(refused), None, "{refused:?}");
        }
        let long = format!("1_2_3_x{}", "61".repeat(CURSOR_TEXT_BYTES_MAX + 1));
        assert_eq!(Cursor::decode(&long), None);
    }

    #[test]
    fn sorts_read_with_and_without_a_minus() {
        let reversed = Sort::from_name("-type").unwrap();
        assert_eq!((reversed.order, reversed.reversed), (ExceptionOrder::Type, true));
        assert_eq!(reversed.name(), "-type");
        assert_eq!(reversed.toggled(), Sort::new(ExceptionOrder::Type));
        assert_eq!(Sort::from_name("--type"), None);
        assert_eq!(Sort::names().count(), 2 * ExceptionOrder::NAMES.len());
    }

    /// [`CURSOR_PATTERN`] checked by hand, part by part, so the test needs no regex engine.
    fn regex_lite_match(text: &str) -> bool {
        let parts: Vec<&str> = text.split('_').collect();
        let number = |part: &str| is_digits(part.strip_prefix('-').unwrap_or(part), 19);
        let hex = |part: &str| {
            part.is_empty()
                || part.strip_prefix('x').is_some_and(|hex| {
                    hex.len().is_multiple_of(2) && hex.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
                })
        };
        (3..=6).contains(&parts.len())
            && number(parts[0])
            && number(parts[1])
            && is_digits(parts[2], 19)
            && parts[3..].iter().all(|part| hex(part))
    }
}
