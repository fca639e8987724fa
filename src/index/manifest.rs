//! The manifest: what every indexed file and article looked like at the last commit, so a
//! re-run reads only changed files and re-indexes only changed articles.
//!
//! It is written next to the index as `manifest-<generation>.json` *before* the Tantivy
//! commit, and the commit's payload names the generation; older manifests are removed after
//! the commit. Whatever the moment a run is killed, the manifest named by the last commit
//! describes exactly that commit.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::article::Article;
use crate::error::{Error, Result};

const PREFIX: &str = "manifest-";
const VERSION: u32 = 1;

/// One indexed file, as it was when last read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Hash of the content (for JSON Lines, of the lines' hashes).
    pub hash: u64,
    /// The ids of the articles the file held.
    pub ids: Vec<String>,
    /// JSON Lines only: the hash of each line, so unchanged lines are not parsed again; the
    /// line's article id is `ids[i]` (empty for lines without an article).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<u64>,
}

/// One indexed article: its content hash and what `gazette status` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleEntry {
    /// Hash of the article's content and metadata.
    pub hash: u64,
    /// Outlet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Language code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Publication date, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    /// Canonical url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Passages indexed.
    pub passages: u32,
}

impl ArticleEntry {
    /// The entry of an article about to be indexed with `passages` passages.
    pub fn of(article: &Article, passages: usize) -> Self {
        ArticleEntry {
            hash: content_hash(article),
            source: article.source.clone(),
            lang: article.lang.clone(),
            date: article.published.map(|d| d.unix_timestamp()),
            url: article.url.clone(),
            passages: passages as u32,
        }
    }
}

/// The state of an index at one commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of this file.
    pub version: u32,
    /// Generation, named by the commit payload.
    pub generation: u64,
    /// When the commit was made (RFC 3339).
    pub committed_at: Option<String>,
    /// Indexed roots (absolute paths) and, under each, files by root-relative path.
    pub roots: BTreeMap<String, BTreeMap<String, FileEntry>>,
    /// Every article in the index, by id.
    pub articles: HashMap<String, ArticleEntry>,
}

/// Hash of what an article indexes: any change to it means re-indexing.
pub fn content_hash(a: &Article) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [
        a.id.as_str(),
        &a.title,
        &a.body,
        a.url.as_deref().unwrap_or(""),
        a.source.as_deref().unwrap_or(""),
        a.lang.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.update(&a.published.map_or(i64::MIN, |d| d.unix_timestamp()).to_le_bytes());
    for t in &a.tags {
        h.update(t.as_bytes());
        h.update(&[1]);
    }
    if let Some(p) = &a.path {
        h.update(p.to_string_lossy().as_bytes());
    }
    h.digest()
}

fn file_name(generation: u64) -> String {
    format!("{PREFIX}{generation}.json")
}

impl Manifest {
    /// Loads the manifest of generation `generation` from `dir`; generation 0 (an index
    /// never committed by Gazette) is an empty manifest.
    pub fn load(dir: &Path, generation: u64) -> Result<Manifest> {
        if generation == 0 {
            return Ok(Manifest { version: VERSION, ..Manifest::default() });
        }
        let path = dir.join(file_name(generation));
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::NotAnIndex {
            path: dir.to_path_buf(),
            reason: format!("{}: {e}", path.display()),
        })
    }

    /// Writes this manifest as generation `generation` (synced), ready for a commit that
    /// names it.
    pub fn store(&mut self, dir: &Path, generation: u64) -> Result<()> {
        self.version = VERSION;
        self.generation = generation;
        self.committed_at = Some(crate::ingest::format_date(time::OffsetDateTime::now_utc()));
        let bytes = serde_json::to_vec(self).map_err(|e| Error::io(dir, e.into()))?;
        super::write_atomic(&dir.join(file_name(generation)), &bytes)
    }

    /// Removes manifests of other generations (after a commit named `keep`).
    pub fn remove_others(dir: &Path, keep: u64) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(PREFIX) && name != file_name(keep) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}
