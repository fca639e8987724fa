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
        self.matched += 1;
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
        let pos = self.pos.first(doc).unwrap_or(u64::MAX);
        let m = PassageMatch { score, pos, addr: DocAddress::new(self.segment, doc) };
        let mask = self.masks.mask(doc);
        let article = self.groups.entry(key).or_default();
        article.push(m, self.keep);
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
