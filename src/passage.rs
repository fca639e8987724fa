//! Sentences and passages: how an article body is cut into the units Gazette indexes,
//! ranks and shows.
//!
//! A passage is a run of whole sentences of about 40 to 120 words. Passages follow the
//! paragraphs of the article: a paragraph of at least 40 words ends its passage; shorter
//! ones are joined with the next. Sentence boundaries follow Unicode's rules (UAX #29),
//! which know the Arabic question mark `؟` and full stop `۔`, corrected for common
//! abbreviations ("Mr.", "U.S.", "M."); a sentence longer than a passage is cut at a clause
//! mark (`;` `:` `,` `،` `؛`) or, failing that, between words.
//!
//! Pure functions over `&str`; offsets are bytes, always on `char` boundaries.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// Passage size bounds, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassageOptions {
    /// A passage ends at a paragraph end once it has at least this many words.
    pub min_words: usize,
    /// A passage never has more words than this.
    pub max_words: usize,
}

impl Default for PassageOptions {
    fn default() -> Self {
        PassageOptions { min_words: 40, max_words: 120 }
    }
}

/// Abbreviations after which a full stop does not end a sentence (lowercased, without the
/// final dot).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "u.s", "u.k",
    "u.n", "e.u", "no", "nos", "art", "gen", "gov", "sen", "rep", "mme", "mlle", "mm", "me", "cf",
    "p", "pp", "jan", "feb", "febr", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "inc", "ltd", "co", "corp",
];

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Byte ranges of the paragraphs of `text` (blocks separated by blank lines), trimmed.
pub fn paragraphs(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if let Some(s) = start.take() {
                out.push(s..end);
            }
        } else {
            let lead = line.len() - line.trim_start().len();
            if start.is_none() {
                start = Some(offset + lead);
            }
            end = offset + line.trim_end().len();
        }
        offset += line.len();
    }
    if let Some(s) = start {
        out.push(s..end);
    }
    out
}

fn ends_with_abbreviation(sentence: &str) -> bool {
    let s = sentence.trim_end();
    let Some(body) = s.strip_suffix('.') else { return false };
    let last = body.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    if last.is_empty() {
        return false;
    }
    // A single capital letter: an initial ("J. Smith", "M. Dupont").
    let mut chars = last.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_uppercase() {
            return true;
        }
    }
    let lower = last.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// Byte ranges of the sentences of one paragraph (`text[range]`), trimmed; offsets are
/// relative to `text`.
pub fn sentences(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let para = &text[range.clone()];
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut pending: Option<Range<usize>> = None;
    for (i, s) in para.split_sentence_bound_indices() {
        let lead = s.len() - s.trim_start().len();
        let trimmed = s.trim();
        if trimmed.is_empty() {
            continue;
        }
        let r = range.start + i + lead..range.start + i + lead + trimmed.len();
        let merged = match pending.take() {
            Some(p) => p.start..r.end,
            None => r,
        };
        if ends_with_abbreviation(&text[merged.clone()]) {
            pending = Some(merged);
        } else {
            out.push(merged);
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

/// Cuts a sentence longer than `max_words` into pieces of at most `max_words` words, at
/// clause marks when possible.
fn cut_long(text: &str, r: Range<usize>, max_words: usize, out: &mut Vec<(Range<usize>, usize)>) {
    let mut start = r.start;
    let mut words = 0;
    let mut last_clause: Option<(usize, usize)> = None; // (byte end, words so far)
    let mut in_word = false;
    let mut prev = ' ';
    for (i, c) in text[r.clone()].char_indices() {
        let at = r.start + i;
        if c.is_whitespace() {
            if in_word {
                in_word = false;
                if matches!(prev, ';' | ':' | ',' | '،' | '؛') {
                    last_clause = Some((at, words));
                }
                if words >= max_words {
                    let (cut, w) =
                        last_clause.filter(|(_, w)| *w * 2 >= max_words).unwrap_or((at, words));
                    out.push((start..cut, w));
                    start = skip_ws(text, cut, r.end);
                    words -= w;
                    last_clause = None;
                }
            }
        } else if !in_word {
            in_word = true;
            words += 1;
        }
        prev = c;
    }
    if start < r.end {
        out.push((start..r.end, word_count(&text[start..r.end])));
    }
}

fn skip_ws(text: &str, mut at: usize, end: usize) -> usize {
    while at < end {
        match text[at..].chars().next() {
            Some(c) if c.is_whitespace() => at += c.len_utf8(),
            _ => break,
        }
    }
    at
}

/// Cuts `text` into passages and returns their byte ranges, in order.
///
/// ```
/// use gazette::passage::{split_passages, PassageOptions};
/// let text = "First sentence here. Second one.\n\nA new paragraph.";
/// let opts = PassageOptions { min_words: 3, max_words: 6 };
/// let parts: Vec<&str> = split_passages(text, &opts).into_iter().map(|r| &text[r]).collect();
/// assert_eq!(parts, ["First sentence here. Second one.", "A new paragraph."]);
/// ```
pub fn split_passages(text: &str, opts: &PassageOptions) -> Vec<Range<usize>> {
    let max = opts.max_words.max(1);
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut cur: Option<Range<usize>> = None;
    let mut cur_words = 0;
    for para in paragraphs(text) {
        let para_words = word_count(&text[para.clone()]);
        if cur_words + para_words <= max && !may_break_inside_words(&text[para.clone()]) {
            // The whole paragraph joins the current passage: its sentences would be added
            // one by one, each fitting, with the same word counts (no sentence boundary
            // falls inside a word), so UAX #29 segmentation can be skipped. Most paragraphs
            // take this path; it was 11 % of indexing time (BENCHMARKS.md, issue 8).
            match cur.as_mut() {
                Some(c) => c.end = para.end,
                None => cur = Some(para.clone()),
            }
            cur_words += para_words;
        } else {
            add_sentences(text, para, max, &mut cur, &mut cur_words, &mut out);
        }
        if cur_words >= opts.min_words {
            if let Some(c) = cur.take() {
                out.push(c);
            }
            cur_words = 0;
        }
    }
    if let Some(c) = cur {
        // A short tail joins the previous passage when both fit in one.
        match out.last_mut() {
            Some(prev) if word_count(&text[prev.clone()]) + cur_words <= max => prev.end = c.end,
            _ => out.push(c),
        }
    }
    out
}

/// Whether a UAX #29 sentence boundary may fall inside a run of non-space characters of
/// `para`, i.e. whether splitting it into sentences may count more words than it has.
///
/// Boundaries only follow a line break (whitespace) or a sentence terminator with its
/// closing punctuation and spaces (rules SB4, SB9–SB11). A terminator followed by
/// whitespace or the end of the text breaks, if at all, after that whitespace. A full stop
/// followed by a digit (SB6), a lowercase letter (SB8), or an uppercase letter after an
/// uppercase letter (SB7) does not break. Anything else that might be a terminator (any
/// character outside letters, digits, whitespace and a few plain marks) followed by
/// anything but whitespace answers `true`, and the caller segments the paragraph. (Quotes
/// and brackets are closing punctuation, which matters only right after a terminator, and
/// that case answers `true` at the terminator.)
fn may_break_inside_words(para: &str) -> bool {
    let mut prev = ' ';
    let mut chars = para.chars().peekable();
    while let Some(c) = chars.next() {
        let plain = c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c, ',' | ';' | ':' | '\'' | '-' | '/' | '&' | '%' | '$' | '#' | '+' | '=')
            || matches!(c, '(' | ')' | '[' | ']' | '"' | '«' | '»' | '“' | '”' | '‘' | '’')
            || matches!(c, '،' | '؛' | '–' | '—');
        if !plain {
            match chars.peek() {
                None => {}
                Some(n) if n.is_whitespace() => {}
                Some(n)
                    if c == '.'
                        && (n.is_ascii_digit()
                            || n.is_ascii_lowercase()
                            || (n.is_ascii_uppercase() && prev.is_ascii_uppercase())) => {}
                Some(_) => return true,
            }
        }
        prev = c;
    }
    false
}

/// Adds the sentences of one paragraph to the passages being built.
fn add_sentences(
    text: &str,
    para: Range<usize>,
    max: usize,
    cur: &mut Option<Range<usize>>,
    cur_words: &mut usize,
    out: &mut Vec<Range<usize>>,
) {
    for s in sentences(text, para) {
        let mut pieces = Vec::new();
        let w = word_count(&text[s.clone()]);
        if w > max {
            cut_long(text, s, max, &mut pieces);
        } else {
            pieces.push((s, w));
        }
        for (piece, w) in pieces {
            match cur.as_mut() {
                Some(c) if *cur_words + w <= max => {
                    c.end = piece.end;
                    *cur_words += w;
                }
                _ => {
                    if let Some(c) = cur.take() {
                        out.push(c);
                    }
                    *cur = Some(piece);
                    *cur_words = w;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(text: &str, opts: PassageOptions) -> Vec<&str> {
        split_passages(text, &opts).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let t = "Mr. Smith met M. Dupont in the U.S. yesterday. Then he left.";
        let s: Vec<&str> = sentences(t, 0..t.len()).into_iter().map(|r| &t[r]).collect();
        assert_eq!(s, ["Mr. Smith met M. Dupont in the U.S. yesterday.", "Then he left."]);
    }

    #[test]
    fn arabic_punctuation_ends_sentences() {
        let t = "هل يوقع المغرب الاتفاق؟ نعم، وقع المغرب الاتفاق. وانتهى الأمر۔ ثم ماذا";
        let s: Vec<&str> = sentences(t, 0..t.len()).into_iter().map(|r| &t[r]).collect();
        assert_eq!(s.len(), 4, "{s:?}");
        assert_eq!(s[0], "هل يوقع المغرب الاتفاق؟");
    }

    #[test]
    fn long_sentences_are_cut_at_clauses() {
        let t = "one two three four five, six seven eight nine ten eleven twelve.";
        let p = texts(t, PassageOptions { min_words: 2, max_words: 6 });
        assert_eq!(p, ["one two three four five,", "six seven eight nine ten eleven", "twelve."]);
    }

    #[test]
    fn short_paragraphs_join() {
        let t = "Short one.\n\nShort two.\n\nA much longer third paragraph that has words.";
        let p = texts(t, PassageOptions { min_words: 5, max_words: 20 });
        assert_eq!(p, [t]);
    }

    /// The passages as they were cut before the paragraph fast path: every paragraph
    /// segmented into sentences.
    fn split_segmented(text: &str, opts: &PassageOptions) -> Vec<Range<usize>> {
        let max = opts.max_words.max(1);
        let (mut out, mut cur, mut cur_words) = (Vec::new(), None, 0);
        for para in paragraphs(text) {
            add_sentences(text, para, max, &mut cur, &mut cur_words, &mut out);
            if cur_words >= opts.min_words {
                out.extend(cur.take());
                cur_words = 0;
            }
        }
        if let Some(c) = cur {
            match out.last_mut() {
                Some(prev) if word_count(&text[prev.clone()]) + cur_words <= max => {
                    prev.end = c.end
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// The fast path is taken for ordinary prose, and refused where UAX #29 may split a
    /// run of letters.
    #[test]
    fn fast_path_is_taken_for_plain_prose() {
        assert!(!may_break_inside_words("The U.S. grew 3.5 per cent, e.g. in Asia. Next (yes)."));
        assert!(!may_break_inside_words("وقع المغرب، الاتفاق؟ نعم"));
        for t in ["end.Next", "it ended.\" Then", "why?No", "a\u{200B}b", "stop.)"] {
            assert!(may_break_inside_words(t), "{t:?}");
        }
    }

    #[test]
    fn fast_path_keeps_abbreviations_and_inner_full_stops() {
        let opts = PassageOptions { min_words: 3, max_words: 8 };
        for t in [
            "The U.S. and the U.N. met.\n\nIt rained.Then it stopped (he said.) Yes!No.",
            "Growth was 3.5 per cent, e.g. in Asia.Next year?Maybe.\n\n\"Quoted.\" Done",
            "Mr. Smith.\n\nشكرا.ثم ماذا؟نعم\n\nend.\u{200B}Next and\u{00AD}more",
        ] {
            assert_eq!(split_passages(t, &opts), split_segmented(t, &opts), "{t:?}");
        }
    }

    proptest! {
        /// The paragraph fast path cuts exactly what sentence segmentation cuts.
        #[test]
        fn fast_path_matches_segmentation(
            text in "([a-zA-Z0-9]{1,6}|[ .!?,;:()\"'’«»\n]|\n\n|U\\.S\\.|Mr\\. |[ءاأبتةسلمنوي؟۔،]{1,4}|\u{00A0}|\u{200B}|\u{2029}|\u{0301}){0,120}",
            min in 1usize..8,
            extra in 0usize..8,
        ) {
            let opts = PassageOptions { min_words: min, max_words: min + extra };
            prop_assert_eq!(split_passages(&text, &opts), split_segmented(&text, &opts));
        }

        #[test]
        fn passages_are_ordered_trimmed_and_cover_all_text(text in "[a-zA-Z ،؟.!\n éد]{0,400}") {
            let opts = PassageOptions { min_words: 5, max_words: 12 };
            let ranges = split_passages(&text, &opts);
            let mut last_end = 0;
            let mut chars = 0;
            for r in &ranges {
                prop_assert!(r.start >= last_end && r.start < r.end);
                prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                let p = &text[r.clone()];
                prop_assert_eq!(p.trim(), p);
                prop_assert!(word_count(p) <= opts.max_words);
                chars += p.chars().filter(|c| !c.is_whitespace()).count();
                last_end = r.end;
            }
            // Nothing is lost or repeated.
            prop_assert_eq!(chars, text.chars().filter(|c| !c.is_whitespace()).count());
        }
    }
}
