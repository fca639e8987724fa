//! Queries to ranked articles: one [`Hit`] per article, ranked by its best passages, each
//! shown [`Passage`] carrying its highlight ranges.
//!
//! The query syntax is Tantivy's: words, `"phrases"`, `AND` / `OR` / `NOT` / `+` / `-`,
//! `title:`, `source:`, `lang:`, `tag:`, `prefix*`. A query is analyzed with every language
//! chain and matched against every language's passage field, the unstemmed `exact` field
//! and the title. Search returns data (text, scores, byte ranges), never markup.

mod arrange;
mod collector;
mod exclusion;
pub mod fuzzy;
pub mod highlight;
mod rank;
mod similar;

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DateTime, TantivyDocument, Term};
use time::OffsetDateTime;

pub use self::arrange::{half_life, Sort, COLLAPSE_DISTANCE, UNDATED_DECAY};
use self::arrange::{Arranged, Arrangement};
use self::collector::{ArticleCollector, ArticleMatches, FacetValues};
pub use self::fuzzy::FuzzyTerm;
use self::highlight::{Highlighter, TermGroup};
use self::rank::{Bm25fQuery, RankFields, Role, Word, WordMasks};
pub use self::rank::{FieldExplain, RankParams, WordExplain, WordsExplain};
pub use self::similar::{SimilarRequest, MAX_SIMILAR_TERMS};
use crate::analysis::Lang;
use crate::article::ArticleId;
use crate::error::{Error, Result};
use crate::index::NewsIndex;
use crate::ingest::{format_date, passage_lang};

/// Field names a query may use (`title:mistral`, `source:reuters`, `lang:fr`, `tag:ai`).
pub const QUERY_FIELDS: &[&str] = &["title", "source", "lang", "tag", "date"];

/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 1000;
/// The largest number of passages per hit.
pub const MAX_PASSAGES: usize = 10;
/// The most values returned per facet (`source`, `lang`), most frequent first.
pub const MAX_FACET_VALUES: usize = 50;

/// Field boosts of the query parts Tantivy's query parser scores (phrases, prefixes,
/// words a chain splits in several tokens), which sum one BM25 per field: the exact field
/// weighs as little as in BM25F, so a phrase found in the text and the exact field scores
/// about like one BM25F word, not twice. Plain words are scored with BM25F ([`RankParams`]).
mod weights {
    /// Boost of the unstemmed `exact` field next to the stemmed language field.
    pub const EXACT: f32 = 0.1;
    /// Boost of the title field (matched in every passage of the article).
    pub const TITLE: f32 = 1.0;
}

/// What to search for.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query, in Gazette's query syntax.
    pub query: String,
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip (for paging).
    pub offset: usize,
    /// Passages per hit (0 to [`MAX_PASSAGES`]).
    pub passages: usize,
    /// Only articles published at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Only articles published before or at this instant.
    pub until: Option<OffsetDateTime>,
    /// Only articles in these languages (codes; empty: all).
    pub langs: Vec<String>,
    /// Only articles from these sources (case-insensitive; empty: all).
    pub sources: Vec<String>,
    /// Also count the matching articles per source, language and month
    /// ([`SearchResults::facets`]).
    pub facets: bool,
    /// Also say, per hit, why it ranked ([`Hit::explain`]).
    pub explain: bool,
    /// Expand a query of plain words with terms from its best passages (RM3-style
    /// pseudo-relevance feedback; [`RankParams`] `fb_*`), then search again.
    pub expand: bool,
    /// Ranking parameters (the defaults are the measured setting).
    pub rank: RankParams,
    /// How hits are ordered: by relevance (default) or newest first.
    pub sort: Sort,
    /// Recency: multiply each article's score by `0.5^(age / half_life)` (age at
    /// [`SearchRequest::now`]); undated articles get [`UNDATED_DECAY`]. See [`half_life`].
    pub recent: Option<time::Duration>,
    /// The instant ages are measured from (default: the time of the search).
    pub now: Option<OffsetDateTime>,
    /// Typo tolerance: search rare words with their fuzzy matches too (see [`fuzzy`]).
    pub fuzzy: bool,
    /// Collapse near-duplicate articles (syndicated copies) into one hit ([`Hit::also_in`]).
    pub collapse: bool,
}

impl SearchRequest {
    /// A request for `query` with default options (10 hits, 2 passages each).
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            limit: 10,
            offset: 0,
            passages: 2,
            since: None,
            until: None,
            langs: Vec::new(),
            sources: Vec::new(),
            facets: false,
            explain: false,
            expand: false,
            rank: RankParams::default(),
            sort: Sort::Relevance,
            recent: None,
            now: None,
            fuzzy: true,
            collapse: true,
        }
    }
}

/// Deepest nesting of parentheses accepted in a query.
pub const MAX_NESTING: usize = 32;

/// How deep a query's parentheses nest, as the grammar's parser would recurse into them:
/// parentheses inside a quoted phrase or escaped with `\` are text, not groups.
fn nesting_depth(query: &str) -> usize {
    let (mut depth, mut deepest, mut quoted, mut escaped) = (0usize, 0usize, false, false);
    for c in query.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Parses a date filter (`since` / `until`): `YYYY-MM-DD` or an RFC 3339 date-time. With
/// `end_of_day`, a bare day means its last second (so `until=2025-09-12` includes that day).
///
/// ```
/// use gazette::search::date_bound;
/// let until = date_bound("2025-09-12", true).unwrap();
/// assert_eq!(until.to_string(), "2025-09-12 23:59:59.0 +00:00:00");
/// assert!(date_bound("next week", false).is_err());
/// ```
pub fn date_bound(text: &str, end_of_day: bool) -> Result<OffsetDateTime> {
    let Some(d) = crate::ingest::parse_date(text) else {
        return Err(Error::InvalidOption(format!(
            "invalid date {text:?}: expected YYYY-MM-DD or an RFC 3339 date-time"
        )));
    };
    let bare_day = text.trim().len() <= 10;
    Ok(if end_of_day && bare_day {
        d + time::Duration::days(1) - time::Duration::seconds(1)
    } else {
        d
    })
}

/// How many matching articles have one value of a facet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value: a source as written, a language code, or a month (`YYYY-MM`).
    pub value: String,
    /// Matching articles with this value.
    pub count: u64,
}

/// Counts of the articles matching a request (query and filters alike) per facet value.
///
/// Articles without a value for a facet (no source, no date…) are not counted in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Per source, most frequent first (ties by value); at most [`MAX_FACET_VALUES`].
    pub source: Vec<FacetCount>,
    /// Per language code, most frequent first (ties by value); at most
    /// [`MAX_FACET_VALUES`].
    pub lang: Vec<FacetCount>,
    /// Per month of publication (`YYYY-MM`, UTC), in chronological order.
    pub month: Vec<FacetCount>,
}

impl Facets {
    fn count<'a>(values: impl Iterator<Item = &'a FacetValues>) -> Facets {
        use std::collections::HashMap;
        let mut source: HashMap<&str, u64> = HashMap::new();
        let mut lang: HashMap<&str, u64> = HashMap::new();
        let mut month: HashMap<String, u64> = HashMap::new();
        for v in values {
            if let Some(s) = v.source.as_deref() {
                *source.entry(s).or_default() += 1;
            }
            if let Some(l) = v.lang.as_deref() {
                *lang.entry(l).or_default() += 1;
            }
            if let Some(d) = v.date.and_then(|d| OffsetDateTime::from_unix_timestamp(d).ok()) {
                *month.entry(format!("{:04}-{:02}", d.year(), d.month() as u8)).or_default() += 1;
            }
        }
        let by_count = |m: HashMap<&str, u64>| {
            let mut v: Vec<FacetCount> = m
                .into_iter()
                .map(|(value, count)| FacetCount { value: value.to_string(), count })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            v.truncate(MAX_FACET_VALUES);
            v
        };
        let mut month: Vec<FacetCount> =
            month.into_iter().map(|(value, count)| FacetCount { value, count }).collect();
        month.sort_by(|a, b| a.value.cmp(&b.value));
        Facets { source: by_count(source), lang: by_count(lang), month }
    }
}

/// A highlighted range of a passage's text, in bytes (on `char` boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Highlight {
    /// Start byte offset (inclusive).
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// One passage of a hit: whole sentences of the article, with the query's matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// The passage text.
    pub text: String,
    /// The passage's score (BM25 over passages).
    pub score: f32,
    /// Matched terms: sorted, non-overlapping byte ranges into `text`.
    pub highlights: Vec<Highlight>,
}

/// One article matching a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Article id.
    pub id: ArticleId,
    /// Title.
    pub title: String,
    /// Outlet.
    pub source: Option<String>,
    /// Publication date (RFC 3339, UTC).
    pub date: Option<String>,
    /// Canonical url.
    pub url: Option<String>,
    /// The file it was read from.
    pub path: Option<String>,
    /// Language code.
    pub lang: Option<String>,
    /// Article score: best passage plus a share of the second best (times the recency
    /// factor with [`SearchRequest::recent`]).
    pub score: f32,
    /// The best passages, best first.
    pub passages: Vec<Passage>,
    /// Near-duplicates of this article collapsed into this hit (syndicated copies), best
    /// first; empty without [`SearchRequest::collapse`].
    pub also_in: Vec<Duplicate>,
    /// Why it ranked, when [`SearchRequest::explain`] asked (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
}

/// Why a hit ranked where it did: its score taken apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explain {
    /// Position of the winning (best) passage in the article (0-based).
    pub passage: u64,
    /// The winning passage's score.
    pub passage_score: f32,
    /// Position of the second-best passage, if another passage matched.
    pub second_passage: Option<u64>,
    /// The second-best passage's score (0 when none).
    pub second_passage_score: f32,
    /// The share of the second passage's score added to the article's.
    pub second_passage_share: f32,
    /// The winning passage's BM25F score on the query's plain words, per word and field.
    pub words: Option<WordsExplain>,
    /// The rest of the winning passage's score: phrases, prefixes, fielded terms (scored by
    /// Tantivy's per-field BM25).
    pub other: f32,
    /// Matching passages of the article.
    pub matched_passages: u32,
    /// The article's coverage factor, `(words_found / words_of) ^ coverage` (1 where it
    /// does not apply: see [`RankParams`] `coverage`, `coverage_max`).
    pub coverage: f32,
    /// The query's own words found in some passage of the article (with `words_of`; both
    /// 0 where the coverage factor does not apply).
    pub words_found: u32,
    /// The query's own words the coverage factor counts.
    pub words_of: usize,
}

/// A near-duplicate of a hit: another outlet's copy of the same story.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    /// Article id.
    pub id: ArticleId,
    /// Title.
    pub title: String,
    /// Outlet.
    pub source: Option<String>,
    /// Publication date (RFC 3339, UTC).
    pub date: Option<String>,
    /// Canonical url.
    pub url: Option<String>,
}

/// The most copies listed per hit (more are counted in [`SearchResults::total_hits`]'s
/// difference from the articles matched, not listed).
pub const MAX_COPIES: usize = 20;

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// Number of matching articles (near-duplicates collapsed into one hit count once).
    pub total_hits: usize,
    /// Time spent, in milliseconds.
    pub took_ms: f64,
    /// The requested page of hits, best first.
    pub hits: Vec<Hit>,
    /// Counts per source, language and month, when [`SearchRequest::facets`] asked for them
    /// (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// The query with its rare words replaced by their closest dictionary words, when typo
    /// tolerance searched some (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    /// The rare words searched with their fuzzy matches (absent from the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fuzzy: Vec<FuzzyTerm>,
}

/// What a search adds to a [`SearchRequest`] inside the library.
#[derive(Debug, Default)]
struct Extra {
    /// An article (by key) never returned.
    exclude: Option<u64>,
    /// The query to report (else the request's).
    shown_query: Option<String>,
}

impl NewsIndex {
    /// Runs a search against the last commit seen by this handle.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        self.search_with(req, &Extra::default())
    }

    fn search_with(&self, req: &SearchRequest, extra: &Extra) -> Result<SearchResults> {
        // Whichever step meets a damaged file (typo planning, term statistics, scoring,
        // stored documents), the error names it and says how to recover.
        self.search_inner(req, extra).map_err(|e| match e {
            Error::Tantivy(t) => crate::index::damaged(self.dir(), t),
            other => other,
        })
    }

    fn search_inner(&self, req: &SearchRequest, extra: &Extra) -> Result<SearchResults> {
        let started = Instant::now();
        if req.query.trim().is_empty() {
            return Err(Error::Query("the query is empty".into()));
        }
        if req.limit > MAX_LIMIT {
            return Err(Error::InvalidOption(format!("limit must be at most {MAX_LIMIT}")));
        }
        if req.passages > MAX_PASSAGES {
            return Err(Error::InvalidOption(format!("passages must be at most {MAX_PASSAGES}")));
        }
        // The grammar's parser recurses per parenthesis: deep nesting would overflow the stack.
        let depth = nesting_depth(&req.query);
        if depth > MAX_NESTING {
            return Err(Error::Query(format!(
                "parentheses nested {depth} deep; the limit is {MAX_NESTING}"
            )));
        }
        let (ast, _syntax_errors) = query_grammar::parse_query_lenient(&req.query);
        check_fields(&ast)?;
        let searcher = self.searcher();
        let typo = if req.fuzzy { fuzzy::plan(self, &searcher, &req.query, &ast)? } else { None };
        let run_ast = typo.as_ref().map_or_else(|| ast.clone(), |t| t.ast.clone());
        let (run_ast, required, excluded) = article_clauses(run_ast);
        let (mut query, mut parts) = self.build_query(run_ast.clone(), req, Vec::new())?;
        let collector_for = |parts: &[Bm25fQuery]| ArticleCollector {
            keep: req.passages.max(2),
            facets: req.facets,
            masks: coverage_of(parts).map(|(masks, _)| masks),
        };
        let mut collector = collector_for(&parts);
        // `+word` and `-word` at the top of the query are about the article, not the
        // passage: every required part somewhere in it, no excluded part anywhere.
        let mut conditions = Vec::new();
        let mut builder = None;
        for (sub, keep) in
            required.into_iter().map(|a| (a, true)).chain(excluded.into_iter().map(|a| (a, false)))
        {
            // One builder (its query parser) for all the conditions.
            let builder = match &mut builder {
                Some(b) => b,
                None => builder.insert(QueryBuilder::new(self, req.rank)?),
            };
            let q = builder.build(sub)?;
            let keys = searcher
                .search(&*q, &collector::ArticleKeys)
                .map_err(|e| crate::index::damaged(self.dir(), e))?;
            conditions.push((keys, keep));
        }
        let on_articles = |mut groups: collector::Groups| {
            for (keys, keep) in &conditions {
                groups.retain(|key, _| keys.contains(key) == *keep);
            }
            groups
        };
        let mut groups = on_articles(
            searcher
                .search(&*query, &collector)
                .map_err(|e| crate::index::damaged(self.dir(), e))?,
        );
        if req.expand && is_plain_words(&run_ast) {
            let words = self.expansion(&searcher, &groups, &parts, req)?;
            if !words.is_empty() {
                (query, parts) = self.build_query(run_ast, req, words)?;
                collector = collector_for(&parts);
                groups = on_articles(
                    searcher
                        .search(&*query, &collector)
                        .map_err(|e| crate::index::damaged(self.dir(), e))?,
                );
            }
        }
        let total_hits = groups.len();
        let words_of = coverage_count(&parts);
        let rank = query_rank(&parts, req.rank);
        let facets =
            req.facets.then(|| Facets::count(groups.values().filter_map(|m| m.facets.as_deref())));

        let mut ranked: Vec<(f32, ArticleMatches)> = groups
            .into_values()
            .filter(|m| !m.best.is_empty())
            .map(|m| (article_score(&m, rank, words_of), m))
            .collect();
        // Each article's best passage is its own: the tie-break is total, so an unstable
        // sort (which moves less) is deterministic.
        ranked.sort_unstable_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| a.1.best[0].addr.cmp(&b.1.best[0].addr))
        });

        let arrangement = Arrangement {
            sort: req.sort,
            recent: req.recent.map(|h| (h, req.now.unwrap_or_else(OffsetDateTime::now_utc))),
            collapse: req.collapse,
            exact_first: typo.as_ref().and_then(|t| t.exact_first.as_ref()),
            exclude: extra.exclude,
        };
        let arranged = arrange::arrange(&searcher, ranked, &arrangement)?;
        let total_hits = if arrangement.collapse || extra.exclude.is_some() {
            arranged.len()
        } else {
            total_hits
        };

        let mut groups = Vec::new();
        collect_groups(&ast, false, &mut groups);
        groups.extend(typo.iter().flat_map(|t| t.groups.iter().cloned()));
        let highlighter = Highlighter::new(self.profile(), &groups);
        let mut hits = Vec::new();
        for Arranged { score, matches, copies } in
            arranged.into_iter().skip(req.offset).take(req.limit)
        {
            let mut hit = self.build_hit(&searcher, score, &matches, req.passages, &highlighter)?;
            hit.also_in = self.copies(&searcher, &copies)?;
            if req.explain {
                hit.explain = Some(explain(&searcher, &parts, &matches, rank)?);
            }
            hits.push(hit);
        }
        let (did_you_mean, fuzzy) = match typo {
            Some(t) => (Some(t.did_you_mean), t.terms),
            None => (None, Vec::new()),
        };
        Ok(SearchResults {
            query: extra.shown_query.clone().unwrap_or_else(|| req.query.clone()),
            total_hits,
            took_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            hits,
            facets,
            did_you_mean,
            fuzzy,
        })
    }

    /// The collapsed copies of a hit, as listed in [`Hit::also_in`].
    fn copies(
        &self,
        searcher: &tantivy::Searcher,
        copies: &[ArticleMatches],
    ) -> Result<Vec<Duplicate>> {
        let f = self.fields();
        let mut out = Vec::new();
        for m in copies.iter().take(MAX_COPIES) {
            let Some(best) = m.best.first() else { continue };
            let doc: TantivyDocument = searcher.doc(best.addr)?;
            let id = doc.get_first(f.article_id).and_then(|v| v.as_str()).unwrap_or_default();
            if let Some(a) = self.article_in(searcher, &ArticleId(id.to_string()))? {
                out.push(Duplicate {
                    id: a.id,
                    title: a.title,
                    source: a.source,
                    date: a.published.map(format_date),
                    url: a.url,
                });
            }
        }
        Ok(out)
    }

    /// The query for `ast` plus the request's filters, and the BM25F parts of it (for
    /// explanations).
    /// With `extra` words (query expansion, for a query of plain words only), they join
    /// the query's words.
    fn build_query(
        &self,
        ast: UserInputAst,
        req: &SearchRequest,
        extra: Vec<Word>,
    ) -> Result<(Box<dyn Query>, Vec<Bm25fQuery>)> {
        let f = self.fields();
        let build = |rank: RankParams, ast: UserInputAst, extra: Vec<Word>| -> Result<_> {
            let mut builder = QueryBuilder::new(self, rank)?.counting(&req.query);
            if rank.coverage > 0.0 {
                builder.masks = Some(Arc::default());
            }
            let query = if extra.is_empty() {
                builder.build(ast)?
            } else {
                builder.expanded(ast, extra)?
            };
            Ok((query, builder.parts))
        };
        // Whether the query is verbose is known once its words are analysed; a verbose one
        // is built again with the verbose parameters, so every part of it (a group in
        // parentheses too) and the article's score rank by the same ones.
        let (mut query, mut parts) = build(req.rank, ast.clone(), extra.clone())?;
        let rank = query_rank(&parts, req.rank);
        if rank != req.rank {
            (query, parts) = build(rank, ast, extra)?;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        let to_dt = |d: OffsetDateTime| DateTime::from_timestamp_secs(d.unix_timestamp());
        if req.since.is_some() || req.until.is_some() {
            let bound = |d: Option<OffsetDateTime>| match d {
                Some(d) => Bound::Included(Term::from_field_date_for_search(f.date, to_dt(d))),
                None => Bound::Unbounded,
            };
            clauses
                .push((Occur::Must, Box::new(RangeQuery::new(bound(req.since), bound(req.until)))));
        }
        for (field, values) in [(f.lang, &req.langs), (f.source, &req.sources)] {
            if values.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let term = Term::from_field_text(field, &v.trim().to_lowercase());
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        let query: Box<dyn Query> = if clauses.len() == 1 {
            clauses.remove(0).1
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        Ok((query, parts))
    }

    /// RM3-style expansion terms: the words that weigh most in the best passages of the
    /// first `fb_docs` articles (each passage's term frequencies over its length, weighted by
    /// its article's share of their scores), `fb_terms` of them, not already in the query,
    /// weighted so that together they weigh `(1 − fb_original) / fb_original` times the
    /// query's own words.
    fn expansion(
        &self,
        searcher: &tantivy::Searcher,
        groups: &collector::Groups,
        parts: &[Bm25fQuery],
        req: &SearchRequest,
    ) -> Result<Vec<Word>> {
        use std::collections::{HashMap, HashSet};
        let p = query_rank(parts, req.rank);
        let own: usize = parts.iter().map(|q| q.words.len()).sum();
        if p.fb_original >= 1.0 || p.fb_docs < 1.0 || p.fb_terms < 1.0 || own == 0 {
            return Ok(Vec::new());
        }
        let words_of = coverage_count(parts);
        let mut top: Vec<(f32, &ArticleMatches)> = groups
            .values()
            .filter(|m| !m.best.is_empty())
            .map(|m| (article_score(m, p, words_of), m))
            .collect();
        top.sort_unstable_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| a.1.best[0].addr.cmp(&b.1.best[0].addr))
        });
        top.truncate(p.fb_docs as usize);
        let total: f32 = top.iter().map(|t| t.0).sum();
        if total <= 0.0 {
            return Ok(Vec::new());
        }
        let known: HashSet<&Term> = parts
            .iter()
            .flat_map(|q| q.words.iter().flat_map(|w| w.terms.iter().map(|t| &t.1)))
            .collect();
        let f = self.fields();
        let mut analyzers: HashMap<Lang, TextAnalyzer> = HashMap::new();
        let mut weights: HashMap<(Lang, String), f32> = HashMap::new();
        for (score, m) in &top {
            let Some((text, lang)) = self.passage_text(searcher, m.best[0].addr)? else { continue };
            let analyzer = match analyzers.entry(lang) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.tantivy().tokenizer_for_field(f.text(lang))?)
                }
            };
            let mut counts: HashMap<String, f32> = HashMap::new();
            let mut len = 0.0f32;
            let mut stream = analyzer.token_stream(&text);
            while stream.advance() {
                len += 1.0;
                let t = &stream.token().text;
                if t.chars().count() >= 2 && !t.chars().all(|c| c.is_numeric()) {
                    *counts.entry(t.clone()).or_default() += 1.0;
                }
            }
            for (t, tf) in counts {
                *weights.entry((lang, t)).or_default() += score / total * tf / len.max(1.0);
            }
        }
        let mut candidates: Vec<((Lang, String), f32)> = weights
            .into_iter()
            .filter(|((lang, t), _)| !known.contains(&Term::from_field_text(f.text(*lang), t)))
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        candidates.truncate(p.fb_terms as usize);
        let sum: f32 = candidates.iter().map(|c| c.1).sum();
        if sum <= 0.0 {
            return Ok(Vec::new());
        }
        let mass = own as f32 * (1.0 - p.fb_original) / p.fb_original.max(f32::MIN_POSITIVE);
        Ok(candidates
            .into_iter()
            .map(|((lang, t), w)| Word {
                terms: vec![(Role::Text(lang), Term::from_field_text(f.text(lang), &t))],
                text: t,
                weight: mass * w / sum,
                expansion: true,
            })
            .collect())
    }

    /// A passage's text and language.
    fn passage_text(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
    ) -> Result<Option<(String, Lang)>> {
        let f = self.fields();
        let doc: TantivyDocument = searcher.doc(addr)?;
        let id = doc.get_first(f.article_id).and_then(|v| v.as_str()).unwrap_or_default();
        let Some(article) = self.article_in(searcher, &ArticleId(id.to_string()))? else {
            return Ok(None);
        };
        let num = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        let Some(text) = article.body.get(num(f.span_start)..num(f.span_end)) else {
            return Ok(None);
        };
        let lang = Lang::from_code(passage_lang(article.lang.as_deref(), text).as_deref());
        // The title belongs to the first passage (it is indexed with it).
        let text =
            if num(f.pos) == 0 { format!("{}\n{text}", article.title) } else { text.to_string() };
        Ok(Some((text, lang)))
    }

    fn build_hit(
        &self,
        searcher: &tantivy::Searcher,
        score: f32,
        matches: &ArticleMatches,
        passages: usize,
        highlighter: &Highlighter,
    ) -> Result<Hit> {
        let f = self.fields();
        let best = self.stored_doc(searcher, matches.best[0].addr)?;
        let id = best.get_first(f.article_id).and_then(|v| v.as_str()).unwrap_or_default();
        let article = self.article_in(searcher, &ArticleId(id.to_string()))?.ok_or_else(|| {
            Error::NotAnIndex {
                path: self.dir().to_path_buf(),
                reason: format!("passages of article {id} have no article record"),
            }
        })?;
        let mut shown = Vec::new();
        for m in matches.best.iter().take(passages) {
            let doc = self.stored_doc(searcher, m.addr)?;
            let num = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
            let (start, end) = (num(f.span_start), num(f.span_end));
            let Some(text) = article.body.get(start..end) else { continue };
            let lang = Lang::from_code(passage_lang(article.lang.as_deref(), text).as_deref());
            let highlights = highlighter
                .ranges(text, lang)
                .into_iter()
                .map(|r| Highlight { start: r.start, end: r.end })
                .collect();
            shown.push(Passage { text: text.to_string(), score: m.score, highlights });
        }
        Ok(Hit {
            id: article.id,
            title: article.title,
            source: article.source,
            date: article.published.map(format_date),
            url: article.url,
            path: article.path.map(|p| p.to_string_lossy().into_owned()),
            lang: article.lang,
            score,
            passages: shown,
            explain: None,
            also_in: Vec::new(),
        })
    }
}

/// Turns a parsed query into Tantivy queries: the plain words of each clause into one
/// [`Bm25fQuery`], everything else (phrases, prefixes, fielded terms) through Tantivy's
/// query parser, combined with the clause's `AND` / `OR` / `NOT` as the parser would.
struct QueryBuilder {
    parser: QueryParser,
    /// Each default field's analyzer, with its role.
    analyzers: Vec<(Role, tantivy::schema::Field, TextAnalyzer)>,
    fields: RankFields,
    params: RankParams,
    /// The BM25F queries built, for explanations.
    parts: Vec<Bm25fQuery>,
    /// Given to every BM25F query built, when the search applies the coverage factor.
    masks: Option<Arc<WordMasks>>,
    /// How often each word of the query text was written (see [`QueryBuilder::counting`]).
    written: HashMap<String, usize>,
}

impl QueryBuilder {
    fn new(index: &NewsIndex, params: RankParams) -> Result<QueryBuilder> {
        let f = index.fields();
        let mut default_fields: Vec<_> = Lang::ALL.iter().map(|l| f.text(*l)).collect();
        default_fields.extend([f.exact, f.title]);
        let mut parser = QueryParser::for_index(index.tantivy(), default_fields);
        parser.set_field_boost(f.exact, weights::EXACT);
        parser.set_field_boost(f.title, weights::TITLE);
        let mut roles: Vec<(Role, tantivy::schema::Field)> =
            Lang::ALL.iter().map(|l| (Role::Text(*l), f.text(*l))).collect();
        roles.extend([(Role::Exact, f.exact), (Role::Title, f.title)]);
        let mut analyzers = Vec::new();
        for (role, field) in roles {
            analyzers.push((role, field, index.tantivy().tokenizer_for_field(field)?));
        }
        let fields = RankFields {
            text: Lang::ALL.map(|l| f.text(l)),
            exact: f.exact,
            title: f.title,
            plang: f.plang,
        };
        Ok(QueryBuilder {
            parser,
            analyzers,
            fields,
            params,
            parts: Vec::new(),
            masks: None,
            written: HashMap::new(),
        })
    }

    /// Weighs each plain word by how often `query` writes it: the query grammar keeps one
    /// clause of a repeated word ("expert systems … expert systems"), but a description that
    /// repeats a word stresses it, as Lucene's and FTS5's scores count it (query term
    /// frequency). Counted over the whitespace-separated tokens of the text as written, so a
    /// word inside parentheses or with an operator attached counts once.
    fn counting(mut self, query: &str) -> QueryBuilder {
        for token in query.split_whitespace() {
            *self.written.entry(token.to_string()).or_default() += 1;
        }
        self
    }

    fn build(&mut self, ast: UserInputAst) -> Result<Box<dyn Query>> {
        match ast {
            UserInputAst::Leaf(leaf) => match self.word(&leaf) {
                Some(word) => Ok(self.bm25f(vec![word])),
                None => self.parse(UserInputAst::Leaf(leaf)),
            },
            UserInputAst::Boost(inner, boost) => {
                Ok(Box::new(BoostQuery::new(self.build(*inner)?, boost.into_inner() as f32)))
            }
            UserInputAst::Clause(clauses) => {
                let mut words = Vec::new();
                let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (occur, sub) in clauses {
                    let occur = match occur {
                        Some(query_grammar::Occur::Must) => Occur::Must,
                        Some(query_grammar::Occur::MustNot) => Occur::MustNot,
                        _ => Occur::Should,
                    };
                    if let (Occur::Should, UserInputAst::Leaf(leaf)) = (occur, &sub) {
                        if let Some(word) = self.word(leaf) {
                            words.push(word);
                            continue;
                        }
                    }
                    let query = self.build(sub)?;
                    subs.push(match occur {
                        Occur::MustNot => (occur, Box::new(exclusion::Exclusion(query))),
                        _ => (occur, query),
                    });
                }
                if !words.is_empty() {
                    subs.push((Occur::Should, self.bm25f(words)));
                }
                // As the query parser does: a clause of exclusions alone excludes from all.
                if !subs.is_empty() && subs.iter().all(|(o, _)| *o == Occur::MustNot) {
                    subs.push((Occur::Should, Box::new(AllQuery)));
                }
                if subs.len() == 1 && subs[0].0 != Occur::MustNot {
                    return Ok(subs.remove(0).1);
                }
                Ok(Box::new(BooleanQuery::new(subs)))
            }
        }
    }

    /// A query of plain words with expansion words added (see [`is_plain_words`]); without
    /// them when a word is not plain after all.
    fn expanded(&mut self, ast: UserInputAst, extra: Vec<Word>) -> Result<Box<dyn Query>> {
        let leaves: Vec<&UserInputLeaf> = match &ast {
            UserInputAst::Leaf(leaf) => vec![leaf.as_ref()],
            UserInputAst::Clause(clauses) => clauses
                .iter()
                .filter_map(|(_, a)| match a {
                    UserInputAst::Leaf(leaf) => Some(leaf.as_ref()),
                    _ => None,
                })
                .collect(),
            UserInputAst::Boost(..) => Vec::new(),
        };
        let mut words = Vec::new();
        for leaf in leaves {
            match self.word(leaf) {
                Some(w) => words.push(w),
                None => return self.build(ast),
            }
        }
        words.extend(extra);
        Ok(self.bm25f(words))
    }

    /// One BM25F query over `words`; words analyzed to the same terms ("systems",
    /// "systems,", "System") are one word, weighted by their sum.
    fn bm25f(&mut self, words: Vec<Word>) -> Box<dyn Query> {
        let mut merged: Vec<Word> = Vec::with_capacity(words.len());
        for w in words.into_iter().filter(|w| !w.terms.is_empty()) {
            match merged.iter_mut().find(|m| m.terms == w.terms && m.expansion == w.expansion) {
                Some(m) => m.weight += w.weight,
                None => merged.push(w),
            }
        }
        let q = Bm25fQuery {
            words: merged,
            fields: self.fields,
            params: self.params,
            masks: self.masks.clone(),
        };
        self.parts.push(q.clone());
        Box::new(q)
    }

    fn parse(&self, ast: UserInputAst) -> Result<Box<dyn Query>> {
        let (query, errors) = self.parser.build_query_from_user_input_ast_lenient(ast);
        if let Some(e) = errors.into_iter().next() {
            return Err(Error::Query(e.to_string()));
        }
        Ok(query)
    }

    /// A plain word on the default fields, analyzed by each field's chain; `None` for
    /// phrases, prefixes, fielded terms, and words a chain splits in several tokens (those
    /// stay phrases, through the query parser).
    fn word(&mut self, leaf: &UserInputLeaf) -> Option<Word> {
        let UserInputLeaf::Literal(lit) = leaf else { return None };
        if lit.field_name.is_some() || lit.delimiter != Delimiter::None || lit.prefix {
            return None;
        }
        let mut terms = Vec::new();
        for (role, field, analyzer) in &mut self.analyzers {
            let mut stream = analyzer.token_stream(&lit.phrase);
            let mut first = None;
            while stream.advance() {
                if first.is_some() {
                    return None;
                }
                first = Some(stream.token().text.clone());
            }
            if let Some(text) = first {
                terms.push((*role, Term::from_field_text(*field, &text)));
            }
        }
        let weight = self.written.get(&lit.phrase).copied().unwrap_or(1).max(1) as f32;
        Some(Word { text: lit.phrase.clone(), terms, weight, expansion: false })
    }
}

/// Splits the top of a query into the part that scores passages and the parts that are
/// conditions on the whole article: its required (`+`, `AND`) clauses and its excluded
/// (`-`, `NOT`) ones. Documents are passages, so a Boolean query alone would ask for every
/// required part in one passage, and exclude only the passages naming an excluded part
/// (an article saying "data protection" in one paragraph would still match
/// `morocco -"data protection"` through another).
///
/// The scoring part keeps every clause, required ones as optional (each passage scores on
/// what it matches) and excluded ones as they are (no passage of a kept article matches
/// them anyway; a query of exclusions alone still matches everything else). Nested clauses
/// (in parentheses) keep Tantivy's meaning, within a passage.
fn article_clauses(ast: UserInputAst) -> (UserInputAst, Vec<UserInputAst>, Vec<UserInputAst>) {
    use query_grammar::Occur as O;
    let UserInputAst::Clause(clauses) = ast else { return (ast, Vec::new(), Vec::new()) };
    let (mut required, mut excluded) = (Vec::new(), Vec::new());
    let mut scoring = Vec::with_capacity(clauses.len());
    for (occur, sub) in clauses {
        match occur {
            Some(O::Must) => {
                required.push(sub.clone());
                scoring.push((Some(O::Should), sub));
            }
            Some(O::MustNot) => {
                excluded.push(sub.clone());
                scoring.push((occur, sub));
            }
            _ => scoring.push((occur, sub)),
        }
    }
    (UserInputAst::Clause(scoring), required, excluded)
}

/// The parameters a search ranks with: the verbose ones past `coverage_max` own words in
/// all its parts (see [`RankParams::for_words`]; the same for parts built with them).
fn query_rank(parts: &[Bm25fQuery], p: RankParams) -> RankParams {
    p.for_words(parts.iter().map(Bm25fQuery::coverage_words).sum())
}

/// An article's score: its best passage's plus a share of its second best, times its
/// coverage factor (see [`coverage_factor`]).
fn article_score(m: &ArticleMatches, p: RankParams, words_of: usize) -> f32 {
    let second = m.best.get(1).map_or(0.0, |x| x.score);
    let score = m.best.first().map_or(0.0, |x| x.score) + p.second_passage * second;
    score * coverage_factor(m.words, p, words_of)
}

/// `(own words found in the article / words_of) ^ coverage`, where the query has `words_of`
/// words the factor counts ([`coverage_of`]; 0: no factor, 1).
fn coverage_factor(words: u32, p: RankParams, words_of: usize) -> f32 {
    if words_of == 0 {
        return 1.0;
    }
    let found = (words.count_ones() as usize).min(words_of);
    (found as f32 / words_of as f32).powf(p.coverage)
}

/// The word masks a search's collector reads and the number of words they tell apart, when
/// the coverage factor applies ([`RankParams`] `coverage`, `coverage_max`): to a query
/// whose plain words form one BM25F query (nested groups each score on their own, and are
/// left without it).
fn coverage_of(parts: &[Bm25fQuery]) -> Option<(Arc<WordMasks>, usize)> {
    let [only] = parts else { return None };
    let words = only.coverage_words();
    only.masks.clone().filter(|_| only.params.coverage_applies(words)).map(|m| (m, words))
}

/// The number of words the coverage factor counts in a search's query (0: no factor).
fn coverage_count(parts: &[Bm25fQuery]) -> usize {
    coverage_of(parts).map_or(0, |(_, n)| n)
}

/// Whether a query is only plain words OR'ed (what query expansion applies to).
fn is_plain_words(ast: &UserInputAst) -> bool {
    let plain = |a: &UserInputAst| match a {
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(l) => {
                l.field_name.is_none() && l.delimiter == Delimiter::None && !l.prefix
            }
            _ => false,
        },
        _ => false,
    };
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().all(|(occur, a)| {
            matches!(occur, None | Some(query_grammar::Occur::Should)) && plain(a)
        }),
        other => plain(other),
    }
}

/// Takes a hit's score apart (see [`Explain`]).
fn explain(
    searcher: &tantivy::Searcher,
    parts: &[Bm25fQuery],
    matches: &ArticleMatches,
    params: RankParams,
) -> Result<Explain> {
    let best = matches.best[0];
    let mut words: Option<WordsExplain> = None;
    for part in parts {
        if let Some(w) = part.explain_passage(searcher, best.addr)? {
            match &mut words {
                None => words = Some(w),
                Some(all) => {
                    all.matched += w.matched;
                    all.of += w.of;
                    all.score += w.score;
                    all.words.extend(w.words);
                }
            }
        }
    }
    let from_words = words.as_ref().map_or(0.0, |w| w.score);
    let second = matches.best.get(1);
    let words_of = coverage_count(parts);
    let coverage = coverage_factor(matches.words, params, words_of);
    Ok(Explain {
        passage: best.pos,
        passage_score: best.score,
        second_passage: second.map(|m| m.pos),
        second_passage_score: second.map_or(0.0, |m| m.score),
        second_passage_share: params.second_passage,
        other: (best.score - from_words).max(0.0),
        words,
        matched_passages: matches.matched,
        coverage,
        words_found: matches.words.count_ones().min(words_of as u32),
        words_of,
    })
}

/// Refuses field names a user cannot query, with the list of those they can.
fn check_fields(ast: &UserInputAst) -> Result<()> {
    let mut bad = None;
    visit_fields(ast, &mut |name| {
        if !QUERY_FIELDS.contains(&name) && bad.is_none() {
            bad = Some(name.to_string());
        }
    });
    match bad {
        Some(name) => Err(Error::Query(format!(
            "unknown field `{name}:` (fields: {}); put the text in quotes to search for it",
            QUERY_FIELDS.join(", ")
        ))),
        None => Ok(()),
    }
}

fn visit_fields(ast: &UserInputAst, f: &mut dyn FnMut(&str)) {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().for_each(|(_, a)| visit_fields(a, f)),
        UserInputAst::Boost(inner, _) => visit_fields(inner, f),
        UserInputAst::Leaf(leaf) => {
            let field = match leaf.as_ref() {
                UserInputLeaf::Literal(l) => l.field_name.as_deref(),
                UserInputLeaf::Range { field, .. }
                | UserInputLeaf::Set { field, .. }
                | UserInputLeaf::Regex { field, .. } => field.as_deref(),
                UserInputLeaf::Exists { field } => Some(field.as_str()),
                UserInputLeaf::All => None,
            };
            if let Some(name) = field {
                f(name);
            }
        }
    }
}

/// The parts of the query whose matches are highlighted in passages: words and phrases on
/// the default fields, outside negated clauses.
fn collect_groups(ast: &UserInputAst, negated: bool, out: &mut Vec<TermGroup>) {
    match ast {
        UserInputAst::Clause(clauses) => {
            for (occur, sub) in clauses {
                let neg = negated || matches!(occur, Some(query_grammar::Occur::MustNot));
                collect_groups(sub, neg, out);
            }
        }
        UserInputAst::Boost(inner, _) => collect_groups(inner, negated, out),
        UserInputAst::Leaf(leaf) => {
            if let UserInputLeaf::Literal(lit) = leaf.as_ref() {
                if !negated && lit.field_name.is_none() {
                    out.push(TermGroup {
                        text: lit.phrase.clone(),
                        phrase: lit.delimiter != Delimiter::None,
                        prefix: lit.prefix,
                    });
                }
            }
        }
    }
}

/// A query as plain words: lowercased (so `AND`, `OR`, `NOT` are words) and with the query
/// syntax's characters (`+ - : " ( ) [ ] { } ^ ~ * ? \ / !`…) turned into spaces, so any
/// text (a question, a title pasted from a page) is searched as its words OR'ed.
///
/// ```
/// assert_eq!(gazette::search::free_text("What is \"AI\" (in Morocco)?"), "what is ai in morocco");
/// ```
pub fn free_text(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| if "+-:\"()[]{}^~*?\\/!`<>=&|".contains(c) { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
