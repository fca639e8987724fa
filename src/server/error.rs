//! API errors: one JSON shape, `{"error": {"code": "...", "message": "..."}}`, with the
//! status that fits (4xx for the caller's mistakes, 5xx only for Gazette's own failures).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// An error answered to an HTTP client.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// A failure inside Gazette: logged in full, answered with a generic message.
    pub fn internal(what: &str, err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "{what} failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{what} failed"))
    }
}

impl From<crate::Error> for ApiError {
    fn from(err: crate::Error) -> Self {
        match err {
            crate::Error::Query(_) => ApiError::bad_request("invalid_query", err.to_string()),
            crate::Error::InvalidOption(_) => {
                ApiError::bad_request("invalid_parameter", err.to_string())
            }
            crate::Error::ArticleNotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "article_not_found", err.to_string())
            }
            crate::Error::Locked { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "index_locked", err.to_string())
            }
            other => ApiError::internal("the index operation", &other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(details), Some(obj)) = (self.details, error.as_object_mut()) {
            obj.insert("details".into(), details);
        }
        let mut resp = (self.status, Json(json!({ "error": error }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
