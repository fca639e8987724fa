//! Property tests (proptest) on the invariants users rely on, over generated input:
//!
//! - every highlight of every search hit is sorted, non-overlapping, non-empty, on char
//!   boundaries and inside its passage, for any query (the unit proptests in
//!   `src/search/highlight.rs` and `src/passage.rs` cover the pure functions; these go
//!   through the whole search path, on the sample corpus);
//! - every indexed article is retrievable by its id, whatever the id and the text;
//! - indexing the same input twice gives the same article count (and no duplicates).
//!
//! Case counts are kept small: each case of the last two builds an index.

use std::path::PathBuf;

use gazette::{index_paths, Article, IndexOptions, NewsIndex, SearchRequest};
use proptest::prelude::*;

use crate::util::corpus_index;

fn opts() -> IndexOptions {
    IndexOptions { threads: 1, heap_bytes: 50_000_000, ..IndexOptions::default() }
}

/// Words of the sample corpus's three languages, query syntax, and odd characters.
fn query_part() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "morocco",
            "Mistral",
            "OpenAI",
            "données",
            "protection",
            "المغرب",
            "الذكاء",
            "intelligence",
            "artificielle",
            "data",
            "AI",
            "ia",
            "CNDP",
            "l'IA",
            "d'accord",
        ])
        .prop_map(String::from),
        prop::sample::select(vec![
            "\"", "*", "(", ")", "AND", "OR", "NOT", "-", "+", "title:", "lang:fr", "^2", "~1",
        ])
        .prop_map(String::from),
        "[a-zé\u{0600}-\u{06FF}'’-]{1,8}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    // Found by this test: `morocco -'é morocco` tripped a debug assertion in Tantivy's
    // phrase scorer (`seek_danger`: "target (10) should be greater than or equal to doc");
    // fixed by `search::exclusion`, regression test `search::negated_phrases_that_run_out`.
    #[test]
    fn search_highlights_hold_their_invariants(parts in prop::collection::vec(query_part(), 1..6), passages in 0usize..=10) {
        let mut req = SearchRequest::new(parts.join(" "));
        req.passages = passages;
        req.limit = 20;
        let Ok(results) = corpus_index().search(&req) else { return Ok(()) };
        for hit in &results.hits {
            prop_assert!(hit.passages.len() <= passages);
            for p in &hit.passages {
                let mut last = 0;
                for h in &p.highlights {
                    prop_assert!(h.start >= last && h.start < h.end && h.end <= p.text.len(), "{:?} in {:?}", h, p.text);
                    prop_assert!(p.text.is_char_boundary(h.start) && p.text.is_char_boundary(h.end));
                    last = h.end;
                }
            }
        }
    }
}

/// Article text in the three scripts, with paragraph breaks and odd whitespace.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÿ\u{0621}-\u{064A} .,;:!?؟،\n\t'\"-]{0,300}"
}

fn article() -> impl Strategy<Value = Article> {
    (
        "[^\u{0}-\u{1f}]{1,40}",
        text(),
        text(),
        prop::option::of(prop::sample::select(vec!["en", "fr", "ar", "xx"])),
    )
        .prop_map(|(id, title, body, lang)| {
            let mut a = Article::new(id, title, body);
            a.lang = lang.map(String::from);
            a
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_indexed_article_is_retrievable_by_its_id(articles in prop::collection::vec(article(), 1..12)) {
        let dir = tempfile::tempdir().unwrap();
        let index = NewsIndex::create(dir.path()).unwrap();
        let mut updater = index.updater(50_000_000, 1).unwrap();
        for a in &articles {
            updater.upsert(a).unwrap();
        }
        updater.commit().unwrap();
        updater.finish().unwrap();
        index.reload().unwrap();
        // The last version of each id wins.
        let mut last = std::collections::BTreeMap::new();
        for a in &articles {
            last.insert(a.id.clone(), a);
        }
        prop_assert_eq!(index.stats().unwrap().articles, last.len() as u64);
        for (id, a) in &last {
            let stored = index.article(id).unwrap();
            prop_assert!(stored.is_some(), "article {:?} not found", id);
            let stored = stored.unwrap();
            prop_assert_eq!(&stored.id, id);
            prop_assert_eq!(&stored.body, &a.body);
        }
    }

    #[test]
    fn indexing_the_same_input_twice_gives_the_same_count(
        records in prop::collection::vec((prop::option::of("[a-z0-9/:.#-]{1,12}"), text(), text()), 1..20),
        split in 1usize..4,
    ) {
        // The records as JSON Lines files, some with ids (possibly repeated), some without.
        let corpus = tempfile::tempdir().unwrap();
        for (f, chunk) in records.chunks(records.len().div_ceil(split)).enumerate() {
            let mut lines = String::new();
            for (id, title, body) in chunk {
                let mut obj = serde_json::json!({ "title": title, "body": body });
                if let Some(id) = id {
                    obj["id"] = id.clone().into();
                }
                lines.push_str(&obj.to_string());
                lines.push('\n');
            }
            std::fs::write(corpus.path().join(format!("f{f}.jsonl")), lines).unwrap();
        }
        let roots: Vec<PathBuf> = vec![corpus.path().to_path_buf()];
        let count = |dir: &std::path::Path| {
            let index = NewsIndex::create(dir).unwrap();
            index_paths(&index, &roots, &opts(), &()).unwrap();
            let first = index.stats().unwrap().articles;
            // Again over the same index: nothing changes.
            let again = index_paths(&index, &roots, &opts(), &()).unwrap();
            assert_eq!((again.added, again.removed), (0, 0));
            index.reload().unwrap();
            (first, index.stats().unwrap().articles)
        };
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let (first, rerun) = count(a.path());
        let (fresh, _) = count(b.path());
        prop_assert_eq!(first, rerun);
        prop_assert_eq!(first, fresh);
        // Every record is held once: as many articles as distinct ids (records with a title or
        // body; an empty one is skipped).
        let expected = gazette::ingest::read_paths(&roots)
            .articles
            .iter()
            .map(|a| a.id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64;
        prop_assert_eq!(first, expected);
    }
}
