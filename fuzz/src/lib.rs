//! Shared helpers of Gazette's fuzz targets: reading fuzzer bytes as an input file of a given
//! format, and the invariants every target checks on what comes back.

use std::path::Path;
use std::sync::OnceLock;

use gazette::ingest::{read_paths, Parsed};
use gazette::passage::{split_passages, PassageOptions};
use gazette::{Article, Highlight};

/// A scratch folder kept for the life of the fuzzing process (in RAM when /dev/shm exists).
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
        dir.expect("scratch dir")
    })
    .path()
}

/// Writes `bytes` to a file named `name` (its extension picks the format and compression, as
/// for any user file) and reads it through the same path `gazette index` uses; checks the
/// invariants of every article read.
pub fn ingest_as(name: &str, bytes: &[u8]) -> Parsed {
    // libFuzzer's panic hook aborts on every panic, caught or not: let through those Gazette
    // contains (html2text's, in the HTML renderer), so that such a page is no crash.
    gazette::ingest::html::quiet_contained_panics();
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("write scratch file");
    let parsed = read_paths(&[path]);
    for article in &parsed.articles {
        check_article(article);
    }
    for problem in &parsed.problems {
        // Every problem names the file it is about.
        assert!(problem.path.ends_with(name), "problem about another file: {problem}");
    }
    parsed
}

/// What every article coming out of ingest must satisfy, whatever its input.
pub fn check_article(a: &Article) {
    assert!(!a.id.as_str().is_empty(), "empty id");
    assert!(!a.body.contains('\r'), "body keeps a carriage return");
    assert!(!a.title.contains('\n'), "title spans lines: {:?}", a.title);
    if let Some(lang) = &a.lang {
        assert!(!lang.is_empty() && lang.len() <= 8, "odd language code {lang:?}");
    }
    check_passages(&a.body, &PassageOptions::default());
}

/// The passage invariants: ordered, trimmed, on char boundaries, at most `max_words` words,
/// and together holding every non-space character of `text`.
pub fn check_passages(text: &str, opts: &PassageOptions) {
    let ranges = split_passages(text, opts);
    let mut last_end = 0;
    let mut kept = 0;
    for r in &ranges {
        assert!(r.start >= last_end && r.start < r.end && r.end <= text.len(), "{ranges:?}");
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end), "{r:?}");
        let p = &text[r.clone()];
        assert_eq!(p.trim(), p, "passage not trimmed");
        assert!(p.split_whitespace().count() <= opts.max_words.max(1), "passage too long");
        kept += p.chars().filter(|c| !c.is_whitespace()).count();
        last_end = r.end;
    }
    assert_eq!(kept, text.chars().filter(|c| !c.is_whitespace()).count(), "text lost");
}

/// The highlight invariants: sorted, non-overlapping, non-empty, inside `text` and on char
/// boundaries.
pub fn check_highlights(text: &str, highlights: impl IntoIterator<Item = Highlight>) {
    let mut last = 0;
    for h in highlights {
        assert!(h.start >= last && h.start < h.end && h.end <= text.len(), "{h:?} in {text:?}");
        assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end), "{h:?}");
        last = h.end;
    }
}
