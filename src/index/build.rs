//! A parallel, incremental indexing run over files: discover, skip what has not changed,
//! parse the rest on rayon's pool, write through Tantivy's indexing threads, delete what is
//! gone, commit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::iter::{ParallelBridge, ParallelIterator};

use super::manifest::FileEntry;
use super::{Change, IndexUpdater, NewsIndex};
use crate::article::{Article, ArticleId, Format};
use crate::error::{Error, Result};
use crate::ingest::{self, InputFile, Parsed, Problem, Unit, Units};

/// Options of an indexing run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Memory budget of Tantivy's indexing threads, in bytes (together).
    pub heap_bytes: usize,
    /// Indexing threads (0: one per core).
    pub threads: usize,
    /// Commit after roughly this many bytes of article text, so an interrupted run loses at
    /// most the last batch. `strict` runs commit once, at the end.
    pub commit_every_bytes: u64,
    /// Fail the run (and commit nothing) if any input problem is met.
    pub strict: bool,
    /// Language given to articles that declare none and whose language detection is unsure
    /// (short texts): `None` leaves them unstemmed, in the `xx` field.
    pub default_lang: Option<String>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            heap_bytes: 256 * 1024 * 1024,
            threads: 0,
            commit_every_bytes: 512 * 1024 * 1024,
            strict: false,
            default_lang: None,
        }
    }
}

/// What an indexing run did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IndexSummary {
    /// Input files found.
    pub files: u64,
    /// Files read (new or changed since the last run).
    pub files_read: u64,
    /// Articles indexed (added or updated).
    pub articles: u64,
    /// Articles new to the index.
    pub added: u64,
    /// Articles whose content changed.
    pub updated: u64,
    /// Articles found unchanged (not written again).
    pub unchanged: u64,
    /// Articles removed because their file, or their record in a file, is gone.
    pub removed: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Bytes of article text (title and body) indexed.
    pub bytes: u64,
    /// Files or records skipped because of bad input.
    pub skipped: u64,
    /// Problems met that did not skip anything (e.g. an unparseable date).
    pub warnings: u64,
    /// Commits made.
    pub commits: u64,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl IndexSummary {
    /// Megabytes of article text per second.
    pub fn mb_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes as f64 / 1e6 / secs
        } else {
            0.0
        }
    }
}

/// Receives progress events from an indexing run (from several threads at once).
pub trait Progress: Sync {
    /// Input files were found.
    fn started(&self, _files: u64) {}
    /// A unit of input was indexed.
    fn advanced(&self, _articles: u64, _bytes: u64) {}
    /// A problem was met (the run goes on).
    fn problem(&self, _problem: &Problem) {}
    /// A commit is being made.
    fn committing(&self) {}
}

/// A progress receiver that ignores everything.
impl Progress for () {}

/// The key of a root in the manifest: its absolute path.
fn root_key(root: &Path) -> String {
    std::fs::canonicalize(root)
        .unwrap_or_else(|_| root.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// A file in the manifest: (root key, root-relative path).
type FileKey = (String, String);

/// What one file held, gathered while its units are processed.
#[derive(Default)]
struct FileAcc {
    /// Whole files: the content hash.
    hash: Option<u64>,
    /// (line, line hash, article id) for JSON Lines; (0, 0, id) for whole files.
    items: Vec<(u64, u64, String)>,
    /// The file could not be read (its old entry is kept).
    failed: bool,
}

/// Shared state of a run.
struct Run<'a> {
    /// Manifest keys of the roots named in this run.
    root_keys: HashMap<PathBuf, String>,
    old: HashMap<String, BTreeMap<String, FileEntry>>,
    progress: &'a dyn Progress,
    default_lang: Option<String>,
    seen: Mutex<HashSet<String>>,
    /// The files this run's walk found (root key, relative path).
    discovered: HashSet<FileKey>,
    /// Old files the walk did not find because it could not reach them: the file, or a
    /// folder on its way, is one the walk reported a problem with (could not list or stat).
    /// They keep their articles and entries until a run can read them again.
    unreachable: HashSet<FileKey>,
    accs: Mutex<HashMap<FileKey, FileAcc>>,
    /// Per JSON Lines file read again: line hash → line index in the old entry.
    line_maps: Mutex<HashMap<FileKey, Arc<HashMap<u64, usize>>>>,
    passages: AtomicU64,
    bytes: AtomicU64,
    added: AtomicU64,
    updated: AtomicU64,
    unchanged: AtomicU64,
    skipped: AtomicU64,
    warnings: AtomicU64,
    first_problem: Mutex<Option<String>>,
    fatal: Mutex<Option<Error>>,
}

impl Run<'_> {
    fn note(&self, p: &Problem) {
        if p.skipped { &self.skipped } else { &self.warnings }.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.first_problem.lock() {
            first.get_or_insert_with(|| p.to_string());
        }
        self.progress.problem(p);
    }

    fn key_of(&self, root: &Path) -> String {
        self.root_keys.get(root).cloned().unwrap_or_else(|| root_key(root))
    }

    fn old_entry(&self, file: &InputFile) -> Option<&FileEntry> {
        self.old.get(&self.key_of(&file.root)).and_then(|files| files.get(&file.rel))
    }

    fn mark_seen<'s>(&self, ids: impl IntoIterator<Item = &'s String>) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.extend(ids.into_iter().filter(|id| !id.is_empty()).cloned());
        }
    }

    /// Upserts articles that changed; returns their ids.
    fn index_articles(&self, up: &IndexUpdater, articles: &[Article]) -> Vec<String> {
        let mut unit_bytes = 0;
        let mut written = 0;
        for article in articles {
            let with_lang;
            let article = match (&article.lang, &self.default_lang) {
                (None, Some(lang)) => {
                    with_lang = Article { lang: Some(lang.clone()), ..article.clone() };
                    &with_lang
                }
                _ => article,
            };
            match up.upsert_if_changed(article) {
                Ok((change, n)) => {
                    let counter = match change {
                        Change::Added => &self.added,
                        Change::Updated => &self.updated,
                        Change::Unchanged => &self.unchanged,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    if change != Change::Unchanged {
                        written += 1;
                        unit_bytes += (article.title.len() + article.body.len()) as u64;
                        self.passages.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    if let Ok(mut f) = self.fatal.lock() {
                        f.get_or_insert(e);
                    }
                }
            }
        }
        self.bytes.fetch_add(unit_bytes, Ordering::Relaxed);
        self.progress.advanced(written, unit_bytes);
        let ids: Vec<String> = articles.iter().map(|a| a.id.0.clone()).collect();
        self.mark_seen(&ids);
        ids
    }

    fn acc(&self, file: &InputFile, f: impl FnOnce(&mut FileAcc)) {
        if let Ok(mut accs) = self.accs.lock() {
            f(accs.entry((self.key_of(&file.root), file.rel.clone())).or_default());
        }
    }

    fn process(&self, up: &IndexUpdater, unit: Unit) {
        match unit {
            Unit::Failed(p) => self.note(&p),
            Unit::File(file) => {
                let parsed: Parsed = ingest::parse_unit(Unit::File(Arc::clone(&file)));
                parsed.problems.iter().for_each(|p| self.note(p));
                if parsed.hash.is_none() {
                    // Unreadable: keep what the index holds from it, try again next run.
                    if let Some(old) = self.old_entry(&file) {
                        self.mark_seen(&old.ids);
                    }
                    self.acc(&file, |a| a.failed = true);
                    return;
                }
                let ids = self.index_articles(up, &parsed.articles);
                self.acc(&file, |a| {
                    a.hash = parsed.hash;
                    a.items.extend(ids.into_iter().map(|id| (0, 0, id)));
                });
            }
            Unit::Lines { file, first_line, lines } => {
                let old = self.old_entry(&file);
                let mut items = Vec::with_capacity(lines.len());
                let mut fresh = Vec::new();
                for (i, raw) in lines.iter().enumerate() {
                    let line = first_line + i as u64;
                    let hash = xxhash_rust::xxh3::xxh3_64(raw);
                    let same = old.and_then(|o| self.same_line(&file, o, line, hash));
                    if let Some(id) = same {
                        // The same line as last time: the same article, nothing to parse.
                        if !id.is_empty() {
                            self.unchanged.fetch_add(1, Ordering::Relaxed);
                        }
                        items.push((line, hash, id));
                        continue;
                    }
                    let parsed = ingest::parse_line(&file, line, raw);
                    parsed.problems.iter().for_each(|p| self.note(p));
                    let id = parsed.articles.first().map(|a| a.id.0.clone()).unwrap_or_default();
                    items.push((line, hash, id));
                    fresh.extend(parsed.articles);
                }
                self.mark_seen(items.iter().map(|(_, _, id)| id));
                self.index_articles(up, &fresh);
                self.acc(&file, |a| a.items.extend(items));
            }
        }
    }

    /// The id of the article on a line that was already in the file last time (at the same
    /// place, or elsewhere when its id does not depend on its place), or `None` when the
    /// line must be parsed.
    fn same_line(&self, file: &InputFile, old: &FileEntry, line: u64, hash: u64) -> Option<String> {
        let idx = (line - 1) as usize;
        if old.lines.get(idx) == Some(&hash) {
            return old.ids.get(idx).cloned();
        }
        let map = {
            let mut maps = self.line_maps.lock().ok()?;
            let key = (self.key_of(&file.root), file.rel.clone());
            Arc::clone(maps.entry(key).or_insert_with(|| {
                Arc::new(old.lines.iter().enumerate().map(|(i, h)| (*h, i)).collect())
            }))
        };
        let j = *map.get(&hash)?;
        let id = old.ids.get(j)?;
        // Ids derived from the line number change when the line moves.
        (!id.is_empty() && *id != format!("{}#L{}", file.rel, j + 1)).then(|| id.clone())
    }

    /// Turns what was gathered for a file into its manifest entry.
    fn finish_file(&self, up: &IndexUpdater, file: &InputFile) {
        let key = (self.key_of(&file.root), file.rel.clone());
        let Some(mut acc) = self.accs.lock().ok().and_then(|mut a| a.remove(&key)) else { return };
        if acc.failed {
            return;
        }
        acc.items.sort_by_key(|(line, _, _)| *line);
        let entry = if file.format == Format::JsonLines {
            let lines: Vec<u64> = acc.items.iter().map(|(_, h, _)| *h).collect();
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            lines.iter().for_each(|l| h.update(&l.to_le_bytes()));
            FileEntry {
                size: file.size,
                mtime_ns: file.mtime_ns,
                hash: h.digest(),
                ids: acc.items.into_iter().map(|(_, _, id)| id).collect(),
                lines,
            }
        } else {
            FileEntry {
                size: file.size,
                mtime_ns: file.mtime_ns,
                hash: acc.hash.unwrap_or(0),
                ids: acc.items.into_iter().map(|(_, _, id)| id).collect(),
                lines: Vec::new(),
            }
        };
        let _ = up.with_manifest(|m| {
            m.roots.entry(key.0).or_default().insert(key.1, entry);
        });
    }
}

/// Indexes every article under `paths` into `index`, in parallel, incrementally, and commits.
///
/// Files whose size and modification time match the manifest are not read; in the others,
/// only articles whose content changed are written again (JSON Lines lines that did not
/// change are not even parsed). Files gone from a folder in `paths` remove their articles;
/// so do records gone from a file that changed. Other roots of the same index are untouched.
///
/// Bad input never stops the run: each problem is passed to `progress` and counted in the
/// summary, unless `opts.strict` is set, in which case nothing is committed and the run
/// fails with [`Error::Strict`]. Fails with [`Error::Locked`] if another writer holds the
/// index.
pub fn index_paths(
    index: &NewsIndex,
    paths: &[PathBuf],
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexSummary> {
    let start = Instant::now();
    let mut updater = index.updater(opts.heap_bytes, opts.threads)?;
    let old_roots = updater.with_manifest(|m| m.roots.clone())?;
    let (files, found_problems) = ingest::discover(paths);
    let mut summary = IndexSummary { files: files.len() as u64, ..IndexSummary::default() };
    progress.started(summary.files);

    let mut run = Run {
        root_keys: paths.iter().map(|p| (p.clone(), root_key(p))).collect(),
        old: old_roots.into_iter().collect(),
        progress,
        default_lang: opts.default_lang.as_deref().and_then(crate::ingest::normalize_lang),
        seen: Mutex::new(HashSet::new()),
        discovered: HashSet::new(),
        unreachable: HashSet::new(),
        accs: Mutex::new(HashMap::new()),
        line_maps: Mutex::new(HashMap::new()),
        passages: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        added: AtomicU64::new(0),
        updated: AtomicU64::new(0),
        unchanged: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        warnings: AtomicU64::new(0),
        first_problem: Mutex::new(None),
        fatal: Mutex::new(None),
    };
    found_problems.iter().for_each(|p| run.note(p));
    run.discovered = files.iter().map(|f| (run.key_of(&f.root), f.rel.clone())).collect();
    // Files the walk could not reach are not gone (`Run::unreachable`).
    if !found_problems.is_empty() {
        for (root, key) in &run.root_keys {
            for (rel, entry) in run.old.get(key).into_iter().flatten() {
                let file = (key.clone(), rel.clone());
                let path = if root.is_file() { root.clone() } else { root.join(rel) };
                if !run.discovered.contains(&file)
                    && found_problems.iter().any(|p| path.starts_with(&p.path))
                {
                    run.mark_seen(&entry.ids);
                    run.unreachable.insert(file);
                }
            }
        }
    }

    // Files unchanged since the last run are not read.
    let mut to_read = Vec::new();
    for file in files {
        match run.old_entry(&file) {
            Some(old) if old.size == file.size && old.mtime_ns == file.mtime_ns => {
                run.mark_seen(&old.ids);
                let n = old.ids.iter().filter(|id| !id.is_empty()).count() as u64;
                run.unchanged.fetch_add(n, Ordering::Relaxed);
            }
            _ => to_read.push(file),
        }
    }
    summary.files_read = to_read.len() as u64;

    let mut units = Units::new(to_read);
    let exhausted = AtomicBool::new(false);
    loop {
        let epoch_start = run.bytes.load(Ordering::Relaxed);
        let budget = if opts.strict { u64::MAX } else { opts.commit_every_bytes.max(1) };
        let mut whole_files = Vec::new();
        let feed = std::iter::from_fn(|| {
            if run.bytes.load(Ordering::Relaxed) - epoch_start >= budget {
                return None;
            }
            let next = units.next();
            match &next {
                None => exhausted.store(true, Ordering::Relaxed),
                Some(Unit::File(f)) => whole_files.push(Arc::clone(f)),
                Some(_) => {}
            }
            next
        });
        feed.par_bridge().for_each(|unit: Unit| {
            // A bug in a parser (ours or a library's) loses that unit, never the run.
            let what = unit_path(&unit);
            let file = match &unit {
                Unit::File(f) | Unit::Lines { file: f, .. } => Some(Arc::clone(f)),
                Unit::Failed(_) => None,
            };
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run.process(&updater, unit))) {
                run.note(&Problem::internal(&what, panic_message(&*panic)));
                // Keep what the index holds from that file; its entry stays as it was.
                if let Some(file) = file {
                    if let Some(old) = run.old_entry(&file) {
                        run.mark_seen(&old.ids);
                    }
                    run.acc(&file, |a| a.failed = true);
                }
            }
        });
        for file in whole_files.iter().chain(units.take_finished().iter()) {
            run.finish_file(&updater, file);
        }
        if let Some(e) = run.fatal.lock().ok().and_then(|mut f| f.take()) {
            let _ = updater.rollback();
            return Err(e);
        }
        let done = exhausted.load(Ordering::Relaxed);
        if done {
            summary.removed = run.remove_gone(&updater, paths);
        }
        let problems = run.skipped.load(Ordering::Relaxed) + run.warnings.load(Ordering::Relaxed);
        if opts.strict && problems > 0 {
            let first =
                run.first_problem.lock().ok().and_then(|mut f| f.take()).unwrap_or_default();
            updater.rollback()?;
            return Err(Error::Strict { count: problems as usize, first });
        }
        progress.committing();
        summary.commits += u64::from(updater.commit()?);
        tracing::debug!(bytes = run.bytes.load(Ordering::Relaxed), "committed");
        if done {
            break;
        }
    }
    summary.passages = run.passages.into_inner();
    summary.bytes = run.bytes.into_inner();
    summary.added = run.added.into_inner();
    summary.updated = run.updated.into_inner();
    summary.unchanged = run.unchanged.into_inner();
    summary.skipped = run.skipped.into_inner();
    summary.warnings = run.warnings.into_inner();
    updater.finish()?;
    index.reload()?;
    summary.articles = summary.added + summary.updated;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

impl Run<'_> {
    /// Deletes the articles of the roots indexed in this run that were not seen: their file
    /// is gone from a folder, or their record from a file. Roots that do not exist now
    /// (an unmounted disk, a typo) delete nothing. Returns how many were deleted.
    fn remove_gone(&self, up: &IndexUpdater, paths: &[PathBuf]) -> u64 {
        let Ok(seen) = self.seen.lock() else { return 0 };
        let mut removed = 0;
        for root in paths.iter().filter(|p| p.exists()) {
            let key = self.key_of(root);
            let Some(old_files) = self.old.get(&key) else { continue };
            let mut gone_files = Vec::new();
            for (rel, entry) in old_files {
                for id in entry.ids.iter().filter(|id| !id.is_empty() && !seen.contains(*id)) {
                    up.delete(&ArticleId(id.clone()));
                    removed += 1;
                }
                // A file this run found and kept (unchanged, or failed) but that vanished
                // since keeps its entry: the next run removes its articles with it.
                // Dropping the entry now would orphan them (found by a flaky watch test).
                // A file the walk could not reach keeps its entry and articles (marked seen).
                // Any other file the walk did not find is gone, even if its path still exists
                // (now a folder, or inside a nested index): keeping its entry would make it
                // look unchanged, unread, when it comes back.
                let file = (key.clone(), rel.clone());
                if !self.discovered.contains(&file) && !self.unreachable.contains(&file) {
                    gone_files.push(rel.clone());
                }
            }
            let _ = up.with_manifest(|m| {
                if let Some(files) = m.roots.get_mut(&key) {
                    for rel in &gone_files {
                        files.remove(rel);
                    }
                }
            });
        }
        removed
    }
}

fn unit_path(unit: &Unit) -> PathBuf {
    match unit {
        Unit::File(f) | Unit::Lines { file: f, .. } => f.path.clone(),
        Unit::Failed(p) => p.path.clone(),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
