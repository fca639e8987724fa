//! Right-to-left text for terminals that do not run the Unicode bidirectional algorithm.
//!
//! Many terminals (xterm, Alacritty, kitty, Windows Terminal, tmux panes…) print characters
//! in the order they arrive, left to right, and draw each Arabic letter in its isolated
//! form. Text in logical order then reads backwards with its letters unjoined. For those
//! terminals [`visual_lines`] does what a bidi-aware renderer would:
//!
//! 1. **Shaping**: Arabic letters become their contextual presentation forms (initial,
//!    medial, final, isolated; lam-alef ligatures), with [`ar_reshaper`], so words are
//!    joined even where the terminal does no shaping. Harakat are dropped (most terminal
//!    fonts place them badly).
//! 2. **Line breaking** to the terminal width, in logical order, at spaces (a word wider
//!    than a line is cut), with display widths from [`unicode_width`].
//! 3. **Reordering** each line into visual order with the Unicode Bidirectional Algorithm
//!    (UAX #9, [`unicode_bidi`]); characters in right-to-left runs are replaced by their
//!    mirrored glyphs (rule L4: `(` in Arabic text is drawn as `)`), with
//!    [`unicode_bidi_mirroring`].
//!
//! Each character keeps the "matched" flag of the highlight it came from, so highlights
//! survive the reordering. Highlights cover whole words and are shaped on their own, so
//! shaping never joins a highlighted word to its neighbour.

use std::ops::Range;

use ar_reshaper::ArabicReshaper;
use unicode_bidi::BidiInfo;
use unicode_width::UnicodeWidthChar;

/// One line in visual order: characters left to right, each with its "matched" flag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VisualLine {
    /// Characters as they are to be printed, left to right.
    pub chars: Vec<(char, bool)>,
    /// Whether the line belongs to a right-to-left paragraph (to be right-aligned).
    pub rtl: bool,
}

impl VisualLine {
    /// Display width in terminal columns.
    pub fn width(&self) -> usize {
        self.chars.iter().map(|(c, _)| c.width().unwrap_or(0)).sum()
    }
}

/// Lays out `segments` (logical-order text, each with its "matched" flag) as lines of at
/// most `width` columns (at least 1), each in visual order. Whitespace runs are collapsed
/// to one space.
pub fn visual_lines(segments: &[(&str, bool)], width: usize) -> Vec<VisualLine> {
    let width = width.max(1);
    let reshaper = ArabicReshaper::default();
    // The shaped text, whitespace collapsed, and the matched flag of each of its bytes.
    let mut text = String::new();
    let mut matched: Vec<bool> = Vec::new();
    for (segment, is_match) in segments {
        let shaped;
        let segment = if reshaper.need_reshape(segment) {
            shaped = reshaper.reshape(segment);
            shaped.as_str()
        } else {
            segment
        };
        for c in segment.chars() {
            let c = if c.is_whitespace() { ' ' } else { c };
            if c == ' ' && (text.is_empty() || text.ends_with(' ')) {
                continue;
            }
            text.push(c);
            matched.resize(text.len(), *is_match && c != ' ');
        }
    }
    while text.ends_with(' ') {
        text.pop();
        matched.pop();
    }
    if text.is_empty() {
        return Vec::new();
    }

    let bidi = BidiInfo::new(&text, None);
    let mut lines = Vec::new();
    for para in &bidi.paragraphs {
        let rtl = para.level.is_rtl();
        for line in break_lines(&text, para.range.clone(), width) {
            let (levels, runs) = bidi.visual_runs(para, line.clone());
            let mut chars = Vec::new();
            for run in runs {
                let Some(run_text) = text.get(run.clone()) else { continue };
                let is_rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
                let flag =
                    |offset: usize| matched.get(run.start + offset).copied().unwrap_or(false);
                if is_rtl {
                    for (offset, c) in run_text.char_indices().rev() {
                        chars.push((
                            unicode_bidi_mirroring::get_mirrored(c).unwrap_or(c),
                            flag(offset),
                        ));
                    }
                } else {
                    chars.extend(run_text.char_indices().map(|(offset, c)| (c, flag(offset))));
                }
            }
            lines.push(VisualLine { chars, rtl });
        }
    }
    lines
}

/// Byte ranges of the lines of `range` (a paragraph of `text`, whitespace already
/// collapsed to single spaces), broken at spaces so that each is at most `width` columns;
/// a word wider than a line is cut between characters.
fn break_lines(text: &str, range: Range<usize>, width: usize) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let Some(para) = text.get(range.clone()) else { return lines };
    let cols = |s: &str| -> usize { s.chars().map(|c| c.width().unwrap_or(0)).sum() };
    // The current line: byte range within `para` and its width.
    let mut line: Option<(Range<usize>, usize)> = None;
    let mut offset = 0;
    for word in para.split(' ') {
        let at = offset;
        offset += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        let w = cols(word);
        match &mut line {
            Some((r, used)) if *used + 1 + w <= width => {
                r.end = at + word.len();
                *used += 1 + w;
                continue;
            }
            Some((r, _)) => lines.push(range.start + r.start..range.start + r.end),
            None => {}
        }
        if w <= width {
            line = Some((at..at + word.len(), w));
            continue;
        }
        // Too wide for any line: cut it.
        let mut piece_start = at;
        let mut used = 0;
        for (i, c) in word.char_indices() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > 0 {
                lines.push(range.start + piece_start..range.start + at + i);
                piece_start = at + i;
                used = 0;
            }
            used += cw;
        }
        line = Some((piece_start..at + word.len(), used));
    }
    if let Some((r, _)) = line {
        lines.push(range.start + r.start..range.start + r.end);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plain(line: &VisualLine) -> String {
        line.chars.iter().map(|(c, _)| c).collect()
    }

    fn matched(line: &VisualLine) -> String {
        line.chars.iter().filter(|(_, m)| *m).map(|(c, _)| c).collect()
    }

    #[test]
    fn latin_text_is_wrapped_and_kept_in_order() {
        let lines = visual_lines(
            &[("Morocco signed a memorandum with ", false), ("Mistral", true), (" AI.", false)],
            20,
        );
        let text: Vec<String> = lines.iter().map(plain).collect();
        assert_eq!(text, ["Morocco signed a", "memorandum with", "Mistral AI."]);
        assert!(lines.iter().all(|l| !l.rtl && l.width() <= 20));
        assert_eq!(matched(&lines[2]), "Mistral");
    }

    #[test]
    fn arabic_is_shaped_reversed_and_mirrored() {
        // "Morocco (the kingdom)" in logical order: المغرب (المملكة)
        let lines = visual_lines(&[("المغرب (المملكة)", false)], 80);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].rtl);
        let shown = plain(&lines[0]);
        // Presentation forms, not the logical letters.
        assert!(
            shown.chars().all(|c| c == ' '
                || c == '('
                || c == ')'
                || ('\u{FB50}'..='\u{FEFF}').contains(&c)),
            "{shown:?}"
        );
        // Visual order: the first logical word (المغرب) ends the line, and its first letter
        // (alef, isolated form U+FE8D) is the last character; the parenthesis that closes
        // the logical text is drawn first, mirrored to "(".
        assert_eq!(shown.chars().last(), Some('\u{FE8D}'));
        assert_eq!(shown.chars().next(), Some('('));
        assert_eq!(shown.chars().filter(|c| *c == ')').count(), 1);
    }

    #[test]
    fn embedded_latin_keeps_its_direction_inside_arabic() {
        let lines =
            visual_lines(&[("وقعت المغرب مع ", false), ("OpenAI", true), (" اتفاقا", false)], 80);
        let shown = plain(&lines[0]);
        assert!(shown.contains("OpenAI"), "{shown:?}");
        assert_eq!(matched(&lines[0]), "OpenAI");
        assert!(lines[0].rtl);
    }

    #[test]
    fn highlighted_arabic_word_keeps_its_flag() {
        let lines = visual_lines(&[("قال إن ", false), ("المغرب", true), (" بلد", false)], 80);
        let hit = matched(&lines[0]);
        // The six letters of المغرب, shaped and reversed.
        assert_eq!(hit.chars().count(), 6, "{hit:?}");
        assert_eq!(hit.chars().last(), Some('\u{FE8D}'));
    }

    #[test]
    fn long_words_are_cut_and_nothing_is_lost() {
        let lines = visual_lines(&[("abcdefghij klm", false)], 4);
        let text: Vec<String> = lines.iter().map(plain).collect();
        assert_eq!(text, ["abcd", "efgh", "ij", "klm"]);
        assert!(visual_lines(&[("   ", false)], 10).is_empty());
    }

    proptest! {
        #[test]
        fn lines_fit_and_keep_every_letter(
            words in proptest::collection::vec("[a-z]{1,12}|[ابتثجحخدذرزسشصضطظعغفقكلمنهوي]{1,9}|[()0-9.,]{1,3}", 1..30),
            width in 1usize..40,
        ) {
            let text = words.join(" ");
            let lines = visual_lines(&[(text.as_str(), false)], width);
            for line in &lines {
                prop_assert!(line.width() <= width.max(1), "{line:?}");
            }
            // Latin letters and digits survive shaping and reordering one for one.
            let count = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).count();
            let shown: String = lines.iter().map(plain).collect();
            prop_assert_eq!(count(&shown), count(&text));
        }
    }
}
