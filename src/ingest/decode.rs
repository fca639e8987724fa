//! Bytes to text: decompression (`.gz`, `.zst`), binary detection and character decoding.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// The compression wrapped around a file, from its last extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (`.gz`).
    Gzip,
    /// Zstandard (`.zst`, `.zstd`).
    Zstd,
}

/// The largest single file (after decompression) read whole; larger HTML, text, Markdown or
/// JSON files are reported and skipped. JSON Lines files are streamed and have no limit.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Opens a file for streaming reads, decompressing it on the fly.
pub fn open(path: &Path, compression: Compression) -> Result<Box<dyn BufRead + Send>> {
    let file = open_regular(path).map_err(|e| Error::io(path, e))?;
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(256 * 1024, file)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
        )),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::new(file).map_err(|e| Error::io(path, e))?;
            Box::new(BufReader::with_capacity(256 * 1024, dec))
        }
    })
}

/// Opens a regular file for reading. Whatever took a listed file's place since (a FIFO, a
/// device) is refused without blocking: a FIFO with no writer would hang the run on `open`.
fn open_regular(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No effect on regular files; makes `open` of a FIFO return at once.
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// Reads a whole (decompressed) file, refusing files over [`MAX_FILE_BYTES`].
pub fn read_all(path: &Path, compression: Compression) -> Result<Vec<u8>> {
    let reader = open(path, compression)?;
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, with_context(e, compression)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::io(
            path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("file is larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024)),
            ),
        ));
    }
    Ok(bytes)
}

fn with_context(e: io::Error, compression: Compression) -> io::Error {
    match compression {
        Compression::None => e,
        Compression::Gzip => io::Error::new(e.kind(), format!("gzip stream: {e}")),
        Compression::Zstd => io::Error::new(e.kind(), format!("zstd stream: {e}")),
    }
}

/// Returns true when the bytes look like a binary file (a NUL byte in the first 8 KiB).
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// Decodes text declared (or required) to be UTF-8: strips a byte-order mark and replaces
/// invalid sequences. Returns the text and, when replacements were made, the byte offset
/// of the first invalid sequence.
pub fn decode_utf8(bytes: &[u8]) -> (String, Option<usize>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => (String::from_utf8_lossy(bytes).into_owned(), Some(e.valid_up_to())),
    }
}

/// Decodes an HTML page as a browser would: a byte-order mark, else the charset declared in
/// the first 4 KiB (`<meta charset>`, `http-equiv`, an XML declaration), else UTF-8 when the
/// bytes are valid UTF-8, else windows-1252. ISO-8859-1 and ASCII are read as windows-1252.
pub fn decode_html(bytes: &[u8]) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return text.into_owned();
    }
    if let Some(enc) = sniff_charset(&bytes[..bytes.len().min(4096)]) {
        // UTF-16 cannot be declared in a page that is readable as ASCII.
        let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            encoding_rs::UTF_8
        } else {
            enc
        };
        let (text, _) = enc.decode_without_bom_handling(bytes);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// Finds a declared charset in the head of a page.
fn sniff_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"charset") {
        let mut i = from + pos + b"charset".len();
        while i < lower.len() && matches!(lower[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        if i < lower.len() && lower[i] == b'=' {
            i += 1;
            while i < lower.len() && matches!(lower[i], b' ' | b'"' | b'\'') {
                i += 1;
            }
            let start = i;
            while i < lower.len()
                && (lower[i].is_ascii_alphanumeric()
                    || matches!(lower[i], b'-' | b'_' | b':' | b'.'))
            {
                i += 1;
            }
            if let Some(enc) = encoding_rs::Encoding::for_label(&lower[start..i]) {
                return Some(enc);
            }
        }
        from = from + pos + 1;
    }
    if lower.starts_with(b"<?xml") {
        if let Some(pos) = find(&lower, b"encoding=") {
            let rest = &lower[pos + 9..];
            let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
            let end = rest.iter().position(|b| matches!(b, b'"' | b'\'' | b'?')).unwrap_or(0);
            return encoding_rs::Encoding::for_label(&rest[..end]);
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_declared_charsets() {
        let page =
            b"<html><head><meta charset=\"windows-1252\"></head><body>donn\xe9es</body></html>";
        assert!(decode_html(page).contains("données"));
        let page =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">caf\xe9";
        assert!(decode_html(page).contains("café"));
        let page = b"<meta charset=\"iso-8859-6\"><p>\xc7\xe4</p>";
        assert!(decode_html(page).contains("\u{0627}"));
        let page = "\u{feff}<p>données</p>".as_bytes();
        assert_eq!(decode_html(page), "<p>données</p>");
        // Undeclared, invalid UTF-8: windows-1252.
        assert!(decode_html(b"<p>caf\xe9</p>").contains("café"));
    }

    #[test]
    fn utf8_reports_first_invalid_byte() {
        let (text, bad) = decode_utf8(b"ab\xffcd");
        assert_eq!(bad, Some(2));
        assert_eq!(text, "ab\u{fffd}cd");
        assert_eq!(decode_utf8("\u{feff}x".as_bytes()), ("x".to_string(), None));
    }

    #[test]
    fn binary_detection() {
        assert!(looks_binary(b"\x7fELF\0\0"));
        assert!(!looks_binary("plain text".as_bytes()));
    }
}
