//! `customer_complaint`: a customer's message that the configured model classifies as a complaint, explained
//! by how sure the model is and what kind of complaint it reads.

use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money};
use crate::engine::detect::{Cause, Detection};
use crate::engine::documents::OrderDoc;
use crate::engine::facts::Facts;
use crate::engine::incidents::Touch;
use crate::engine::insight::{ComplaintReading, Insight, MessageIntent};
use crate::event::CustomerMessage;
use crate::rules::ExceptionType;

/// A complaint, placed at the location its order was allocated to (when it names a known order).
pub fn customer_complaint(
    model: &dyn Insight,
    orders: &FxHashMap<DocumentNumber, OrderDoc>,
    message: &CustomerMessage,
    cause: Cause,
) -> Option<Detection> {
    let reading = model.complaint(&message.text)?;
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
    )
    .with_facts(Facts::CustomerMessage {
        channel: message.channel,
        order: message.order.clone(),
        text: message.text.clone(),
    });
    detection.explanation = Some(complaint_in_words(&reading));
    detection.model_version = Some(model.version().to_owned());
    if let Some(order) = &message.order {
        detection.touches.push(Touch::Document(order.clone()));
    }
    Some(detection)
}

/// "a complaint (probability 0.97) about get_refund, from "refund", "my money"".
fn complaint_in_words(reading: &ComplaintReading) -> String {
    let mut words = format!("a complaint (probability {:.2})", reading.probability);
    if let Some(kind) = &reading.kind {
        words.push_str(" about ");
        words.push_str(kind);
    }
    push_quoted_terms(&mut words, &reading.because_of);
    words
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
    push_quoted_terms(&mut words, &intent.because_of);
    words
}

/// Appends `, from "first", "second"` when there are terms.
fn push_quoted_terms(words: &mut String, terms: &[String]) {
    if !terms.is_empty() {
        let quoted: Vec<String> = terms.iter().map(|term| format!("\"{term}\"")).collect();
        words.push_str(", from ");
        words.push_str(&quoted.join(", "));
    }
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

    #[test]
    fn a_complaint_reads_as_words_with_its_kind_when_the_model_reads_one() {
        let general = ComplaintReading {
            probability: 0.968,
            kind: None,
            because_of: vec!["broken".to_owned(), "arrived".to_owned()],
        };
        assert_eq!(
            complaint_in_words(&general),
            "a complaint (probability 0.97), from \"broken\", \"arrived\""
        );
        let refund = ComplaintReading {
            kind: Some("track_refund".to_owned()),
            because_of: Vec::new(),
            ..general
        };
        assert_eq!(
            complaint_in_words(&refund),
            "a complaint (probability 0.97) about track_refund"
        );
    }
}
