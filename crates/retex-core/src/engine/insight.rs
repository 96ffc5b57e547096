//! What the engine asks of the statistical models in `retex-insight`.
//!
//! The models depend on this crate, not the reverse: the engine sees only this trait, so the arrow points
//! inward and the engine stays free of model code. Implementations must be deterministic (the same inputs
//! always give the same answers) or replays would diverge.

/// One store's counts over the `store_exception_rate` window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreWindow {
    pub location: String,
    pub exceptions: u64,
    pub sale_lines: u64,
}

/// Parameters of the store rate test, from the rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateTestParams {
    pub alpha: f64,
    pub min_sale_lines: u64,
    pub min_exceptions: u64,
}

/// A store whose exception rate the test found abnormal, and how unlikely its count was.
#[derive(Clone, Debug, PartialEq)]
pub struct AbnormalStore {
    pub location: String,
    /// The probability of a count at least as high for a normal store, against its peers.
    pub p_value: f64,
    /// The largest `p_value` that flags a store (`alpha` over the stores tested).
    pub p_value_max: f64,
}

/// What a customer message is about, as a message model reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageIntent {
    /// One of the model's intents, such as `track_order`, `get_refund` or `cancel_order`.
    pub intent: String,
    /// In `[0, 1]`.
    pub confidence: f64,
    /// The words and word pairs that decided, strongest first.
    pub because_of: Vec<String>,
}

/// A customer message the complaint model calls a complaint.
#[derive(Clone, Debug, PartialEq)]
pub struct ComplaintReading {
    /// That it is a complaint, in `[0, 1]`.
    pub probability: f64,
    /// What the complaint is about when the model reads a particular kind (such as `get_refund`); `None` for a
    /// complaint in general.
    pub kind: Option<String>,
    /// The words and word pairs that decided, strongest first.
    pub because_of: Vec<String>,
}

pub trait Insight: Send + Sync + std::fmt::Debug {
    /// How a customer message reads as a complaint (refund, not delivered, damaged, wrong item, price) when the
    /// model calls it one; `None` when it does not.
    fn complaint(&self, text: &str) -> Option<ComplaintReading>;

    /// The models' version, carried by every exception they open (like `rules_version`): a fingerprint of their
    /// contents, so a retrained model is a new version.
    fn version(&self) -> &str;

    /// What a customer message is about; `None` from a model that does not read intents.
    fn message_intent(&self, _text: &str) -> Option<MessageIntent> {
        None
    }

    /// The locations whose exception rate per sale line is abnormally high against their peers.
    fn abnormal_stores(&self, stores: &[StoreWindow], params: RateTestParams) -> Vec<AbnormalStore>;
}
