//! Plain text (`.txt`: the first line is the title) and Markdown (`.md`, with optional YAML
//! front matter) to `Article`s.

use pulldown_cmark::{Event, Parser, TagEnd};
use serde_json::Value;

use super::json::push_record;
use super::{Ctx, Locator, Parsed, Problem};

/// Parses a plain-text article: the first non-empty line is the title, the rest the body.
pub(crate) fn parse_text(text: &str, ctx: &Ctx<'_>, out: &mut Parsed) {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    let title = lines.by_ref().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let body: String = lines.collect::<Vec<_>>().join("\n");
    let record = serde_json::json!({ "title": title, "body": body.trim() });
    push_record(record, ctx, Locator::Whole, out);
}

/// Parses a Markdown article with optional YAML front matter (`title`, `date`, `source`,
/// `url`, `lang`, `tags`, …: the same keys as JSON). Without a title in the front matter,
/// the first heading is the title.
pub(crate) fn parse_markdown(text: &str, ctx: &Ctx<'_>, out: &mut Parsed) {
    let text = text.trim_start_matches('\u{feff}');
    let (front, body_md) = split_front_matter(text);
    let mut record = serde_json::Map::new();
    if let Some(front) = front {
        match serde_yaml_ng::from_str::<Value>(front) {
            Ok(Value::Object(map)) => record = map,
            Ok(Value::Null) => {}
            Ok(_) => out.problems.push(Problem::warning(
                ctx.path,
                Some(2),
                "front matter is not a mapping of keys to values; ignored",
            )),
            Err(e) => out.problems.push(Problem::warning(
                ctx.path,
                e.location().map(|l| l.line() as u64 + 1),
                format!("invalid YAML front matter ({e}); ignored"),
            )),
        }
    }
    let (mut blocks, heading) = markdown_to_text(body_md);
    let has_title =
        record.get("title").and_then(Value::as_str).is_some_and(|t| !t.trim().is_empty());
    if let (false, Some(i)) = (has_title, heading) {
        // The first heading becomes the title and leaves the body.
        record.insert("title".into(), Value::String(blocks.remove(i)));
    }
    record.insert("body".into(), Value::String(blocks.join("\n\n")));
    push_record(Value::Object(record), ctx, Locator::Whole, out);
}

/// Splits `---\n…\n---` front matter from the rest of a Markdown file.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) =
        text.strip_prefix("---").filter(|r| r.starts_with('\n') || r.starts_with("\r\n"))
    else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if offset > 0 && (trimmed == "---" || trimmed == "...") {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return (Some(front), body);
        }
        offset += line.len();
    }
    (None, text)
}

/// Renders Markdown to plain text blocks (one per paragraph, heading, list item…); returns
/// them with the index of the first heading's block.
fn markdown_to_text(md: &str) -> (Vec<String>, Option<usize>) {
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut first_heading: Option<usize> = None;
    for event in Parser::new(md) {
        match event {
            Event::Text(t) | Event::Code(t) => current.push_str(&t),
            Event::SoftBreak => current.push(' '),
            Event::HardBreak => current.push('\n'),
            Event::End(TagEnd::Heading(_)) => {
                if first_heading.is_none() && !current.trim().is_empty() {
                    first_heading = Some(blocks.len());
                }
                flush(&mut blocks, &mut current);
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => flush(&mut blocks, &mut current),
            Event::End(TagEnd::TableCell) => current.push(' '),
            _ => {}
        }
    }
    flush(&mut blocks, &mut current);
    (blocks, first_heading)
}

fn flush(blocks: &mut Vec<String>, current: &mut String) {
    let text = current.trim();
    if !text.is_empty() {
        blocks.push(text.to_string());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Format;
    use std::path::Path;

    #[test]
    fn text_title_is_first_line() {
        let ctx = Ctx { path: Path::new("a.txt"), rel: "a.txt", format: Format::Text };
        let mut out = Parsed::default();
        parse_text("\n  Title here \n\nFirst para.\n\nSecond para.\n", &ctx, &mut out);
        assert_eq!(out.articles[0].title, "Title here");
        assert_eq!(out.articles[0].body, "First para.\n\nSecond para.");
        assert_eq!(out.articles[0].id.as_str(), "a.txt");
    }

    #[test]
    fn markdown_front_matter_and_blocks() {
        let ctx = Ctx { path: Path::new("a.md"), rel: "a.md", format: Format::Markdown };
        let mut out = Parsed::default();
        let md = "---\ntitle: \"T: colon\"\ndate: 2025-09-12\nlang: fr\ntags: [ia, maroc]\n---\n# Heading\n\nSome *emphasis* and\na soft break.\n\n- item one\n- item two\n";
        parse_markdown(md, &ctx, &mut out);
        let a = &out.articles[0];
        assert_eq!(a.title, "T: colon");
        assert_eq!(a.body, "Heading\n\nSome emphasis and a soft break.\n\nitem one\n\nitem two");
        assert_eq!(a.tags, vec!["ia".to_string(), "maroc".to_string()]);
        assert!(a.published.is_some());
        assert!(out.problems.is_empty());
    }

    #[test]
    fn markdown_heading_as_title_and_bad_yaml() {
        let ctx = Ctx { path: Path::new("a.md"), rel: "a.md", format: Format::Markdown };
        let mut out = Parsed::default();
        parse_markdown("---\ntitle: [unclosed\n---\n# The Title\n\nBody.\n", &ctx, &mut out);
        assert_eq!(out.articles[0].title, "The Title");
        assert_eq!(out.articles[0].body, "Body.");
        assert_eq!(out.problems.len(), 1);
        assert!(out.problems[0].message.contains("front matter"));
    }
}
