//! Till receipts known from `sale` lines that carry an order number, for `return_policy`: when each was first
//! sold and its lines as the till sent them (SKU, quantity, unit price).
//!
//! Every till sale names its receipt, so this is the engine's largest table by count, touched by every sale,
//! and it is kept flat (`docs/benchmarks.md` says why and what it saved): the receipt numbers back to back in
//! one string, receipts and lines in two vectors, a hash table of receipt indices with 32 bits of their
//! numbers' hashes, and each receipt's lines a chain through the line vector. A line is 24 bytes, its quantity
//! and unit price exact in eight bytes each ([`Packed`]). What was paid is multiplied out only for a return that
//! asks. A snapshot holds each receipt as its number, first sale and lines, in order of first sale, whatever the
//! layout; loading one records them again. The tests hold it to a plain map of receipts.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use rust_decimal::Decimal;

use crate::codes::{Money, Qty, Timestamp};
use crate::engine::ledger::SkuId;

/// No previous line: the end of a receipt's chain.
const NO_LINE: u32 = u32::MAX;
/// Old receipts are forgotten once they are this share (its inverse) of the book: see
/// [`ReceiptBook::forget_sold_before`].
const FORGET_SHARE: usize = 4;

#[derive(Clone, Debug, Default)]
pub struct ReceiptBook {
    /// Every receipt number, back to back, in order of first sale.
    numbers: String,
    receipts: Vec<Receipt>,
    lines: Vec<ReceiptLine>,
    /// Quantities and amounts too wide for a [`Packed`], which lines point into.
    wide: Vec<Decimal>,
    /// Indices into `receipts` with 32 bits of their numbers' hashes, so that growing the table reads no numbers.
    index: HashTable<IndexEntry>,
    /// The receipt of the latest line: a till sends a receipt's lines one after another, so most lines find
    /// their receipt here without hashing.
    latest: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
struct IndexEntry {
    receipt: u32,
    hash: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Receipt {
    /// Where its number ends in `numbers`; it starts where the previous receipt's ends.
    number_end: u32,
    first_sold_at: Timestamp,
    /// Its newest line, the head of its chain.
    last_line: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct ReceiptLine {
    sku: SkuId,
    /// The receipt's line before this one, or [`NO_LINE`].
    previous: u32,
    qty: Packed,
    unit_price: Packed,
}

/// An exact decimal in eight bytes: its mantissa (up to 59 bits, signed) above its scale (five bits), or, for
/// a wider one, which no till sends, its index in the book's `wide` values above [`WIDE`].
#[derive(Clone, Copy, Debug, PartialEq)]
struct Packed(u64);

/// The scale bits of a [`Packed`] that points into the wide values (scales go up to 28).
const WIDE: u64 = 31;
const SCALE_BITS: u32 = 5;

/// A line is 24 bytes, as the module documentation says.
const _: () = assert!(size_of::<ReceiptLine>() == 24);

impl Packed {
    fn new(value: Decimal, wide: &mut Vec<Decimal>) -> Self {
        let packed = Self::pack(value, wide);
        debug_assert_eq!(packed.get(wide), value, "packs and unpacks");
        packed
    }

    fn pack(value: Decimal, wide: &mut Vec<Decimal>) -> Self {
        let narrow = i64::try_from(value.mantissa())
            .ok()
            .filter(|mantissa| mantissa.unsigned_abs() < 1 << (63 - SCALE_BITS));
        match narrow {
            Some(mantissa) => Self(((mantissa as u64) << SCALE_BITS) | u64::from(value.scale())),
            None => {
                wide.push(value);
                Self(((wide.len() as u64 - 1) << SCALE_BITS) | WIDE)
            }
        }
    }

    fn get(self, wide: &[Decimal]) -> Decimal {
        let scale = self.0 & WIDE;
        if scale == WIDE {
            return wide[(self.0 >> SCALE_BITS) as usize];
        }
        // The arithmetic shift brings the mantissa's sign back.
        Decimal::from_i128_with_scale(i128::from((self.0 as i64) >> SCALE_BITS), scale as u32)
    }
}

/// What a receipt says: when it was first sold and, per line, the SKU, the units sold and the money paid (a SKU
/// may have several lines).
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptSummary {
    pub first_sold_at: Timestamp,
    pub paid: Vec<(SkuId, Qty, Money)>,
}

/// A sold line: SKU, quantity, unit price.
type Line = (SkuId, Qty, Money);

impl ReceiptBook {
    /// Adds a sold line to the receipt `number`, opening the receipt if it is new.
    pub fn record(&mut self, number: &str, sku: SkuId, qty: Qty, unit_price: Money, at: Timestamp) {
        let receipt = match self.latest.filter(|&latest| self.number(latest) == number) {
            Some(latest) => latest,
            None => {
                let receipt = self.find_or_open(number, at);
                self.latest = Some(receipt);
                receipt
            }
        };
        self.add_line(receipt, (sku, qty, unit_price), at);
    }

    pub fn get(&self, number: &str) -> Option<ReceiptSummary> {
        let receipt = self.find(number)?;
        Some(ReceiptSummary {
            first_sold_at: self.receipts[receipt].first_sold_at,
            paid: (self.lines_of(receipt))
                .map(|(sku, qty, unit_price)| (sku, qty, qty * unit_price))
                .collect(),
        })
    }

    /// Forgets the receipts first sold before `cutoff` once they are at least `1 / FORGET_SHARE` of the book.
    /// Forgetting rebuilds the book, so doing it in bulk copies each receipt a few times in its life, where
    /// forgetting every day's oldest would copy it once a day while it is kept.
    pub fn forget_sold_before(&mut self, cutoff: Timestamp) {
        let old = (self.receipts.iter())
            .filter(|receipt| receipt.first_sold_at < cutoff)
            .count();
        if old == 0 || old * FORGET_SHARE < self.receipts.len() {
            return;
        }
        let mut kept = Self::default();
        for receipt in 0..self.receipts.len() {
            let first_sold_at = self.receipts[receipt].first_sold_at;
            if first_sold_at >= cutoff {
                kept.restore(self.number(receipt), first_sold_at, self.lines_of(receipt).collect());
            }
        }
        *self = kept;
    }

    /// Records a receipt as a snapshot holds it, lines newest first.
    fn restore(&mut self, number: &str, first_sold_at: Timestamp, lines: Vec<Line>) {
        // Oldest first, so that the chain comes out as it was.
        for (sku, qty, unit_price) in lines.into_iter().rev() {
            self.record(number, sku, qty, unit_price, first_sold_at);
        }
    }

    /// A receipt's lines, newest first.
    fn lines_of(&self, receipt: usize) -> impl Iterator<Item = Line> + '_ {
        let mut line = self.receipts[receipt].last_line;
        std::iter::from_fn(move || {
            let ReceiptLine {
                sku,
                previous,
                qty,
                unit_price,
            } = *self.lines.get(line as usize)?;
            line = previous;
            Some((sku, Qty(qty.get(&self.wide)), Money(unit_price.get(&self.wide))))
        })
    }

    fn find(&self, number: &str) -> Option<usize> {
        self.find_hashed(number, hash_of(number))
    }

    fn find_hashed(&self, number: &str, hash: u32) -> Option<usize> {
        self.index
            .find(table_hash(hash), |entry| {
                entry.hash == hash && self.number(entry.receipt as usize) == number
            })
            .map(|entry| entry.receipt as usize)
    }

    fn number(&self, receipt: usize) -> &str {
        number_in(&self.numbers, &self.receipts, receipt)
    }

    /// The index of the receipt `number`, opened empty if it is new: one probe of the index either way.
    fn find_or_open(&mut self, number: &str, at: Timestamp) -> usize {
        let hash = hash_of(number);
        let (numbers, receipts) = (&self.numbers, &self.receipts);
        let entry = self.index.entry(
            table_hash(hash),
            |entry| entry.hash == hash && number_in(numbers, receipts, entry.receipt as usize) == number,
            |entry| table_hash(entry.hash),
        );
        let receipt = match entry {
            Entry::Occupied(found) => return found.get().receipt as usize,
            Entry::Vacant(vacant) => vacant.insert(IndexEntry {
                receipt: to_u32(receipts.len()),
                hash,
            }),
        }
        .get()
        .receipt;
        self.numbers.push_str(number);
        self.receipts.push(Receipt {
            number_end: to_u32(self.numbers.len()),
            first_sold_at: at,
            last_line: NO_LINE,
        });
        receipt as usize
    }

    /// Chains a line to the receipt.
    fn add_line(&mut self, receipt: usize, (sku, qty, unit_price): Line, at: Timestamp) {
        let head = &mut self.receipts[receipt];
        head.first_sold_at = head.first_sold_at.min(at);
        let line = ReceiptLine {
            sku,
            previous: head.last_line,
            qty: Packed::new(qty.0, &mut self.wide),
            unit_price: Packed::new(unit_price.0, &mut self.wide),
        };
        head.last_line = to_u32(self.lines.len());
        self.lines.push(line);
    }
}

/// The number of `receipt`: from where the previous receipt's number ends to where its own ends.
fn number_in<'a>(numbers: &'a str, receipts: &[Receipt], receipt: usize) -> &'a str {
    let start = match receipt {
        0 => 0,
        _ => receipts[receipt - 1].number_end as usize,
    };
    &numbers[start..receipts[receipt].number_end as usize]
}

/// 32 bits of a number's hash: what the index keeps.
fn hash_of(number: &str) -> u32 {
    (FxBuildHasher.hash_one(number) >> 32) as u32
}

/// The index's hash of an entry, spread over 64 bits from the 32 it keeps (the table reads both ends).
fn table_hash(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A position in one of the book's vectors or its string.
fn to_u32(position: usize) -> u32 {
    u32::try_from(position).expect("fewer than 2^32 receipts, lines and bytes of receipt numbers")
}

/// One receipt as a snapshot holds it: number, first sale, lines newest first.
type SavedReceipt<'a> = (&'a str, Timestamp, Vec<Line>);

impl Serialize for ReceiptBook {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((0..self.receipts.len()).map(|receipt| -> SavedReceipt<'_> {
            (
                self.number(receipt),
                self.receipts[receipt].first_sold_at,
                self.lines_of(receipt).collect(),
            )
        }))
    }
}

impl<'de> Deserialize<'de> for ReceiptBook {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = Vec::<(String, Timestamp, Vec<Line>)>::deserialize(deserializer)?;
        let mut book = Self::default();
        for (number, first_sold_at, lines) in saved {
            book.restore(&number, first_sold_at, lines);
        }
        Ok(book)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// The plain book the flat one must behave as: each number's first sale and its lines, newest first.
    #[derive(Default)]
    struct ReferenceBook(BTreeMap<String, (Timestamp, Vec<Line>)>);

    impl ReferenceBook {
        fn record(&mut self, number: &str, line: Line, at: Timestamp) {
            let (first_sold_at, lines) = self.0.entry(number.to_owned()).or_insert((at, Vec::new()));
            *first_sold_at = (*first_sold_at).min(at);
            lines.insert(0, line);
        }

        fn get(&self, number: &str) -> Option<ReceiptSummary> {
            let (first_sold_at, lines) = self.0.get(number)?;
            let paid = lines.iter().map(|&(sku, qty, price)| (sku, qty, qty * price)).collect();
            Some(ReceiptSummary {
                first_sold_at: *first_sold_at,
                paid,
            })
        }

        /// Forgets in bulk, as the book does: only once the old receipts are a quarter of it.
        fn forget_sold_before(&mut self, cutoff: Timestamp) {
            let old = self.0.values().filter(|(first, _)| *first < cutoff).count();
            if old > 0 && old * FORGET_SHARE >= self.0.len() {
                self.0.retain(|_, (first, _)| *first >= cutoff);
            }
        }
    }

    /// Till values, and values too wide to pack (a mantissa of 2^60) whose products with them still fit.
    fn exact_decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            4 => (-10_000i64..10_000, 0u32..4).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
            1 => Just(Decimal::from_i128_with_scale(1 << 60, 14)),
            1 => Just(Decimal::new(1, 28)),
        ]
    }

    proptest! {
        /// Lines recorded and receipts forgotten in any order leave the flat book answering as the plain one,
        /// before and after a snapshot round trip.
        #[test]
        fn the_flat_book_answers_as_a_plain_map_would(
            steps in proptest::collection::vec(
                prop_oneof![
                    4 => (0u8..6, 0u32..3, exact_decimal(), exact_decimal(), 0i64..50)
                        .prop_map(|(number, sku, qty, price, at)| (Some((number, sku, qty, price)), at)),
                    1 => (0i64..60).prop_map(|cutoff| (None, cutoff)),
                ],
                0..60,
            ),
        ) {
            let (mut book, mut reference) = (ReceiptBook::default(), ReferenceBook::default());
            for (line, time) in steps {
                match line {
                    Some((number, sku, qty, price)) => {
                        let number = format!("R-{number}");
                        book.record(&number, sku, Qty(qty), Money(price), Timestamp(time));
                        reference.record(&number, (sku, Qty(qty), Money(price)), Timestamp(time));
                    }
                    None => {
                        book.forget_sold_before(Timestamp(time));
                        reference.forget_sold_before(Timestamp(time));
                    }
                }
            }
            let decoded: ReceiptBook = postcard::from_bytes(&postcard::to_stdvec(&book).unwrap()).unwrap();
            for number in (0..6).map(|number| format!("R-{number}")) {
                prop_assert_eq!(book.get(&number), reference.get(&number), "{}", number);
                prop_assert_eq!(decoded.get(&number), reference.get(&number), "{} decoded", number);
            }
        }
    }

    fn qty(units: i64) -> Qty {
        Qty(units.into())
    }

    fn money(text: &str) -> Money {
        Money(text.parse().unwrap())
    }

    #[test]
    fn lines_are_paid_at_their_unit_price_and_the_first_sale_is_kept() {
        let mut book = ReceiptBook::default();
        book.record("R-1", 7, qty(1), money("2.50"), Timestamp(2_000));
        book.record("R-2", 7, qty(3), money("2.50"), Timestamp(2_500));
        book.record("R-1", 9, qty(2), money("0.99"), Timestamp(1_000));
        book.record("R-1", 7, qty(1), money("2.40"), Timestamp(3_000));
        let receipt = book.get("R-1").unwrap();
        assert_eq!(receipt.first_sold_at, Timestamp(1_000));
        assert_eq!(
            receipt.paid,
            vec![
                (7, qty(1), money("2.40")),
                (9, qty(2), money("1.98")),
                (7, qty(1), money("2.50"))
            ],
            "newest first"
        );
        assert_eq!(book.get("R-2").unwrap().paid, vec![(7, qty(3), money("7.50"))]);
        assert_eq!(book.get("R-3"), None);
        // A number that is a prefix of another is a receipt of its own.
        assert_eq!(book.get("R-"), None);
    }

    #[test]
    fn quantities_and_amounts_keep_every_digit_narrow_or_wide() {
        let mut book = ReceiptBook::default();
        let values = [
            "0.375",
            "-2",
            "12.7838",
            "0",
            "-0.0000000000000000000000000001",
            "7922816251426433759354395033",
        ];
        for (line, value) in values.iter().enumerate() {
            book.record(
                "R-1",
                line as SkuId,
                Qty(value.parse().unwrap()),
                money(value),
                Timestamp(0),
            );
        }
        let receipt = book.find("R-1").unwrap();
        let mut lines: Vec<Line> = book.lines_of(receipt).collect();
        lines.reverse();
        for (line, value) in values.iter().enumerate() {
            let value: Decimal = value.parse().unwrap();
            assert_eq!(lines[line], (line as SkuId, Qty(value), Money(value)), "{value}");
        }
        assert!(!book.wide.is_empty(), "the widest value is kept aside");
    }

    #[test]
    fn a_decoded_book_finds_what_the_original_found() {
        let mut book = ReceiptBook::default();
        for receipt in 0..1_000 {
            book.record(
                &format!("S001-{receipt:07}"),
                receipt % 13,
                qty(1),
                money("1.00"),
                Timestamp(receipt.into()),
            );
        }
        let bytes = postcard::to_stdvec(&book).unwrap();
        let decoded: ReceiptBook = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(decoded.receipts.len(), 1_000);
        assert_eq!(postcard::to_stdvec(&decoded).unwrap(), bytes);
        for receipt in [0, 1, 499, 999] {
            let number = format!("S001-{receipt:07}");
            assert_eq!(decoded.get(&number), book.get(&number));
        }
    }

    #[test]
    fn forgetting_old_receipts_leaves_the_book_a_fresh_one_would_be() {
        let mut book = ReceiptBook::default();
        let mut recent = ReceiptBook::default();
        for receipt in 0..100_i64 {
            let number = format!("R-{receipt}");
            for book in [&mut book].into_iter().chain((receipt >= 60).then_some(&mut recent)) {
                book.record(&number, 1, qty(1), money("1.00"), Timestamp(receipt * 1_000));
                book.record(&number, 2, qty(2), money("3.00"), Timestamp(receipt * 1_000 + 10));
            }
        }
        book.forget_sold_before(Timestamp(60_000));
        assert_eq!(book.get("R-59"), None);
        assert_eq!(book.get("R-60"), recent.get("R-60"));
        assert_eq!(
            postcard::to_stdvec(&book).unwrap(),
            postcard::to_stdvec(&recent).unwrap()
        );
        assert_eq!(book.lines.len(), 80, "the lines of forgotten receipts are gone too");
    }

    #[test]
    fn old_receipts_are_forgotten_in_bulk() {
        let mut book = ReceiptBook::default();
        for receipt in 0..100_i64 {
            book.record(
                &format!("R-{receipt}"),
                1,
                qty(1),
                money("1.00"),
                Timestamp(receipt * 1_000),
            );
        }
        book.forget_sold_before(Timestamp(24_000));
        assert_eq!(book.receipts.len(), 100, "24 old receipts of 100 are kept for now");
        book.forget_sold_before(Timestamp(25_000));
        assert_eq!(book.receipts.len(), 75, "25 of 100 are a quarter: forgotten");
        assert_eq!(book.get("R-24"), None);
    }
}
