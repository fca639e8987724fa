//! Ranking evaluation on TREC-style test collections: relevance judgments (qrels), a run
//! (ranked documents per query), and the standard measures computed as `trec_eval` computes
//! them: MAP, nDCG@10, P@10 and Recall@100.
//!
//! Semantics (those of `trec_eval` and of `../shared/anchors/trec_eval.py`): a run's documents
//! are sorted by score, descending, ties broken by document id, descending; a judgment above 0
//! is relevant; the measures are averaged over the queries of the qrels that have at least one
//! relevant document, and such a query missing from the run scores 0. nDCG uses the grade as
//! gain and a `log2(rank + 1)` discount, the ideal ranking being the judged documents sorted
//! by grade.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::index::{index_paths, IndexOptions, NewsIndex};
use crate::search::{free_text, RankParams, SearchRequest};

/// Relevance judgments: query id → document id → grade.
pub type Qrels = HashMap<String, HashMap<String, i64>>;

/// A run: query id → (document id, score) in any order.
pub type Run = HashMap<String, Vec<(String, f64)>>;

/// The measures over a run, averaged over the judged queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Queries averaged over (those with at least one relevant document).
    pub queries: usize,
    /// Mean average precision.
    pub map: f64,
    /// Mean nDCG at rank 10.
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    /// Mean precision at rank 10.
    #[serde(rename = "p@10")]
    pub p10: f64,
    /// Mean recall at rank 100.
    #[serde(rename = "recall@100")]
    pub recall100: f64,
}

fn parse_error(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::BadFile { path: path.to_path_buf(), line: Some(line as u64), reason: message.into() }
}

fn lines(path: &Path) -> Result<Vec<String>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    std::io::BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(path, e))
}

/// Reads `query_id<TAB or space>doc_id<…>grade` lines (also the 4-column TREC form
/// `query_id 0 doc_id grade`).
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    let mut qrels = Qrels::new();
    for (i, line) in lines(path)?.iter().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (q, d, g) = match cols.as_slice() {
            [] => continue,
            [q, d, g] | [q, _, d, g] => (q, d, g),
            _ => return Err(parse_error(path, i + 1, "expected query id, document id and grade")),
        };
        let grade: i64 = g
            .parse()
            .map_err(|_| parse_error(path, i + 1, format!("grade {g:?} is not a number")))?;
        qrels.entry((*q).to_string()).or_default().insert((*d).to_string(), grade);
    }
    Ok(qrels)
}

/// Reads queries: JSON Lines `{"id": …, "text": …}`, or `id<TAB>text` lines.
pub fn read_queries(path: &Path) -> Result<Vec<(String, String)>> {
    let mut queries = Vec::new();
    for (i, line) in lines(path)?.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| parse_error(path, i + 1, format!("invalid JSON: {e}")))?;
            let id = match &v["id"] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return Err(parse_error(path, i + 1, "a query needs an \"id\"")),
            };
            let text = v["text"]
                .as_str()
                .or_else(|| v["query"].as_str())
                .ok_or_else(|| parse_error(path, i + 1, "a query needs a \"text\""))?;
            queries.push((id, text.to_string()));
        } else if let Some((id, text)) = line.split_once('\t') {
            queries.push((id.trim().to_string(), text.trim().to_string()));
        } else {
            return Err(parse_error(path, i + 1, "expected a JSON object or id<TAB>text"));
        }
    }
    Ok(queries)
}

/// Sorts a query's documents as `trec_eval` does: score descending, then document id
/// descending.
fn ranked(docs: &[(String, f64)]) -> Vec<&(String, f64)> {
    let mut docs: Vec<&(String, f64)> = docs.iter().collect();
    docs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    docs
}

/// Computes the measures of `run` against `qrels`.
pub fn evaluate(qrels: &Qrels, run: &Run) -> Metrics {
    let mut sums = [0.0f64; 4];
    let mut queries = 0usize;
    let judged: BTreeMap<&String, &HashMap<String, i64>> = qrels.iter().collect();
    for (qid, rels) in judged {
        let relevant = rels.values().filter(|g| **g > 0).count();
        if relevant == 0 {
            continue;
        }
        queries += 1;
        let Some(docs) = run.get(qid) else { continue };
        let docs: Vec<&str> = ranked(docs).into_iter().map(|(d, _)| d.as_str()).collect();
        let grade = |d: &str| rels.get(d).copied().unwrap_or(0);
        let (mut hits, mut ap) = (0usize, 0.0f64);
        for (i, d) in docs.iter().enumerate() {
            if grade(d) > 0 {
                hits += 1;
                ap += hits as f64 / (i + 1) as f64;
            }
        }
        let dcg = |grades: &mut dyn Iterator<Item = i64>| -> f64 {
            grades
                .take(10)
                .enumerate()
                .filter(|(_, g)| *g > 0)
                .map(|(i, g)| g as f64 / ((i + 2) as f64).log2())
                .sum()
        };
        let mut ideal: Vec<i64> = rels.values().copied().filter(|g| *g > 0).collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg = dcg(&mut ideal.into_iter());
        let ndcg = if idcg > 0.0 { dcg(&mut docs.iter().map(|d| grade(d))) / idcg } else { 0.0 };
        let p10 = docs.iter().take(10).filter(|d| grade(d) > 0).count() as f64 / 10.0;
        let r100 = docs.iter().take(100).filter(|d| grade(d) > 0).count() as f64 / relevant as f64;
        for (s, v) in sums.iter_mut().zip([ap / relevant as f64, ndcg, p10, r100]) {
            *s += v;
        }
    }
    let mean = |s: f64| if queries == 0 { 0.0 } else { s / queries as f64 };
    Metrics {
        queries,
        map: mean(sums[0]),
        ndcg10: mean(sums[1]),
        p10: mean(sums[2]),
        recall100: mean(sums[3]),
    }
}

/// Writes a run in the TREC format: `query_id Q0 doc_id rank score tag`, best first. Scores
/// are written exactly (the shortest form that reads back as the same number), so a
/// scorer reading the file sees the same order and the same ties as [`evaluate`].
pub fn format_run(run: &Run, tag: &str) -> String {
    let mut out = String::new();
    let sorted: BTreeMap<&String, &Vec<(String, f64)>> = run.iter().collect();
    for (qid, docs) in sorted {
        for (rank, (doc, score)) in ranked(docs).into_iter().enumerate() {
            let _ = writeln!(out, "{qid} Q0 {doc} {} {score} {tag}", rank + 1);
        }
    }
    out
}

/// Indexes a collection's documents (any input Gazette reads, e.g. `docs.jsonl.zst` with
/// `id`, `title`, `body`) into a new index in `dir`; `default_lang` as in [`IndexOptions`].
pub fn index_collection(
    dir: &Path,
    docs: &Path,
    default_lang: Option<String>,
) -> Result<NewsIndex> {
    let index = NewsIndex::create(dir)?;
    let opts = IndexOptions { default_lang, ..IndexOptions::default() };
    let summary = index_paths(&index, &[PathBuf::from(docs)], &opts, &())?;
    if summary.articles == 0 {
        return Err(Error::InvalidOption(format!("no documents found in {}", docs.display())));
    }
    index.reload()?;
    Ok(index)
}

/// Runs every query as free text (its words OR'ed; query-syntax characters taken as text),
/// ranked with `rank` (and expanded when `expand`; see [`SearchRequest::expand`]), and keeps
/// the best `depth` articles of each.
pub fn run_queries(
    index: &NewsIndex,
    queries: &[(String, String)],
    depth: usize,
    rank: RankParams,
    expand: bool,
) -> Result<Run> {
    let mut run = Run::new();
    for (qid, text) in queries {
        let mut req = SearchRequest::new(free_text(text));
        req.limit = depth;
        req.passages = 0;
        req.rank = rank;
        req.expand = expand;
        // As the anchors ran them: no typo expansion (the queries are typed carefully), and
        // every judged document ranked on its own, near-duplicates included.
        req.fuzzy = false;
        req.collapse = false;
        let results = index.search(&req)?;
        let docs =
            results.hits.into_iter().map(|h| (h.id.as_str().to_string(), f64::from(h.score)));
        run.insert(qid.clone(), docs.collect());
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qrels(rows: &[(&str, &str, i64)]) -> Qrels {
        let mut q = Qrels::new();
        for (qid, d, g) in rows {
            q.entry((*qid).into()).or_default().insert((*d).into(), *g);
        }
        q
    }

    fn run(rows: &[(&str, &[(&str, f64)])]) -> Run {
        rows.iter()
            .map(|(q, docs)| ((*q).into(), docs.iter().map(|(d, s)| ((*d).into(), *s)).collect()))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Values computed by hand (and by `trec_eval.py` on the same files).
    #[test]
    fn measures_match_hand_computed_values() {
        // q1: relevant d1 (grade 2), d3 (grade 1); d2 judged not relevant.
        // q2: relevant d9 only, never retrieved. q3: no relevant document, not counted.
        let qrels = qrels(&[
            ("q1", "d1", 2),
            ("q1", "d2", 0),
            ("q1", "d3", 1),
            ("q2", "d9", 1),
            ("q3", "d1", 0),
        ]);
        // q1 ranked: d1 (rank 1), d2 (rank 2), d3 (rank 3); q2 ranked: d4.
        let run = run(&[
            ("q1", &[("d3", 0.5), ("d1", 0.9), ("d2", 0.7)]),
            ("q2", &[("d4", 1.0)]),
            ("q3", &[("d1", 1.0)]),
        ]);
        let m = evaluate(&qrels, &run);
        assert_eq!(m.queries, 2);
        // AP q1 = (1/1 + 2/3) / 2 = 5/6; q2 = 0.
        assert!(close(m.map, (5.0 / 6.0) / 2.0), "{m:?}");
        // P@10 q1 = 2/10; q2 = 0.
        assert!(close(m.p10, 0.1), "{m:?}");
        // Recall@100 q1 = 1; q2 = 0.
        assert!(close(m.recall100, 0.5), "{m:?}");
        // nDCG@10 q1: DCG = 2/log2(2) + 1/log2(4) = 2.5; ideal = 2 + 1/log2(3).
        let ndcg1 = 2.5 / (2.0 + 1.0 / 3f64.log2());
        assert!(close(m.ndcg10, ndcg1 / 2.0), "{m:?}");
    }

    #[test]
    fn ties_are_broken_by_document_id_descending_and_missing_queries_score_zero() {
        let qrels = qrels(&[("q1", "a", 1), ("q2", "x", 1)]);
        // a and b tie: trec_eval ranks b first, so a is at rank 2: AP 1/2.
        let run = run(&[("q1", &[("a", 1.0), ("b", 1.0)])]);
        let m = evaluate(&qrels, &run);
        assert_eq!(m.queries, 2);
        assert!(close(m.map, 0.25), "{m:?}");
        assert!(format_run(&run, "t").starts_with("q1 Q0 b 1 1 t\nq1 Q0 a 2 1 t\n"));
    }

    /// Regression: scores were written with 6 decimals, so two scores closer than 1e-6
    /// became a tie in the file, which trec_eval breaks by document id: its figures then
    /// differed from Gazette's on ir-cisi (MAP 0.1701658 against 0.1701657).
    #[test]
    fn run_files_keep_scores_that_differ_below_the_sixth_decimal() {
        let run = run(&[("q1", &[("a", 0.123_456_4), ("b", 0.123_456_1)])]);
        let text = format_run(&run, "t");
        let scores: Vec<f64> =
            text.lines().map(|l| l.split(' ').nth(4).unwrap().parse().unwrap()).collect();
        assert_eq!(scores, [0.123_456_4, 0.123_456_1], "{text}");
        assert!(text.starts_with("q1 Q0 a 1 "), "{text}");
    }
}
