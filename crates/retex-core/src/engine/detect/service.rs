//! `customer_complaint`: a customer's message that the configured model classifies as a complaint.

use rustc_hash::FxHashMap;

use crate::codes::{DocumentNumber, Money};
use crate::engine::detect::{Cause, Detection};
use crate::engine::documents::OrderDoc;
use crate::engine::incidents::Touch;
use crate::engine::insight::Insight;
use crate::event::CustomerMessage;
use crate::rules::ExceptionType;

/// A complaint, placed at the location its order was allocated to (when it names a known order).
pub fn customer_complaint(
    model: &dyn Insight,
    orders: &FxHashMap<DocumentNumber, OrderDoc>,
    message: &CustomerMessage,
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
    if let Some(order) = &message.order {
        detection.touches.push(Touch::Document(order.clone()));
    }
    Some(detection)
}
