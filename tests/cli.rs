//! The `gazette` binary: exit codes, JSON schema, colors, first-run indexing.

use std::path::Path;
use std::sync::OnceLock;

use assert_cmd::Command;
use predicates::prelude::*;
use serde::Deserialize;

use crate::util::corpus;

/// An index built by the CLI itself, once.
fn cli_index() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        gazette()
            .args(["--index"])
            .arg(dir.path().join("idx"))
            .arg("index")
            .arg(corpus())
            .assert()
            .success()
            .stderr(predicate::str::contains("indexed 48 articles"));
        dir
    })
    .path()
}

fn gazette() -> Command {
    let mut cmd = Command::cargo_bin("gazette").unwrap();
    cmd.env_remove("NO_COLOR")
        .env_remove("GAZETTE_INDEX")
        .env_remove("RUST_LOG")
        .env_remove("GAZETTE_BIDI");
    cmd
}

/// The binary with `--index DIR`.
fn at(idx: &Path) -> Command {
    let mut cmd = gazette();
    cmd.arg("--index").arg(idx);
    cmd
}

fn search(args: &[&str]) -> Command {
    let mut cmd = at(&cli_index().join("idx"));
    cmd.arg("search").args(args);
    cmd
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Results {
    query: String,
    total_hits: usize,
    took_ms: f64,
    hits: Vec<Hit>,
    /// Always in `--json` (issue 6).
    facets: Facets,
    #[serde(default)]
    did_you_mean: Option<String>,
    #[serde(default)]
    fuzzy: Vec<FuzzyTerm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Facets {
    source: Vec<FacetCount>,
    lang: Vec<FacetCount>,
    month: Vec<FacetCount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FacetCount {
    value: String,
    count: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FuzzyTerm {
    term: String,
    matches: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Duplicate {
    id: String,
    title: String,
    source: Option<String>,
    date: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Hit {
    id: String,
    title: String,
    source: Option<String>,
    date: Option<String>,
    url: Option<String>,
    path: Option<String>,
    lang: Option<String>,
    score: f32,
    passages: Vec<Passage>,
    also_in: Vec<Duplicate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Passage {
    text: String,
    score: f32,
    highlights: Vec<Range>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Range {
    start: usize,
    end: usize,
}

#[test]
fn exit_codes() {
    search(&["OpenAI", "Morocco"]).assert().code(0);
    search(&["zzzyyyxxx"]).assert().code(1).stdout(predicate::str::contains("No articles match"));
    search(&["nosuchfield:x"]).assert().code(2).stderr(predicate::str::contains("unknown field"));
    search(&["x", "--since", "someday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid date"));
    gazette().args(["--index", "/nonexistent/gazette-idx", "search", "x"]).assert().code(2).stderr(
        predicate::str::contains("no index at /nonexistent/gazette-idx; run `gazette index` first"),
    );
}

/// Regression (issue 9): the library's errors say their cause ("PATH: Not a directory (os
/// error 20)"), and `{:#}` printed it a second time after them.
#[test]
fn an_error_prints_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = gazette()
        .arg("--index")
        .arg(file.join("idx"))
        .args(["index", corpus().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(file.join("idx").to_str().unwrap()), "{err}");
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
}

#[test]
fn json_output_follows_the_documented_schema() {
    let out =
        search(&["Mistral", "--json", "--limit", "3"]).assert().code(0).get_output().stdout.clone();
    let results: Results = serde_json::from_slice(&out).unwrap();
    assert_eq!(results.query, "Mistral");
    assert!(results.total_hits >= 3 && results.hits.len() == 3 && results.took_ms >= 0.0);
    for hit in &results.hits {
        assert!(hit.score > 0.0 && !hit.passages.is_empty());
        for p in &hit.passages {
            assert!(p.score > 0.0);
            for r in &p.highlights {
                assert!(
                    p.text.is_char_boundary(r.start)
                        && p.text.is_char_boundary(r.end)
                        && r.start < r.end
                );
            }
        }
    }
    assert!(results.hits[0].passages[0]
        .highlights
        .iter()
        .any(|r| &results.hits[0].passages[0].text[r.start..r.end] == "Mistral"));
    let langs: u64 = results.facets.lang.iter().map(|c| c.count).sum();
    assert_eq!(langs, results.total_hits as u64);
    assert!(!results.facets.source.is_empty() && !results.facets.month.is_empty());
    assert!(results.did_you_mean.is_none() && results.fuzzy.is_empty());
}

#[test]
fn typo_tolerance_on_the_command_line() {
    // The suggestion goes to stderr for a person, into the JSON for a machine.
    search(&["Mistrall"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("**Mistral**"))
        .stderr(predicate::str::contains("did you mean \"Mistral\"?"));
    let out = search(&["Mistrall", "--json"]).assert().code(0).get_output().clone();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let results: Results = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.did_you_mean.as_deref(), Some("Mistral"));
    assert_eq!(results.fuzzy[0].term, "Mistrall");
    assert_eq!(results.fuzzy[0].matches[0], "mistral");
    search(&["Mistarl", "--no-fuzzy"]).assert().code(1);
    search(&["Mistarl"]).assert().code(0);
}

#[test]
fn sort_recent_and_facets_options() {
    let out = search(&["AI", "--sort", "date", "--json", "-n", "20"]).assert().code(0);
    let results: Results = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let dates: Vec<&str> = results.hits.iter().filter_map(|h| h.date.as_deref()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    search(&["AI", "--sort", "size"]).assert().code(2);
    search(&["AI", "--recent", "30d"]).assert().code(0);
    search(&["AI", "--recent", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid half-life"));
    search(&["Mistral", "--facets"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("languages: en").and(predicate::str::contains("months:")));
    search(&["Mistral"]).assert().code(0).stdout(predicate::str::contains("languages:").not());
    search(&["Mistral", "--no-collapse"]).assert().code(0);
}

#[test]
fn similar_command() {
    let id =
        "https://maghreb-tech-wire.example/2025/09/12/mistral-ai-memorandum-digital-transition";
    let out = at(&cli_index().join("idx"))
        .args(["similar", id, "--json", "-n", "3"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let results: Results = serde_json::from_slice(&out).unwrap();
    assert_eq!(results.hits.len(), 3);
    assert!(results.hits.iter().all(|h| h.id != id));
    at(&cli_index().join("idx"))
        .args(["similar", id])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Mistral"));
    at(&cli_index().join("idx"))
        .args(["similar", "no-such-article"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no article with id \"no-such-article\""));
}

#[test]
fn bidi_visual_wraps_and_reorders_arabic() {
    let out =
        search(&["المغرب", "--bidi", "visual", "--width", "50", "-n", "1"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let passage_lines: Vec<&str> =
        text.lines().filter(|l| l.starts_with("   > ") || l.starts_with("     ")).collect();
    assert!(passage_lines.len() > 2, "passages are wrapped: {text}");
    assert!(text.contains('\u{FE8D}'), "shaped (presentation forms): {text}");
    // The same through the environment; logical order (the default) is one line per passage.
    let env =
        search(&["المغرب", "--width", "50", "-n", "1"]).env("GAZETTE_BIDI", "visual").assert();
    assert_eq!(env.get_output().stdout, out.get_output().stdout);
    let logical = search(&["المغرب", "-n", "1"]).assert().success();
    let logical = String::from_utf8(logical.get_output().stdout.clone()).unwrap();
    assert!(!logical.contains('\u{FE8D}') && logical.contains("المغرب"), "{logical}");
    search(&["المغرب", "--bidi", "sideways"]).assert().code(2);
}

#[test]
fn colors_follow_the_terminal_and_no_color() {
    // Piped: plain markers, no escapes.
    search(&["Mistral"]).assert().code(0).stdout(
        predicate::str::contains("**Mistral**").and(predicate::str::contains("\u{1b}[").not()),
    );
    search(&["Mistral", "--color", "always"]).assert().stdout(predicate::str::contains("\u{1b}["));
    search(&["Mistral", "--color", "never"])
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn first_search_builds_the_index_from_corpus() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&corpus(), &dir.path().join("corpus"));
    gazette()
        .current_dir(dir.path())
        .args(["search", "OpenAI Morocco", "--limit", "1"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("building index from corpus/"))
        .stdout(predicate::str::contains("1. Morocco and OpenAI open talks"));
    assert!(dir.path().join("index/meta.json").exists());
    // Second run: no rebuild.
    gazette()
        .current_dir(dir.path())
        .args(["search", "Mistral"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("building").not());
}

/// Regression (issue 9): html2text panics on some tables; the library contains the panic and
/// falls back to the page's block text, but the default panic hook printed it, with a
/// backtrace, as if `gazette index` had crashed. Now only the warning shows.
#[test]
fn a_contained_html2text_panic_prints_only_a_warning() {
    let page = b"<title>Spans</title><table><TD><TD COLSPAN=2 ROWSPAN=2>";
    let data = crate::util::temp_tree(&[("spans.html", page)]);
    let idx = tempfile::tempdir().unwrap();
    let mut cmd = at(&idx.path().join("i"));
    cmd.env("RUST_BACKTRACE", "1").arg("index").arg(data.path()).assert().code(0).stderr(
        predicate::str::contains("spans.html: html2text failed on this page")
            .and(predicate::str::contains("indexed 1 articles"))
            .and(predicate::str::contains("panicked").not())
            .and(predicate::str::contains("backtrace").not()),
    );
}

#[test]
fn index_reports_problems_and_strict_fails() {
    let data = crate::util::temp_tree(&[("ok.txt", b"Title\n\nBody."), ("bad.jsonl", b"{\n")]);
    let idx = tempfile::tempdir().unwrap();
    gazette()
        .arg("--index")
        .arg(idx.path().join("i"))
        .arg("index")
        .arg(data.path())
        .assert()
        .code(0)
        .stderr(
            predicate::str::contains("bad.jsonl:1: invalid JSON")
                .and(predicate::str::contains("1 skipped")),
        );
    gazette()
        .arg("--index")
        .arg(idx.path().join("j"))
        .args(["index", "--strict"])
        .arg(data.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("strict mode"));
}

#[test]
fn extract_prints_what_would_be_indexed() {
    let out = gazette()
        .args(["extract", "--json"])
        .arg(corpus().join("html/maroc-mistral-ai-protocole-accord-ia.html"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["lang"], "fr");
    assert!(v["title"].as_str().unwrap().contains("Mistral"));
    assert!(v["body"].as_str().unwrap().contains("\n\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn add_and_remove_single_articles() {
    let idx = tempfile::tempdir().unwrap();
    let idx = idx.path().join("i");
    let lines = "{\"id\":\"n1\",\"title\":\"Pushed one\",\"body\":\"zebra crossing\",\"url\":\"https://x.example/n1\"}\n{\"id\":\"n2\",\"title\":\"Pushed two\",\"body\":\"zebra herd\"}\n";
    at(&idx)
        .args(["add", "-"])
        .write_stdin(lines)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("added 2"));
    at(&idx)
        .args(["add", "-"])
        .write_stdin(lines)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("added 0, updated 0, unchanged 2"));
    at(&idx)
        .arg("add")
        .arg(corpus().join("txt/undersea-cables-africa-connectivity.txt"))
        .assert()
        .code(0);
    at(&idx).args(["search", "zebra"]).assert().code(0).stdout(predicate::str::contains("2 of 2"));
    at(&idx).args(["remove", "n2"]).assert().code(0).stderr(predicate::str::contains("removed 1"));
    at(&idx).args(["remove", "--url", "https://x.example/n1"]).assert().code(0);
    at(&idx).args(["search", "zebra"]).assert().code(1);
    at(&idx)
        .args(["remove", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no article \"nope\""));
    let out = at(&idx).args(["status", "--json"]).assert().code(0).get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["articles"], 1);
    for key in [
        "passages",
        "sources",
        "languages",
        "date_range",
        "size_bytes",
        "last_commit",
        "schema_version",
    ] {
        assert!(v.get(key).is_some(), "status has {key}: {v}");
    }
}

/// `gazette eval` on the docs.jsonl, queries.jsonl and qrels.tsv of `dir`.
fn eval_in(dir: &Path) -> Command {
    let mut cmd = gazette();
    cmd.arg("eval");
    for (flag, file) in
        [("--docs", "docs.jsonl"), ("--queries", "queries.jsonl"), ("--qrels", "qrels.tsv")]
    {
        cmd.arg(flag).arg(dir.join(file));
    }
    cmd
}

/// `gazette eval` on a collection small enough to check by hand: three documents, two
/// judged queries (one whose only relevant document matches none of its words).
#[test]
fn eval_prints_the_measures_and_writes_the_run() {
    let dir = crate::util::temp_tree(&[
        (
            "docs.jsonl",
            br#"{"id": "d1", "title": "Mistral memorandum", "body": "Morocco signed a memorandum with Mistral AI on artificial intelligence."}
{"id": "d2", "title": "OpenAI talks", "body": "Moroccan officials met OpenAI in New York during the General Assembly."}
{"id": "d3", "title": "Data law", "body": "Law 09-08 protects personal data; the CNDP supervises it."}
"#,
        ),
        ("queries.jsonl", b"{\"id\": \"1\", \"text\": \"Mistral memorandum?\"}\n{\"id\": \"2\", \"text\": \"weather (rain)\"}\n"),
        ("qrels.tsv", b"1\td1\t2\n1\td2\t0\n2\td3\t1\n"),
    ]);
    let p = |f: &str| dir.path().join(f);
    let out = eval_in(dir.path())
        .arg("--run-out")
        .arg(p("run.txt"))
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let m: serde_json::Value = serde_json::from_slice(&out).unwrap();
    // Query 1 finds d1 first: AP 1, nDCG 1, P@10 0.1, R@100 1. Query 2 finds nothing: 0.
    assert_eq!(m["queries"], 2);
    assert_eq!(m["map"], 0.5);
    assert_eq!(m["ndcg@10"], 0.5);
    assert_eq!(m["p@10"], 0.05);
    assert_eq!(m["recall@100"], 0.5);
    let run = std::fs::read_to_string(p("run.txt")).unwrap();
    assert!(run.starts_with("1 Q0 d1 1 "), "{run}");
    assert!(run.trim_end().ends_with(" gazette"), "{run}");
}

#[test]
fn eval_names_the_bad_line_of_a_qrels_file() {
    let dir = crate::util::temp_tree(&[
        ("docs.jsonl", b"{\"id\": \"d1\", \"title\": \"t\", \"body\": \"some text\"}\n"),
        ("queries.jsonl", b"{\"id\": \"1\", \"text\": \"text\"}\n"),
        ("qrels.tsv", b"1\td1\t1\n1\td1\thigh\n"),
    ]);
    eval_in(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("qrels.tsv:2: grade \"high\" is not a number"));
}
