//! One error type for every request: a kind that fixes the HTTP status and a message that says what is wrong.
//! The API answers it as RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status`,
//! `detail`, and `code`, a stable name for the kind); the web UI shows the message on a page.
//!
//! A 4xx message tells the caller what to fix. A 5xx message says nothing about the server's insides (paths,
//! database errors, panics): the cause is logged where the failure is made, and the answer is generic.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use retex_core::engine::{Refusal, RefusalKind};
use retex_store::StoreError;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    /// The request does not fit the exception's state (e.g. resolving a resolved exception).
    Conflict,
    /// The request is well formed but incomplete or contradictory (a blank note, a snooze ending before it starts).
    Unprocessable,
    TooLarge,
    TooManyRequests {
        retry_after_seconds: u64,
    },
    /// The store cannot be reached right now.
    Unavailable,
    Internal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// What the caller is told; for a 5xx, one of the generic messages below, never the cause.
    pub message: String,
}

/// The message of every 500: the cause is in the server log.
pub const INTERNAL_MESSAGE: &str = "internal error; the server log has the details";
/// The message of every 503 from the store.
pub const UNAVAILABLE_MESSAGE: &str = "the store cannot be reached right now; try again later";

pub type Outcome<T> = Result<T, Failure>;

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(FailureKind::BadRequest, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(FailureKind::NotFound, message)
    }

    /// A failure of the server itself: `cause` goes to the log under `context`, never into the answer.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        Self::new(FailureKind::Internal, INTERNAL_MESSAGE)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            FailureKind::Unauthorized,
            "log in, or send an API token as `Authorization: Bearer TOKEN`",
        )
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            FailureKind::BadRequest => StatusCode::BAD_REQUEST,
            FailureKind::Unauthorized => StatusCode::UNAUTHORIZED,
            FailureKind::Forbidden => StatusCode::FORBIDDEN,
            FailureKind::NotFound => StatusCode::NOT_FOUND,
            FailureKind::Conflict => StatusCode::CONFLICT,
            FailureKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            FailureKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FailureKind::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            FailureKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            FailureKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self.kind {
            FailureKind::BadRequest => "bad_request",
            FailureKind::Unauthorized => "unauthorized",
            FailureKind::Forbidden => "forbidden",
            FailureKind::NotFound => "not_found",
            FailureKind::Conflict => "conflict",
            FailureKind::Unprocessable => "unprocessable",
            FailureKind::TooLarge => "too_large",
            FailureKind::TooManyRequests { .. } => "too_many_requests",
            FailureKind::Unavailable => "unavailable",
            FailureKind::Internal => "internal",
        }
    }
}

/// The one place an engine refusal becomes an HTTP answer: 404, 403, 409 or 422.
impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        let kind = match refusal.kind {
            RefusalKind::NotFound => FailureKind::NotFound,
            RefusalKind::Forbidden => FailureKind::Forbidden,
            RefusalKind::Conflict => FailureKind::Conflict,
            RefusalKind::Invalid => FailureKind::Unprocessable,
        };
        Self::new(kind, refusal.message)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid { reason } => Self::bad_request(reason),
            StoreError::Unavailable { .. } => {
                tracing::error!(%error, "store unavailable");
                Self::new(FailureKind::Unavailable, UNAVAILABLE_MESSAGE)
            }
            other => Self::internal("store request failed", &other),
        }
    }
}

/// RFC 9457 problem details. `type` is `about:blank`: the status says what kind of problem it is, `title` is
/// the status's phrase, `detail` what to fix, and `code` the kind in a word a program can match.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    problem_type: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    code: &'static str,
}

/// The media type of a problem's body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = Problem {
            problem_type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: &self.message,
            code: self.code(),
        };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let FailureKind::TooManyRequests { retry_after_seconds } = self.kind {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(failure: Failure) -> (StatusCode, String) {
        let response = failure.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_5xx_body_says_nothing_of_its_cause() {
        let cause = "disk I/O error at /var/lib/retex/secret.db";
        let (status, body) = body_of(Failure::internal("render the page", &cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.contains("secret.db"), "{body}");
        assert!(body.contains(INTERNAL_MESSAGE), "{body}");

        let store = StoreError::Unavailable {
            location: "postgres://retex:hunter2@db/retex".to_owned(),
            cause: cause.to_owned(),
        };
        let (status, body) = body_of(Failure::from(store)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!body.contains("hunter2") && !body.contains("secret.db"), "{body}");
    }

    #[tokio::test]
    async fn a_4xx_body_says_what_is_wrong() {
        let store = StoreError::Invalid {
            reason: "note: contains a NUL character".to_owned(),
        };
        let (status, body) = body_of(Failure::from(store)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            problem,
            serde_json::json!({"type": "about:blank", "title": "Bad Request", "status": 400,
                               "detail": "note: contains a NUL character", "code": "bad_request"})
        );
    }
}
