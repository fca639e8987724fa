//! Gazette's integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

#[cfg(feature = "server")]
mod browser;
mod cli;
mod faults;
mod features;
#[cfg(feature = "server")]
mod hostile;
mod html;
mod incremental;
mod index;
mod ingest;
mod languages;
mod properties;
mod search;
#[cfg(feature = "server")]
mod server;
