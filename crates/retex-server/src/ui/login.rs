//! Logging in and out: the login form, password checks kept off the async workers, the failed-login limit per
//! address and name, and the session cookie.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{PageUser, UserBar, check_csrf, error_page, page, shown};
use crate::auth::{SESSION_COOKIE, SESSION_SECONDS, hash_password, new_password, verify_password};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<UserBar>,
    notice: Option<String>,
    next: String,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

pub(super) async fn login_page(Query(query): Query<LoginQuery>) -> Response {
    shown(page(&LoginPage {
        user: None,
        notice: query.notice,
        next: safe_next(query.next.as_deref()),
        problem: None,
    }))
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
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let refused = |status: StatusCode, problem: String| {
        let template = LoginPage {
            user: None,
            notice: None,
            next: next.clone(),
            problem: Some(problem),
        };
        (status, shown(page(&template))).into_response()
    };
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
    let stored = match account {
        Some(account) if account.kind == retex_store::AccountKind::User => Some(account.secret_hash),
        _ => None,
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
    let expires = chrono::Utc::now().timestamp() + SESSION_SECONDS;
    let cookie = state.keys.session_cookie(&form.name, expires);
    let set_cookie = format!("{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}");
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
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

pub(super) async fn logout(user: PageUser, Form(form): Form<CsrfForm>) -> Response {
    if let Err(failure) = check_csrf(&user, &form.csrf) {
        return error_page(&failure);
    }
    let mut response = Redirect::to("/login?notice=Logged%20out").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("retex_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}
