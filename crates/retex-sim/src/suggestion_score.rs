//! How well suggested resolutions name the cause the simulator injected: the plan of a replay and its score.
//!
//! Nobody resolves exceptions in a simulated world, so the replay plays the people: in opening order, each
//! exception matched to a fault whose kind has a cause ([`injected_cause`]) is first asked for its suggestions,
//! then resolved with that cause. A fault's trial is its first matched exception: whether the first suggestion
//! named the injected root cause, counted only when there was a suggestion (the evidence of those resolved
//! before it). The replay itself needs the engine, so the caller runs it; this module stays on the truth's side.

use std::collections::BTreeMap;

use retex_core::command::{Resolution, RootCause};
use serde::Serialize;

use crate::score::{RaisedException, match_faults};
use crate::truth::Truth;

/// The root cause of a fault kind and what a person would do about it; `None` for kinds without one cause (a
/// complaint, a troubled store, a stockout from demand).
pub fn injected_cause(fault_kind: &str) -> Option<(RootCause, Resolution)> {
    let cause = match fault_kind {
        "miscount" => (RootCause::CountInaccuracy, Resolution::Recounted),
        "shrink" => (RootCause::TheftOrShrink, Resolution::StockAdjusted),
        // Stock put somewhere else on the shop floor.
        "phantom_stock" => (RootCause::ProcessNoncompliance, Resolution::Corrected),
        // A stale ledger: a transfer lost and never confirmed, its units booked by hand at the store.
        "unconfirmed_transfer" | "short_transfer" | "damaged_transfer" | "stale_ledger_allocation" => {
            (RootCause::TransferDiscipline, Resolution::Corrected)
        }
        "supplier_slip" | "short_delivery" | "damaged_delivery" => {
            (RootCause::SupplierFailure, Resolution::SupplierClaim)
        }
        "master_data_defect" | "conflicting_promotion" => (RootCause::MasterDataError, Resolution::Corrected),
        // The till charged another price than the price list: its price file is out of step.
        "mispriced_till" => (RootCause::IntegrationError, Resolution::Corrected),
        "late_return" => (RootCause::CustomerBehaviour, Resolution::NoActionNeeded),
        "refund_not_paid" | "fulfilment_delay" => (RootCause::ProcessNoncompliance, Resolution::Corrected),
        _ => return None,
    };
    Some(cause)
}

/// One step of the replay: resolve a raised exception with its fault's cause, after asking for suggestions
/// when it is its fault's trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayStep {
    /// Index into the raised exceptions.
    pub raised: usize,
    pub fault: usize,
    pub root_cause: RootCause,
    pub resolution: Resolution,
    /// The fault's first matched exception: its first suggestion is scored.
    pub is_trial: bool,
}

/// The replay, in opening order: every raised exception that serves a fault with a cause.
pub fn replay_plan(truth: &Truth, raised: &[RaisedException]) -> Vec<ReplayStep> {
    let serves = match_faults(truth, raised).serves;
    let mut order: Vec<usize> = (0..raised.len()).filter(|&index| serves[index].is_some()).collect();
    order.sort_by_key(|&index| (raised[index].opened_at, index));
    let mut tried = vec![false; truth.faults.len()];
    let mut steps = Vec::new();
    for index in order {
        let fault = serves[index].expect("filtered above");
        let Some((root_cause, resolution)) = injected_cause(&truth.faults[fault].fault) else {
            continue;
        };
        steps.push(ReplayStep {
            raised: index,
            fault,
            root_cause,
            resolution,
            is_trial: !std::mem::replace(&mut tried[fault], true),
        });
    }
    steps
}

/// The suggestions' figures for one fault kind, or all of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SuggestionFigures {
    /// Faults with a trial: a matched exception.
    pub faults: u64,
    /// Those whose exception had no suggestion (nothing similar resolved before it).
    pub without_evidence: u64,
    /// Those whose first suggestion named the injected root cause.
    pub first_matched: u64,
    /// `first_matched / (faults - without_evidence)` (1 when none had evidence).
    pub first_matched_share: f64,
}

impl SuggestionFigures {
    fn add(&mut self, first_suggestion: Option<RootCause>, injected: RootCause) {
        self.faults += 1;
        match first_suggestion {
            None => self.without_evidence += 1,
            Some(suggested) => self.first_matched += u64::from(suggested == injected),
        }
        let with_evidence = self.faults - self.without_evidence;
        self.first_matched_share = match with_evidence {
            0 => 1.0,
            _ => self.first_matched as f64 / with_evidence as f64,
        };
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SuggestionScore {
    /// By fault kind.
    pub kinds: BTreeMap<String, SuggestionFigures>,
    pub overall: SuggestionFigures,
}

impl SuggestionScore {
    /// Counts a trial: the first suggestion before the step's exception was resolved, if there was one.
    pub fn add(&mut self, truth: &Truth, step: &ReplayStep, first_suggestion: Option<RootCause>) {
        let kind = truth.faults[step.fault].fault.clone();
        self.kinds
            .entry(kind)
            .or_default()
            .add(first_suggestion, step.root_cause);
        self.overall.add(first_suggestion, step.root_cause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_counts_only_trials_with_evidence() {
        let mut figures = SuggestionFigures::default();
        figures.add(None, RootCause::TheftOrShrink);
        assert_eq!(figures.first_matched_share, 1.0, "nothing to be right about yet");
        figures.add(Some(RootCause::TheftOrShrink), RootCause::TheftOrShrink);
        figures.add(Some(RootCause::CountInaccuracy), RootCause::TheftOrShrink);
        assert_eq!(
            (figures.faults, figures.without_evidence, figures.first_matched),
            (3, 1, 1)
        );
        assert_eq!(figures.first_matched_share, 0.5);
    }

    #[test]
    fn kinds_without_one_cause_are_not_replayed() {
        for kind in ["customer_complaint", "troubled_store", "stockout"] {
            assert_eq!(injected_cause(kind), None, "{kind}");
        }
        assert_eq!(
            injected_cause("shrink").map(|cause| cause.0),
            Some(RootCause::TheftOrShrink)
        );
    }
}
