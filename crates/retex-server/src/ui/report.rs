//! Reports: the KPIs of a period (a week, a month, any span) as a printable page and as CSV (`/reports`, and
//! `retex report` through [`report_csv`] and [`report_file`]), with the period picker and the per-type table the
//! dashboard shows too.

use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Days, Months, NaiveDate};
use retex_core::codes::Timestamp;
use retex_core::display;
use retex_core::engine::{FlowFigures, Kpis, Period};
use serde::Deserialize;

use super::page::{PageUser, UserBar, csv_attachment, page, page_at_clock, url_encode};
use crate::params::{PeriodParams, empty_as_none};
use crate::state::AppState;

/// "12.5%", or "–" when there is nothing to measure.
pub(super) fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |share| format!("{:.1}%", share * 100.0))
}

/// "5.2 h" up to two days, then "3.1 d"; "–" when there is nothing to measure.
pub(super) fn hours(value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(hours) if hours < 48.0 => format!("{hours:.1} h"),
        Some(hours) => format!("{:.1} d", hours / 24.0),
    }
}

/// One line of the per-type table: every figure already written for reading.
pub(super) struct FlowRow {
    pub label: String,
    pub category: String,
    pub opened: u64,
    pub closed: u64,
    pub ack: String,
    pub resolve: String,
    pub mtta: String,
    pub mttr: String,
    pub repeats: String,
    pub quality: String,
    pub impact: String,
}

impl FlowRow {
    /// The row of `flow`, its impact as money in `currency`.
    pub(super) fn new(label: &str, category: &str, flow: &FlowFigures, currency: &str) -> Self {
        Self {
            label: label.to_owned(),
            category: category.to_owned(),
            opened: flow.total,
            closed: flow.closed,
            ack: percent(flow.ack_compliance),
            resolve: percent(flow.resolve_compliance),
            mtta: hours(flow.mtta_hours),
            mttr: hours(flow.mttr_hours),
            repeats: percent(flow.repeat_rate),
            quality: percent(flow.resolution_quality),
            impact: display::money(flow.impact_total, currency),
        }
    }
}

/// The period's totals first, then one row per type, money in `currency`.
pub(super) fn flow_rows(k: &Kpis, currency: &str) -> Vec<FlowRow> {
    let mut rows = vec![FlowRow::new("all types", "", &k.flow, currency)];
    rows.extend(
        k.by_type
            .iter()
            .map(|row| FlowRow::new(&row.exception_type, &row.category, &row.flow, currency)),
    );
    rows
}

/// The KPIs as CSV: a header, the period's totals (`type` = `all`), then one row per type. Shares are
/// fractions, times are hours, empty when there was nothing to measure.
pub fn report_csv(k: &Kpis) -> String {
    let (from, to) = k
        .period
        .as_ref()
        .map_or(("", ""), |period| (period.from.as_str(), period.to.as_str()));
    let mut csv = String::from(
        "from,to,type,category,opened,closed,ack_compliance,resolve_compliance,mtta_hours,mttr_hours,repeat_rate,\
         resolution_quality,impact\n",
    );
    let number = |value: Option<f64>| value.map_or_else(String::new, |value| format!("{value:.3}"));
    let mut line = |label: &str, category: &str, flow: &FlowFigures| {
        let _ = writeln!(
            csv,
            "{from},{to},{label},{category},{},{},{},{},{},{},{},{},{}",
            flow.total,
            flow.closed,
            number(flow.ack_compliance),
            number(flow.resolve_compliance),
            number(flow.mtta_hours),
            number(flow.mttr_hours),
            number(flow.repeat_rate),
            number(flow.resolution_quality),
            flow.impact_total
        );
    };
    line("all", "", &k.flow);
    for row in &k.by_type {
        line(&row.exception_type, &row.category, &row.flow);
    }
    csv
}

/// "the week of 2026-11-16 (2026-W47)", "2026-11-01 to 2026-11-30": a period in words, its end day included.
pub(super) fn period_words(period: Option<Period>) -> String {
    let Some(period) = period else {
        return "all time".to_owned();
    };
    let day = |at: Timestamp| DateTime::from_timestamp_millis(at.0).map(|at| at.date_naive());
    let (Some(first), Some(end)) = (day(period.from), day(period.to)) else {
        return format!("{} to {}", period.from, period.to);
    };
    let last = end - Days::new(1);
    if first == last {
        first.to_string()
    } else {
        format!("{first} to {last}")
    }
}

/// A quick choice of period: its label and its query string.
pub(super) struct QuickPeriod {
    pub label: &'static str,
    pub query: String,
    pub current: bool,
}

/// Last 7 days, last 30 days, this month, last month and all time, each up to `now`'s day; the one that is
/// `chosen` is marked current.
pub(super) fn quick_periods(now: Timestamp, chosen: Option<Period>) -> Vec<QuickPeriod> {
    let today = DateTime::from_timestamp_millis(now.0).map_or(NaiveDate::MIN, |at| at.date_naive());
    let days_back = |days: u64| format!("from={}&to={today}", today - Days::new(days - 1));
    let month = |date: NaiveDate| format!("period={}", date.format("%Y-%m"));
    let last_month = today.checked_sub_months(Months::new(1)).unwrap_or(today);
    [
        ("Last 7 days", days_back(7)),
        ("Last 30 days", days_back(30)),
        ("This month", month(today)),
        ("Last month", month(last_month)),
        ("All time", "period=all".to_owned()),
    ]
    .into_iter()
    .map(|(label, query)| QuickPeriod {
        current: query_period(&query) == Some(chosen),
        label,
        query,
    })
    .collect()
}

/// The period a quick choice's query asks for (`Some(None)`: all time).
fn query_period(query: &str) -> Option<Option<Period>> {
    let mut params = PeriodParams::default();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=')?;
        let value = Some(value.to_owned());
        match key {
            "period" if value.as_deref() == Some("all") => return Some(None),
            "period" => params.period = value,
            "from" => params.from = value,
            "to" => params.to = value,
            _ => return None,
        }
    }
    params.period().ok()
}

/// The query string that asks for `period` again.
pub(super) fn period_query(period: Option<Period>) -> String {
    let Some(period) = period else {
        return "period=all".to_owned();
    };
    format!(
        "from={}&to={}",
        url_encode(&period.from.to_rfc3339()),
        url_encode(&period.to.to_rfc3339())
    )
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    user: Option<UserBar>,
    notice: Option<String>,
    title: String,
    k: Kpis,
    rows: Vec<FlowRow>,
    previous: Option<FlowRow>,
    csv_href: String,
    scoped: bool,
}

#[derive(Template)]
#[template(path = "report_file.html")]
struct ReportFile<'a> {
    title: String,
    k: &'a Kpis,
    rows: Vec<FlowRow>,
    previous: Option<FlowRow>,
    stylesheet: &'static str,
}

fn report_title(period: Option<Period>) -> String {
    format!("Exceptions report, {}", period_words(period))
}

/// The period before's figures, as the report's line under the tiles.
fn previous_row(k: &Kpis, currency: &str) -> Option<FlowRow> {
    k.previous
        .as_ref()
        .map(|previous| FlowRow::new("the period before", "", previous, currency))
}

/// The report as one self-contained HTML file, its stylesheet inside, for `retex report --format html`; money
/// in `currency`.
pub fn report_file(k: &Kpis, period: Option<Period>, currency: &str) -> String {
    let file = ReportFile {
        title: report_title(period),
        k,
        rows: flow_rows(k, currency),
        previous: previous_row(k, currency),
        stylesheet: super::STYLESHEET,
    };
    file.render().expect("the report template renders")
}

/// A page's query: its period (see [`PeriodParams`]) and, for the report, its format.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct PeriodQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    period: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    from: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    to: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    format: Option<ReportFormat>,
}

impl PeriodQuery {
    /// The period asked for: `period=all` is all time, nothing at all is `default`.
    pub(super) fn chosen(&self, default: Period) -> crate::error::Outcome<Option<Period>> {
        let params = PeriodParams {
            period: self.period.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        };
        match (params.period.as_deref(), &params.from, &params.to) {
            (Some("all"), None, None) => Ok(None),
            (None, None, None) => Ok(Some(default)),
            _ => params.period(),
        }
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ReportFormat {
    Html,
    Csv,
}

pub(super) async fn report_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page_at_clock(state, query, move |engine, now, query| {
        let period = query.chosen(Period::last_full_week(now))?;
        let scope = user.principal.scope.as_deref();
        let k = engine.kpis_over(now, scope, period);
        if query.format == Some(ReportFormat::Csv) {
            let name = format!("retex-report-{}.csv", period_words(period).replace(' ', "_"));
            return Ok(csv_attachment(&name, report_csv(&k)));
        }
        page(&ReportPage {
            user: UserBar::of(&user),
            notice: None,
            title: report_title(period),
            rows: flow_rows(&k, engine.currency()),
            previous: previous_row(&k, engine.currency()),
            csv_href: format!("/reports?{}&format=csv", period_query(period)),
            scoped: scope.is_some(),
            k,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn periods_are_written_as_their_days() {
        let week = Period::last_full_week(at("2026-11-25T10:00:00Z"));
        assert_eq!(period_words(Some(week)), "2026-11-16 to 2026-11-22");
        assert_eq!(period_words(Period::named("2026-11-30").ok()), "2026-11-30");
        assert_eq!(period_words(None), "all time");
    }

    #[test]
    fn quick_periods_end_today_and_mark_the_current_one() {
        let quick = quick_periods(at("2026-11-25T10:00:00Z"), Period::named("2026-11").ok());
        let queries: Vec<&str> = quick.iter().map(|choice| choice.query.as_str()).collect();
        assert_eq!(
            queries,
            [
                "from=2026-11-19&to=2026-11-25",
                "from=2026-10-27&to=2026-11-25",
                "period=2026-11",
                "period=2026-10",
                "period=all"
            ]
        );
        assert!(quick[2].current && !quick[0].current);
    }
}
