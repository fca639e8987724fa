//! Queries to ranked articles: one [`Hit`] per article, ranked by its best passages, each
//! shown [`Passage`] carrying its highlight ranges.
//!
//! The query syntax is Tantivy's: words, `"phrases"`, `AND` / `OR` / `NOT` / `+` / `-`,
//! `title:`, `source:`, `lang:`, `tag:`, `prefix*`. A query is analyzed with every language
//! chain and matched against every language's passage field, the unstemmed `exact` field
//! and the title. Search returns data (text, scores, byte ranges), never markup.

mod arrange;
mod collector;
pub mod fuzzy;
pub mod highlight;
mod similar;

use std::ops::Bound;
use std::time::Instant;

use serde::Serialize;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DateTime, TantivyDocument, Term};
use time::OffsetDateTime;

pub use self::arrange::{half_life, Sort, COLLAPSE_DISTANCE, UNDATED_DECAY};
use self::arrange::{Arranged, Arrangement};
use self::collector::{ArticleCollector, ArticleMatches, FacetValues};
pub use self::fuzzy::FuzzyTerm;
use self::highlight::{Highlighter, TermGroup};
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

/// Ranking weights (see the README's "Ranking" section).
mod weights {
    /// Boost of the unstemmed `exact` field next to the stemmed language field.
    pub const EXACT: f32 = 4.0;
    /// Boost of the title field (matched in every passage of the article).
    pub const TITLE: f32 = 1.5;
    /// Share of the second-best passage added to the best passage's score.
    pub const SECOND_PASSAGE: f32 = 0.25;
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
            sort: Sort::Relevance,
            recent: None,
            now: None,
            fuzzy: true,
            collapse: true,
        }
    }
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
        let (ast, _syntax_errors) = query_grammar::parse_query_lenient(&req.query);
        check_fields(&ast)?;
        let searcher = self.searcher();
        let typo = if req.fuzzy { fuzzy::plan(self, &searcher, &req.query, &ast)? } else { None };
        let run_ast = typo.as_ref().map_or_else(|| ast.clone(), |t| t.ast.clone());
        let query = self.build_query(run_ast, req)?;
        let keep = req.passages.max(2);
        let groups = searcher.search(&*query, &ArticleCollector { keep, facets: req.facets })?;
        let total_hits = groups.len();
        let facets =
            req.facets.then(|| Facets::count(groups.values().filter_map(|m| m.facets.as_ref())));

        let mut ranked: Vec<(f32, ArticleMatches)> = groups
            .into_values()
            .filter(|m| !m.best.is_empty())
            .map(|m| {
                let second = m.best.get(1).map_or(0.0, |p| p.score);
                (m.best[0].score + weights::SECOND_PASSAGE * second, m)
            })
            .collect();
        ranked.sort_by(|a, b| {
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

    fn build_query(&self, ast: UserInputAst, req: &SearchRequest) -> Result<Box<dyn Query>> {
        let f = self.fields();
        let mut default_fields: Vec<_> = Lang::ALL.iter().map(|l| f.text(*l)).collect();
        default_fields.extend([f.exact, f.title]);
        let mut parser = QueryParser::for_index(self.tantivy(), default_fields);
        parser.set_field_boost(f.exact, weights::EXACT);
        parser.set_field_boost(f.title, weights::TITLE);
        let (query, errors) = parser.build_query_from_user_input_ast_lenient(ast);
        if let Some(e) = errors.into_iter().next() {
            return Err(Error::Query(e.to_string()));
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
        Ok(if clauses.len() == 1 {
            clauses.remove(0).1
        } else {
            Box::new(BooleanQuery::new(clauses))
        })
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
        let best: TantivyDocument = searcher.doc(matches.best[0].addr)?;
        let id = best.get_first(f.article_id).and_then(|v| v.as_str()).unwrap_or_default();
        let article = self.article_in(searcher, &ArticleId(id.to_string()))?.ok_or_else(|| {
            Error::NotAnIndex {
                path: self.dir().to_path_buf(),
                reason: format!("passages of article {id} have no article record"),
            }
        })?;
        let mut shown = Vec::new();
        for m in matches.best.iter().take(passages) {
            let doc: TantivyDocument = searcher.doc(m.addr)?;
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
            also_in: Vec::new(),
        })
    }
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
