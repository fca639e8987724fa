//! Issue 6's features around the ranked list: typo tolerance, sort by date, recency,
//! facets, similar articles, and collapsing syndicated copies.

use gazette::render::{self, TextOptions};
use gazette::{Article, Error, NewsIndex, SearchRequest, SimilarRequest, Sort};
use time::macros::datetime;

use crate::util::corpus_index;

fn ids(results: &gazette::SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.id.as_str()).collect()
}

fn rendered(results: &gazette::SearchResults) -> String {
    let mut out = Vec::new();
    render::text(&mut out, results, TextOptions { color: false, ..Default::default() }).unwrap();
    String::from_utf8(out).unwrap().replace(env!("CARGO_MANIFEST_DIR"), "<repo>")
}

/// A small index of the given articles (English unless they say otherwise).
fn index_of(articles: &[Article]) -> (tempfile::TempDir, NewsIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = NewsIndex::create(&dir.path().join("idx")).unwrap();
    let mut updater = index.updater(50_000_000, 1).unwrap();
    for a in articles {
        let mut a = a.clone();
        a.lang.get_or_insert_with(|| "en".into());
        updater.upsert(&a).unwrap();
    }
    updater.commit().unwrap();
    updater.finish().unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn article(id: &str, source: &str, title: &str, body: &str) -> Article {
    let mut a = Article::new(id, title, body);
    a.source = Some(source.into());
    a
}

const WIRE: &str = "The central bank of Morocco left its benchmark interest rate unchanged at \
    2.75 percent on Tuesday, saying inflation had slowed to its lowest level in three years \
    while growth was expected to pick up as the harvest recovers. The bank's council said it \
    would keep watching food prices closely and stood ready to act if inflation rose again \
    above its target over the coming quarters. Economists polled before the meeting had \
    expected the decision, although a minority had forecast a cut of a quarter point to \
    support lending to small firms. The governor told reporters in Rabat that credit to \
    households had grown faster than expected in the fourth quarter, that the banking \
    system remained well capitalised, and that the dirham's band against the euro and the \
    dollar would not be widened this year. The next meeting of the council is scheduled \
    for June, when the bank will also publish new forecasts for growth, the budget deficit \
    and the current account, which widened last year as energy imports rose.";

// --- typo tolerance -------------------------------------------------------------------

#[test]
fn typo_finds_mistral_and_says_so() {
    let results = corpus_index().search(&SearchRequest::new("Mistrall")).unwrap();
    assert!(results.total_hits >= 4, "{}", results.total_hits);
    assert_eq!(results.did_you_mean.as_deref(), Some("Mistral"));
    assert_eq!(results.fuzzy.len(), 1);
    assert_eq!(results.fuzzy[0].term, "Mistrall");
    assert_eq!(results.fuzzy[0].matches.first().map(String::as_str), Some("mistral"));
    // The fuzzy-matched word is highlighted.
    let p = &results.hits[0].passages[0];
    let marked: Vec<&str> = p.highlights.iter().map(|h| &p.text[h.start..h.end]).collect();
    assert!(marked.iter().any(|w| w.eq_ignore_ascii_case("mistral")), "{marked:?}");
    insta::assert_snapshot!("typo_mistrall", rendered(&results));
    // The JSON carries the suggestion.
    let json = serde_json::to_value(&results).unwrap();
    assert_eq!(json["did_you_mean"], "Mistral");
    assert_eq!(json["fuzzy"][0]["matches"][0], "mistral");
}

#[test]
fn no_fuzzy_switches_it_off_and_common_words_are_not_fuzzed() {
    let mut req = SearchRequest::new("Mistrall");
    req.fuzzy = false;
    let results = corpus_index().search(&req).unwrap();
    // Only the English articles, whose stemmer happens to turn "mistrall" into "mistral".
    let fuzzy = corpus_index().search(&SearchRequest::new("Mistrall")).unwrap();
    assert!(results.total_hits < fuzzy.total_hits, "{}", results.total_hits);
    assert!(results.hits.iter().all(|h| h.lang.as_deref() == Some("en")));
    assert!(results.did_you_mean.is_none());
    // A transposition no chain rescues: nothing at all without typo tolerance.
    req.query = "Mistarl".into();
    assert_eq!(corpus_index().search(&req).unwrap().total_hits, 0);
    req.fuzzy = true;
    let found = corpus_index().search(&req).unwrap();
    assert_eq!(found.total_hits, fuzzy.total_hits);
    assert_eq!(found.did_you_mean.as_deref(), Some("Mistral"));
    let results = corpus_index().search(&SearchRequest::new("Mistral")).unwrap();
    assert!(results.did_you_mean.is_none() && results.fuzzy.is_empty());
    let json = serde_json::to_value(&results).unwrap();
    assert!(json.get("did_you_mean").is_none());
    // Short words are never fuzzed (4 characters: "Rabt" is not "Rabat").
    let results = corpus_index().search(&SearchRequest::new("Rabt")).unwrap();
    assert_eq!(results.total_hits, 0);
}

#[test]
fn two_edits_from_nine_characters() {
    // 12 characters, 2 deletions from "regulation".
    let results = corpus_index().search(&SearchRequest::new("regullattion")).unwrap();
    assert!(results.total_hits > 0, "2 edits away from regulation");
    assert_eq!(results.did_you_mean.as_deref(), Some("regulation"));
    // 8 characters, 2 edits from "mistral" (a transposition and an extra letter): 1 only.
    let results = corpus_index().search(&SearchRequest::new("Mitsrall")).unwrap();
    assert_eq!(results.total_hits, 0, "8 characters: 1 edit only");
}

#[test]
fn exact_matches_outrank_fuzzy_ones() {
    // One article has the rare word itself (a typo in the source), many have the common one,
    // and those score higher on their own (shorter, repeated).
    let mut articles = vec![article(
        "exact",
        "Typo Times",
        "A long report",
        &format!("{WIRE} The regulator also named Mistrall, a new supervisor."),
    )];
    for i in 0..6 {
        articles.push(article(
            &format!("fuzzy{i}"),
            "Other",
            "Mistral Mistral",
            "Mistral signs. Mistral grows. Mistral hires.",
        ));
    }
    let (_dir, index) = index_of(&articles);
    let results = index.search(&SearchRequest::new("mistrall")).unwrap();
    assert_eq!(results.hits[0].id.as_str(), "exact", "{:?}", ids(&results));
    assert_eq!(results.total_hits, 7);
    assert_eq!(results.did_you_mean.as_deref(), Some("mistral"));
    let fuzzy = &results.hits[1].passages[0];
    assert!(fuzzy.highlights.iter().any(|h| &fuzzy.text[h.start..h.end] == "Mistral"));
}

// --- sort, recency, facets ------------------------------------------------------------

#[test]
fn sort_by_date_newest_first_undated_last() {
    let mut req = SearchRequest::new("AI");
    req.limit = 100;
    req.sort = Sort::Date;
    let results = corpus_index().search(&req).unwrap();
    let dates: Vec<Option<&str>> = results.hits.iter().map(|h| h.date.as_deref()).collect();
    let dated: Vec<&str> = dates.iter().flatten().copied().collect();
    assert!(dated.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let first_undated = dates.iter().position(Option::is_none).unwrap_or(dates.len());
    assert!(dates[first_undated..].iter().all(Option::is_none), "{dates:?}");
    let relevance = corpus_index().search(&SearchRequest { sort: Sort::Relevance, ..req }).unwrap();
    assert_eq!(relevance.total_hits, results.total_hits);
    assert_ne!(ids(&relevance), ids(&results));
}

#[test]
fn recency_decays_scores_by_age() {
    let mut old = article("old", "A", "Rate decision", WIRE);
    old.published = Some(datetime!(2025-01-01 00:00 UTC));
    let mut new = article("new", "B", "Rate decision", &WIRE.replace("Tuesday", "Monday"));
    new.published = Some(datetime!(2025-03-02 00:00 UTC));
    let undated = article("undated", "C", "Rate decision", &WIRE.replace("Tuesday", "Friday"));
    let (_dir, index) = index_of(&[old, new, undated]);
    let mut req = SearchRequest::new("benchmark interest rate");
    req.collapse = false;
    let plain = index.search(&req).unwrap();
    req.recent = Some(time::Duration::days(30));
    req.now = Some(datetime!(2025-03-02 00:00 UTC));
    let recent = index.search(&req).unwrap();
    assert_eq!(ids(&recent), ["new", "undated", "old"]);
    let score = |r: &gazette::SearchResults, id: &str| {
        r.hits.iter().find(|h| h.id.as_str() == id).unwrap().score
    };
    // 60 days at a 30-day half-life: a quarter; undated: a half; today: unchanged.
    assert!((score(&recent, "old") / score(&plain, "old") - 0.25).abs() < 0.01);
    assert!((score(&recent, "undated") / score(&plain, "undated") - 0.5).abs() < 0.01);
    assert!((score(&recent, "new") / score(&plain, "new") - 1.0).abs() < 0.01);
}

#[test]
fn facets_in_the_terminal() {
    let mut req = SearchRequest::new("Mistral");
    req.facets = true;
    req.limit = 2;
    let results = corpus_index().search(&req).unwrap();
    let text = rendered(&results);
    assert!(text.contains("sources:"), "{text}");
    assert!(text.contains("languages: en"), "{text}");
    insta::assert_snapshot!("facets_mistral", text);
}

// --- collapse -------------------------------------------------------------------------

fn syndicated() -> Vec<Article> {
    let mut copy =
        article("wire-b", "Outlet B", "Central bank holds rates", &format!("RABAT - {WIRE}"));
    copy.published = Some(datetime!(2025-03-02 10:00 UTC));
    let mut original = article("wire-a", "Outlet A", "Morocco holds rates", WIRE);
    original.published = Some(datetime!(2025-03-02 09:00 UTC));
    let edited =
        article("wire-c", "Outlet C", "Rates unchanged", &format!("{WIRE} Reporting by Staff."));
    let other = article(
        "other",
        "Outlet A",
        "Inflation report",
        "Inflation in Morocco slowed in February, the statistics office said, as food prices \
         fell for a second month and the interest rate set by the central bank held steady, \
         giving households some relief after two difficult years of rising costs.",
    );
    vec![original, copy, edited, other]
}

#[test]
fn syndicated_copies_collapse_into_one_hit() {
    let (_dir, index) = index_of(&syndicated());
    let results = index.search(&SearchRequest::new("central bank interest rate")).unwrap();
    assert_eq!(results.total_hits, 2, "{:?}", ids(&results));
    let wire = results.hits.iter().find(|h| h.id.as_str().starts_with("wire")).unwrap();
    let mut copies: Vec<&str> = wire.also_in.iter().map(|c| c.id.as_str()).collect();
    copies.sort_unstable();
    let mut all: Vec<&str> = copies.iter().copied().chain([wire.id.as_str()]).collect();
    all.sort_unstable();
    assert_eq!(all, ["wire-a", "wire-b", "wire-c"]);
    let other = results.hits.iter().find(|h| h.id.as_str() == "other").unwrap();
    assert!(other.also_in.is_empty());
    let text = rendered(&results);
    assert!(text.contains("also in: Outlet"), "{text}");
    let json = serde_json::to_value(&results).unwrap();
    let hits = json["hits"].as_array().unwrap();
    let wire_json = hits.iter().find(|h| h["id"] == wire.id.as_str()).unwrap();
    assert_eq!(wire_json["also_in"].as_array().map(Vec::len), Some(wire.also_in.len()));
}

#[test]
fn no_collapse_shows_every_copy() {
    let (_dir, index) = index_of(&syndicated());
    let mut req = SearchRequest::new("central bank interest rate");
    req.collapse = false;
    let results = index.search(&req).unwrap();
    assert_eq!(results.total_hits, 4);
    assert!(results.hits.iter().all(|h| h.also_in.is_empty()));
}

#[test]
fn collapse_keeps_the_newest_copy_when_sorting_by_date() {
    let (_dir, index) = index_of(&syndicated());
    let mut req = SearchRequest::new("central bank interest rate");
    req.sort = Sort::Date;
    let results = index.search(&req).unwrap();
    assert_eq!(results.hits[0].id.as_str(), "wire-b", "{:?}", ids(&results));
}

// --- similar --------------------------------------------------------------------------

#[test]
fn similar_articles_exclude_the_article_itself() {
    let id =
        "https://maghreb-tech-wire.example/2025/09/12/mistral-ai-memorandum-digital-transition";
    let results = corpus_index().similar(&SimilarRequest::new(id)).unwrap();
    assert!(results.total_hits > 3);
    assert!(results.hits.iter().all(|h| h.id.as_str() != id));
    // The same story in French and another Mistral article come first.
    let top: Vec<&str> = results.hits.iter().take(4).map(|h| h.title.as_str()).collect();
    assert!(top.iter().any(|t| t.contains("Mistral")), "{top:?}");
    assert!(results.query.contains("mistral^"), "{}", results.query);
    let mut req = SimilarRequest::new(id);
    req.limit = 3;
    req.passages = 1;
    insta::assert_snapshot!("similar_mistral", rendered(&corpus_index().similar(&req).unwrap()));
    let err = corpus_index().similar(&SimilarRequest::new("no-such-article")).unwrap_err();
    assert!(matches!(err, Error::ArticleNotFound(_)), "{err}");
    assert!(err.is_user_error());
}

#[test]
fn similar_finds_the_copies_collapsed() {
    let (_dir, index) = index_of(&syndicated());
    let results = index.similar(&SimilarRequest::new("wire-a")).unwrap();
    assert!(results.hits.iter().all(|h| h.id.as_str() != "wire-a"));
    assert_eq!(results.hits[0].also_in.len() + 1, 2, "wire-b and wire-c are one story");
}
