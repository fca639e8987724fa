//! The HTTP server (`gazette::server`): every endpoint and error status, the api key rules,
//! writes seen by the next search, concurrent reads during writes, graceful shutdown.
//!
//! Most tests call the router in-process (`tower::ServiceExt::oneshot`); the concurrency and
//! shutdown tests use a real socket on a free loopback port.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use gazette::server::{Server, ServerConfig};
use gazette::{Article, IndexUpdater, NewsIndex, SearchRequest};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::util::corpus_index;
use crate::util::http::{assert_error, call, corpus_router, get, urlencode};

const KEY: &str = "test-key-0123456789";

/// A fresh writable index with two articles, and its directory.
fn small_index() -> (tempfile::TempDir, NewsIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = NewsIndex::create(&dir.path().join("idx")).unwrap();
    let mut updater = index.updater(50_000_000, 1).unwrap();
    for (id, title, body, lang) in [
        (
            "a1",
            "Morocco and OpenAI talk",
            "Morocco met OpenAI in New York to talk about data.",
            "en",
        ),
        (
            "a2",
            "La CNDP et les données",
            "La CNDP protège les données personnelles au Maroc.",
            "fr",
        ),
    ] {
        let mut a = Article::new(id, title, body);
        a.lang = Some(lang.into());
        a.source = Some("Test Wire".into());
        updater.upsert(&a).unwrap();
    }
    updater.commit().unwrap();
    updater.finish().unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn keyed() -> ServerConfig {
    crate::util::http::keyed(KEY)
}

#[test]
fn library_handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<NewsIndex>();
    assert_send_sync::<IndexUpdater>();
    assert_send_sync::<Server>();
    assert_send_sync::<gazette::SearchResults>();
}

#[tokio::test]
async fn health_page_and_assets() {
    let app = corpus_router(ServerConfig::default());
    let r = get(&app, "/health").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["status"], "ok");
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert!(page.text.contains("/assets/app.js"));
    for asset in ["/assets/app.js", "/assets/app.css"] {
        assert_eq!(get(&app, asset).await.status, StatusCode::OK, "{asset}");
    }
    // No CORS unless configured.
    let r = call_with_origin(&app, "/health").await;
    assert!(!r.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let cors = corpus_router(ServerConfig {
        cors_origins: vec!["https://news.example".into()],
        ..ServerConfig::default()
    });
    let r = call_with_origin(&cors, "/health").await;
    assert_eq!(r[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://news.example");
}

async fn call_with_origin(app: &Router, uri: &str) -> axum::http::HeaderMap {
    let req = Request::builder()
        .uri(uri)
        .header(header::ORIGIN, "https://news.example")
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(req).await.unwrap().headers().clone()
}

#[tokio::test]
async fn every_route_in_the_openapi_document_exists() {
    // A writable server over its own index (writes must not touch the shared corpus index).
    let (_dir, index) = small_index();
    let app = Server::new(index, keyed()).unwrap().router();
    let r = get(&app, "/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["openapi"], "3.1.0");
    let paths = r.json["paths"].as_object().unwrap();
    let mut seen = 0;
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let uri = path.replace("{id}", "no-such-article");
            let uri = if path == "/search" { "/search?q=morocco".to_string() } else { uri };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = if path == "/articles" { r#"{"id":"x","title":"T"}"# } else { "" };
            let reply = call(&app, m, &uri, Some(KEY), body).await;
            assert_ne!(reply.json["error"]["code"], "no_route", "{method} {path}");
            assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            seen += 1;
        }
    }
    assert!(seen >= 9, "{seen} operations");
    // The documented error codes include every code the tests below meet.
    let codes = &r.json["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
        ["code"]["enum"];
    for code in ["invalid_query", "unauthorized", "writes_disabled", "payload_too_large"] {
        assert!(codes.as_array().unwrap().iter().any(|c| c == code), "{code}");
    }
}

#[tokio::test]
async fn search_answers_the_cli_schema_plus_facets() {
    let app = corpus_router(ServerConfig::default());
    let r = get(&app, "/search?q=OpenAI%20Morocco&limit=3").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let lib = corpus_index()
        .search(&SearchRequest { limit: 3, ..SearchRequest::new("OpenAI Morocco") })
        .unwrap();
    assert_eq!(r.json["query"], "OpenAI Morocco");
    assert_eq!(r.json["total_hits"], lib.total_hits);
    let ids: Vec<&str> =
        r.json["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    let lib_ids: Vec<&str> = lib.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, lib_ids);
    // The same keys as `gazette search --json`, plus `facets`.
    let keys: Vec<&String> = r.json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["facets", "hits", "query", "took_ms", "total_hits"]);
    let hit = r.json["hits"][0].as_object().unwrap();
    for k in ["id", "title", "source", "date", "url", "path", "lang", "score", "passages"] {
        assert!(hit.contains_key(k), "{k}");
    }
    // Facets count matching articles.
    let facets = &r.json["facets"];
    let sum = |name: &str| -> u64 {
        facets[name].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum()
    };
    assert_eq!(sum("lang"), lib.total_hits as u64);
    assert!(sum("source") > 0 && sum("month") > 0);
    let months: Vec<&str> =
        facets["month"].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap()).collect();
    assert!(months.windows(2).all(|w| w[0] < w[1]) && months[0].len() == 7, "{months:?}");

    // Filters narrow the results and the facets alike.
    let en = get(&app, "/search?q=donn%C3%A9es&lang=fr").await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.json["total_hits"].as_u64().unwrap() > 0, "{}", en.text);
    assert!(en.json["hits"].as_array().unwrap().iter().all(|h| h["lang"] == "fr"));
    let langs = en.json["facets"]["lang"].as_array().unwrap();
    assert_eq!(langs.len(), 1, "{langs:?}");
    assert_eq!(langs[0]["value"], "fr");
    let source = facets["source"][0]["value"].as_str().unwrap();
    let by_source =
        get(&app, &format!("/search?q=OpenAI%20Morocco&source={}", urlencode(source))).await;
    assert_eq!(by_source.json["total_hits"], facets["source"][0]["count"]);
    let dated = get(&app, "/search?q=data&since=2025-01-01&until=2025-06-30&facets=false").await;
    assert_eq!(dated.status, StatusCode::OK);
    assert!(dated.json.get("facets").is_none());
    for h in dated.json["hits"].as_array().unwrap() {
        let d = h["date"].as_str().unwrap();
        assert!(("2025-01-01".."2025-07-01").contains(&d), "{d}");
    }
    // Paging.
    let page2 = get(&app, "/search?q=data&limit=2&offset=2&passages=0").await;
    let all = get(&app, "/search?q=data&limit=4").await;
    assert_eq!(page2.json["hits"][0]["id"], all.json["hits"][2]["id"]);
    assert!(page2.json["hits"][0]["passages"].as_array().unwrap().is_empty());
    // No hits is not an error.
    let none = get(&app, "/search?q=zyxwvutsrq").await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.json["total_hits"], 0);
}

#[tokio::test]
async fn bad_search_requests_get_json_errors() {
    let app = corpus_router(ServerConfig { max_query_chars: 50, ..ServerConfig::default() });
    let bad = StatusCode::BAD_REQUEST;
    for (uri, code) in [
        ("/search", "missing_query"),
        ("/search?q=", "missing_query"),
        ("/search?q=a&limit=101", "invalid_parameter"),
        ("/search?q=a&limit=ten", "invalid_parameter"),
        ("/search?q=a&offset=-1", "invalid_parameter"),
        ("/search?q=a&passages=11", "invalid_parameter"),
        ("/search?q=a&since=yesterday", "invalid_parameter"),
        ("/search?q=a&facets=maybe", "invalid_parameter"),
        ("/search?q=a&order=date", "unknown_parameter"),
        ("/search?q=a&sort=size", "invalid_parameter"),
        ("/search?q=a&recent=soon", "invalid_parameter"),
        ("/search?q=a&fuzzy=maybe", "invalid_parameter"),
        ("/search?q=a&collapse=maybe", "invalid_parameter"),
        ("/search?q=author:smith", "invalid_query"),
        ("/search?q=%22unclosed%20(((", "invalid_query"),
    ] {
        let r = get(&app, uri).await;
        if code == "invalid_query" && r.status == StatusCode::OK {
            continue; // the lenient parser may accept it; it must never fail otherwise
        }
        assert_error(&r, bad, code);
    }
    assert_error(&get(&app, &format!("/search?q={}", "a".repeat(51))).await, bad, "query_too_long");
    assert_error(&get(&app, "/nowhere").await, StatusCode::NOT_FOUND, "no_route");
    let wrong = call(&app, Method::PUT, "/search?q=a", None, "").await;
    assert_error(&wrong, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn search_options_of_issue_6() {
    let app = corpus_router(ServerConfig::default());
    // Typo tolerance, and its switch.
    let r = get(&app, "/search?q=Mistrall").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["did_you_mean"], "Mistral");
    assert_eq!(r.json["fuzzy"][0]["term"], "Mistrall");
    assert!(r.json["total_hits"].as_u64().unwrap() > 0);
    let r = get(&app, "/search?q=Mistarl&fuzzy=false").await;
    assert_eq!(r.json["total_hits"], 0);
    assert!(r.json.get("did_you_mean").is_none());
    // Sort by date: newest first.
    let r = get(&app, "/search?q=AI&sort=date&limit=20").await;
    let dates: Vec<&str> =
        r.json["hits"].as_array().unwrap().iter().filter_map(|h| h["date"].as_str()).collect();
    assert!(dates.len() > 5 && dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    // Recency and collapse switches are accepted; every hit has its also_in array.
    let r = get(&app, "/search?q=AI&recent=30d&collapse=false").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["hits"].as_array().unwrap().iter().all(|h| h["also_in"].is_array()));
}

#[tokio::test]
async fn similar_articles_endpoint() {
    let app = corpus_router(ServerConfig::default());
    let id =
        "https://maghreb-tech-wire.example/2025/09/12/mistral-ai-memorandum-digital-transition";
    let r = get(&app, &format!("/articles/{id}/similar?limit=3&passages=1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let hits = r.json["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h["id"] != id));
    let lib = corpus_index().similar(&gazette::SimilarRequest::new(id)).unwrap();
    assert_eq!(hits[0]["id"], lib.hits[0].id.as_str());
    assert!(r.json["facets"].is_object());
    // The article itself is still served at its own path.
    assert_eq!(get(&app, &format!("/articles/{id}")).await.json["id"], id);
    assert_error(
        &get(&app, "/articles/no-such-article/similar").await,
        StatusCode::NOT_FOUND,
        "article_not_found",
    );
    assert_error(
        &get(&app, &format!("/articles/{id}/similar?q=x")).await,
        StatusCode::BAD_REQUEST,
        "unknown_parameter",
    );
}

#[tokio::test]
async fn articles_and_stats() {
    let app = corpus_router(ServerConfig::default());
    let hit = get(&app, "/search?q=Mistral&limit=1").await.json["hits"][0].clone();
    let id = hit["id"].as_str().unwrap();
    assert!(id.contains('/'), "corpus ids are urls: {id}");
    // Percent-encoded, or with its slashes as they are.
    for uri in [format!("/articles/{}", urlencode(id)), format!("/articles/{id}")] {
        let r = get(&app, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
        assert_eq!(r.json["id"], id);
        assert_eq!(r.json["title"], hit["title"]);
        assert!(r.json["body"].as_str().unwrap().len() > 100);
    }
    assert_error(
        &get(&app, "/articles/no-such-id").await,
        StatusCode::NOT_FOUND,
        "article_not_found",
    );
    assert_error(
        &get(&app, "/articles/%FF%FE").await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    );
    let stats = get(&app, "/stats").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.json["articles"], 48);
    assert!(stats.json["languages"]["ar"].as_u64().unwrap() > 0);
    assert!(stats.json.get("index").is_none(), "no server paths in answers");
}

#[tokio::test]
async fn api_key_rules() {
    // No key: reads open, writes refused with 403.
    let (_dir, index) = small_index();
    let ro = Server::new(index, ServerConfig::default()).unwrap().router();
    let body = r#"{"id":"n1","title":"New"}"#;
    assert_error(
        &call(&ro, Method::POST, "/articles", None, body).await,
        StatusCode::FORBIDDEN,
        "writes_disabled",
    );
    assert_error(
        &call(&ro, Method::POST, "/articles", Some(KEY), body).await,
        StatusCode::FORBIDDEN,
        "writes_disabled",
    );
    assert_error(
        &call(&ro, Method::DELETE, "/articles/a1", Some(KEY), "").await,
        StatusCode::FORBIDDEN,
        "writes_disabled",
    );
    assert_error(
        &call(&ro, Method::POST, "/commit", None, "").await,
        StatusCode::FORBIDDEN,
        "writes_disabled",
    );
    assert_eq!(get(&ro, "/search?q=morocco").await.status, StatusCode::OK);
    drop(ro);

    // A key: writes need it, reads stay open.
    let (_dir, index) = small_index();
    let rw = Server::new(index, keyed()).unwrap().router();
    let missing = call(&rw, Method::POST, "/articles", None, body).await;
    assert_error(&missing, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(missing.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_error(
        &call(&rw, Method::POST, "/articles", Some("wrong"), body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &call(&rw, Method::POST, "/articles", Some(&KEY[..KEY.len() - 1]), body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &call(&rw, Method::DELETE, "/articles/a1", None, "").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_eq!(call(&rw, Method::POST, "/articles", Some(KEY), body).await.status, StatusCode::OK);
    assert_eq!(get(&rw, "/search?q=morocco").await.status, StatusCode::OK);
    assert_eq!(get(&rw, "/articles/a1").await.status, StatusCode::OK);
    drop(rw);

    // Protected reads: every API route needs the key; health and the page stay open.
    let (_dir, index) = small_index();
    let config = ServerConfig { protect_reads: true, ..keyed() };
    let locked = Server::new(index, config).unwrap().router();
    for uri in ["/search?q=morocco", "/articles/a1", "/stats"] {
        assert_error(&get(&locked, uri).await, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            call(&locked, Method::GET, uri, Some(KEY), "").await.status,
            StatusCode::OK,
            "{uri}"
        );
    }
    assert_eq!(get(&locked, "/health").await.status, StatusCode::OK);
    assert_eq!(get(&locked, "/").await.status, StatusCode::OK);

    // The key never shows in debug output (and so never in logs).
    let shown = format!("{:?}", keyed());
    assert!(!shown.contains(KEY) && shown.contains("redacted"), "{shown}");
}

#[tokio::test]
async fn writes_are_seen_by_the_next_search() {
    let (_dir, index) = small_index();
    let app = Server::new(index, keyed()).unwrap().router();
    let post = |body: &'static str, uri: &'static str| {
        let app = app.clone();
        async move { call(&app, Method::POST, uri, Some(KEY), body).await }
    };
    let total = |q: &'static str| {
        let app = app.clone();
        async move { get(&app, &format!("/search?q={q}")).await.json["total_hits"].as_u64().unwrap() }
    };

    // One object.
    let r = post(r#"{"id":"z1","title":"Zanzibar summit","body":"Leaders met in Zanzibar.","lang":"en","date":"2025-03-04"}"#, "/articles").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.json["added"].clone(), r.json["committed"].clone()), (json!(1), json!(true)));
    assert_eq!(r.json["ids"], json!(["z1"]));
    assert_eq!(total("zanzibar").await, 1);
    // An array; and the same content again is unchanged.
    let arr = r#"[{"id":"z2","title":"Zanzibar port","body":"Zanzibar port news."},{"id":"z3","title":"Other","body":"Zanzibar again."}]"#;
    assert_eq!(post(arr, "/articles").await.json["added"], 2);
    assert_eq!(post(arr, "/articles").await.json["unchanged"], 2);
    assert_eq!(total("zanzibar").await, 3);
    // JSON Lines; a record without id gets one derived from the request.
    let r = post("{\"id\":\"z1\",\"title\":\"Zanzibar summit\",\"body\":\"Leaders met in Zanzibar and Pemba.\"}\n{\"title\":\"Pemba\",\"body\":\"Pemba island.\"}\n", "/articles").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.json["updated"].clone(), r.json["added"].clone()), (json!(1), json!(1)));
    let derived = r.json["ids"][1].as_str().unwrap().to_string();
    assert!(derived.starts_with("api/"), "{derived}");
    assert_eq!(total("pemba").await, 2);
    let z1 = get(&app, "/articles/z1").await;
    assert!(z1.json["body"].as_str().unwrap().contains("Pemba"));

    // commit=false: invisible until POST /commit.
    let r = post(
        r#"{"id":"q1","title":"Quokka census","body":"Quokka numbers rose."}"#,
        "/articles?commit=false",
    )
    .await;
    assert_eq!(r.json["committed"], false);
    assert_eq!(total("quokka").await, 0);
    let c = call(&app, Method::POST, "/commit", Some(KEY), "").await;
    assert_eq!((c.status, c.json["committed"].clone()), (StatusCode::OK, json!(true)));
    assert_eq!(total("quokka").await, 1);
    assert_eq!(call(&app, Method::POST, "/commit", Some(KEY), "").await.json["committed"], false);

    // Delete.
    let d = call(&app, Method::DELETE, "/articles/z2", Some(KEY), "").await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    assert_eq!(d.json["deleted"], "z2");
    assert_eq!(total("zanzibar").await, 2);
    assert_error(&get(&app, "/articles/z2").await, StatusCode::NOT_FOUND, "article_not_found");
    assert_error(
        &call(&app, Method::DELETE, "/articles/z2", Some(KEY), "").await,
        StatusCode::NOT_FOUND,
        "article_not_found",
    );
    let stats = get(&app, "/stats").await;
    assert_eq!(stats.json["articles"], 2 + 4);
}

#[tokio::test]
async fn bad_writes_get_json_errors_and_write_nothing() {
    let (_dir, index) = small_index();
    let config = ServerConfig { max_body_bytes: 1000, ..keyed() };
    let app = Server::new(index, config).unwrap().router();
    let post = |body: String, uri: &'static str| {
        let app = app.clone();
        async move { call(&app, Method::POST, uri, Some(KEY), &body).await }
    };
    assert_error(&post(String::new(), "/articles").await, StatusCode::BAD_REQUEST, "empty_body");
    assert_error(
        &post("{\"title\": ".into(), "/articles").await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    let r = post("{\"id\":\"ok\",\"title\":\"Fine\"}\n{\"id\": 3\n".into(), "/articles").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_json");
    assert!(r.json["error"]["message"].as_str().unwrap().contains("line 2"), "{}", r.text);
    // One valid record and one without title or body: 422, and the valid one is not written.
    let r =
        post(r#"[{"id":"good","title":"Good one"},{"id":"bad","tags":["x"]}]"#.into(), "/articles")
            .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_article");
    assert_eq!(r.json["error"]["details"].as_array().unwrap().len(), 1);
    assert_error(&get(&app, "/articles/good").await, StatusCode::NOT_FOUND, "article_not_found");
    assert_error(
        &post("[1, 2]".into(), "/articles").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_article",
    );
    assert_error(
        &post("[]".into(), "/articles").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_article",
    );
    let big = format!("{{\"id\":\"big\",\"title\":\"T\",\"body\":\"{}\"}}", "x".repeat(2000));
    assert_error(&post(big, "/articles").await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_error(
        &post("{\"id\":\"a\",\"title\":\"T\"}".into(), "/articles?commit=later").await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    );
    assert_error(
        &post("{\"id\":\"a\",\"title\":\"T\"}".into(), "/articles?sync=1").await,
        StatusCode::BAD_REQUEST,
        "unknown_parameter",
    );
    // A warning (bad date) does not refuse the article.
    let r = post(r#"{"id":"w","title":"Dated","date":"someday"}"#.into(), "/articles").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["warnings"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn slow_requests_time_out_with_a_json_error() {
    // A zero budget: anything that is not answered at once times out.
    let config = ServerConfig { request_timeout: Duration::ZERO, ..ServerConfig::default() };
    let app = corpus_router(config);
    assert_error(&get(&app, "/search?q=data").await, StatusCode::SERVICE_UNAVAILABLE, "timeout");
    assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
}

// ---- over a real socket ----

/// A server on a free loopback port; stops (gracefully) when the returned sender is used.
pub struct Running {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start(index: NewsIndex, config: ServerConfig) -> Running {
        let server = Server::new(index, config).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                server
                    .serve(listener, async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Running { base: format!("http://{addr}"), stop: Some(stop), thread: Some(thread) }
    }

    pub fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

#[test]
fn concurrent_searches_see_whole_commits_while_writing() {
    const BATCHES: usize = 15;
    const PER_BATCH: usize = 4;
    let (dir, index) = small_index();
    let server = Running::start(index, keyed());
    let base = Arc::new(server.base.clone());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (base, done) = (Arc::clone(&base), Arc::clone(&done));
            std::thread::spawn(move || {
                let agent = http();
                let (mut last, mut searches) = (0, 0);
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut resp =
                        agent.get(&format!("{base}/search?q=wombat&limit=100")).call().unwrap();
                    assert_eq!(resp.status(), 200);
                    let v: Value = resp.body_mut().read_json().unwrap();
                    let n = v["total_hits"].as_u64().unwrap() as usize;
                    // A snapshot holds whole commits only, and never goes back in time.
                    assert_eq!(n % PER_BATCH, 0, "a search saw half a commit: {n}");
                    assert!(n >= last, "{n} < {last}");
                    assert_eq!(v["hits"].as_array().unwrap().len(), n.min(100));
                    last = n;
                    searches += 1;
                }
                searches
            })
        })
        .collect();
    let agent = http();
    for b in 0..BATCHES {
        let lines: Vec<String> = (0..PER_BATCH)
            .map(|i| {
                json!({"id": format!("w{b}-{i}"), "title": format!("Wombat report {b}.{i}"),
                       "body": "Wombats were counted in the park again this week.", "lang": "en"})
                .to_string()
            })
            .collect();
        let mut resp = agent
            .post(&format!("{}/articles", base))
            .header("Authorization", &format!("Bearer {KEY}"))
            .header("Content-Type", "application/x-ndjson")
            .send(lines.join("\n"))
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.body_mut().read_json().unwrap();
        assert_eq!(v["added"], PER_BATCH);
        // Read-your-writes: the next search sees the commit.
        let mut s = agent.get(&format!("{base}/search?q=wombat&limit=0")).call().unwrap();
        let seen: Value = s.body_mut().read_json().unwrap();
        assert_eq!(seen["total_hits"], (b + 1) * PER_BATCH);
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let searches: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(searches > BATCHES, "{searches} searches ran during the writes");
    server.stop();
    // The writer lock is released at shutdown.
    let reopened = NewsIndex::open(&dir.path().join("idx")).unwrap();
    reopened.updater(50_000_000, 1).unwrap().finish().unwrap();
}

#[test]
fn shutdown_commits_pending_writes_and_releases_the_lock() {
    let (dir, index) = small_index();
    let server = Running::start(index, keyed());
    // While it runs, the server holds the writer lock.
    let other = NewsIndex::open(&dir.path().join("idx")).unwrap();
    assert!(matches!(other.updater(50_000_000, 1), Err(gazette::Error::Locked { .. })));
    let agent = http();
    let resp = agent
        .post(&format!("{}/articles?commit=false", server.base))
        .header("Authorization", &format!("Bearer {KEY}"))
        .send(r#"{"id":"late","title":"Late news","body":"Pending at shutdown."}"#)
        .unwrap();
    assert_eq!(resp.status(), 200);
    server.stop();
    let after = NewsIndex::open(&dir.path().join("idx")).unwrap();
    assert!(after.article(&"late".into()).unwrap().is_some(), "pending writes are committed");
    after.updater(50_000_000, 1).unwrap().finish().unwrap();
}
