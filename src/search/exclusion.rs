//! The excluded part of a query (`-word`, `-"a phrase"`), run so that Tantivy's exclusion
//! only ever seeks it safely.
//!
//! Tantivy's `Exclude` asks its excluded docset for each candidate with `seek_danger`, and
//! keeps asking after the docset has run out or answered with a lower bound past the
//! candidate. A phrase scorer asserts that it is never sought below where it stands, so a
//! query such as `morocco -'é morocco` (a negated phrase that ran out before the last
//! `morocco`) panics in a debug build; in release the assertion is off and the answer is
//! right, but only by luck of the implementation. [`Exclusion`] wraps the excluded query's
//! scorer in one that answers from where it stands when sought below it, and otherwise
//! uses the plain `seek`, which always leaves the docset valid.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// A query used only to exclude documents (see the module docs).
#[derive(Debug)]
pub(crate) struct Exclusion(pub Box<dyn Query>);

impl Clone for Exclusion {
    fn clone(&self) -> Self {
        Exclusion(self.0.box_clone())
    }
}

impl Query for Exclusion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExclusionWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExclusionWeight(Box<dyn Weight>);

impl Weight for ExclusionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(SafeSeek(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// A scorer whose `seek_danger` is DocSet's safe default (built on `doc` and `seek`).
struct SafeSeek(Box<dyn Scorer>);

impl DocSet for SafeSeek {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        // Sought below where it stands (after running out, say): it stays there.
        let doc = self.0.doc();
        if doc >= target {
            return doc;
        }
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for SafeSeek {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
