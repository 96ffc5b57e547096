//! The complaint classifier's training data: parsing the Bitext customer-service CSV, which Bitext intents count
//! as complaints, and the recipe for the embedded model's training set.
//!
//! Compiled into both `build.rs` and the library (like `tokenise.rs`), so the build, the tests and any tool
//! that cross-validates label messages the same way. Parsing takes the CSV as text: reading files is the
//! caller's business.
//!
//! Data: Bitext customer support samples (2019), CDLA-Sharing-1.0; columns `flags,utterance,category,intent`,
//! quoted, with a byte-order mark. See `data/bitext/README.md`.
//!
//! # Which intents are complaints
//! `exceptions.md` raises `customer_complaint` for "a complaint (refund, not delivered, damaged, wrong item,
//! price)". Reading the examples of each of Bitext's 27 intents, four carry that meaning:
//! - `complaint`: "I'm discontent with the service and I want to make a consumer complaint";
//! - `get_refund`: "I need a refund, what can I do to obtain one?", "the event was postponed, help me get a
//!   reimbursement": a customer asking for money back;
//! - `track_refund`: "I want to know if my reimbursement was processed": chasing a refund already owed;
//! - `payment_issue`: "I got an error when I tried to pay, but I was charged anyway": a charge that is wrong,
//!   the *price* kind.
//!
//! Left out, because their examples ask for information or a change of mind rather than report a failure:
//! `check_refund_policy` ("can you tell me about your money back policy?"), `track_order` and
//! `delivery_period` ("I want to know where my order is", "how soon can I expect my ticket"), `cancel_order`,
//! `change_order`, `review` (mostly praise: "I'm happy with the service"), and the account, invoice, newsletter,
//! contact and shipping-address intents.
//!
//! # The supplement
//! Bitext has no message about damaged goods, wrong items, parcels that never arrived or prices that differ
//! from the shelf (no "damaged", "broken", "wrong", "price", "never" or "arrived" in 21,534 utterances), and
//! it uses "money back" only in questions about the refund policy. A model trained on Bitext alone therefore
//! scores "the item was damaged" at 0.06, and a real-sounding complaint such as "I ordered a lamp two weeks ago
//! and it still has not arrived, can you tell me what is going on" near 0, because Bitext's phrasing ("can you
//! tell me") belongs to its questions. `data/complaint_supplement.csv` (in this crate, same columns) holds 144
//! hand-written retail complaints of those kinds, short and long, and 63 neutral retail questions that use the
//! same words ("what is the price of the large table", "can you tell me when my order is likely to be
//! delivered"), so the new words do not become complaint words by themselves. It is small beside Bitext, so the
//! embedded model counts each supplement row [`SUPPLEMENT_WEIGHT`] times. Cross-validation figures are measured
//! on Bitext alone.

use thiserror::Error;

/// The Bitext intents labelled as complaints (see the module doc for why these four).
pub const COMPLAINT_INTENTS: [&str; 4] = ["complaint", "get_refund", "track_refund", "payment_issue"];

/// How many times the embedded model counts each supplement row. Chosen by hand on 20 realistic messages that
/// are not in the supplement (`tests/it/complaint.rs`): at 1 most of their complaints score near 0; at 4 "how do
/// I track the parcel I ordered yesterday" reaches 0.5; 3 is the largest weight that keeps such questions low.
pub const SUPPLEMENT_WEIGHT: usize = 3;

const BYTE_ORDER_MARK: char = '\u{feff}';
const UTTERANCE_COLUMN: &str = "utterance";
const INTENT_COLUMN: &str = "intent";

/// Why a training CSV could not be read.
#[derive(Debug, Error)]
pub enum BitextError {
    #[error("the header has no `{column}` column")]
    MissingColumn { column: &'static str },
    #[error("malformed csv: {reason}")]
    Malformed { reason: String },
}

/// Whether a Bitext intent counts as a complaint.
pub fn is_complaint_intent(intent: &str) -> bool {
    COMPLAINT_INTENTS.contains(&intent)
}

/// Parses a CSV in Bitext's layout into `(utterance, is_complaint)` rows, in file order.
pub fn parse_bitext_csv(csv_text: &str) -> Result<Vec<(String, bool)>, BitextError> {
    let csv_text = csv_text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(csv_text);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().map_err(malformed)?;
    let utterance_index = column_index(headers, UTTERANCE_COLUMN)?;
    let intent_index = column_index(headers, INTENT_COLUMN)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(malformed)?;
        let utterance = field(&record, utterance_index)?;
        let intent = field(&record, intent_index)?;
        rows.push((utterance.to_owned(), is_complaint_intent(intent)));
    }
    Ok(rows)
}

/// The embedded model's training set: every Bitext row, then every supplement row [`SUPPLEMENT_WEIGHT`] times.
pub fn embedded_model_training_rows(
    bitext_csv: &str,
    supplement_csv: &str,
) -> Result<Vec<(String, bool)>, BitextError> {
    let mut rows = parse_bitext_csv(bitext_csv)?;
    let supplement = parse_bitext_csv(supplement_csv)?;
    for _ in 0..SUPPLEMENT_WEIGHT {
        rows.extend(supplement.iter().cloned());
    }
    Ok(rows)
}

fn column_index(headers: &csv::StringRecord, column: &'static str) -> Result<usize, BitextError> {
    match headers.iter().position(|header| header == column) {
        Some(index) => Ok(index),
        None => Err(BitextError::MissingColumn { column }),
    }
}

fn field(record: &csv::StringRecord, index: usize) -> Result<&str, BitextError> {
    match record.get(index) {
        Some(value) => Ok(value),
        None => Err(BitextError::Malformed {
            reason: format!("a record has no field {index}"),
        }),
    }
}

fn malformed(error: csv::Error) -> BitextError {
    BitextError::Malformed {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_with_commas_and_a_byte_order_mark_are_parsed() {
        let text = "\u{feff}flags,utterance,category,intent\n\
                    BL,\"I was charged twice, please help\",PAYMENT,payment_issue\n\
                    B,\"how do I \"\"open\"\" an account\",ACCOUNT,create_account\n";
        let rows = parse_bitext_csv(text).unwrap();
        assert_eq!(
            rows,
            [
                ("I was charged twice, please help".to_owned(), true),
                ("how do I \"open\" an account".to_owned(), false)
            ]
        );
    }

    #[test]
    fn a_missing_intent_column_is_named() {
        let error = parse_bitext_csv("flags,utterance,category\nB,hello,ACCOUNT\n").unwrap_err();
        assert_eq!(error.to_string(), "the header has no `intent` column");
    }

    #[test]
    fn a_short_record_is_malformed() {
        let error = parse_bitext_csv("flags,utterance,category,intent\nB,hello\n").unwrap_err();
        assert!(matches!(error, BitextError::Malformed { .. }), "{error}");
    }
}
