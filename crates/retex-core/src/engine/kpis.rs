//! How the operation is doing, as the dashboard, the reports and `GET /api/v1/kpis` show it: open exceptions by
//! category and severity, aging, SLA compliance, MTTA and MTTR, repeat rate, resolution quality, financial
//! impact, the root-cause Pareto, figures per type and each store's exception rate per 1,000 sale lines with the
//! abnormal ones flagged.
//!
//! Everything is computed at an instant passed in (the engine's clock or the wall clock), over the exceptions a
//! user may see, so a store user's dashboard is about their store. What is open is counted at that instant; the
//! flow figures (how many opened, how fast they were acknowledged and resolved, how well the resolutions held)
//! are over the exceptions opened in a [`Period`] (all time without one), with the same figures for the period
//! of the same length just before it, for the trend.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};

use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::{Money, Timestamp};
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, TypeRef};
use crate::engine::stats::day_of;
use crate::engine::suggestions::{HOLD_WINDOW_MS, resolution_held};
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
    /// The period the flow figures cover; absent: all time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodView>,
    #[serde(flatten)]
    pub flow: FlowFigures,
    /// The flow figures over the period of the same length just before, for the trend; absent without a period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<FlowFigures>,
    /// Not resolved and not dismissed, now.
    pub open: u64,
    pub open_by_category: Vec<CategoryCounts>,
    pub aging: Vec<AgingBucket>,
    pub impact_open: Money,
    /// Root causes given at resolution to exceptions opened in the period, most frequent first, with the
    /// cumulative share.
    pub root_causes: Vec<RootCauseCount>,
    /// The flow figures of each exception type with an exception opened in the period, by type name.
    pub by_type: Vec<TypeFigures>,
    /// Stores by exception rate over the `store_exception_rate` window up to now, highest first.
    pub stores: Vec<StoreRate>,
    /// Each statistical detector's alerts opened in the period as the field answered them: the only precision a
    /// store can measure. Detectors the rules turn off are left out.
    pub confirmation: Vec<ConfirmationRate>,
}

/// A half-open span of time `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// A [`Period`] as the API writes it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PeriodView {
    /// RFC 3339, included.
    pub from: String,
    /// RFC 3339, excluded.
    pub to: String,
}

/// What happened to the exceptions opened in a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct FlowFigures {
    /// Exceptions opened.
    pub total: u64,
    /// Of those, resolved or dismissed by now.
    pub closed: u64,
    /// Share acknowledged in time among those whose acknowledgement is done or due (a resolution in time
    /// meets the acknowledgement target too).
    pub ack_compliance: Option<f64>,
    /// Share resolved in time among those whose resolution is done or due.
    pub resolve_compliance: Option<f64>,
    /// Mean time from opening to a person's acknowledgement, in hours, over the acknowledged ones.
    pub mtta_hours: Option<f64>,
    /// Mean time from opening to resolution or dismissal, in hours.
    pub mttr_hours: Option<f64>,
    /// Share that repeat an earlier exception with the same type and key.
    pub repeat_rate: Option<f64>,
    /// Share of people's resolutions that held: not reopened, and not repeated, within 14 days. Counted over
    /// the resolutions at least 14 days old and those already undone.
    pub resolution_quality: Option<f64>,
    pub impact_total: Money,
}

/// One exception type's flow figures over a period.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TypeFigures {
    #[serde(rename = "type")]
    pub exception_type: String,
    pub category: String,
    #[serde(flatten)]
    pub flow: FlowFigures,
}

/// How often the field confirmed a statistical detector's exceptions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct ConfirmationRate {
    #[serde(rename = "type")]
    pub exception_type: &'static str,
    pub confirmed: u64,
    pub not_confirmed: u64,
    /// Still active, not answered yet.
    pub pending: u64,
    /// Ended without an answer: a `phantom_stock` that sold again before any count.
    pub unanswered: u64,
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

/// The flow figures of a set of exceptions, as they are added.
#[derive(Default)]
struct FlowTally {
    total: u64,
    closed: u64,
    ack: Compliance,
    resolve: Compliance,
    mtta: Mean,
    mttr: Mean,
    repeats: u64,
    held: u64,
    judged: u64,
    impact: Money,
}

impl FlowTally {
    fn add(&mut self, record: &ExceptionRecord, now: Timestamp, first_repeat_at: Option<Timestamp>) {
        self.total += 1;
        self.repeats += u64::from(record.repeat_of.is_some());
        self.impact = Money(self.impact.0 + record.impact.0);
        let active = record.status.is_active();
        self.closed += u64::from(!active);
        let ack_or_resolved_at = record.acknowledged_at.or(record.resolved_at);
        self.ack.add(
            ack_or_resolved_at.is_some() || record.ack_due <= now,
            record.ack_breached || (ack_or_resolved_at.is_none() && record.ack_due <= now),
        );
        self.resolve.add(
            !active || record.resolve_due <= now,
            record.resolve_breached || (active && record.resolve_due <= now),
        );
        if let Some(at) = record.acknowledged_at {
            self.mtta.add(record.opened_at, at);
        }
        if let Some(at) = record.resolved_at {
            self.mttr.add(record.opened_at, at);
        }
        if record.root_cause.is_some() {
            if !resolution_held(record, first_repeat_at) {
                self.judged += 1;
            } else if record.resolved_at.is_some_and(|at| now.0 - at.0 >= HOLD_WINDOW_MS) {
                self.judged += 1;
                self.held += 1;
            }
        }
    }

    fn figures(&self) -> FlowFigures {
        FlowFigures {
            total: self.total,
            closed: self.closed,
            ack_compliance: self.ack.share(),
            resolve_compliance: self.resolve.share(),
            mtta_hours: self.mtta.hours(),
            mttr_hours: self.mttr.hours(),
            repeat_rate: share(self.repeats, self.total),
            resolution_quality: share(self.held, self.judged),
            impact_total: cents(self.impact),
        }
    }
}

impl Period {
    /// The period of the same length that ends where this one starts.
    pub fn previous(self) -> Period {
        Period {
            from: Timestamp(self.from.0 - (self.to.0 - self.from.0)),
            to: self.from,
        }
    }

    pub fn contains(self, at: Timestamp) -> bool {
        self.from <= at && at < self.to
    }

    /// A month (`2026-11`), an ISO week (`2026-W47`) or a day (`2026-11-30`), in UTC.
    pub fn named(name: &str) -> Result<Period, String> {
        let invalid = || format!("{name:?} is not a month (2026-11), an ISO week (2026-W47) or a day (2026-11-30)");
        let (from, to) = if let Some((year, week)) = name.split_once("-W") {
            let year: i32 = year.parse().map_err(|_| invalid())?;
            let week: u32 = week.parse().map_err(|_| invalid())?;
            let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(invalid)?;
            (monday, monday + Days::new(7))
        } else if name.len() == 7 {
            let first = NaiveDate::parse_from_str(&format!("{name}-01"), "%Y-%m-%d").map_err(|_| invalid())?;
            (first, first.checked_add_months(Months::new(1)).ok_or_else(invalid)?)
        } else {
            let day = NaiveDate::parse_from_str(name, "%Y-%m-%d").map_err(|_| invalid())?;
            (day, day + Days::new(1))
        };
        Ok(Period {
            from: midnight(from),
            to: midnight(to),
        })
    }

    /// The last complete ISO week (Monday to Monday, UTC) before `now`: what a weekly report is about.
    pub fn last_full_week(now: Timestamp) -> Period {
        let today = DateTime::from_timestamp_millis(now.0).map_or(NaiveDate::MIN, |at| at.date_naive());
        let this_monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
        Period {
            from: midnight(this_monday - Days::new(7)),
            to: midnight(this_monday),
        }
    }

    /// From `from` to `to`, each an RFC 3339 instant or a UTC day (`to` as a day includes it).
    pub fn between(from: &str, to: &str) -> Result<Period, String> {
        let instant = |text: &str, day_end: bool| -> Result<Timestamp, String> {
            if let Ok(at) = Timestamp::parse_rfc3339(text) {
                return Ok(at);
            }
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("{text:?} is neither an RFC 3339 instant nor a day (2026-11-30)"))?;
            Ok(midnight(if day_end { day + Days::new(1) } else { day }))
        };
        let period = Period {
            from: instant(from, false)?,
            to: instant(to, true)?,
        };
        if period.from >= period.to {
            return Err(format!("the period must end after it starts: {from} to {to}"));
        }
        Ok(period)
    }
}

fn midnight(day: NaiveDate) -> Timestamp {
    Timestamp(day.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
}

impl Engine {
    /// The KPIs at `now` over the exceptions visible to `scope` (`None`: all), the flow figures over all time.
    pub fn kpis(&self, now: Timestamp, scope: Option<&[String]>) -> Kpis {
        self.kpis_over(now, scope, None)
    }

    /// The KPIs at `now` over the exceptions visible to `scope`, the flow figures over those opened in `period`
    /// (all time when `None`) and, with a period, over the one just before it.
    pub fn kpis_over(&self, now: Timestamp, scope: Option<&[String]>, period: Option<Period>) -> Kpis {
        let book = &self.state.book.exceptions;
        let previous_period = period.map(Period::previous);
        let (mut flow, mut previous) = (FlowTally::default(), FlowTally::default());
        let mut by_type: BTreeMap<&str, (&str, FlowTally)> = BTreeMap::new();
        let mut categories: BTreeMap<&str, CategoryCounts> = BTreeMap::new();
        let mut aging = [0u64; AGING_BUCKETS.len()];
        let mut root_causes: BTreeMap<&'static str, u64> = BTreeMap::new();
        let (mut open, mut impact_open) = (0u64, Money::ZERO);
        let mut confirmation: Vec<ConfirmationRate> = (ExceptionType::ALL.into_iter())
            // Only the detectors that run: a type the rules turn off has nothing to confirm.
            .filter(|&exception_type| exception_type.is_statistical() && self.config.rules.is_enabled(exception_type))
            .map(|exception_type| ConfirmationRate {
                exception_type: exception_type.name(),
                ..ConfirmationRate::default()
            })
            .collect();
        for record in book.records() {
            if !self.in_scope(record, scope) {
                continue;
            }
            if record.status.is_active() {
                open += 1;
                impact_open = Money(impact_open.0 + record.impact.0);
                self.count_open(record, now, &mut categories, &mut aging);
            }
            let first_repeat_at = book.first_repeat_at(record.id);
            if previous_period.is_some_and(|previous_period| previous_period.contains(record.opened_at)) {
                previous.add(record, now, first_repeat_at);
            }
            if !period.is_none_or(|period| period.contains(record.opened_at)) {
                continue;
            }
            flow.add(record, now, first_repeat_at);
            let type_name = self.type_name(record.key.exception_type);
            let category = self.type_category(record.key.exception_type);
            let (_, tally) = by_type
                .entry(type_name)
                .or_insert_with(|| (category, FlowTally::default()));
            tally.add(record, now, first_repeat_at);
            count_confirmation(record, &mut confirmation);
            if let Some(cause) = record.root_cause {
                *root_causes.entry(cause.name()).or_default() += 1;
            }
        }
        Kpis {
            at: now.to_rfc3339(),
            period: period.map(|period| PeriodView {
                from: period.from.to_rfc3339(),
                to: period.to.to_rfc3339(),
            }),
            flow: flow.figures(),
            previous: period.map(|_| previous.figures()),
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
            impact_open: cents(impact_open),
            root_causes: pareto(root_causes),
            by_type: by_type
                .into_iter()
                .map(|(exception_type, (category, tally))| TypeFigures {
                    exception_type: exception_type.to_owned(),
                    category: category.to_owned(),
                    flow: tally.figures(),
                })
                .collect(),
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
        let abnormal: Vec<String> = abnormal.into_iter().map(|store| store.location).collect();
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

/// Counts a statistical exception's answer from the field under its detector.
fn count_confirmation(record: &ExceptionRecord, confirmation: &mut [ConfirmationRate]) {
    let TypeRef::BuiltIn(exception_type) = record.key.exception_type else {
        return;
    };
    let Some(rate) = confirmation
        .iter_mut()
        .find(|rate| rate.exception_type == exception_type.name())
    else {
        return;
    };
    match record.confirmed {
        Some(true) => rate.confirmed += 1,
        Some(false) => rate.not_confirmed += 1,
        None if record.status.is_active() => rate.pending += 1,
        None => rate.unanswered += 1,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn periods_are_named_by_month_iso_week_or_day() {
        let november = Period::named("2026-11").unwrap();
        assert_eq!(
            (november.from, november.to),
            (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
        let week = Period::named("2026-W47").unwrap();
        assert_eq!(
            (week.from, week.to),
            (at("2026-11-16T00:00:00Z"), at("2026-11-23T00:00:00Z"))
        );
        let day = Period::named("2026-11-30").unwrap();
        assert_eq!(
            (day.from, day.to),
            (at("2026-11-30T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
        assert_eq!(week.previous().from, at("2026-11-09T00:00:00Z"));
        assert_eq!(Period::last_full_week(at("2026-11-25T10:00:00Z")), week);
        assert_eq!(Period::last_full_week(at("2026-11-23T00:00:00Z")), week);
        for wrong in ["2026-13", "2026-W54", "November", "2026-11-31", ""] {
            assert!(Period::named(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_period_between_days_includes_the_last_day() {
        let period = Period::between("2026-11-01", "2026-11-07").unwrap();
        assert_eq!(
            (period.from, period.to),
            (at("2026-11-01T00:00:00Z"), at("2026-11-08T00:00:00Z"))
        );
        let exact = Period::between("2026-11-01T06:00:00Z", "2026-11-01T18:00:00+01:00").unwrap();
        assert_eq!(exact.to, at("2026-11-01T17:00:00Z"));
        assert!(
            Period::between("2026-11-07", "2026-11-01")
                .unwrap_err()
                .contains("end after it starts")
        );
        assert!(
            Period::between("yesterday", "2026-11-01")
                .unwrap_err()
                .contains("\"yesterday\"")
        );
    }
}
