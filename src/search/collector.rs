//! A collector that groups matching passages by article, keeping each article's best few,
//! and, when asked, the facet values (source, language, date) of each matching article.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::rank::{SegmentMasks, WordMasks};

/// One matching passage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PassageMatch {
    pub score: Score,
    pub pos: u64,
    pub addr: DocAddress,
}

/// Best-first: higher score, then earlier passage (ties go to the earlier passage).
fn better(a: &PassageMatch, b: &PassageMatch) -> bool {
    a.score > b.score || (a.score == b.score && a.pos < b.pos)
}

/// The best passages of one article, best first.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArticleMatches {
    /// Inline up to two (the article's score needs two; more only when more passages are
    /// shown), so most matching articles cost no allocation of their own.
    pub best: SmallVec<[PassageMatch; 2]>,
    /// Number of matching passages.
    pub matched: u32,
    /// The article's facet values, when the collector was asked for them (boxed: most
    /// searches ask for none, and every matching article's entry stays small).
    pub facets: Option<Box<FacetValues>>,
    /// The query's own words found in any of its passages, one bit each (when the search
    /// asked for word masks: see [`WordMasks`]).
    pub words: u32,
}

/// The facet values of one article (read from its passages' fast fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FacetValues {
    /// The source as written.
    pub source: Option<String>,
    /// The language code.
    pub lang: Option<String>,
    /// The publication date, in seconds since the Unix epoch.
    pub date: Option<i64>,
}

impl ArticleMatches {
    fn push(&mut self, m: PassageMatch, keep: usize) {
        self.offer(m.score, m.addr, || m.pos, keep);
    }

    /// Counts a matching passage and keeps it if it is among the best `keep`; its position
    /// is read (`pos`, a fast-field look-up) only when the score alone does not rule it out.
    fn offer(&mut self, score: Score, addr: DocAddress, pos: impl FnOnce() -> u64, keep: usize) {
        self.matched += 1;
        if self.best.len() == keep && self.best.last().is_some_and(|last| score < last.score) {
            return;
        }
        let m = PassageMatch { score, pos: pos(), addr };
        if self.best.len() == keep && self.best.last().is_some_and(|last| !better(&m, last)) {
            return;
        }
        let at = self.best.iter().position(|b| better(&m, b)).unwrap_or(self.best.len());
        self.best.insert(at, m);
        self.best.truncate(keep);
    }

    fn merge(&mut self, other: ArticleMatches, keep: usize) {
        let matched = self.matched + other.matched;
        self.words |= other.words;
        if self.facets.is_none() {
            self.facets = other.facets;
        }
        for m in other.best {
            self.push(m, keep);
        }
        self.matched = matched;
    }
}

/// Matching articles by article key. The keys are already hashes (xxh3 of the id), so the
/// map hashes them with the cheap Fx hasher.
pub(crate) type Groups = FxHashMap<u64, ArticleMatches>;

/// Collects every matching passage into its article's [`ArticleMatches`].
pub(crate) struct ArticleCollector {
    /// Passages kept per article.
    pub keep: usize,
    /// Whether to read each article's facet values.
    pub facets: bool,
    /// Where the query's scorer leaves each passage's word mask, to OR into its article's.
    pub masks: Option<Arc<WordMasks>>,
}

/// The fast columns facet values are read from, in one segment.
struct FacetColumns {
    source: Option<StrColumn>,
    lang: Option<StrColumn>,
    date: Column<tantivy::DateTime>,
}

/// Facet values of one article in one segment, as term ordinals until harvest.
#[derive(Debug, Clone, Copy)]
struct FacetOrds {
    source: Option<u64>,
    lang: Option<u64>,
    date: Option<i64>,
}

pub(crate) struct ArticleSegmentCollector {
    segment: SegmentOrdinal,
    keys: Column<u64>,
    pos: Column<u64>,
    keep: usize,
    groups: Groups,
    facet_columns: Option<FacetColumns>,
    facet_ords: FxHashMap<u64, FacetOrds>,
    masks: MaskCursor,
}

/// The word masks of one segment's passages, read in document order as passages arrive.
struct MaskCursor {
    /// Where to fetch them, until the first passage (the scorer writes them after this
    /// segment collector is made).
    source: Option<(Arc<WordMasks>, SegmentId)>,
    list: Option<SegmentMasks>,
    at: usize,
}

impl MaskCursor {
    /// The mask of passage `doc` (0 when the scorer left none: a passage matched through
    /// another clause only). Documents come in increasing order.
    fn mask(&mut self, doc: DocId) -> u32 {
        if let Some((sink, segment)) = self.source.take() {
            self.list = sink.get(segment);
        }
        let Some(list) = &self.list else { return 0 };
        while self.at < list.len() && list[self.at].0 < doc {
            self.at += 1;
        }
        match list.get(self.at) {
            Some((d, mask)) if *d == doc => *mask,
            _ => 0,
        }
    }
}

impl ArticleSegmentCollector {
    /// Resolves the ordinals of each article's facet values to strings (each ordinal once).
    fn resolve_facets(&mut self) {
        let Some(cols) = &self.facet_columns else { return };
        let mut names: [HashMap<u64, Option<String>>; 2] = Default::default();
        let mut lookup = |which: usize, col: &Option<StrColumn>, ord: Option<u64>| {
            let (col, ord) = (col.as_ref()?, ord?);
            names[which]
                .entry(ord)
                .or_insert_with(|| {
                    let mut s = String::new();
                    col.ord_to_str(ord, &mut s).ok().filter(|found| *found).map(|_| s)
                })
                .clone()
        };
        for (key, ords) in &self.facet_ords {
            if let Some(group) = self.groups.get_mut(key) {
                group.facets = Some(Box::new(FacetValues {
                    source: lookup(0, &cols.source, ords.source),
                    lang: lookup(1, &cols.lang, ords.lang),
                    date: ords.date,
                }));
            }
        }
    }
}

impl Collector for ArticleCollector {
    type Fruit = Groups;
    type Child = ArticleSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<ArticleSegmentCollector> {
        Ok(ArticleSegmentCollector {
            segment,
            keys: reader.fast_fields().u64("article_key")?,
            pos: reader.fast_fields().u64("pos")?,
            keep: self.keep.max(1),
            groups: Groups::default(),
            facet_columns: if self.facets {
                let ff = reader.fast_fields();
                Some(FacetColumns {
                    source: ff.str("source")?,
                    lang: ff.str("lang")?,
                    date: ff.date("date")?,
                })
            } else {
                None
            },
            facet_ords: FxHashMap::default(),
            masks: MaskCursor {
                source: self.masks.clone().map(|m| (m, reader.segment_id())),
                list: None,
                at: 0,
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Groups>) -> tantivy::Result<Groups> {
        let mut iter = fruits.into_iter();
        let mut all = iter.next().unwrap_or_default();
        for fruit in iter {
            for (key, matches) in fruit {
                all.entry(key).or_default().merge(matches, self.keep.max(1));
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for ArticleSegmentCollector {
    type Fruit = Groups;

    fn collect(&mut self, doc: DocId, score: Score) {
        // Article records have no key: they are never hits.
        let Some(key) = self.keys.first(doc) else { return };
        let mask = self.masks.mask(doc);
        let article = self.groups.entry(key).or_default();
        let pos = &self.pos;
        let addr = DocAddress::new(self.segment, doc);
        article.offer(score, addr, || pos.first(doc).unwrap_or(u64::MAX), self.keep);
        article.words |= mask;
        if let Some(cols) = &self.facet_columns {
            self.facet_ords.entry(key).or_insert_with(|| FacetOrds {
                source: cols.source.as_ref().and_then(|c| c.term_ords(doc).next()),
                lang: cols.lang.as_ref().and_then(|c| c.term_ords(doc).next()),
                date: cols.date.first(doc).map(|d| d.into_timestamp_secs()),
            });
        }
    }

    fn harvest(mut self) -> Groups {
        self.resolve_facets();
        self.groups
    }
}

/// The keys of the articles with a passage that matches (no scores).
pub(crate) struct ArticleKeys;

pub(crate) struct ArticleKeysSegment {
    keys: Column<u64>,
    found: FxHashSet<u64>,
}

impl Collector for ArticleKeys {
    type Fruit = FxHashSet<u64>;
    type Child = ArticleKeysSegment;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<ArticleKeysSegment> {
        Ok(ArticleKeysSegment {
            keys: reader.fast_fields().u64("article_key")?,
            found: FxHashSet::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FxHashSet<u64>>) -> tantivy::Result<FxHashSet<u64>> {
        let mut iter = fruits.into_iter();
        let mut all = iter.next().unwrap_or_default();
        for fruit in iter {
            all.extend(fruit);
        }
        Ok(all)
    }
}

impl SegmentCollector for ArticleKeysSegment {
    type Fruit = FxHashSet<u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(key) = self.keys.first(doc) {
            self.found.insert(key);
        }
    }

    fn harvest(self) -> FxHashSet<u64> {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(score: f32, pos: u64) -> PassageMatch {
        PassageMatch { score, pos, addr: DocAddress::new(0, pos as u32) }
    }

    #[test]
    fn keeps_best_first_with_ties_to_earlier() {
        let mut a = ArticleMatches::default();
        for x in [m(1.0, 3), m(2.0, 5), m(2.0, 1), m(0.5, 0)] {
            a.push(x, 2);
        }
        assert_eq!(a.best.as_slice(), [m(2.0, 1), m(2.0, 5)]);
        assert_eq!(a.matched, 4);
        let mut b = ArticleMatches::default();
        b.push(m(3.0, 9), 2);
        a.words = 0b01;
        b.words = 0b10;
        a.merge(b, 2);
        assert_eq!(a.best.as_slice(), [m(3.0, 9), m(2.0, 1)]);
        assert_eq!(a.matched, 5);
        assert_eq!(a.words, 0b11, "an article's words are those of all its segments' passages");
    }

    #[test]
    fn reads_a_position_only_when_the_score_does_not_decide() {
        let reads = std::cell::Cell::new(0);
        let pos = |p: u64| {
            reads.set(reads.get() + 1);
            p
        };
        let addr = DocAddress::new(0, 0);
        let mut a = ArticleMatches::default();
        a.offer(2.0, addr, || pos(4), 2);
        a.offer(3.0, addr, || pos(7), 2);
        assert_eq!(reads.get(), 2, "the first two are kept, with their positions");
        a.offer(1.0, addr, || pos(1), 2);
        assert_eq!(reads.get(), 2, "a lower score than both kept ones needs no position");
        a.offer(2.0, addr, || pos(1), 2);
        assert_eq!(reads.get(), 3, "a tie is broken by position");
        assert_eq!(a.best.iter().map(|m| m.pos).collect::<Vec<_>>(), [7, 1]);
        assert_eq!(a.matched, 4);
    }

    proptest::proptest! {
        /// What merging the segments' groups relies on (an article's passages need not be
        /// consecutive documents of one segment: the indexing threads take documents one by
        /// one): passages accumulated in runs apart and merged keep what one accumulation of
        /// them all would.
        #[test]
        fn runs_merged_keep_what_one_pass_keeps(
            passages in proptest::collection::vec((0u8..6, 0u64..50), 1..30),
            cuts in proptest::collection::vec(0usize..30, 0..4),
            keep in 1usize..4,
        ) {
            let one_pass = passages.iter().fold(ArticleMatches::default(), |mut a, (s, p)| {
                a.offer(f32::from(*s), DocAddress::new(0, *p as u32), || *p, keep);
                a
            });
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| *c < passages.len()).collect();
            cuts.sort_unstable();
            let mut merged = ArticleMatches::default();
            let mut from = 0;
            for to in cuts.into_iter().chain([passages.len()]) {
                let mut run = ArticleMatches::default();
                for (s, p) in &passages[from..to.max(from)] {
                    run.offer(f32::from(*s), DocAddress::new(0, *p as u32), || *p, keep);
                }
                merged.merge(run, keep);
                from = to.max(from);
            }
            proptest::prop_assert_eq!(merged.best.as_slice(), one_pass.best.as_slice());
            proptest::prop_assert_eq!(merged.matched, one_pass.matched);
        }
    }

    #[test]
    fn mask_cursor_reads_masks_in_document_order() {
        let mut c =
            MaskCursor { source: None, list: Some(Arc::new(vec![(2, 1), (5, 2), (9, 3)])), at: 0 };
        assert_eq!(
            [c.mask(1), c.mask(2), c.mask(5), c.mask(7), c.mask(9), c.mask(12)],
            [0, 1, 2, 0, 3, 0]
        );
        let mut none = MaskCursor { source: None, list: None, at: 0 };
        assert_eq!(none.mask(3), 0);
    }
}
