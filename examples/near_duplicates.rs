//! Measures the near-duplicate fingerprints on an article set: for each Hamming distance
//! `d` from 0 to 10, how many pairs of articles are that far apart, how many of them are
//! copies by word 3-shingle Jaccard resemblance (≥ 0.5 over the same words the fingerprint
//! sees), and a few sample pairs to check by eye. Used to choose the collapse distance
//! (BENCHMARKS.md, "Syndicated copies").
//!
//! `cargo run --release --example near_duplicates -- FILE… [--samples N]`

use std::collections::HashSet;
use std::path::PathBuf;

use gazette::analysis;
use gazette::index::fingerprint::{fingerprint, hamming, SHINGLE};

fn shingles(body: &str) -> HashSet<u64> {
    let words: Vec<String> =
        analysis::analyze(analysis::EXACT, body).into_iter().map(|t| t.term).collect();
    words.windows(SHINGLE).map(|w| xxhash_rust::xxh3::xxh3_64(w.join(" ").as_bytes())).collect()
}

fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    let inter = a.intersection(b).count() as f64;
    let union = (a.len() + b.len()) as f64 - inter;
    if union == 0.0 {
        0.0
    } else {
        inter / union
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    let mut samples = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--samples" {
            samples = args.next().ok_or("--samples N")?.parse()?;
        } else {
            files.push(PathBuf::from(a));
        }
    }
    let parsed = gazette::ingest::read_paths(&files);
    let articles = parsed.articles;
    let fps: Vec<Option<u64>> = articles.iter().map(|a| fingerprint(&a.body)).collect();
    let with: Vec<usize> = (0..articles.len()).filter(|&i| fps[i].is_some()).collect();
    eprintln!("{} articles, {} with a fingerprint", articles.len(), with.len());
    let mut pairs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); 11];
    for (x, &i) in with.iter().enumerate() {
        for &j in &with[x + 1..] {
            let (Some(a), Some(b)) = (fps[i], fps[j]) else { continue };
            let d = hamming(a, b) as usize;
            if d <= 10 {
                pairs[d].push((i, j));
            }
        }
    }
    println!("| distance | pairs | copies (Jaccard ≥ 0.5) | share |");
    println!("|---:|---:|---:|---:|");
    for (d, list) in pairs.iter().enumerate() {
        let copies = list
            .iter()
            .filter(|(i, j)| {
                jaccard(&shingles(&articles[*i].body), &shingles(&articles[*j].body)) >= 0.5
            })
            .count();
        let share = if list.is_empty() { 0.0 } else { copies as f64 / list.len() as f64 };
        println!("| {d} | {} | {copies} | {:.2} |", list.len(), share);
    }
    for (d, list) in pairs.iter().enumerate() {
        let step = (list.len() / samples.max(1)).max(1);
        for (i, j) in list.iter().step_by(step).take(samples) {
            let (a, b) = (&articles[*i], &articles[*j]);
            let clip = |s: &str| s.chars().take(160).collect::<String>().replace('\n', " ");
            println!(
                "\nd={d} J={:.2}\n  A {} | {} | {}\n  B {} | {} | {}",
                jaccard(&shingles(&a.body), &shingles(&b.body)),
                a.id,
                a.title,
                clip(&a.body),
                b.id,
                b.title,
                clip(&b.body)
            );
        }
    }
    Ok(())
}
