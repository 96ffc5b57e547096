//! The dashboard: the KPIs over the person's locations and a period (the last 7 days unless they pick another),
//! each flow figure beside the period before, as figures, tables and SVG bar charts.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use retex_core::codes::Timestamp;
use retex_core::display;
use retex_core::engine::{
    CategoryCounts, Engine, ExceptionOrder, ExceptionQuery, FlowFigures, Kpis, Period, Sort, StatusFilter,
};
use retex_core::rules::ExceptionType;

use super::charts::{self, Bar, bar_chart};
use super::page::{PageUser, UserBar, location_queue_href, page, page_at_clock};
use super::report::{
    FlowRow, PeriodQuery, QuickPeriod, flow_rows, hours, percent, period_query, period_words, quick_periods,
};
use crate::state::AppState;

/// Days the dashboard looks back over unless another period is picked: a week, against the week before.
const DEFAULT_DAYS: u64 = 7;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    user: Option<UserBar>,
    notice: Option<String>,
    k: Kpis,
    scoped: bool,
    /// The period in words, and the quick choices of another.
    period: String,
    quick: Vec<QuickPeriod>,
    /// The picked days, for the date inputs (empty for all time).
    from_day: String,
    to_day: String,
    tiles: Vec<Tile>,
    rows: Vec<FlowRow>,
    /// Money in the rules' currency: the impact open now and of the period's exceptions.
    impact_open: String,
    impact_total: String,
    /// Open exceptions per category with their impact in money.
    open_by_category: Vec<(CategoryCounts, String)>,
    problems: Vec<ProblemRow>,
    report_href: String,
    category_chart: String,
    aging_chart: String,
    sla_chart: String,
    pareto_chart: String,
    store_chart: String,
    root_causes: Vec<(&'static str, u64, String)>,
    /// Per statistical detector: name (in words, so that it wraps on a phone), confirmed, refuted, pending,
    /// confirmed share.
    confirmation: Vec<(String, u64, u64, u64, u64, String)>,
    stores: Vec<StoreRow>,
    /// The engine's clock against this machine's.
    clock: String,
}

/// A store's exceptions per sale line over the `store_exception_rate` window, and the queue of its open
/// exceptions.
struct StoreRow {
    code: String,
    exceptions: u64,
    sale_lines: u64,
    per_thousand: String,
    outlier: bool,
    queue_href: String,
}

/// A figure on the dashboard, with the same figure over the period before when there is one.
struct Tile {
    value: String,
    label: &'static str,
    before: Option<String>,
}

/// One flow figure as the dashboard writes it.
type FigureText = fn(&FlowFigures) -> String;

/// The flow figures as tiles, each with its value over the period before.
fn flow_tiles(k: &Kpis) -> Vec<Tile> {
    let figures: [(&'static str, FigureText); 7] = [
        ("opened", |flow| flow.total.to_string()),
        ("acknowledged in time", |flow| percent(flow.ack_compliance)),
        ("resolved in time", |flow| percent(flow.resolve_compliance)),
        ("MTTA, to acknowledgement", |flow| hours(flow.mtta_hours)),
        ("MTTR, to resolution", |flow| hours(flow.mttr_hours)),
        ("repeats", |flow| percent(flow.repeat_rate)),
        ("resolutions that held 14 days", |flow| percent(flow.resolution_quality)),
    ];
    figures
        .into_iter()
        .map(|(label, figure)| Tile {
            value: figure(&k.flow),
            label,
            before: k.previous.as_ref().map(figure),
        })
        .collect()
}

/// "Engine clock 2026-11-30 21:00 UTC, 4.2 days behind this machine's clock" (or ahead of it: an event dated in
/// the future moved it there).
fn clock_line(engine_clock: Option<Timestamp>, wall_clock: Timestamp) -> String {
    let Some(clock) = engine_clock else {
        return "The engine has no clock yet: no event has been applied.".to_owned();
    };
    let when = DateTime::from_timestamp_millis(clock.0)
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let apart = |ms: i64| match ms as f64 / 3_600_000.0 {
        hours if hours < 48.0 => format!("{hours:.1} hours"),
        hours => format!("{:.1} days", hours / 24.0),
    };
    match wall_clock.0 - clock.0 {
        behind if behind > 60_000 => format!("Engine clock {when}, {} behind this machine's clock.", apart(behind)),
        ahead if ahead < -60_000 => format!("Engine clock {when}, {} ahead of this machine's clock.", apart(-ahead)),
        _ => format!("Engine clock {when}, in step with this machine's clock."),
    }
}

/// The dashboard's page; money in `currency`.
fn dashboard_page(
    user: &PageUser,
    k: Kpis,
    period: Option<Period>,
    now: Timestamp,
    clock: String,
    currency: &str,
) -> DashboardPage {
    let category_bars: Vec<Bar> = k
        .open_by_category
        .iter()
        .map(|row| Bar {
            label: row.category.clone(),
            segments: vec![
                (row.low as f64, charts::LOW),
                (row.medium as f64, charts::MEDIUM),
                (row.high as f64, charts::HIGH),
                (row.critical as f64, charts::CRITICAL),
            ],
            value_text: row.total.to_string(),
        })
        .collect();
    let aging_bars: Vec<Bar> = k
        .aging
        .iter()
        .map(|bucket| {
            Bar::single(
                bucket.label,
                bucket.open as f64,
                charts::NEUTRAL,
                bucket.open.to_string(),
            )
        })
        .collect();
    let sla_bars: Vec<Bar> = [
        ("acknowledge", k.flow.ack_compliance),
        ("resolve", k.flow.resolve_compliance),
    ]
    .into_iter()
    .map(|(label, share)| Bar::single(label, share.unwrap_or(0.0), charts::LOW, percent(share)))
    .collect();
    let pareto_bars: Vec<Bar> = k
        .root_causes
        .iter()
        .map(|row| {
            Bar::single(
                row.root_cause,
                row.count as f64,
                charts::HIGH,
                format!("{} (cum. {:.0}%)", row.count, row.cumulative_share * 100.0),
            )
        })
        .collect();
    let store_bars: Vec<Bar> = k
        .stores
        .iter()
        .map(|store| {
            let rate = store.per_thousand_sale_lines.unwrap_or(0.0);
            let color = if store.outlier {
                charts::CRITICAL
            } else {
                charts::NEUTRAL
            };
            Bar::single(store.location.clone(), rate, color, format!("{rate:.2}"))
        })
        .collect();
    DashboardPage {
        user: UserBar::of(user),
        notice: None,
        scoped: user.principal.scope.is_some(),
        period: period_words(period),
        quick: quick_periods(now, period),
        from_day: period.map(|period| day(period.from, 0)).unwrap_or_default(),
        to_day: period.map(|period| day(period.to, 1)).unwrap_or_default(),
        tiles: flow_tiles(&k),
        rows: flow_rows(&k, currency),
        impact_open: display::money(k.impact_open, currency),
        impact_total: display::money(k.flow.impact_total, currency),
        open_by_category: (k.open_by_category.iter())
            .map(|row| (row.clone(), display::money(row.impact, currency)))
            .collect(),
        problems: Vec::new(),
        report_href: format!("/reports?{}", period_query(period)),
        category_chart: bar_chart(&category_bars, None),
        aging_chart: bar_chart(&aging_bars, None),
        sla_chart: bar_chart(&sla_bars, Some(1.0)),
        pareto_chart: bar_chart(&pareto_bars, None),
        store_chart: bar_chart(&store_bars, None),
        root_causes: k
            .root_causes
            .iter()
            .map(|row| {
                (
                    row.root_cause,
                    row.count,
                    format!("{:.0}%", row.cumulative_share * 100.0),
                )
            })
            .collect(),
        confirmation: k
            .confirmation
            .iter()
            .map(|rate| {
                let share = percent(rate.rate);
                (
                    rate.exception_type.replace('_', " "),
                    rate.confirmed,
                    rate.not_confirmed,
                    rate.pending,
                    rate.unanswered,
                    share,
                )
            })
            .collect(),
        stores: k
            .stores
            .iter()
            .map(|store| StoreRow {
                code: store.location.clone(),
                exceptions: store.exceptions,
                sale_lines: store.sale_lines,
                per_thousand: (store.per_thousand_sale_lines)
                    .map_or_else(|| "–".to_owned(), |rate| format!("{rate:.2}")),
                outlier: store.outlier,
                queue_href: location_queue_href(&store.location),
            })
            .collect(),
        k,
        clock,
    }
}

/// The day of `at` less `days_before`, as `2026-11-30`.
fn day(at: Timestamp, days_before: i64) -> String {
    DateTime::from_timestamp_millis(at.0 - days_before * Timestamp::MILLIS_PER_DAY)
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Open recurring problems shown on the dashboard, at most.
const PROBLEMS_SHOWN_MAX: usize = 20;

/// A recurring problem as the dashboard lists it.
struct ProblemRow {
    id: u64,
    place: String,
    cause: String,
    assignee: String,
    explanation: String,
}

/// The open `recurring_problem` exceptions the person may see, oldest first.
fn open_problems(engine: &Engine, scope: Option<&[String]>) -> Vec<ProblemRow> {
    let query = ExceptionQuery {
        status: StatusFilter::Active,
        exception_type: Some(ExceptionType::RecurringProblem.name()),
        scope,
        sort: Sort::new(ExceptionOrder::Oldest),
        limit: PROBLEMS_SHOWN_MAX,
        ..ExceptionQuery::default()
    };
    engine
        .query_exceptions(&query)
        .items
        .iter()
        .map(|view| ProblemRow {
            id: view.id,
            place: view.location.unwrap_or_default().to_owned(),
            cause: view.reference.unwrap_or_default().replace('_', " "),
            assignee: view.assignee.unwrap_or("nobody").to_owned(),
            explanation: view.explanation.unwrap_or_default().to_owned(),
        })
        .collect()
}

/// The last `DEFAULT_DAYS` days, today included.
fn recent_days(now: Timestamp) -> Period {
    let today = now.0.div_euclid(Timestamp::MILLIS_PER_DAY) * Timestamp::MILLIS_PER_DAY;
    Period {
        from: Timestamp(today - (DEFAULT_DAYS as i64 - 1) * Timestamp::MILLIS_PER_DAY),
        to: Timestamp(today + Timestamp::MILLIS_PER_DAY),
    }
}

pub(super) async fn dashboard(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page_at_clock(state, query, move |engine, now, query| {
        let period = query.chosen(recent_days(now))?;
        let kpis = engine.kpis_over(now, user.principal.scope.as_deref(), period);
        let wall_clock = Timestamp::from_datetime(&Utc::now());
        let clock_text = clock_line(engine.clock(), wall_clock);
        let mut dashboard = dashboard_page(&user, kpis, period, now, clock_text, engine.currency());
        dashboard.problems = open_problems(engine, user.principal.scope.as_deref());
        page(&dashboard)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_line_says_how_far_the_engine_is_from_the_wall_clock() {
        let wall = Timestamp::parse_rfc3339("2026-12-05T12:00:00Z").unwrap();
        let at = |text: &str| Some(Timestamp::parse_rfc3339(text).unwrap());
        assert_eq!(
            clock_line(at("2026-12-01T00:00:00Z"), wall),
            "Engine clock 2026-12-01 00:00 UTC, 4.5 days behind this machine's clock."
        );
        assert_eq!(
            clock_line(at("2099-01-01T00:00:00Z"), wall).split(", ").nth(1),
            Some("26324.5 days ahead of this machine's clock.")
        );
        assert_eq!(
            clock_line(at("2026-12-05T12:00:30Z"), wall),
            "Engine clock 2026-12-05 12:00 UTC, in step with this machine's clock."
        );
        assert!(clock_line(None, wall).contains("no clock yet"));
    }
}
