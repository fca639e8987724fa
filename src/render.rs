//! Search results as terminal text or JSON, written to any `Write`.
//!
//! Renderers only format: ranking and highlight ranges come from [`crate::search`].

pub mod bidi;

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::search::{Explain, FacetCount, Passage, SearchResults};

/// How right-to-left text (Arabic) is written to a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BidiMode {
    /// In logical (reading) order, one line per passage: right for terminals that run the
    /// bidirectional algorithm themselves (GNOME Terminal and other VTE terminals, Konsole,
    /// mlterm), for pipes and for files.
    #[default]
    Logical,
    /// Shaped, wrapped to [`TextOptions::width`] and reordered into visual order (see
    /// [`bidi`]): for terminals that print characters left to right as they come.
    Visual,
}

/// How to write text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextOptions {
    /// Use ANSI colors and bold; otherwise matches are marked `**like this**`.
    pub color: bool,
    /// How right-to-left text is laid out.
    pub bidi: BidiMode,
    /// Terminal width in columns, for [`BidiMode::Visual`] (0: 80).
    pub width: usize,
}

/// Indent of the lines under a hit's title.
const INDENT: &str = "   ";
/// Prefix of a passage's first line.
const PASSAGE: &str = "   > ";
/// Indent of a passage's further lines (visual layout).
const PASSAGE_CONT: &str = "     ";

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
        let rank = format!("{}. ", i + first_rank);
        let mut meta: Vec<String> = Vec::new();
        meta.extend(hit.source.clone());
        meta.extend(hit.date.as_ref().map(|d| d.get(..10).unwrap_or(d).to_string()));
        meta.extend(hit.lang.clone());
        let meta = meta.join(" · ");
        let loc = hit.url.as_ref().or(hit.path.as_ref());
        let also_in = (!hit.also_in.is_empty()).then(|| {
            let copies: Vec<String> = hit
                .also_in
                .iter()
                .map(|c| match &c.source {
                    Some(source) => format!("{source} ({})", c.id),
                    None => c.id.to_string(),
                })
                .collect();
            format!("also in: {}", copies.join("; "))
        });
        match opts.bidi {
            BidiMode::Logical => {
                writeln!(w, "{rank}{}", paint(TITLE, title))?;
                if !meta.is_empty() {
                    writeln!(w, "{INDENT}{}", paint(META, &meta))?;
                }
                if let Some(loc) = loc {
                    writeln!(w, "{INDENT}{}", paint(META, loc))?;
                }
                if let Some(also_in) = &also_in {
                    writeln!(w, "{INDENT}{}", paint(META, also_in))?;
                }
                for p in &hit.passages {
                    writeln!(w, "{PASSAGE}{}", marked(p, opts.color))?;
                }
            }
            BidiMode::Visual => {
                let width = if opts.width == 0 { 80 } else { opts.width };
                let cont = " ".repeat(rank.len());
                let title_style = Some(TITLE);
                visual(w, &[(title, false)], &rank, &cont, width, title_style, opts.color)?;
                if !meta.is_empty() {
                    visual(w, &[(&meta, false)], INDENT, INDENT, width, Some(META), opts.color)?;
                }
                if let Some(loc) = loc {
                    writeln!(w, "{INDENT}{}", paint(META, loc))?;
                }
                if let Some(also_in) = &also_in {
                    visual(w, &[(also_in, false)], INDENT, INDENT, width, Some(META), opts.color)?;
                }
                for p in &hit.passages {
                    let segments = segments(p);
                    visual(w, &segments, PASSAGE, PASSAGE_CONT, width, None, opts.color)?;
                }
            }
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
    let coverage = if e.words_of > 0 {
        format!(
            ", × coverage {:.3} ({} of {} words in the article)",
            e.coverage, e.words_found, e.words_of
        )
    } else {
        String::new()
    };
    let line = format!(
        "score {score:.3} = passage {} ({:.3}){second}{coverage}; {} matching passage{}",
        e.passage + 1,
        e.passage_score,
        e.matched_passages,
        if e.matched_passages == 1 { "" } else { "s" }
    );
    writeln!(w, "   {}", paint(&line))?;
    if let Some(words) = &e.words {
        let sum = words.score / words.coordination.max(f32::MIN_POSITIVE);
        let near = if words.proximity > 0.0 {
            format!(" (proximity {:.3} of it)", words.proximity)
        } else {
            String::new()
        };
        let line = format!(
            "passage {}: words {sum:.3}{near} × coordination {:.3} ({} of {} words){}",
            e.passage + 1,
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

/// The passage text cut into (text, matched) segments at its highlights.
fn segments(p: &Passage) -> Vec<(&str, bool)> {
    let mut out = Vec::with_capacity(2 * p.highlights.len() + 1);
    let mut at = 0;
    for h in &p.highlights {
        let (Some(before), Some(word)) = (p.text.get(at..h.start), p.text.get(h.start..h.end))
        else {
            continue;
        };
        out.push((before, false));
        out.push((word, true));
        at = h.end;
    }
    out.push((p.text.get(at..).unwrap_or(""), false));
    out
}

/// Writes `segments` in visual order (see [`bidi`]), wrapped to `width` columns after the
/// prefix (`first` on the first line, `cont` on the others); right-to-left paragraphs are
/// right-aligned. Matched characters are painted, or marked `**like this**`.
fn visual<W: Write>(
    w: &mut W,
    segments: &[(&str, bool)],
    first: &str,
    cont: &str,
    width: usize,
    style: Option<Style>,
    color: bool,
) -> io::Result<()> {
    let avail = width.saturating_sub(first.chars().count().max(cont.chars().count())).max(20);
    for (n, line) in bidi::visual_lines(segments, avail).iter().enumerate() {
        let mut out = String::from(if n == 0 { first } else { cont });
        if line.rtl {
            out.push_str(&" ".repeat(avail.saturating_sub(line.width())));
        }
        // Runs of characters with the same flag, left to right.
        let mut runs: Vec<(String, bool)> = Vec::new();
        for &(c, m) in &line.chars {
            match runs.last_mut() {
                Some((run, flag)) if *flag == m => run.push(c),
                _ => runs.push((c.to_string(), m)),
            }
        }
        for (run, m) in runs {
            match (color, m, style) {
                (true, true, _) => {
                    out.push_str(&format!("{}{run}{}", MATCH.render(), MATCH.render_reset()))
                }
                (true, false, Some(s)) => {
                    out.push_str(&format!("{}{run}{}", s.render(), s.render_reset()))
                }
                (false, true, _) => out.push_str(&format!("**{run}**")),
                _ => out.push_str(&run),
            }
        }
        writeln!(w, "{}", out.trim_end())?;
    }
    Ok(())
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
