//! The web UI: server-rendered pages (askama templates, compiled into the binary with the stylesheet) and plain
//! HTML forms. Pages work without JavaScript (the queue's one script only selects every row at once); every form
//! carries the session's CSRF token, and every action goes through the same checks and log as the API, then
//! redirects back with a notice.
//!
//! One module per page; `page` holds what they share (who is logged in, rendering, failures, notices).

mod admin;
mod admin_forms;
mod admin_rules;
mod bulk;
mod charts;
mod dashboard;
mod deliveries;
mod exception;
mod import;
mod incident;
mod incidents;
mod login;
mod page;
mod queue;
mod queue_address;
mod queue_export;
mod report;
mod rules;
mod store;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use retex_store::EVIDENCE_BYTES_MAX;

use crate::state::AppState;

/// The stylesheet of every page, and of the report file.
const STYLESHEET: &str = include_str!("../../assets/app.css");

/// Largest body of a page's form: a login, a command with its comment, a count or a receipt.
pub const FORM_BYTES_MAX: usize = 64 << 10;

/// Largest spreadsheet the import page takes: some 100,000 products.
pub const IMPORT_BYTES_MAX: usize = 32 << 20;

pub use report::{report_csv, report_file};

pub fn routes() -> Router<Arc<AppState>> {
    let form = || DefaultBodyLimit::max(FORM_BYTES_MAX);
    Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/login", get(login::login_page).post(login::login).layer(form()))
        .route("/logout", post(login::logout).layer(form()))
        .route("/queue", get(queue::queue))
        .route("/queue/act", post(bulk::act_on_selected).layer(form()))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/exceptions/{id}", get(exception::exception_page))
        .route("/exceptions/{id}/act", post(exception::act).layer(form()))
        .route(
            "/exceptions/{id}/evidence",
            post(exception::attach_evidence).layer(DefaultBodyLimit::max(EVIDENCE_BYTES_MAX + FORM_BYTES_MAX)),
        )
        .route("/incidents", get(incidents::incidents_page))
        .route("/incidents/{id}", get(incident::incident_page))
        .route("/incidents/{id}/act", post(incident::act_on_members).layer(form()))
        .route("/incidents/{id}/reshape", post(incident::reshape).layer(form()))
        .route("/store", get(store::store_page))
        .route("/store/count", post(store::submit_count).layer(form()))
        .route("/store/receive", post(store::confirm_receipt).layer(form()))
        .route("/rules", get(rules::rules_page))
        .route("/admin", get(admin::admin_page))
        .route("/admin/users", post(admin_forms::add_user).layer(form()))
        .route("/admin/users/{name}", post(admin_forms::edit_user).layer(form()))
        .route(
            "/admin/users/{name}/password",
            post(admin_forms::set_password).layer(form()),
        )
        .route(
            "/admin/users/{name}/disable",
            post(admin_forms::disable_user).layer(form()),
        )
        .route(
            "/admin/users/{name}/enable",
            post(admin_forms::enable_user).layer(form()),
        )
        .route("/admin/tokens", post(admin_forms::create_token).layer(form()))
        .route(
            "/admin/tokens/{name}/revoke",
            post(admin_forms::revoke_token).layer(form()),
        )
        .route("/admin/silences", post(admin_forms::add_silence).layer(form()))
        .route("/admin/silences/{id}/end", post(admin_forms::end_silence).layer(form()))
        .route(
            "/admin/rules/check",
            post(admin_rules::check_upload).layer(DefaultBodyLimit::max(
                admin_rules::RULES_FILE_BYTES_MAX + FORM_BYTES_MAX,
            )),
        )
        .route("/reports", get(report::report_page))
        .route("/deliveries", get(deliveries::deliveries_page))
        .route(
            "/import",
            get(import::import_page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(IMPORT_BYTES_MAX)),
        )
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/queue.js", get(queue_script))
        .route("/assets/scan.js", get(scan_script))
}

async fn stylesheet() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The queue's "select all" and count of selected rows; the page works without it.
async fn queue_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", include_str!("../../assets/queue.js"))
}

/// The store page's camera scan, where the browser can read barcodes; the page works without it.
async fn scan_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", include_str!("../../assets/scan.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
