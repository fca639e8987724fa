//! Search on the shipped corpus: ranking, passages and highlights, against golden files.

use gazette::render::{self, TextOptions};
use gazette::{index_paths, Error, IndexOptions, NewsIndex, SearchRequest};

use crate::util::corpus_index;

fn rendered(req: &SearchRequest) -> String {
    let results = corpus_index().search(req).unwrap();
    let mut out = Vec::new();
    render::text(&mut out, &results, TextOptions { color: false, ..Default::default() }).unwrap();
    // Paths are shown as indexed (absolute here): keep golden files independent of where the
    // repository is checked out.
    String::from_utf8(out).unwrap().replace(env!("CARGO_MANIFEST_DIR"), "<repo>")
}

fn golden(query: &str, limit: usize) -> String {
    let mut req = SearchRequest::new(query);
    req.limit = limit;
    rendered(&req)
}

fn highlighted(req: &SearchRequest) -> Vec<String> {
    let results = corpus_index().search(req).unwrap();
    results
        .hits
        .iter()
        .flat_map(|h| &h.passages)
        .flat_map(|p| p.highlights.iter().map(|r| p.text[r.start..r.end].to_string()))
        .collect()
}

#[test]
fn openai_morocco_article_ranks_first() {
    let results = corpus_index().search(&SearchRequest::new("OpenAI Morocco")).unwrap();
    assert!(
        results.hits[0].title.starts_with("Morocco and OpenAI open talks"),
        "{:?}",
        results.hits[0].title
    );
    insta::assert_snapshot!("openai_morocco", golden("OpenAI Morocco", 5));
}

#[test]
fn mistral_is_highlighted() {
    let words = highlighted(&SearchRequest::new("Mistral"));
    assert!(!words.is_empty());
    assert!(words.iter().all(|w| w.eq_ignore_ascii_case("mistral")), "{words:?}");
    insta::assert_snapshot!("mistral", golden("Mistral", 5));
}

#[test]
fn phrases_are_highlighted_as_phrases() {
    let words = highlighted(&SearchRequest::new("\"data protection\""));
    assert!(words.len() >= 5, "{words:?}");
    assert!(words.iter().all(|w| w.eq_ignore_ascii_case("data protection")), "{words:?}");
    insta::assert_snapshot!("data_protection_phrase", golden("\"data protection\"", 5));
}

#[test]
fn phrase_and_word_together() {
    insta::assert_snapshot!("data_protection_mistral", golden("\"data protection\" Mistral", 5));
}

#[test]
fn french_and_arabic_queries() {
    let words = highlighted(&SearchRequest::new("donnees personnelles"));
    assert!(words.iter().any(|w| w == "données"), "{words:?}");
    let words = highlighted(&SearchRequest::new("المغرب"));
    assert!(words.iter().any(|w| w == "والمغرب" || w == "بالمغرب" || w == "للمغرب"), "{words:?}");
    insta::assert_snapshot!("arabic_morocco", golden("المغرب الذكاء الاصطناعي", 3));
    insta::assert_snapshot!("french_data", golden("protection des données", 3));
}

#[test]
fn arabic_in_visual_order_for_terminals_without_bidi() {
    let mut req = SearchRequest::new("المغرب");
    req.limit = 2;
    let results = corpus_index().search(&req).unwrap();
    let opts = TextOptions { color: false, bidi: render::BidiMode::Visual, width: 60 };
    let mut out = Vec::new();
    render::text(&mut out, &results, opts).unwrap();
    let out = String::from_utf8(out).unwrap().replace(env!("CARGO_MANIFEST_DIR"), "<repo>");
    let columns = |l: &str| l.chars().filter(|c| !matches!(c, '\u{64b}'..='\u{65f}')).count();
    for line in out.lines().filter(|l| !l.contains("://") && !l.contains("<repo>")) {
        // Shaped letters are one column each; `**` marks add up to 4 per highlight.
        let marks = line.matches("**").count() * 2;
        assert!(columns(line) <= 60 + marks, "{line:?}");
        // No letter is left in its logical (unshaped) form.
        assert!(!line.chars().any(|c| ('\u{621}'..='\u{64a}').contains(&c)), "{line:?}");
    }
    // The highlighted word is the shaped المغرب (or a clitic form), reversed: it ends with
    // the isolated alef of its first letter.
    assert!(out.contains("\u{FE8D}**"), "{out}");
    insta::assert_snapshot!("arabic_morocco_visual", out);
}

#[test]
fn one_hit_per_article_and_total_counts_articles() {
    let mut req = SearchRequest::new("AI");
    req.limit = 100;
    let results = corpus_index().search(&req).unwrap();
    let mut ids: Vec<_> = results.hits.iter().map(|h| h.id.as_str()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert_eq!(results.total_hits, n);
    let scores: Vec<f32> = results.hits.iter().map(|h| h.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn paging_is_consistent() {
    let mut req = SearchRequest::new("digital strategy");
    req.limit = 6;
    let all = corpus_index().search(&req).unwrap();
    req.limit = 3;
    req.offset = 3;
    let page2 = corpus_index().search(&req).unwrap();
    let a: Vec<_> = all.hits[3..].iter().map(|h| &h.id).collect();
    let b: Vec<_> = page2.hits.iter().map(|h| &h.id).collect();
    assert_eq!(a, b);
}

#[test]
fn filters_restrict_results() {
    let mut req = SearchRequest::new("intelligence");
    req.langs = vec!["fr".into()];
    let fr = corpus_index().search(&req).unwrap();
    assert!(!fr.hits.is_empty());
    assert!(fr.hits.iter().all(|h| h.lang.as_deref() == Some("fr")));

    let mut req = SearchRequest::new("AI");
    req.since = gazette::ingest::parse_date("2025-09-01");
    req.limit = 100;
    let recent = corpus_index().search(&req).unwrap();
    assert!(!recent.hits.is_empty());
    assert!(recent.hits.iter().all(|h| h.date.as_deref().unwrap() >= "2025-09-01"));

    let results = corpus_index()
        .search(&SearchRequest::new("source:\"rabat policy review\" AND AI"))
        .unwrap();
    assert!(!results.hits.is_empty());
    assert!(results.hits.iter().all(|h| h.source.as_deref() == Some("Rabat Policy Review")));

    let results = corpus_index().search(&SearchRequest::new("title:mistral")).unwrap();
    assert!(
        results.hits.iter().all(|h| h.title.to_lowercase().contains("mistral")),
        "{:?}",
        results.hits
    );
}

#[test]
fn boolean_operators() {
    let with = corpus_index().search(&SearchRequest::new("Mistral")).unwrap();
    let without = corpus_index().search(&SearchRequest::new("Mistral -Morocco")).unwrap();
    assert!(without.total_hits < with.total_hits);
    let and = corpus_index().search(&SearchRequest::new("Mistral AND OpenAI")).unwrap();
    assert!(and.total_hits <= with.total_hits);
    for h in &and.hits {
        let a = corpus_index().article(&h.id).unwrap().unwrap();
        assert!(a.body.contains("Mistral") || a.title.contains("Mistral"));
    }
}

#[test]
fn malformed_queries_never_crash() {
    for q in
        ["\"unclosed", "AND", "((", "title:", "-", "*", "a OR", "]", "^2", "\"\"", "foo~", "a:b:c"]
    {
        match corpus_index().search(&SearchRequest::new(q)) {
            Ok(_) => {}
            Err(Error::Query(msg)) => assert!(!msg.is_empty()),
            Err(e) => panic!("{q}: unexpected error {e}"),
        }
    }
    let err = corpus_index().search(&SearchRequest::new("nosuchfield:x")).unwrap_err();
    assert!(err.to_string().contains("unknown field `nosuchfield:`"), "{err}");
    assert!(corpus_index().search(&SearchRequest::new("  ")).is_err());
}

/// Deep nesting is refused before the grammar's parser recurses into it, but parentheses in
/// a quoted phrase or escaped are text: such queries used to be refused as "nested 40
/// deep". Deep escaped or quoted runs must not overflow the stack either.
#[test]
fn only_real_groups_count_towards_the_nesting_limit() {
    let deep = format!("{}morocco{}", "(".repeat(40), ")".repeat(40));
    let err = corpus_index().search(&SearchRequest::new(deep)).unwrap_err();
    assert!(err.to_string().contains("nested 40 deep"), "{err}");
    let quoted = format!("\"{}morocco\"", "(".repeat(40));
    corpus_index().search(&SearchRequest::new(quoted)).unwrap();
    for n in [40, 5000] {
        let escaped = format!("{}morocco", "\\(".repeat(n));
        match corpus_index().search(&SearchRequest::new(escaped)) {
            Ok(_) | Err(Error::Query(_)) => {}
            Err(e) => panic!("escaped x{n}: unexpected error {e}"),
        }
    }
    let quoted_deep = format!("\"{}\" morocco", "(".repeat(5000));
    corpus_index().search(&SearchRequest::new(quoted_deep)).unwrap();
}

#[test]
fn highlight_ranges_are_valid_everywhere() {
    for q in ["Morocco", "\"data protection\"", "données", "المغرب", "AI strategy", "mistr*"]
    {
        let mut req = SearchRequest::new(q);
        req.limit = 50;
        req.passages = 3;
        for hit in corpus_index().search(&req).unwrap().hits {
            for p in hit.passages {
                let mut last = 0;
                for h in &p.highlights {
                    assert!(
                        h.start >= last && h.start < h.end && h.end <= p.text.len(),
                        "{q}: {h:?}"
                    );
                    assert!(p.text.is_char_boundary(h.start) && p.text.is_char_boundary(h.end));
                    last = h.end;
                }
            }
        }
    }
}

/// `--explain` takes the score apart: the winning passage's score is the BM25F words' score
/// (plus other clauses), and each matched word lists the fields it was found in.
#[test]
fn explain_takes_the_score_apart() {
    let mut req = SearchRequest::new("Mistral memorandum");
    req.explain = true;
    let results = corpus_index().search(&req).unwrap();
    let hit = &results.hits[0];
    let e = hit.explain.as_ref().expect("explain asked for");
    let words = e.words.as_ref().expect("plain words are scored with BM25F");
    assert_eq!(words.of, 2);
    assert!(words.matched >= 1 && words.matched <= 2);
    assert!((words.score + e.other - e.passage_score).abs() < 1e-3, "{e:?}");
    let expected = (e.passage_score + e.second_passage_share * e.second_passage_score) * e.coverage;
    assert_eq!(e.words_of, 2, "a two-word query gets the coverage factor");
    let factor = (e.words_found as f32 / 2.0).powf(1.0);
    assert!((e.coverage - factor).abs() < 1e-6, "{e:?}");
    assert!((hit.score - expected).abs() < 1e-3, "{} vs {expected}", hit.score);
    for w in &words.words {
        assert!(!w.fields.is_empty() && w.idf > 0.0, "{w:?}");
        let parts: f32 = w.fields.iter().map(|f| f.part).sum();
        assert!((parts - w.tf).abs() < 1e-4, "{w:?}");
    }
    // Without the flag, no explanation.
    let plain = corpus_index().search(&SearchRequest::new("Mistral memorandum")).unwrap();
    assert!(plain.hits.iter().all(|h| h.explain.is_none()));
}

/// A query of more than `coverage_max` words (stop words aside) is verbose: it ranks with
/// the `verbose_` parameters (the written form's weight, the second passage's share), a
/// keyword query with the others; the stop words of a long question do not make it verbose.
#[test]
fn verbose_queries_rank_with_their_own_parameters() {
    let explained = |q: &str| {
        let mut req = SearchRequest::new(q);
        req.explain = true;
        let results = corpus_index().search(&req).unwrap();
        results.hits[0].explain.clone().expect("explain asked for")
    };
    let exact_weights = |e: &gazette::search::Explain| -> Vec<f32> {
        let words = e.words.as_ref().expect("plain words");
        words
            .words
            .iter()
            .flat_map(|w| &w.fields)
            .filter(|f| f.field == "exact")
            .map(|f| f.weight)
            .collect()
    };
    let p = gazette::search::RankParams::default();
    assert!(p.verbose_exact < p.exact && p.verbose_second_passage < p.second_passage, "{p:?}");

    let keywords = explained("Mistral memorandum Morocco data");
    assert_eq!(keywords.second_passage_share, p.second_passage);
    assert_eq!(keywords.words_of, 4, "four words: a keyword query, with the coverage factor");
    let w = exact_weights(&keywords);
    assert!(!w.is_empty() && w.iter().all(|w| *w == p.exact), "{w:?}");

    let verbose = explained("Mistral memorandum Morocco data protection sovereignty");
    assert_eq!(verbose.second_passage_share, p.verbose_second_passage);
    assert_eq!(verbose.words_of, 0, "a verbose query gets no coverage factor");
    let w = exact_weights(&verbose);
    assert!(!w.is_empty() && w.iter().all(|w| *w == p.verbose_exact), "{w:?}");
    insta::assert_snapshot!(
        "verbose_query",
        golden("Mistral memorandum Morocco data protection sovereignty", 5)
    );

    // Groups in parentheses are counted together: two groups of three words are verbose,
    // every group's words weighted as the article's score is.
    let groups = explained("(Mistral memorandum Morocco) (data protection sovereignty)");
    assert_eq!(groups.second_passage_share, p.verbose_second_passage);
    let w = exact_weights(&groups);
    assert!(!w.is_empty() && w.iter().all(|w| *w == p.verbose_exact), "{w:?}");

    // Stop words do not count: four words and three stop words are a keyword query.
    let question = explained("the Mistral memorandum of Morocco and data");
    assert_eq!(question.second_passage_share, p.second_passage);
}

/// Regression (issue 9, found by `properties::search_highlights_hold_their_invariants`): a
/// negated phrase that runs out before the last candidate made Tantivy's phrase scorer
/// panic in debug builds (`seek_danger`: "target should be greater than or equal to doc").
#[test]
fn negated_phrases_that_run_out() {
    let ids = |q: &str| -> std::collections::BTreeSet<String> {
        let mut req = SearchRequest::new(q);
        req.limit = 1000;
        req.collapse = false;
        req.fuzzy = false;
        let results = corpus_index().search(&req).unwrap();
        assert_eq!(results.total_hits, results.hits.len(), "{q}: every hit on one page");
        results.hits.into_iter().map(|h| h.id.0).collect()
    };
    // `'é` analyses to two tokens: a phrase that matches nothing.
    assert_eq!(ids("morocco -'é morocco"), ids("morocco"));
    let all = ids("morocco");
    let with = ids("+morocco +\"data protection\"");
    let without = ids("morocco -\"data protection\"");
    assert!(!with.is_empty() && !without.is_empty(), "{with:?} / {without:?}");
    assert_eq!(without, all.difference(&with).cloned().collect());
}

/// `+` and `-` are conditions on the article, not on one passage: the 09-08 explainer
/// names data protection in another paragraph than personal data, so it is excluded.
#[test]
fn required_and_excluded_clauses_are_about_the_article() {
    insta::assert_snapshot!(
        "required_and_excluded",
        golden("+Morocco +\"personal data\" -\"data protection\"", 5)
    );
}

/// An index of these files (one indexing thread), with the folder that holds both.
fn index_of_files(files: &[(&str, &[u8])]) -> (tempfile::TempDir, NewsIndex) {
    let dir = crate::util::temp_tree(files);
    let index = NewsIndex::create(&dir.path().join("idx")).unwrap();
    let opts = IndexOptions { threads: 1, ..IndexOptions::default() };
    index_paths(&index, &[dir.path().to_path_buf()], &opts, &()).unwrap();
    (dir, index)
}

/// `query` ranked with `rank` (over the defaults), explained, copies not collapsed.
fn explained(index: &NewsIndex, query: &str, rank: &str) -> gazette::SearchResults {
    let mut req = SearchRequest::new(query);
    req.collapse = false;
    req.explain = true;
    req.rank = rank.parse().unwrap();
    index.search(&req).unwrap()
}

/// The proximity bonus: of two articles with the same words, as often, in passages of the
/// same length, the one where the query's words stand next to each other ranks first; with
/// the bonus off (`proximity=0`) they score the same.
#[test]
fn query_words_near_each_other_rank_first() {
    let filler = "the ministry published a long report on many other questions of the year";
    let near = format!("Ministry notes\n\nThe council adopted data protection rules. {filler}.\n");
    let far = format!("Council notes\n\nThe council adopted data rules. {filler} protection.\n");
    let (_dir, index) =
        index_of_files(&[("near.txt", near.as_bytes()), ("far.txt", far.as_bytes())]);
    let search = |rank: &str| explained(&index, "data protection", rank);
    let on = search("");
    assert_eq!(on.hits.len(), 2);
    let path = on.hits[0].path.as_deref().unwrap_or_default();
    assert!(path.ends_with("near.txt"), "{path}");
    assert!(on.hits[0].score > on.hits[1].score);
    let prox = |h: &gazette::Hit| h.explain.as_ref().unwrap().words.as_ref().unwrap().proximity;
    assert!(prox(&on.hits[0]) > 0.0 && prox(&on.hits[0]) > 10.0 * prox(&on.hits[1]));
    let off = search("proximity=0");
    assert!((off.hits[0].score - off.hits[1].score).abs() < 1e-4, "{:?}", off.hits);
    assert!(off.hits.iter().all(|h| prox(h) == 0.0));
}

/// Regression (issue 6): the query grammar keeps one clause of a repeated word, so a
/// description that repeats a word ("expert systems … expert systems", as the LISA and CISI
/// requests do) lost the weight the anchors' engines give it. A word written twice now
/// weighs twice, and words analysed alike ("budget", "budget,", "Budget") are one word of
/// their summed weight, not several.
#[test]
fn a_word_written_twice_weighs_twice() {
    let filler = "the council published a long report on many other questions of the year";
    let a = format!("First notes\n\nThe ministry asked the ministry for a budget. {filler}.\n");
    let b = format!("Second notes\n\nThe budget asked the budget for a ministry. {filler}.\n");
    let (_dir, index) = index_of_files(&[("a.txt", a.as_bytes()), ("b.txt", b.as_bytes())]);
    let search = |q: &str| explained(&index, q, "proximity=0");
    let first = |r: &gazette::SearchResults| {
        r.hits[0].path.as_deref().unwrap_or_default().rsplit('/').next().unwrap().to_string()
    };
    let once = search("ministry budget");
    assert_eq!(once.hits.len(), 2);
    assert!((once.hits[0].score - once.hits[1].score).abs() < 1e-4, "{:?}", once.hits);
    let twice = search("ministry budget ministry");
    assert_eq!(first(&twice), "a.txt");
    assert!(twice.hits[0].score > 1.05 * twice.hits[1].score, "{:?}", twice.hits);
    let words = twice.hits[0].explain.as_ref().unwrap().words.as_ref().unwrap();
    let weights: Vec<(&str, f32)> = words.words.iter().map(|w| (&*w.word, w.weight)).collect();
    assert_eq!(weights, [("ministry", 2.0), ("budget", 1.0)]);
    assert_eq!(words.of, 2, "two words, one of them written twice");
    // "budget," and "Budget" are the word "budget" again: one word, weight 3.
    let variants = search("ministry budget budget, Budget");
    assert_eq!(first(&variants), "b.txt");
    let words = variants.hits[0].explain.as_ref().unwrap().words.as_ref().unwrap();
    let weights: Vec<(&str, f32)> = words.words.iter().map(|w| (&*w.word, w.weight)).collect();
    assert_eq!(weights, [("ministry", 1.0), ("budget", 3.0)]);
}

/// Article-level coverage: for a short query, an article that has every word somewhere (here
/// in two different passages) ranks above one that repeats a single word, however often; the
/// explanation says how many words the article has; with `coverage=0`, no factor.
#[test]
fn articles_with_every_query_word_rank_first() {
    let filler = "The committee met again this week and published a long statement. ";
    let both = format!(
        "Every word\n\nThe ministry opened a consultation on cloud hosting. {}\n\n{}Officials \
         also discussed sovereignty.\n",
        filler.repeat(12),
        filler.repeat(3)
    );
    let one = "One word\n\nSovereignty, sovereignty and sovereignty: the debate on sovereignty \
               went on, and sovereignty again.\n";
    let (_dir, index) =
        index_of_files(&[("both.txt", both.as_bytes()), ("one.txt", one.as_bytes())]);
    let search = |rank: &str| explained(&index, "cloud sovereignty", rank);
    let path = |r: &gazette::SearchResults| r.hits[0].path.clone().unwrap_or_default();
    let on = search("");
    assert_eq!(on.hits.len(), 2);
    assert!(path(&on).ends_with("both.txt"), "{}", path(&on));
    let e = |i: usize| on.hits[i].explain.clone().unwrap();
    assert_eq!((e(0).words_found, e(0).words_of, e(0).coverage), (2, 2, 1.0));
    assert_eq!((e(1).words_found, e(1).words_of, e(1).coverage), (1, 2, 0.5));
    // Off, the one-word article keeps its whole score: twice its share against the other.
    let off = search("coverage=0");
    let score = |r: &gazette::SearchResults, name: &str| {
        r.hits.iter().find(|h| h.path.as_deref().unwrap_or_default().ends_with(name)).unwrap().score
    };
    let (ratio_on, ratio_off) = (
        score(&on, "one.txt") / score(&on, "both.txt"),
        score(&off, "one.txt") / score(&off, "both.txt"),
    );
    assert!((ratio_off - 2.0 * ratio_on).abs() < 1e-4, "{ratio_on} {ratio_off}");
    // Stop words do not count: "the" and "of" are words of the French and other-language
    // fields, but no English passage can hold them.
    let with_stop_words = explained(&index, "the cloud of sovereignty", "");
    let e0 = with_stop_words.hits[0].explain.clone().unwrap();
    assert_eq!((e0.words_found, e0.words_of, e0.coverage), (2, 2, 1.0), "{e0:?}");
    // Past `coverage_max` words the factor does not apply.
    let mut long = SearchRequest::new("cloud sovereignty debate officials consultation");
    long.explain = true;
    let hits = index.search(&long).unwrap().hits;
    assert!(hits.iter().all(|h| h.explain.as_ref().unwrap().coverage == 1.0));
}
