//! The on-disk index: creating and opening it, and writing articles into it.
//!
//! [`NewsIndex`] wraps a Tantivy index with Gazette's schema and analysis chains, and
//! records the schema and analysis versions next to it (`gazette.json`) so an index built by
//! an incompatible Gazette is refused with a clear message. [`IndexUpdater`] upserts and
//! deletes whole articles; [`index_paths`] runs a parallel indexing job over files.

mod build;
mod directory;
pub mod fingerprint;
pub mod manifest;
mod watch;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::indexer::UserOperation;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use time::OffsetDateTime;

pub use build::{index_paths, IndexOptions, IndexSummary, Progress};
pub use manifest::Manifest;
pub use watch::watch;

use manifest::ArticleEntry;

use crate::analysis::{self, Lang, Profile};
use crate::article::{Article, ArticleId, Format};
use crate::error::{Error, Result};
use crate::ingest::passage_lang;
use crate::passage::{split_passages, PassageOptions};
use crate::schema::{build_schema, Fields, SCHEMA_VERSION};

/// The file, next to Tantivy's, that marks a directory as a Gazette index.
const MARKER: &str = "gazette.json";

/// The file naming the process that holds the writer lock.
const LOCK_INFO: &str = "gazette.lock";
/// How long a writer waits for the lock before reporting who holds it.
const LOCK_WAIT: Duration = Duration::from_secs(1);
/// How often it tries again meanwhile.
const LOCK_RETRY: Duration = Duration::from_millis(20);

/// The value of the `kind` field on article records.
const RECORD_KIND: &str = "article";

/// What Gazette writes in each Tantivy commit's payload.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    manifest: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    schema_version: u32,
    analysis_version: u32,
    /// The analysis profile (absent in indexes of the standard profile made before it existed).
    #[serde(default)]
    analysis: Profile,
    created_by: String,
}

/// A Gazette index on disk.
pub struct NewsIndex {
    dir: PathBuf,
    profile: Profile,
    index: Index,
    fields: Fields,
    reader: IndexReader,
}

impl std::fmt::Debug for NewsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewsIndex").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Counts of what an index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Articles in the last commit.
    pub articles: u64,
    /// Passages in the last commit.
    pub passages: u64,
}

/// What `gazette status` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexStatus {
    /// The index directory.
    pub index: PathBuf,
    /// Articles in the last commit.
    pub articles: u64,
    /// Passages in the last commit.
    pub passages: u64,
    /// Articles per source ("" for none).
    pub sources: BTreeMap<String, u64>,
    /// Articles per language ("" for unknown).
    pub languages: BTreeMap<String, u64>,
    /// First and last publication days.
    pub date_range: Option<DateRange>,
    /// Size of the index directory.
    pub size_bytes: u64,
    /// When the last commit was made (RFC 3339).
    pub last_commit: Option<String>,
    /// Schema version of the index.
    pub schema_version: u32,
    /// Analysis chains version of the index.
    pub analysis_version: u32,
    /// Indexed roots and the number of files under each.
    pub roots: BTreeMap<String, u64>,
}

/// A range of publication days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateRange {
    /// First day (YYYY-MM-DD).
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD).
    pub to: Option<String>,
}

fn walk_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Returns true when `dir` holds a Gazette index.
pub fn exists(dir: &Path) -> bool {
    dir.join(MARKER).is_file() && dir.join("meta.json").is_file()
}

impl NewsIndex {
    /// Creates a new, empty index in `dir` (created if missing). Fails if `dir` already
    /// holds files.
    pub fn create(dir: &Path) -> Result<NewsIndex> {
        Self::create_with(dir, Profile::Standard)
    }

    /// Creates a new, empty index in `dir` whose text is analyzed with `profile`.
    pub fn create_with(dir: &Path, profile: Profile) -> Result<NewsIndex> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        clear_interrupted_creation(dir)?;
        // The marker first, then Tantivy's files: a creation killed half-way leaves a marker
        // without `meta.json`, which `open` reports as no index yet and the next `create`
        // clears (see `clear_interrupted_creation`).
        let marker = Marker {
            schema_version: SCHEMA_VERSION,
            analysis_version: analysis::ANALYSIS_VERSION,
            analysis: profile,
            created_by: format!("gazette {}", env!("CARGO_PKG_VERSION")),
        };
        let json = serde_json::to_vec_pretty(&marker).unwrap_or_default();
        write_atomic(&dir.join(MARKER), &json)?;
        let mdir = directory::IndexDirectory::open(dir)?;
        let index = Index::create(mdir, build_schema(), index_settings())?;
        Self::wrap(dir, index, profile)
    }

    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> Result<NewsIndex> {
        if !dir.exists() {
            return Err(Error::IndexNotFound(dir.to_path_buf()));
        }
        let marker_path = dir.join(MARKER);
        if marker_path.is_file() && !dir.join("meta.json").exists() {
            // A creation that did not get as far as Tantivy's first commit: nothing is
            // indexed there yet. With anything else beside the marker, `meta.json` was lost.
            return Err(if creation_leftovers(dir)?.is_some() {
                Error::IndexNotFound(dir.to_path_buf())
            } else {
                Error::Damaged { path: dir.join("meta.json"), reason: "the file is missing".into() }
            });
        }
        let marker = match std::fs::read(&marker_path) {
            Ok(bytes) => {
                serde_json::from_slice::<Marker>(&bytes).map_err(|e| Error::NotAnIndex {
                    path: dir.to_path_buf(),
                    reason: format!("{}: {e}", marker_path.display()),
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(if dir.join("meta.json").exists() {
                    Error::NotAnIndex {
                        path: dir.to_path_buf(),
                        reason: format!("{MARKER} is missing"),
                    }
                } else {
                    Error::IndexNotFound(dir.to_path_buf())
                });
            }
            Err(e) => return Err(Error::io(marker_path, e)),
        };
        let found = marker.schema_version * 1000 + marker.analysis_version;
        let expected = SCHEMA_VERSION * 1000 + analysis::ANALYSIS_VERSION;
        if found != expected {
            return Err(Error::IncompatibleIndex { path: dir.to_path_buf(), found, expected });
        }
        let index =
            directory::IndexDirectory::open(dir).and_then(Index::open).map_err(|e| match e {
                tantivy::TantivyError::IoError(io) => {
                    Error::io(dir.join("meta.json"), clone_io(&io))
                }
                other => Error::NotAnIndex { path: dir.to_path_buf(), reason: other.to_string() },
            })?;
        Self::wrap(dir, index, marker.analysis)
    }

    /// Opens the index in `dir`, creating it when there is none.
    pub fn open_or_create(dir: &Path) -> Result<NewsIndex> {
        match Self::open(dir) {
            Err(Error::IndexNotFound(_)) => Self::create(dir),
            other => other,
        }
    }

    fn wrap(dir: &Path, index: Index, profile: Profile) -> Result<NewsIndex> {
        analysis::register_all(index.tokenizers(), profile);
        let fields = Fields::from_schema(&index.schema())
            .map_err(|reason| Error::NotAnIndex { path: dir.to_path_buf(), reason })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| damaged(dir, e))?;
        Ok(NewsIndex { dir: dir.to_path_buf(), profile, index, fields, reader })
    }

    /// The analysis profile the index was built with.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn tantivy(&self) -> &Index {
        &self.index
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    pub(crate) fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// Makes the last commit visible to searches made through this handle.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(|e| damaged(&self.dir, e))
    }

    /// Reads a stored document; a document that cannot be read means a damaged store file,
    /// which the error names.
    pub(crate) fn stored_doc(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
    ) -> Result<TantivyDocument> {
        searcher.doc(addr).map_err(|e| {
            let segment = searcher.segment_reader(addr.segment_ord).segment_id().uuid_string();
            Error::Damaged {
                path: self.dir.join(format!("{segment}.store")),
                reason: format!("a stored document cannot be read: {e}"),
            }
        })
    }

    /// Starts a writer with a memory budget of `heap_bytes` over `threads` indexing threads
    /// (0: one per core, at most 8). Only one writer may exist per index at a time.
    pub fn updater(&self, heap_bytes: usize, threads: usize) -> Result<IndexUpdater> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get()).min(8)
        } else {
            threads.min(8)
        };
        // Tantivy needs at least 15 MB per thread.
        let heap = heap_bytes.max(threads * 16 * 1024 * 1024);
        let lock_file = self.dir.join(LOCK_INFO);
        // A lock just released can stay held for a moment: a process forked meanwhile (by
        // this one, or a test harness) shares the lock file's descriptor until it execs.
        // Waiting up to `LOCK_WAIT` for it, as SQLite's busy timeout does, keeps that
        // moment from failing a run; a writer that holds the lock longer is reported.
        let waited = Instant::now();
        let writer = loop {
            match self.index.writer_with_num_threads(threads, heap) {
                Err(tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                )) if waited.elapsed() < LOCK_WAIT => std::thread::sleep(LOCK_RETRY),
                other => break other,
            }
        };
        let writer = writer.map_err(|e| match e {
            // Taking the lock failed for another reason than a holder (a read-only disk).
            tantivy::TantivyError::LockFailure(
                tantivy::directory::error::LockError::IoError(io),
                _,
            ) => Error::io(self.dir.join(".tantivy-writer.lock"), clone_io(&io)),
            tantivy::TantivyError::LockFailure(..) => {
                let pid =
                    std::fs::read_to_string(&lock_file).ok().and_then(|s| s.trim().parse().ok());
                Error::Locked { path: self.dir.clone(), pid }
            }
            other => damaged(&self.dir, other),
        })?;
        // Tantivy's lock is an OS file lock, released when its holder dies, so a lock left by
        // a killed process never blocks; this file only tells the next writer who holds it.
        let _ = std::fs::write(&lock_file, std::process::id().to_string());
        let generation = self.generation()?;
        let manifest = committed(generation, Manifest::load(&self.dir, generation))?;
        Ok(IndexUpdater {
            writer,
            dir: self.dir.clone(),
            fields: self.fields,
            passage_opts: PassageOptions::default(),
            pending: Mutex::new(HashSet::new()),
            deferred: Mutex::new(Vec::new()),
            generation,
            manifest: Mutex::new(manifest),
            dirty: AtomicBool::new(false),
        })
    }

    /// The manifest generation named by the last commit (0 when none).
    fn generation(&self) -> Result<u64> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str::<Payload>(p).ok())
            .map_or(0, |p| p.manifest))
    }

    /// The manifest of the last commit: every file and article the index holds.
    ///
    /// A writer may commit while this reads: the manifest of the commit read first is then
    /// removed, and the one the newer commit names is read instead.
    pub fn manifest(&self) -> Result<Manifest> {
        let mut generation = self.generation()?;
        for _ in 0..16 {
            match Manifest::load(&self.dir, generation) {
                Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    let newer = self.generation()?;
                    if newer == generation {
                        break;
                    }
                    generation = newer;
                }
                other => return other,
            }
        }
        committed(generation, Manifest::load(&self.dir, generation))
    }

    /// Checks every file of the committed segments against its checksum (reading all of
    /// them). Opening an index checks only the files' footers, so bytes flipped inside
    /// postings, positions or stored documents go unnoticed until a search reads them, and
    /// may then give wrong results without an error; this finds them. Fails with
    /// [`Error::Damaged`] naming the first damaged file (and counting the others).
    pub fn verify(&self) -> Result<()> {
        let damaged = self.index.validate_checksum().map_err(|e| damaged(&self.dir, e))?;
        let mut files: Vec<_> = damaged.into_iter().collect();
        files.sort();
        match files.first() {
            None => Ok(()),
            Some(first) => Err(Error::Damaged {
                path: self.dir.join(first),
                reason: match files.len() {
                    1 => "its checksum does not match its content".into(),
                    n => format!(
                        "its checksum does not match its content, and {} other files' do not \
                         either",
                        n - 1
                    ),
                },
            }),
        }
    }

    /// Describes what the index holds at its last commit.
    pub fn status(&self) -> Result<IndexStatus> {
        self.reload()?;
        let stats = self.stats()?;
        let manifest = self.manifest()?;
        let mut sources: BTreeMap<String, u64> = BTreeMap::new();
        let mut languages: BTreeMap<String, u64> = BTreeMap::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for a in manifest.articles.values() {
            *sources.entry(a.source.clone().unwrap_or_default()).or_default() += 1;
            *languages.entry(a.lang.clone().unwrap_or_default()).or_default() += 1;
            if let Some(d) = a.date {
                first = first.min(d);
                last = last.max(d);
            }
        }
        let day =
            |t: i64| OffsetDateTime::from_unix_timestamp(t).ok().map(crate::ingest::format_day);
        let size_bytes = walk_size(&self.dir);
        Ok(IndexStatus {
            index: self.dir.clone(),
            articles: stats.articles,
            passages: stats.passages,
            sources,
            languages,
            date_range: (first <= last).then(|| DateRange { from: day(first), to: day(last) }),
            size_bytes,
            last_commit: manifest.committed_at,
            schema_version: SCHEMA_VERSION,
            analysis_version: analysis::ANALYSIS_VERSION,
            roots: manifest
                .roots
                .iter()
                .map(|(r, files)| (r.clone(), files.len() as u64))
                .collect(),
        })
    }

    /// Counts the articles and passages in the last commit seen by this handle.
    pub fn stats(&self) -> Result<IndexStats> {
        let searcher = self.searcher();
        let total: u64 = searcher.num_docs();
        let kind = Term::from_field_text(self.fields.kind, RECORD_KIND);
        let articles = searcher
            .search(&TermQuery::new(kind, IndexRecordOption::Basic), &Count)
            .map_err(|e| damaged(&self.dir, e))? as u64;
        Ok(IndexStats { articles, passages: total.saturating_sub(articles) })
    }

    /// Returns the stored article with this id, if the index holds one.
    pub fn article(&self, id: &ArticleId) -> Result<Option<Article>> {
        self.article_in(&self.searcher(), id)
    }

    /// Looks an article up in a given searcher (one snapshot for a whole search).
    pub(crate) fn article_in(
        &self,
        searcher: &tantivy::Searcher,
        id: &ArticleId,
    ) -> Result<Option<Article>> {
        let term = Term::from_field_text(self.fields.record_id, id.as_str());
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, addr)) => {
                let doc = self.stored_doc(searcher, *addr)?;
                Ok(Some(self.article_from_record(&doc)))
            }
            None => Ok(None),
        }
    }

    pub(crate) fn article_from_record(&self, doc: &TantivyDocument) -> Article {
        let f = &self.fields;
        let s = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
        let published = doc
            .get_first(f.r_date)
            .and_then(|v| v.as_datetime())
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.into_timestamp_secs()).ok());
        let format = match s(f.r_format).as_deref() {
            Some("html") => Format::Html,
            Some("text") => Format::Text,
            Some("markdown") => Format::Markdown,
            Some("jsonl") => Format::JsonLines,
            _ => Format::Json,
        };
        Article {
            id: ArticleId(s(f.record_id).unwrap_or_default()),
            title: s(f.r_title).unwrap_or_default(),
            body: s(f.r_body).unwrap_or_default(),
            url: s(f.r_url),
            source: s(f.r_source),
            published,
            lang: s(f.r_lang),
            tags: doc.get_all(f.r_tags).filter_map(|v| v.as_str()).map(str::to_string).collect(),
            path: s(f.r_path).map(PathBuf::from),
            format,
        }
    }
}

/// The settings of a new index: the document store compressed with zstd (level 1) rather
/// than Tantivy's default LZ4 — stored bodies are most of an index, and zstd makes them a
/// third smaller, for about half a millisecond more per search that shows 10 articles with
/// 2 passages each. Level 1 rather than 3: 4 % fewer instructions to index short stories,
/// for a store 4 % larger (BENCHMARKS.md, issue 8).
/// An index keeps the compressor it was created with; readers handle both.
fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::Zstd(tantivy::store::ZstdCompressor {
            compression_level: Some(1),
        }),
        ..tantivy::IndexSettings::default()
    }
}

/// The manifest of the last commit, `loaded`: missing, it is damage (the commit names it;
/// without it a run cannot tell which articles came from which file), with the advice to
/// rebuild.
fn committed(generation: u64, loaded: Result<Manifest>) -> Result<Manifest> {
    match loaded {
        Err(Error::Io { path, source }) if source.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::Damaged {
                path,
                reason: format!("the manifest of commit {generation} is missing"),
            })
        }
        other => other,
    }
}

/// Tells a damaged index file (missing, truncated, failing its checks) from other Tantivy
/// errors, naming the file under `dir`.
pub(crate) fn damaged(dir: &Path, e: tantivy::TantivyError) -> Error {
    use tantivy::directory::error::OpenReadError;
    // Tantivy's messages run on with advice for its own users; keep their first sentence.
    let first_sentence = |s: String| match s.split_once(". ") {
        Some((head, _)) => head.to_string(),
        None => s.trim_end_matches('.').to_string(),
    };
    match e {
        tantivy::TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(p)) => {
            Error::Damaged { path: dir.join(p), reason: "the file is missing".into() }
        }
        tantivy::TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
            Error::Damaged {
                path: dir.join(filepath),
                reason: first_sentence(io_error.to_string()),
            }
        }
        tantivy::TantivyError::DataCorruption(c) => {
            Error::Damaged { path: dir.to_path_buf(), reason: first_sentence(format!("{c:?}")) }
        }
        other => Error::Tantivy(other),
    }
}

fn clone_io(e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), e.to_string())
}

/// Makes `dir` ready for a new index: it must be empty but for a `.gitkeep` and the files a
/// creation killed half-way leaves (see [`creation_leftovers`]), which are removed.
/// Anything else: "the directory is not empty".
fn clear_interrupted_creation(dir: &Path) -> Result<()> {
    let Some(stale) = creation_leftovers(dir)? else {
        return Err(Error::NotAnIndex {
            path: dir.to_path_buf(),
            reason: "the directory is not empty".into(),
        });
    };
    for path in stale {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// When `dir` holds nothing but a `.gitkeep` and what a creation killed before Tantivy's
/// first commit leaves — Gazette's marker and its temporary file, the lock note, Tantivy's
/// `.managed.json`, lock and temporary files, and no `meta.json` — those files; else `None`.
fn creation_leftovers(dir: &Path) -> Result<Option<Vec<PathBuf>>> {
    let leftover = |name: &str| {
        name == MARKER
            || name == "gazette.tmp"
            || name == LOCK_INFO
            || name == ".managed.json"
            || name.starts_with(".tantivy-")
            || name.starts_with(".tmp")
    };
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == ".gitkeep" {
            continue;
        }
        if !leftover(&name) {
            return Ok(None);
        }
        stale.push(entry.path());
    }
    Ok(Some(stale))
}

/// Writes a file atomically: to a temporary file in the same directory, synced, then
/// renamed over the target.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Error::io(path, e))
}

fn poisoned() -> Error {
    Error::Tantivy(tantivy::TantivyError::InternalError("a writer thread panicked".into()))
}

/// The 64-bit key under which an article's passages are grouped.
pub(crate) fn article_key(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

impl std::fmt::Debug for IndexUpdater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexUpdater").finish_non_exhaustive()
    }
}

/// Writes articles into an index. Upserts and deletes may be called from many threads at
/// once; [`IndexUpdater::commit`] makes them durable and visible.
///
/// Documents go to Tantivy one by one, so its queue (10,000 batches) holds at most 10,000
/// small documents and memory stays bounded. An article whose id was already upserted since
/// the last commit is set aside and written at commit time, after everything else, as one
/// atomic delete-and-add group: the last version wins and no article is ever held twice.
pub struct IndexUpdater {
    writer: IndexWriter,
    dir: PathBuf,
    fields: Fields,
    passage_opts: PassageOptions,
    /// Keys of the articles upserted since the last commit.
    pending: Mutex<HashSet<u64>>,
    /// Articles whose id was upserted twice since the last commit.
    deferred: Mutex<Vec<Article>>,
    /// Generation of the manifest of the last commit.
    generation: u64,
    /// The manifest as it will be at the next commit.
    manifest: Mutex<Manifest>,
    /// Whether anything changed since the last commit.
    dirty: AtomicBool,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The id was new.
    Added,
    /// The id existed with other content.
    Updated,
    /// The id existed with the same content: nothing was written.
    Unchanged,
}

impl IndexUpdater {
    /// Adds an article, replacing any article with the same id (in the same commit), and
    /// returns the number of passages indexed.
    pub fn upsert(&self, article: &Article) -> Result<usize> {
        let known = self.lock_manifest()?.articles.contains_key(article.id.as_str());
        self.write_and_record(article, known)
    }

    fn write_and_record(&self, article: &Article, known: bool) -> Result<usize> {
        let n = self.write(article, known)?;
        self.record(article, n);
        Ok(n)
    }

    /// Like [`IndexUpdater::upsert`], but writes nothing when the index already holds the
    /// article with the same content (by the manifest's content hash). Returns what changed
    /// and the number of passages written.
    pub fn upsert_if_changed(&self, article: &Article) -> Result<(Change, usize)> {
        let hash = manifest::content_hash(article);
        let old = self.lock_manifest()?.articles.get(article.id.as_str()).map(|e| e.hash);
        match old {
            Some(h) if h == hash => Ok((Change::Unchanged, 0)),
            old => {
                let n = self.write_and_record(article, old.is_some())?;
                Ok((if old.is_some() { Change::Updated } else { Change::Added }, n))
            }
        }
    }

    fn lock_manifest(&self) -> Result<std::sync::MutexGuard<'_, Manifest>> {
        self.manifest.lock().map_err(|_| poisoned())
    }

    fn record(&self, article: &Article, passages: usize) {
        if let Ok(mut m) = self.manifest.lock() {
            m.articles.insert(article.id.0.clone(), ArticleEntry::of(article, passages));
        }
    }

    /// Runs `f` on the manifest that the next commit will store (files are recorded by the
    /// indexing run; articles by upserts and deletes).
    pub fn with_manifest<T>(&self, f: impl FnOnce(&mut Manifest) -> T) -> Result<T> {
        self.dirty.store(true, Ordering::Relaxed);
        Ok(f(&mut *self.lock_manifest()?))
    }

    /// Writes the article's documents; `known`: the index holds an article with this id.
    fn write(&self, article: &Article, known: bool) -> Result<usize> {
        self.dirty.store(true, Ordering::Relaxed);
        let key = article_key(article.id.as_str());
        let first = self.pending.lock().map(|mut p| p.insert(key)).unwrap_or(false);
        if !first {
            let n = split_passages(&article.body, &self.passage_opts).len().max(1);
            if let Ok(mut d) = self.deferred.lock() {
                d.push(article.clone());
            }
            return Ok(n);
        }
        // An id the index does not hold has nothing to delete. Skipping its two delete terms
        // saves Tantivy looking them up in every segment at commit, and the memory its delete
        // queue keeps them in (about 550 bytes each; a fresh 43,808-article run held all
        // 87,616 at once, 48 MB, growing with the corpus: BENCHMARKS.md). The manifest lists
        // exactly what the index holds (both are committed together).
        let ops = self.operations(article);
        let n = ops.len() - 3;
        for op in ops {
            match op {
                UserOperation::Delete(_) if !known => {}
                UserOperation::Delete(term) => {
                    self.writer.delete_term(term);
                }
                UserOperation::Add(doc) => {
                    self.writer.add_document(doc)?;
                }
            }
        }
        Ok(n)
    }

    /// The operations that replace an article: two deletes, its record, its passages.
    fn operations(&self, article: &Article) -> Vec<UserOperation> {
        let f = &self.fields;
        let id = article.id.as_str();
        let key = article_key(id);
        let date = article.published.map(|d| DateTime::from_timestamp_secs(d.unix_timestamp()));
        let mut spans = split_passages(&article.body, &self.passage_opts);
        if spans.is_empty() {
            spans.push(0..0);
        }
        let simhash = fingerprint::fingerprint(&article.body);
        let mut ops = Vec::with_capacity(spans.len() + 3);
        ops.push(UserOperation::Delete(Term::from_field_text(f.article_id, id)));
        ops.push(UserOperation::Delete(Term::from_field_text(f.record_id, id)));

        let mut record = TantivyDocument::default();
        record.add_text(f.record_id, id);
        record.add_text(f.kind, RECORD_KIND);
        record.add_text(f.r_title, &article.title);
        record.add_text(f.r_body, &article.body);
        record.add_text(f.r_format, article.format.name());
        if let Some(url) = &article.url {
            record.add_text(f.r_url, url);
        }
        if let Some(source) = &article.source {
            record.add_text(f.r_source, source);
        }
        if let Some(lang) = &article.lang {
            record.add_text(f.r_lang, lang);
        }
        if let Some(path) = &article.path {
            record.add_text(f.r_path, path.to_string_lossy());
        }
        for tag in &article.tags {
            record.add_text(f.r_tags, tag);
        }
        if let Some(d) = date {
            record.add_date(f.r_date, d);
        }
        ops.push(UserOperation::Add(record));

        for (pos, span) in spans.into_iter().enumerate() {
            let text = &article.body[span.clone()];
            let lang = Lang::from_code(passage_lang(article.lang.as_deref(), text).as_deref());
            let mut doc = TantivyDocument::default();
            doc.add_text(f.article_id, id);
            doc.add_u64(f.article_key, key);
            doc.add_u64(f.pos, pos as u64);
            doc.add_u64(f.span_start, span.start as u64);
            doc.add_u64(f.span_end, span.end as u64);
            doc.add_text(f.text(lang), text);
            doc.add_text(f.plang, crate::schema::plang_code(lang));
            if pos == 0 {
                // The title through its language's chain too (the `title` field is exact
                // only), so a stemmed or clitic form finds an article named only in its title.
                let title_lang = Lang::from_code(article.lang.as_deref());
                doc.add_text(f.text(title_lang), &article.title);
            }
            doc.add_text(f.exact, text);
            doc.add_text(f.title, &article.title);
            if let Some(source) = &article.source {
                doc.add_text(f.source, source);
            }
            if let Some(code) = &article.lang {
                doc.add_text(f.lang, code);
            }
            for tag in &article.tags {
                doc.add_text(f.tag, tag);
            }
            if let Some(d) = date {
                doc.add_date(f.date, d);
            }
            if let Some(h) = simhash {
                doc.add_u64(f.simhash, h);
            }
            ops.push(UserOperation::Add(doc));
        }
        ops
    }

    /// Writes the articles set aside by [`IndexUpdater::upsert`], each as one atomic group.
    fn flush_deferred(&mut self) -> Result<()> {
        let deferred = std::mem::take(self.deferred.get_mut().map_err(|_| poisoned())?);
        for article in &deferred {
            let ops = self.operations(article);
            self.record(article, ops.len() - 3);
            self.writer.run(ops)?;
        }
        self.pending.get_mut().map_err(|_| poisoned())?.clear();
        Ok(())
    }

    /// Deletes the article with this id (effective at the next commit).
    pub fn delete(&self, id: &ArticleId) {
        self.dirty.store(true, Ordering::Relaxed);
        self.writer.delete_term(Term::from_field_text(self.fields.article_id, id.as_str()));
        self.writer.delete_term(Term::from_field_text(self.fields.record_id, id.as_str()));
        if let Ok(mut m) = self.manifest.lock() {
            m.articles.remove(id.as_str());
        }
    }

    /// Makes every change since the last commit durable and visible to new searchers.
    ///
    /// The manifest is written first, under a new generation, and the commit names it in its
    /// payload; a run killed at any point leaves the previous commit and its manifest, or the
    /// new ones.
    ///
    /// Nothing is written when nothing changed since the last commit; returns whether a
    /// commit was made.
    pub fn commit(&mut self) -> Result<bool> {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(false);
        }
        self.flush_deferred()?;
        let generation = self.generation + 1;
        self.manifest.get_mut().map_err(|_| poisoned())?.store(&self.dir, generation)?;
        let payload = serde_json::to_string(&Payload { manifest: generation }).unwrap_or_default();
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.generation = generation;
        Manifest::remove_others(&self.dir, generation);
        Ok(true)
    }

    /// Drops every change since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.dirty.store(false, Ordering::Relaxed);
        self.deferred.get_mut().map_err(|_| poisoned())?.clear();
        self.pending.get_mut().map_err(|_| poisoned())?.clear();
        self.writer.rollback()?;
        *self.manifest.get_mut().map_err(|_| poisoned())? =
            Manifest::load(&self.dir, self.generation)?;
        Ok(())
    }

    /// Waits for background segment merges to finish, then releases the writer lock.
    pub fn finish(self) -> Result<()> {
        let lock_file = self.dir.join(LOCK_INFO);
        self.writer.wait_merging_threads()?;
        let _ = std::fs::remove_file(lock_file);
        Ok(())
    }
}
