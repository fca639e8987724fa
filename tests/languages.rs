//! French and Arabic: the analysis chains at work through the index, on our corpus and on
//! real articles from ../shared/corpora (skipped when absent).

use gazette::analysis::Profile;
use gazette::{index_paths, Article, IndexOptions, NewsIndex, SearchRequest};

use crate::util::{corpus_index, repo_shared};

fn index_of(articles: &[Article], profile: Profile) -> (tempfile::TempDir, NewsIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = NewsIndex::create_with(&dir.path().join("i"), profile).unwrap();
    let mut up = index.updater(50_000_000, 1).unwrap();
    for a in articles {
        up.upsert(a).unwrap();
    }
    up.commit().unwrap();
    up.finish().unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn article(id: &str, lang: &str, title: &str, body: &str) -> Article {
    let mut a = Article::new(id, title, body);
    a.lang = Some(lang.into());
    a
}

/// The ids an analysed query finds (typo tolerance off: these tests are about the chains).
fn ids(index: &NewsIndex, q: &str) -> Vec<String> {
    let req = SearchRequest { fuzzy: false, ..SearchRequest::new(q) };
    index.search(&req).unwrap().hits.into_iter().map(|h| h.id.0).collect()
}

fn marked(index: &NewsIndex, q: &str) -> Vec<String> {
    let r = index.search(&SearchRequest::new(q)).unwrap();
    r.hits
        .iter()
        .flat_map(|h| &h.passages)
        .flat_map(|p| p.highlights.iter().map(|r| p.text[r.start..r.end].to_string()))
        .collect()
}

#[test]
fn french_accents_elisions_and_plurals() {
    let (_d, index) = index_of(
        &[article(
            "fr1",
            "fr",
            "Régulation",
            "La régulation des données personnelles et l'intelligence artificielle au Maroc.",
        )],
        Profile::Standard,
    );
    for q in ["données", "donnees", "DONNÉES", "régulations", "intelligence", "l'intelligence"] {
        assert_eq!(ids(&index, q), ["fr1"], "{q}");
    }
    assert_eq!(marked(&index, "donnees"), ["données"]);
}

#[test]
fn arabic_clitics_and_diacritics() {
    let (_d, index) = index_of(
        &[article(
            "ar1",
            "ar",
            "خبر",
            "وقع المغرب مذكرة تفاهم. وأكد والمغرب أن التعاون بالمغرب مستمر.",
        )],
        Profile::Standard,
    );
    for q in ["المغرب", "والمغرب", "بالمغرب", "المَغْرِب", "مغرب"]
    {
        assert_eq!(ids(&index, q), ["ar1"], "{q}");
    }
    let words = marked(&index, "المغرب");
    for w in ["المغرب", "والمغرب", "بالمغرب"] {
        assert!(words.contains(&w.to_string()), "{w} in {words:?}");
    }
}

#[test]
fn exact_names_rank_above_stemmed_collisions() {
    let (_d, index) = index_of(
        &[
            article(
                "stem",
                "en",
                "Winds",
                "The mistrals blew across the valley all week, said the forecasters.",
            ),
            article(
                "name",
                "en",
                "Company",
                "Mistral signed an agreement with the ministry this week, said officials.",
            ),
        ],
        Profile::Standard,
    );
    assert_eq!(ids(&index, "Mistral"), ["name", "stem"]);
}

#[test]
fn mixed_articles_are_analysed_per_passage() {
    let fr = "Le ministère a présenté la stratégie numérique du Maroc devant les députés, en détaillant les chantiers de la transformation de l'administration et la formation des talents. ".repeat(3);
    let ar = "وقدمت الوزارة الاستراتيجية الرقمية للمملكة أمام النواب، مع تفصيل أوراش التحول الرقمي للإدارة وتكوين الكفاءات في مجال الذكاء الاصطناعي. ".repeat(3);
    let (_d, index) = index_of(
        &[article("mixed", "fr", "Bilingue", &format!("{fr}\n\n{ar}"))],
        Profile::Standard,
    );
    // The Arabic paragraph went through the Arabic chain: a clitic form finds it.
    assert_eq!(ids(&index, "والاستراتيجية"), ["mixed"]);
    assert_eq!(ids(&index, "stratégies"), ["mixed"]);
}

#[test]
fn the_plain_profile_only_lowercases() {
    let arts = [article("fr1", "fr", "t", "La régulation des données")];
    let (_d, plain) = index_of(&arts, Profile::Plain);
    assert_eq!(plain.profile(), Profile::Plain);
    assert_eq!(ids(&plain, "DONNÉES"), ["fr1"]);
    assert!(ids(&plain, "donnees").is_empty());
    assert!(ids(&plain, "régulations").is_empty());
    // The profile is kept with the index.
    let dir = plain.dir().to_path_buf();
    drop(plain);
    assert_eq!(NewsIndex::open(&dir).unwrap().profile(), Profile::Plain);
}

#[test]
fn corpus_french_and_arabic_queries_find_their_articles() {
    let index = corpus_index();
    let r = index.search(&SearchRequest::new("protocole d'accord Mistral")).unwrap();
    assert_eq!(r.hits[0].lang.as_deref(), Some("fr"), "{:?}", r.hits[0].title);
    let r = index.search(&SearchRequest::new("ميسترال")).unwrap();
    assert!(r.hits.iter().any(|h| h.lang.as_deref() == Some("ar")));
    let mut req = SearchRequest::new("المغرب");
    req.langs = vec!["ar".into()];
    let r = index.search(&req).unwrap();
    assert!(r.hits.len() >= 5 && r.hits.iter().all(|h| h.lang.as_deref() == Some("ar")));
}

/// Real articles: every sampled Arabic and French article is found by a clitic or
/// unaccented variant of a word of its body.
#[test]
fn real_french_and_arabic_articles() {
    let Some(shared) = repo_shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    for (set, lang) in [("news-fr-gilets-jaunes", "fr"), ("news-ar-hespress", "ar")] {
        let path = shared.join("corpora").join(set).join("articles.jsonl.zst");
        let dir = tempfile::tempdir().unwrap();
        let index = NewsIndex::create(&dir.path().join("i")).unwrap();
        let opts = IndexOptions { threads: 1, heap_bytes: 60_000_000, ..IndexOptions::default() };
        let s = index_paths(&index, std::slice::from_ref(&path), &opts, &()).unwrap();
        assert!(s.articles > 1000, "{set}: {s:?}");
        let parsed = gazette::ingest::read_paths(&[path]);
        let mut checked = 0;
        for a in parsed.articles.iter().step_by(97).take(20) {
            assert_eq!(a.lang.as_deref(), Some(lang));
            let Some(word) = a
                .body
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()))
                .find(|w| w.chars().count() >= 7)
            else {
                continue;
            };
            let query = if lang == "ar" {
                format!("و{}", word.trim_start_matches('و'))
            } else {
                unaccent(word)
            };
            // The variant matches the articles the word itself matches (but for a few where
            // the word sits in a passage of another language, seen by the exact field only),
            // this one among them.
            let search = |q: &str| {
                let mut req = SearchRequest::new(format!("\"{q}\""));
                req.limit = 1000;
                req.passages = 0;
                // Counts of articles, not of collapsed groups (which depend on the order).
                req.collapse = false;
                index.search(&req).unwrap()
            };
            let (variant, original) = (search(&query), search(word));
            let (v, o) = (variant.total_hits, original.total_hits);
            assert!(v * 100 >= o * 98 && v <= o, "{set}: {query:?} {v} vs {word:?} {o}");
            if variant.total_hits <= 1000 {
                assert!(
                    variant.hits.iter().any(|h| h.id == a.id),
                    "{set}: {query:?} misses {}",
                    a.id
                );
            }
            checked += 1;
        }
        assert!(checked >= 15, "{set}: {checked}");
    }
}

fn unaccent(w: &str) -> String {
    w.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}
