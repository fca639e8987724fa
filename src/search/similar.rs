//! Related coverage (`gazette similar ARTICLE_ID`): more-like-this over an article's text.
//!
//! The article's title and body are analysed with the `exact` chain (words as written, stop
//! words of every language dropped); each word is weighted by `(1 + ln tf) · idf`, with
//! `idf` BM25's over passages (so words found everywhere weigh little) and a title word
//! counting 3 times, leaving out words in fewer than 2 passages (nothing else has them), and
//! words said once when at least 10 are said more often. The [`MAX_SIMILAR_TERMS`]
//! heaviest words become an ordinary query, `word^weight …`, run like any search — through
//! every language chain, ranked by passages, highlighted, collapsed — without the article
//! itself.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{Extra, SearchRequest, SearchResults};
use crate::analysis;
use crate::article::ArticleId;
use crate::error::{Error, Result};
use crate::index::{article_key, NewsIndex};

/// Words of the article the similar-articles query is made of, at most.
pub const MAX_SIMILAR_TERMS: usize = 25;

/// Words in fewer passages than this are left out.
const MIN_DOC_FREQ: u64 = 2;
/// A word of the title counts as this many occurrences.
const TITLE_TF: u32 = 3;
/// With at least this many words occurring twice or more, words occurring once are left out.
const MIN_REPEATED: usize = 10;

/// What to look for: articles like the article `id`, with the options of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarRequest {
    /// The article to start from.
    pub id: ArticleId,
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip (for paging).
    pub offset: usize,
    /// Passages per hit (0 to [`super::MAX_PASSAGES`]).
    pub passages: usize,
    /// Only articles published at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Only articles published before or at this instant.
    pub until: Option<OffsetDateTime>,
    /// Only articles in these languages (codes; empty: all).
    pub langs: Vec<String>,
    /// Only articles from these sources (case-insensitive; empty: all).
    pub sources: Vec<String>,
    /// Collapse near-duplicates into one hit.
    pub collapse: bool,
    /// Also count the matching articles per source, language and month.
    pub facets: bool,
}

impl SimilarRequest {
    /// Articles like `id`, with default options (10 hits, 2 passages each, copies
    /// collapsed).
    pub fn new(id: impl Into<String>) -> Self {
        SimilarRequest {
            id: ArticleId(id.into()),
            limit: 10,
            offset: 0,
            passages: 2,
            since: None,
            until: None,
            langs: Vec::new(),
            sources: Vec::new(),
            collapse: true,
            facets: false,
        }
    }
}

impl NewsIndex {
    /// Finds the articles most like the article `req.id` (never the article itself).
    ///
    /// [`SearchResults::query`] holds the weighted words chosen from the article. Fails
    /// with [`Error::ArticleNotFound`] when the index has no article with that id.
    pub fn similar(&self, req: &SimilarRequest) -> Result<SearchResults> {
        let searcher = self.searcher();
        let Some(article) = self.article_in(&searcher, &req.id)? else {
            return Err(Error::ArticleNotFound(req.id.as_str().to_string()));
        };
        let mut tf: HashMap<String, u32> = HashMap::new();
        if let Some(mut a) = analysis::analyzer_for(self.profile(), analysis::EXACT) {
            for (text, weight) in [(&article.title, TITLE_TF), (&article.body, 1)] {
                for t in analysis::analyze_with(&mut a, text) {
                    if t.term.chars().count() >= 2 && !t.term.chars().all(|c| c.is_numeric()) {
                        *tf.entry(t.term).or_default() += weight;
                    }
                }
            }
        }
        // Words said once are left out when the article has enough words said more often.
        let min_tf = if tf.values().filter(|n| **n >= 2).count() >= MIN_REPEATED { 2 } else { 1 };
        tf.retain(|_, n| *n >= min_tf);
        let n = searcher.num_docs().max(1);
        let mut weighted: Vec<(f64, String)> = Vec::new();
        for (term, count) in tf {
            let df =
                searcher.doc_freq(&tantivy::Term::from_field_text(self.fields().exact, &term))?;
            if df < MIN_DOC_FREQ {
                continue;
            }
            let idf = (1.0 + (n as f64 - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
            weighted.push(((1.0 + f64::from(count).ln()) * idf, term));
        }
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        weighted.truncate(MAX_SIMILAR_TERMS);
        let top = weighted.first().map_or(1.0, |w| w.0);
        let query = weighted
            .iter()
            .map(|(w, term)| format!("{term}^{:.2}", (w / top).max(0.05)))
            .collect::<Vec<_>>()
            .join(" ");
        if query.is_empty() {
            // Nothing distinctive to look for: no article is like this one.
            return Ok(SearchResults {
                query,
                total_hits: 0,
                took_ms: 0.0,
                hits: Vec::new(),
                facets: req.facets.then(Default::default),
                did_you_mean: None,
                fuzzy: Vec::new(),
            });
        }
        let mut search = SearchRequest::new(query.clone());
        search.limit = req.limit;
        search.offset = req.offset;
        search.passages = req.passages;
        search.since = req.since;
        search.until = req.until;
        search.langs = req.langs.clone();
        search.sources = req.sources.clone();
        search.collapse = req.collapse;
        search.facets = req.facets;
        search.fuzzy = false;
        // Twenty-five words of the article as written are not a description: they rank as
        // the keyword queries made of an article's words do (README, "Ranking").
        search.rank = search.rank.never_verbose();
        let extra = Extra { exclude: Some(article_key(req.id.as_str())), shown_query: Some(query) };
        self.search_with(&search, &extra)
    }
}
