//! Gazette: full-text search for policy news in English, French and Arabic, built on
//! [Tantivy](https://docs.rs/tantivy).
//!
//! The pipeline, one module per stage:
//!
//! 1. [`ingest`]: files (HTML, text, Markdown, JSON, JSON Lines, compressed or not) become
//!    [`Article`]s;
//! 2. [`analysis`]: per-language tokenizer chains (English, French, Arabic, other);
//! 3. [`index`]: articles are cut into [`passage`]s and written to a Tantivy index;
//! 4. [`search`]: a query returns articles ranked by their best passages, with highlight
//!    ranges ([`search::Hit`], [`search::Passage`]);
//! 5. [`render`]: hits as terminal text or JSON;
//! 6. `server` (feature `server`, on by default): the HTTP JSON API and web search page.
//!
//! # Example
//!
//! ```
//! use gazette::{Article, NewsIndex, SearchRequest};
//!
//! # fn main() -> gazette::Result<()> {
//! let dir = tempfile::tempdir().map_err(|e| gazette::Error::Io { path: "tmp".into(), source: e })?;
//! let index = NewsIndex::create(dir.path())?;
//! let mut updater = index.updater(50_000_000, 1)?;
//! let mut article = Article::new("a1", "Morocco and OpenAI talk", "Morocco met OpenAI in New York.");
//! article.lang = Some("en".into());
//! updater.upsert(&article)?;
//! updater.commit()?;
//! index.reload()?;
//!
//! let results = index.search(&SearchRequest::new("openai"))?;
//! assert_eq!(results.hits[0].id.as_str(), "a1");
//! let passage = &results.hits[0].passages[0];
//! let first = &passage.highlights[0];
//! assert_eq!(&passage.text[first.start..first.end], "OpenAI");
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod article;
pub mod error;
pub mod eval;
pub mod index;
pub mod ingest;
pub mod passage;
pub mod render;
pub mod schema;
pub mod search;
#[cfg(feature = "server")]
pub mod server;

pub use article::{Article, ArticleId, Format};
pub use error::{Error, Result};
pub use index::{
    index_paths, IndexOptions, IndexStats, IndexStatus, IndexSummary, IndexUpdater, NewsIndex,
};
pub use search::{
    Duplicate, Explain, FacetCount, Facets, FuzzyTerm, Highlight, Hit, Passage, SearchRequest,
    SearchResults, SimilarRequest, Sort,
};
