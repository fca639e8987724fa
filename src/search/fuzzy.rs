//! Typo tolerance: a query word that (almost) nothing in the index contains is searched
//! with the dictionary words a typing slip away from it, and the results say so.
//!
//! - **When**: a plain word of the query (not quoted, not a prefix, not negated, not under a
//!   field) of at least [`MIN_CHARS`] characters, which at most [`rare_limit`] passages
//!   contain as written (in `exact` or the title). Stemmed matches do not count: a stemmer
//!   maps some typos onto real words by accident (English turns "Mistrall" into "mistral"),
//!   and what the user typed is still not a word of the index.
//! - **Where**: candidates come from the term dictionaries of the `exact` and `title`
//!   fields. Those hold every word as written (lowercased, accents and Arabic letter forms
//!   folded, for every language), so a candidate is a real word that can be shown as a
//!   suggestion and then searched like any query word, through every chain. The stemmed
//!   fields hold stems ("regul"), which are neither words to suggest nor what a typo is
//!   close to.
//! - **How far**: 1 edit (insertion, deletion, substitution or transposition of adjacent
//!   characters) from [`MIN_CHARS`] characters, 2 from [`TWO_EDITS_FROM`], through Tantivy's
//!   Levenshtein automaton over the dictionary. A candidate must be in more passages than
//!   twice the typed word's; the [`MAX_EXPANSIONS`] closest (then most frequent) are used.
//! - **Ranking**: the typed word stays in the query and its candidates are added beside it
//!   at [`FUZZY_BOOST`]; articles that contain a rare word exactly rank ahead of every
//!   article found only through its candidates.

use std::collections::{HashMap, HashSet};

use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::highlight::TermGroup;
use crate::analysis;
use crate::error::Result;
use crate::index::NewsIndex;

/// The shortest word (in characters, after folding) that fuzzy matching applies to.
pub const MIN_CHARS: usize = 5;
/// Words from this many characters may be 2 edits away from their matches.
pub const TWO_EDITS_FROM: usize = 9;
/// A word is rare when at most this many passages contain it, or this share of them.
pub const RARE_PASSAGES: u64 = 2;
/// See [`RARE_PASSAGES`].
pub const RARE_SHARE: f64 = 0.000_02;
/// Dictionary words searched for one rare word, at most.
pub const MAX_EXPANSIONS: usize = 3;
/// The weight of a fuzzy match next to an exact one.
pub const FUZZY_BOOST: f64 = 0.5;

/// The largest number of passages a rare word is in, for an index of `passages` passages.
pub fn rare_limit(passages: u64) -> u64 {
    RARE_PASSAGES.max((passages as f64 * RARE_SHARE) as u64)
}

/// A query word searched with its fuzzy matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FuzzyTerm {
    /// The word as typed.
    pub term: String,
    /// The dictionary words also searched for it, closest first.
    pub matches: Vec<String>,
}

/// The fuzzy rewrite of a query.
#[derive(Debug)]
pub(crate) struct TypoPlan {
    /// The query with each rare word OR'ed with its candidates.
    pub ast: UserInputAst,
    /// What was expanded.
    pub terms: Vec<FuzzyTerm>,
    /// The query with each rare word replaced by its best candidate.
    pub did_you_mean: String,
    /// The candidates, to highlight.
    pub groups: Vec<TermGroup>,
    /// Keys of the articles containing a rare word exactly (when some do).
    pub exact_first: Option<HashSet<u64>>,
}

/// A plain query word, where it is in the AST.
struct Word {
    text: String,
    folded: String,
}

/// Finds the rare words of `ast` and their candidates; `None` when there are none.
pub(crate) fn plan(
    index: &NewsIndex,
    searcher: &Searcher,
    query: &str,
    ast: &UserInputAst,
) -> Result<Option<TypoPlan>> {
    let mut words = Vec::new();
    plain_words(ast, false, &mut words);
    if words.is_empty() {
        return Ok(None);
    }
    let limit = rare_limit(searcher.num_docs());
    let mut expansions: HashMap<String, (u64, Vec<String>)> = HashMap::new();
    for w in &words {
        if expansions.contains_key(&w.text) {
            continue;
        }
        let df = passages_with(index, searcher, &w.text)?;
        if df > limit {
            continue;
        }
        let found = candidates(index, searcher, &w.folded, df)?;
        if !found.is_empty() {
            expansions.insert(w.text.clone(), (df, found));
        }
    }
    if expansions.is_empty() {
        return Ok(None);
    }
    let mut terms: Vec<FuzzyTerm> = Vec::new();
    let mut seen = HashSet::new();
    for w in &words {
        if let Some((_, m)) = expansions.get(&w.text) {
            if seen.insert(w.text.clone()) {
                terms.push(FuzzyTerm { term: w.text.clone(), matches: m.clone() });
            }
        }
    }
    let groups = terms
        .iter()
        .flat_map(|t| &t.matches)
        .map(|m| TermGroup { text: m.clone(), phrase: false, prefix: false })
        .collect();
    let mut did_you_mean = query.to_string();
    for t in &terms {
        if let Some(best) = t.matches.first() {
            did_you_mean = replace_word(&did_you_mean, &t.term, &same_case(&t.term, best));
        }
    }
    let with_exact: Vec<&str> =
        expansions.iter().filter(|(_, (df, _))| *df > 0).map(|(word, _)| word.as_str()).collect();
    let exact_first = if with_exact.is_empty() {
        None
    } else {
        Some(articles_with(index, searcher, &with_exact)?)
    };
    Ok(Some(TypoPlan {
        ast: rewrite(ast.clone(), &expansions),
        terms,
        did_you_mean,
        groups,
        exact_first,
    }))
}

/// The plain words of the query: unquoted, unfielded, not prefixes, outside negations.
fn plain_words(ast: &UserInputAst, negated: bool, out: &mut Vec<Word>) {
    match ast {
        UserInputAst::Clause(clauses) => {
            for (occur, sub) in clauses {
                let neg = negated || matches!(occur, Some(query_grammar::Occur::MustNot));
                plain_words(sub, neg, out);
            }
        }
        UserInputAst::Boost(inner, _) => plain_words(inner, negated, out),
        UserInputAst::Leaf(leaf) => {
            if let (UserInputLeaf::Literal(lit), false) = (leaf.as_ref(), negated) {
                if let Some(folded) = fuzzable(lit) {
                    out.push(Word { text: lit.phrase.clone(), folded });
                }
            }
        }
    }
}

/// The word's one `exact` term, when the literal is a plain word long enough to fuzz.
fn fuzzable(lit: &UserInputLiteral) -> Option<String> {
    let wildcard = lit.phrase.contains(['*', '?']);
    if lit.field_name.is_some() || lit.delimiter != Delimiter::None || lit.prefix || wildcard {
        return None;
    }
    let toks = analysis::analyze(analysis::EXACT, &lit.phrase);
    match toks.as_slice() {
        [t] if t.term.chars().count() >= MIN_CHARS && !t.term.chars().all(char::is_numeric) => {
            Some(t.term.clone())
        }
        _ => None,
    }
}

/// The (field, term) pairs of a query word as written: in `exact` and `title`.
fn field_terms(index: &NewsIndex, word: &str) -> Vec<(Field, String)> {
    let f = index.fields();
    let profile = index.profile();
    let mut out = Vec::new();
    if let Some(mut a) = analysis::analyzer_for(profile, analysis::EXACT) {
        for t in analysis::analyze_with(&mut a, word) {
            out.push((f.exact, t.term.clone()));
            out.push((f.title, t.term));
        }
    }
    out
}

/// The number of passages containing a word as written (an upper bound: a passage matching
/// in its text and its title counts twice).
fn passages_with(index: &NewsIndex, searcher: &Searcher, word: &str) -> Result<u64> {
    let mut total = 0;
    for (field, term) in field_terms(index, word) {
        total += searcher.doc_freq(&Term::from_field_text(field, &term))?;
    }
    Ok(total)
}

/// The keys of the articles that contain one of `words` exactly.
fn articles_with(index: &NewsIndex, searcher: &Searcher, words: &[&str]) -> Result<HashSet<u64>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = words
        .iter()
        .flat_map(|w| field_terms(index, w))
        .map(|(field, term)| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, &term),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, q)
        })
        .collect();
    let docs = searcher.search(&BooleanQuery::new(clauses), &DocSetCollector)?;
    let mut keys = HashSet::new();
    let mut columns = HashMap::new();
    for addr in docs {
        let Some(reader) = searcher.segment_readers().get(addr.segment_ord as usize) else {
            continue;
        };
        let column = match columns.entry(addr.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(reader.fast_fields().u64("article_key")?)
            }
        };
        if let Some(key) = column.first(addr.doc_id) {
            keys.insert(key);
        }
    }
    Ok(keys)
}

/// Dictionary words near `folded` (of the `exact` and `title` fields), in more passages than
/// twice `df`: the [`MAX_EXPANSIONS`] closest, then most frequent.
fn candidates(
    index: &NewsIndex,
    searcher: &Searcher,
    folded: &str,
    df: u64,
) -> Result<Vec<String>> {
    let chars = folded.chars().count();
    let distance: u8 = if chars >= TWO_EDITS_FROM { 2 } else { 1 };
    let f = index.fields();
    let mut found: HashMap<String, u64> = HashMap::new();
    for field in [f.exact, f.title] {
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, folded), distance, true);
        for reader in searcher.segment_readers() {
            let inverted = reader.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .search(fuzzy.automaton()?)
                .into_stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                let Ok(word) = std::str::from_utf8(stream.key()) else { continue };
                if word != folded {
                    *found.entry(word.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    let mut ranked: Vec<(usize, u64, String)> = found
        .into_iter()
        .filter(|(_, n)| *n > 2 * df)
        .map(|(w, n)| (strsim::osa_distance(folded, &w), n, w))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then_with(|| a.2.cmp(&b.2)));
    Ok(ranked.into_iter().take(MAX_EXPANSIONS).map(|(_, _, w)| w).collect())
}

/// `ast` with each expanded word OR'ed with its candidates (at [`FUZZY_BOOST`]).
fn rewrite(ast: UserInputAst, expansions: &HashMap<String, (u64, Vec<String>)>) -> UserInputAst {
    match ast {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses
                .into_iter()
                .map(|(occur, sub)| {
                    if matches!(occur, Some(query_grammar::Occur::MustNot)) {
                        (occur, sub)
                    } else {
                        (occur, rewrite(sub, expansions))
                    }
                })
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(rewrite(*inner, expansions)), boost)
        }
        UserInputAst::Leaf(leaf) => {
            let expanded = match leaf.as_ref() {
                UserInputLeaf::Literal(lit) if fuzzable(lit).is_some() => {
                    expansions.get(&lit.phrase).map(|(_, c)| (lit.clone(), c))
                }
                _ => None,
            };
            let Some((lit, cands)) = expanded else { return UserInputAst::Leaf(leaf) };
            let mut alternatives = vec![(
                Some(query_grammar::Occur::Should),
                UserInputAst::from(UserInputLeaf::Literal(lit.clone())),
            )];
            for c in cands {
                let alt = UserInputLiteral { phrase: c.clone(), ..lit.clone() };
                alternatives.push((
                    Some(query_grammar::Occur::Should),
                    UserInputAst::Boost(
                        Box::new(UserInputAst::from(UserInputLeaf::Literal(alt))),
                        FUZZY_BOOST.into(),
                    ),
                ));
            }
            UserInputAst::Clause(alternatives)
        }
    }
}

/// `word` written in the case of `typed`: all capitals, a capital first, or as it is.
fn same_case(typed: &str, word: &str) -> String {
    let letters: Vec<char> = typed.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        return word.to_uppercase();
    }
    match (typed.chars().next(), word.chars().next()) {
        (Some(t), Some(w)) if t.is_uppercase() => {
            w.to_uppercase().chain(word.chars().skip(1)).collect()
        }
        _ => word.to_string(),
    }
}

/// `text` with whole-word occurrences of `from` replaced by `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        let bounded =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        out.push_str(if bounded { to } else { from });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_follows_the_typed_word() {
        assert_eq!(same_case("Mistrall", "mistral"), "Mistral");
        assert_eq!(same_case("MISTRALL", "mistral"), "MISTRAL");
        assert_eq!(same_case("mistrall", "mistral"), "mistral");
    }

    #[test]
    fn replaces_whole_words_only() {
        assert_eq!(
            replace_word("Mistrall +Mistrall Mistralls", "Mistrall", "Mistral"),
            "Mistral +Mistral Mistralls"
        );
    }

    #[test]
    fn rare_limit_grows_with_the_index() {
        assert_eq!(rare_limit(100), RARE_PASSAGES);
        assert_eq!(rare_limit(10_000_000), 200);
    }

    #[test]
    fn only_plain_long_words_are_fuzzed() {
        let words = |q: &str| {
            let (ast, _) = query_grammar::parse_query_lenient(q);
            let mut out = Vec::new();
            plain_words(&ast, false, &mut out);
            out.into_iter().map(|w| w.folded).collect::<Vec<_>>()
        };
        assert_eq!(words("Mistrall"), ["mistrall"]);
        assert_eq!(
            words("Données -Mistrall title:Mistrall \"Mistrall AI\" Mistr* 20255 the"),
            ["donnees"]
        );
        assert!(words("AI Rbat").is_empty(), "under 5 characters");
    }
}
