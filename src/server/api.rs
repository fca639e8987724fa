//! The JSON endpoints.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::{ReadAccess, WriteAccess};
use super::error::ApiError;
use super::{AppState, MAX_LIMIT, MAX_OFFSET};
use crate::index::Change;
use crate::search::{date_bound, half_life, MAX_PASSAGES};
use crate::{ArticleId, SearchRequest, SimilarRequest};

/// Runs blocking index work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal("a worker task", &e))?
}

/// Reads the request body within `limit` (else 408 `request_timeout`: the client is too
/// slow) and at most `max_body` bytes of it (else 413), then answers 503 `timeout` when the
/// request as a whole takes longer than `limit` (Gazette is too slow).
pub(crate) async fn time_limit(
    limit: Duration,
    max_body: usize,
    req: Request,
    next: Next,
) -> Response {
    let deadline = tokio::time::Instant::now() + limit;
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, max_body)).await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body is larger than {max_body} bytes"),
                )
            } else {
                ApiError::bad_request("invalid_body", format!("the body could not be read: {e}"))
            }
            .into_response();
        }
        Err(_) => {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the request did not arrive within {} s", limit.as_secs_f64()),
            )
            .into_response()
        }
    };
    let req = Request::from_parts(parts, axum::body::Body::from(bytes));
    // Like `timeout_at`, but the clock is read on every poll: the timer rounds deadlines up
    // to its next millisecond tick, so a request could still be answered after its budget
    // was spent (with a zero budget, whether a search timed out depended on scheduling).
    let mut run = std::pin::pin!(next.run(req));
    let mut timer = std::pin::pin!(tokio::time::sleep_until(deadline));
    let answered = std::future::poll_fn(|cx| {
        use std::future::Future;
        use std::task::Poll;
        if let Poll::Ready(resp) = run.as_mut().poll(cx) {
            return Poll::Ready(Some(resp));
        }
        if tokio::time::Instant::now() >= deadline {
            return Poll::Ready(None);
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await;
    match answered {
        Some(resp) => resp,
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs_f64()),
        )
        .into_response(),
    }
}

pub(crate) async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such endpoint (see /openapi.json)")
}

pub(crate) async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take this method (see /openapi.json)",
    )
}

pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub(crate) async fn stats(
    _: ReadAccess,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let status = blocking(move || Ok(state.index().status()?)).await?;
    Ok(Json(json!({
        "articles": status.articles,
        "passages": status.passages,
        "sources": status.sources,
        "languages": status.languages,
        "date_range": status.date_range,
        "size_bytes": status.size_bytes,
        "last_commit": status.last_commit,
        "schema_version": status.schema_version,
        "analysis_version": status.analysis_version,
    }))
    .into_response())
}

fn number(name: &str, value: &str, max: usize) -> Result<usize, ApiError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ApiError::bad_request(
            "invalid_parameter",
            format!("`{name}` must be a whole number from 0 to {max}, not {value:?}"),
        )),
    }
}

fn boolean(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(
            "invalid_parameter",
            format!("`{name}` must be true or false"),
        )),
    }
}

/// The parameters `GET /search` takes.
const SEARCH_PARAMETERS: &str =
    "q, limit, offset, passages, lang, source, since, until, facets, sort, recent, fuzzy, collapse";
/// The parameters `GET /articles/{id}/similar` takes.
const SIMILAR_PARAMETERS: &str =
    "limit, offset, passages, lang, source, since, until, facets, collapse";

/// Reads the parameters shared by `GET /search` and `GET /articles/{id}/similar` into a
/// request (with `similar`, those of a search only are refused); repeated `lang` and
/// `source` parameters add up (`lang` also takes a comma-separated list); empty values are
/// ignored. Returns the request and the `q` parameter.
fn read_parameters(
    raw: Option<&str>,
    similar: bool,
) -> Result<(SearchRequest, Option<String>), ApiError> {
    let mut req = SearchRequest::new("");
    req.facets = true;
    let mut query: Option<String> = None;
    let invalid = |e: crate::Error| ApiError::bad_request("invalid_parameter", e.to_string());
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if value.trim().is_empty() && key != "q" {
            continue;
        }
        match (&*key, similar) {
            ("q", false) => query = Some(value.into_owned()),
            ("limit", _) => req.limit = number(&key, &value, MAX_LIMIT)?,
            ("offset", _) => req.offset = number(&key, &value, MAX_OFFSET)?,
            ("passages", _) => req.passages = number(&key, &value, MAX_PASSAGES)?,
            ("lang", _) => req.langs.extend(
                value.split(',').map(str::trim).filter(|l| !l.is_empty()).map(String::from),
            ),
            ("source", _) => req.sources.push(value.into_owned()),
            ("since", _) => req.since = Some(date_bound(&value, false).map_err(invalid)?),
            ("until", _) => req.until = Some(date_bound(&value, true).map_err(invalid)?),
            ("facets", _) => req.facets = boolean(&key, &value)?,
            ("collapse", _) => req.collapse = boolean(&key, &value)?,
            ("fuzzy", false) => req.fuzzy = boolean(&key, &value)?,
            ("sort", false) => req.sort = value.parse().map_err(invalid)?,
            ("recent", false) => req.recent = Some(half_life(&value).map_err(invalid)?),
            (other, _) => {
                let known = if similar { SIMILAR_PARAMETERS } else { SEARCH_PARAMETERS };
                return Err(ApiError::bad_request(
                    "unknown_parameter",
                    format!("unknown parameter `{other}` (parameters: {known})"),
                ));
            }
        }
    }
    Ok((req, query))
}

/// Reads `GET /search` parameters into a request.
fn search_request(raw: Option<&str>, max_query_chars: usize) -> Result<SearchRequest, ApiError> {
    let (mut req, query) = read_parameters(raw, false)?;
    let query = query
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("missing_query", "give a query: /search?q=words"))?;
    let chars = query.chars().count();
    if chars > max_query_chars {
        return Err(ApiError::bad_request(
            "query_too_long",
            format!("the query has {chars} characters; the limit is {max_query_chars}"),
        ));
    }
    req.query = query;
    Ok(req)
}

pub(crate) async fn search(
    _: ReadAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let req = search_request(raw.as_deref(), state.config().max_query_chars)?;
    let results = blocking(move || Ok(state.index().search(&req)?)).await?;
    Ok(Json(results).into_response())
}

fn article_id(path: Result<Path<String>, PathRejection>) -> Result<ArticleId, ApiError> {
    match path {
        Ok(Path(id)) if !id.is_empty() => Ok(ArticleId(id)),
        Ok(_) => Err(ApiError::bad_request("invalid_parameter", "the article id is empty")),
        Err(e) => Err(ApiError::bad_request("invalid_parameter", e.body_text())),
    }
}

/// `GET /articles/{id}`, and `GET /articles/{id}/similar` (an article whose own id ends in
/// `/similar` is answered as itself).
pub(crate) async fn get_article(
    _: ReadAccess,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id = article_id(path)?;
    let lookup = id.clone();
    let reader = state.clone();
    let found = blocking(move || Ok(reader.index().article(&lookup)?)).await?;
    match (found, id.as_str().strip_suffix("/similar")) {
        (Some(article), _) => Ok(Json(article).into_response()),
        (None, Some(of)) if !of.is_empty() => {
            let (search, _) = read_parameters(raw.as_deref(), true)?;
            let mut req = SimilarRequest::new(of);
            req.limit = search.limit;
            req.offset = search.offset;
            req.passages = search.passages;
            req.since = search.since;
            req.until = search.until;
            req.langs = search.langs;
            req.sources = search.sources;
            req.facets = search.facets;
            req.collapse = search.collapse;
            let results = blocking(move || Ok(state.index().similar(&req)?)).await?;
            Ok(Json(results).into_response())
        }
        (None, _) => Err(not_found(&id)),
    }
}

fn not_found(id: &ArticleId) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "article_not_found", format!("no article with id {id:?}"))
}

/// `commit=true` (default) or `commit=false`; other parameters are refused.
fn commit_param(raw: Option<&str>) -> Result<bool, ApiError> {
    let mut commit = true;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match (&*key, &*value) {
            ("commit", "true" | "1") => commit = true,
            ("commit", "false" | "0") => commit = false,
            ("commit", _) => {
                return Err(ApiError::bad_request(
                    "invalid_parameter",
                    "`commit` must be true or false",
                ))
            }
            (other, _) => {
                return Err(ApiError::bad_request(
                    "unknown_parameter",
                    format!("unknown parameter `{other}` (parameters: commit)"),
                ))
            }
        }
    }
    Ok(commit)
}

/// Commits and makes the commit visible to the next searches.
fn commit_now(state: &AppState, updater: &mut crate::IndexUpdater) -> Result<bool, ApiError> {
    let committed = updater.commit()?;
    state.index().reload()?;
    Ok(committed)
}

/// The first line where `body` is not JSON (a whole document, or JSON Lines), if any.
fn json_syntax_error(body: &[u8]) -> Option<String> {
    use serde::de::IgnoredAny;
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if serde_json::from_slice::<IgnoredAny>(body).is_ok() {
        return None;
    }
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_slice::<IgnoredAny>(line) {
            return Some(format!("line {}: {e}", i + 1));
        }
    }
    None
}

pub(crate) async fn post_articles(
    _: WriteAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let commit = commit_param(raw.as_deref())?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} bytes", state.config().max_body_bytes),
            )
        } else {
            ApiError::bad_request("invalid_body", e.body_text())
        }
    })?;
    if body.trim_ascii().is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "send articles as a JSON object, an array of objects, or JSON Lines",
        ));
    }
    if let Some(e) = json_syntax_error(&body) {
        return Err(ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")));
    }
    // Records without an id or url get ids derived from this name, unique per request.
    let name = format!("api/{}", time::OffsetDateTime::now_utc().unix_timestamp_nanos());
    let parsed = crate::ingest::parse_json_records(&body, name.as_ref());
    let (skipped, warnings): (Vec<_>, Vec<_>) = parsed.problems.iter().partition(|p| p.skipped);
    let describe = |p: &&crate::ingest::Problem| json!({ "line": p.line, "message": p.message });
    if !skipped.is_empty() || parsed.articles.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_article",
            "some records are not valid articles; nothing was written",
        )
        .with_details(json!(skipped.iter().map(describe).collect::<Vec<_>>())));
    }
    let warnings: Vec<Value> = warnings.iter().map(describe).collect();
    let mut articles = parsed.articles;
    for a in &mut articles {
        a.path = None; // not read from a file (and the same record posted again is unchanged)
    }
    let ids: Vec<String> = articles.iter().map(|a| a.id.0.clone()).collect();
    let writer_state = state.clone();
    let (added, updated, unchanged, committed) = blocking(move || {
        writer_state.with_writer(|updater| {
            let (mut added, mut updated, mut unchanged) = (0, 0, 0);
            for article in &articles {
                match updater.upsert_if_changed(article)?.0 {
                    Change::Added => added += 1,
                    Change::Updated => updated += 1,
                    Change::Unchanged => unchanged += 1,
                }
            }
            let committed = commit && commit_now(&writer_state, updater)?;
            Ok((added, updated, unchanged, committed))
        })
    })
    .await?;
    Ok(Json(json!({
        "ids": ids,
        "added": added,
        "updated": updated,
        "unchanged": unchanged,
        "committed": committed,
        "warnings": warnings,
    }))
    .into_response())
}

pub(crate) async fn delete_article(
    _: WriteAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let commit = commit_param(raw.as_deref())?;
    let id = article_id(path)?;
    let writer_state = state.clone();
    let answer_id = id.clone();
    let committed = blocking(move || {
        writer_state.with_writer(|updater| {
            let known = updater.with_manifest(|m| m.articles.contains_key(id.as_str()))?;
            if !known {
                return Err(not_found(&id));
            }
            updater.delete(&id);
            Ok(commit && commit_now(&writer_state, updater)?)
        })
    })
    .await?;
    Ok(Json(json!({ "deleted": answer_id, "committed": committed })).into_response())
}

pub(crate) async fn commit(
    _: WriteAccess,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let writer_state = state.clone();
    let committed =
        blocking(move || writer_state.with_writer(|u| commit_now(&writer_state, u))).await?;
    Ok(Json(json!({ "committed": committed })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_parameters() {
        let req = search_request(Some("q=OpenAI%20Morocco&limit=5&lang=en,fr&source=A&source=B&since=2025-01-01&passages=0&offset="), 100).unwrap();
        assert_eq!(req.query, "OpenAI Morocco");
        assert_eq!((req.limit, req.offset, req.passages), (5, 0, 0));
        assert_eq!(req.langs, ["en", "fr"]);
        assert_eq!(req.sources, ["A", "B"]);
        assert!(req.since.is_some() && req.until.is_none() && req.facets);
        assert!(req.fuzzy && req.collapse && req.sort == crate::Sort::Relevance);
        let req =
            search_request(Some("q=a&sort=date&recent=30d&fuzzy=false&collapse=0"), 100).unwrap();
        assert_eq!(req.sort, crate::Sort::Date);
        assert_eq!(req.recent, Some(time::Duration::days(30)));
        assert!(!req.fuzzy && !req.collapse);
        assert!(read_parameters(Some("q=a"), true).is_err());
        assert!(read_parameters(Some("sort=date"), true).is_err());
        let code = |raw| search_request(Some(raw), 10).unwrap_err().code;
        assert_eq!(code("q=a&limit=101"), "invalid_parameter");
        assert_eq!(code("q=a&limit=-1"), "invalid_parameter");
        assert_eq!(code("q=a&until=soon"), "invalid_parameter");
        assert_eq!(code("q=a&sort=size"), "invalid_parameter");
        assert_eq!(code("q=a&recent=soon"), "invalid_parameter");
        assert_eq!(code("q=a&fuzzy=maybe"), "invalid_parameter");
        assert_eq!(code("q=a&order=date"), "unknown_parameter");
        assert_eq!(code("q=%20"), "missing_query");
        assert_eq!(code("limit=3"), "missing_query");
        assert_eq!(code("q=aaaaaaaaaaa"), "query_too_long");
    }

    #[test]
    fn json_syntax() {
        assert_eq!(json_syntax_error(br#"[{"a": 1}]"#), None);
        assert_eq!(json_syntax_error(b"{\"a\": 1}\n\n{\"b\": 2}\n"), None);
        assert!(json_syntax_error(b"{\"a\": 1}\n{\"b\": ").is_some_and(|e| e.starts_with("line 2")));
    }
}
