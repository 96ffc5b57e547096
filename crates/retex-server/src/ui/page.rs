//! What every page shares: who is logged in ([`PageUser`], and [`UserBar`] as the header shows them), rendering
//! a template, failures as pages, notices after a form, and the CSRF check of forms.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use retex_core::codes::Timestamp;
use retex_core::engine::{Engine, ExceptionRecord, ExceptionView};
use serde::Deserialize;

use crate::auth::{Principal, Role};
use crate::error::{Failure, Outcome};
use crate::extract::{principal_of_cookie, session_cookie};
use crate::params::query_params;
use crate::state::AppState;

/// A page drawn from its query string at the server's clock (the engine's under `--clock log`); a query string
/// that does not fit is an error page that names the parameter.
pub async fn page_at_clock<T: Send + 'static>(
    state: Arc<AppState>,
    query: Result<Query<T>, QueryRejection>,
    draw: impl FnOnce(&Engine, Timestamp, T) -> Outcome<Response> + Send + 'static,
) -> Response {
    let query = match query_params(query) {
        Ok(query) => query,
        Err(failure) => return error_page(&failure),
    };
    let clock = Arc::clone(&state);
    shown(state.read(move |engine| draw(engine, clock.now(engine), query)).await)
}

/// Someone using the web UI, with the CSRF token their forms must carry.
pub struct PageUser {
    pub principal: Principal,
    pub csrf: String,
    /// The session cookie's value, to end the session with.
    pub cookie: String,
}

/// Unauthenticated page requests go to the login page, which brings them back afterwards.
struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/login?next={}", url_encode(&self.0))).into_response()
    }
}

impl FromRequestParts<Arc<AppState>> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map_or("/", |path| path.as_str()).to_owned();
        let Some(cookie) = session_cookie(parts) else {
            return Err(ToLogin(next).into_response());
        };
        match principal_of_cookie(state, cookie).await {
            Ok(Some(principal)) if !principal.role.can_read() => Err(error_page(&Failure::forbidden(format!(
                "role {} may only send events, not use the web UI",
                principal.role.name()
            )))),
            Ok(Some(principal)) => Ok(Self {
                csrf: state.keys.csrf_token(cookie),
                principal,
                cookie: cookie.to_owned(),
            }),
            Ok(None) => Err(ToLogin(next).into_response()),
            Err(failure) => Err(error_page(&failure)),
        }
    }
}

/// Who is logged in, as the page header shows them.
pub struct UserBar {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
}

impl UserBar {
    pub fn of(user: &PageUser) -> Option<Self> {
        Some(Self {
            name: user.principal.name.clone(),
            role: user.principal.role.name(),
            csrf: user.csrf.clone(),
        })
    }
}

/// Renders a page, or the error page when the template fails.
pub fn page(template: &impl Template) -> Outcome<Response> {
    let html = template
        .render()
        .map_err(|error| Failure::internal("could not render the page", &error))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    user: Option<UserBar>,
    notice: Option<String>,
    status: String,
    message: String,
}

/// A failure as a page, with its status.
pub fn error_page(failure: &Failure) -> Response {
    let status = failure.status();
    let template = ErrorPage {
        user: None,
        notice: None,
        status: format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
        message: failure.message.clone(),
    };
    let html = template.render().unwrap_or_else(|_| failure.message.clone());
    (status, Html(html)).into_response()
}

/// Turns a failure into a page; an unauthenticated one goes to the login page.
pub fn shown(outcome: Outcome<Response>) -> Response {
    outcome.unwrap_or_else(|failure| error_page(&failure))
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// The queue of one location's open exceptions, in every view.
pub fn location_queue_href(code: &str) -> String {
    format!("/queue?view=all&location={}", url_encode(code))
}

/// A CSV file for the browser to save as `file_name`.
pub fn csv_attachment(file_name: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The queue of every exception about one document, open or closed: a complaint's order, a transfer.
pub fn document_queue_href(number: &str) -> String {
    format!("/queue?view=all&status=all&document={}", url_encode(number))
}

/// Back to a page with a notice, after a form (303, so a reload does not post again).
pub fn back_with_notice(path: &str, notice: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}notice={}", url_encode(notice))).into_response()
}

/// Back to a page with an error, after a form the engine or the server refused (303, as for a notice).
pub fn back_with_error(path: &str, error: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}error={}", url_encode(error))).into_response()
}

/// Refuses anyone but an admin, saying what they tried to do.
pub fn require_admin(user: &PageUser, doing: &str) -> Outcome<()> {
    if user.principal.role == Role::Admin {
        return Ok(());
    }
    Err(Failure::forbidden(format!(
        "role {} may not {doing}; ask an admin",
        user.principal.role.name()
    )))
}

/// Checks the CSRF token of a form posted under the request's session.
pub fn check_csrf(user: &PageUser, token: &str) -> Outcome<()> {
    if user.csrf.len() == token.len() && user.csrf == token {
        return Ok(());
    }
    Err(Failure::forbidden(
        "the form is stale or came from another site: reload the page and try again",
    ))
}

/// Where an exception is: location, SKU and document, as one short text.
pub fn place(view: &ExceptionView<'_>) -> String {
    view.place(" · ")
}

/// Where an exception is, with the names master data gives its location and product:
/// `S1 (Store One) · K1 (Kettle) · T1`.
pub fn named_place(engine: &Engine, record: &ExceptionRecord) -> String {
    let location = record.location.map(|location| engine.location_label(location));
    let product = record.sku.map(|sku| engine.product_label(sku));
    let reference = record.reference.as_ref().map(|reference| reference.as_str().to_owned());
    [location, product, reference]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A form or query value with something in it.
pub fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|text| !text.trim().is_empty())
}

/// A page's query after a form came back to it: the notice it left, or the error of a refusal.
#[derive(Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
    pub error: Option<String>,
}
