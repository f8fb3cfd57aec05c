//! What a file is, read from its bytes (never from its name): the name
//! only chooses between text formats that the bytes cannot tell apart
//! (Markdown and plain text).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The formats Tessera extracts text from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// PDF with a text layer.
    Pdf,
    /// Word (Office Open XML).
    Docx,
    /// HTML.
    Html,
    /// Markdown.
    Markdown,
    /// Comma- (or semicolon-, tab-) separated values.
    Csv,
    /// Plain text.
    Text,
}

impl Format {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Text => "text",
        }
    }

    /// The stored name, parsed.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "pdf" => Format::Pdf,
            "docx" => Format::Docx,
            "html" => Format::Html,
            "markdown" => Format::Markdown,
            "csv" => Format::Csv,
            "text" => Format::Text,
            _ => return None,
        })
    }

    /// The media type the original is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
        }
    }
}

/// Why a file is not one Tessera can read, in words for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// Nothing in it.
    Empty,
    /// A known format Tessera does not extract (an image, an archive, …).
    Known(&'static str),
    /// Binary data of no known format.
    Binary,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsupported::Empty => f.write_str("the file is empty"),
            Unsupported::Known(what) => write!(
                f,
                "this is {what}, which has no text to read; upload PDF, Word (DOCX), HTML, \
                 Markdown, CSV or plain text"
            ),
            Unsupported::Binary => f.write_str(
                "the file is not a format Tessera reads (PDF, Word DOCX, HTML, Markdown, CSV or \
                 plain text)",
            ),
        }
    }
}

const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF file (an image, audio or video)"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (DOC/XLS); save it as DOCX"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a program"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
    (b"\x00\x00\x00\x18ftyp", "a video"),
    (b"\x00\x00\x00\x20ftyp", "a video"),
    (b"{\\rtf", "an RTF file; save it as DOCX"),
];

/// Reads what `bytes` are. `name` is a hint between text formats only.
pub fn detect(bytes: &[u8], name: Option<&str>) -> Result<Format, Unsupported> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Unsupported::Empty);
    }
    let head = &bytes[..bytes.len().min(1024)];
    // A PDF's header may follow some junk within the first KiB.
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match zip_kind(bytes) {
            Some(ZipKind::Docx) => Ok(Format::Docx),
            Some(ZipKind::Office(what)) => Err(Unsupported::Known(what)),
            None => Err(Unsupported::Known("a ZIP archive")),
        };
    }
    for (magic, what) in MAGIC {
        if bytes.starts_with(magic) {
            return Err(Unsupported::Known(what));
        }
    }
    let text = decode_text(bytes).ok_or(Unsupported::Binary)?;
    Ok(text_format(&text, name))
}

enum ZipKind {
    Docx,
    Office(&'static str),
}

fn zip_kind(bytes: &[u8]) -> Option<ZipKind> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let names: Vec<String> = archive.file_names().flatten().map(|n| n.into_owned()).collect();
    if names.iter().any(|n| n == "word/document.xml") {
        Some(ZipKind::Docx)
    } else if names.iter().any(|n| n.starts_with("xl/")) {
        Some(ZipKind::Office("an Excel workbook; export the sheet as CSV"))
    } else if names.iter().any(|n| n.starts_with("ppt/")) {
        Some(ZipKind::Office("a PowerPoint presentation; save it as PDF"))
    } else {
        None
    }
}

/// The text of `bytes`: UTF-8 (with or without BOM), UTF-16 with a BOM,
/// or — when neither — Windows-1252 if it has no control characters.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return std::str::from_utf8(rest).ok().map(str::to_string);
    }
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        let le = bytes[0] == 0xff;
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) }
            })
            .collect();
        return String::from_utf16(&units).ok();
    }
    let controls = |s: &str| {
        s.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')).count()
    };
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (controls(s) * 100 <= s.len().max(1)).then(|| s.to_string());
    }
    // Not UTF-8: treat as Windows-1252 (Latin-1 for the printable range)
    // only when it looks like text.
    if bytes.contains(&0) {
        return None;
    }
    let s: String = bytes.iter().map(|&b| b as char).collect();
    (controls(&s) == 0).then_some(s)
}

fn text_format(text: &str, name: Option<&str>) -> Format {
    let start = text.trim_start().get(..512.min(text.trim_start().len())).unwrap_or("");
    let lower = start.to_ascii_lowercase();
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<?xml") && text.contains("<html")
        || ["<head", "<body", "<p>", "<div", "<h1", "<table"].iter().any(|t| lower.contains(t))
    {
        return Format::Html;
    }
    let ext = name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if looks_like_csv(text) && !matches!(ext.as_str(), "md" | "markdown" | "txt") {
        return Format::Csv;
    }
    if matches!(ext.as_str(), "md" | "markdown") || looks_like_markdown(text) {
        return Format::Markdown;
    }
    Format::Text
}

/// At least three lines, all with the same number (≥ 1) of the same
/// separator outside quotes.
fn looks_like_csv(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    if lines.len() < 3 {
        return false;
    }
    [',', ';', '\t'].iter().any(|&sep| {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, sep)).collect();
        counts[0] >= 1 && counts.iter().all(|&c| c == counts[0])
    })
}

fn count_outside_quotes(line: &str, sep: char) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c == sep && !quoted => n += 1,
            _ => {}
        }
    }
    n
}

fn looks_like_markdown(text: &str) -> bool {
    let mut signs = 0;
    for line in text.lines().take(200) {
        let t = line.trim_start();
        if (t.starts_with("# ") || t.starts_with("## ") || t.starts_with("### "))
            || t.starts_with("```")
            || t.starts_with("| ") && t.ends_with('|')
            || t.starts_with("* ") && line.starts_with('*')
        {
            signs += 1;
        }
        if t.contains("](") && t.contains('[') {
            signs += 1;
        }
    }
    signs >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_bytes() {
        assert_eq!(detect(b"%PDF-1.7\n...", Some("a.txt")), Ok(Format::Pdf));
        assert_eq!(
            detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some("scan.pdf")),
            Err(Unsupported::Known("a PNG image"))
        );
        assert_eq!(detect(b"", Some("a.pdf")), Err(Unsupported::Empty));
        assert_eq!(detect(b"  \n\t", None), Err(Unsupported::Empty));
        assert_eq!(detect(b"<!DOCTYPE html><p>Hi</p>", Some("x.txt")), Ok(Format::Html));
        assert_eq!(detect(b"name,qty\nbolt,2\nnut,3\n", Some("x")), Ok(Format::Csv));
        assert_eq!(detect(b"# Title\n\nSome text.\n\n## Part\n", None), Ok(Format::Markdown));
        assert_eq!(detect(b"Just a note.\nTwo lines.", Some("notes.md")), Ok(Format::Markdown));
        assert_eq!(detect(b"Just a note.\nTwo lines.", Some("notes")), Ok(Format::Text));
        assert_eq!(detect(b"\x00\x01\x02\x03binary\x00", None), Err(Unsupported::Binary));
    }

    #[test]
    fn text_encodings() {
        assert_eq!(decode_text(b"\xef\xbb\xbfcaf\xc3\xa9").as_deref(), Some("café"));
        assert_eq!(decode_text(b"caf\xe9").as_deref(), Some("café"));
        assert_eq!(decode_text(b"\xff\xfeh\0i\0").as_deref(), Some("hi"));
    }
}
