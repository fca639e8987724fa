//! The index directory as Tantivy sees it: its memory-mapped directory, readable when the
//! files cannot be written.
//!
//! Tantivy's reader takes the `.tantivy-meta.lock` file lock while it opens the segments
//! (so that a writer's garbage collection cannot delete them half-way), and
//! `MmapDirectory` opens that file for writing, creating it if needed. On a read-only
//! mount, or in a directory the user may read but not write, that open fails and so does
//! every search. [`IndexDirectory`] takes the same lock through a read-only handle instead
//! (`flock` works on one), so a writer elsewhere is still waited for; when the lock file
//! does not exist and cannot be created, no process can be writing there either (a writer
//! creates it before it collects anything), and opening proceeds without it.
//!
//! Every other operation, and the writer's lock, go to `MmapDirectory` unchanged: writing a
//! read-only index still fails, with the system's reason.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fs4::fs_std::FileExt;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle,
    WritePtr, META_LOCK,
};

/// `MmapDirectory`, with the meta lock taken read-only when the directory is read-only.
#[derive(Debug, Clone)]
pub(crate) struct IndexDirectory {
    inner: MmapDirectory,
    root: PathBuf,
}

/// A lock held through a read-only handle, released when dropped (with the handle); or
/// no lock at all (`None`) where there is no lock file.
struct SharedFileLock {
    _file: Option<File>,
}

impl IndexDirectory {
    pub(crate) fn open(root: &Path) -> tantivy::Result<IndexDirectory> {
        let inner = MmapDirectory::open(root)?;
        Ok(IndexDirectory { inner, root: root.to_path_buf() })
    }

    /// The meta lock when its file cannot be opened for writing.
    fn read_only_meta_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        let path = self.root.join(&lock.filepath);
        match File::open(&path) {
            Ok(file) => {
                // Shared: readers do not exclude each other; a writer collecting garbage
                // takes it exclusively through its own (writable) handle and is waited for.
                // (Called through the trait: std's own `File` locks need a newer Rust than
                // the crate's minimum.)
                let locked = if lock.is_blocking {
                    FileExt::lock_shared(&file).map(|_| true)
                } else {
                    FileExt::try_lock_shared(&file)
                };
                match locked {
                    Ok(true) => {
                        Ok(DirectoryLock::from(Box::new(SharedFileLock { _file: Some(file) })))
                    }
                    Ok(false) => Err(LockError::LockBusy),
                    Err(e) => Err(LockError::wrap_io_error(e)),
                }
            }
            // Nothing ever locked this directory, and nothing can create the file: no
            // process writes here.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok(DirectoryLock::from(Box::new(SharedFileLock { _file: None })))
            }
            Err(e) => Err(LockError::wrap_io_error(e)),
        }
    }
}

fn cannot_write(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied)
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.inner.acquire_lock(lock) {
            Err(LockError::IoError(e))
                if lock.filepath == META_LOCK.filepath && cannot_write(&e) =>
            {
                self.read_only_meta_lock(lock)
            }
            other => other,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meta_lock_is_shared_through_a_read_only_handle() {
        let dir = tempfile::tempdir().unwrap();
        let d = IndexDirectory::open(dir.path()).unwrap();
        // No lock file: nothing to wait for.
        assert!(d.read_only_meta_lock(&META_LOCK).is_ok());
        std::fs::write(dir.path().join(&META_LOCK.filepath), b"").unwrap();
        let a = d.read_only_meta_lock(&META_LOCK).unwrap();
        let b = d.read_only_meta_lock(&META_LOCK).unwrap();
        // A writer's exclusive lock waits for the readers.
        let file = File::open(dir.path().join(&META_LOCK.filepath)).unwrap();
        assert!(!FileExt::try_lock_exclusive(&file).unwrap());
        drop((a, b));
        assert!(FileExt::try_lock_exclusive(&file).unwrap());
    }
}
