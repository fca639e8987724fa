//! Highlighting any passage for any query words, phrases and prefixes, in each language:
//! ranges sorted, non-overlapping, inside the passage and on char boundaries.
#![no_main]

use gazette::analysis::{Lang, Profile};
use gazette::search::highlight::{Highlighter, TermGroup};
use gazette::Highlight;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: flags byte, query text, a 0xFF separator, passage text.
    let Some((&flags, rest)) = data.split_first() else { return };
    let (query, text) = match rest.iter().position(|b| *b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b"Morocco signed the data protection deal with Mistral."[..]),
    };
    let query = String::from_utf8_lossy(query);
    let text = String::from_utf8_lossy(text);
    let groups: Vec<TermGroup> = query
        .split('|')
        .enumerate()
        .map(|(i, part)| TermGroup {
            text: part.to_string(),
            phrase: flags & (1 << (i % 4)) != 0,
            prefix: flags & (1 << (4 + i % 3)) != 0,
        })
        .collect();
    let profile = if flags & 0x80 != 0 { Profile::Plain } else { Profile::Standard };
    let highlighter = Highlighter::new(profile, &groups);
    for lang in [Lang::En, Lang::Fr, Lang::Ar, Lang::Other] {
        let ranges = highlighter.ranges(&text, lang);
        gazette_fuzz::check_highlights(
            &text,
            ranges.into_iter().map(|r| Highlight { start: r.start, end: r.end }),
        );
    }
});
