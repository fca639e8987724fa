//! Gazette as a library: build an index from a few articles in a temporary directory,
//! search it, print the hits with their highlighted passages and facet counts, then update
//! and delete an article.
//!
//! Run with `cargo run --example embed`.

use gazette::{Article, NewsIndex, SearchRequest};

fn article(id: &str, title: &str, body: &str, lang: &str, source: &str, date: &str) -> Article {
    let mut a = Article::new(id, title, body);
    a.lang = Some(lang.into());
    a.source = Some(source.into());
    a.published = gazette::ingest::parse_date(date);
    a
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let index = NewsIndex::create(dir.path())?;

    // One writer per index; upserts replace articles with the same id.
    let mut updater = index.updater(50_000_000, 1)?;
    for a in [
        article(
            "rabat-1",
            "Morocco and OpenAI open talks on public-sector AI",
            "Rabat hosted a first round of talks. OpenAI and the Ministry of Digital \
             Transition discussed Arabic and Darija language models for public services.",
            "en",
            "Rabat Policy Review",
            "2025-09-12",
        ),
        article(
            "cndp-1",
            "La CNDP encadre l'usage des données",
            "La Commission nationale de contrôle de la protection des données personnelles \
             (CNDP) publie des lignes directrices sur l'intelligence artificielle.",
            "fr",
            "Le Desk Tech",
            "2025-10-02",
        ),
        article(
            "ar-1",
            "المغرب يطلق استراتيجية للذكاء الاصطناعي",
            "أعلنت الحكومة في المغرب عن استراتيجية وطنية للذكاء الاصطناعي وحماية المعطيات.",
            "ar",
            "Hespress",
            "2025-10-20",
        ),
    ] {
        updater.upsert(&a)?;
    }
    updater.commit()?;
    index.reload()?; // make the commit visible to this handle's searches

    for query in ["OpenAI Morocco", "données", "المغرب"] {
        let mut req = SearchRequest::new(query);
        req.facets = true;
        let results = index.search(&req)?;
        println!("{query:?}: {} article(s) in {} ms", results.total_hits, results.took_ms);
        for hit in &results.hits {
            println!("  {} [{}] {}", hit.id, hit.lang.as_deref().unwrap_or("?"), hit.title);
            for p in &hit.passages {
                // Highlights are byte ranges into the passage text.
                let words: Vec<&str> =
                    p.highlights.iter().filter_map(|h| p.text.get(h.start..h.end)).collect();
                println!("    matched {words:?}");
            }
        }
        if let Some(f) = &results.facets {
            let counts = |v: &[gazette::FacetCount]| {
                v.iter().map(|c| format!("{} {}", c.value, c.count)).collect::<Vec<_>>().join(", ")
            };
            println!("  sources: {}; months: {}", counts(&f.source), counts(&f.month));
        }
    }

    // Update one article, delete another; both take effect at the commit.
    let mut changed = index.article(&"rabat-1".into())?.ok_or("rabat-1 is missing")?;
    changed.body.push_str(" A second round is planned in Casablanca.");
    updater.upsert(&changed)?;
    updater.delete(&"cndp-1".into());
    updater.commit()?;
    updater.finish()?;
    index.reload()?;
    let stats = index.stats()?;
    println!("after the update: {} articles, {} passages", stats.articles, stats.passages);
    assert_eq!(index.search(&SearchRequest::new("Casablanca"))?.total_hits, 1);
    assert!(index.article(&"cndp-1".into())?.is_none());
    Ok(())
}
