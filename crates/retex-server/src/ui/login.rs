//! Logging in and out: the login form, password checks kept off the async workers, the failed-login limit per
//! address and name, and the session cookie.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{PageUser, UserBar, check_csrf, error_page, page, shown};
use crate::auth::{
    LOGIN_COOKIE, SESSION_COOKIE, SESSION_MAX, hash_password, new_login_nonce, new_password, verify_password,
};
use crate::error::Failure;
use crate::extract::cookie;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<UserBar>,
    notice: Option<String>,
    next: String,
    problem: Option<String>,
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

pub(super) async fn login_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    login_form(
        &state,
        &headers,
        StatusCode::OK,
        query.notice,
        safe_next(query.next.as_deref()),
        None,
    )
}

/// The login form, tied to this browser by a cookie of its own (kept when the browser has one, so two tabs
/// both work).
fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<String>,
    next: String,
    problem: Option<String>,
) -> Response {
    let nonce = match cookie(headers, LOGIN_COOKIE) {
        Some(nonce) if !nonce.is_empty() => nonce.to_owned(),
        _ => match new_login_nonce() {
            Ok(nonce) => nonce,
            Err(error) => return error_page(&Failure::internal("draw a login nonce", &error)),
        },
    };
    let template = LoginPage {
        user: None,
        notice,
        next,
        problem,
        csrf: state.keys.login_token(&nonce),
    };
    let mut response = (status, shown(page(&template))).into_response();
    set_cookie(&mut response, state, LOGIN_COOKIE, &nonce, LOGIN_FORM_SECONDS);
    response
}

/// How long a login form may wait before it is posted.
const LOGIN_FORM_SECONDS: u64 = 24 * 3600;

/// Adds a `Set-Cookie` for `name`: `HttpOnly; SameSite=Strict`, `Secure` over TLS; `max_age` 0 removes it.
fn set_cookie(response: &mut Response, state: &AppState, name: &str, value: &str, max_age: u64) {
    let secure = if state.options.tls.is_some() { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// A redirect target after login: a local path only, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/queue".to_owned(),
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

/// The client's address (unknown in tests that call the router directly).
pub(super) struct ClientAddress(IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        Ok(Self(address))
    }
}

pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let refused =
        |status: StatusCode, problem: String| login_form(&state, &headers, status, None, next.clone(), Some(problem));
    let nonce = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !state.keys.check_login_token(nonce, &form.csrf) {
        return refused(
            StatusCode::FORBIDDEN,
            "This login form has expired or was not opened in this browser: log in again.".to_owned(),
        );
    }
    if let Some(wait) = state.limiter.blocked_for(address, &form.name, Instant::now()) {
        let mut response = refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many failed logins: try again in {}.", spoken_wait(wait)),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs_f64().ceil() as u64));
        return response;
    }
    let account = match state.account(form.name.clone()).await {
        Ok(account) => account,
        Err(failure) => return error_page(&failure),
    };
    let password = form.password;
    // Verifying is deliberately slow (argon2): keep it off the async workers. An unknown name is verified
    // against a hash of nothing, so its answer takes as long as a wrong password's.
    let (stored, disabled) = match account {
        Some(account) if account.kind == retex_store::AccountKind::User => {
            let disabled = account.is_disabled();
            (Some(account.secret_hash), disabled)
        }
        _ => (None, false),
    };
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_password(&password, &stored),
        None => {
            verify_password(&password, &UNKNOWN_ACCOUNT_HASH);
            false
        }
    })
    .await
    .unwrap_or(false);
    if !verified {
        state.limiter.record_failure(address, &form.name, Instant::now());
        return refused(StatusCode::UNAUTHORIZED, "Unknown name or wrong password.".to_owned());
    }
    state.limiter.record_success(address, &form.name);
    if disabled {
        return refused(
            StatusCode::FORBIDDEN,
            "This account is disabled: ask an admin to enable it.".to_owned(),
        );
    }
    let session = match state.start_session(form.name).await {
        Ok(session) => session,
        Err(failure) => return error_page(&failure),
    };
    let mut response = Redirect::to(&next).into_response();
    set_cookie(&mut response, &state, SESSION_COOKIE, &session, SESSION_MAX.as_secs());
    response
}

/// A wait as a person reads it: seconds under two minutes, minutes after.
fn spoken_wait(wait: Duration) -> String {
    let seconds = wait.as_secs_f64().ceil() as u64;
    match seconds {
        0..=119 => format!("{seconds} s"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

/// What an unknown name's password is checked against: a real hash, of a password nobody has.
static UNKNOWN_ACCOUNT_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&new_password().unwrap_or_default()).unwrap_or_default());

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout(State(state): State<Arc<AppState>>, user: PageUser, Form(form): Form<CsrfForm>) -> Response {
    if let Err(failure) = check_csrf(&user, &form.csrf) {
        return error_page(&failure);
    }
    if let Err(failure) = state.end_session(&user.cookie).await {
        return error_page(&failure);
    }
    let mut response = Redirect::to("/login?notice=Logged%20out").into_response();
    set_cookie(&mut response, &state, SESSION_COOKIE, "", 0);
    response
}
