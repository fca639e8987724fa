//! Calling the server's router in-process: requests, replies and error assertions shared by
//! tests/server.rs and tests/hostile.rs.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use gazette::server::{Server, ServerConfig};
use gazette::NewsIndex;
use serde_json::Value;
use tower::ServiceExt;

use super::corpus_index;

/// A read-only server over the shared corpus index (a second handle on its directory).
pub fn corpus_router(config: ServerConfig) -> Router {
    let index = NewsIndex::open(corpus_index().dir()).unwrap();
    Server::new(index, config).unwrap().router()
}

/// A server's configuration with this api key.
pub fn keyed(key: &str) -> ServerConfig {
    ServerConfig { api_key: Some(key.into()), ..ServerConfig::default() }
}

/// A reply: status, headers, the body as text and as JSON (`Null` when it is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
    pub text: String,
}

/// Sends a request (with the api key as a bearer token, when given) and reads the reply.
pub async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    key: Option<&str>,
    body: impl AsRef<[u8]>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let req = req.body(Body::from(body.as_ref().to_vec())).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, headers, json, text }
}

/// A `GET` without a key.
pub async fn get(app: &Router, uri: &str) -> Reply {
    call(app, Method::GET, uri, None, "").await
}

/// Asserts an error reply: its status and `error.code`, with a message.
#[track_caller]
pub fn assert_error(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
    assert!(r.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
