//! Near-duplicate fingerprints: a 64-bit SimHash (Charikar) of an article's word shingles,
//! computed at index time and stored on every passage, so syndicated copies of one wire
//! story can be collapsed at query time by the Hamming distance of their fingerprints.
//!
//! Features are the overlapping runs of [`SHINGLE`] words of the body as the `exact` chain
//! sees them (lowercased, accents and Arabic letter forms folded, stop words dropped), each
//! hashed with xxh3 and weighted equally. Bodies of fewer than [`MIN_SHINGLES`] shingles get
//! no fingerprint: too little text to tell a copy from a look-alike (and every empty body
//! would otherwise share one). The standard `exact` chain is used whatever the index's
//! analysis profile, so fingerprints mean the same in every index.

use std::cell::RefCell;

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{self, Profile};

/// Words per shingle.
pub const SHINGLE: usize = 3;

/// Shingles a body needs for a fingerprint.
pub const MIN_SHINGLES: usize = 12;

/// The SimHash of `body`, or `None` when it is too short (see the module docs).
///
/// ```
/// use gazette::index::fingerprint::{fingerprint, hamming};
/// let a = "Reuters reports that the central bank raised its key interest rate by half a \
///          point on Tuesday, citing inflation that has stayed above target for a year.";
/// // Case, punctuation and stop words do not change it.
/// let b = "REUTERS REPORTS: the central bank raised its key interest rate by half a point \
///          on Tuesday, citing inflation that has stayed above target for a year";
/// let (fa, fb) = (fingerprint(a).unwrap(), fingerprint(b).unwrap());
/// assert_eq!(hamming(fa, fb), 0);
/// assert_eq!(fingerprint("Too short."), None);
/// ```
pub fn fingerprint(body: &str) -> Option<u64> {
    thread_local! {
        // Built once per thread: the chain's stop-word sets are not free to build.
        static EXACT: RefCell<Option<TextAnalyzer>> =
            RefCell::new(analysis::analyzer_for(Profile::Standard, analysis::EXACT));
    }
    let words: Vec<String> = EXACT.with(|a| {
        let mut a = a.borrow_mut();
        a.as_mut()
            .map(|a| analysis::analyze_with(a, body).into_iter().map(|t| t.term).collect())
            .unwrap_or_default()
    });
    if words.len() < SHINGLE + MIN_SHINGLES - 1 {
        return None;
    }
    let mut votes = [0i32; 64];
    let mut buf = String::new();
    for w in words.windows(SHINGLE) {
        buf.clear();
        for (i, word) in w.iter().enumerate() {
            if i > 0 {
                buf.push(' ');
            }
            buf.push_str(word);
        }
        let h = xxhash_rust::xxh3::xxh3_64(buf.as_bytes());
        for (bit, vote) in votes.iter_mut().enumerate() {
            *vote += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    Some(votes.iter().enumerate().fold(0u64, |acc, (bit, v)| acc | (u64::from(*v > 0) << bit)))
}

/// The number of bits in which two fingerprints differ.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The European Commission proposed on Wednesday a set of rules for \
        artificial intelligence systems deemed high risk, including facial recognition in \
        public spaces, credit scoring and hiring software, with fines of up to six percent \
        of global turnover for companies that break them.";

    #[test]
    fn copies_are_close_and_other_stories_far() {
        let a = fingerprint(STORY).unwrap();
        // A syndicated copy: an outlet's dateline and one changed word.
        let copy = format!("BRUSSELS (Wire) - {}", STORY.replace("six", "6"));
        let b = fingerprint(&copy).unwrap();
        assert!(hamming(a, b) <= 10, "{}", hamming(a, b));
        let other = "Morocco's central bank kept its benchmark rate unchanged at three percent \
            on Tuesday, saying inflation had eased and growth would pick up next year as the \
            harvest recovers after two years of drought across the country's farming regions.";
        let c = fingerprint(other).unwrap();
        assert!(hamming(a, c) >= 20, "{}", hamming(a, c));
    }

    #[test]
    fn case_accents_and_stop_words_do_not_matter() {
        let upper = STORY.to_uppercase();
        assert_eq!(fingerprint(STORY), fingerprint(&upper));
    }

    #[test]
    fn deterministic_and_pinned() {
        // The fingerprint is stored in indexes: a change to it needs a schema version bump.
        assert_eq!(fingerprint(STORY), fingerprint(STORY));
        assert_eq!(fingerprint(STORY), Some(4_758_134_603_365_603_098));
        assert_eq!(fingerprint(""), None);
        assert_eq!(fingerprint("one two three four five six seven"), None);
    }
}
