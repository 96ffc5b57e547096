//! What the engine asks of a customer-message classifier (`customer_complaint`).
//!
//! The model lives in `retex-insight`, which depends on this crate; the engine only sees this trait, so the
//! arrow points inward and the engine stays free of model code. Implementations must be deterministic: the same
//! text always gets the same answer, or replays would diverge.

/// Decides whether a customer message is a complaint (refund, not delivered, damaged, wrong item, price).
pub trait ComplaintClassifier: Send + Sync + std::fmt::Debug {
    fn is_complaint(&self, text: &str) -> bool;
}
