//! A collector that groups matching passages by article, keeping each article's best few.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

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
    pub best: Vec<PassageMatch>,
    /// Number of matching passages.
    pub matched: u32,
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
        for m in other.best {
            self.push(m, keep);
        }
        self.matched = matched;
    }
}

/// Collects every matching passage into its article's [`ArticleMatches`].
pub(crate) struct ArticleCollector {
    /// Passages kept per article.
    pub keep: usize,
}

pub(crate) struct ArticleSegmentCollector {
    segment: SegmentOrdinal,
    keys: Column<u64>,
    pos: Column<u64>,
    keep: usize,
    groups: HashMap<u64, ArticleMatches>,
}

impl Collector for ArticleCollector {
    type Fruit = HashMap<u64, ArticleMatches>;
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
            groups: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<HashMap<u64, ArticleMatches>>,
    ) -> tantivy::Result<HashMap<u64, ArticleMatches>> {
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
    type Fruit = HashMap<u64, ArticleMatches>;

    fn collect(&mut self, doc: DocId, score: Score) {
        // Article records have no key: they are never hits.
        let Some(key) = self.keys.first(doc) else { return };
        let pos = self.pos.first(doc).unwrap_or(u64::MAX);
        let m = PassageMatch { score, pos, addr: DocAddress::new(self.segment, doc) };
        self.groups.entry(key).or_default().push(m, self.keep);
    }

    fn harvest(self) -> HashMap<u64, ArticleMatches> {
        self.groups
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
        assert_eq!(a.best, vec![m(2.0, 1), m(2.0, 5)]);
        assert_eq!(a.matched, 4);
        let mut b = ArticleMatches::default();
        b.push(m(3.0, 9), 2);
        a.merge(b, 2);
        assert_eq!(a.best, vec![m(3.0, 9), m(2.0, 1)]);
        assert_eq!(a.matched, 5);
    }
}
