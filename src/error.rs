//! Gazette's error type.
//!
//! Every error names what failed (the file, and the line when there is one) and why.
//! [`Error::is_user_error`] separates problems in the caller's input from internal failures,
//! so front ends (the CLI, an HTTP server) can choose an exit code or a status without
//! matching on every variant.

use std::path::PathBuf;

use crate::article::Format;

/// The result type used throughout Gazette.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Gazette.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be parsed as the format its name announces.
    #[error("{}{}: cannot parse as {format}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line, for line-oriented formats.
        line: Option<u64>,
        /// The format that was expected.
        format: Format,
        /// What was wrong.
        reason: String,
    },
    /// A file that is not an article (relevance judgments, a query list…) is malformed.
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: Option<u64>,
        /// What was wrong.
        reason: String,
    },
    /// The query could not be understood.
    #[error("invalid query: {0}")]
    Query(String),
    /// A search option (date, limit, language…) is invalid.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The index holds no article with this id.
    #[error("no article with id {0:?}")]
    ArticleNotFound(String),
    /// No index exists at the path.
    #[error("no index at {}; run `gazette index` first", .0.display())]
    IndexNotFound(PathBuf),
    /// The directory holds something that is not a Gazette index.
    #[error("{} is not a Gazette index ({reason}); choose another directory or rebuild it with `gazette index --rebuild`", path.display())]
    NotAnIndex {
        /// The directory.
        path: PathBuf,
        /// Why it was not recognized.
        reason: String,
    },
    /// The index was built by an incompatible version of Gazette.
    #[error("index {} was built with schema version {found}, this Gazette reads version {expected}; rebuild it with `gazette index --rebuild`", path.display())]
    IncompatibleIndex {
        /// The directory.
        path: PathBuf,
        /// The schema version found in the index.
        found: u32,
        /// The schema version this build reads.
        expected: u32,
    },
    /// A file of the index is missing, truncated or corrupted.
    #[error("{}: the index is damaged ({reason}); rebuild it with `gazette index --rebuild`", path.display())]
    Damaged {
        /// The damaged file, or the index directory when the file is not known.
        path: PathBuf,
        /// What was found wrong.
        reason: String,
    },
    /// Another process (or another writer in this one) holds the index's writer lock.
    #[error("index {} is being updated by another process{}; wait for it to finish", path.display(), pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Locked {
        /// The index directory.
        path: PathBuf,
        /// The process holding the lock, when known.
        pid: Option<u32>,
    },
    /// Bad input was met during a `strict` indexing run.
    #[error("{count} input problem(s) with strict mode on; first: {first}")]
    Strict {
        /// How many problems were met.
        count: usize,
        /// The first problem.
        first: String,
    },
    /// An error inside the search engine library.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

impl Error {
    /// Returns true when the error comes from the caller's input (a bad query, option or
    /// file, a missing index) rather than from a failure inside Gazette or the system.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Parse { .. }
                | Error::BadFile { .. }
                | Error::Query(_)
                | Error::InvalidOption(_)
                | Error::ArticleNotFound(_)
                | Error::IndexNotFound(_)
                | Error::NotAnIndex { .. }
                | Error::IncompatibleIndex { .. }
                | Error::Strict { .. }
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for Error {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        Error::Tantivy(e.into())
    }
}
