//! Watching folders: re-index changes as they land, in debounced batches.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecursiveMode, Watcher};

use super::build::{index_paths, IndexOptions, IndexSummary, Progress};
use super::NewsIndex;
use crate::error::{Error, Result};

/// How often a wait checks `stop`.
const TICK: Duration = Duration::from_millis(200);

/// Watches `paths` and runs an incremental [`index_paths`] over them after each burst of
/// changes (once `debounce` has passed without a new change, or 10 × `debounce` after the
/// burst's first change when changes keep coming), calling `on_batch` with each run's
/// summary. Once the watchers are registered, a first run catches up with changes made
/// before (reported through `on_batch` only if it changed something). Returns when `stop`
/// becomes true (checked at least every 200 ms); a batch in progress always completes its
/// commit first.
///
/// Only changes count: a file or folder opened or read (`EventKind::Access`, which the
/// runs' own walks and reads raise) and events inside the index directory (its commits)
/// start no run.
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
    let mut watcher = notify::recommended_watcher(tx).map_err(watch_error)?;
    for path in paths {
        watcher.watch(path, RecursiveMode::Recursive).map_err(|e| Error::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
    }
    let index_dir = std::fs::canonicalize(index.dir()).ok();
    let changes = |event: &Event| is_change(event, index_dir.as_deref());
    // Changes made after the caller's last run but before the watchers were registered
    // raise no event: one catch-up run (cheap when nothing changed) covers them.
    let summary = index_paths(index, paths, opts, progress)?;
    if summary.added + summary.updated + summary.removed > 0 {
        on_batch(&summary);
    }
    while !stop.load(Ordering::Relaxed) {
        match next_change(&rx, TICK, &changes) {
            Wait::Change => {}
            Wait::Quiet => continue,
            Wait::Closed => break,
        }
        // Wait for the burst to end: `debounce` without a change, 10 × `debounce` at most.
        let first = Instant::now();
        let mut last = first;
        loop {
            let quiet = debounce.saturating_sub(last.elapsed());
            let most = (debounce * 10).saturating_sub(first.elapsed());
            if quiet.is_zero() || most.is_zero() || stop.load(Ordering::Relaxed) {
                break;
            }
            match next_change(&rx, quiet.min(most).min(TICK), &changes) {
                Wait::Change => last = Instant::now(),
                Wait::Quiet => {}
                Wait::Closed => break,
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let summary = index_paths(index, paths, opts, progress)?;
        on_batch(&summary);
    }
    Ok(())
}

/// What waiting for an event gave.
enum Wait {
    /// A change arrived.
    Change,
    /// Nothing that counts within the time.
    Quiet,
    /// The watcher is gone.
    Closed,
}

/// Waits up to `timeout` for an event that `counts`; events that do not count and watch
/// errors (logged) are passed over.
fn next_change(
    rx: &Receiver<notify::Result<Event>>,
    timeout: Duration,
    counts: &dyn Fn(&Event) -> bool,
) -> Wait {
    let deadline = Instant::now() + timeout;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(event)) if counts(&event) => return Wait::Change,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "watch error"),
            Err(RecvTimeoutError::Timeout) => return Wait::Quiet,
            Err(RecvTimeoutError::Disconnected) => return Wait::Closed,
        }
    }
}

/// Whether `event` is a change to the watched files: not an access (open, read, close
/// without writing), not only inside the index directory. An event without paths (the
/// watcher lost track, e.g. an overflowed queue) counts.
fn is_change(event: &Event, index_dir: Option<&Path>) -> bool {
    if matches!(event.kind, EventKind::Access(_)) {
        return false;
    }
    let ours = |p: &PathBuf| index_dir.is_some_and(|d| p.starts_with(d));
    event.paths.is_empty() || !event.paths.iter().all(ours)
}

fn watch_error(e: notify::Error) -> Error {
    Error::Io { path: PathBuf::from("."), source: std::io::Error::other(e.to_string()) }
}

#[cfg(test)]
mod tests {
    use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RemoveKind};

    use super::*;

    fn event(kind: EventKind, paths: &[&str]) -> Event {
        paths.iter().fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p)))
    }

    #[test]
    fn reads_and_opens_are_not_changes() {
        let idx = Some(Path::new("/data/idx"));
        for kind in [
            EventKind::Access(AccessKind::Any),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
        ] {
            assert!(!is_change(&event(kind, &["/data/news"]), idx), "{kind:?}");
        }
        for kind in [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Any),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ] {
            assert!(is_change(&event(kind, &["/data/news/a.txt"]), idx), "{kind:?}");
        }
    }

    #[test]
    fn the_index_directory_is_not_watched_but_everything_else_is() {
        let modify = EventKind::Modify(ModifyKind::Any);
        let idx = Some(Path::new("/data/idx"));
        assert!(!is_change(&event(modify, &["/data/idx/meta.json"]), idx));
        assert!(is_change(&event(modify, &["/data/idx/meta.json", "/data/a.txt"]), idx));
        assert!(is_change(&event(modify, &["/data/idx2/a.txt"]), idx));
        // Without a known index directory (it could not be resolved), nothing is ours;
        // an event without paths (a lost track, an overflowed queue) counts.
        assert!(is_change(&event(modify, &["/data/idx/meta.json"]), None));
        assert!(is_change(&event(EventKind::Any, &[]), idx));
    }
}
