//! HTML extraction quality on the shared html-* sets, scored like
//! ../shared/anchors/html_eval.py (bags of lowercased word tokens; mean F1 over pages).
//! Fails when a set's mean F1 drops below the level reached; skipped when ../shared is absent.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

/// Mean F1 reached per set when this floor was set (`bench/html_eval.sh`, BENCHMARKS.md),
/// less a margin of 0.005 for harmless changes.
const FLOORS: &[(&str, f64)] =
    &[("html-aeb-scrapinghub", 0.965), ("html-dragnet", 0.903), ("html-l3s-gn1", 0.952)];

fn tokens(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for t in text.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|t| !t.is_empty()) {
        *bag.entry(t.to_lowercase()).or_insert(0) += 1;
    }
    bag
}

/// Token precision, recall and F1 of a prediction against the truth, with the scorer's edge
/// cases: an empty truth scores 1 for an empty prediction and 0 otherwise.
fn score(pred: &str, truth: &str) -> (f64, f64, f64) {
    let (p, t) = (tokens(pred), tokens(truth));
    let (np, nt): (usize, usize) = (p.values().sum(), t.values().sum());
    if nt == 0 {
        return if np == 0 { (1.0, 1.0, 1.0) } else { (0.0, 1.0, 0.0) };
    }
    let overlap: usize = p.iter().map(|(k, n)| (*n).min(t.get(k).copied().unwrap_or(0))).sum();
    if np == 0 || overlap == 0 {
        return (0.0, 0.0, 0.0);
    }
    let (pr, re) = (overlap as f64 / np as f64, overlap as f64 / nt as f64);
    (pr, re, 2.0 * pr * re / (pr + re))
}

#[test]
fn scorer_matches_hand_computed_values() {
    // pred: a a b c (4 tokens); truth: a b b_ d (4; "b_" is one token); overlap a + b = 2.
    assert_eq!(score("A a, b c.", "a b b_ d"), (0.5, 0.5, 0.5));
    // pred: a b (2); truth: a b c d (4); overlap 2: P 1, R 0.5, F1 2/3.
    let (p, r, f) = score("a b", "a b c d");
    assert_eq!((p, r), (1.0, 0.5));
    assert!((f - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(score("", ""), (1.0, 1.0, 1.0));
    assert_eq!(score("x", ""), (0.0, 1.0, 0.0));
    assert_eq!(score("", "x"), (0.0, 0.0, 0.0));
    assert_eq!(score("Données été", "données ÉTÉ"), (1.0, 1.0, 1.0));
}

fn truth(set_dir: &Path) -> HashMap<String, String> {
    let file = std::fs::File::open(set_dir.join("ground_truth.jsonl.zst")).unwrap();
    let bytes = zstd::stream::decode_all(file).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.split('\n')
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v["body"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn html_extraction_stays_above_the_level_reached() {
    let Some(shared) = crate::util::repo_shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let mut failures = Vec::new();
    for (set, floor) in FLOORS {
        let set_dir = shared.join("corpora").join(set);
        let pages = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "zstd -dc '{}' | tar -x -C '{}'",
                set_dir.join("pages.tar.zst").display(),
                pages.path().display()
            ))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("skipped: zstd or tar unavailable");
            return;
        }
        let truth = truth(&set_dir);
        let f1s: Vec<f64> = truth
            .par_iter()
            .map(|(id, body)| {
                let path = pages.path().join(format!("{id}.html"));
                let pred = gazette::ingest::extract_html_file(&path).map(|e| e.body);
                score(&pred.unwrap_or_default(), body).2
            })
            .collect();
        let mean = f1s.iter().sum::<f64>() / f1s.len() as f64;
        eprintln!("{set}: {} pages, mean F1 {mean:.4} (floor {floor})", f1s.len());
        if mean < *floor {
            failures.push(format!("{set}: mean F1 {mean:.4} < {floor}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
