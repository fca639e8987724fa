//! JSON records (`.json` objects or arrays, `.jsonl` / `.ndjson` lines, Markdown front
//! matter) to `Article`s.
//!
//! Accepted keys: `id`; `title` / `headline`; `body` / `text` / `content` / `articleBody`;
//! `date` / `published` / `published_at` / `datePublished` / `pubDate`; `url` / `link`;
//! `source` / `site`; `lang` / `language`; `topics` / `tags`.

use serde_json::{Map, Value};

use super::{finish_article, Ctx, Locator, Parsed, Problem};
use crate::article::{Article, ArticleId};
use crate::ingest::date::parse_date;

const TITLE: &[&str] = &["title", "headline", "name"];
const BODY: &[&str] = &["body", "text", "content", "articleBody", "article_body"];
const DATE: &[&str] =
    &["date", "published", "published_at", "datePublished", "pubDate", "pub_date"];
const URL: &[&str] = &["url", "link", "canonical_url"];
const SOURCE: &[&str] = &["source", "site", "publisher", "outlet"];
const LANG: &[&str] = &["lang", "language", "inLanguage"];
const TAGS: &[&str] = &["topics", "tags", "keywords", "categories"];

fn first<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().filter_map(|k| obj.get(*k)).find(|v| !v.is_null())
}

/// A string from a JSON value: strings as they are, numbers printed, objects by their
/// `name` (as in schema.org's `publisher: {"name": …}`).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("name").and_then(as_text),
        Value::Array(a) => a.iter().find_map(as_text),
        _ => None,
    }
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(as_text).collect(),
        Value::String(s) => {
            s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        }
        _ => Vec::new(),
    }
}

/// Maps one JSON object to an article. Problems that do not lose the article (an
/// unparseable date) are pushed to `out.problems`; an object without title and body is
/// reported and skipped.
pub(crate) fn push_record(value: Value, ctx: &Ctx<'_>, loc: Locator, out: &mut Parsed) {
    let line = loc.line();
    let Value::Object(obj) = value else {
        out.problems.push(Problem::skipped(
            ctx.path,
            line,
            format!("expected a JSON object, found {}", kind(&value)),
        ));
        return;
    };
    let title = first(&obj, TITLE).and_then(as_text).unwrap_or_default();
    let body = first(&obj, BODY).and_then(as_text).unwrap_or_default();
    if title.is_empty() && body.is_empty() {
        out.problems.push(Problem::skipped(ctx.path, line, "record has no title and no body"));
        return;
    }
    let mut article = Article::new(String::new(), title, body);
    article.format = ctx.format;
    article.url = first(&obj, URL).and_then(as_text);
    article.source = first(&obj, SOURCE).and_then(as_text);
    article.lang = first(&obj, LANG).and_then(as_text);
    article.tags = first(&obj, TAGS).map(as_list).unwrap_or_default();
    if let Some(date) = first(&obj, DATE).and_then(as_text) {
        match parse_date(&date) {
            Some(d) => article.published = Some(d),
            None => out.problems.push(Problem::warning(
                ctx.path,
                line,
                format!(
                    "unparseable or out-of-range date {date:?}; article indexed without a date"
                ),
            )),
        }
    }
    let explicit_id = obj.get("id").and_then(as_text);
    article.id = ArticleId(match explicit_id {
        Some(id) => id,
        None => ctx.fallback_id(loc, article.url.as_deref()),
    });
    out.articles.push(finish_article(article, ctx));
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a `.json` file: one object, or an array of objects.
pub(crate) fn parse_json(text: &str, ctx: &Ctx<'_>, out: &mut Parsed) {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                push_record(item, ctx, Locator::Index(i), out);
            }
        }
        Ok(value) => push_record(value, ctx, Locator::Whole, out),
        Err(e) => out.problems.push(Problem::skipped(
            ctx.path,
            Some(e.line() as u64),
            format!("invalid JSON: {e}"),
        )),
    }
}

/// Parses one line of a JSON Lines file; blank lines are skipped.
pub(crate) fn parse_json_line(bytes: &[u8], line: u64, ctx: &Ctx<'_>, out: &mut Parsed) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            out.problems.push(Problem::skipped(
                ctx.path,
                Some(line),
                format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
            ));
            return;
        }
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => push_record(value, ctx, Locator::Line(line), out),
        Err(e) => {
            out.problems.push(Problem::skipped(ctx.path, Some(line), format!("invalid JSON: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Format;
    use std::path::Path;

    fn ctx(format: Format) -> Ctx<'static> {
        Ctx { path: Path::new("feeds/a.json"), rel: "feeds/a.json", format }
    }

    #[test]
    fn alternative_keys() {
        let mut out = Parsed::default();
        let v: Value = serde_json::from_str(
            r#"{"headline":"H","content":"B","published_at":"2025-09-12","link":"https://x.example/a","site":"S","language":"fr-FR","topics":["ai"]}"#,
        )
        .unwrap();
        push_record(v, &ctx(Format::Json), Locator::Whole, &mut out);
        let a = &out.articles[0];
        assert_eq!((a.title.as_str(), a.body.as_str()), ("H", "B"));
        assert_eq!(a.id.as_str(), "https://x.example/a");
        assert_eq!(a.source.as_deref(), Some("S"));
        assert_eq!(a.lang.as_deref(), Some("fr"));
        assert_eq!(a.tags, vec!["ai".to_string()]);
        assert!(a.published.is_some());
    }

    #[test]
    fn ids_fall_back_to_path_and_line() {
        let mut out = Parsed::default();
        parse_json_line(br#"{"title":"T","body":"B"}"#, 7, &ctx(Format::JsonLines), &mut out);
        assert_eq!(out.articles[0].id.as_str(), "feeds/a.json#L7");
        parse_json(r#"[{"title":"T"},{"title":"U","id":42}]"#, &ctx(Format::Json), &mut out);
        assert_eq!(out.articles[1].id.as_str(), "feeds/a.json#0");
        assert_eq!(out.articles[2].id.as_str(), "42");
    }

    #[test]
    fn bad_records_are_reported_with_their_line() {
        let mut out = Parsed::default();
        parse_json_line(b"{\"title\": ", 3, &ctx(Format::JsonLines), &mut out);
        parse_json_line(b"[1,2]", 4, &ctx(Format::JsonLines), &mut out);
        parse_json_line(
            b"{\"title\":\"T\",\"date\":\"soon\"}",
            5,
            &ctx(Format::JsonLines),
            &mut out,
        );
        parse_json_line(b"\xff\xfe", 6, &ctx(Format::JsonLines), &mut out);
        let lines: Vec<_> = out.problems.iter().map(|p| (p.line, p.skipped)).collect();
        assert_eq!(
            lines,
            vec![(Some(3), true), (Some(4), true), (Some(5), false), (Some(6), true)]
        );
        assert_eq!(out.articles.len(), 1);
        assert!(out.articles[0].published.is_none());
    }
}
