//! What the model sees of a PO line: only what was known before it was delivered.
//!
//! # Features, and why each is known before delivery
//! - **The record so far** of the line's vendor, country, lane (shipment mode to country) and shipment mode:
//!   how many of their deliveries had arrived, and how many of those late, counting only deliveries delivered
//!   before the line's *as-of day* (its scheduled delivery day less [`RecordConfig::horizon_days`]), never the
//!   line itself. [`History`] keeps each key's deliveries sorted by delivery day with running late counts, so
//!   the record is a binary search. Training lines get their record from the training history in time order;
//!   lines to score get it from the training history with the same as-of rule. A rate is smoothed towards the
//!   overall rate so far: `(late + w * prior) / (delivered + w)`.
//! - **The order as asked**: lead time asked (scheduled delivery less PO sent to vendor; and less PQ first
//!   sent to client), the scheduled month (season), line quantity and value (logarithms), pack and unit
//!   price, whether it predates the PQ process, how many lines share its PO in the same file and their total
//!   value, and indicators for the frequent values of project, vendor, country, shipment mode, fulfil via, INCO term, product group, sub
//!   classification, dosage form and first-line designation.
//! - **Left out**: the delivered and recorded dates (the outcome), the ASN/DN number, weight, freight cost and
//!   insurance. The last four are written when the shipment's notice is raised, i.e. at or after shipment,
//!   and a `See ASN-...` weight already says which shipment the line travelled in.

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;

use super::scms::{Delivery, training_outcome};

/// How the record so far is taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordConfig {
    /// The record counts deliveries delivered this many days or more before the scheduled delivery day.
    pub horizon_days: i64,
    /// The weight `w` of the prior (the overall rate so far) in a smoothed rate, in deliveries.
    pub prior_weight: f64,
    /// A value gets an indicator feature when at least this many training lines have it.
    pub indicator_min_lines: usize,
    /// Whether the overall late rate so far is a feature (it is always the smoothed rates' prior).
    pub overall_rate_feature: bool,
}

impl Default for RecordConfig {
    fn default() -> Self {
        Self {
            horizon_days: 30,
            prior_weight: 10.0,
            indicator_min_lines: 30,
            overall_rate_feature: false,
        }
    }
}

/// Deliveries to date and how many of them were late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    pub delivered: u32,
    pub late: u32,
}

impl Record {
    /// `(late + weight * prior) / (delivered + weight)`.
    pub fn smoothed_rate(self, prior: f64, weight: f64) -> f64 {
        (f64::from(self.late) + weight * prior) / (f64::from(self.delivered) + weight)
    }
}

/// The keys a record is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKey {
    Vendor,
    Country,
    Lane,
    ShipmentMode,
}

pub const RECORD_KEYS: [RecordKey; 4] = [
    RecordKey::Vendor,
    RecordKey::Country,
    RecordKey::Lane,
    RecordKey::ShipmentMode,
];

impl RecordKey {
    fn of(self, delivery: &Delivery) -> String {
        match self {
            Self::Vendor => delivery.vendor.clone(),
            Self::Country => delivery.country.clone(),
            Self::Lane => lane(delivery),
            Self::ShipmentMode => delivery.shipment_mode.clone(),
        }
    }
}

/// `Air to Nigeria`.
pub fn lane(delivery: &Delivery) -> String {
    format!("{} to {}", delivery.shipment_mode, delivery.country)
}

/// One key's deliveries in delivery-day order, with running late counts.
#[derive(Debug, Clone, Default)]
struct Timeline {
    delivered_days: Vec<i32>,
    /// `late_so_far[i]`: late deliveries among the first `i + 1`.
    late_so_far: Vec<u32>,
}

impl Timeline {
    fn before(&self, day: i32) -> Record {
        let delivered = self
            .delivered_days
            .partition_point(|&delivered_day| delivered_day < day);
        let late = if delivered == 0 {
            0
        } else {
            self.late_so_far[delivered - 1]
        };
        Record {
            delivered: delivered as u32,
            late,
        }
    }
}

/// The training lines' outcomes, for the record so far of any line.
#[derive(Debug, Clone, Default)]
pub struct History {
    timelines: [FxHashMap<String, Timeline>; 4],
    all: Timeline,
}

/// A line's records at its as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Records {
    /// Indexed like [`RECORD_KEYS`].
    pub by_key: [Record; 4],
    pub all: Record,
}

pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

impl History {
    /// From the lines with an outcome; others are left out.
    pub fn new(deliveries: &[Delivery]) -> Self {
        let mut events: Vec<(i32, bool, &Delivery)> = Vec::new();
        for delivery in deliveries {
            if let (Ok(late), Ok(delivered)) = (training_outcome(delivery), delivery.delivered) {
                events.push((day_number(delivered), late, delivery));
            }
        }
        // Stable order: by delivery day, then file line.
        events.sort_by_key(|(day, _, delivery)| (*day, delivery.line));
        let mut history = Self::default();
        for (day, late, delivery) in events {
            for (index, key) in RECORD_KEYS.iter().enumerate() {
                let timeline = history.timelines[index].entry(key.of(delivery)).or_default();
                push(timeline, day, late);
            }
            push(&mut history.all, day, late);
        }
        history
    }

    /// The records of `delivery`'s keys from deliveries delivered before `as_of_day`, leaving out the line's
    /// own outcome when it is in the history (`own`: its delivery day and whether it was late).
    pub fn records(&self, delivery: &Delivery, as_of_day: i32, own: Option<(i32, bool)>) -> Records {
        let mut records = Records {
            all: self.all.before(as_of_day),
            ..Records::default()
        };
        for (index, key) in RECORD_KEYS.iter().enumerate() {
            if let Some(timeline) = self.timelines[index].get(&key.of(delivery)) {
                records.by_key[index] = timeline.before(as_of_day);
            }
        }
        if let Some((own_day, own_late)) = own
            && own_day < as_of_day
        {
            for record in records.by_key.iter_mut().chain(std::iter::once(&mut records.all)) {
                record.delivered -= 1;
                record.late -= u32::from(own_late);
            }
        }
        records
    }
}

fn push(timeline: &mut Timeline, day: i32, late: bool) {
    let before = timeline.late_so_far.last().copied().unwrap_or(0);
    timeline.delivered_days.push(day);
    timeline.late_so_far.push(before + u32::from(late));
}

/// The day a line's record is taken at: its scheduled day less the horizon; no scheduled day takes all.
pub fn as_of_day(delivery: &Delivery, config: &RecordConfig) -> i32 {
    delivery.scheduled.map_or(i32::MAX, |scheduled| {
        day_number(scheduled) - i32::try_from(config.horizon_days).unwrap_or(i32::MAX)
    })
}

/// A column that gets indicator features for its frequent values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    ProjectCode,
    Vendor,
    Country,
    ShipmentMode,
    FulfillVia,
    IncoTerm,
    ProductGroup,
    SubClassification,
    DosageForm,
    FirstLineDesignation,
}

pub const INDICATOR_COLUMNS: [Column; 10] = [
    Column::ProjectCode,
    Column::Vendor,
    Column::Country,
    Column::ShipmentMode,
    Column::FulfillVia,
    Column::IncoTerm,
    Column::ProductGroup,
    Column::SubClassification,
    Column::DosageForm,
    Column::FirstLineDesignation,
];

impl Column {
    pub fn value(self, delivery: &Delivery) -> &str {
        match self {
            Self::ProjectCode => &delivery.project_code,
            Self::Vendor => &delivery.vendor,
            Self::Country => &delivery.country,
            Self::ShipmentMode => &delivery.shipment_mode,
            Self::FulfillVia => &delivery.fulfill_via,
            Self::IncoTerm => &delivery.inco_term,
            Self::ProductGroup => &delivery.product_group,
            Self::SubClassification => &delivery.sub_classification,
            Self::DosageForm => &delivery.dosage_form,
            Self::FirstLineDesignation => &delivery.first_line_designation,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ProjectCode => "project",
            Self::Vendor => "vendor",
            Self::Country => "country",
            Self::ShipmentMode => "shipment mode",
            Self::FulfillVia => "fulfil via",
            Self::IncoTerm => "INCO term",
            Self::ProductGroup => "product group",
            Self::SubClassification => "sub classification",
            Self::DosageForm => "dosage form",
            Self::FirstLineDesignation => "first-line designation",
        }
    }
}

/// One input of the trees.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// The smoothed late rate of the line's key so far.
    RecordRate(RecordKey),
    /// The overall late rate so far.
    OverallRate,
    LeadTimeFromPoDays,
    LeadTimeFromPqDays,
    ScheduledMonth,
    QuantityLog,
    ValueLog,
    PackPrice,
    UnitPrice,
    PrePqProcess,
    LinesOnPo,
    /// The logarithm of the PO's value: its lines' values summed (among the lines given together).
    PoValueLog,
    /// 1 when the column holds the value.
    Is(Column, String),
}

/// The features, fixed at training (the indicators' values come from the training lines).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSchema {
    pub features: Vec<Feature>,
    pub record: RecordConfig,
}

/// A line's features and the records they were taken from (for explanations).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFeatures {
    /// Indexed like [`FeatureSchema::features`]; `NaN` where unknown.
    pub values: Vec<f64>,
    pub records: Records,
    pub lines_on_po: usize,
    pub po_value: Option<f64>,
}

impl FeatureSchema {
    /// The numeric features, then an indicator for each value at least `indicator_min_lines` training lines
    /// have (sorted, so the schema is the same whatever the line order).
    pub fn new(training: &[Delivery], record: RecordConfig) -> Self {
        let mut features: Vec<Feature> = RECORD_KEYS.iter().map(|&key| Feature::RecordRate(key)).collect();
        if record.overall_rate_feature {
            features.push(Feature::OverallRate);
        }
        features.extend([
            Feature::LeadTimeFromPoDays,
            Feature::LeadTimeFromPqDays,
            Feature::ScheduledMonth,
            Feature::QuantityLog,
            Feature::ValueLog,
            Feature::PackPrice,
            Feature::UnitPrice,
            Feature::PrePqProcess,
            Feature::LinesOnPo,
            Feature::PoValueLog,
        ]);
        for column in INDICATOR_COLUMNS {
            let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
            for delivery in training {
                *counts.entry(column.value(delivery)).or_default() += 1;
            }
            let mut frequent: Vec<&str> = counts
                .into_iter()
                .filter(|&(value, count)| count >= record.indicator_min_lines && !value.is_empty())
                .map(|(value, _)| value)
                .collect();
            frequent.sort_unstable();
            features.extend(frequent.into_iter().map(|value| Feature::Is(column, value.to_owned())));
        }
        Self { features, record }
    }

    pub fn names(&self) -> Vec<String> {
        self.features.iter().map(feature_name).collect()
    }

    /// The features of `delivery` with its `records` taken already; `lines_on_po` counts its PO's lines.
    pub fn line_features(&self, delivery: &Delivery, records: Records, po: PoTotals) -> LineFeatures {
        let prior = records.all.smoothed_rate(OVERALL_PRIOR_RATE, OVERALL_PRIOR_WEIGHT);
        let lead_days = |ordered: Option<NaiveDate>| match (delivery.scheduled, ordered) {
            (Some(scheduled), Some(ordered)) => (scheduled - ordered).num_days() as f64,
            _ => f64::NAN,
        };
        let known = |value: Option<f64>| value.unwrap_or(f64::NAN);
        let log = |value: Option<f64>| value.filter(|&value| value >= 0.0).map_or(f64::NAN, f64::ln_1p);
        let values = self
            .features
            .iter()
            .map(|feature| match feature {
                Feature::RecordRate(key) => {
                    records.by_key[*key as usize].smoothed_rate(prior, self.record.prior_weight)
                }
                Feature::OverallRate => prior,
                Feature::LeadTimeFromPoDays => lead_days(delivery.po_sent),
                Feature::LeadTimeFromPqDays => lead_days(delivery.pq_sent),
                Feature::ScheduledMonth => delivery
                    .scheduled
                    .map_or(f64::NAN, |scheduled| f64::from(scheduled.month())),
                Feature::QuantityLog => log(delivery.line_item_quantity),
                Feature::ValueLog => log(delivery.line_item_value),
                Feature::PackPrice => known(delivery.pack_price),
                Feature::UnitPrice => known(delivery.unit_price),
                Feature::PrePqProcess => f64::from(u8::from(delivery.pre_pq_process)),
                Feature::LinesOnPo => po.lines as f64,
                Feature::PoValueLog => log(po.value),
                Feature::Is(column, value) => f64::from(u8::from(column.value(delivery) == value)),
            })
            .collect();
        LineFeatures {
            values,
            records,
            lines_on_po: po.lines,
            po_value: po.value,
        }
    }

    /// Features of lines to score: records from `history` at each line's as-of day.
    pub fn score_features(&self, history: &History, deliveries: &[Delivery]) -> Vec<LineFeatures> {
        let po_totals = po_totals(deliveries);
        deliveries
            .iter()
            .map(|delivery| {
                let records = history.records(delivery, as_of_day(delivery, &self.record), None);
                self.line_features(delivery, records, po_of(&po_totals, delivery))
            })
            .collect()
    }

    /// Features of training lines (each with an outcome): records from `history`, which holds these lines,
    /// at each line's as-of day and without the line itself, so no later delivery reaches an earlier line.
    pub fn training_features(&self, history: &History, deliveries: &[Delivery]) -> Vec<LineFeatures> {
        let po_totals = po_totals(deliveries);
        deliveries
            .iter()
            .map(|delivery| {
                let own = match (training_outcome(delivery), delivery.delivered) {
                    (Ok(late), Ok(delivered)) => Some((day_number(delivered), late)),
                    _ => None,
                };
                let records = history.records(delivery, as_of_day(delivery, &self.record), own);
                self.line_features(delivery, records, po_of(&po_totals, delivery))
            })
            .collect()
    }
}

/// The overall rate before any delivery is known, and its weight in deliveries.
const OVERALL_PRIOR_RATE: f64 = 0.1;
const OVERALL_PRIOR_WEIGHT: f64 = 10.0;

/// A PO's lines and value among the lines given together.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PoTotals {
    pub lines: usize,
    /// `None` when a line's value is unknown.
    pub value: Option<f64>,
}

fn po_totals(deliveries: &[Delivery]) -> FxHashMap<&str, PoTotals> {
    let mut totals: FxHashMap<&str, PoTotals> = FxHashMap::default();
    for delivery in deliveries {
        if delivery.po_number.is_empty() {
            continue;
        }
        let total = totals.entry(delivery.po_number.as_str()).or_insert(PoTotals {
            lines: 0,
            value: Some(0.0),
        });
        total.lines += 1;
        total.value = total
            .value
            .zip(delivery.line_item_value)
            .map(|(sum, value)| sum + value);
    }
    totals
}

/// A line's PO totals; a line without a PO number is a PO of its own.
fn po_of(totals: &FxHashMap<&str, PoTotals>, delivery: &Delivery) -> PoTotals {
    totals.get(delivery.po_number.as_str()).copied().unwrap_or(PoTotals {
        lines: 1,
        value: delivery.line_item_value,
    })
}

pub fn feature_name(feature: &Feature) -> String {
    match feature {
        Feature::RecordRate(RecordKey::Vendor) => "vendor_late_rate_so_far".to_owned(),
        Feature::RecordRate(RecordKey::Country) => "country_late_rate_so_far".to_owned(),
        Feature::RecordRate(RecordKey::Lane) => "lane_late_rate_so_far".to_owned(),
        Feature::RecordRate(RecordKey::ShipmentMode) => "mode_late_rate_so_far".to_owned(),
        Feature::OverallRate => "overall_late_rate_so_far".to_owned(),
        Feature::LeadTimeFromPoDays => "lead_time_from_po_days".to_owned(),
        Feature::LeadTimeFromPqDays => "lead_time_from_pq_days".to_owned(),
        Feature::ScheduledMonth => "scheduled_month".to_owned(),
        Feature::QuantityLog => "line_quantity_log".to_owned(),
        Feature::ValueLog => "line_value_log".to_owned(),
        Feature::PackPrice => "pack_price".to_owned(),
        Feature::UnitPrice => "unit_price".to_owned(),
        Feature::PrePqProcess => "pre_pq_process".to_owned(),
        Feature::LinesOnPo => "lines_on_po".to_owned(),
        Feature::PoValueLog => "po_value_log".to_owned(),
        Feature::Is(column, value) => format!("{}={value}", column.label()),
    }
}
