//! Hostile input to the HTTP server: oversized and malformed requests, absurd parameters,
//! traversal attempts, query patterns that could explode, slow clients. Everything is answered
//! with a 4xx and a JSON error (or a normal answer), never a 5xx, a panic or a hang. The basic
//! error cases are in tests/server.rs; the api key kept out of the logs is tests/logs.rs,
//! alone in its process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::Router;
use gazette::server::{Server, ServerConfig};

use crate::server::Running;
use crate::util::http::{assert_error, call, corpus_router, urlencode, Reply};
use crate::util::one_article::one_article_index;

const KEY: &str = "hostile-key-0123456789";

fn keyed() -> ServerConfig {
    crate::util::http::keyed(KEY)
}

/// Sends a request with the api key and raw bytes as its body.
async fn send(app: &Router, method: Method, uri: &str, body: impl AsRef<[u8]>) -> Reply {
    call(app, method, uri, Some(KEY), body).await
}

#[tokio::test]
async fn absurd_parameters_are_refused() {
    let app = corpus_router(ServerConfig::default());
    for uri in [
        "/search?q=a&limit=18446744073709551616",
        "/search?q=a&limit=99999999999999999999999999",
        "/search?q=a&limit=-1",
        "/search?q=a&limit=1e3",
        "/search?q=a&limit=0x10",
        "/search?q=a&limit=%00",
        "/search?q=a&offset=10001",
        "/search?q=a&offset=-99999999999",
        "/search?q=a&offset=18446744073709551615",
        "/search?q=a&passages=-1",
        "/search?q=a&passages=4294967296",
        "/search?q=a&since=9999-99-99",
        "/search?q=a&until=-0001-01-01",
        "/search?q=a&until=9999-12-31",
    ] {
        assert_error(
            &send(&app, Method::GET, uri, "").await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        );
    }
    for uri in ["/search?q=a&q2=b", "/search?q=a&LIMIT=3", "/search?q=a&%FF=1"] {
        assert_error(
            &send(&app, Method::GET, uri, "").await,
            StatusCode::BAD_REQUEST,
            "unknown_parameter",
        );
    }
}

#[tokio::test]
async fn oversized_and_invalid_queries_are_refused() {
    let app = corpus_router(ServerConfig::default());
    let long = format!("/search?q={}", "a".repeat(60_000));
    assert_error(
        &send(&app, Method::GET, &long, "").await,
        StatusCode::BAD_REQUEST,
        "query_too_long",
    );
    // Invalid UTF-8 (percent-encoded) is read leniently: an answer, never a failure.
    for uri in ["/search?q=%FF%FE%FD", "/search?q=mor%C3occo", "/search?q=%ED%A0%80"] {
        let Reply { status, json: body, .. } = send(&app, Method::GET, uri, "").await;
        assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
}

#[tokio::test]
async fn query_patterns_that_could_explode_stay_bounded() {
    let app = corpus_router(ServerConfig {
        request_timeout: Duration::from_secs(20),
        ..ServerConfig::default()
    });
    let many_prefixes = (b'a'..=b'z').map(|c| format!("{}*", c as char)).collect::<Vec<_>>();
    let nested = format!("{}morocco{}", "(".repeat(450), ")".repeat(450));
    let unbalanced = "(".repeat(999);
    let many_words = (0..300).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    let quotes = "\"a ".repeat(300);
    for q in [
        "*",
        "a*",
        many_prefixes.join(" ").as_str(),
        "title:/.*/",
        "title:/(a+)+$/",
        "title:/(.*){1000}/",
        "title:/[a-z]{1,1000}[0-9]{1,1000}/",
        "source:/.{0,200}x.{0,200}/",
        "title:[a TO z]",
        "title:[* TO *]",
        "title:{* TO m}",
        "source: IN [a b c d e f g h i j k l m n o p]",
        "\"data protection\"~999999999",
        "mistral~2",
        "morocco^1000000000000",
        "morocco^-1",
        nested.as_str(),
        unbalanced.as_str(),
        many_words.as_str(),
        quotes.as_str(),
        "NOT NOT NOT NOT morocco",
        "-morocco",
        "+-+-+-",
        "title:",
        ":::",
        "\\",
        "\u{0}",
    ] {
        let uri = format!("/search?q={}&limit=100&passages=10", urlencode(q));
        let Reply { status, json: body, .. } = send(&app, Method::GET, &uri, "").await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{q}: {status} {body}"
        );
        if status == StatusCode::BAD_REQUEST {
            assert!(body["error"]["code"].is_string(), "{q}: {body}");
        }
    }
}

#[tokio::test]
async fn hostile_bodies_are_refused_and_write_nothing() {
    let (_dir, index) = one_article_index();
    let app =
        Server::new(index, ServerConfig { max_body_bytes: 1 << 20, ..keyed() }).unwrap().router();
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    let deep_field = format!(
        "{{\"id\":\"d\",\"title\":\"T\",\"x\":{}1{}}}",
        "{\"a\":".repeat(5000),
        "}".repeat(5000)
    );
    for (body, status, code) in [
        (
            b"{\"id\":\"u\",\"title\":\"\xFF\xFE\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_article",
        ),
        (b"\xEF\xBB\xBF\xEF\xBB\xBF{}".to_vec(), StatusCode::BAD_REQUEST, "invalid_json"),
        (vec![0u8; 1000], StatusCode::BAD_REQUEST, "invalid_json"),
        (
            b"{\"id\":\"n\",\"title\":1e999999}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_article",
        ),
        (vec![b' '; 2 << 20], StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        (b"[null, true, \"x\"]".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_article"),
    ] {
        let got = send(&app, Method::POST, "/articles", body).await;
        assert_error(&got, status, code);
    }
    // Nesting past serde_json's recursion limit: refused, as malformed JSON or as a record.
    for body in [deep(100_000), deep_field.into_bytes()] {
        let got = send(&app, Method::POST, "/articles", body).await;
        assert!(
            got.status == StatusCode::BAD_REQUEST || got.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            got.text
        );
        assert!(got.json["error"]["code"].is_string(), "{}", got.text);
    }
    // Huge but allowed: many records in one body, each checked; one bad one refuses all.
    let mut many = String::new();
    for i in 0..3000 {
        many.push_str(&format!(
            "{{\"id\":\"m{i}\",\"title\":\"Title {i}\",\"body\":\"Body {i}.\"}}\n"
        ));
    }
    many.push_str("{\"id\":\"bad\"}\n");
    assert_error(
        &send(&app, Method::POST, "/articles", many.into_bytes()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_article",
    );
    let Reply { status, json: stats, .. } = send(&app, Method::GET, "/stats", "").await;
    assert_eq!((status, stats["articles"].as_u64()), (StatusCode::OK, Some(1)), "{stats}");
    // Ids that look like paths are ids, nothing more.
    for id in ["..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "%00", "a%2F..%2F..%2Fb"] {
        let got = send(&app, Method::DELETE, &format!("/articles/{id}"), "").await;
        assert_error(&got, StatusCode::NOT_FOUND, "article_not_found");
    }
}

#[tokio::test]
async fn traversal_attempts_on_static_routes_find_nothing() {
    let app = corpus_router(ServerConfig::default());
    for uri in [
        "/assets/../../../../etc/passwd",
        "/assets/..%2F..%2F..%2Fetc%2Fpasswd",
        "/assets/%2e%2e/%2e%2e/Cargo.toml",
        "/assets/app.js/../../src/lib.rs",
        "/assets/app.js%00.html",
        "/assets/",
        "/..%5C..%5Cwindows%5Cwin.ini",
        "//etc/passwd",
        "/assets/app.css?../../etc/passwd",
    ] {
        let r = send(&app, Method::GET, uri, "").await;
        assert!(!r.text.contains("root:") && !r.text.contains("[package]"), "{uri}: {}", r.text);
        if uri.starts_with("/assets/app.css?") {
            assert_eq!(r.status, StatusCode::OK, "{uri}"); // the query string is not a path
        } else {
            assert_error(&r, StatusCode::NOT_FOUND, "no_route");
        }
    }
}

/// A raw TCP exchange with a running server: writes `head`, then `rest` after `pause`, and
/// returns what came back before the server closed or 15 s passed.
fn raw_exchange(base: &str, head: &[u8], pause: Duration, rest: &[u8]) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(head).unwrap();
    std::thread::sleep(pause);
    let _ = s.write_all(rest);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

// See: issue 9 (a client sending its body too slowly got 503, a server error, instead of 408).
#[test]
fn issue_9_a_slow_client_gets_408_and_others_are_served_meanwhile() {
    let (_dir, index) = one_article_index();
    let config = ServerConfig { request_timeout: Duration::from_secs(1), ..keyed() };
    let server = Running::start(index, config);
    let head = format!(
        "POST /articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 100\r\n\r\n{{\"id\":"
    );
    let slow = {
        let base = server.base.clone();
        std::thread::spawn(move || {
            raw_exchange(&base, head.as_bytes(), Duration::from_secs(3), b"")
        })
    };
    let http = crate::server::http();
    let r = http.get(format!("{}/search?q=morocco", server.base)).call().unwrap();
    assert_eq!(r.status(), 200);
    let answer = slow.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    // Raw garbage and invalid UTF-8 in the request line get a 4xx from the HTTP layer.
    let garbage =
        raw_exchange(&server.base, b"\xFF\xFE GET /\xC3 HTTP/1.1\r\n\r\n", Duration::ZERO, b"");
    assert!(garbage.is_empty() || garbage.starts_with("HTTP/1.1 4"), "{garbage}");
    let huge_header =
        format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(1 << 20));
    let answer = raw_exchange(&server.base, huge_header.as_bytes(), Duration::ZERO, b"");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
    let r = http.get(format!("{}/health", server.base)).call().unwrap();
    assert_eq!(r.status(), 200, "the server is still up");
    server.stop();
}

// See: issue 9 (a client sending its headers slowly, a slowloris, held its connection for
// as long as it liked: `axum::serve` set no timer, so hyper's header timeout never fired).
#[test]
fn issue_9_a_client_slow_to_send_its_headers_is_disconnected() {
    let (_dir, index) = one_article_index();
    let config = ServerConfig { header_timeout: Duration::from_secs(1), ..ServerConfig::default() };
    let server = Running::start(index, config);
    let slow: Vec<_> = (0..4)
        .map(|_| {
            let base = server.base.clone();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                // Half a request line, then nothing for longer than the header timeout.
                let answer = raw_exchange(
                    &base,
                    b"GET /health HTTP/1.1\r\nHost: x\r\n",
                    Duration::ZERO,
                    b"",
                );
                (started.elapsed(), answer)
            })
        })
        .collect();
    // Meanwhile other clients are served.
    let http = crate::server::http();
    let r = http.get(format!("{}/health", server.base)).call().unwrap();
    assert_eq!(r.status(), 200);
    for t in slow {
        let (took, answer) = t.join().unwrap();
        // raw_exchange waits up to 15 s for the server to close.
        assert!(took < Duration::from_secs(8), "still connected after {took:?}");
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // A complete request on a fresh connection is still answered.
    let ok = raw_exchange(
        &server.base,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::ZERO,
        b"",
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    server.stop();
}
