//! API key checks, as extractors: a handler that takes [`WriteAccess`] (or [`ReadAccess`])
//! runs only for a caller allowed to write (or read).
//!
//! Writes are refused with 403 `writes_disabled` when no key is configured, and need
//! `Authorization: Bearer <key>` (else 401) when one is. Reads are open unless the server
//! protects them too. Keys are compared in constant time and never logged.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::AppState;

/// Proof that the caller may write.
pub(crate) struct WriteAccess;

/// Proof that the caller may read.
pub(crate) struct ReadAccess;

fn bearer(parts: &Parts) -> Option<&[u8]> {
    let value = parts.headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at(value.iter().position(|b| *b == b' ')?);
    scheme.eq_ignore_ascii_case(b"bearer").then(|| token.trim_ascii())
}

fn check_key(parts: &Parts, key: &[u8]) -> Result<(), ApiError> {
    let given = bearer(parts).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this endpoint needs an `Authorization: Bearer <api key>` header",
        )
    })?;
    if bool::from(given.ct_eq(key)) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "wrong api key"))
    }
}

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.api_key() {
            None => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "writes_disabled",
                "this server is read-only: start it with an api key (--api-key-file or \
                 GAZETTE_API_KEY) to enable writes",
            )),
            Some(key) => check_key(parts, key).map(|()| WriteAccess),
        }
    }
}

impl FromRequestParts<AppState> for ReadAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.api_key() {
            Some(key) if state.protect_reads() => check_key(parts, key).map(|()| ReadAccess),
            _ => Ok(ReadAccess),
        }
    }
}
