//! Any query string with any options against a small index of the sample corpus: a query
//! either fails with an error or returns hits whose passages and highlights hold their
//! invariants; nothing panics, and expansions (prefix, fuzzy, regex, ranges) stay bounded
//! (libFuzzer's -timeout catches a query that explodes).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use gazette::search::{date_bound, free_text};
use gazette::{NewsIndex, SearchRequest};
use libfuzzer_sys::fuzz_target;

fn index() -> &'static NewsIndex {
    static INDEX: OnceLock<(tempfile::TempDir, NewsIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let index = NewsIndex::create(dir.path()).expect("create index");
            let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
            let parsed = gazette::ingest::read_paths(&[corpus]);
            assert!(parsed.articles.len() > 10, "the sample corpus is missing");
            let mut updater = index.updater(50_000_000, 1).expect("updater");
            for a in &parsed.articles {
                updater.upsert(a).expect("upsert");
            }
            updater.commit().expect("commit");
            updater.finish().expect("finish");
            index.reload().expect("reload");
            (dir, index)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    // Layout: two option bytes, then the query; a 0xFF byte may end the query and start a
    // date filter.
    let [a, b, rest @ ..] = data else { return };
    let (query, date) = match rest.iter().position(|x| *x == 0xFF) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let Ok(query) = std::str::from_utf8(query) else { return };
    let mut req = SearchRequest::new(if a & 0x80 != 0 { free_text(query) } else { query.into() });
    req.limit = usize::from(a & 0x3f) * 2;
    req.offset = usize::from(b & 0x0f) * 3;
    req.passages = usize::from(b >> 4);
    req.facets = a & 0x40 != 0;
    if b & 0x01 != 0 {
        req.langs = vec![["en", "fr", "ar", "xx"][usize::from(b >> 6)].into()];
    }
    if let Some(date) = date.and_then(|d| std::str::from_utf8(d).ok()) {
        req.since = date_bound(date, false).ok();
        req.until = date_bound(date, true).ok();
    }
    let Ok(results) = index().search(&req) else { return };
    assert!(results.hits.len() <= req.limit);
    assert!(results.total_hits >= results.hits.len());
    for hit in &results.hits {
        assert!(hit.passages.len() <= req.passages);
        for p in &hit.passages {
            assert!(!p.text.is_empty());
            gazette_fuzz::check_highlights(&p.text, p.highlights.iter().copied());
        }
    }
});
