//! Files to `Article`s.
//!
//! This module finds input files (folders are walked recursively, hidden files skipped),
//! picks a parser by extension (and by content for files without a known one), and turns
//! each file into articles. It knows nothing about the index.
//!
//! Bad input never stops a run: every problem is returned as a [`Problem`] naming the file,
//! the line when there is one, and the reason, next to the articles that could be read.
//! JSON Lines files are streamed in batches of lines ([`Unit::Lines`]), so memory stays
//! bounded whatever their size.

mod date;
mod decode;
pub mod html;
mod json;
mod lang;
mod text;

use std::collections::VecDeque;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use date::{format_date, format_day, parse_date};
pub use decode::{Compression, MAX_FILE_BYTES};
pub use lang::{detect_lang, normalize_lang, passage_lang};

use crate::article::{Article, Format};
use crate::error::{Error, Result};

/// A problem met while reading input: the article (or file) was skipped, or it was indexed
/// with something missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, for line-oriented formats and when known.
    pub line: Option<u64>,
    /// What was wrong.
    pub message: String,
    /// True when the file or record was skipped, false when it was indexed anyway.
    pub skipped: bool,
}

impl Problem {
    pub(crate) fn skipped(path: &Path, line: Option<u64>, message: impl Into<String>) -> Self {
        Problem { path: path.to_path_buf(), line, message: message.into(), skipped: true }
    }
    pub(crate) fn internal(path: &Path, message: String) -> Self {
        Problem::skipped(path, None, format!("internal error while reading this file: {message}"))
    }
    pub(crate) fn warning(path: &Path, line: Option<u64>, message: impl Into<String>) -> Self {
        Problem { path: path.to_path_buf(), line, message: message.into(), skipped: false }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)?;
        if self.skipped {
            write!(f, " (skipped)")?;
        }
        Ok(())
    }
}

/// Articles read from one unit of input, and the problems met.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The articles.
    pub articles: Vec<Article>,
    /// The problems.
    pub problems: Vec<Problem>,
    /// For a whole file that could be read: a hash of its bytes.
    pub hash: Option<u64>,
}

/// Where an article sits in its file, for ids derived from the path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Locator {
    Whole,
    Line(u64),
    Index(usize),
}

impl Locator {
    fn line(self) -> Option<u64> {
        match self {
            Locator::Line(l) => Some(l),
            _ => None,
        }
    }
}

/// What a parser needs to know about the file it reads.
pub(crate) struct Ctx<'a> {
    /// The path as the user named it (for messages and display).
    pub path: &'a Path,
    /// The path relative to the root that was walked, with `/` separators (for ids).
    pub rel: &'a str,
    pub format: Format,
}

impl Ctx<'_> {
    /// The id of an article without an explicit one: its canonical url, else its
    /// root-relative path (plus `#L<line>` or `#<index>` inside a file of many articles).
    pub(crate) fn fallback_id(&self, loc: Locator, url: Option<&str>) -> String {
        if let Some(url) = url.filter(|u| u.contains("://")) {
            return url.to_string();
        }
        match loc {
            Locator::Whole => self.rel.to_string(),
            Locator::Line(l) => format!("{}#L{l}", self.rel),
            Locator::Index(i) => format!("{}#{i}", self.rel),
        }
    }
}

/// Final touches shared by all formats: the path, a normalized or detected language, and
/// normalized line endings.
pub(crate) fn finish_article(mut article: Article, ctx: &Ctx<'_>) -> Article {
    article.path = Some(ctx.path.to_path_buf());
    if article.body.contains('\r') {
        article.body = article.body.replace("\r\n", "\n").replace('\r', "\n");
    }
    article.title = article.title.split_whitespace().collect::<Vec<_>>().join(" ");
    article.lang = article.lang.as_deref().and_then(normalize_lang).or_else(|| {
        let sample = if article.body.is_empty() { &article.title } else { &article.body };
        detect_lang(sample)
    });
    article
}

/// One input file: where it is, what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path as the user named it (root joined with the relative path).
    pub path: PathBuf,
    /// The path relative to the walked root, `/`-separated; the file name for a file
    /// named directly.
    pub rel: String,
    /// The format, from the extension (or content).
    pub format: Format,
    /// The compression, from the last extension.
    pub compression: Compression,
    /// The root this file was found under, as the user named it (the file itself when it
    /// was named directly).
    pub root: PathBuf,
    /// Size in bytes when discovered.
    pub size: u64,
    /// Modification time when discovered, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
}

impl InputFile {
    fn new(
        path: PathBuf,
        rel: String,
        root: &Path,
        (format, compression): (Format, Compression),
        meta: &std::fs::Metadata,
    ) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        InputFile {
            path,
            rel,
            format,
            compression,
            root: root.to_path_buf(),
            size: meta.len(),
            mtime_ns,
        }
    }
}

/// Tells the format and compression of a file from its name; `None` when the extension is
/// not one Gazette reads.
///
/// ```
/// use gazette::article::Format;
/// use gazette::ingest::{classify, Compression};
/// assert_eq!(classify("a/b.jsonl.zst".as_ref()), Some((Format::JsonLines, Compression::Zstd)));
/// assert_eq!(classify("page.HTM".as_ref()), Some((Format::Html, Compression::None)));
/// assert_eq!(classify("logo.png".as_ref()), None);
/// ```
pub fn classify(path: &Path) -> Option<(Format, Compression)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
        (s, Compression::Gzip)
    } else if let Some(s) = name.strip_suffix(".zst").or_else(|| name.strip_suffix(".zstd")) {
        (s, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let ext = stem.rsplit_once('.')?.1;
    let format = match ext {
        "html" | "htm" | "xhtml" => Format::Html,
        "txt" | "text" => Format::Text,
        "md" | "markdown" => Format::Markdown,
        "json" => Format::Json,
        "jsonl" | "ndjson" => Format::JsonLines,
        _ => return None,
    };
    Some((format, compression))
}

/// Guesses the format of a file with no known extension from its first bytes.
fn sniff(path: &Path) -> Option<Format> {
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).ok()?;
    let text = String::from_utf8_lossy(&head[..n]);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let lower = t.chars().take(64).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<?xml")
    {
        Some(Format::Html)
    } else if t.starts_with('{') || t.starts_with('[') {
        Some(Format::Json)
    } else if t.starts_with("---") {
        Some(Format::Markdown)
    } else if !decode::looks_binary(&head[..n]) && n > 0 {
        Some(Format::Text)
    } else {
        None
    }
}

fn is_readme(path: &Path) -> bool {
    path.file_stem().and_then(|s| s.to_str()).is_some_and(|s| s.eq_ignore_ascii_case("readme"))
}

/// Finds the input files under `paths`: folders are walked recursively in a stable order,
/// skipping hidden files and folders, README files and files of unknown types; files named
/// directly are read whatever their name (by content when the extension is unknown).
/// Unreadable folders, symlink loops and missing paths are returned as problems, each naming
/// the folder or file that could not be listed (the link, for a loop).
pub fn discover(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                problems.push(Problem::skipped(root, None, e.to_string()));
                continue;
            }
        };
        if meta.is_file() {
            let rel =
                root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match classify(root).or_else(|| sniff(root).map(|f| (f, Compression::None))) {
                Some(kind) => files.push(InputFile::new(root.clone(), rel, root, kind, &meta)),
                None => problems.push(Problem::skipped(root, None, "not a format Gazette reads")),
            }
            continue;
        }
        if !meta.is_dir() {
            problems.push(Problem::skipped(root, None, "not a regular file or folder"));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .hidden(true)
            .follow_links(true)
            .sort_by_file_name(|a, b| a.cmp(b))
            // Never index an index (a Gazette index kept inside the folder indexed).
            .filter_entry(|e| {
                !(e.path().join("gazette.json").is_file() && e.path().join("meta.json").is_file())
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = walk_error_path(&e).unwrap_or(root).to_path_buf();
                    problems.push(Problem::skipped(&path, None, walk_error_message(&e)));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) || is_readme(entry.path()) {
                continue;
            }
            let path = entry.path();
            let Some((format, compression)) = classify(path) else {
                tracing::debug!(path = %path.display(), "not a format Gazette reads; ignored");
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap_or(path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match entry.metadata() {
                Ok(meta) => files.push(InputFile::new(
                    path.to_path_buf(),
                    rel,
                    root,
                    (format, compression),
                    &meta,
                )),
                Err(e) => problems.push(Problem::skipped(path, None, e.to_string())),
            }
        }
    }
    (files, problems)
}

/// The folder or file a walk error is about: the path it carries, or the link of a loop.
fn walk_error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}

/// What went wrong, without the path the problem already names: the walk's errors repeat it
/// two or three times ("sub: IO error for operation on sub: Permission denied").
fn walk_error_message(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("a symbolic link loop (it leads back to {})", ancestor.display())
        }
        ignore::Error::Io(io) => {
            let mut cause: &dyn std::error::Error = io;
            while let Some(next) = cause.source() {
                cause = next;
            }
            cause.to_string()
        }
        other => other.to_string(),
    }
}

/// A piece of input small enough to parse on one thread.
#[derive(Debug)]
pub enum Unit {
    /// A whole file (HTML, text, Markdown, JSON).
    File(Arc<InputFile>),
    /// A batch of lines of a JSON Lines file; `first_line` is 1-based.
    Lines {
        /// The file.
        file: Arc<InputFile>,
        /// The line number of the first line of the batch.
        first_line: u64,
        /// The raw lines, without their line ends.
        lines: Vec<Vec<u8>>,
    },
    /// A file that could not be read past some point.
    Failed(Problem),
}

/// Lines per batch of a JSON Lines file, and the bytes after which a batch is cut early.
const BATCH_LINES: usize = 256;
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Turns a list of files into [`Unit`]s lazily: whole files are handed out as they are,
/// JSON Lines files are read as they are needed, one batch of lines at a time.
pub struct Units {
    files: VecDeque<InputFile>,
    current: Option<(Arc<InputFile>, Box<dyn BufRead + Send>, u64)>,
    pending: Option<Problem>,
    finished: Vec<Arc<InputFile>>,
}

impl Units {
    /// Creates the unit stream over `files`.
    pub fn new(files: Vec<InputFile>) -> Self {
        Units { files: files.into(), current: None, pending: None, finished: Vec::new() }
    }

    /// Takes the JSON Lines files read to their end (or to a read error) since the last call.
    pub fn take_finished(&mut self) -> Vec<Arc<InputFile>> {
        std::mem::take(&mut self.finished)
    }

    fn next_batch(&mut self) -> Option<Unit> {
        let (file, reader, line_no) = self.current.as_mut()?;
        let first_line = *line_no + 1;
        let mut lines = Vec::new();
        let mut bytes = 0;
        while lines.len() < BATCH_LINES && bytes < BATCH_BYTES {
            let mut buf = Vec::new();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    *line_no += 1;
                    bytes += n;
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    lines.push(buf);
                }
                Err(e) => {
                    let problem = Problem::skipped(
                        &file.path,
                        Some(*line_no + 1),
                        format!("read error, rest of file skipped: {e}"),
                    );
                    let file = Arc::clone(file);
                    self.current = None;
                    self.finished.push(Arc::clone(&file));
                    if lines.is_empty() {
                        return Some(Unit::Failed(problem));
                    }
                    // Hand out what was read; the failure is reported with the next call.
                    self.pending = Some(problem);
                    return Some(Unit::Lines { file, first_line, lines });
                }
            }
        }
        if lines.is_empty() {
            if let Some((file, _, _)) = self.current.take() {
                self.finished.push(file);
            }
            return None;
        }
        Some(Unit::Lines { file: Arc::clone(file), first_line, lines })
    }
}

impl Iterator for Units {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        loop {
            if let Some(problem) = self.pending.take() {
                return Some(Unit::Failed(problem));
            }
            if self.current.is_some() {
                if let Some(unit) = self.next_batch() {
                    return Some(unit);
                }
                continue;
            }
            let file = self.files.pop_front()?;
            if file.format != Format::JsonLines {
                return Some(Unit::File(Arc::new(file)));
            }
            match decode::open(&file.path, file.compression) {
                Ok(reader) => self.current = Some((Arc::new(file), reader, 0)),
                Err(e) => {
                    return Some(Unit::Failed(Problem::skipped(&file.path, None, source_msg(&e))))
                }
            }
        }
    }
}

fn source_msg(e: &Error) -> String {
    match e {
        Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// Parses line `line` (1-based) of a JSON Lines file.
pub fn parse_line(file: &InputFile, line: u64, bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let ctx = Ctx { path: &file.path, rel: &file.rel, format: Format::JsonLines };
    json::parse_json_line(bytes, line, &ctx, &mut out);
    out
}

/// Parses one unit into articles and problems.
pub fn parse_unit(unit: Unit) -> Parsed {
    let mut out = Parsed::default();
    match unit {
        Unit::Failed(problem) => out.problems.push(problem),
        Unit::Lines { file, first_line, lines } => {
            let ctx = Ctx { path: &file.path, rel: &file.rel, format: Format::JsonLines };
            for (i, line) in lines.iter().enumerate() {
                json::parse_json_line(line, first_line + i as u64, &ctx, &mut out);
            }
        }
        Unit::File(file) => parse_whole_file(&file, &mut out),
    }
    out
}

fn parse_whole_file(file: &InputFile, out: &mut Parsed) {
    let ctx = Ctx { path: &file.path, rel: &file.rel, format: file.format };
    let bytes = match decode::read_all(&file.path, file.compression) {
        Ok(b) => b,
        Err(e) => {
            out.problems.push(Problem::skipped(&file.path, None, source_msg(&e)));
            return;
        }
    };
    out.hash = Some(xxhash_rust::xxh3::xxh3_64(&bytes));
    if decode::looks_binary(&bytes) && !is_utf16(&bytes) {
        out.problems.push(Problem::skipped(&file.path, None, "binary file (contains NUL bytes)"));
        return;
    }
    if file.format == Format::Html {
        if bytes.len() > html::MAX_HTML_BYTES {
            out.problems.push(Problem::skipped(
                &file.path,
                None,
                format!(
                    "HTML page of {} MiB is larger than the {} MiB limit for pages",
                    bytes.len() / (1024 * 1024),
                    html::MAX_HTML_BYTES / (1024 * 1024)
                ),
            ));
            return;
        }
        html::parse_html(&decode::decode_html(&bytes), &ctx, out);
        return;
    }
    let (text, invalid_at) = decode::decode_utf8(&bytes);
    if let Some(at) = invalid_at {
        out.problems.push(Problem::warning(
            &file.path,
            Some(line_of(&bytes, at)),
            format!("invalid UTF-8 at byte {at}; invalid sequences replaced"),
        ));
    }
    match file.format {
        Format::Text => text::parse_text(&text, &ctx, out),
        Format::Markdown => text::parse_markdown(&text, &ctx, out),
        Format::Json => json::parse_json(&text, &ctx, out),
        Format::JsonLines => {
            for (i, line) in text.lines().enumerate() {
                json::parse_json_line(line.as_bytes(), i as u64 + 1, &ctx, out);
            }
        }
        Format::Html => {}
    }
}

fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset.min(bytes.len())].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// Reads every article under `paths`, in order, on the calling thread; for tools and tests
/// (the indexer reads in parallel).
pub fn read_paths(paths: &[PathBuf]) -> Parsed {
    let (files, problems) = discover(paths);
    let mut out = Parsed { articles: Vec::new(), problems, hash: None };
    for unit in Units::new(files) {
        let parsed = parse_unit(unit);
        out.articles.extend(parsed.articles);
        out.problems.extend(parsed.problems);
    }
    out
}

/// Reads JSON Lines (one article per line) from any reader, e.g. standard input; `name`
/// stands for the file in messages and derived ids.
pub fn read_json_lines(reader: impl BufRead, name: &Path) -> Parsed {
    let file = InputFile {
        path: name.to_path_buf(),
        rel: name.to_string_lossy().into_owned(),
        format: Format::JsonLines,
        compression: Compression::None,
        root: name.to_path_buf(),
        size: 0,
        mtime_ns: 0,
    };
    let mut out = Parsed::default();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line_no = i as u64 + 1;
        match line {
            Ok(bytes) => {
                let parsed = parse_line(&file, line_no, &bytes);
                out.articles.extend(parsed.articles);
                out.problems.extend(parsed.problems);
            }
            Err(e) => {
                out.problems.push(Problem::skipped(
                    name,
                    Some(line_no),
                    format!("read error: {e}"),
                ));
                break;
            }
        }
    }
    out
}

/// Parses JSON article records held in memory (an HTTP request body, say): one object, an
/// array of objects, or JSON Lines (one object per line). `name` stands for the input in
/// messages and in the ids of records without an `id` or url (`name`, `name#0`, `name#L3`).
///
/// ```
/// use gazette::ingest::parse_json_records;
/// let one = parse_json_records(br#"{"id": "a1", "title": "T", "body": "B"}"#, "req".as_ref());
/// assert_eq!(one.articles[0].id.as_str(), "a1");
/// let lines = parse_json_records(b"{\"title\": \"T\"}\n{\"nope\": 1}\n", "req".as_ref());
/// assert_eq!((lines.articles[0].id.as_str(), lines.problems[0].line), ("req#L1", Some(2)));
/// ```
pub fn parse_json_records(bytes: &[u8], name: &Path) -> Parsed {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
            let rel = name.to_string_lossy();
            let ctx = Ctx { path: name, rel: &rel, format: Format::Json };
            let mut out = Parsed::default();
            json::parse_json(text, &ctx, &mut out);
            return out;
        }
    }
    read_json_lines(bytes, name)
}

/// Reads one HTML file and returns what Gazette takes from it (for `gazette extract`).
pub fn extract_html_file(path: &Path) -> Result<html::HtmlExtract> {
    let compression = classify(path).map(|(_, c)| c).unwrap_or(Compression::None);
    let bytes = decode::read_all(path, compression)?;
    if bytes.len() > html::MAX_HTML_BYTES {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("HTML page is larger than {} MiB", html::MAX_HTML_BYTES / (1024 * 1024)),
            ),
        ));
    }
    let mut ex = html::extract(&decode::decode_html(&bytes));
    ex.lang = ex.lang.as_deref().and_then(normalize_lang).or_else(|| detect_lang(&ex.body));
    if let Some(d) = ex.date.as_deref().and_then(parse_date) {
        ex.date = Some(format_date(d));
    }
    if let Some(d) = ex.modified.as_deref().and_then(parse_date) {
        ex.modified = Some(format_date(d));
    }
    Ok(ex)
}
