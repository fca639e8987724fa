//! Ingest: every format of the shipped corpus, and every kind of bad input.

use std::collections::BTreeMap;

use gazette::ingest::{discover, read_paths};
use gazette::Format;

use crate::util::{corpus, temp_tree};

#[test]
fn corpus_reads_every_format_cleanly() {
    let parsed = read_paths(&[corpus()]);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let mut by_format: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_lang: BTreeMap<String, usize> = BTreeMap::new();
    for a in &parsed.articles {
        *by_format.entry(a.format.name()).or_default() += 1;
        *by_lang.entry(a.lang.clone().unwrap_or_default()).or_default() += 1;
        assert!(!a.title.is_empty(), "{} has a title", a.id);
        assert!(a.body.split_whitespace().count() > 100, "{} has a body", a.id);
        assert!(a.published.is_some() || a.format == Format::Text, "{} has a date", a.id);
        assert!(a.source.is_some() || a.format == Format::Text, "{} has a source", a.id);
    }
    assert!(parsed.articles.len() >= 40);
    for format in ["html", "text", "markdown", "json", "jsonl"] {
        assert!(by_format.get(format).copied().unwrap_or(0) >= 2, "{format}: {by_format:?}");
    }
    assert!(by_lang["fr"] >= 8 && by_lang["ar"] >= 8, "{by_lang:?}");
    // Ids are unique, and the README is not an article.
    let mut ids: Vec<_> = parsed.articles.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), parsed.articles.len());
    assert!(parsed.articles.iter().all(|a| !a.path.as_ref().unwrap().ends_with("README.md")));
}

#[test]
fn html_metadata_from_the_page() {
    let parsed = read_paths(&[corpus().join("html/openai-morocco-talks-unga80.html")]);
    let a = &parsed.articles[0];
    assert_eq!(
        a.title,
        "Morocco and OpenAI open talks on AI cooperation at the UN General Assembly"
    );
    assert_eq!(a.source.as_deref(), Some("Rabat Policy Review"));
    assert_eq!(a.lang.as_deref(), Some("en"));
    assert_eq!(
        a.url.as_deref(),
        Some("https://rabat-policy-review.example/2025/09/25/openai-morocco-talks")
    );
    assert_eq!(gazette::ingest::format_day(a.published.unwrap()), "2025-09-25");
    // Navigation and sidebars are not part of the article.
    assert!(!a.body.contains("Most read"), "{}", a.body);
}

#[test]
fn compressed_files_stream_like_plain_ones() {
    let parsed = read_paths(&[corpus().join("compressed")]);
    assert!(parsed.problems.is_empty());
    assert_eq!(parsed.articles.len(), 7);
    assert!(parsed.articles.iter().all(|a| a.format == Format::JsonLines));
}

#[test]
fn discover_skips_hidden_readme_and_unknown_files() {
    let dir = temp_tree(&[
        ("a.txt", b"Title\n\nBody."),
        (".hidden/b.txt", b"T\n\nB"),
        (".c.txt", b"T\n\nB"),
        ("README.md", b"# readme"),
        ("logo.png", b"\x89PNG"),
        ("sub/d.html", b"<p>x</p>"),
        ("sub/e.jsonl.gz", b""),
    ]);
    let (files, problems) = discover(&[dir.path().to_path_buf()]);
    let rels: Vec<_> = files.iter().map(|f| f.rel.as_str()).collect();
    assert_eq!(rels, ["a.txt", "sub/d.html", "sub/e.jsonl.gz"]);
    assert!(problems.is_empty());
}

#[test]
fn bad_input_is_reported_with_file_line_and_reason() {
    let dir = temp_tree(&[
        ("good.txt", b"Good title\n\nGood body about Morocco."),
        ("binary.txt", b"\x7fELF\x00\x00\x00binary"),
        ("latin1.txt", b"Caf\xe9 title\n\nBody with an invalid byte."),
        ("broken.jsonl", b"{\"title\":\"ok\",\"body\":\"one\"}\n{\"title\": \n{\"title\":\"t\",\"date\":\"not a date\"}\n"),
        ("bad.json", b"{\"title\": [1, 2"),
        ("empty.json", b"{\"url\": \"https://x.example/\"}"),
        ("broken.html", b"<html><body><h1>Unclosed <p>text <b>bold <div></span>"),
        ("bad.jsonl.gz", b"not gzip at all"),
    ]);
    let link = dir.path().join("dangling.txt");
    std::os::unix::fs::symlink(dir.path().join("missing-target"), &link).unwrap();
    let parsed = read_paths(&[dir.path().to_path_buf(), dir.path().join("nope.txt")]);
    let report: Vec<String> = parsed
        .problems
        .iter()
        .map(|p| {
            let name = p.path.file_name().unwrap().to_string_lossy().into_owned();
            format!(
                "{name}:{} skipped={}",
                p.line.map(|l| l.to_string()).unwrap_or_default(),
                p.skipped
            )
        })
        .collect();
    for expected in [
        "nope.txt: skipped=true",
        "binary.txt: skipped=true",
        "latin1.txt:1 skipped=false",
        "broken.jsonl:2 skipped=true",
        "broken.jsonl:3 skipped=false",
        "bad.json:1 skipped=true",
        "empty.json: skipped=true",
        "bad.jsonl.gz:1 skipped=true",
    ] {
        assert!(report.contains(&expected.to_string()), "{expected} not in {report:#?}");
    }
    assert!(parsed.problems.iter().any(|p| p.path.ends_with("dangling.txt")), "{report:#?}");
    let titles: Vec<_> = parsed.articles.iter().map(|a| a.title.as_str()).collect();
    for t in ["Good title", "Caf\u{fffd} title", "ok", "t", "Unclosed text bold"] {
        assert!(titles.contains(&t), "{t} not in {titles:?}");
    }
    let msg =
        parsed.problems.iter().find(|p| p.path.ends_with("broken.jsonl")).unwrap().to_string();
    assert!(msg.contains("broken.jsonl:2: invalid JSON"), "{msg}");
}

#[test]
fn html_charsets_are_honoured() {
    let dir = temp_tree(&[
        ("w1252.html", b"<html lang=fr><head><meta charset=windows-1252><title>Donn\xe9es</title></head><body><p>R\xe9gulation des donn\xe9es</p></body></html>"),
        ("bom.html", b"\xef\xbb\xbf<html><head><title>\xc3\xa9t\xc3\xa9</title></head><body><p>x</p></body></html>"),
        // ISO-8859-1 is read as windows-1252, as browsers do: 0x92 is a right quote.
        ("latin1.html", b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><title>L\x92\xe9t\xe9</title></head><body><p>x</p></body></html>"),
        ("arabic.html", b"<html><head><meta charset=\"iso-8859-6\"><title>\xc7\xe4\xe5\xda\xd1\xc8</title></head><body><p>\xc7\xe4\xe5\xda\xd1\xc8</p></body></html>"),
    ]);
    let parsed = read_paths(&[dir.path().to_path_buf()]);
    let titles: Vec<_> = parsed.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["المغرب", "été", "L’été", "Données"]);
    assert!(parsed.articles[3].body.contains("Régulation des données"));
    assert_eq!(parsed.articles[0].body, "المغرب");
}

/// html2text 0.17 panics on some real pages (its table colspan handling); the page must be
/// indexed and the run go on. Since issue 5 the page's article is found by content scoring
/// and html2text is not called on it; the panic itself is checked by the unit test
/// `ingest::html::tests::html2text_panic_is_contained`. Uses a page of
/// ../shared/corpora/html-l3s-gn1, and is skipped when ../shared is absent.
/// See: issue 2.
#[test]
fn issue_2_html2text_panic_is_contained() {
    let Some(shared) = crate::util::repo_shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let archive = shared.join("corpora/html-l3s-gn1/pages.tar.zst");
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "zstd -dc '{}' | tar -x -C '{}' c92a8490-998d-4083-b68a-1be94ddc8293.html",
            archive.display(),
            dir.path().display()
        ))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipped: zstd or tar unavailable");
        return;
    }
    let parsed = read_paths(&[dir.path().join("c92a8490-998d-4083-b68a-1be94ddc8293.html")]);
    assert_eq!(parsed.articles.len(), 1);
    assert!(parsed.articles[0].body.split_whitespace().count() > 100);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
}

#[test]
fn html_pages_without_an_article_or_too_large_are_reported() {
    let mut huge = b"<html><body><p>".to_vec();
    huge.resize(gazette::ingest::html::MAX_HTML_BYTES + 10, b'a');
    let dir = temp_tree(&[
        ("links.html", b"<html><body><div><a href=\"/a\">Home</a> <a href=\"/b\">About us</a></div></body></html>"),
        ("huge.html", &huge),
    ]);
    let parsed = read_paths(&[dir.path().to_path_buf()]);
    assert_eq!(parsed.articles.len(), 1, "the page without an article is indexed");
    assert!(parsed.articles[0].body.contains("About us"));
    let messages: Vec<String> = parsed.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("huge.html") && messages[0].contains("larger than the 16 MiB limit")
    );
    assert!(parsed.problems[0].skipped);
    assert!(messages[1].contains("links.html") && messages[1].contains("no article found"));
    assert!(!parsed.problems[1].skipped);
}

/// Regression (issue 9, fuzzing): a `lang` that is not a language tag is ignored and the
/// language detected from the text, in every format that declares one.
#[test]
fn a_garbled_declared_language_falls_back_to_detection() {
    let body = "Morocco signed a memorandum with Mistral AI on the digital transition, \
                covering data centres, training and public services in the coming years.";
    let json = format!(r#"{{"id": "j", "title": "T", "lang": "اعتمدت", "text": "{body}"}}"#);
    let md = format!("---\ntitle: T\nlang: \"f\u{FFFD}\u{FFFD}\u{FFFD}\"\n---\n{body}\n");
    let html = format!(
        "<html lang=\"und\"><head><title>T</title></head><body><p>{body}</p></body></html>"
    );
    let dir = temp_tree(&[
        ("a.json", json.as_bytes()),
        ("b.md", md.as_bytes()),
        ("c.html", html.as_bytes()),
    ]);
    let parsed = read_paths(&[dir.path().to_path_buf()]);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.articles.len(), 3);
    for a in &parsed.articles {
        assert_eq!(a.lang.as_deref(), Some("en"), "{:?}", a.path);
    }
}
