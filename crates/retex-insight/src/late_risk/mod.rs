//! Supplier delay risk: a calibrated probability that a PO line arrives after its scheduled delivery day,
//! learnt from the USAID SCMS delivery history, with the reasons behind each probability.
//!
//! Trained by [`LateRiskModel::train`] on lines with outcomes, it scores lines without them
//! ([`LateRiskModel::score`]) from what was known before delivery only (see [`features`]).
//!
//! # Model
//! 1. The training lines are put in scheduled-day order. The last [`LateRiskConfig::calibration_fraction`]
//!    of them is the calibration slice; the earlier lines train gradient-boosted trees ([`boosting`]), and
//!    the slice is scored as new lines are, its records taken from the earlier lines only. Platt scaling
//!    ([`calibration`]) is fitted on those scores, so it learns how the trees' scores hold up on later lines.
//! 2. The trees are trained again on all training lines. Their scores run higher than the first trees' where
//!    the late rate rose (they learnt the slice too), so the Platt fit keeps its slope and takes the intercept
//!    that makes their probabilities on the slice average to its late rate: the most recent rate known.
//!
//! A line's reasons ([`LateRiskModel::explain`]) are its trees' path contributions (Saabas), grouped by what a
//! buyer recognises (the vendor, the lane, the lead time asked...) and written with the line's own numbers.
//!
//! # Layout
//! - [`scms`]: the SCMS CSV text to [`Delivery`] lines, every messy value read as what it says.
//! - [`features`]: the record so far ([`History`]) and the [`FeatureSchema`].
//! - [`boosting`]: histogram gradient-boosted trees, deterministic.
//! - [`calibration`]: Platt scaling.
//! - [`metrics`]: AUC, Brier score, reliability table.
//! - [`explain`]: a line's top reasons.

pub mod boosting;
pub mod calibration;
pub mod explain;
pub mod features;
pub mod metrics;
pub mod scms;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use thiserror::Error;

pub use boosting::{Booster, BoostingConfig};
pub use calibration::Platt;
pub use explain::Reason;
pub use features::{FeatureSchema, History, LineFeatures, RecordConfig};
pub use metrics::{Evaluation, ReliabilityBin, auc, brier, evaluate, reliability};
pub use scms::{Delivery, ScmsError, ScmsFile, SkipReason, parse_scms, training_outcome};

/// Below this many lines (or without both outcomes) the calibration slice is not fitted and the trees'
/// probabilities are used as they are.
const CALIBRATION_LINES_MIN: usize = 50;

/// Everything that shapes a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LateRiskConfig {
    pub record: RecordConfig,
    pub boosting: BoostingConfig,
    /// The latest share of the training lines, by scheduled day, used to fit the calibration.
    pub calibration_fraction: f64,
}

impl Default for LateRiskConfig {
    fn default() -> Self {
        Self {
            record: RecordConfig::default(),
            boosting: BoostingConfig::default(),
            calibration_fraction: 0.2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TrainingError {
    #[error("no line has both a scheduled and a delivered date")]
    NoUsableLines,
    #[error("every usable line was {0}: there is nothing to tell apart")]
    OneOutcome(&'static str),
}

/// What training used and left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingReport {
    pub lines_used: usize,
    pub late: usize,
    pub skipped: BTreeMap<SkipReason, usize>,
    pub calibration_lines: usize,
    /// `None` when the slice could not be fitted and probabilities are the trees' own.
    pub calibration: Option<Platt>,
}

/// A trained model: the schema, the training history (for the record of new lines), trees and calibration.
#[derive(Debug, Clone)]
pub struct LateRiskModel {
    schema: FeatureSchema,
    history: History,
    booster: Booster,
    calibration: Platt,
}

impl LateRiskModel {
    /// Trains on the lines with outcomes; lines without are counted in the report by reason.
    pub fn train(deliveries: &[Delivery], config: &LateRiskConfig) -> Result<(Self, TrainingReport), TrainingError> {
        let mut report = TrainingReport::default();
        let mut usable: Vec<(Delivery, bool)> = Vec::new();
        for delivery in deliveries {
            match training_outcome(delivery) {
                Ok(late) => usable.push((delivery.clone(), late)),
                Err(reason) => *report.skipped.entry(reason).or_default() += 1,
            }
        }
        usable.sort_by_key(|(delivery, _)| (delivery.scheduled, delivery.line));
        let (lines, labels): (Vec<Delivery>, Vec<bool>) = usable.into_iter().unzip();
        report.lines_used = lines.len();
        report.late = labels.iter().filter(|&&late| late).count();
        if lines.is_empty() {
            return Err(TrainingError::NoUsableLines);
        }
        if report.late == 0 {
            return Err(TrainingError::OneOutcome("on time"));
        }
        if report.late == lines.len() {
            return Err(TrainingError::OneOutcome("late"));
        }
        let schema = FeatureSchema::new(&lines, config.record);
        let calibration_lines = (lines.len() as f64 * config.calibration_fraction).round() as usize;
        let earlier_lines = lines.len() - calibration_lines;
        let slice_fit = fit_calibration(&schema, &lines, &labels, earlier_lines, config);
        let history = History::new(&lines);
        let rows = feature_rows(&schema.training_features(&history, &lines));
        let booster = Booster::train(&rows, &labels, &config.boosting);
        report.calibration = slice_fit.map(|platt| {
            let slice_scores: Vec<f64> = rows[earlier_lines..].iter().map(|row| booster.log_odds(row)).collect();
            let slice_labels = &labels[earlier_lines..];
            let slice_rate = slice_labels.iter().filter(|&&late| late).count() as f64 / slice_labels.len() as f64;
            platt.matched_to_rate(&slice_scores, slice_rate)
        });
        report.calibration_lines = if report.calibration.is_some() {
            calibration_lines
        } else {
            0
        };
        let model = Self {
            schema,
            history,
            booster,
            calibration: report.calibration.unwrap_or(Platt::IDENTITY),
        };
        Ok((model, report))
    }

    /// The probability that each line arrives late, in the order given. Outcomes in `deliveries` are never
    /// read; the lines' PO counts are taken among `deliveries`.
    pub fn score(&self, deliveries: &[Delivery]) -> Vec<f64> {
        self.features(deliveries)
            .iter()
            .map(|line| self.calibration.probability(self.booster.log_odds(&line.values)))
            .collect()
    }

    /// Each line's probability and its `top` reasons, largest effect first.
    pub fn explain(&self, deliveries: &[Delivery], top: usize) -> Vec<(f64, Vec<Reason>)> {
        self.features(deliveries)
            .iter()
            .zip(deliveries)
            .map(|(line, delivery)| {
                let probability = self.calibration.probability(self.booster.log_odds(&line.values));
                let (_, contributions) = self.booster.contributions(&line.values);
                let reasons = explain::reasons(&self.schema, delivery, line, &contributions, self.calibration.slope);
                (probability, reasons.into_iter().take(top).collect())
            })
            .collect()
    }

    /// The features of lines to score, as the trees see them (for comparing other learners on them).
    pub fn features(&self, deliveries: &[Delivery]) -> Vec<LineFeatures> {
        self.schema.score_features(&self.history, deliveries)
    }

    /// The features of training lines, each with its causal record, as training computed them.
    pub fn training_features(&self, deliveries: &[Delivery]) -> Vec<LineFeatures> {
        self.schema.training_features(&self.history, deliveries)
    }

    pub fn schema(&self) -> &FeatureSchema {
        &self.schema
    }
}

/// Trains trees on the first `earlier_lines` (in time order) and fits Platt on the rest, scored as new lines.
fn fit_calibration(
    schema: &FeatureSchema,
    lines: &[Delivery],
    labels: &[bool],
    earlier_lines: usize,
    config: &LateRiskConfig,
) -> Option<Platt> {
    let (earlier, slice) = lines.split_at(earlier_lines);
    let (earlier_labels, slice_labels) = labels.split_at(earlier_lines);
    let both_outcomes = |labels: &[bool]| labels.contains(&true) && labels.contains(&false);
    if slice.len() < CALIBRATION_LINES_MIN || !both_outcomes(slice_labels) || !both_outcomes(earlier_labels) {
        return None;
    }
    let history = History::new(earlier);
    let rows = feature_rows(&schema.training_features(&history, earlier));
    let booster = Booster::train(&rows, earlier_labels, &config.boosting);
    let slice_scores: Vec<f64> = schema
        .score_features(&history, slice)
        .iter()
        .map(|line| booster.log_odds(&line.values))
        .collect();
    Platt::fit(&slice_scores, slice_labels)
}

fn feature_rows(lines: &[LineFeatures]) -> Vec<Vec<f64>> {
    lines.iter().map(|line| line.values.clone()).collect()
}

/// A time split: the lines scheduled up to `cut` (and those without a scheduled day), and the later ones.
pub fn split_at_scheduled(deliveries: &[Delivery], cut: NaiveDate) -> (Vec<Delivery>, Vec<Delivery>) {
    deliveries
        .iter()
        .cloned()
        .partition(|delivery| delivery.scheduled.is_none_or(|scheduled| scheduled <= cut))
}

/// The outcomes of lines with one (lines without are left out): what an evaluation compares against.
pub fn outcomes(deliveries: &[Delivery]) -> (Vec<Delivery>, Vec<bool>) {
    deliveries
        .iter()
        .filter_map(|delivery| training_outcome(delivery).ok().map(|late| (delivery.clone(), late)))
        .unzip()
}
