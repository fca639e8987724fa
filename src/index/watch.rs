//! Watching folders: re-index changes as they land, in debounced batches.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use notify_debouncer_mini::new_debouncer;
use notify_debouncer_mini::notify::RecursiveMode;

use super::build::{index_paths, IndexOptions, IndexSummary, Progress};
use super::NewsIndex;
use crate::error::{Error, Result};

/// Watches `paths` and runs an incremental [`index_paths`] over them after each burst of
/// changes (once `debounce` has passed without a new event), calling `on_batch` with each
/// run's summary. Once the watchers are registered, a first run catches up with changes
/// made before (reported through `on_batch` only if it changed something). Returns when `stop` becomes true (checked at least every 200 ms); a batch
/// in progress always completes its commit first.
pub fn watch(
    index: &NewsIndex,
    paths: &[PathBuf],
    opts: &IndexOptions,
    debounce: Duration,
    progress: &dyn Progress,
    stop: &AtomicBool,
    on_batch: &mut dyn FnMut(&IndexSummary),
) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut debouncer = new_debouncer(debounce, tx).map_err(watch_error)?;
    for path in paths {
        debouncer.watcher().watch(path, RecursiveMode::Recursive).map_err(|e| Error::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
    }
    // Changes made after the caller's last run but before the watchers were registered
    // raise no event: one catch-up run (cheap when nothing changed) covers them.
    let summary = index_paths(index, paths, opts, progress)?;
    if summary.added + summary.updated + summary.removed > 0 {
        on_batch(&summary);
    }
    while !stop.load(Ordering::Relaxed) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(events)) => {
                // Events inside the index directory (our own commits) are not changes.
                let index_dir = std::fs::canonicalize(index.dir()).unwrap_or_default();
                if events.iter().all(|e| e.path.starts_with(&index_dir)) {
                    continue;
                }
                // Drain what else arrived meanwhile: one run covers it all.
                while rx.try_recv().is_ok() {}
                let summary = index_paths(index, paths, opts, progress)?;
                on_batch(&summary);
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "watch error"),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}

fn watch_error(e: notify_debouncer_mini::notify::Error) -> Error {
    Error::Io { path: PathBuf::from("."), source: std::io::Error::other(e.to_string()) }
}
