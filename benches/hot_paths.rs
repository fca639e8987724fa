//! Micro-benchmarks of the hot functions of indexing and highlighting, over the committed
//! fixture corpus (`corpus/`), so they run on a fresh clone:
//!
//! - `passages`: sentence and passage splitting of an article body;
//! - `analysis/<chain>`: each analysis chain over text of its language;
//! - `highlight`: highlight ranges of a query in a passage (analyzers built per query);
//! - `ingest`: JSON Lines parsing into articles (language detection included);
//! - `fingerprint`: the near-duplicate fingerprint of an article body (computed once per
//!   article at index time).
//!
//! `cargo bench --bench hot_paths` (add `-- analysis` to run one group). The corpus-scale
//! figures, beside raw Tantivy, come from `bench/run.sh`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gazette::analysis::{self, Lang};
use gazette::passage::{split_passages, PassageOptions};
use gazette::search::highlight::{Highlighter, TermGroup};
use gazette::Article;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// The fixture articles, and per chain the bodies in its language joined into one long
/// text (the fixture articles are short; a UN speech is ~18 kB).
fn texts() -> (Vec<Article>, Vec<(Lang, String)>) {
    let articles = gazette::ingest::read_paths(&[corpus_dir()]).articles;
    let by_lang = Lang::ALL
        .iter()
        .map(|&lang| {
            let bodies: Vec<&str> = articles
                .iter()
                .filter(|a| Lang::from_code(a.lang.as_deref()) == lang)
                .map(|a| a.body.as_str())
                .collect();
            (lang, bodies.join("\n\n"))
        })
        .filter(|(_, text)| !text.is_empty())
        .collect();
    (articles, by_lang)
}

fn passages(c: &mut Criterion) {
    let (_, by_lang) = texts();
    let opts = PassageOptions::default();
    let mut g = c.benchmark_group("passages");
    for (lang, text) in &by_lang {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("split", format!("{lang:?}")), text, |b, text| {
            b.iter(|| split_passages(black_box(text), &opts))
        });
    }
    g.finish();
}

fn analysis_chains(c: &mut Criterion) {
    let (_, by_lang) = texts();
    let mut g = c.benchmark_group("analysis");
    for (lang, text) in &by_lang {
        g.throughput(Throughput::Bytes(text.len() as u64));
        for name in [lang.analyzer_name(), analysis::EXACT] {
            let Some(mut a) = analysis::analyzer(name) else { continue };
            g.bench_with_input(BenchmarkId::new(name, format!("{lang:?}")), text, |b, text| {
                b.iter(|| analysis::analyze_with(&mut a, black_box(text)).len())
            });
        }
    }
    g.finish();
}

fn highlight(c: &mut Criterion) {
    let (articles, _) = texts();
    let opts = PassageOptions::default();
    // (query, passages of the articles in the query's language)
    let cases = [
        ("en", "artificial intelligence \"data protection\" regulators"),
        ("fr", "protection des données intelligence artificielle"),
        ("ar", "الذكاء الاصطناعي المغرب"),
    ];
    let mut g = c.benchmark_group("highlight");
    for (code, query) in cases {
        let texts: Vec<&str> = articles
            .iter()
            .filter(|a| a.lang.as_deref() == Some(code))
            .flat_map(|a| split_passages(&a.body, &opts).into_iter().map(|r| &a.body[r]))
            .collect();
        let groups: Vec<TermGroup> = query
            .split('"')
            .enumerate()
            .flat_map(|(i, part)| {
                let phrase = i % 2 == 1;
                let words: Vec<&str> =
                    if phrase { vec![part] } else { part.split_whitespace().collect() };
                words.into_iter().filter(|w| !w.trim().is_empty()).map(move |w| TermGroup {
                    text: w.to_string(),
                    phrase,
                    prefix: false,
                })
            })
            .collect();
        let lang = Lang::from_code(Some(code));
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(BenchmarkId::new("query_and_passages", code), |b| {
            b.iter(|| {
                let h = Highlighter::new(analysis::Profile::Standard, black_box(&groups));
                texts.iter().map(|t| h.ranges(t, lang).len()).sum::<usize>()
            })
        });
    }
    g.finish();
}

fn ingest(c: &mut Criterion) {
    let path = corpus_dir().join("jsonl").join("ai-policy-news-2018-2025.jsonl");
    let Ok(bytes) = std::fs::read(&path) else { return };
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("json_lines", |b| {
        b.iter(|| gazette::ingest::read_json_lines(black_box(&bytes[..]), &path).articles.len())
    });
    g.finish();
}

fn fingerprint(c: &mut Criterion) {
    let (_, by_lang) = texts();
    let mut g = c.benchmark_group("fingerprint");
    for (lang, text) in &by_lang {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("simhash", format!("{lang:?}")), text, |b, text| {
            b.iter(|| gazette::index::fingerprint::fingerprint(black_box(text)))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = passages, analysis_chains, highlight, ingest, fingerprint
}
criterion_main!(benches);
