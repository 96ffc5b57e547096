//! The dashboard: the KPIs over the person's locations, as figures, tables and SVG bar charts.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use retex_core::codes::Timestamp;
use retex_core::display;
use retex_core::engine::{CategoryCounts, Kpis};

use super::charts::{self, Bar, bar_chart};
use super::page::{PageUser, UserBar, page, shown};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    user: Option<UserBar>,
    notice: Option<String>,
    k: Kpis,
    scoped: bool,
    ack_compliance: String,
    resolve_compliance: String,
    mtta: String,
    mttr: String,
    repeat_rate: String,
    category_chart: String,
    aging_chart: String,
    sla_chart: String,
    pareto_chart: String,
    store_chart: String,
    root_causes: Vec<(&'static str, u64, String)>,
    /// Money in the rules' currency: the impact open and over all exceptions.
    impact_open: String,
    impact_total: String,
    /// Open exceptions per category with their impact in money.
    open_by_category: Vec<(CategoryCounts, String)>,
    /// Per statistical detector: name (in words, so that it wraps on a phone), confirmed, refuted, pending,
    /// confirmed share.
    confirmation: Vec<(String, u64, u64, u64, String)>,
    stores: Vec<(String, u64, u64, String, bool)>,
    /// The engine's clock against this machine's.
    clock: String,
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |share| format!("{:.1}%", share * 100.0))
}

fn hours(value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(hours) if hours < 48.0 => format!("{hours:.1} h"),
        Some(hours) => format!("{:.1} d", hours / 24.0),
    }
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

fn dashboard_page(user: &PageUser, k: Kpis, clock: String, currency: &str) -> DashboardPage {
    let money = |amount| display::money(amount, currency);
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
    let sla_bars: Vec<Bar> = [("acknowledge", k.ack_compliance), ("resolve", k.resolve_compliance)]
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
        ack_compliance: percent(k.ack_compliance),
        resolve_compliance: percent(k.resolve_compliance),
        mtta: hours(k.mtta_hours),
        mttr: hours(k.mttr_hours),
        repeat_rate: percent(k.repeat_rate),
        category_chart: bar_chart(&category_bars, None),
        aging_chart: bar_chart(&aging_bars, None),
        sla_chart: bar_chart(&sla_bars, Some(1.0)),
        pareto_chart: bar_chart(&pareto_bars, None),
        store_chart: bar_chart(&store_bars, None),
        impact_open: money(k.impact_open),
        impact_total: money(k.impact_total),
        open_by_category: k
            .open_by_category
            .iter()
            .map(|row| (row.clone(), money(row.impact)))
            .collect(),
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
                    share,
                )
            })
            .collect(),
        stores: k
            .stores
            .iter()
            .map(|store| {
                (
                    store.location.clone(),
                    store.exceptions,
                    store.sale_lines,
                    store
                        .per_thousand_sale_lines
                        .map_or_else(|| "–".to_owned(), |rate| format!("{rate:.2}")),
                    store.outlier,
                )
            })
            .collect(),
        k,
        clock,
    }
}

pub(super) async fn dashboard(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    let clock = Arc::clone(&state);
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let kpis = engine.kpis(clock.now(engine), user.principal.scope.as_deref());
                let wall_clock = Timestamp::from_datetime(&Utc::now());
                let clock = clock_line(engine.clock(), wall_clock);
                page(&dashboard_page(&user, kpis, clock, engine.currency()))
            })
            .await,
    )
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
