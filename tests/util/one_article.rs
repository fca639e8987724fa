//! A writable index holding one English article (`a1`, "Morocco and OpenAI"), for the tests
//! that write to an index through the server. Its own file so that `tests/logs.rs`, a test
//! binary of its own, can include it alone.

use gazette::{Article, NewsIndex};

pub fn one_article_index() -> (tempfile::TempDir, NewsIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = NewsIndex::create(&dir.path().join("idx")).unwrap();
    let mut u = index.updater(50_000_000, 1).unwrap();
    let mut a = Article::new("a1", "Morocco and OpenAI", "Morocco met OpenAI in New York.");
    a.lang = Some("en".into());
    u.upsert(&a).unwrap();
    u.commit().unwrap();
    u.finish().unwrap();
    index.reload().unwrap();
    (dir, index)
}
