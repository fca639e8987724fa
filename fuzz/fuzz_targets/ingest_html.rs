//! Any bytes as a `.html` file, read as `gazette index` reads it: no panic, and every
//! article satisfies the ingest invariants (see `gazette_fuzz::check_article`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gazette_fuzz::ingest_as("input.html", data);
});
