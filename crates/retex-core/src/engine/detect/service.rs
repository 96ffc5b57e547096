//! `customer_complaint`: a customer's message that the configured model classifies as a complaint, explained
//! by what the message is about when the model reads intents.

use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money};
use crate::engine::detect::{Cause, Detection};
use crate::engine::documents::OrderDoc;
use crate::engine::incidents::Touch;
use crate::engine::insight::{Insight, MessageIntent};
use crate::event::CustomerMessage;
use crate::rules::ExceptionType;

/// A complaint, placed at the location its order was allocated to (when it names a known order).
pub fn customer_complaint(
    model: &dyn Insight,
    orders: &FxHashMap<DocumentNumber, OrderDoc>,
    message: &CustomerMessage,
    intent: Option<&MessageIntent>,
    cause: Cause,
) -> Option<Detection> {
    if !model.is_complaint(&message.text) {
        return None;
    }
    let location = message
        .order
        .as_ref()
        .and_then(|order| orders.get(order))
        .and_then(|doc| doc.allocated_to);
    let mut detection = Detection::on_document(
        ExceptionType::CustomerComplaint,
        location,
        &message.message,
        &[],
        cause.at,
        Money::ZERO,
        cause.seq,
    );
    detection.explanation = intent.map(|intent| format!("a complaint; {}", intent_in_words(intent)));
    detection.model_version = Some(model.version().to_owned());
    if let Some(order) = &message.order {
        detection.touches.push(Touch::Document(order.clone()));
    }
    Some(detection)
}

/// Below this confidence an intent is named as a guess, not as what the message is about.
const INTENT_CONFIDENCE_TRUSTED: f64 = 0.5;

/// "about get_refund (confidence 0.93), from "refund", "my money"", or, when the model is unsure, "intent
/// unclear (likeliest track_order, confidence 0.25)".
pub fn intent_in_words(intent: &MessageIntent) -> String {
    if intent.confidence < INTENT_CONFIDENCE_TRUSTED {
        return format!(
            "intent unclear (likeliest {}, confidence {:.2})",
            intent.intent, intent.confidence
        );
    }
    let mut words = format!("about {} (confidence {:.2})", intent.intent, intent.confidence);
    if !intent.because_of.is_empty() {
        let quoted: Vec<String> = intent.because_of.iter().map(|term| format!("\"{term}\"")).collect();
        words.push_str(", from ");
        words.push_str(&quoted.join(", "));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_reads_as_words() {
        let intent = MessageIntent {
            intent: "get_refund".to_owned(),
            confidence: 0.934,
            because_of: vec!["refund".to_owned(), "my money".to_owned()],
        };
        assert_eq!(
            intent_in_words(&intent),
            "about get_refund (confidence 0.93), from \"refund\", \"my money\""
        );
        let bare = MessageIntent {
            because_of: Vec::new(),
            ..intent
        };
        assert_eq!(intent_in_words(&bare), "about get_refund (confidence 0.93)");
        let unsure = MessageIntent {
            confidence: 0.26,
            ..bare
        };
        assert_eq!(
            intent_in_words(&unsure),
            "intent unclear (likeliest get_refund, confidence 0.26)"
        );
    }
}
