//! Command-line arguments and one function per command. Everything goes through the
//! `gazette` library's public API, like any embedder.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use gazette::ingest::{self, Problem};
use gazette::render::{self, BidiMode, TextOptions};
use gazette::search::{date_bound, half_life};
use gazette::{index_paths, IndexOptions, NewsIndex, SearchRequest, SearchResults, SimilarRequest};
use indicatif::{ProgressBar, ProgressStyle};

/// The index used when none is given.
const DEFAULT_INDEX: &str = "index";
/// The corpus indexed when no path is given (and on first search).
const DEFAULT_CORPUS: &str = "corpus";

/// Search policy news (English, French, Arabic) from the command line.
#[derive(Parser, Debug)]
#[command(version, about, propagate_version = true)]
pub struct Cli {
    /// Index directory [default: index/, or $GAZETTE_INDEX].
    #[arg(long, global = true, value_name = "DIR", env = "GAZETTE_INDEX")]
    index: Option<PathBuf>,
    /// More logging on stderr (-v, -vv); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Index files and folders (default: corpus/): HTML, text, Markdown, JSON, JSON Lines,
    /// optionally .gz or .zst compressed.
    Index(IndexArgs),
    /// Search the index, e.g. `gazette search "OpenAI Morocco"`.
    Search(SearchArgs),
    /// Find related coverage: the articles most like one article (more-like-this).
    Similar(SimilarArgs),
    /// Show what Gazette extracts from an HTML page.
    Extract(ExtractArgs),
    /// Show what the index holds.
    Status(StatusArgs),
    /// Measure ranking on a test collection (documents, queries, relevance judgments):
    /// MAP, nDCG@10, P@10, Recall@100.
    Eval(EvalArgs),
    /// Add or replace single articles: files, or JSON lines on stdin (`-`).
    Add(AddArgs),
    /// Remove articles by id (or by url).
    Remove(RemoveArgs),
    /// Serve the HTTP JSON API and the web search page.
    #[cfg(feature = "server")]
    Serve(ServeArgs),
}

#[cfg(feature = "server")]
#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7700")]
    addr: std::net::SocketAddr,
    /// File holding the api key that enables writes (else $GAZETTE_API_KEY; without either,
    /// the server is read-only).
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
    /// Require the api key for reads too.
    #[arg(long)]
    protect_reads: bool,
    /// Allow browser pages from this origin to call the API (repeatable; `*` for any).
    #[arg(long, value_name = "ORIGIN")]
    cors_origin: Vec<String>,
    /// Time allowed per request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// Time a client has to send a request's headers, in seconds (slower: disconnected).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    header_timeout: u64,
    /// Largest request body, in MB.
    #[arg(long, value_name = "MB", default_value_t = 16)]
    max_body: usize,
    /// Longest query, in characters.
    #[arg(long, value_name = "CHARS", default_value_t = 1000)]
    max_query_chars: usize,
    /// Check every index file against its checksum before serving (reads the whole index,
    /// as `status --verify`); a damaged file is named, with exit code 2, and nothing is
    /// served.
    #[arg(long)]
    verify: bool,
}

#[derive(Args, Debug)]
struct AddArgs {
    /// Article files, or `-` for JSON Lines on standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct RemoveArgs {
    /// Article ids.
    ids: Vec<String>,
    /// Remove the article with this url.
    #[arg(long)]
    url: Vec<String>,
}

#[derive(Args, Debug)]
struct IndexArgs {
    /// Files or folders to index (folders are walked recursively).
    paths: Vec<PathBuf>,
    /// Memory budget of the indexer, in MB.
    #[arg(long, value_name = "MB", default_value_t = 256)]
    heap: usize,
    /// Indexing threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Fail (exit 2, commit nothing) on any bad input instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// Language of the articles that declare none when detection is unsure (short texts),
    /// e.g. `en`; without it they are indexed unstemmed.
    #[arg(long, value_name = "CODE")]
    default_lang: Option<String>,
    /// Delete the index and build it anew.
    #[arg(long)]
    rebuild: bool,
    /// Keep watching the paths and index changes as they land.
    #[arg(long)]
    watch: bool,
    /// With --watch: wait this many milliseconds without changes before indexing a batch.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    debounce: u64,
    /// Analysis of a new index: `standard` (per-language chains) or `plain` (lowercasing
    /// only, a baseline for evaluation).
    #[arg(long, value_name = "PROFILE")]
    analysis: Option<gazette::analysis::Profile>,
    /// Commit after this many MB of article text (long runs lose at most one batch).
    #[arg(long, value_name = "MB", default_value_t = 512.0, hide = true)]
    commit_every: f64,
}

#[derive(Args, Debug)]
struct SearchArgs {
    /// The query: words, "phrases", AND/OR/NOT, -word, title:, source:, lang:, tag:, prefix*.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    #[command(flatten)]
    page: PageArgs,
    #[command(flatten)]
    filter: FilterArgs,
    /// Order of the hits: relevance, or date (newest first, undated last).
    #[arg(long, value_name = "ORDER", default_value = "relevance")]
    sort: gazette::Sort,
    /// Favour recent articles: multiply relevance by 0.5^(age / HALF_LIFE), e.g. 30d, 12h,
    /// 2w, 6m (undated articles count as one half-life old).
    #[arg(long, value_name = "HALF_LIFE")]
    recent: Option<String>,
    /// No typo tolerance: never search rare words' fuzzy matches.
    #[arg(long)]
    no_fuzzy: bool,
    /// Expand the query (plain words only) with weighted terms from its best passages and
    /// search again (RM3-style pseudo-relevance feedback).
    #[arg(long)]
    expand: bool,
    /// Ranking parameters over the defaults, e.g. `k1=1.5,b=0.6` (README, "Ranking").
    #[arg(long, value_name = "NAME=VALUE,…")]
    rank: Option<gazette::search::RankParams>,
    /// Say why each article ranked: its winning passage, the BM25F parts per word and
    /// field, the second passage's share (an `explain` object per hit in --json).
    #[arg(long)]
    explain: bool,
}

#[derive(Args, Debug)]
struct SimilarArgs {
    /// The article to find related coverage for (its id, as `search --json` shows it).
    id: String,
    #[command(flatten)]
    page: PageArgs,
    #[command(flatten)]
    filter: FilterArgs,
}

/// Which hits to show, and how.
#[derive(Args, Debug)]
struct PageArgs {
    /// Number of articles to show.
    #[arg(short = 'n', long, default_value_t = 10)]
    limit: usize,
    /// Articles to skip (paging).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Passages to show per article (0–10).
    #[arg(short, long, default_value_t = 2)]
    passages: usize,
    /// Show every near-duplicate (syndicated copy) as its own hit instead of one hit that
    /// says "also in: …".
    #[arg(long)]
    no_collapse: bool,
    /// Also show the counts per source, language and month (always in --json).
    #[arg(long)]
    facets: bool,
    /// Print one JSON document (schema in the README).
    #[arg(long)]
    json: bool,
    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    bidi: BidiArgs,
}

/// Filters on the articles searched.
#[derive(Args, Debug)]
struct FilterArgs {
    /// Only articles published on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only articles published on or before this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only articles in this language (repeatable): en, fr, ar, …
    #[arg(long, value_name = "CODE")]
    lang: Vec<String>,
    /// Only articles from this source (repeatable, case-insensitive).
    #[arg(long)]
    source: Vec<String>,
}

/// How Arabic text is printed (a part of [`PageArgs`]).
#[derive(Args, Debug)]
struct BidiArgs {
    /// How to print right-to-left (Arabic) text: `logical` for terminals that lay it out
    /// themselves (VTE terminals such as GNOME Terminal, Konsole, mlterm) and for pipes;
    /// `visual` (shaped, wrapped and reordered by Gazette) for terminals that print
    /// characters left to right as they come (xterm, Alacritty, kitty, Windows Terminal…).
    #[arg(long, value_enum, env = "GAZETTE_BIDI", default_value_t = BidiChoice::Logical)]
    bidi: BidiChoice,
    /// Line width for `--bidi visual` (default: the terminal's width, else 80).
    #[arg(long, value_name = "COLUMNS")]
    width: Option<usize>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum BidiChoice {
    Logical,
    Visual,
}

#[derive(Args, Debug)]
struct ExtractArgs {
    /// HTML files (plain, .gz or .zst).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON object per file: pretty-printed for one file, one per line (JSON
    /// Lines, with its "path") for several.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// The documents: any input Gazette indexes, e.g. docs.jsonl.zst with id, title, body.
    #[arg(long)]
    docs: PathBuf,
    /// The queries: JSON Lines {"id", "text"}, or id<TAB>text lines.
    #[arg(long)]
    queries: PathBuf,
    /// The relevance judgments: query_id doc_id grade (tab- or space-separated).
    #[arg(long)]
    qrels: PathBuf,
    /// Also write the TREC run (query_id Q0 doc_id rank score gazette) to this file.
    #[arg(long, value_name = "FILE")]
    run_out: Option<PathBuf>,
    /// Documents retrieved per query.
    #[arg(long, default_value_t = 1000)]
    depth: usize,
    /// Language of the documents that declare none when detection is unsure (the shared
    /// collections are English: `--default-lang en`).
    #[arg(long, value_name = "CODE")]
    default_lang: Option<String>,
    /// Ranking parameters over the defaults, e.g. `k1=1.5,b=0.6` (README, "Ranking");
    /// repeat to compare settings on one index (one line each, with its setting).
    #[arg(long, value_name = "NAME=VALUE,…")]
    rank: Vec<gazette::search::RankParams>,
    /// Expand each query with terms from its best passages (as `search --expand`).
    #[arg(long)]
    expand: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct StatusArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Also check every index file against its checksum (reads the whole index); a damaged
    /// file is named, with exit code 2.
    #[arg(long)]
    verify: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Installs the stderr logger: warnings by default, `-v` info, `-vv` debug; `RUST_LOG`
/// overrides.
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color_allowed() && std::io::stderr().is_terminal())
        .without_time()
        .try_init();
}

fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs the command and returns the exit code: 0 success or hits, 1 no hits.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let explicit = cli.index.is_some();
    let dir = cli.index.unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX));
    match cli.command {
        Command::Index(args) => cmd_index(&dir, args),
        Command::Search(args) => cmd_search(&dir, explicit, args),
        Command::Similar(args) => cmd_similar(&dir, args),
        Command::Extract(args) => cmd_extract(args),
        Command::Status(args) => cmd_status(&dir, args),
        Command::Eval(args) => cmd_eval(args),
        Command::Add(args) => cmd_add(&dir, args),
        Command::Remove(args) => cmd_remove(&dir, args),
        #[cfg(feature = "server")]
        Command::Serve(args) => cmd_serve(&dir, explicit, args),
    }
}

fn cmd_index(dir: &Path, args: IndexArgs) -> anyhow::Result<ExitCode> {
    return_freed_blocks_to_the_system();
    let paths =
        if args.paths.is_empty() { vec![PathBuf::from(DEFAULT_CORPUS)] } else { args.paths };
    if args.rebuild && gazette::index::exists(dir) {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let index = match NewsIndex::open(dir) {
        Err(gazette::Error::IndexNotFound(_)) => {
            NewsIndex::create_with(dir, args.analysis.unwrap_or_default())?
        }
        other => other?,
    };
    if let Some(wanted) = args.analysis.filter(|p| *p != index.profile()) {
        bail!(
            "{} was built with the {:?} analysis, not {wanted:?}; add --rebuild to rebuild it",
            dir.display(),
            index.profile()
        );
    }
    let opts = IndexOptions {
        heap_bytes: args.heap * 1024 * 1024,
        threads: args.threads,
        strict: args.strict,
        commit_every_bytes: (args.commit_every * 1e6) as u64,
        default_lang: args.default_lang,
    };
    build(&index, &paths, &opts)?;
    if args.watch {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
            .context("installing the Ctrl-C handler")?;
        eprintln!("gazette: watching {} for changes (Ctrl-C to stop)", display_paths(&paths));
        let mut on_batch = |s: &gazette::IndexSummary| eprintln!("{}", summary_line(s));
        gazette::index::watch(
            &index,
            &paths,
            &opts,
            Duration::from_millis(args.debounce),
            &(),
            &stop,
            &mut on_batch,
        )?;
        eprintln!("gazette: stopped watching");
    }
    Ok(ExitCode::SUCCESS)
}

/// Has glibc's malloc give every block of 128 KiB or more back to the system as soon as it is
/// freed, for the rest of this process: bulk indexing's peak memory then stays where its
/// heap peaks (the `--heap` budget and the documents in flight), whatever the corpus size.
///
/// glibc serves blocks from 128 KiB up with their own mappings, but each time such a block is
/// freed it raises that threshold to the block's size (up to 32 MiB). After Tantivy frees its
/// first indexing arenas, the next ones come from the heap, and their pages mostly stay with
/// the process after the segment is written. Indexing four times the UN debates peaked at
/// 392–496 MB (run to run) with glibc's default and at 339–360 MB with the threshold fixed
/// (BENCHMARKS.md, "Peak memory while indexing: glibc's mmap threshold"). Queries would pay
/// for it (their large buffers mapped afresh each time: +15 % at the median over a query
/// set), so only the commands that index and never search (`index`, `add`) set it. A
/// threshold the user set (`MALLOC_MMAP_THRESHOLD_`, `GLIBC_TUNABLES`) is left alone.
fn return_freed_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let var = std::env::var_os;
        if mmap_threshold_set_by_user(var("MALLOC_MMAP_THRESHOLD_"), var("GLIBC_TUNABLES")) {
            return;
        }
        // SAFETY: mallopt sets one of malloc's parameters under malloc's own lock; it has no
        // other effect and no precondition.
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
        if set != 1 {
            tracing::debug!("glibc refused a fixed mmap threshold; indexing memory may grow");
        }
    }
}

/// Whether the environment already sets glibc's mmap threshold: `MALLOC_MMAP_THRESHOLD_`, or
/// `glibc.malloc.mmap_threshold` among the `GLIBC_TUNABLES` (read even when not UTF-8).
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
fn mmap_threshold_set_by_user(
    malloc_var: Option<std::ffi::OsString>,
    tunables: Option<std::ffi::OsString>,
) -> bool {
    malloc_var.is_some()
        || tunables.is_some_and(|t| {
            t.to_string_lossy().split(':').any(|kv| kv.starts_with("glibc.malloc.mmap_threshold="))
        })
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn summary_line(s: &gazette::IndexSummary) -> String {
    format!(
        "indexed {} articles ({} added, {} updated, {} removed, {} unchanged; {} passages, {:.1} MB) from {} files ({} read) in {:.2} s, {:.1} MB/s; {} skipped, {} warnings",
        s.articles,
        s.added,
        s.updated,
        s.removed,
        s.unchanged,
        s.passages,
        s.bytes as f64 / 1e6,
        s.files,
        s.files_read,
        s.elapsed.as_secs_f64(),
        s.mb_per_sec(),
        s.skipped,
        s.warnings,
    )
}

fn cmd_add(dir: &Path, args: AddArgs) -> anyhow::Result<ExitCode> {
    return_freed_blocks_to_the_system();
    let index = NewsIndex::open_or_create(dir)?;
    let mut parsed = ingest::Parsed::default();
    for path in &args.paths {
        let more = if path.as_os_str() == "-" {
            ingest::read_json_lines(std::io::stdin().lock(), Path::new("<stdin>"))
        } else {
            ingest::read_paths(std::slice::from_ref(path))
        };
        parsed.articles.extend(more.articles);
        parsed.problems.extend(more.problems);
    }
    for p in &parsed.problems {
        eprintln!("gazette: warning: {p}");
    }
    let mut updater = index.updater(IndexOptions::default().heap_bytes, 0)?;
    let (mut added, mut updated) = (0, 0);
    for article in &parsed.articles {
        match updater.upsert_if_changed(article)?.0 {
            gazette::index::Change::Added => added += 1,
            gazette::index::Change::Updated => updated += 1,
            gazette::index::Change::Unchanged => {}
        }
    }
    updater.commit()?;
    updater.finish()?;
    eprintln!(
        "added {added}, updated {updated}, unchanged {} articles; {} problems",
        parsed.articles.len() - added - updated,
        parsed.problems.len()
    );
    Ok(if parsed.articles.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn cmd_remove(dir: &Path, args: RemoveArgs) -> anyhow::Result<ExitCode> {
    if args.ids.is_empty() && args.url.is_empty() {
        bail!("name at least one article id or --url");
    }
    let index = NewsIndex::open(dir)?;
    let manifest = index.manifest()?;
    let mut ids: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for id in args.ids {
        if manifest.articles.contains_key(&id) {
            ids.push(id)
        } else {
            missing.push(id)
        }
    }
    for url in args.url {
        match manifest.articles.iter().find(|(_, a)| a.url.as_deref() == Some(url.as_str())) {
            Some((id, _)) => ids.push(id.clone()),
            None => missing.push(url),
        }
    }
    for m in &missing {
        eprintln!("gazette: no article {m:?} in {}", dir.display());
    }
    if !ids.is_empty() {
        let mut updater = index.updater(IndexOptions::default().heap_bytes, 0)?;
        for id in &ids {
            updater.delete(&gazette::ArticleId(id.clone()));
        }
        updater.commit()?;
        updater.finish()?;
    }
    eprintln!("removed {} articles", ids.len());
    Ok(if missing.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn build(index: &NewsIndex, paths: &[PathBuf], opts: &IndexOptions) -> anyhow::Result<()> {
    let progress = CliProgress::new();
    let summary = index_paths(index, paths, opts, &progress)
        .with_context(|| format!("indexing into {}", index.dir().display()))?;
    progress.finish();
    eprintln!("{}", summary_line(&summary));
    Ok(())
}

/// On first use of the default index, builds it from the shipped corpus.
fn build_default_index(dir: &Path, explicit: bool) -> anyhow::Result<()> {
    if !explicit && !gazette::index::exists(dir) && Path::new(DEFAULT_CORPUS).is_dir() {
        eprintln!("gazette: no index yet; building {} from {DEFAULT_CORPUS}/", dir.display());
        let index = NewsIndex::open_or_create(dir)?;
        build(&index, &[PathBuf::from(DEFAULT_CORPUS)], &IndexOptions::default())?;
    }
    Ok(())
}

#[cfg(feature = "server")]
fn cmd_serve(dir: &Path, explicit: bool, args: ServeArgs) -> anyhow::Result<ExitCode> {
    use gazette::server::{Server, ServerConfig};
    let api_key = match &args.api_key_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("reading the api key from {}", file.display()))?
                .trim()
                .to_string(),
        ),
        None => std::env::var("GAZETTE_API_KEY").ok().map(|k| k.trim().to_string()),
    };
    if args.protect_reads && api_key.is_none() {
        bail!("--protect-reads needs an api key (--api-key-file or GAZETTE_API_KEY)");
    }
    let writable = api_key.is_some();
    build_default_index(dir, explicit)?;
    let index = if writable { NewsIndex::open_or_create(dir)? } else { NewsIndex::open(dir)? };
    if args.verify {
        index.verify()?;
    }
    let config = ServerConfig {
        api_key,
        protect_reads: args.protect_reads,
        cors_origins: args.cors_origin,
        max_body_bytes: args.max_body * 1024 * 1024,
        max_query_chars: args.max_query_chars,
        request_timeout: Duration::from_secs(args.timeout),
        header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        ..ServerConfig::default()
    };
    let server = Server::new(index, config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("listening on {}", args.addr))?;
        let addr = listener.local_addr()?;
        // Handlers first: a signal right after the announcement must stop the server.
        let shutdown = gazette::server::shutdown_signal();
        let mode = if writable { "read-write" } else { "read-only" };
        eprintln!("gazette: serving {} ({mode}) on http://{addr}/ (Ctrl-C stops)", dir.display());
        server.serve(listener, shutdown).await?;
        eprintln!("gazette: stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_search(dir: &Path, explicit: bool, args: SearchArgs) -> anyhow::Result<ExitCode> {
    build_default_index(dir, explicit)?;
    let index = NewsIndex::open(dir)?;
    let mut req = SearchRequest::new(args.query.join(" "));
    req.limit = args.page.limit;
    req.offset = args.page.offset;
    req.passages = args.page.passages;
    req.since = args.filter.since.as_deref().map(|d| date_bound(d, false)).transpose()?;
    req.until = args.filter.until.as_deref().map(|d| date_bound(d, true)).transpose()?;
    req.langs = args.filter.lang;
    req.sources = args.filter.source;
    req.facets = args.page.facets || args.page.json;
    req.collapse = !args.page.no_collapse;
    req.sort = args.sort;
    req.recent = args.recent.as_deref().map(half_life).transpose()?;
    req.fuzzy = !args.no_fuzzy;
    req.explain = args.explain;
    req.expand = args.expand;
    req.rank = args.rank.unwrap_or_default();
    let results = index.search(&req)?;
    if let (Some(suggestion), false) = (&results.did_you_mean, args.page.json) {
        let words: Vec<String> = results
            .fuzzy
            .iter()
            .map(|t| format!("{} → {}", t.term, t.matches.join(", ")))
            .collect();
        eprintln!("gazette: did you mean {suggestion:?}? (also searched: {})", words.join("; "));
    }
    print_results(&results, &args.page)
}

fn cmd_similar(dir: &Path, args: SimilarArgs) -> anyhow::Result<ExitCode> {
    let index = NewsIndex::open(dir)?;
    let mut req = SimilarRequest::new(args.id);
    req.limit = args.page.limit;
    req.offset = args.page.offset;
    req.passages = args.page.passages;
    req.since = args.filter.since.as_deref().map(|d| date_bound(d, false)).transpose()?;
    req.until = args.filter.until.as_deref().map(|d| date_bound(d, true)).transpose()?;
    req.langs = args.filter.lang;
    req.sources = args.filter.source;
    req.facets = args.page.facets || args.page.json;
    req.collapse = !args.page.no_collapse;
    let results = index.similar(&req)?;
    print_results(&results, &args.page)
}

/// Writes results to stdout as `page` asks; exit code 0 with hits, 1 without.
fn print_results(results: &SearchResults, page: &PageArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if page.json {
        render::json(&mut out, results)?;
    } else {
        let color = match page.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => color_allowed() && std::io::stdout().is_terminal(),
        };
        let bidi = match page.bidi.bidi {
            BidiChoice::Logical => BidiMode::Logical,
            BidiChoice::Visual => BidiMode::Visual,
        };
        let width = page.bidi.width.unwrap_or_else(|| {
            terminal_size::terminal_size().map_or(80, |(terminal_size::Width(w), _)| w as usize)
        });
        render::text(&mut out, results, TextOptions { color, bidi, width })?;
    }
    out.flush()?;
    Ok(if results.total_hits > 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn cmd_extract(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let several = args.files.len() > 1;
    let mut failed = 0usize;
    for file in &args.files {
        let ex = match ingest::extract_html_file(file) {
            Ok(ex) => ex,
            Err(e) if several => {
                eprintln!("gazette: {e}");
                failed += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if args.json {
            let mut doc = serde_json::json!({
                "title": ex.title, "body": ex.body, "date": ex.date, "modified": ex.modified,
                "author": ex.author, "source": ex.source, "url": ex.url, "lang": ex.lang,
                "method": ex.method,
            });
            if several {
                doc["path"] = serde_json::Value::String(file.display().to_string());
                serde_json::to_writer(&mut out, &doc)?;
            } else {
                serde_json::to_writer_pretty(&mut out, &doc)?;
            }
            writeln!(out)?;
        } else {
            if several {
                writeln!(out, "==> {} <==", file.display())?;
            }
            for (k, v) in [
                ("title", &ex.title),
                ("date", &ex.date),
                ("modified", &ex.modified),
                ("author", &ex.author),
                ("source", &ex.source),
                ("url", &ex.url),
                ("lang", &ex.lang),
            ] {
                writeln!(out, "{k}: {}", v.as_deref().unwrap_or("-"))?;
            }
            writeln!(out, "method: {}", ex.method)?;
            writeln!(out, "\n{}", ex.body)?;
            if several {
                writeln!(out)?;
            }
        }
    }
    Ok(if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn cmd_eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    use gazette::eval;
    let qrels = eval::read_qrels(&args.qrels)?;
    let queries = eval::read_queries(&args.queries)?;
    let tmp = tempfile::tempdir()?;
    let start = std::time::Instant::now();
    let index = eval::index_collection(&tmp.path().join("index"), &args.docs, args.default_lang)?;
    let indexed = start.elapsed();
    let settings = if args.rank.is_empty() { vec![Default::default()] } else { args.rank };
    let several = settings.len() > 1;
    let mut out = std::io::stdout().lock();
    for rank in settings {
        let start = std::time::Instant::now();
        let run = eval::run_queries(&index, &queries, args.depth, rank, args.expand)?;
        let searched = start.elapsed();
        if let Some(path) = &args.run_out {
            std::fs::write(path, eval::format_run(&run, "gazette"))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let m = eval::evaluate(&qrels, &run);
        tracing::info!(
            "indexed in {:.2} s, {} queries in {:.2} s",
            indexed.as_secs_f64(),
            queries.len(),
            searched.as_secs_f64()
        );
        if args.json {
            if several {
                let v = serde_json::json!({ "rank": rank, "metrics": m });
                serde_json::to_writer(&mut out, &v)?;
            } else {
                serde_json::to_writer(&mut out, &m)?;
            }
            writeln!(out)?;
        } else {
            if several {
                writeln!(out, "rank        {rank:?}")?;
            }
            writeln!(out, "queries     {}", m.queries)?;
            writeln!(out, "map         {:.4}", m.map)?;
            writeln!(out, "ndcg@10     {:.4}", m.ndcg10)?;
            writeln!(out, "p@10        {:.4}", m.p10)?;
            writeln!(out, "recall@100  {:.4}", m.recall100)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_status(dir: &Path, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let index = NewsIndex::open(dir)?;
    let s = index.status()?;
    if args.verify {
        index.verify()?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &s)?;
        writeln!(out)?;
    } else {
        let counts = |m: &std::collections::BTreeMap<String, u64>| {
            let mut v: Vec<_> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter()
                .map(|(k, n)| format!("{} {n}", if k.is_empty() { "(none)" } else { k.as_str() }))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(out, "index      {}", s.index.display())?;
        writeln!(out, "articles   {} ({} passages)", s.articles, s.passages)?;
        writeln!(out, "languages  {}", counts(&s.languages))?;
        writeln!(out, "sources    {}", counts(&s.sources))?;
        if let Some(r) = &s.date_range {
            let (from, to) = (r.from.as_deref().unwrap_or("?"), r.to.as_deref().unwrap_or("?"));
            writeln!(out, "dates      {from} to {to}")?;
        }
        writeln!(out, "size       {:.1} MB", s.size_bytes as f64 / 1e6)?;
        writeln!(out, "committed  {}", s.last_commit.as_deref().unwrap_or("never"))?;
        writeln!(out, "schema     v{} (analysis v{})", s.schema_version, s.analysis_version)?;
        for (root, files) in &s.roots {
            writeln!(out, "root       {root} ({files} files)")?;
        }
        if args.verify {
            writeln!(out, "verified   every segment file matches its checksum")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Progress on stderr: a spinner with counts on a terminal, nothing otherwise; problems are
/// always reported.
struct CliProgress {
    bar: Option<ProgressBar>,
    bytes: AtomicU64,
}

impl CliProgress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            let style =
                ProgressStyle::with_template("{spinner} {pos} articles · {msg} · {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        CliProgress { bar, bytes: AtomicU64::new(0) }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl gazette::index::Progress for CliProgress {
    fn started(&self, files: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{files} files"));
        }
    }

    fn advanced(&self, articles: u64, bytes: u64) {
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(bar) = &self.bar {
            bar.inc(articles);
            bar.set_message(format!("{:.1} MB", total as f64 / 1e6));
        }
    }

    fn problem(&self, problem: &Problem) {
        let line = format!("gazette: warning: {problem}");
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn committing(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message("committing".to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mmap_threshold_set_by_user as set_by_user;

    #[test]
    fn a_threshold_the_user_set_is_left_alone() {
        let os = |s: &str| Some(std::ffi::OsString::from(s));
        assert!(!set_by_user(None, None));
        assert!(set_by_user(os("262144"), None));
        assert!(set_by_user(None, os("glibc.malloc.mmap_threshold=262144")));
        assert!(set_by_user(
            None,
            os("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=262144")
        ));
        assert!(!set_by_user(None, os("glibc.malloc.arena_max=2")), "other tunables are not it");
        assert!(!set_by_user(None, os("glibc.malloc.mmap_max=0")), "nor a neighbouring name");
    }
}
