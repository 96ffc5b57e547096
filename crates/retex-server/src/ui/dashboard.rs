//! The dashboard: the KPIs over the person's locations, as figures, tables and SVG bar charts.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use retex_core::engine::Kpis;

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
    /// Per statistical detector: name (in words, so that it wraps on a phone), confirmed, refuted, pending,
    /// confirmed share.
    confirmation: Vec<(String, u64, u64, u64, String)>,
    stores: Vec<(String, u64, u64, String, bool)>,
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

fn dashboard_page(user: &PageUser, k: Kpis) -> DashboardPage {
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
    }
}

pub(super) async fn dashboard(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    let clock = Arc::clone(&state);
    shown(
        state
            .read(move |live| {
                let engine = live.engine();
                let kpis = engine.kpis(clock.now(engine), user.principal.scope.as_deref());
                page(&dashboard_page(&user, kpis))
            })
            .await,
    )
}
