//! A parallel indexing run over files: discover, parse on rayon's pool, write through
//! Tantivy's indexing threads, commit.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::iter::{ParallelBridge, ParallelIterator};

use super::NewsIndex;
use crate::error::{Error, Result};
use crate::ingest::{self, Problem, Unit, Units};

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
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            heap_bytes: 256 * 1024 * 1024,
            threads: 0,
            commit_every_bytes: 512 * 1024 * 1024,
            strict: false,
        }
    }
}

/// What an indexing run did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IndexSummary {
    /// Input files found.
    pub files: u64,
    /// Articles indexed (added or replaced).
    pub articles: u64,
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

/// Indexes every article under `paths` into `index`, in parallel, and commits.
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
    let (files, found_problems) = ingest::discover(paths);
    let mut summary = IndexSummary { files: files.len() as u64, ..IndexSummary::default() };
    progress.started(summary.files);

    let articles = AtomicU64::new(0);
    let passages = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let skipped = AtomicU64::new(0);
    let warnings = AtomicU64::new(0);
    let first_problem: Mutex<Option<String>> = Mutex::new(None);
    let fatal: Mutex<Option<Error>> = Mutex::new(None);
    let note = |p: &Problem| {
        if p.skipped { &skipped } else { &warnings }.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = first_problem.lock() {
            first.get_or_insert_with(|| p.to_string());
        }
        progress.problem(p);
    };
    found_problems.iter().for_each(note);

    let mut units = Units::new(files);
    let exhausted = AtomicBool::new(false);
    loop {
        let epoch_start = bytes.load(Ordering::Relaxed);
        let budget = if opts.strict { u64::MAX } else { opts.commit_every_bytes.max(1) };
        let feed = std::iter::from_fn(|| {
            if bytes.load(Ordering::Relaxed) - epoch_start >= budget {
                return None;
            }
            let next = units.next();
            if next.is_none() {
                exhausted.store(true, Ordering::Relaxed);
            }
            next
        });
        feed.par_bridge().for_each(|unit: Unit| {
            // A bug in a parser (ours or a library's) loses that unit, never the run.
            let what = unit_path(&unit);
            let parsed = match catch_unwind(AssertUnwindSafe(|| ingest::parse_unit(unit))) {
                Ok(parsed) => parsed,
                Err(panic) => {
                    note(&Problem::internal(&what, panic_message(&panic)));
                    return;
                }
            };
            parsed.problems.iter().for_each(note);
            let mut unit_bytes = 0;
            for article in &parsed.articles {
                match updater.upsert(article) {
                    Ok(n) => {
                        passages.fetch_add(n as u64, Ordering::Relaxed);
                        unit_bytes += (article.title.len() + article.body.len()) as u64;
                    }
                    Err(e) => {
                        if let Ok(mut f) = fatal.lock() {
                            f.get_or_insert(e);
                        }
                        return;
                    }
                }
            }
            articles.fetch_add(parsed.articles.len() as u64, Ordering::Relaxed);
            bytes.fetch_add(unit_bytes, Ordering::Relaxed);
            progress.advanced(parsed.articles.len() as u64, unit_bytes);
        });
        if let Some(e) = fatal.lock().ok().and_then(|mut f| f.take()) {
            let _ = updater.rollback();
            return Err(e);
        }
        let problems = skipped.load(Ordering::Relaxed) + warnings.load(Ordering::Relaxed);
        if opts.strict && problems > 0 {
            updater.rollback()?;
            let first = first_problem.lock().ok().and_then(|mut f| f.take()).unwrap_or_default();
            return Err(Error::Strict { count: problems as usize, first });
        }
        progress.committing();
        updater.commit()?;
        summary.commits += 1;
        tracing::debug!(bytes = bytes.load(Ordering::Relaxed), "committed");
        if exhausted.load(Ordering::Relaxed) {
            break;
        }
    }
    updater.finish()?;
    index.reload()?;
    summary.articles = articles.into_inner();
    summary.passages = passages.into_inner();
    summary.bytes = bytes.into_inner();
    summary.skipped = skipped.into_inner();
    summary.warnings = warnings.into_inner();
    summary.elapsed = start.elapsed();
    Ok(summary)
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
