//! Shared helpers: the corpus path and a test index built once from it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gazette::{index_paths, IndexOptions, NewsIndex};

#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod one_article;

/// The shipped sample corpus.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

pub struct TestIndex {
    pub index: NewsIndex,
    _dir: tempfile::TempDir,
}

/// The corpus index, built once per test run (deterministically: one indexing thread).
pub fn corpus_index() -> &'static NewsIndex {
    static INDEX: OnceLock<TestIndex> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = NewsIndex::create(&dir.path().join("idx")).unwrap();
            let opts =
                IndexOptions { threads: 1, heap_bytes: 50_000_000, ..IndexOptions::default() };
            let summary = index_paths(&index, &[corpus()], &opts, &()).unwrap();
            assert_eq!(summary.skipped + summary.warnings, 0, "the corpus reads cleanly");
            TestIndex { index, _dir: dir }
        })
        .index
}

/// Writes `files` (relative path, bytes) under a new temporary folder.
pub fn temp_tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

/// ../shared next to the repository, when it is there.
pub fn repo_shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    p.join("corpora").is_dir().then_some(p)
}
