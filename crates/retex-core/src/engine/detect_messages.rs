//! Customer messages: a complaint opens `customer_complaint`, explained by what it is about; any other message
//! about an order that already has open exceptions goes on their timelines, so the person working the order's
//! incident sees that the customer has written and why.

use std::sync::Arc;

use crate::engine::composition::{Engine, Output};
use crate::engine::detect::Cause;
use crate::engine::detect::service::{self, intent_in_words};
use crate::engine::exceptions::ENGINE_ACTOR;
use crate::engine::incidents::Touch;
use crate::engine::insight::MessageIntent;
use crate::event::{CustomerMessage, MessageChannel};

/// The timeline action for a customer message noted on an exception.
const MESSAGE_ACTION: &str = "customer_message";

impl Engine {
    pub(super) fn apply_customer_message(&mut self, message: &CustomerMessage, cause: Cause) {
        let Some(model) = self.config.insight.as_ref().map(Arc::clone) else {
            return;
        };
        let detection = service::customer_complaint(&*model, &self.state.picture.orders, message, cause);
        if detection.is_some() {
            self.apply_detection(detection);
        } else {
            let intent = model.message_intent(&message.text);
            self.note_message_on_order(message, intent.as_ref(), cause);
        }
    }

    /// Notes the message on every active exception seen at its order within the correlation window.
    fn note_message_on_order(&mut self, message: &CustomerMessage, intent: Option<&MessageIntent>, cause: Cause) {
        let Some(order) = &message.order else {
            return;
        };
        let book = &mut self.state.book;
        let related: Vec<u64> = book.incidents.sighted_at(&Touch::Document(order.clone())).collect();
        let channel = message.channel.map_or("channel not given", MessageChannel::as_str);
        let about = intent
            .map(|intent| format!(", {}", intent_in_words(intent)))
            .unwrap_or_default();
        let detail = format!("{} ({channel}{about}): \"{}\"", message.message, message.text);
        for id in related {
            let record = book.exceptions.get_mut(id);
            if record.status.is_active() {
                record.note(cause.at, ENGINE_ACTOR, MESSAGE_ACTION, detail.clone(), cause.seq);
                self.outbox.push(Output::ExceptionChanged(id));
            }
        }
    }
}
