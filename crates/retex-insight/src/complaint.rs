//! The complaint classifier behind `customer_complaint`: the intent classifier's method ([`IntentModel`], a linear
//! SVM per intent) trained on Bitext and a retail supplement; a message is a complaint when the complaint intents
//! together get at least even odds.
//!
//! It is a model of its own, not the routing model: the supplement teaches damaged goods, wrong items, parcels
//! that never came, orders the shop cancelled and prices that differ from the shelf (all Bitext lacks), but it
//! also moves Bitext's own messages towards `complaint`, which costs the routing model a point of accuracy across
//! Bitext's two files (measured with the supplement's first 213 rows: 0.8226 to 0.8135). Trained by `build.rs`
//! on both Bitext files and `data/retail_supplement.csv` (hand-written retail complaints, and neutral retail
//! questions that use the same words, "what is the price of the large table", under the intent they ask about,
//! so the new words do not become complaint words by themselves).
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

use std::sync::OnceLock;

use crate::intent::IntentModel;
use crate::intent::training::TrainingParameters;

/// The embedded model's bytes, written by `build.rs`.
static EMBEDDED_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/complaint_model.bin"));

static EMBEDDED_MODEL: OnceLock<ComplaintModel> = OnceLock::new();

/// The Bitext intents that are complaints (see the module doc for why these four).
pub const COMPLAINT_INTENTS: [&str; 4] = ["complaint", "get_refund", "track_refund", "payment_issue"];

/// A message whose complaint probability reaches this is a complaint. Even odds: a missed complaint and a
/// needless exception cost about the same (one look by customer service).
pub const COMPLAINT_PROBABILITY_THRESHOLD: f64 = 0.5;

/// Whether an intent counts as a complaint.
fn is_complaint_intent(intent: &str) -> bool {
    COMPLAINT_INTENTS.contains(&intent)
}

/// How a message reads as a complaint.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintVerdict<'model> {
    /// That it is a complaint: the complaint intents' confidences added up.
    pub probability: f64,
    /// The likeliest complaint intent, and its confidence.
    pub intent: &'model str,
    pub confidence: f64,
}

/// A trained complaint classifier. Deterministic: the same text always gets the same probability.
#[derive(Debug)]
pub struct ComplaintModel {
    intents: IntentModel,
}

impl ComplaintModel {
    /// The model trained at build time, loaded at first use.
    pub fn embedded() -> &'static ComplaintModel {
        EMBEDDED_MODEL.get_or_init(|| ComplaintModel {
            intents: IntentModel::from_embedded_bytes(EMBEDDED_BYTES),
        })
    }

    /// Trains a model on `(message, intent)` rows with the same code that trained the embedded one.
    pub fn train(rows: &[(String, String)], parameters: &TrainingParameters) -> ComplaintModel {
        ComplaintModel {
            intents: IntentModel::train(rows, parameters),
        }
    }

    /// How `text` reads as a complaint.
    pub fn verdict(&self, text: &str) -> ComplaintVerdict<'_> {
        let mut verdict = ComplaintVerdict {
            probability: 0.0,
            intent: COMPLAINT_INTENTS[0],
            confidence: 0.0,
        };
        let intents = &self.intents;
        for (intent, confidence) in intents.intents().zip(intents.confidences(text)) {
            if is_complaint_intent(intent) {
                verdict.probability += confidence;
                // Intents are sorted by name: on a tie the earlier name stays.
                if confidence > verdict.confidence {
                    verdict.intent = intent;
                    verdict.confidence = confidence;
                }
            }
        }
        verdict
    }

    /// The probability that `text` is a complaint: the sum of the complaint intents' confidences, in `[0, 1]`.
    pub fn complaint_probability(&self, text: &str) -> f64 {
        self.verdict(text).probability
    }

    /// The `n` words and word pairs of `text` that pushed it most towards `intent`, strongest first (see
    /// [`IntentModel::explain`]).
    pub fn explain(&self, text: &str, intent: &str, n: usize) -> Vec<(String, f32)> {
        self.intents.explain(text, intent, n)
    }

    /// Whether `text` is a complaint: its probability reaches [`COMPLAINT_PROBABILITY_THRESHOLD`].
    pub fn is_complaint(&self, text: &str) -> bool {
        self.complaint_probability(text) >= COMPLAINT_PROBABILITY_THRESHOLD
    }
}
