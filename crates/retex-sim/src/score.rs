//! Scoring detection against the ground truth: per type precision, recall and time to detect, and how well the
//! incidents follow the faults' chains.
//!
//! The scorer sees only what the engine raised, as plain data (type, key, opening time, incident), never the
//! engine: the truth stays independent of the code it grades. It is strict:
//! - an expected exception is found by a raised one of its type whose key agrees on every key column of the
//!   type (exceptions.md), absent columns included, and on any other part the truth names;
//! - it must have opened within its type's window: at the instant the fault became detectable for a
//!   deterministic type (they hold exactly), from a day before to a week after for a statistical one;
//! - each raised exception serves at most one expectation, the earliest opened first; the rest are false
//!   positives, and every built-in type is in the table, with zeros where nothing was expected or raised;
//! - except one that a fault names as a side effect it may have (`may_also_raise`: a misplaced shelf that a count
//!   empties on the books runs low for real), at the fault's key while the fault lasts (from when it became
//!   detectable to a day after its last expected exception): that one is explained, neither found nor false;
//! - and except one that repeats a found expectation (its type and key, within its window: a misplaced shelf
//!   that sold a returned unit and fell silent again is raised again): the same fault, explained too;
//! - and except a `low_stock` that warned of a shelf that ran empty after the stream ended
//!   (`Truth::stockouts_after_stream`): right, but the stream cannot show it, so explained; and such a stockout
//!   is never missed.
//!
//! A truth entry may state its own window: a stockout is found by a `low_stock` that opened in the 14 days before
//! the shelf ran empty (its time to detect is then negative: the warning) or while it stays empty, a misplaced
//! shelf by a `phantom_stock` that opened while the shelf stayed empty. `phantom_stock` is also reported by band of the
//! position's expected daily sales, and `low_stock` by how many stockouts it warned of and how early.
//!
//! Time to detect is opened minus detectable, in seconds. How the incidents follow the faults' chains is scored
//! in `incidents`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use retex_core::rules::ExceptionType;
use serde::Serialize;

use self::incidents::score_incidents;
pub use self::incidents::{IncidentScore, MixedIncident};
use crate::suggestion_score::SuggestionScore;
use crate::truth::{ExpectedException, FaultKey, InjectedFault, Truth};

mod incidents;

/// How early a statistical type may open before the truth's estimate of when its fault became detectable.
const STATISTICAL_EARLY_TOLERANCE: Duration = Duration::hours(24);
/// How late a statistical type may open after it and still count as finding the fault.
const STATISTICAL_LATE_WINDOW: Duration = Duration::days(7);
/// How long after a fault's last expected exception a side effect of it is still explained by it.
const SIDE_EFFECT_GRACE: Duration = Duration::hours(24);

/// One exception the engine raised, as the scorer compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaisedException {
    pub exception_type: String,
    pub location: Option<String>,
    pub sku: Option<String>,
    pub reference: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// The incident that holds it.
    pub incident: u64,
    /// Whether it is its incident's probable root cause.
    pub is_incident_root: bool,
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
    /// Neither found nor false: a side effect a fault names (`may_also_raise`), a repeat of a found fault, or a
    /// warning of a stockout after the stream.
    pub explained: u64,
    pub ttd_p50_s: Option<f64>,
    pub ttd_p95_s: Option<f64>,
    /// Detected statistically: precision and recall are reported, not promised.
    pub statistical: bool,
}

/// `phantom_stock`'s recall and time to detect for faults of positions in a band of expected daily sales, or
/// in the target cohort.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BandScore {
    /// `2-5`, `5-20`, `20+` units a day, or `10+ empty 3+ days`.
    pub band: String,
    pub faults: u64,
    pub found: u64,
    pub recall: f64,
    /// Median days from the shelf emptying to the exception opening.
    pub ttd_p50_days: Option<f64>,
}

/// `low_stock` against the stockouts: how many were warned before the shelf ran empty, and how early.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WarningScore {
    pub stockouts: u64,
    /// Warned strictly before the shelf ran empty.
    pub warned: u64,
    /// `warned / stockouts` (1 without stockouts).
    pub warned_share: f64,
    /// Median hours between the warning and the shelf running empty, over those warned.
    pub warning_p50_hours: Option<f64>,
    /// The stockouts of positions expected to sell at least [`STEADY_SELLER_DAILY_UNITS`] a day, and how many of
    /// them were warned: a slow mover is often emptied by one basket, with nothing to see before.
    pub steady_stockouts: u64,
    pub steady_warned: u64,
}

/// Units a day from which a position sells on most days (see [`WarningScore`]).
pub const STEADY_SELLER_DAILY_UNITS: f64 = 1.5;

/// The sales bands of [`BandScore`], in units a day: from, until.
const PHANTOM_BANDS: [(f64, f64); 3] = [(2.0, 5.0), (5.0, 20.0), (20.0, f64::INFINITY)];
/// The target cohort: selling at least this many a day, with a shelf empty at least this many days.
const PHANTOM_COHORT: (f64, f64) = (10.0, 3.0);

#[derive(Default)]
struct PhantomBands {
    /// Per band and the cohort: faults, and the days each found one took.
    rows: [(u64, Vec<f64>); 4],
}

impl PhantomBands {
    fn add(&mut self, expectation: &ExpectedException, ttd_seconds: Option<f64>) {
        let Some(units) = expectation.daily_units else {
            return;
        };
        let band = PHANTOM_BANDS
            .iter()
            .position(|&(from, until)| (from..until).contains(&units));
        let in_cohort = units >= PHANTOM_COHORT.0 && expectation.empty_days.unwrap_or(0.0) >= PHANTOM_COHORT.1;
        for row in band.into_iter().chain(in_cohort.then_some(PHANTOM_BANDS.len())) {
            let (faults, days) = &mut self.rows[row];
            *faults += 1;
            days.extend(ttd_seconds.map(|seconds| seconds / 86_400.0));
        }
    }

    fn rows(mut self) -> Vec<BandScore> {
        let names = ["2-5", "5-20", "20+", "10+ empty 3+ days"];
        names
            .iter()
            .zip(&mut self.rows)
            .map(|(name, (faults, days))| {
                days.sort_by(f64::total_cmp);
                BandScore {
                    band: (*name).to_owned(),
                    faults: *faults,
                    found: days.len() as u64,
                    recall: share(days.len() as u64, *faults),
                    ttd_p50_days: percentile(days, 0.5),
                }
            })
            .collect()
    }
}

#[derive(Default)]
struct Warnings {
    stockouts: u64,
    warning_hours: Vec<f64>,
    steady_stockouts: u64,
    steady_warned: u64,
}

impl Warnings {
    fn add(&mut self, expectation: &ExpectedException, ttd_seconds: Option<f64>) {
        let steady = expectation
            .daily_units
            .is_some_and(|units| units >= STEADY_SELLER_DAILY_UNITS);
        self.stockouts += 1;
        self.steady_stockouts += u64::from(steady);
        if let Some(ttd) = ttd_seconds.filter(|&ttd| ttd < 0.0) {
            self.warning_hours.push(-ttd / 3_600.0);
            self.steady_warned += u64::from(steady);
        }
    }

    fn score(mut self) -> WarningScore {
        self.warning_hours.sort_by(f64::total_cmp);
        let warned = self.warning_hours.len() as u64;
        WarningScore {
            stockouts: self.stockouts,
            warned,
            warned_share: share(warned, self.stockouts),
            warning_p50_hours: percentile(&self.warning_hours, 0.5),
            steady_stockouts: self.steady_stockouts,
            steady_warned: self.steady_warned,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    pub types: BTreeMap<String, TypeScore>,
    /// Every type together.
    pub overall: TypeScore,
    /// The deterministic types together (all but the statistical ones).
    pub deterministic: TypeScore,
    pub incidents: IncidentScore,
    /// `phantom_stock` by band of expected daily sales, and in the target cohort.
    pub phantom_stock_bands: Vec<BandScore>,
    /// `low_stock` against the stockouts.
    pub stockouts: WarningScore,
    /// Suggested resolutions against the injected causes, when the caller replayed them (it needs the engine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<SuggestionScore>,
}

#[derive(Default)]
struct Tally {
    tp: u64,
    fp: u64,
    false_negatives: u64,
    explained: u64,
    ttd_seconds: Vec<f64>,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.false_negatives += other.false_negatives;
        self.explained += other.explained;
        self.ttd_seconds.extend_from_slice(&other.ttd_seconds);
    }

    fn score(mut self, statistical: bool) -> TypeScore {
        self.ttd_seconds.sort_by(f64::total_cmp);
        TypeScore {
            precision: share(self.tp, self.tp + self.fp),
            recall: share(self.tp, self.tp + self.false_negatives),
            tp: self.tp,
            fp: self.fp,
            false_negatives: self.false_negatives,
            explained: self.explained,
            ttd_p50_s: percentile(&self.ttd_seconds, 0.50),
            ttd_p95_s: percentile(&self.ttd_seconds, 0.95),
            statistical,
        }
    }
}

/// `part / whole`, 1 when there is nothing to be right about.
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], share: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (share * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The key columns of a type (exceptions.md): location, SKU, reference.
fn key_columns(exception_type: &str) -> (bool, bool, bool) {
    match exception_type {
        "count_variance" | "negative_stock" | "low_stock" | "phantom_stock" | "price_mismatch" => (true, true, false),
        "promotion_conflict" => (false, true, false),
        "store_exception_rate" => (true, false, false),
        // A product's by SKU, a supplier's by its code: whichever it is, the other is absent.
        "master_data" => (false, true, true),
        _ => (false, false, true),
    }
}

fn key_agrees(exception_type: &str, key: &FaultKey, raised: &RaisedException) -> bool {
    let (location, sku, reference) = key_columns(exception_type);
    let agrees = |is_key: bool, wanted: &Option<String>, found: &Option<String>| match is_key {
        true => wanted == found,
        false => wanted.is_none() || wanted == found,
    };
    agrees(location, &key.location, &raised.location)
        && agrees(sku, &key.sku, &raised.sku)
        && agrees(reference, &key.reference, &raised.reference)
}

/// The openings that count as finding an expectation: its own window when the truth states one, else the
/// instant it became detectable for a deterministic type, or the statistical tolerance around it.
fn window(statistical: bool, expectation: &ExpectedException) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = expectation.detectable_at;
    let (earliest, latest) = match statistical {
        true => (at - STATISTICAL_EARLY_TOLERANCE, at + STATISTICAL_LATE_WINDOW),
        false => (at, at),
    };
    (
        expectation.detect_from.unwrap_or(earliest),
        expectation.detect_until.unwrap_or(latest),
    )
}

/// Whether `exception` would find `expectation`: its type, its key, and opened within its window.
fn would_find(truth: &Truth, expectation: &ExpectedException, exception: &RaisedException) -> bool {
    let kind = expectation.exception_type.as_str();
    let statistical = truth.statistical_types.iter().any(|name| name == kind);
    let (earliest, latest) = window(statistical, expectation);
    kind == exception.exception_type
        && (earliest..=latest).contains(&exception.opened_at)
        && key_agrees(kind, &expectation.key, exception)
}

/// Whether `exception` is a side effect `fault` names, at its key, while it lasts.
fn is_side_effect(fault: &InjectedFault, exception: &RaisedException) -> bool {
    let kind = exception.exception_type.as_str();
    let last = (fault.expected.iter())
        .map(|expectation| expectation.detect_until.unwrap_or(expectation.detectable_at))
        .max()
        .unwrap_or(fault.detectable_at);
    fault.may_also_raise.iter().any(|name| name == kind)
        && key_agrees(kind, &fault.key, exception)
        && (fault.detectable_at..=last + SIDE_EFFECT_GRACE).contains(&exception.opened_at)
}

/// Which raised exception found which expectation: the strict matching the module describes.
pub struct Matching<'a> {
    /// Every expectation with its fault's index, in order of detection.
    pub expected: Vec<(usize, &'a ExpectedException)>,
    /// Per expectation of `expected`, the index of the raised exception that found it.
    pub found: Vec<Option<usize>>,
    /// Per raised exception, the index of the fault it serves.
    pub serves: Vec<Option<usize>>,
}

/// Matches raised exceptions to the truth's expectations, each raised one serving at most one, the earliest
/// opened first.
pub fn match_faults<'a>(truth: &'a Truth, raised: &[RaisedException]) -> Matching<'a> {
    let mut expected: Vec<(usize, &ExpectedException)> = Vec::new();
    for (fault, injected) in truth.faults.iter().enumerate() {
        expected.extend(injected.expected.iter().map(|expectation| (fault, expectation)));
    }
    expected.sort_by_key(|(_, expectation)| (expectation.detectable_at, expectation.exception_type.clone()));
    let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, exception) in raised.iter().enumerate() {
        by_type.entry(&exception.exception_type).or_default().push(index);
    }
    for indexes in by_type.values_mut() {
        indexes.sort_by_key(|&index| raised[index].opened_at);
    }
    let mut serves: Vec<Option<usize>> = vec![None; raised.len()];
    let mut found = Vec::with_capacity(expected.len());
    for &(fault, expectation) in &expected {
        let kind = expectation.exception_type.as_str();
        let candidates = by_type.get(kind).map_or(&[][..], Vec::as_slice);
        let finder = (candidates.iter().copied())
            .find(|&index| serves[index].is_none() && would_find(truth, expectation, &raised[index]));
        if let Some(index) = finder {
            serves[index] = Some(fault);
        }
        found.push(finder);
    }
    Matching {
        expected,
        found,
        serves,
    }
}

/// Scores what was raised against what the truth expects.
pub fn score(truth: &Truth, raised: &[RaisedException]) -> Score {
    let Matching {
        expected,
        found,
        serves,
    } = match_faults(truth, raised);
    let mut phantom = PhantomBands::default();
    let mut stockouts = Warnings::default();
    let mut found_for: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut tallies: BTreeMap<String, Tally> = ExceptionType::NAMES
        .iter()
        .map(|name| ((*name).to_owned(), Tally::default()))
        .collect();
    for (order, &(fault, expectation)) in expected.iter().enumerate() {
        let kind = expectation.exception_type.as_str();
        let tally = tallies.entry(kind.to_owned()).or_default();
        let mut ttd_seconds = None;
        match found[order] {
            Some(index) => {
                found_for.insert((fault, order), index);
                tally.tp += 1;
                let ttd = (raised[index].opened_at - expectation.detectable_at).num_milliseconds() as f64 / 1000.0;
                tally.ttd_seconds.push(ttd);
                ttd_seconds = Some(ttd);
            }
            None => tally.false_negatives += 1,
        }
        match kind {
            "phantom_stock" => phantom.add(expectation, ttd_seconds),
            "low_stock" => stockouts.add(expectation, ttd_seconds),
            _ => {}
        }
    }
    let is_repeat = |exception: &RaisedException| {
        (expected.iter().zip(&found))
            .any(|(&(_, expectation), found)| found.is_some() && would_find(truth, expectation, exception))
    };
    for (index, exception) in raised.iter().enumerate() {
        if serves[index].is_none() {
            let tally = tallies.entry(exception.exception_type.clone()).or_default();
            let warned_after_stream =
                (truth.stockouts_after_stream.iter()).any(|stockout| would_find(truth, stockout, exception));
            if truth.faults.iter().any(|fault| is_side_effect(fault, exception))
                || is_repeat(exception)
                || warned_after_stream
            {
                tally.explained += 1;
            } else {
                tally.fp += 1;
            }
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
    result.incidents = score_incidents(truth, &expected, &found_for, raised, &serves);
    result.phantom_stock_bands = phantom.rows();
    result.stockouts = stockouts.score();
    result
}

#[cfg(test)]
mod tests;
