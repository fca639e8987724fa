//! The unit that flows from ingest to index: one news article, normalized from whatever
//! format it arrived in.
//!
//! This module knows nothing about files or the index; it only defines the data.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A stable article identity: an explicit id, else the canonical url, else the
/// corpus-relative path (with `#L<line>` or `#<index>` for articles inside JSON files).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArticleId(pub String);

impl ArticleId {
    /// Returns the id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ArticleId {
    fn from(s: &str) -> Self {
        ArticleId(s.to_string())
    }
}

/// The input format an article was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An HTML page (`.html`, `.htm`).
    Html,
    /// Plain text (`.txt`): the first line is the title.
    Text,
    /// Markdown with optional YAML front matter (`.md`, `.markdown`).
    Markdown,
    /// One JSON object or an array of objects (`.json`).
    Json,
    /// JSON Lines: one object per line (`.jsonl`, `.ndjson`).
    JsonLines,
}

impl Format {
    /// A short lowercase name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One news article, normalized from whatever format it arrived in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable identity (see [`ArticleId`]).
    pub id: ArticleId,
    /// Headline; may be empty when the source had none.
    pub title: String,
    /// Plain text; paragraphs separated by a blank line (`"\n\n"`).
    pub body: String,
    /// Canonical url, when known.
    pub url: Option<String>,
    /// Outlet name (or host name), when known.
    pub source: Option<String>,
    /// Publication date and time, when known.
    #[serde(with = "time::serde::rfc3339::option")]
    pub published: Option<OffsetDateTime>,
    /// Language code as given by the source (`en`, `fr`, `ar`, …) or detected from the text.
    pub lang: Option<String>,
    /// Topics or tags.
    pub tags: Vec<String>,
    /// The file the article was read from, as the user named it.
    pub path: Option<PathBuf>,
    /// The input format.
    pub format: Format,
}

impl Article {
    /// Creates an article with the given id, title and body and no metadata.
    pub fn new(id: impl Into<String>, title: impl Into<String>, body: impl Into<String>) -> Self {
        Article {
            id: ArticleId(id.into()),
            title: title.into(),
            body: body.into(),
            url: None,
            source: None,
            published: None,
            lang: None,
            tags: Vec::new(),
            path: None,
            format: Format::Json,
        }
    }
}
