//! In-process query latency over a query set: one query per line, run as `gazette search`
//! would (10 hits, 2 highlighted passages each), one thread; a warm-up pass, then three timed
//! passes, each query's median kept, then percentiles over the set.
//!
//! ```sh
//! cargo run --release --example query_latency -- INDEX QUERIES [--expand] [--explain] [--rank SPEC]
//! ```
//!
//! `--rank SPEC` sets ranking parameters as `gazette search --rank` does (e.g.
//! `proximity=0`, to measure what a part of the ranking costs with the same build).
//!
//! Prints one JSON line: `{"queries", "p50_ms", "p95_ms", "p99_ms", "mean_ms"}`. Used by
//! `bench/latency.sh`, which runs it against the ranking of another commit in the same run.

use std::time::Instant;

use gazette::{NewsIndex, SearchRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(queries)) = (args.first(), args.get(1)) else {
        return Err(
            "usage: query_latency INDEX QUERIES [--expand] [--explain] [--rank SPEC]".into()
        );
    };
    let flag = |name: &str| args.iter().any(|a| a == name);
    let rank: gazette::search::RankParams = match args.iter().position(|a| a == "--rank") {
        Some(at) => args.get(at + 1).ok_or("--rank needs a value")?.parse()?,
        None => gazette::search::RankParams::default(),
    };
    let index = NewsIndex::open(dir.as_ref())?;
    let queries: Vec<String> = std::fs::read_to_string(queries)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let request = |q: &str| {
        let mut req = SearchRequest::new(q);
        req.rank = rank;
        // `expand` and `explain` exist from issue 6 on; an older library has neither.
        apply_flags(&mut req, flag("--expand"), flag("--explain"));
        req
    };
    for q in &queries {
        index.search(&request(q))?;
    }
    let mut per_query: Vec<f64> = Vec::with_capacity(queries.len());
    for q in &queries {
        let mut times = [0.0f64; 3];
        for t in &mut times {
            let start = Instant::now();
            index.search(&request(q))?;
            *t = start.elapsed().as_secs_f64() * 1e3;
        }
        times.sort_by(f64::total_cmp);
        per_query.push(times[1]);
    }
    per_query.sort_by(f64::total_cmp);
    let pct = |p: f64| per_query[((per_query.len() - 1) as f64 * p).round() as usize];
    let mean = per_query.iter().sum::<f64>() / per_query.len().max(1) as f64;
    println!(
        "{{\"queries\": {}, \"p50_ms\": {:.3}, \"p95_ms\": {:.3}, \"p99_ms\": {:.3}, \"mean_ms\": {:.3}}}",
        per_query.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        mean
    );
    Ok(())
}

fn apply_flags(req: &mut SearchRequest, expand: bool, explain: bool) {
    req.expand = expand;
    req.explain = explain;
}
