//! One error type for the JSON API, mapped to status codes in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The caller's input is wrong; `code` is stable, `message` says what to change.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error("too many requests")]
    TooManyRequests,
    /// A browser posted from another site's page.
    #[error("cross-site request")]
    CrossSite,
    /// The body is larger than this route takes.
    #[error("request body too large")]
    TooLarge,
    #[error("internal error")]
    Internal(#[from] crate::Error),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, *code, message.clone()),
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, *code, message.clone()),
            ApiError::NotFound => {
                (StatusCode::NOT_FOUND, "not_found", "no such request, or the token does not match".into())
            }
            ApiError::TooManyRequests => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; wait a minute and retry".into())
            }
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                "cross_site",
                "this request came from another site's page; send it from findkin itself".into(),
            ),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request is too large; photos may be at most 10 MB each".into(),
            ),
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; please retry later".into(),
                )
            }
        };
        (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
    }
}

impl ApiError {
    /// A multipart form that could not be read: too large (413) or malformed (400).
    pub fn from_multipart(e: axum::extract::multipart::MultipartError) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest { code: "bad_form", message: e.body_text() }
        }
    }
}

/// tower-http refuses an oversized body from its `Content-Length` with a
/// plain-text 413; the JSON API answers in its own error shape instead.
pub async fn json_too_large(resp: axum::response::Response) -> axum::response::Response {
    let json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return ApiError::TooLarge.into_response();
    }
    resp
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}
