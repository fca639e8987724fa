//! Relevance: one BM25F score per passage over its fields, instead of a BM25 per field summed.
//!
//! A query word is matched in three fields of a passage: its language's stemmed text field
//! (the form the word's chain gives), the unstemmed `exact` field and the article's `title`.
//! Tantivy's query parser would score each field with its own BM25 and add them up, so one
//! word found in three fields counted three times, each with its own saturation. Here the
//! word's term frequencies are first combined — each divided by its field's length
//! normalization and multiplied by the field's weight — and saturated once (BM25F, as in
//! Robertson and Zaragoza, "The Probabilistic Relevance Framework", and Lucene's
//! `CombinedFieldQuery`):
//!
//! ```text
//! tf~ = tf_text / n_text + exact · tf_exact / n_exact + title · tf_title / n_title
//! n_f = 1 − b_f + b_f · len_f / avglen_f
//! score(word) = idf · tf~ · (k1 + 1) / (k1 + tf~)
//! ```
//!
//! So the exact form and the title are bonuses inside one saturation, not separate scores.
//! The idf is the stemmed term's, over the passages of that language (statistics per
//! language: a French word is rare or common among French passages); average lengths are
//! per field over the passages that have it. A passage's score is the sum over the query's
//! words, plus the proximity bonus below, times a coordination factor
//! `(matched / words) ^ coordination` that prefers passages with all the words without
//! dropping those that miss one.
//!
//! Tantivy's BM25 has no notion of where the words stand. A passage where the query's words
//! are close together gets a proximity bonus (Büttcher, Clarke and Lushman, "Term
//! Proximity Scoring for Ad-Hoc Retrieval on Very Large Text Collections", SIGIR 2006): the
//! occurrences of the query's own words in the passage's text field, in position order;
//! each neighbouring pair of two different words `a`, `b` at distance `d` adds
//! `idf_b / d²` to `a`'s accumulator and `idf_a / d²` to `b`'s; each word's accumulator is
//! saturated like a term frequency:
//!
//! ```text
//! bonus = proximity · Σ_words min(1, idf) · acc · (k1 + 1) / (acc + k1 · n_text)
//! ```
//!
//! and added to the passage's score, before coordination. Only passages that match two of
//! the query's words read positions.
//!
//! [`Bm25fQuery`] is a Tantivy [`Query`]: it combines with filters, phrases and the rest of
//! the query syntax in a `BooleanQuery`. Its scorer reads each term's postings once per
//! segment and materializes the scores (an OR query visits every posting anyway, since the
//! article collector needs every matching passage).

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use serde::Serialize;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use crate::analysis::Lang;
use crate::schema::plang_code;

/// Ranking parameters: one setting for every collection (see the README's "Ranking").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankParams {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// Length normalization of the passage text fields (stemmed and exact).
    pub b: f32,
    /// Length normalization of the title.
    pub b_title: f32,
    /// Weight of the exact (unstemmed) form's frequency, added to the stemmed one's.
    pub exact: f32,
    /// Weight of the title's frequency.
    pub title: f32,
    /// Where a passage holds a word's exact (unstemmed) form, the word's idf is at least
    /// this share of the exact form's own idf (rarer than its stem's: stemming and clitic
    /// stripping pool forms). 0: the stem's idf alone, the exact form's only where no stem
    /// matches.
    pub exact_idf: f32,
    /// Weight of the proximity bonus for query words near each other in a passage (see the
    /// module docs); 0 turns it off.
    pub proximity: f32,
    /// Exponent of the coordination factor `(matched words / query words)`, per passage.
    pub coordination: f32,
    /// Exponent of the article's coverage factor `(query words found anywhere in the
    /// article / query words)`, multiplying the article's score (queries of plain words).
    pub coverage: f32,
    /// The longest query (in words) the coverage factor applies to: keyword queries, not
    /// questions or descriptions, whose incidental words the best articles often lack.
    pub coverage_max: f32,
    /// Share of the second-best passage added to the best passage's score.
    pub second_passage: f32,
    /// Query expansion ([`crate::SearchRequest::expand`]): feedback articles (their best
    /// passages).
    pub fb_docs: f32,
    /// Query expansion: terms added.
    pub fb_terms: f32,
    /// Query expansion: weight of the original query against the expansion terms (RM3's
    /// λ; 1 keeps the original query alone).
    pub fb_original: f32,
    /// `exact` for a verbose query: one of more than `coverage_max` words (a description
    /// or a question rather than keywords; see [`RankParams::for_words`]).
    pub verbose_exact: f32,
    /// `exact_idf` for a verbose query.
    pub verbose_exact_idf: f32,
    /// `k1` for a verbose query.
    pub verbose_k1: f32,
    /// `second_passage` for a verbose query.
    pub verbose_second_passage: f32,
}

impl RankParams {
    /// Whether the coverage factor applies to a query of `words` words that count for it.
    pub(crate) fn coverage_applies(&self, words: usize) -> bool {
        self.coverage > 0.0 && words >= 2 && !self.is_verbose(words)
    }

    /// Whether a query of `words` words (stop words aside) is verbose: a description or a
    /// question rather than keywords. The one boundary between the two, `coverage_max`,
    /// decides both the coverage factor and the parameters ([`RankParams::for_words`]).
    fn is_verbose(&self, words: usize) -> bool {
        words as f32 > self.coverage_max
    }

    /// The parameters a query of `words` words (those the coverage factor counts: its own,
    /// stop words left out) is ranked with: past `coverage_max` words it is verbose, and
    /// its `exact`, `exact_idf`, `k1` and `second_passage` are the `verbose_` ones.
    pub fn for_words(&self, words: usize) -> RankParams {
        if !self.is_verbose(words) {
            return *self;
        }
        RankParams {
            exact: self.verbose_exact,
            exact_idf: self.verbose_exact_idf,
            k1: self.verbose_k1,
            second_passage: self.verbose_second_passage,
            ..*self
        }
    }

    /// These parameters with the verbose ones made the keyword ones, so that a query ranks
    /// alike whatever its length: for queries whose words are an article's own forms
    /// (more-like-this), not a person's description.
    pub fn never_verbose(&self) -> RankParams {
        RankParams {
            verbose_exact: self.exact,
            verbose_exact_idf: self.exact_idf,
            verbose_k1: self.k1,
            verbose_second_passage: self.second_passage,
            ..*self
        }
    }
}

impl Default for RankParams {
    fn default() -> Self {
        RankParams {
            k1: 1.6,
            b: 0.6,
            b_title: 0.8,
            exact: 1.0,
            title: 1.0,
            exact_idf: 0.8,
            proximity: 0.5,
            coordination: 0.0,
            coverage: 1.0,
            coverage_max: 4.0,
            second_passage: 0.25,
            fb_docs: 10.0,
            fb_terms: 10.0,
            fb_original: 0.85,
            verbose_exact: 0.3,
            verbose_exact_idf: 0.5,
            verbose_k1: 2.0,
            verbose_second_passage: 0.1,
        }
    }
}

impl std::str::FromStr for RankParams {
    type Err = String;

    /// Parses `name=value` pairs separated by commas over the defaults, e.g.
    /// `k1=1.5,b=0.6`; names: `k1`, `b`, `b_title`, `exact`, `title`, `exact_idf`,
    /// `proximity`, `coordination`, `coverage`, `coverage_max`, `second_passage`, `fb_docs`,
    /// `fb_terms`, `fb_original`, `verbose_exact`, `verbose_exact_idf`, `verbose_k1`,
    /// `verbose_second_passage`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut p = RankParams::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) =
                pair.split_once('=').ok_or_else(|| format!("expected name=value, got {pair:?}"))?;
            let v: f32 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("{name}: {value:?} is not a number ≥ 0"))?;
            let slot = match name.trim() {
                "k1" => &mut p.k1,
                "b" => &mut p.b,
                "b_title" => &mut p.b_title,
                "exact" => &mut p.exact,
                "title" => &mut p.title,
                "exact_idf" => &mut p.exact_idf,
                "proximity" => &mut p.proximity,
                "coordination" => &mut p.coordination,
                "coverage" => &mut p.coverage,
                "coverage_max" => &mut p.coverage_max,
                "second_passage" => &mut p.second_passage,
                "fb_docs" => &mut p.fb_docs,
                "fb_terms" => &mut p.fb_terms,
                "fb_original" => &mut p.fb_original,
                "verbose_exact" => &mut p.verbose_exact,
                "verbose_exact_idf" => &mut p.verbose_exact_idf,
                "verbose_k1" => &mut p.verbose_k1,
                "verbose_second_passage" => &mut p.verbose_second_passage,
                other => {
                    return Err(format!(
                        "unknown ranking parameter {other:?} (k1, b, b_title, exact, title, \
                         exact_idf, proximity, coordination, coverage, coverage_max, \
                         second_passage, fb_docs, fb_terms, fb_original, verbose_exact, \
                         verbose_exact_idf, verbose_k1, verbose_second_passage)"
                    ))
                }
            };
            *slot = v;
        }
        if p.b > 1.0
            || p.b_title > 1.0
            || p.fb_original > 1.0
            || p.exact_idf > 1.0
            || p.verbose_exact_idf > 1.0
        {
            return Err("b, b_title, exact_idf, verbose_exact_idf and fb_original must be \
                        between 0 and 1"
                .into());
        }
        Ok(p)
    }
}

/// Which field of a passage a term is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A language's text field (the stemmed form).
    Text(Lang),
    /// The unstemmed `exact` field.
    Exact,
    /// The title.
    Title,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Text(Lang::En) => "text_en",
            Role::Text(Lang::Fr) => "text_fr",
            Role::Text(Lang::Ar) => "text_ar",
            Role::Text(Lang::Other) => "text_xx",
            Role::Exact => "exact",
            Role::Title => "title",
        }
    }
}

/// One query word: its analyzed term in each field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    /// The word as written in the query.
    pub text: String,
    /// Its term per field (text fields first).
    pub terms: Vec<(Role, Term)>,
    /// Its weight in the query (for the query's own words, how often the query writes it).
    pub weight: f32,
    /// Added by query expansion (not counted for coordination).
    pub expansion: bool,
}

/// The fields statistics are read from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RankFields {
    /// The text field of each language, in [`Lang::ALL`] order.
    pub text: [Field; 4],
    /// The `exact` field.
    pub exact: Field,
    /// The `title` field.
    pub title: Field,
    /// The passage-language keyword field (one value per passage: `en`, `fr`, `ar`, `xx`).
    pub plang: Field,
}

impl RankFields {
    fn field(&self, role: Role) -> Field {
        match role {
            Role::Text(lang) => self.text[lang_index(lang)],
            Role::Exact => self.exact,
            Role::Title => self.title,
        }
    }
}

fn lang_index(lang: Lang) -> usize {
    Lang::ALL.iter().position(|l| *l == lang).unwrap_or(3)
}

/// A query's plain words, scored together with BM25F (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Bm25fQuery {
    pub words: Vec<Word>,
    pub fields: RankFields,
    pub params: RankParams,
    /// Where the scorer leaves which own words each passage matched (for the article's
    /// coverage factor), when the search wants them.
    pub masks: Option<Arc<WordMasks>>,
}

/// Whether a word counts for the coverage factor (see [`Bm25fQuery::coverage_words`]).
fn counts_for_coverage(w: &Word) -> bool {
    !w.expansion && w.terms.iter().any(|(role, _)| *role == Role::Exact)
}

/// The most query words the coverage factor tells apart (one bit each).
pub(crate) const MASK_WORDS: usize = 32;

/// Which of a query's own words (its first [`MASK_WORDS`]) each matching passage holds, per
/// segment: the scorer writes them when it scores a segment, the article collector reads
/// them as it collects that segment's passages (its segment collector exists before the
/// scorer, so it fetches them at its first passage).
#[derive(Debug, Default)]
pub(crate) struct WordMasks {
    segments: Mutex<FxHashMap<SegmentId, SegmentMasks>>,
}

/// One segment's passages, in document order, with the mask of the own words each holds.
pub(crate) type SegmentMasks = Arc<Vec<(DocId, u32)>>;

impl WordMasks {
    fn put(&self, segment: SegmentId, masks: Vec<(DocId, u32)>) {
        let mut map = self.segments.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(segment, Arc::new(masks));
    }

    /// The masks of a segment's passages, in document order.
    pub(crate) fn get(&self, segment: SegmentId) -> Option<SegmentMasks> {
        let map = self.segments.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&segment).cloned()
    }
}

/// One term's statistics, ready to score.
#[derive(Debug, Clone)]
struct TermStat {
    word: usize,
    role: Role,
    term: Term,
    field: Field,
    /// Field weight.
    weight: f32,
    /// Length normalization.
    b: f32,
    avg_len: f32,
    /// The idf this term gives its word when it matches (text fields), or the fallback idf
    /// when only the exact form or the title matches.
    idf: f32,
}

fn idf(df: u64, n: u64) -> f32 {
    let (df, n) = (df as f32, n.max(df) as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

struct Bm25fWeight {
    stats: Vec<TermStat>,
    words: Vec<String>,
    /// Each word's weight.
    word_weights: Vec<f32>,
    /// Whether each word is the query's own (not an expansion).
    own: Vec<bool>,
    /// Words of the query itself (with terms), for coordination.
    own_words: usize,
    /// Each own word's bit in a passage's mask (the first [`MASK_WORDS`] own words).
    bits: Vec<u32>,
    masks: Option<Arc<WordMasks>>,
    params: RankParams,
}

impl Query for Bm25fQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.bm25f_weight(enable_scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for word in &self.words {
            for (_, term) in &word.terms {
                visitor(term, false);
            }
        }
    }
}

impl Bm25fQuery {
    /// The query's own words (not expansion terms) the coverage factor counts, as far as
    /// [`WordMasks`] tells them apart: those with a term in the `exact` field, which drops
    /// the stop words of every language ("the" is a word of the French and other-language
    /// fields, but no English passage holds it).
    pub(crate) fn coverage_words(&self) -> usize {
        self.words.iter().filter(|w| counts_for_coverage(w)).count().min(MASK_WORDS)
    }

    fn bm25f_weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Bm25fWeight> {
        let stats_provider = match enable_scoring {
            EnableScoring::Enabled { statistics_provider, .. } => Some(statistics_provider),
            EnableScoring::Disabled { .. } => None,
        };
        let p = self.params;
        let mut stats = Vec::new();
        // Passages per language, and in all.
        let mut per_lang = [0u64; 4];
        if let Some(sp) = stats_provider {
            for (i, lang) in Lang::ALL.iter().enumerate() {
                per_lang[i] =
                    sp.doc_freq(&Term::from_field_text(self.fields.plang, plang_code(*lang)))?;
            }
        }
        let passages: u64 = per_lang.iter().sum::<u64>().max(1);
        let avg = |field: Field, docs: u64| -> tantivy::Result<f32> {
            Ok(match stats_provider {
                Some(sp) => (sp.total_num_tokens(field)? as f32 / docs.max(1) as f32).max(1.0),
                None => 1.0,
            })
        };
        let avg_exact = avg(self.fields.exact, passages)?;
        let avg_title = avg(self.fields.title, passages)?;
        for (w, word) in self.words.iter().enumerate() {
            // The exact form's idf, for passages that match only through it or the title.
            let exact_df = match (stats_provider, word.terms.iter().find(|t| t.0 == Role::Exact)) {
                (Some(sp), Some((_, term))) => sp.doc_freq(term)?,
                _ => 0,
            };
            for (role, term) in &word.terms {
                let field = self.fields.field(*role);
                let (weight, b, avg_len, idf) = match role {
                    Role::Text(lang) => {
                        let n = per_lang[lang_index(*lang)];
                        let df = match stats_provider {
                            Some(sp) => sp.doc_freq(term)?,
                            None => 0,
                        };
                        (1.0, p.b, avg(field, n)?, idf(df, n))
                    }
                    Role::Exact => (p.exact, p.b, avg_exact, idf(exact_df, passages)),
                    Role::Title => (p.title, p.b_title, avg_title, idf(exact_df, passages)),
                };
                if weight > 0.0 {
                    stats.push(TermStat {
                        word: w,
                        role: *role,
                        term: term.clone(),
                        field,
                        weight,
                        b,
                        avg_len,
                        idf,
                    });
                }
            }
        }
        let own_words = self.words.iter().filter(|w| !w.expansion && !w.terms.is_empty()).count();
        let mut next = 0usize;
        let bits = self
            .words
            .iter()
            .map(|w| {
                if !counts_for_coverage(w) || next >= MASK_WORDS {
                    return 0;
                }
                next += 1;
                1u32 << (next - 1)
            })
            .collect();
        Ok(Bm25fWeight {
            bits,
            // Passages' masks only where the factor can apply (not for long queries).
            masks: self.masks.clone().filter(|_| p.coverage_applies(self.coverage_words())),
            stats,
            words: self.words.iter().map(|w| w.text.clone()).collect(),
            word_weights: self.words.iter().map(|w| w.weight).collect(),
            own: self.words.iter().map(|w| !w.expansion).collect(),
            own_words,
            params: p,
        })
    }

    /// The score of one passage, taken apart per word and field, or `None` when the passage
    /// matches none of the words.
    pub(crate) fn explain_passage(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
    ) -> tantivy::Result<Option<WordsExplain>> {
        let weight = self.bm25f_weight(EnableScoring::enabled_from_searcher(searcher))?;
        let reader = searcher.segment_reader(addr.segment_ord);
        weight.parts(reader, addr.doc_id)
    }
}

/// How one passage scored on the plain words of the query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordsExplain {
    /// Per query word.
    pub words: Vec<WordExplain>,
    /// Words of the query that matched the passage (expansion terms aside).
    pub matched: usize,
    /// Words of the query (those with a term in some field; expansion terms aside).
    pub of: usize,
    /// The proximity bonus: the query's words near each other in the passage.
    pub proximity: f32,
    /// The coordination factor applied to the sum: `(matched / of) ^ coordination`.
    pub coordination: f32,
    /// The passage's score from these words: the sum of the words' scores and the proximity
    /// bonus, times `coordination`.
    pub score: f32,
}

/// How one query word scored on a passage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordExplain {
    /// The word as written in the query (an expansion term: its analyzed form).
    pub word: String,
    /// Whether query expansion added it.
    pub expansion: bool,
    /// Its weight in the query (1 for the query's own words).
    pub weight: f32,
    /// Its inverse document frequency.
    pub idf: f32,
    /// The combined, length-normalized term frequency `tf~` (before saturation).
    pub tf: f32,
    /// The word's BM25F score: `weight · idf · tf~ · (k1 + 1) / (k1 + tf~)`.
    pub score: f32,
    /// The fields it was found in.
    pub fields: Vec<FieldExplain>,
}

/// One field's part of a word's combined term frequency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldExplain {
    /// `text_en`, `text_fr`, `text_ar`, `text_xx`, `exact` or `title`.
    pub field: &'static str,
    /// The term looked up (analyzed form).
    pub term: String,
    /// Occurrences in the passage's field.
    pub tf: u32,
    /// The field's length in this passage, in tokens.
    pub len: u32,
    /// The field's average length.
    pub avg_len: f32,
    /// The field's weight.
    pub weight: f32,
    /// Its part of `tf~`: `weight · tf / (1 − b + b · len / avg_len)`.
    pub part: f32,
}

impl Bm25fWeight {
    fn norm(&self, s: &TermStat, len: u32) -> f32 {
        1.0 - s.b + s.b * len as f32 / s.avg_len
    }

    /// A word's idf on a passage, `idf` so far, after the passage matched term `s` (text
    /// fields come first): the highest of its stems' idfs; the exact form's, or its title's,
    /// where no stem matched; at least `exact_idf` × the exact form's where it matched.
    fn word_idf(&self, idf: f32, s: &TermStat) -> f32 {
        match s.role {
            Role::Text(_) => idf.max(s.idf),
            _ if idf == 0.0 => s.idf,
            Role::Exact => idf.max(self.params.exact_idf * s.idf),
            Role::Title => idf,
        }
    }

    fn saturate(&self, idf: f32, ntf: f32) -> f32 {
        let k1 = self.params.k1;
        idf * ntf * (k1 + 1.0) / (k1 + ntf)
    }

    fn coordination(&self, matched: usize) -> f32 {
        let of = self.own_words;
        if self.params.coordination == 0.0 || of == 0 {
            return 1.0;
        }
        (matched.min(of) as f32 / of as f32).powf(self.params.coordination)
    }

    fn norms<'a>(
        reader: &SegmentReader,
        cache: &'a mut Vec<(Field, FieldNormReader)>,
        field: Field,
    ) -> tantivy::Result<&'a FieldNormReader> {
        let at = match cache.iter().position(|(f, _)| *f == field) {
            Some(at) => at,
            None => {
                cache.push((field, reader.get_fieldnorms_reader(field)?));
                cache.len() - 1
            }
        };
        Ok(&cache[at].1)
    }

    /// The postings of every term of the query that the segment holds, in the order of
    /// `stats` (so each word's parts add up in the same order wherever a passage is scored).
    fn cursors(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Cursor<'_>>> {
        let mut norms_cache = Vec::new();
        let mut cursors = Vec::new();
        for s in &self.stats {
            let positions = self.wants_positions(s);
            let record = if positions {
                IndexRecordOption::WithFreqsAndPositions
            } else {
                IndexRecordOption::WithFreqs
            };
            let inverted = reader.inverted_index(s.field)?;
            let Some(postings) = inverted.read_postings(&s.term, record)? else {
                continue;
            };
            if postings.doc() == TERMINATED {
                continue;
            }
            let norms = Self::norms(reader, &mut norms_cache, s.field)?.clone();
            cursors.push(Cursor { stat: s, postings, norms, positions });
        }
        Ok(cursors)
    }

    /// Scores every passage of the segment that matches a word, in document order.
    ///
    /// Document at a time: the postings of all the terms advance together, and each
    /// passage's score is complete when the cursors leave it. Memory is per term and per
    /// word, not per document of the segment (dense arrays of `max_doc` entries cost a
    /// page fault per 4 KiB on a fresh process, and a sort of the documents touched).
    fn score_segment(&self, reader: &SegmentReader) -> tantivy::Result<Vec<(DocId, Score)>> {
        let mut cursors = self.cursors(reader)?;
        let mut acc = Acc::new(self.words.len());
        let mut out = Vec::new();
        let mut masks = Vec::new();
        while !cursors.is_empty() {
            let doc = cursors.iter().map(|c| c.postings.doc()).min().unwrap_or(TERMINATED);
            let scored = self.score_passage(&mut cursors, doc, &mut acc, None);
            if self.masks.is_some() {
                masks.push((doc, scored.mask));
            }
            let mut ended = false;
            for c in cursors.iter_mut().filter(|c| c.postings.doc() == doc) {
                ended |= c.postings.advance() == TERMINATED;
            }
            if ended {
                cursors.retain(|c| c.postings.doc() != TERMINATED);
            }
            out.push((doc, scored.score));
        }
        if let Some(sink) = &self.masks {
            sink.put(reader.segment_id(), masks);
        }
        Ok(out)
    }

    /// Scores passage `doc` from the cursors that stand on it (the others are skipped),
    /// leaving each word's combined term frequency and idf in `acc`; with `fields`, also
    /// each field's part, per word.
    fn score_passage(
        &self,
        cursors: &mut [Cursor<'_>],
        doc: DocId,
        acc: &mut Acc,
        mut fields: Option<&mut Vec<(usize, FieldExplain)>>,
    ) -> Scored {
        acc.ntf.iter_mut().for_each(|x| *x = 0.0);
        acc.idf.iter_mut().for_each(|x| *x = 0.0);
        for c in cursors.iter().filter(|c| c.postings.doc() == doc) {
            let s = c.stat;
            let (tf, len) = (c.postings.term_freq(), c.norms.fieldnorm(doc));
            let part = s.weight * tf as f32 / self.norm(s, len);
            acc.ntf[s.word] += part;
            acc.idf[s.word] = self.word_idf(acc.idf[s.word], s);
            if let Some(fields) = fields.as_deref_mut() {
                let term = s.term.value().as_str().unwrap_or_default().to_string();
                let (field, avg_len, weight) = (s.role.name(), s.avg_len, s.weight);
                fields.push((s.word, FieldExplain { field, term, tf, len, avg_len, weight, part }));
            }
        }
        let words = self.words.len();
        let matched = (0..words).filter(|w| self.own[*w] && acc.ntf[*w] > 0.0).count();
        let mask = (0..words).filter(|w| acc.ntf[*w] > 0.0).fold(0, |m, w| m | self.bits[w]);
        let mut proximity = 0.0;
        if matched >= 2 && self.params.proximity > 0.0 {
            acc.near.clear();
            for c in cursors.iter_mut().filter(|c| c.positions && c.postings.doc() == doc) {
                acc.near.add(&mut c.postings, c.stat.word);
                acc.near.norm = self.norm(c.stat, c.norms.fieldnorm(doc));
            }
            proximity = self.proximity(&mut acc.near, &acc.idf);
        }
        let mut words_score = 0.0f32;
        for w in (0..words).filter(|w| acc.ntf[*w] > 0.0) {
            words_score += self.word_score(w, acc.idf[w], acc.ntf[w]);
        }
        let coordination = self.coordination(matched);
        let score = (words_score + proximity) * coordination;
        Scored { score, matched, proximity, coordination, mask }
    }

    fn word_score(&self, w: usize, idf: f32, ntf: f32) -> f32 {
        self.word_weights[w] * self.saturate(idf, ntf)
    }

    /// Whether the proximity bonus reads this term's positions: the stemmed text fields
    /// (every passage has one, and phrases need their positions anyway), for the query's own
    /// words, when the query has two of them.
    fn wants_positions(&self, s: &TermStat) -> bool {
        self.params.proximity > 0.0
            && self.own_words >= 2
            && self.own[s.word]
            && matches!(s.role, Role::Text(_))
    }

    /// The proximity bonus of a passage whose occurrences of the query's own words are in
    /// `near`, the words' idfs on the passage in `idf` (see the module docs).
    fn proximity(&self, near: &mut Near, idf: &[f32]) -> f32 {
        near.occurrences.sort_unstable();
        near.acc.iter_mut().for_each(|a| *a = 0.0);
        for pair in near.occurrences.windows(2) {
            let ((p0, w0), (p1, w1)) = (pair[0], pair[1]);
            if w0 == w1 || p1 == p0 {
                continue;
            }
            let d = (p1 - p0) as f32;
            near.acc[w0] += idf[w1] / (d * d);
            near.acc[w1] += idf[w0] / (d * d);
        }
        let k1 = self.params.k1;
        let k = k1 * near.norm;
        let bonus: f32 = near
            .acc
            .iter()
            .enumerate()
            .filter(|(_, a)| **a > 0.0)
            .map(|(w, a)| self.word_weights[w] * idf[w].min(1.0) * a * (k1 + 1.0) / (a + k))
            .sum();
        self.params.proximity * bonus
    }

    /// One passage's score taken apart: the same computation as [`Self::score_segment`]'s,
    /// with each field's part kept.
    fn parts(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Option<WordsExplain>> {
        let mut cursors = self.cursors(reader)?;
        for c in &mut cursors {
            if c.postings.doc() < doc {
                c.postings.seek(doc);
            }
        }
        let mut acc = Acc::new(self.words.len());
        let mut fields = Vec::new();
        let scored = self.score_passage(&mut cursors, doc, &mut acc, Some(&mut fields));
        let mut words = Vec::new();
        for (w, text) in self.words.iter().enumerate() {
            let word_fields: Vec<FieldExplain> =
                fields.iter().filter(|(fw, _)| *fw == w).map(|(_, f)| f.clone()).collect();
            if word_fields.is_empty() {
                continue;
            }
            words.push(WordExplain {
                word: text.clone(),
                expansion: !self.own[w],
                weight: self.word_weights[w],
                idf: acc.idf[w],
                tf: acc.ntf[w],
                score: self.word_score(w, acc.idf[w], acc.ntf[w]),
                fields: word_fields,
            });
        }
        if words.is_empty() {
            return Ok(None);
        }
        Ok(Some(WordsExplain {
            matched: scored.matched,
            of: self.own_words,
            proximity: scored.proximity,
            coordination: scored.coordination,
            score: scored.score,
            words,
        }))
    }
}

/// One term's postings in a segment, with what scoring a passage needs from them.
struct Cursor<'a> {
    stat: &'a TermStat,
    postings: SegmentPostings,
    norms: FieldNormReader,
    /// Whether the postings carry positions (for the proximity bonus).
    positions: bool,
}

/// Per-word accumulators for scoring one passage, reused from passage to passage.
struct Acc {
    /// Combined, length-normalized term frequency `tf~`.
    ntf: Vec<f32>,
    /// The word's idf on the passage (see [`Bm25fWeight::word_idf`]).
    idf: Vec<f32>,
    near: Near,
}

impl Acc {
    fn new(words: usize) -> Acc {
        Acc { ntf: vec![0.0; words], idf: vec![0.0; words], near: Near::new(words) }
    }
}

/// A passage's score and its parts.
struct Scored {
    score: f32,
    /// The own words it matched, one bit each (see [`WordMasks`]).
    mask: u32,
    matched: usize,
    proximity: f32,
    coordination: f32,
}

impl Weight for Bm25fWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut docs = self.score_segment(reader)?;
        if boost != 1.0 {
            docs.iter_mut().for_each(|d| d.1 *= boost);
        }
        Ok(Box::new(MaterializedScorer { docs, at: 0 }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let Some(parts) = self.parts(reader, doc)? else {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        };
        let mut e = Explanation::new("BM25F over the passage's fields", parts.score);
        for w in parts.words {
            let mut we = Explanation::new_with_string(w.word, w.score);
            for f in w.fields {
                we.add_const(f.field, f.part);
            }
            e.add_detail(we);
        }
        e.add_const("proximity", parts.proximity);
        e.add_const("coordination", parts.coordination);
        Ok(e)
    }
}

/// The occurrences of a query's words in one passage, for the proximity bonus.
struct Near {
    /// (position, word), in no order until [`Bm25fWeight::proximity`] sorts them.
    occurrences: Vec<(u32, usize)>,
    /// Per word: the proximity accumulated from its neighbours.
    acc: Vec<f32>,
    /// The passage text field's length normalization.
    norm: f32,
    buf: Vec<u32>,
}

impl Near {
    fn new(words: usize) -> Near {
        Near { occurrences: Vec::new(), acc: vec![0.0; words], norm: 1.0, buf: Vec::new() }
    }

    fn clear(&mut self) {
        self.occurrences.clear();
        self.norm = 1.0;
    }

    fn add(&mut self, postings: &mut SegmentPostings, word: usize) {
        postings.positions(&mut self.buf);
        self.occurrences.extend(self.buf.iter().map(|p| (*p, word)));
    }
}

/// A scorer over scores computed up front, in document order.
struct MaterializedScorer {
    docs: Vec<(DocId, Score)>,
    at: usize,
}

impl DocSet for MaterializedScorer {
    fn advance(&mut self) -> DocId {
        self.at = (self.at + 1).min(self.docs.len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let rest = &self.docs[self.at..];
        self.at += rest.partition_point(|d| d.0 < target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(TERMINATED, |d| d.0)
    }

    fn size_hint(&self) -> u32 {
        (self.docs.len() - self.at) as u32
    }
}

impl Scorer for MaterializedScorer {
    fn score(&mut self) -> Score {
        self.docs.get(self.at).map_or(0.0, |d| d.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_over_the_defaults() {
        let p: RankParams = "k1=1.5, b=0.6".parse().unwrap();
        assert_eq!(p, RankParams { k1: 1.5, b: 0.6, ..RankParams::default() });
        assert!("k2=1".parse::<RankParams>().unwrap_err().contains("unknown"));
        let v: RankParams = "verbose_exact_idf=0.4,verbose_k1=3".parse().unwrap();
        assert_eq!((v.verbose_exact_idf, v.verbose_k1), (0.4, 3.0));
        assert!("verbose_exact_idf=1.5".parse::<RankParams>().is_err());
        let d = RankParams::default();
        assert_eq!(d.for_words(4), d);
        assert_eq!(d.for_words(5).exact, d.verbose_exact);
        assert_eq!(d.never_verbose().for_words(25), d.never_verbose(), "never verbose");
        assert!("b=2".parse::<RankParams>().is_err());
        assert!("k1=x".parse::<RankParams>().is_err());
        assert_eq!("".parse::<RankParams>().unwrap(), RankParams::default());
    }

    #[test]
    fn idf_is_positive_and_falls_with_document_frequency() {
        assert!(idf(1, 100) > idf(10, 100));
        assert!(idf(100, 100) > 0.0);
        assert!(idf(5, 0) > 0.0, "a df above n (stale statistics) stays finite");
    }

    fn weight(words: usize, params: RankParams) -> Bm25fWeight {
        Bm25fWeight {
            stats: Vec::new(),
            words: (0..words).map(|w| format!("w{w}")).collect(),
            word_weights: vec![1.0; words],
            own: vec![true; words],
            own_words: words,
            bits: (0..words).map(|w| 1 << w).collect(),
            masks: None,
            params,
        }
    }

    /// The bonus by hand: `a b` adjacent (d = 1), `c` 4 positions after `b`, `a` again
    /// next to the first `a` (same word: no pair); idfs 2, 3, 0.5.
    #[test]
    fn proximity_bonus_follows_the_formula() {
        let params = RankParams { proximity: 0.5, k1: 1.2, ..RankParams::default() };
        let w = weight(3, params);
        let mut near = Near::new(3);
        near.occurrences = vec![(5, 2), (0, 0), (1, 1), (9, 0)];
        near.norm = 1.5;
        let idf = [2.0, 3.0, 0.5];
        // Sorted: a@0 b@1 c@5 a@9. Pairs: (a,b) d=1, (b,c) d=4, (c,a) d=4.
        let acc = [3.0 + 0.5 / 16.0, 2.0 + 0.5 / 16.0, 3.0 / 16.0 + 2.0 / 16.0];
        let k = 1.2 * 1.5;
        let sat = |a: f32| a * 2.2 / (a + k);
        let expected = 0.5 * (sat(acc[0]) + sat(acc[1]) + 0.5 * sat(acc[2]));
        let got = w.proximity(&mut near, &idf);
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        // Farther apart, less; off, nothing.
        let mut far = Near::new(3);
        far.occurrences = vec![(0, 0), (40, 1)];
        far.norm = 1.5;
        assert!(w.proximity(&mut far, &idf) < got / 100.0);
        let off = weight(3, RankParams { proximity: 0.0, ..params });
        assert_eq!(off.proximity(&mut near, &idf), 0.0);
    }

    #[test]
    fn materialized_scorer_advances_and_seeks_in_order() {
        let mut s = MaterializedScorer { docs: vec![(1, 0.5), (4, 1.0), (9, 2.0)], at: 0 };
        assert_eq!(s.doc(), 1);
        assert_eq!(s.seek(4), 4);
        assert_eq!(s.score(), 1.0);
        assert_eq!(s.seek(5), 9);
        assert_eq!(s.advance(), TERMINATED);
        assert_eq!(s.advance(), TERMINATED);
        assert_eq!(s.size_hint(), 0);
    }
}
