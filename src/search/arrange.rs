//! What happens to the ranked list of articles between scoring and paging: exact matches of
//! a misspelled-looking word ahead of its fuzzy matches, recency decay, sorting by date, and
//! collapsing syndicated copies into one hit.
//!
//! This module never scores: it takes the articles as ranked (score, best passages) and
//! reorders or groups them, reading each article's date, key and fingerprint from the fast
//! fields of its best passage.

use std::collections::HashSet;

use tantivy::columnar::Column;
use tantivy::{DocAddress, Searcher};
use time::OffsetDateTime;

use super::collector::ArticleMatches;
use crate::error::Result;
use crate::index::fingerprint::hamming;

/// The largest Hamming distance between the fingerprints of two articles collapsed as copies
/// of one story (measured on the shared news sets: BENCHMARKS.md, "Syndicated copies").
pub const COLLAPSE_DISTANCE: u32 = 6;

/// The recency factor of an undated article: as if it were one half-life old.
pub const UNDATED_DECAY: f32 = 0.5;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (after any recency decay).
    #[default]
    Relevance,
    /// Newest first; undated articles last; ties by relevance.
    Date,
}

impl std::str::FromStr for Sort {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Sort> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relevance" => Ok(Sort::Relevance),
            "date" => Ok(Sort::Date),
            _ => Err(crate::Error::InvalidOption(format!(
                "invalid sort {s:?}: expected relevance or date"
            ))),
        }
    }
}

/// Parses a recency half-life: a number and a unit, `h` (hours), `d` (days), `w` (weeks),
/// `m` (30-day months) or `y` (365-day years), e.g. `30d`, `12h`, `2w`; units may combine
/// (`1w 3d`). Parsed by the `humantime` crate.
///
/// ```
/// use gazette::search::half_life;
/// assert_eq!(half_life("30d").unwrap().whole_days(), 30);
/// assert_eq!(half_life("12h").unwrap().whole_hours(), 12);
/// assert_eq!(half_life("2w").unwrap().whole_days(), 14);
/// assert!(half_life("soon").is_err());
/// assert!(half_life("0d").is_err());
/// ```
pub fn half_life(text: &str) -> Result<time::Duration> {
    let bad = |why: String| {
        crate::Error::InvalidOption(format!(
            "invalid half-life {text:?}: {why} (expected e.g. 30d, 12h, 2w)"
        ))
    };
    let trimmed = text.trim();
    // humantime reads `m` as minutes; a month is what a news reader means.
    let months = trimmed.strip_suffix('m').filter(|n| n.chars().all(|c| c.is_ascii_digit()));
    let std = match months {
        Some(n) if !n.is_empty() => {
            let n: u64 = n.parse().map_err(|_| bad("too large".into()))?;
            std::time::Duration::from_secs(n.saturating_mul(30 * 86_400))
        }
        _ => humantime::parse_duration(trimmed).map_err(|e| bad(e.to_string()))?,
    };
    if std.as_secs() == 0 {
        return Err(bad("it must be longer than a second".into()));
    }
    time::Duration::try_from(std).map_err(|_| bad("too large".into()))
}

/// One article of the final list, with the copies collapsed into it.
#[derive(Debug)]
pub(crate) struct Arranged {
    pub score: f32,
    pub matches: ArticleMatches,
    /// Near-duplicates of this article, best first.
    pub copies: Vec<ArticleMatches>,
}

/// What the caller asks of the arrangement.
#[derive(Debug, Default)]
pub(crate) struct Arrangement<'a> {
    pub sort: Sort,
    /// Recency half-life, and the instant ages are measured from.
    pub recent: Option<(time::Duration, OffsetDateTime)>,
    pub collapse: bool,
    /// Articles (by key) that rank ahead of every other: those matching the query's rare
    /// words exactly, when their fuzzy matches were added.
    pub exact_first: Option<&'a HashSet<u64>>,
    /// An article (by key) to leave out (the article `similar` starts from).
    pub exclude: Option<u64>,
}

/// The fast fields of one article, read from its best passage.
#[derive(Debug, Clone, Copy)]
struct Facts {
    key: Option<u64>,
    date: Option<i64>,
    simhash: Option<u64>,
}

/// One segment's fast columns: article key, date, fingerprint.
type SegmentColumns = (Column<u64>, Column<tantivy::DateTime>, Column<u64>);

/// Per-segment fast columns, opened on first use.
struct Columns<'s> {
    searcher: &'s Searcher,
    /// By segment ordinal.
    open: Vec<Option<SegmentColumns>>,
    /// Which facts the arrangement needs (each read costs a column look-up per article).
    need_key: bool,
    need_date: bool,
    need_simhash: bool,
}

impl Columns<'_> {
    fn facts(&mut self, addr: DocAddress) -> Result<Facts> {
        let segment = addr.segment_ord as usize;
        let Some(reader) = self.searcher.segment_readers().get(segment) else {
            return Ok(Facts { key: None, date: None, simhash: None });
        };
        if self.open.len() <= segment {
            self.open.resize_with(segment + 1, || None);
        }
        let slot = &mut self.open[segment];
        if slot.is_none() {
            let ff = reader.fast_fields();
            *slot = Some((ff.u64("article_key")?, ff.date("date")?, ff.u64("simhash")?));
        }
        let Some((key, date, simhash)) = slot.as_ref() else {
            return Ok(Facts { key: None, date: None, simhash: None });
        };
        let doc = addr.doc_id;
        Ok(Facts {
            key: if self.need_key { key.first(doc) } else { None },
            date: if self.need_date {
                date.first(doc).map(|d| d.into_timestamp_secs())
            } else {
                None
            },
            simhash: if self.need_simhash { simhash.first(doc) } else { None },
        })
    }
}

/// Reorders and groups `ranked` (best first, as scored) as `how` asks.
pub(crate) fn arrange(
    searcher: &Searcher,
    ranked: Vec<(f32, ArticleMatches)>,
    how: &Arrangement<'_>,
) -> Result<Vec<Arranged>> {
    let plain = how.sort == Sort::Relevance
        && how.recent.is_none()
        && !how.collapse
        && how.exact_first.is_none()
        && how.exclude.is_none();
    if plain {
        return Ok(ranked
            .into_iter()
            .map(|(score, matches)| Arranged { score, matches, copies: Vec::new() })
            .collect());
    }
    let mut columns = Columns {
        searcher,
        open: Vec::new(),
        need_key: how.exact_first.is_some() || how.exclude.is_some(),
        need_date: how.sort == Sort::Date || how.recent.is_some(),
        need_simhash: how.collapse,
    };
    // Sorting and grouping move small items; the matches stay in place, by rank.
    let mut items: Vec<(u32, f32, Facts)> = Vec::with_capacity(ranked.len());
    let mut slots: Vec<Option<(f32, ArticleMatches)>> = Vec::with_capacity(ranked.len());
    for (mut score, m) in ranked {
        let Some(best) = m.best.first() else { continue };
        let facts = columns.facts(best.addr)?;
        if how.exclude.is_some() && facts.key == how.exclude {
            continue;
        }
        if let Some((half, now)) = how.recent {
            score *= decay(facts.date, half, now);
        }
        items.push((slots.len() as u32, score, facts));
        slots.push(Some((score, m)));
    }
    let tier = |f: &Facts| match (how.exact_first, f.key) {
        (Some(set), Some(k)) if set.contains(&k) => 0u8,
        (Some(_), _) => 1,
        (None, _) => 0,
    };
    // The slot number (the rank as scored) breaks every tie, so an unstable sort is
    // deterministic.
    match how.sort {
        Sort::Relevance => items.sort_unstable_by(|a, b| {
            tier(&a.2)
                .cmp(&tier(&b.2))
                .then_with(|| b.1.total_cmp(&a.1))
                .then_with(|| a.0.cmp(&b.0))
        }),
        Sort::Date => items.sort_unstable_by(|a, b| {
            // Newest first, undated last (None sorts below Some in reverse order).
            b.2.date.cmp(&a.2.date).then_with(|| b.1.total_cmp(&a.1)).then_with(|| a.0.cmp(&b.0))
        }),
    }
    // The group of each item, numbered in the order of their first items.
    let group_of: Vec<u32> = if how.collapse {
        let fingerprints: Vec<Option<u64>> = items.iter().map(|i| i.2.simhash).collect();
        collapse(&fingerprints, COLLAPSE_DISTANCE)
    } else {
        (0..items.len() as u32).collect()
    };
    let mut out: Vec<Arranged> = Vec::with_capacity(items.len());
    for (item, group) in items.iter().zip(group_of) {
        let Some((score, matches)) = slots.get_mut(item.0 as usize).and_then(Option::take) else {
            continue;
        };
        match out.get_mut(group as usize) {
            Some(head) => head.copies.push(matches),
            None => out.push(Arranged { score, matches, copies: Vec::new() }),
        }
    }
    Ok(out)
}

/// The recency factor `0.5^(age / half_life)`; dates in the future count as now.
fn decay(date: Option<i64>, half: time::Duration, now: OffsetDateTime) -> f32 {
    let Some(date) = date else { return UNDATED_DECAY };
    let age = (now.unix_timestamp() - date).max(0) as f64;
    0.5f64.powf(age / half.as_seconds_f64().max(1.0)) as f32
}

/// Groups items (given in their final order) whose fingerprints are within `k` bits: each
/// item joins the earliest group whose first item is within `k` of it, else starts a group.
/// Items without a fingerprint stay alone. Returns the group of each item, the groups
/// numbered in the order of their first items.
///
/// Candidates are found by pigeonhole: with the 64 bits cut into `k + 1` blocks, two
/// fingerprints within `k` bits agree on at least one whole block, so an item is compared
/// only with the earlier group heads that share a block value with it. The blocks have
/// near-equal widths (with k = 6: six of 9 bits and one of 10), so each block value holds
/// about one in 500 of the items; each block's items are bucketed by a counting sort (no
/// hashing), in item order, with their fingerprints beside them, so a bucket is read in one
/// pass (no look-up per candidate) and nothing is allocated per group.
pub(crate) fn collapse(fingerprints: &[Option<u64>], k: u32) -> Vec<u32> {
    /// One block's buckets: `start[v]..start[v + 1]` are the places in `items` (item
    /// numbers, in item order) and `prints` (their fingerprints) of block value `v`; `of`
    /// is each item's block value (computed once).
    struct Table {
        of: Vec<u32>,
        start: Vec<u32>,
        items: Vec<u32>,
        prints: Vec<u64>,
    }
    let n = fingerprints.len();
    let blocks = (k as usize + 1).min(64);
    let bounds: Vec<usize> = (0..=blocks).map(|b| b * 64 / blocks).collect();
    // Blocks wider than 16 bits (k ≤ 2) have too many values for a table: fold them to 16
    // bits. Items that share a folded value are compared like any other; the distance
    // decides.
    let bits = |b: usize| (bounds[b + 1] - bounds[b]).min(16);
    let value = |f: u64, b: usize| -> u32 {
        let (lo, hi) = (bounds[b], bounds[b + 1]);
        let width = hi - lo;
        let v = if width >= 64 { f } else { (f >> lo) & ((1u64 << width) - 1) };
        let fold = bits(b);
        let mut x = v;
        let mut folded = 0u64;
        while x != 0 {
            folded ^= x & ((1u64 << fold) - 1);
            x >>= fold;
        }
        folded as u32
    };
    let mut tables: Vec<Table> = Vec::with_capacity(blocks);
    for b in 0..blocks {
        let size = 1usize << bits(b);
        let of: Vec<u32> = fingerprints.iter().map(|f| f.map_or(0, |f| value(f, b))).collect();
        let mut start = vec![0u32; size + 1];
        for (f, v) in fingerprints.iter().zip(&of) {
            if f.is_some() {
                start[*v as usize + 1] += 1;
            }
        }
        for v in 0..size {
            start[v + 1] += start[v];
        }
        let mut next = start.clone();
        let mut items = vec![0u32; start[size] as usize];
        let mut prints = vec![0u64; start[size] as usize];
        for (i, (f, v)) in fingerprints.iter().zip(&of).enumerate() {
            if let Some(f) = f {
                let slot = &mut next[*v as usize];
                items[*slot as usize] = i as u32;
                prints[*slot as usize] = *f;
                *slot += 1;
            }
        }
        tables.push(Table { of, start, items, prints });
    }
    // The group each head leads (`u32::MAX`: not a head).
    let mut led = vec![u32::MAX; n];
    let mut group_of = Vec::with_capacity(n);
    let mut groups = 0u32;
    for (i, fp) in fingerprints.iter().enumerate() {
        // The earliest head within k (none for an item without a fingerprint): heads are
        // earlier items, below `limit`, and earlier heads lead earlier groups.
        let mut limit = i;
        if let Some(f) = *fp {
            for t in &tables {
                let v = t.of[i] as usize;
                let (from, to) = (t.start[v] as usize, t.start[v + 1] as usize);
                for (&j, &g) in t.items[from..to].iter().zip(&t.prints[from..to]) {
                    let j = j as usize;
                    if j >= limit {
                        break;
                    }
                    if hamming(g, f) <= k && led[j] != u32::MAX {
                        limit = j;
                        break;
                    }
                }
            }
        }
        if limit < i {
            group_of.push(led[limit]);
        } else {
            led[i] = groups;
            group_of.push(groups);
            groups += 1;
        }
    }
    group_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn collapses_within_k_in_order() {
        let a = 0xF0F0_F0F0_F0F0_F0F0u64;
        let fps = [Some(a), Some(!a), Some(a ^ 0b111), None, Some(a ^ 0b1111), Some(!a ^ 1)];
        assert_eq!(groups(&collapse(&fps, 3)), vec![vec![0, 2], vec![1, 5], vec![3], vec![4]]);
        assert_eq!(groups(&collapse(&fps, 0)).len(), 6);
    }

    /// The items of each group, from the group of each item (checking that the groups are
    /// numbered in the order of their first items).
    fn groups(group_of: &[u32]) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::new();
        for (i, g) in group_of.iter().enumerate() {
            match out.get_mut(*g as usize) {
                Some(members) => members.push(i),
                None => {
                    assert_eq!(*g as usize, out.len(), "groups numbered in order");
                    out.push(vec![i]);
                }
            }
        }
        out
    }

    proptest! {
        /// The block index finds exactly what comparing every pair would.
        #[test]
        fn same_as_brute_force(fps in proptest::collection::vec(any::<u64>(), 0..40),
                               flips in proptest::collection::vec((0usize..40, 0u32..64), 0..80),
                               k in 0u32..8,
                               without in proptest::collection::vec(0usize..120, 0..4)) {
            let mut fps = fps;
            let n = fps.len();
            // Make near copies so groups form.
            for (i, bit) in flips {
                if n > 0 {
                    let src = fps[i % n];
                    fps.push(src ^ (1u64 << bit));
                }
            }
            // Some items without a fingerprint: they stay alone.
            let mut items: Vec<Option<u64>> = fps.iter().copied().map(Some).collect();
            for i in without {
                if let Some(item) = items.get_mut(i) {
                    *item = None;
                }
            }
            let mut brute: Vec<Vec<usize>> = Vec::new();
            for (i, f) in items.iter().enumerate() {
                let found = f.and_then(|f| {
                    brute.iter_mut().find(|g| items[g[0]].is_some_and(|h| hamming(h, f) <= k))
                });
                match found {
                    Some(g) => g.push(i),
                    None => brute.push(vec![i]),
                }
            }
            prop_assert_eq!(groups(&collapse(&items, k)), brute);
        }
    }

    #[test]
    fn decay_halves_per_half_life() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000_000).unwrap();
        let day = time::Duration::days(1);
        let t = now.unix_timestamp();
        assert!((decay(Some(t), day, now) - 1.0).abs() < 1e-6);
        assert!((decay(Some(t - 86_400), day, now) - 0.5).abs() < 1e-6);
        assert!((decay(Some(t - 2 * 86_400), day, now) - 0.25).abs() < 1e-6);
        assert!((decay(Some(t + 86_400), day, now) - 1.0).abs() < 1e-6);
        assert_eq!(decay(None, day, now), UNDATED_DECAY);
    }

    #[test]
    fn half_lives() {
        assert_eq!(half_life("3m").unwrap().whole_days(), 90);
        assert_eq!(half_life("1y").unwrap().whole_days(), 365);
        assert_eq!(half_life("1w 3d").unwrap().whole_days(), 10);
        assert!(half_life("").is_err());
    }
}
