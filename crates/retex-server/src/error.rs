//! One error type for every request: a kind that fixes the HTTP status and a message that says what is wrong.
//! The API answers it as JSON `{"error": {"code", "message"}}`; the web UI shows the message on a page.

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
    pub message: String,
}

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
        let kind = match error {
            StoreError::Unavailable { .. } => FailureKind::Unavailable,
            StoreError::Invalid { .. } => FailureKind::BadRequest,
            _ => FailureKind::Internal,
        };
        if kind != FailureKind::BadRequest {
            tracing::error!(%error, "store request failed");
        }
        let message = match error {
            StoreError::Invalid { reason } => reason,
            other => other.to_string(),
        };
        Self::new(kind, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: &self.message,
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let FailureKind::TooManyRequests { retry_after_seconds } = self.kind {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}
