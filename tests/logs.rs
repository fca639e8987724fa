//! The api key never reaches the logs: every log line of the server, at TRACE level, captured
//! across writes, protected reads and a wrong key.
//!
//! A test binary of its own, so that it is the only test of its process. Tracing caches
//! whether each log call site is wanted, process-wide; in the shared test binary other tests
//! ran the server's call sites on their own threads, with no subscriber, while this one
//! installed its own, and a call site first reached at that moment could keep "never" as its
//! answer (the test failed once in CI with the request lines missing). Here no other thread
//! exists, and the subscriber is the process-wide default, so the server's own threads (the
//! blocking pool that indexes and searches) are captured too.
#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use gazette::server::{Server, ServerConfig};
use tower::ServiceExt;

#[path = "util/one_article.rs"]
mod one_article;
use one_article::one_article_index;

const KEY: &str = "logged-key-0123456789";

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn send(app: &Router, method: Method, uri: &str, key: &str, body: &[u8]) -> StatusCode {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(body.to_vec()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    // Read the body to its end: the end-of-stream line is logged then.
    axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    status
}

#[test]
fn the_api_key_never_reaches_the_logs() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let (_dir, index) = one_article_index();

    let config =
        ServerConfig { api_key: Some(KEY.into()), protect_reads: true, ..ServerConfig::default() };
    let app = Server::new(index, config).unwrap().router();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let body = br#"{"id":"k","title":"Key","body":"Morocco."}"#;
        assert_eq!(send(&app, Method::POST, "/articles", KEY, body).await, StatusCode::OK);
        assert_eq!(send(&app, Method::GET, "/search?q=key", KEY, b"").await, StatusCode::OK);
        // Wrong keys are not logged either.
        let wrong = format!("{KEY}-wrong");
        assert_eq!(send(&app, Method::GET, "/stats", &wrong, b"").await, StatusCode::UNAUTHORIZED);
    });
    drop(rt);

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    for request in ["POST", "/articles", "/search", "/stats"] {
        assert!(logs.contains(request), "the requests were logged ({request}): {logs}");
    }
    assert!(!logs.contains(KEY) && !logs.contains("logged-key"), "{logs}");
}
