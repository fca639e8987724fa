//! Sentence and passage splitting on any text, with any bounds: ordered, trimmed, on char
//! boundaries, within the word limit, and nothing lost.
#![no_main]

use gazette::passage::{paragraphs, sentences, PassageOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&bounds, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let min_words = usize::from(bounds & 0x0f) * 4;
    let max_words = usize::from(bounds >> 4) * 8 + min_words;
    gazette_fuzz::check_passages(&text, &PassageOptions { min_words, max_words });
    gazette_fuzz::check_passages(&text, &PassageOptions::default());
    for p in paragraphs(&text) {
        assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
        let mut last = p.start;
        for s in sentences(&text, p.clone()) {
            assert!(s.start >= last && s.start < s.end && s.end <= p.end, "{s:?} in {p:?}");
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            last = s.end;
        }
    }
});
