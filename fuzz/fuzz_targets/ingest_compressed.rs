//! Compressed input: the first byte picks the format and the codec (gzip or zstd); the
//! rest is either taken as the compressed stream itself (truncated, corrupt, a bomb) or
//! compressed first, so the parsers behind the decoders are reached too.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;

const FORMATS: [&str; 5] = ["html", "txt", "md", "json", "jsonl"];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let format = FORMATS[usize::from(sel) % FORMATS.len()];
    let zstd = sel & 0x10 != 0;
    let raw = sel & 0x20 != 0;
    let bytes = if raw {
        rest.to_vec()
    } else if zstd {
        zstd_compress(rest)
    } else {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(rest).expect("gzip");
        enc.finish().expect("gzip")
    };
    let name = format!("input.{format}.{}", if zstd { "zst" } else { "gz" });
    gazette_fuzz::ingest_as(&name, &bytes);
});

fn zstd_compress(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 1).expect("zstd")
}
