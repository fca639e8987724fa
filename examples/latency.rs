//! In-process query latency over a query set, measured the way the raw-Tantivy reference
//! program (`../shared/anchors/raw-tantivy`, `rt query`) measures it: the index is opened
//! once, every query runs once to warm up, then `--rounds` timed passes; each query's
//! latency is its median over the passes, and the percentiles are taken over the queries.
//!
//! ```text
//! cargo run --release --example latency -- INDEX QUERIES.txt [--passages N] [--rounds R] [--limit K]
//!     [--facets] [--expand] [--explain] [--rank SPEC]
//! ```
//!
//! `--passages 0` returns hits without passages or highlights (titles and metadata only);
//! `--passages 1` adds one highlighted passage per hit, like `rt query … snippet`;
//! `--passages 2` is what `gazette search` shows. `--expand` and `--explain` turn on query
//! expansion and explanations; `--rank SPEC` sets ranking parameters as `gazette search
//! --rank` does (e.g. `proximity=0`, to measure what a part of the ranking costs with the
//! same build). Prints one JSON line on stdout. `bench/run.sh` runs it beside raw Tantivy,
//! `bench/latency.sh` against another build's ranking.

use std::path::PathBuf;
use std::time::Instant;

use gazette::search::RankParams;
use gazette::{NewsIndex, SearchRequest};

struct Args {
    index: PathBuf,
    queries: PathBuf,
    passages: usize,
    rounds: usize,
    limit: usize,
    facets: bool,
    expand: bool,
    explain: bool,
    rank: RankParams,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: latency INDEX QUERIES.txt [--passages N] [--rounds R] [--limit K] \
                 [--facets] [--expand] [--explain] [--rank SPEC]";
    let mut pos = Vec::new();
    let (mut passages, mut rounds, mut limit, mut facets) = (1, 3, 10, false);
    let (mut expand, mut explain, mut rank) = (false, false, RankParams::default());
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number\n{usage}"))
        };
        match a.as_str() {
            "--passages" => passages = num("--passages")?,
            "--rounds" => rounds = num("--rounds")?.max(1),
            "--limit" => limit = num("--limit")?,
            "--facets" => facets = true,
            "--expand" => expand = true,
            "--explain" => explain = true,
            "--rank" => {
                let spec = it.next().ok_or_else(|| format!("--rank needs a value\n{usage}"))?;
                rank = spec.parse().map_err(|e| format!("--rank: {e}"))?;
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a}\n{usage}")),
            _ => pos.push(PathBuf::from(a)),
        }
    }
    let [index, queries] = <[PathBuf; 2]>::try_from(pos).map_err(|_| usage.to_string())?;
    Ok(Args { index, queries, passages, rounds, limit, facets, expand, explain, rank })
}

/// The percentile `p` of sorted values, by the nearest rank (as `rt query` computes it).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let t_open = Instant::now();
    let index = NewsIndex::open(&args.index)?;
    let open_ms = t_open.elapsed().as_secs_f64() * 1e3;
    let text = std::fs::read_to_string(&args.queries)
        .map_err(|e| format!("{}: {e}", args.queries.display()))?;
    let requests: Vec<SearchRequest> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|q| SearchRequest {
            limit: args.limit,
            passages: args.passages,
            facets: args.facets,
            expand: args.expand,
            explain: args.explain,
            rank: args.rank,
            ..SearchRequest::new(q)
        })
        .collect();

    let (mut hits, mut chars, mut errors) = (0usize, 0usize, 0usize);
    let mut run_one = |req: &SearchRequest| match index.search(req) {
        Ok(res) => {
            hits += res.hits.len();
            chars += res.hits.iter().flat_map(|h| &h.passages).map(|p| p.text.len()).sum::<usize>();
        }
        Err(_) => errors += 1,
    };
    // Warm-up pass: page cache, lazily opened structures.
    requests.iter().for_each(&mut run_one);
    let mut per_query: Vec<Vec<f64>> = vec![Vec::with_capacity(args.rounds); requests.len()];
    let t_all = Instant::now();
    for _ in 0..args.rounds {
        for (i, req) in requests.iter().enumerate() {
            let t = Instant::now();
            run_one(req);
            per_query[i].push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let all_s = t_all.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = per_query
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    let mean = lat.iter().sum::<f64>() / lat.len().max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "peer": "gazette",
            "passages": args.passages,
            "limit": args.limit,
            "facets": args.facets,
            "expand": args.expand,
            "explain": args.explain,
            "queries": lat.len(),
            "rounds": args.rounds,
            "open_ms": open_ms,
            "p50_ms": percentile(&lat, 50.0),
            "p95_ms": percentile(&lat, 95.0),
            "p99_ms": percentile(&lat, 99.0),
            "mean_ms": mean,
            "max_ms": lat.last().copied().unwrap_or(0.0),
            "qps": (args.rounds * requests.len()) as f64 / all_s,
            "hits": hits,
            "chars": chars,
            "errors": errors,
        })
    );
    Ok(())
}
