//! The complaint classifier's training data: parsing the Bitext customer-service CSV, which Bitext intents count
//! as complaints, and the recipe for the embedded model's training set.
//!
//! Compiled into both `build.rs` and the library (like `tokenise.rs`), so the build, the tests and any tool
//! that cross-validates label messages the same way. Parsing takes the CSV as text: reading files is the
//! caller's business.
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

use crate::bitext::{BitextError, parse_bitext_intents};

/// The Bitext intents labelled as complaints (see the module doc for why these four).
pub const COMPLAINT_INTENTS: [&str; 4] = ["complaint", "get_refund", "track_refund", "payment_issue"];

/// How many times the embedded model counts each supplement row. Chosen by hand on 20 realistic messages that
/// are not in the supplement (`tests/it/complaint.rs`): at 1 most of their complaints score near 0; at 4 "how do
/// I track the parcel I ordered yesterday" reaches 0.5; 3 is the largest weight that keeps such questions low.
pub const SUPPLEMENT_WEIGHT: usize = 3;

/// Whether a Bitext intent counts as a complaint.
pub fn is_complaint_intent(intent: &str) -> bool {
    COMPLAINT_INTENTS.contains(&intent)
}

/// Parses a CSV in Bitext's layout into `(utterance, is_complaint)` rows, in file order.
pub fn parse_bitext_csv(csv_text: &str) -> Result<Vec<(String, bool)>, BitextError> {
    let rows = parse_bitext_intents(csv_text)?;
    Ok(rows
        .into_iter()
        .map(|(utterance, intent)| {
            let is_complaint = is_complaint_intent(&intent);
            (utterance, is_complaint)
        })
        .collect())
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
}
