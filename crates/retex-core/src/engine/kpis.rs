//! How the operation is doing, as the dashboard and `GET /api/v1/kpis` show it: open exceptions by category and
//! severity, aging, SLA compliance, MTTA and MTTR, repeat rate, financial impact, the root-cause Pareto and each
//! store's exception rate per 1,000 sale lines with the abnormal ones flagged.
//!
//! Everything is computed at an instant passed in (the engine's clock or the wall clock), over the exceptions a
//! user may see, so a store user's dashboard is about their store.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::{Money, Timestamp};
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, TypeRef};
use crate::engine::stats::day_of;
use crate::rules::{ExceptionType, Severity};

/// Upper bounds of the aging buckets of open exceptions, in hours, and their labels; the last is open-ended.
const AGING_BUCKETS: [(i64, &str); 5] = [
    (4, "< 4 h"),
    (24, "4-24 h"),
    (72, "1-3 d"),
    (168, "3-7 d"),
    (i64::MAX, "> 7 d"),
];

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Kpis {
    /// The instant they were computed at (RFC 3339).
    pub at: String,
    pub total: u64,
    /// Not resolved and not dismissed.
    pub open: u64,
    pub open_by_category: Vec<CategoryCounts>,
    pub aging: Vec<AgingBucket>,
    /// Share of exceptions acknowledged in time among those whose acknowledgement is done or due.
    pub ack_compliance: Option<f64>,
    /// Share resolved in time among those whose resolution is done or due.
    pub resolve_compliance: Option<f64>,
    /// Mean time to acknowledge, in hours (a resolution without acknowledgement counts as one).
    pub mtta_hours: Option<f64>,
    /// Mean time to resolve, in hours, over resolved and dismissed exceptions.
    pub mttr_hours: Option<f64>,
    /// Share of exceptions that repeat an earlier one with the same type and key.
    pub repeat_rate: Option<f64>,
    pub impact_open: Money,
    pub impact_total: Money,
    /// Root causes given at resolution, most frequent first, with the cumulative share.
    pub root_causes: Vec<RootCauseCount>,
    /// Stores by exception rate, highest first.
    pub stores: Vec<StoreRate>,
    /// Each statistical detector's alerts as the field answered them: the only precision a store can measure.
    /// Detectors the rules turn off are left out.
    pub confirmation: Vec<ConfirmationRate>,
}

/// How often the field confirmed a statistical detector's exceptions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct ConfirmationRate {
    #[serde(rename = "type")]
    pub exception_type: &'static str,
    pub confirmed: u64,
    pub not_confirmed: u64,
    /// Not answered yet.
    pub pending: u64,
    /// `confirmed / (confirmed + not_confirmed)`, when any was answered.
    pub rate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct CategoryCounts {
    pub category: String,
    pub low: u64,
    pub medium: u64,
    pub high: u64,
    pub critical: u64,
    pub total: u64,
    pub impact: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct AgingBucket {
    pub label: &'static str,
    pub open: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct RootCauseCount {
    pub root_cause: &'static str,
    pub count: u64,
    pub cumulative_share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct StoreRate {
    pub location: String,
    /// Exceptions opened at the store over the `store_exception_rate` window.
    pub exceptions: u64,
    pub sale_lines: u64,
    pub per_thousand_sale_lines: Option<f64>,
    /// Abnormally high for its sales by the rules' statistical test (see the rules reference).
    pub outlier: bool,
}

/// Running sums for one mean.
#[derive(Default)]
struct Mean {
    sum_ms: i64,
    count: u64,
}

impl Mean {
    fn add(&mut self, from: Timestamp, to: Timestamp) {
        self.sum_ms += (to.0 - from.0).max(0);
        self.count += 1;
    }

    fn hours(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ms as f64 / self.count as f64 / Timestamp::MILLIS_PER_HOUR as f64)
    }
}

/// Met and due counts for one SLA target.
#[derive(Default)]
struct Compliance {
    met: u64,
    due: u64,
}

impl Compliance {
    fn add(&mut self, done_or_due: bool, breached: bool) {
        if done_or_due {
            self.due += 1;
            self.met += u64::from(!breached);
        }
    }

    fn share(&self) -> Option<f64> {
        share(self.met, self.due)
    }
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Engine {
    /// The KPIs at `now` over the exceptions visible to `scope` (`None`: all).
    pub fn kpis(&self, now: Timestamp, scope: Option<&[String]>) -> Kpis {
        let mut categories: BTreeMap<&str, CategoryCounts> = BTreeMap::new();
        let mut aging = [0u64; AGING_BUCKETS.len()];
        let (mut ack, mut resolve) = (Compliance::default(), Compliance::default());
        let (mut mtta, mut mttr) = (Mean::default(), Mean::default());
        let mut root_causes: BTreeMap<&'static str, u64> = BTreeMap::new();
        let (mut total, mut open, mut repeats) = (0u64, 0u64, 0u64);
        let (mut impact_open, mut impact_total) = (Money::ZERO, Money::ZERO);
        let mut confirmation: Vec<ConfirmationRate> = (ExceptionType::ALL.into_iter())
            // Only the detectors that run: a type the rules turn off has nothing to confirm.
            .filter(|&exception_type| exception_type.is_statistical() && self.config.rules.is_enabled(exception_type))
            .map(|exception_type| ConfirmationRate {
                exception_type: exception_type.name(),
                ..ConfirmationRate::default()
            })
            .collect();
        for record in self.state.book.exceptions.records() {
            if !self.in_scope(record, scope) {
                continue;
            }
            total += 1;
            if let TypeRef::BuiltIn(exception_type) = record.key.exception_type
                && let Some(rate) = confirmation
                    .iter_mut()
                    .find(|rate| rate.exception_type == exception_type.name())
            {
                match record.confirmed {
                    Some(true) => rate.confirmed += 1,
                    Some(false) => rate.not_confirmed += 1,
                    None => rate.pending += 1,
                }
            }
            repeats += u64::from(record.repeat_of.is_some());
            impact_total = Money(impact_total.0 + record.impact.0);
            let acknowledged_at = record.acknowledged_at.or(record.resolved_at);
            let active = record.status.is_active();
            ack.add(
                acknowledged_at.is_some() || record.ack_due <= now,
                record.ack_breached || (acknowledged_at.is_none() && record.ack_due <= now),
            );
            resolve.add(
                !active || record.resolve_due <= now,
                record.resolve_breached || (active && record.resolve_due <= now),
            );
            if let Some(at) = acknowledged_at {
                mtta.add(record.opened_at, at);
            }
            if let Some(at) = record.resolved_at {
                mttr.add(record.opened_at, at);
            }
            if let Some(cause) = record.root_cause {
                *root_causes.entry(cause.name()).or_default() += 1;
            }
            if active {
                open += 1;
                impact_open = Money(impact_open.0 + record.impact.0);
                self.count_open(record, now, &mut categories, &mut aging);
            }
        }
        Kpis {
            at: now.to_rfc3339(),
            total,
            open,
            open_by_category: categories
                .into_values()
                .map(|counts| CategoryCounts {
                    impact: cents(counts.impact),
                    ..counts
                })
                .collect(),
            aging: AGING_BUCKETS
                .iter()
                .zip(aging)
                .map(|((_, label), open)| AgingBucket { label, open })
                .collect(),
            ack_compliance: ack.share(),
            resolve_compliance: resolve.share(),
            mtta_hours: mtta.hours(),
            mttr_hours: mttr.hours(),
            repeat_rate: share(repeats, total),
            impact_open: cents(impact_open),
            impact_total: cents(impact_total),
            root_causes: pareto(root_causes),
            stores: self.store_rates(now, scope),
            confirmation: confirmation
                .into_iter()
                .map(|rate| ConfirmationRate {
                    rate: share(rate.confirmed, rate.confirmed + rate.not_confirmed),
                    ..rate
                })
                .collect(),
        }
    }

    fn count_open<'a>(
        &'a self,
        record: &ExceptionRecord,
        now: Timestamp,
        categories: &mut BTreeMap<&'a str, CategoryCounts>,
        aging: &mut [u64; AGING_BUCKETS.len()],
    ) {
        let category = self.type_category(record.key.exception_type);
        let counts = categories.entry(category).or_insert_with(|| CategoryCounts {
            category: category.to_string(),
            ..CategoryCounts::default()
        });
        counts.total += 1;
        counts.impact = Money(counts.impact.0 + record.impact.0);
        *match record.severity {
            Severity::Low => &mut counts.low,
            Severity::Medium => &mut counts.medium,
            Severity::High => &mut counts.high,
            Severity::Critical => &mut counts.critical,
        } += 1;
        let age_hours = (now.0 - record.opened_at.0).max(0) / Timestamp::MILLIS_PER_HOUR;
        let bucket = AGING_BUCKETS
            .iter()
            .position(|(upper, _)| age_hours < *upper)
            .unwrap_or(AGING_BUCKETS.len() - 1);
        aging[bucket] += 1;
    }

    /// Exceptions per 1,000 sale lines per store over the `store_exception_rate` window up to today (so far),
    /// flagged by the same test the detector runs (none are flagged when no model is configured).
    fn store_rates(&self, now: Timestamp, scope: Option<&[String]>) -> Vec<StoreRate> {
        let view = self.store_rate_view();
        let (window_days, params) = view.test_params();
        let (windows, _) = view.windows(day_of(now), window_days);
        let abnormal = self
            .config
            .insight
            .as_ref()
            .map(|insight| insight.abnormal_stores(&windows, params))
            .unwrap_or_default();
        let mut rates: Vec<StoreRate> = windows
            .into_iter()
            .filter(|window| scope.is_none_or(|scope| scope.contains(&window.location)))
            .map(|window| StoreRate {
                outlier: abnormal.contains(&window.location),
                per_thousand_sale_lines: (window.sale_lines > 0)
                    .then(|| window.exceptions as f64 * 1000.0 / window.sale_lines as f64),
                location: window.location,
                exceptions: window.exceptions,
                sale_lines: window.sale_lines,
            })
            .collect();
        rates.sort_by(|a, b| {
            let rate = |store: &StoreRate| store.per_thousand_sale_lines.unwrap_or(-1.0);
            rate(b).total_cmp(&rate(a)).then_with(|| a.location.cmp(&b.location))
        });
        rates
    }
}

/// Money rounded to cents, for sums of impacts computed to more places.
fn cents(money: Money) -> Money {
    Money(money.0.round_dp(2))
}

/// Counts most frequent first (ties by name) with the running share of the total.
fn pareto(counts: BTreeMap<&'static str, u64>) -> Vec<RootCauseCount> {
    let total: u64 = counts.values().sum();
    let mut sorted: Vec<(&'static str, u64)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut running = 0;
    sorted
        .into_iter()
        .map(|(root_cause, count)| {
            running += count;
            RootCauseCount {
                root_cause,
                count,
                cumulative_share: running as f64 / total as f64,
            }
        })
        .collect()
}
