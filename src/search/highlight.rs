//! Highlight ranges computed by Gazette itself: every query term that matches in a passage,
//! through any chain (stemmed or exact), with quoted phrases highlighted as one range.
//!
//! Ranges are byte offsets into the passage text, sorted, non-overlapping and on `char`
//! boundaries (they come from token offsets).

use std::collections::HashMap;
use std::ops::Range;

use crate::analysis::{self, AnalyzedToken, Lang, Profile};

/// One part of the query to highlight: a word, a quoted phrase, or a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermGroup {
    /// The text as the user typed it.
    pub text: String,
    /// True for a quoted phrase (matched as consecutive terms).
    pub phrase: bool,
    /// True when the last word is a prefix (`mistr*`).
    pub prefix: bool,
}

/// The query's term groups analyzed once per chain, ready to match passages.
#[derive(Debug, Default)]
pub struct Highlighter {
    profile: Profile,
    /// For each chain name: each group's analyzed tokens.
    chains: HashMap<&'static str, Vec<(Vec<AnalyzedToken>, Kind)>>,
}

/// How a group's tokens match: each on its own, or as a phrase; the last one as a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kind {
    phrase: bool,
    prefix: bool,
}

impl Highlighter {
    /// Analyzes `groups` with every chain a passage may be matched with.
    pub fn new(profile: Profile, groups: &[TermGroup]) -> Highlighter {
        let mut chains = HashMap::new();
        let names = [analysis::EN, analysis::FR, analysis::AR, analysis::OTHER, analysis::EXACT];
        for name in names {
            let Some(mut analyzer) = analysis::analyzer_for(profile, name) else { continue };
            let analyzed: Vec<_> = groups
                .iter()
                .map(|g| {
                    let toks = analysis::analyze_with(&mut analyzer, &g.text);
                    let kind = Kind { phrase: g.phrase && toks.len() > 1, prefix: g.prefix };
                    (toks, kind)
                })
                .filter(|(toks, _)| !toks.is_empty())
                .collect();
            chains.insert(name, analyzed);
        }
        Highlighter { profile, chains }
    }

    /// Returns true when there is nothing to highlight.
    pub fn is_empty(&self) -> bool {
        self.chains.values().all(Vec::is_empty)
    }

    /// Highlight ranges in `text`, a passage in language `lang`.
    pub fn ranges(&self, text: &str, lang: Lang) -> Vec<Range<usize>> {
        let mut ranges = Vec::new();
        for name in [lang.analyzer_name(), analysis::EXACT] {
            let Some(groups) = self.chains.get(name).filter(|g| !g.is_empty()) else { continue };
            let Some(mut analyzer) = analysis::analyzer_for(self.profile, name) else { continue };
            let tokens = analysis::analyze_with(&mut analyzer, text);
            let by_pos: HashMap<usize, usize> =
                tokens.iter().enumerate().map(|(i, t)| (t.position, i)).collect();
            for (qtoks, kind) in groups {
                if kind.phrase {
                    phrase_matches(&tokens, &by_pos, qtoks, kind.prefix, &mut ranges);
                } else {
                    word_matches(&tokens, qtoks, kind.prefix, &mut ranges);
                }
            }
        }
        merge(ranges)
    }
}

/// Every token equal to one of the query's terms (or, for a prefix query, starting with
/// its last term).
fn word_matches(
    tokens: &[AnalyzedToken],
    qtoks: &[AnalyzedToken],
    prefix: bool,
    out: &mut Vec<Range<usize>>,
) {
    let last = qtoks.len() - 1;
    for t in tokens {
        let hit = qtoks
            .iter()
            .enumerate()
            .any(|(i, q)| q.term == t.term || (prefix && i == last && t.term.starts_with(&q.term)));
        if hit {
            out.push(t.start..t.end);
        }
    }
}

/// Every run of tokens matching the phrase term for term, at the same relative positions
/// (so stop-word gaps match stop-word gaps), as one range.
fn phrase_matches(
    tokens: &[AnalyzedToken],
    by_pos: &HashMap<usize, usize>,
    qtoks: &[AnalyzedToken],
    prefix: bool,
    out: &mut Vec<Range<usize>>,
) {
    let first = &qtoks[0];
    let last = qtoks.len() - 1;
    for t in tokens.iter().filter(|t| t.term == first.term) {
        let mut end = t.end;
        let all = qtoks.iter().enumerate().skip(1).all(|(i, q)| {
            let want = t.position + (q.position - first.position);
            match by_pos.get(&want).map(|&j| &tokens[j]) {
                Some(tok)
                    if tok.term == q.term
                        || (prefix && i == last && tok.term.starts_with(&q.term)) =>
                {
                    end = tok.end;
                    true
                }
                _ => false,
            }
        });
        if all {
            out.push(t.start..end);
        }
    }
}

/// Sorts ranges and merges those that overlap.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(t: &str) -> TermGroup {
        TermGroup { text: t.into(), phrase: false, prefix: false }
    }

    fn marked<'a>(text: &'a str, lang: Lang, groups: &[TermGroup]) -> Vec<&'a str> {
        Highlighter::new(Profile::Standard, groups)
            .ranges(text, lang)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn stemmed_and_exact_matches() {
        let text = "Regulators regulate the regulation of Mistral models.";
        assert_eq!(
            marked(text, Lang::En, &[words("regulations mistral")]),
            ["Regulators", "regulate", "regulation", "Mistral"]
        );
        // Through the exact chain only the same word matches.
        assert_eq!(
            marked("OpenAI and openai's", Lang::Other, &[words("OpenAI")]),
            ["OpenAI", "openai"]
        );
    }

    #[test]
    fn phrases_are_one_range_and_need_adjacency() {
        let text = "Data protection matters. Protection of data too; data protection law.";
        let g = [TermGroup { text: "data protection".into(), phrase: true, prefix: false }];
        assert_eq!(marked(text, Lang::En, &g), ["Data protection", "data protection"]);
    }

    #[test]
    fn french_and_arabic_whole_words() {
        let text = "La protection des données personnelles";
        assert_eq!(marked(text, Lang::Fr, &[words("donnees")]), ["données"]);
        let ar = "وقع المغرب والمغرب بالمغرب";
        assert_eq!(marked(ar, Lang::Ar, &[words("المغرب")]), ["المغرب", "والمغرب", "بالمغرب"]);
    }

    #[test]
    fn prefixes() {
        let g = [TermGroup { text: "mistr".into(), phrase: false, prefix: true }];
        assert_eq!(marked("Mistral AI and mistrals", Lang::En, &g), ["Mistral", "mistrals"]);
    }

    proptest! {
        #[test]
        fn ranges_sorted_disjoint_on_boundaries(text in "[a-zA-Zéد ,.]{0,200}", q in "[a-zé]{1,6}( [a-z]{1,6})?") {
            let groups = [words(&q), TermGroup { text: q.clone(), phrase: true, prefix: false }];
            let ranges = Highlighter::new(Profile::Standard, &groups).ranges(&text, Lang::Fr);
            let mut last = 0;
            for r in &ranges {
                prop_assert!(r.start >= last && r.start < r.end && r.end <= text.len());
                prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                last = r.end;
            }
        }
    }
}
