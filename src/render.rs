//! Search results as terminal text or JSON, written to any `Write`.
//!
//! Renderers only format: ranking and highlight ranges come from [`crate::search`].

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::search::{Explain, Passage, SearchResults};

/// How to write text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextOptions {
    /// Use ANSI colors and bold; otherwise matches are marked `**like this**`.
    pub color: bool,
}

const MATCH: Style = Style::new().bold().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const TITLE: Style = Style::new().bold();
const META: Style = Style::new().dimmed();

/// Writes results for a person: rank, title, source · date · language, url or path, then the
/// passages with their matches marked.
pub fn text<W: Write>(w: &mut W, results: &SearchResults, opts: TextOptions) -> io::Result<()> {
    let paint = |style: Style, s: &str| -> String {
        if opts.color {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    };
    let first_rank = results.hits.first().map_or(0, |_| 1);
    for (i, hit) in results.hits.iter().enumerate() {
        let title = if hit.title.is_empty() { "(untitled)" } else { hit.title.as_str() };
        writeln!(w, "{}. {}", i + first_rank, paint(TITLE, title))?;
        let mut meta: Vec<String> = Vec::new();
        meta.extend(hit.source.clone());
        meta.extend(hit.date.as_ref().map(|d| d.get(..10).unwrap_or(d).to_string()));
        meta.extend(hit.lang.clone());
        if !meta.is_empty() {
            writeln!(w, "   {}", paint(META, &meta.join(" · ")))?;
        }
        if let Some(loc) = hit.url.as_ref().or(hit.path.as_ref()) {
            writeln!(w, "   {}", paint(META, loc))?;
        }
        for p in &hit.passages {
            writeln!(w, "   > {}", marked(p, opts.color))?;
        }
        if let Some(e) = &hit.explain {
            explain(w, hit.score, e, &|s| paint(META, s))?;
        }
        writeln!(w)?;
    }
    let shown = results.hits.len();
    if results.total_hits == 0 {
        writeln!(w, "No articles match {:?}.", results.query)?;
    } else {
        writeln!(w, "{shown} of {} matching articles shown.", results.total_hits)?;
    }
    Ok(())
}

/// Writes why a hit ranked, indented under it.
fn explain<W: Write>(
    w: &mut W,
    score: f32,
    e: &Explain,
    paint: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    let second = match e.second_passage {
        Some(pos) => format!(
            " + {:.2} × passage {} ({:.3})",
            e.second_passage_share,
            pos + 1,
            e.second_passage_score
        ),
        None => String::new(),
    };
    let line = format!(
        "score {score:.3} = passage {} ({:.3}){second}; {} matching passage{}",
        e.passage + 1,
        e.passage_score,
        e.matched_passages,
        if e.matched_passages == 1 { "" } else { "s" }
    );
    writeln!(w, "   {}", paint(&line))?;
    if let Some(words) = &e.words {
        let line = format!(
            "passage {}: words {:.3} × coordination {:.3} ({} of {} words){}",
            e.passage + 1,
            words.score / words.coordination.max(f32::MIN_POSITIVE),
            words.coordination,
            words.matched,
            words.of,
            if e.other > 0.0 { format!(" + other clauses {:.3}", e.other) } else { String::new() }
        );
        writeln!(w, "   {}", paint(&line))?;
        for word in &words.words {
            let fields: Vec<String> = word
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{} {:?} tf {} len {}/{:.1} ×{} → {:.3}",
                        f.field, f.term, f.tf, f.len, f.avg_len, f.weight, f.part
                    )
                })
                .collect();
            let line = format!(
                "  {:?}: {:.3} = idf {:.3}, tf~ {:.3} [{}]",
                word.word,
                word.score,
                word.idf,
                word.tf,
                fields.join("; ")
            );
            writeln!(w, "   {}", paint(&line))?;
        }
    } else if e.other > 0.0 {
        writeln!(w, "   {}", paint(&format!("other clauses {:.3}", e.other)))?;
    }
    Ok(())
}

/// The passage text on one line with its highlights marked.
fn marked(p: &Passage, color: bool) -> String {
    let mut out = String::with_capacity(p.text.len() + 16 * p.highlights.len());
    let mut at = 0;
    for h in &p.highlights {
        let (Some(before), Some(word)) = (p.text.get(at..h.start), p.text.get(h.start..h.end))
        else {
            continue;
        };
        out.push_str(before);
        if color {
            out.push_str(&format!("{}{word}{}", MATCH.render(), MATCH.render_reset()));
        } else {
            out.push_str("**");
            out.push_str(word);
            out.push_str("**");
        }
        at = h.end;
    }
    out.push_str(p.text.get(at..).unwrap_or(""));
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes results as one JSON document (the schema documented in the README).
pub fn json<W: Write>(w: &mut W, results: &SearchResults) -> io::Result<()> {
    serde_json::to_writer(&mut *w, results)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Highlight;

    #[test]
    fn marks_highlights_and_flattens_lines() {
        let p = Passage {
            text: "Mistral AI signed.\n\nA new line.".into(),
            score: 1.0,
            highlights: vec![Highlight { start: 0, end: 7 }],
        };
        assert_eq!(marked(&p, false), "**Mistral** AI signed. A new line.");
        assert!(marked(&p, true).contains("\u{1b}["));
    }
}
