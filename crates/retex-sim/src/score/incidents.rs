//! How well the incidents follow the faults, for the scorer: a chain is a fault that must raise two exceptions or
//! more of the causal order, the first of them in that order also the first detectable (so that the spec's
//! correlation can link them: a later exception joins only one before it in the order). It comes out right when
//! every one was found, in one incident, rooted in that first one. An incident is pure when the exceptions it
//! holds that were found serve one fault.

use std::collections::{BTreeMap, BTreeSet};

use retex_core::rules::ExceptionType;
use serde::Serialize;

use super::{RaisedException, share};
use crate::truth::{ExpectedException, Truth};

/// How the incidents follow the faults.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IncidentScore {
    /// Faults that must raise two exceptions or more of the causal order, the first in that order first
    /// detectable.
    pub chains: u64,
    /// Chains found whole, in one incident rooted in the exception first in the causal order.
    pub chains_right: u64,
    /// `chains_right / chains` (1 without chains).
    pub chains_right_share: f64,
    /// The truth ids of the chains that did not come out right (not all found, split, or wrongly rooted).
    pub chains_wrong: Vec<String>,
    /// Incidents holding an exception that was found.
    pub incidents_with_faults: u64,
    /// Those whose found exceptions serve more than one fault.
    pub incidents_mixed: u64,
    /// `1 - incidents_mixed / incidents_with_faults` (1 without incidents).
    pub pure_share: f64,
    /// Exceptions in the largest incident.
    pub largest: u64,
    /// Each mixed incident with the faults it holds (truth ids), for a person to look into.
    pub mixed: Vec<MixedIncident>,
}

/// An incident whose found exceptions serve more than one fault.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MixedIncident {
    pub incident: u64,
    pub faults: Vec<String>,
}

/// How well the incidents follow the faults: chains whole and rightly rooted, incidents pure.
pub(crate) fn score_incidents(
    truth: &Truth,
    expected: &[(usize, &ExpectedException)],
    found_for: &BTreeMap<(usize, usize), usize>,
    raised: &[RaisedException],
    serves: &[Option<usize>],
) -> IncidentScore {
    let mut result = IncidentScore::default();
    for fault in 0..truth.faults.len() {
        // In order of detection, as `expected` is sorted.
        let expectations: Vec<usize> = (0..expected.len())
            .filter(|&order| expected[order].0 == fault)
            .filter(|&order| causal_rank(&expected[order].1.exception_type) < u8::MAX)
            .collect();
        let first_in_order = expectations
            .iter()
            .copied()
            .min_by_key(|&order| causal_rank(&expected[order].1.exception_type));
        if expectations.len() < 2 || first_in_order != expectations.first().copied() {
            continue;
        }
        result.chains += 1;
        let found: Vec<usize> = expectations
            .iter()
            .filter_map(|&order| found_for.get(&(fault, order)).copied())
            .collect();
        if found.len() < expectations.len() {
            result.chains_wrong.push(truth.faults[fault].id.clone());
            continue;
        }
        let incident = raised[found[0]].incident;
        let one_incident = found.iter().all(|&index| raised[index].incident == incident);
        let root = found
            .iter()
            .copied()
            .min_by_key(|&index| causal_rank(&raised[index].exception_type));
        if one_incident && root.is_some_and(|index| raised[index].is_incident_root) {
            result.chains_right += 1;
        } else {
            result.chains_wrong.push(truth.faults[fault].id.clone());
        }
    }
    result.chains_right_share = share(result.chains_right, result.chains);
    let mut faults_of: BTreeMap<u64, BTreeSet<usize>> = BTreeMap::new();
    let mut sizes: BTreeMap<u64, u64> = BTreeMap::new();
    for (index, exception) in raised.iter().enumerate() {
        *sizes.entry(exception.incident).or_default() += 1;
        if let Some(fault) = serves[index] {
            faults_of.entry(exception.incident).or_default().insert(fault);
        }
    }
    result.incidents_with_faults = faults_of.len() as u64;
    result.mixed = (faults_of.iter())
        .filter(|(_, faults)| faults.len() > 1)
        .map(|(&incident, faults)| MixedIncident {
            incident,
            faults: faults.iter().map(|&fault| truth.faults[fault].id.clone()).collect(),
        })
        .collect();
    result.incidents_mixed = result.mixed.len() as u64;
    result.pure_share = match result.incidents_with_faults {
        0 => 1.0,
        with_faults => 1.0 - result.incidents_mixed as f64 / with_faults as f64,
    };
    result.largest = sizes.values().copied().max().unwrap_or(0);
    result
}

/// A type's place in the causal order of incidents; types outside it come last.
fn causal_rank(exception_type: &str) -> u8 {
    ExceptionType::from_name(exception_type)
        .and_then(ExceptionType::root_cause_rank)
        .unwrap_or(u8::MAX)
}
