//! Customer messages: questions and complaints written from the simulator's own templates.
//!
//! The phrasings are inspired by the kinds of request in the Bitext customer-support corpus (order changes,
//! invoices, payment, refunds, delivery problems) but are not read from it. Complaints follow from what happened
//! to the customer (a late or cancelled order, a missing refund, a damaged or wrong item); every complaint is a
//! truth entry (`customer_complaint`, statistical, as a classifier decides it): part of the fault that caused it
//! when there is one (the late order's, the missing refund's), its own otherwise. Questions raise nothing.

use rand::Rng;
use rand::rngs::SmallRng;
use retex_core::codes::DocumentNumber;
use retex_core::event::{CustomerMessage, EventBody, MessageChannel};

use crate::emit::Source;
use crate::truth::{Detection, ExceptionType, FaultId, FaultKey, FaultKind};
use crate::world::{World, next_number};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Complaint {
    NotDelivered,
    Cancelled,
    Damaged,
    WrongItem,
    RefundMissing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inquiry {
    ChangeAddress,
    Invoice,
    Payment,
    Account,
}

impl Inquiry {
    pub(crate) fn pick(rng: &mut SmallRng) -> Self {
        const ALL: [Inquiry; 4] = [
            Inquiry::ChangeAddress,
            Inquiry::Invoice,
            Inquiry::Payment,
            Inquiry::Account,
        ];
        ALL[rng.random_range(0..ALL.len())]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Topic {
    Complaint(Complaint),
    Inquiry(Inquiry),
}

pub(crate) struct Message {
    topic: Topic,
    order: Option<String>,
    /// The fault the customer writes about, if it is one.
    cause: Option<FaultId>,
}

impl Message {
    pub(crate) fn complaint(complaint: Complaint, order: Option<String>, cause: Option<FaultId>) -> Self {
        Self {
            topic: Topic::Complaint(complaint),
            order,
            cause,
        }
    }

    pub(crate) fn inquiry(inquiry: Inquiry, order: Option<String>) -> Self {
        Self {
            topic: Topic::Inquiry(inquiry),
            order,
            cause: None,
        }
    }
}

const NOT_DELIVERED: &[&str] = &[
    "My order {order} still hasn't arrived and it was supposed to be here by now.",
    "Where is my package? Order {order} was due and nothing has been delivered.",
    "I never received {order}. This is really not acceptable.",
    "The delivery for {order} is late and nobody tells me anything, very disappointed.",
    "Still waiting for {order}, the tracking hasn't moved at all.",
];
const CANCELLED: &[&str] = &[
    "You cancelled {order} without asking me, I needed those items.",
    "Why was {order} cancelled? The site said it was in stock.",
    "I'm upset that {order} got cancelled as out of stock after you confirmed it.",
];
const DAMAGED: &[&str] = &[
    "The item in {order} arrived broken.",
    "My package for {order} came damaged, the product is unusable.",
    "Received {order} today and the box was crushed, the item inside is damaged.",
];
const WRONG_ITEM: &[&str] = &[
    "I received the wrong item in {order}.",
    "This is not what I ordered, {order} contains a different product.",
    "You sent me the wrong size in {order}, I want the one I paid for.",
];
const REFUND_MISSING: &[&str] = &[
    "I returned my items from {order} over a week ago and still haven't got my refund.",
    "Where is my refund for {order}? You received the return days ago.",
    "Still no money back for the return on {order}, this is taking far too long.",
];
const CHANGE_ADDRESS: &[&str] = &[
    "Can I change the delivery address for {order}?",
    "I need to update the shipping address on {order}, how do I do that?",
];
const INVOICE: &[&str] = &[
    "Could you send me an invoice for {order}?",
    "I need a copy of the invoice for {order} for my company.",
];
const PAYMENT: &[&str] = &[
    "Which payment methods do you accept?",
    "Can I pay by bank transfer next time?",
];
const ACCOUNT: &[&str] = &[
    "How do I reset my password?",
    "How can I change the email address of my account?",
];
const GREETINGS: &[&str] = &["", "Hello, ", "Hi, ", "Good morning, ", "Dear customer service, "];
const CLOSINGS: &[&str] = &["", " Thanks.", " Please help.", " Regards.", " Thank you in advance."];
const CHANNELS: [MessageChannel; 4] = [
    MessageChannel::Email,
    MessageChannel::Chat,
    MessageChannel::Phone,
    MessageChannel::Social,
];

fn templates(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::Complaint(Complaint::NotDelivered) => NOT_DELIVERED,
        Topic::Complaint(Complaint::Cancelled) => CANCELLED,
        Topic::Complaint(Complaint::Damaged) => DAMAGED,
        Topic::Complaint(Complaint::WrongItem) => WRONG_ITEM,
        Topic::Complaint(Complaint::RefundMissing) => REFUND_MISSING,
        Topic::Inquiry(Inquiry::ChangeAddress) => CHANGE_ADDRESS,
        Topic::Inquiry(Inquiry::Invoice) => INVOICE,
        Topic::Inquiry(Inquiry::Payment) => PAYMENT,
        Topic::Inquiry(Inquiry::Account) => ACCOUNT,
    }
}

/// A message text: greeting, one template with the order filled in, closing.
fn compose(rng: &mut SmallRng, topic: Topic, order: Option<&str>) -> String {
    let options = templates(topic);
    let body = options[rng.random_range(0..options.len())].replace("{order}", order.unwrap_or("my order"));
    let greeting = GREETINGS[rng.random_range(0..GREETINGS.len())];
    let closing = CLOSINGS[rng.random_range(0..CLOSINGS.len())];
    let mut text = String::from(greeting);
    if greeting.is_empty() {
        text.push_str(&body);
    } else {
        let mut characters = body.chars();
        if let Some(first) = characters.next() {
            // "Hello, my order ..." but keep "I" capitalised.
            let keeps_capital = body.starts_with("I ") || body.starts_with("I'");
            let first = if keeps_capital {
                first
            } else {
                first.to_ascii_lowercase()
            };
            text.push(first);
            text.push_str(characters.as_str());
        }
    }
    text.push_str(closing);
    text
}

impl World<'_> {
    pub(crate) fn send_message(&mut self, message: Message) {
        let number = format!("M{:06}", next_number(&mut self.numbers.messages));
        let text = compose(&mut self.demand_rng, message.topic, message.order.as_deref());
        let channel = CHANNELS[self.demand_rng.random_range(0..CHANNELS.len())];
        let body = EventBody::CustomerMessage(CustomerMessage {
            message: DocumentNumber::parse(number.clone()).expect("message numbers are valid"),
            text,
            order: message
                .order
                .as_ref()
                .map(|order| DocumentNumber::parse(order.clone()).expect("order numbers are valid")),
            channel: Some(channel),
        });
        self.emitter.emit(self.now, 0, Source::Service, number.clone(), body);
        if let Topic::Complaint(complaint) = message.topic {
            let about = message.order.as_deref().unwrap_or("no order");
            let note = format!("a {complaint:?} complaint about {about}");
            let fault = match message.cause {
                Some(cause) => {
                    self.truth.append_note(cause, &format!("the customer wrote {note}"));
                    cause
                }
                None => self.truth.open(FaultKind::CustomerComplaint, note),
            };
            let key = FaultKey::document(&number);
            self.truth.expect(
                fault,
                ExceptionType::CustomerComplaint,
                key,
                self.now,
                Detection::AtEvent,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn texts_fill_in_the_order_and_read_naturally() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..50 {
            let text = compose(&mut rng, Topic::Complaint(Complaint::RefundMissing), Some("W0000042"));
            assert!(text.contains("W0000042"), "{text}");
            assert!(!text.contains("{order}"), "{text}");
            assert!(text.starts_with(char::is_uppercase), "{text}");
            assert!(!text.contains(", i "), "{text}");
        }
    }
}
