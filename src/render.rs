//! Search results as terminal text or JSON, written to any `Write`.
//!
//! Renderers only format: ranking and highlight ranges come from [`crate::search`].

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::search::{FacetCount, Passage, SearchResults};

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
        if !hit.also_in.is_empty() {
            let copies: Vec<String> = hit
                .also_in
                .iter()
                .map(|c| match &c.source {
                    Some(source) => format!("{source} ({})", c.id),
                    None => c.id.to_string(),
                })
                .collect();
            writeln!(w, "   {}", paint(META, &format!("also in: {}", copies.join("; "))))?;
        }
        for p in &hit.passages {
            writeln!(w, "   > {}", marked(p, opts.color))?;
        }
        writeln!(w)?;
    }
    let shown = results.hits.len();
    if results.total_hits == 0 {
        writeln!(w, "No articles match {:?}.", results.query)?;
    } else {
        writeln!(w, "{shown} of {} matching articles shown.", results.total_hits)?;
    }
    if let Some(facets) = &results.facets {
        let line = |counts: &[FacetCount]| {
            let parts: Vec<String> =
                counts.iter().map(|c| format!("{} {}", c.value, c.count)).collect();
            if parts.is_empty() {
                "-".to_string()
            } else {
                parts.join(", ")
            }
        };
        writeln!(w)?;
        writeln!(w, "{} {}", paint(TITLE, "sources:  "), line(&facets.source))?;
        writeln!(w, "{} {}", paint(TITLE, "languages:"), line(&facets.lang))?;
        writeln!(w, "{} {}", paint(TITLE, "months:   "), line(&facets.month))?;
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
