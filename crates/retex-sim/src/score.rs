//! Scoring detection against the ground truth: per type precision, recall and time to detect.
//!
//! The scorer sees only what the engine raised, as plain data (type, key, opening time), never the engine: the
//! truth stays independent of the code it grades. An expected exception is found when an exception of its type
//! was raised whose key agrees on every part the truth names (location, SKU, reference), opened no more than a
//! day before the fault became detectable; each raised exception serves at most one expectation, the earliest
//! opened first. Raised exceptions that serve none are false
//! positives. Time to detect is opened minus detectable, in seconds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::truth::{FaultKey, Truth};

/// An exception opened this long before the truth says its fault became detectable still counts as finding it
/// (the truth's time is an estimate for the statistical types); anything earlier has another cause.
const MATCH_EARLY_TOLERANCE_MS: i64 = 24 * 3_600_000;

/// One exception the engine raised, as the scorer compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaisedException {
    pub exception_type: String,
    pub location: Option<String>,
    pub sku: Option<String>,
    pub reference: Option<String>,
    pub opened_at: DateTime<Utc>,
}

/// The figures of one type, or of all types together.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TypeScore {
    pub precision: f64,
    pub recall: f64,
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub false_negatives: u64,
    pub ttd_p50_s: Option<f64>,
    pub ttd_p95_s: Option<f64>,
    /// Detected statistically: precision and recall are reported, not promised.
    pub statistical: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    pub types: BTreeMap<String, TypeScore>,
    /// Every type together.
    pub overall: TypeScore,
    /// The deterministic types together (all but the statistical ones).
    pub deterministic: TypeScore,
}

#[derive(Default)]
struct Tally {
    tp: u64,
    fp: u64,
    false_negatives: u64,
    ttd_seconds: Vec<f64>,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.false_negatives += other.false_negatives;
        self.ttd_seconds.extend_from_slice(&other.ttd_seconds);
    }

    fn score(mut self, statistical: bool) -> TypeScore {
        self.ttd_seconds.sort_by(f64::total_cmp);
        let ratio = |part: u64, whole: u64| if whole == 0 { 1.0 } else { part as f64 / whole as f64 };
        TypeScore {
            precision: ratio(self.tp, self.tp + self.fp),
            recall: ratio(self.tp, self.tp + self.false_negatives),
            tp: self.tp,
            fp: self.fp,
            false_negatives: self.false_negatives,
            ttd_p50_s: percentile(&self.ttd_seconds, 0.50),
            ttd_p95_s: percentile(&self.ttd_seconds, 0.95),
            statistical,
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], share: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (share * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn key_agrees(key: &FaultKey, raised: &RaisedException) -> bool {
    let agrees = |wanted: &Option<String>, found: &Option<String>| wanted.is_none() || wanted == found;
    agrees(&key.location, &raised.location)
        && agrees(&key.sku, &raised.sku)
        && agrees(&key.reference, &raised.reference)
}

/// Scores what was raised against what the truth expects.
pub fn score(truth: &Truth, raised: &[RaisedException]) -> Score {
    let mut expected: Vec<(&str, &FaultKey, DateTime<Utc>)> = Vec::new();
    for fault in &truth.faults {
        for expectation in &fault.expected {
            expected.push((&expectation.exception_type, &expectation.key, expectation.detectable_at));
        }
    }
    expected.sort_by_key(|(kind, _, at)| (*at, kind.to_string()));
    let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, exception) in raised.iter().enumerate() {
        by_type.entry(&exception.exception_type).or_default().push(index);
    }
    for indexes in by_type.values_mut() {
        indexes.sort_by_key(|&index| raised[index].opened_at);
    }
    let mut used = vec![false; raised.len()];
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for (kind, key, detectable_at) in expected {
        let tally = tallies.entry(kind.to_string()).or_default();
        let candidates = by_type.get(kind).map_or(&[][..], Vec::as_slice);
        let earliest = detectable_at - chrono::Duration::milliseconds(MATCH_EARLY_TOLERANCE_MS);
        let found = candidates
            .iter()
            .copied()
            .find(|&index| !used[index] && raised[index].opened_at >= earliest && key_agrees(key, &raised[index]));
        match found {
            Some(index) => {
                used[index] = true;
                tally.tp += 1;
                tally
                    .ttd_seconds
                    .push((raised[index].opened_at - detectable_at).num_milliseconds() as f64 / 1000.0);
            }
            None => tally.false_negatives += 1,
        }
    }
    for (index, exception) in raised.iter().enumerate() {
        if !used[index] {
            tallies.entry(exception.exception_type.clone()).or_default().fp += 1;
        }
    }
    let mut result = Score::default();
    let mut overall = Tally::default();
    let mut deterministic = Tally::default();
    for (kind, tally) in tallies {
        let statistical = truth.statistical_types.contains(&kind);
        overall.add(&tally);
        if !statistical {
            deterministic.add(&tally);
        }
        result.types.insert(kind, tally.score(statistical));
    }
    result.overall = overall.score(false);
    result.deterministic = deterministic.score(false);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::truth::{ExpectedException, InjectedFault};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn raised(kind: &str, reference: &str, opened: &str) -> RaisedException {
        RaisedException {
            exception_type: kind.into(),
            location: Some("S1".into()),
            sku: None,
            reference: Some(reference.into()),
            opened_at: at(opened),
        }
    }

    #[test]
    fn matches_by_type_and_key_and_counts_the_rest() {
        let expected = |reference: &str, detectable: &str| ExpectedException {
            exception_type: "transfer_overdue".into(),
            key: FaultKey {
                location: None,
                sku: None,
                reference: Some(reference.into()),
            },
            detectable_at: at(detectable),
            statistical: false,
        };
        let truth = Truth {
            statistical_types: vec!["low_stock".into()],
            faults: vec![InjectedFault {
                id: "F1".into(),
                fault: "unconfirmed_transfer".into(),
                exception_types: vec!["transfer_overdue".into()],
                key: FaultKey::default(),
                detectable_at: at("2026-11-02T16:00:00Z"),
                note: String::new(),
                expected: vec![
                    expected("T-1", "2026-11-02T16:00:00Z"),
                    expected("T-2", "2026-11-03T16:00:00Z"),
                ],
                may_also_raise: Vec::new(),
            }],
        };
        let found = vec![
            raised("transfer_overdue", "T-1", "2026-11-02T16:00:30Z"),
            raised("transfer_overdue", "T-9", "2026-11-02T17:00:00Z"),
            raised("low_stock", "-", "2026-11-02T17:00:00Z"),
        ];
        let score = score(&truth, &found);
        let transfer = &score.types["transfer_overdue"];
        assert_eq!((transfer.tp, transfer.fp, transfer.false_negatives), (1, 1, 1));
        assert_eq!((transfer.precision, transfer.recall), (0.5, 0.5));
        assert_eq!(transfer.ttd_p50_s, Some(30.0));
        assert!(score.types["low_stock"].statistical);
        assert_eq!((score.deterministic.tp, score.deterministic.fp), (1, 1));
        assert_eq!(score.overall.fp, 2);
    }
}
