//! Gazette over HTTP: a JSON API and a web search page (`gazette serve`), on axum and tokio.
//!
//! This module reaches the rest of Gazette only through the library's public API
//! ([`NewsIndex`], [`IndexUpdater`], [`crate::SearchRequest`], [`crate::ingest::parse_json_records`]),
//! like any embedder; it owns HTTP concerns only: routes, parameters, status codes, keys.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the search page (HTML, CSS and JS embedded in the binary) |
//! | `GET /search?q=…` | the `gazette search --json` document, plus facet counts |
//! | `GET /articles/{id}` | one stored article |
//! | `GET /stats`, `GET /health` | what the index holds; liveness |
//! | `POST /articles`, `DELETE /articles/{id}`, `POST /commit` | writes (need the api key) |
//! | `GET /openapi.json` | the OpenAPI 3.1 description of all of the above |
//!
//! Searches run on the index reader, each on one snapshot (the last commit), concurrently.
//! Writes go through one [`IndexUpdater`], held for the server's lifetime behind a mutex
//! (so the index's writer lock is taken once, at start, and released at shutdown); a write
//! commits before it answers unless `?commit=false`, and the reader is reloaded right after
//! each commit, so the next search sees it. A server without a key never takes the writer
//! lock, so `gazette index` can update the index meanwhile; such a server reloads its reader
//! every second to see those commits.
//!
//! # Example
//!
//! ```no_run
//! use gazette::server::{Server, ServerConfig};
//! use gazette::NewsIndex;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let index = NewsIndex::open("index".as_ref())?;
//! let server = Server::new(index, ServerConfig::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:7700").await?;
//! server.serve(listener, gazette::server::shutdown_signal()).await?;
//! # Ok(())
//! # }
//! ```

mod api;
mod auth;
mod error;
mod page;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{IndexOptions, IndexUpdater, NewsIndex};

/// Longest query accepted by default, in characters.
pub const DEFAULT_MAX_QUERY_CHARS: usize = 1000;
/// Largest `limit` accepted by `GET /search`.
pub const MAX_LIMIT: usize = 100;
/// Largest `offset` accepted by `GET /search` (deeper pages are refused).
pub const MAX_OFFSET: usize = 10_000;

/// How a [`Server`] behaves. `Default` gives a read-only server with open reads, no CORS,
/// 16 MB bodies, 1000-character queries and a 30 s request timeout.
#[derive(Clone)]
pub struct ServerConfig {
    /// The api key that enables writes (and protects reads with `protect_reads`); `None`:
    /// read-only server. Never logged.
    pub api_key: Option<String>,
    /// Require the api key for reads too (`/search`, `/articles/{id}`, `/stats`).
    pub protect_reads: bool,
    /// Origins allowed to call the API from a browser (CORS); empty: none. `*` allows any.
    pub cors_origins: Vec<String>,
    /// Largest request body, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Longest query, in characters (longer: 400).
    pub max_query_chars: usize,
    /// Time allowed for one request (longer: 503 `timeout`).
    pub request_timeout: Duration,
    /// Time a client has to send a request's line and headers, on a new connection and
    /// between requests on a kept-alive one; a client slower than that (a slowloris) is
    /// disconnected. The body has `request_timeout`.
    pub header_timeout: Duration,
    /// Memory budget of the index writer, in bytes.
    pub writer_heap_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            api_key: None,
            protect_reads: false,
            cors_origins: Vec::new(),
            max_body_bytes: 16 * 1024 * 1024,
            max_query_chars: DEFAULT_MAX_QUERY_CHARS,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            writer_heap_bytes: IndexOptions::default().heap_bytes,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("protect_reads", &self.protect_reads)
            .field("cors_origins", &self.cors_origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_query_chars", &self.max_query_chars)
            .field("request_timeout", &self.request_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("writer_heap_bytes", &self.writer_heap_bytes)
            .finish()
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

struct Inner {
    index: NewsIndex,
    /// The one writer; `None` inside once shut down. Absent when writes are disabled.
    writer: Option<Mutex<Option<IndexUpdater>>>,
    config: ServerConfig,
}

impl AppState {
    pub(crate) fn index(&self) -> &NewsIndex {
        &self.0.index
    }

    pub(crate) fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    pub(crate) fn api_key(&self) -> Option<&[u8]> {
        self.0.config.api_key.as_deref().map(str::as_bytes)
    }

    pub(crate) fn protect_reads(&self) -> bool {
        self.0.config.protect_reads
    }

    /// Runs `f` with the writer, one caller at a time.
    pub(crate) fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexUpdater) -> Result<T, error::ApiError>,
    ) -> Result<T, error::ApiError> {
        let unavailable = || {
            error::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down",
            )
        };
        let Some(writer) = &self.0.writer else { return Err(unavailable()) };
        let mut guard: MutexGuard<'_, Option<IndexUpdater>> =
            writer.lock().map_err(|_| error::ApiError::internal("the writer", &"poisoned"))?;
        match guard.as_mut() {
            Some(updater) => f(updater),
            None => Err(unavailable()),
        }
    }
}

/// A Gazette HTTP server over one index.
pub struct Server {
    state: AppState,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("index", &self.state.0.index)
            .field("config", &self.state.0.config)
            .finish()
    }
}

impl Server {
    /// Prepares a server over `index`. With an api key, takes the index's writer lock for
    /// the server's lifetime (fails with [`crate::Error::Locked`] when another process
    /// holds it).
    pub fn new(index: NewsIndex, config: ServerConfig) -> crate::Result<Server> {
        if config.api_key.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(crate::Error::InvalidOption("the api key is empty".into()));
        }
        let writer = match &config.api_key {
            Some(_) => Some(Mutex::new(Some(index.updater(config.writer_heap_bytes, 0)?))),
            None => None,
        };
        Ok(Server { state: AppState(Arc::new(Inner { index, writer, config })) })
    }

    /// The routes, with their limits, timeout and CORS policy: an axum [`Router`] to serve or
    /// to nest in a larger application.
    pub fn router(&self) -> Router {
        let cfg = self.state.config();
        let timeout = cfg.request_timeout;
        let max_body = cfg.max_body_bytes;
        let mut router = Router::new()
            .route("/", get(page::index))
            .route("/assets/app.js", get(page::script))
            .route("/assets/app.css", get(page::style))
            .route("/openapi.json", get(page::openapi))
            .route("/health", get(api::health))
            .route("/stats", get(api::stats))
            .route("/search", get(api::search))
            .route("/articles", post(api::post_articles))
            .route("/articles/{*id}", get(api::get_article).delete(api::delete_article))
            .route("/commit", post(api::commit))
            .fallback(api::no_route)
            .method_not_allowed_fallback(api::wrong_method)
            .with_state(self.state.clone())
            .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
            .layer(axum::middleware::from_fn(move |req, next| {
                api::time_limit(timeout, max_body, req, next)
            }))
            .layer(tower_http::trace::TraceLayer::new_for_http());
        if !cfg.cors_origins.is_empty() {
            let origins = if cfg.cors_origins.iter().any(|o| o == "*") {
                AllowOrigin::any()
            } else {
                AllowOrigin::list(cfg.cors_origins.iter().filter_map(|o| o.parse().ok()))
            };
            router = router.layer(
                CorsLayer::new()
                    .allow_origin(origins)
                    .allow_methods([
                        axum::http::Method::GET,
                        axum::http::Method::POST,
                        axum::http::Method::DELETE,
                    ])
                    .allow_headers([
                        axum::http::header::AUTHORIZATION,
                        axum::http::header::CONTENT_TYPE,
                    ]),
            );
        }
        router
    }

    /// Serves requests on `listener` until `shutdown` completes, then lets in-flight requests
    /// finish, commits pending writes and releases the writer lock.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let reloader = (self.state.0.writer.is_none()).then(|| {
            let state = self.state.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let state = state.clone();
                    let reloaded = tokio::task::spawn_blocking(move || state.index().reload());
                    if let Ok(Err(e)) = reloaded.await {
                        tracing::warn!(error = %e, "reloading the index failed");
                    }
                }
            })
        });
        let app = self.router();
        let served = accept_loop(listener, app, self.state.config().header_timeout, shutdown).await;
        if let Some(task) = reloader {
            task.abort();
        }
        let state = self.state.clone();
        let finished = tokio::task::spawn_blocking(move || state.shut_down()).await;
        match finished {
            Ok(Err(e)) => tracing::error!(error = %e, "closing the index writer failed"),
            Err(e) => tracing::error!(error = %e, "closing the index writer failed"),
            Ok(Ok(())) => {}
        }
        served
    }
}

/// Serves HTTP/1.1 connections from `listener` until `shutdown`, then waits for the open
/// connections to finish their requests.
///
/// `axum::serve` would do the same but sets no timer on its connections, so hyper's
/// header-read timeout never fires: a client that sends its headers a byte at a time holds a
/// connection and a task for as long as it likes. Here each connection gets a Tokio timer
/// and `header_timeout`.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin; a
                    // connection reset before it was accepted is only that connection's.
                    let per_connection = matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                    );
                    if !per_connection {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

impl AppState {
    /// Commits pending writes and releases the writer.
    fn shut_down(&self) -> crate::Result<()> {
        let Some(writer) = &self.0.writer else { return Ok(()) };
        let taken = writer.lock().map(|mut w| w.take()).unwrap_or(None);
        if let Some(mut updater) = taken {
            if updater.commit()? {
                tracing::info!("committed pending writes at shutdown");
            }
            updater.finish()?;
        }
        Ok(())
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM: the shutdown signal of `gazette serve`.
///
/// The handlers are installed when this is called, not when the future is first polled: a
/// signal that arrives before the server's loop first looks at the future (right after
/// start-up, or while it accepts its first connections) still stops the server gracefully
/// rather than killing the process with its pending writes. Call it from within a Tokio
/// runtime, before announcing that the server is up (outside one, the handlers are
/// installed when the future is first polled).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let installed = tokio::runtime::Handle::try_current().is_ok().then(install_handlers);
    async move {
        #[cfg(unix)]
        {
            let (int, term) = installed.unwrap_or_else(install_handlers);
            tokio::select! {
                () = received(int) => {},
                () = received(term) => {},
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

/// SIGINT's and SIGTERM's handlers (`None` where one could not be installed). Needs a Tokio
/// runtime.
#[cfg(unix)]
fn install_handlers() -> (Option<tokio::signal::unix::Signal>, Option<tokio::signal::unix::Signal>)
{
    use tokio::signal::unix::{signal, SignalKind};
    (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
}

/// Completes when `signal` arrives; never, if its handler could not be installed.
#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
