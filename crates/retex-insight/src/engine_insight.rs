//! What the engine gets from this crate: [`EmbeddedInsight`] implements `retex_core::engine::Insight` with the
//! embedded complaint and intent models and the store exception-rate test.
//!
//! The engine holds an `Arc<dyn Insight>` and knows nothing of support vector machines or negative binomial
//! tails; every answer is deterministic, so replays stay byte-identical.

use retex_core::engine::{AbnormalStore, ComplaintReading, Insight, MessageIntent, RateTestParams, StoreWindow};

use crate::complaint::{COMPLAINT_PROBABILITY_THRESHOLD, ComplaintModel};
use crate::intent::IntentModel;
use crate::store_rate::abnormal_store_rates;

/// The complaint intent that names no particular kind of complaint.
const GENERAL_COMPLAINT: &str = "complaint";

/// How many words an intent is explained by.
const EXPLAINED_TERMS: usize = 3;

/// The models this crate ships, as the engine asks for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedInsight;

impl Insight for EmbeddedInsight {
    fn complaint(&self, text: &str) -> Option<ComplaintReading> {
        let model = ComplaintModel::embedded();
        let verdict = model.verdict(text);
        if verdict.probability < COMPLAINT_PROBABILITY_THRESHOLD {
            return None;
        }
        let because_of = model.explain(text, verdict.intent, EXPLAINED_TERMS);
        Some(ComplaintReading {
            probability: verdict.probability,
            kind: (verdict.intent != GENERAL_COMPLAINT).then(|| verdict.intent.to_owned()),
            because_of: because_of.into_iter().map(|(term, _)| term).collect(),
        })
    }

    fn version(&self) -> &str {
        crate::versions::MESSAGE_MODELS_VERSION
    }

    fn message_intent(&self, text: &str) -> Option<MessageIntent> {
        let model = IntentModel::embedded();
        let classification = model.classify(text);
        let because_of = model.explain(text, classification.intent, EXPLAINED_TERMS);
        Some(MessageIntent {
            intent: classification.intent.to_owned(),
            confidence: classification.confidence,
            because_of: because_of.into_iter().map(|(term, _)| term).collect(),
        })
    }

    fn abnormal_stores(&self, stores: &[StoreWindow], params: RateTestParams) -> Vec<AbnormalStore> {
        let verdicts = abnormal_store_rates(stores, &params).into_iter();
        verdicts
            .filter(|verdict| verdict.abnormal)
            .map(|verdict| AbnormalStore {
                location: verdict.location,
                p_value: verdict.p_value,
                p_value_max: verdict.p_value_max,
            })
            .collect()
    }
}
