//! What the engine gets from this crate: [`EmbeddedInsight`] implements `retex_core::engine::Insight` with the
//! embedded complaint model and the store exception-rate test.
//!
//! The engine holds an `Arc<dyn Insight>` and knows nothing of naive Bayes or Poisson tails; both answers are
//! deterministic, so replays stay byte-identical.

use retex_core::engine::{Insight, RateTestParams, StoreWindow};

use crate::complaint::ComplaintModel;
use crate::store_rate::abnormal_store_rates;

/// The models this crate ships, as the engine asks for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedInsight;

impl Insight for EmbeddedInsight {
    fn is_complaint(&self, text: &str) -> bool {
        ComplaintModel::embedded().is_complaint(text)
    }

    fn abnormal_stores(&self, stores: &[StoreWindow], params: RateTestParams) -> Vec<String> {
        let mut abnormal_locations = Vec::new();
        for verdict in abnormal_store_rates(stores, &params) {
            if verdict.abnormal {
                abnormal_locations.push(verdict.location);
            }
        }
        abnormal_locations
    }
}
