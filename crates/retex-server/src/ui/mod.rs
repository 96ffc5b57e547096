//! The web UI: server-rendered pages (askama templates, compiled into the binary with the stylesheet) and plain
//! HTML forms. Pages work without JavaScript; every form carries the session's CSRF token, and every action
//! goes through the same checks and log as the API, then redirects back with a notice.
//!
//! One module per page; `page` holds what they share (who is logged in, rendering, failures, notices).

mod charts;
mod dashboard;
mod exception;
mod incidents;
mod login;
mod page;
mod queue;
mod rules;
mod store;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", post(login::logout))
        .route("/queue", get(queue::queue))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/exceptions/{id}", get(exception::exception_page))
        .route("/exceptions/{id}/act", post(exception::act))
        .route("/exceptions/{id}/evidence", post(exception::attach_evidence))
        .route("/incidents", get(incidents::incidents_page))
        .route("/incidents/{id}", get(incidents::incident_page))
        .route("/store", get(store::store_page))
        .route("/store/count", post(store::submit_count))
        .route("/store/receive", post(store::confirm_receipt))
        .route("/rules", get(rules::rules_page))
        .route("/assets/app.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
}
