//! Request extractors that establish who is asking: [`ApiUser`] for the JSON API (a bearer token or a session
//! cookie; unauthenticated is a JSON 401), and the session cookie and its principal, which the web UI's
//! `PageUser` reads too. [`ApiPath`] answers a malformed path parameter as a JSON 400.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};

use crate::auth::{Principal, SESSION_COOKIE};
use crate::error::{Failure, FailureKind};
use crate::state::AppState;

/// The header that carries the CSRF token on cookie-authenticated API calls that change something.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Someone calling the API.
pub struct ApiUser(pub Principal);

/// A path parameter whose rejection is a JSON error that names it (axum's own is plain text).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection| Failure::bad_request(format!("path: {}", rejection.body_text())))
    }
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    Some(value.strip_prefix("Bearer ")?.trim())
}

/// The value of the session cookie, if the request has one.
pub fn session_cookie(parts: &Parts) -> Option<&str> {
    cookie(&parts.headers, SESSION_COOKIE)
}

/// The value of the cookie called `wanted`, if the request has one.
pub fn cookie<'a>(headers: &'a HeaderMap, wanted: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
}

/// The principal of a live session whose account still exists.
pub async fn principal_of_cookie(state: &Arc<AppState>, cookie: &str) -> Result<Option<Principal>, Failure> {
    let account = state.session_account(cookie).await?;
    Ok(account.and_then(|account| Principal::from_account(account, true)))
}

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer_token(&parts.headers) {
            return match state.principal_for_token(token).await? {
                Some(principal) => Ok(Self(principal)),
                None => Err(Failure::new(
                    FailureKind::Unauthorized,
                    "the API token is not known (revoked, or mistyped)",
                )),
            };
        }
        let cookie = session_cookie(parts).ok_or_else(Failure::unauthorized)?;
        let principal = principal_of_cookie(state, cookie)
            .await?
            .ok_or_else(Failure::unauthorized)?;
        let changes_something = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if changes_something {
            let token = parts.headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok());
            if !token.is_some_and(|token| state.keys.check_csrf(cookie, token)) {
                return Err(Failure::forbidden(format!(
                    "a request authenticated by cookie must carry the {CSRF_HEADER} header of its session"
                )));
            }
        }
        Ok(Self(principal))
    }
}
