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

/// Byte `b` spread over a word, bit `i` of `b` to the lowest bit of byte `i`.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 8 {
            if b >> i & 1 == 1 {
                table[b] |= 1 << (8 * i);
            }
            i += 1;
        }
        b += 1;
    }
    table
};

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
    // The words, joined by single spaces into one buffer, and where each starts: a shingle
    // is then a slice of the buffer, hashed in place (no string per word or per shingle).
    let mut words = String::with_capacity(body.len());
    let mut starts: Vec<usize> = Vec::new();
    EXACT.with(|a| {
        if let Some(a) = a.borrow_mut().as_mut() {
            let mut stream = a.token_stream(body);
            while stream.advance() {
                if !starts.is_empty() {
                    words.push(' ');
                }
                starts.push(words.len());
                words.push_str(&stream.token().text);
            }
        }
    });
    let n = starts.len();
    if n < SHINGLE + MIN_SHINGLES - 1 {
        return None;
    }
    // Each bit is voted for by the shingles whose hash has it set, against by the others:
    // count the set bits. Eight counters a byte wide in each of eight words (bit 8j+i in
    // byte i of word j), one table look-up and one add per byte of a hash, carried into
    // `ones` before a byte can overflow.
    let mut ones = [0u32; 64];
    let mut lanes = [0u64; 8];
    let carry = |lanes: &mut [u64; 8], ones: &mut [u32; 64]| {
        for (j, lane) in lanes.iter_mut().enumerate() {
            for (i, count) in ones[8 * j..8 * j + 8].iter_mut().enumerate() {
                *count += (*lane >> (8 * i) & 0xFF) as u32;
            }
            *lane = 0;
        }
    };
    for (i, &start) in starts[..=n - SHINGLE].iter().enumerate() {
        let end = starts.get(i + SHINGLE).map_or(words.len(), |next| next - 1);
        let h = xxhash_rust::xxh3::xxh3_64(&words.as_bytes()[start..end]);
        for (j, lane) in lanes.iter_mut().enumerate() {
            *lane += SPREAD[(h >> (8 * j) & 0xFF) as usize];
        }
        if (i + 1) % 255 == 0 {
            carry(&mut lanes, &mut ones);
        }
    }
    carry(&mut lanes, &mut ones);
    let shingles = (n - SHINGLE + 1) as u32;
    Some(
        ones.iter()
            .enumerate()
            .fold(0u64, |acc, (bit, &k)| acc | (u64::from(2 * k > shingles) << bit)),
    )
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

    /// The fingerprint as first written (a string per word and per shingle, votes counted
    /// one by one): the faster one must give the same value, as indexes store it.
    fn reference(body: &str) -> Option<u64> {
        let mut a = analysis::analyzer_for(Profile::Standard, analysis::EXACT)?;
        let words: Vec<String> =
            analysis::analyze_with(&mut a, body).into_iter().map(|t| t.term).collect();
        if words.len() < SHINGLE + MIN_SHINGLES - 1 {
            return None;
        }
        let mut votes = [0i32; 64];
        for w in words.windows(SHINGLE) {
            let h = xxhash_rust::xxh3::xxh3_64(w.join(" ").as_bytes());
            for (bit, vote) in votes.iter_mut().enumerate() {
                *vote += if h >> bit & 1 == 1 { 1 } else { -1 };
            }
        }
        Some(votes.iter().enumerate().fold(0u64, |acc, (bit, v)| acc | (u64::from(*v > 0) << bit)))
    }

    #[test]
    fn same_as_the_reference_on_the_sample_corpus() {
        let mut checked = 0;
        let dirs = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")).unwrap();
        for dir in dirs.flatten() {
            for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
                let Ok(text) = std::fs::read_to_string(file.path()) else { continue };
                for part in std::iter::once(text.as_str()).chain(text.lines()) {
                    assert_eq!(fingerprint(part), reference(part), "{}", file.path().display());
                    checked += usize::from(reference(part).is_some());
                }
            }
        }
        assert!(checked > 100, "{checked}");
        // Past 255 shingles the byte-wide counters are carried: a body of thousands of words.
        let long: String = (0..5000).map(|i| format!("w{} ", i * 7919 % 1009)).collect();
        assert_eq!(fingerprint(&long), reference(&long));
    }

    proptest::proptest! {
        #[test]
        fn same_as_the_reference(words in proptest::collection::vec(
            "[a-zA-Zéè]{1,8}|[0-9]{1,3}|the|of|L'État|المغرب|و?ال[ء-ي]{2,5}|[ .,;'\n-]{1,3}", 0..40)) {
            let body = words.join(" ");
            proptest::prop_assert_eq!(fingerprint(&body), reference(&body));
        }
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
