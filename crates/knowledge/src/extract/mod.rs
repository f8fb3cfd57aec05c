//! Text out of files, keeping their structure: each [`Block`] is a
//! paragraph, list item, table row or heading with the heading path above
//! it and (for PDF) its page. Everything here is a pure function of the
//! bytes, run on a blocking thread by the ingestion job.

mod csv;
mod docx;
mod html;
mod markdown;
mod pdf;
pub mod text;

use crate::detect::{Format, Unsupported};

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Running text.
    Paragraph,
    /// One item of a list.
    ListItem,
    /// One row of a table, as `header: value` pairs or cells joined by
    /// ` | `.
    TableRow,
    /// Preformatted text (code), kept as it is.
    Code,
}

/// A piece of a document's text and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The text, whitespace normalised.
    pub text: String,
    /// What it is.
    pub kind: BlockKind,
    /// Page number from 1 (PDF only).
    pub page: Option<u32>,
    /// The headings it sits under, outermost first.
    pub headings: Vec<String>,
    /// A table's header row, repeated at the start of each chunk of its
    /// rows so a chunk reads on its own.
    pub table_header: Option<String>,
}

impl Block {
    fn new(text: impl Into<String>, kind: BlockKind, headings: &[String]) -> Block {
        Block {
            text: text.into(),
            kind,
            page: None,
            headings: headings.to_vec(),
            table_header: None,
        }
    }
}

/// A document's text.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    /// Its blocks in reading order.
    pub blocks: Vec<Block>,
    /// Its number of pages (PDF), when known.
    pub pages: Option<u32>,
    /// The title the file gives itself (PDF metadata, `<title>`, the
    /// first heading), if any.
    pub title: Option<String>,
}

impl Extracted {
    /// Characters of text.
    pub fn chars(&self) -> usize {
        self.blocks.iter().map(|b| b.text.chars().count()).sum()
    }
}

/// Why a file's text could not be read, in words for the person who
/// uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Password-protected PDF.
    #[error("the PDF is encrypted (password-protected); upload a copy without a password")]
    Encrypted,
    /// A scan: pages without a text layer.
    #[error(
        "the PDF has no text layer (it looks like a scan); run it through OCR and upload the \
         result"
    )]
    NoTextLayer,
    /// Damaged or truncated.
    #[error("the file is damaged and cannot be read: {0}")]
    Corrupt(String),
    /// No text in it.
    #[error("the file contains no text")]
    Empty,
    /// Not a format Tessera reads.
    #[error("{0}")]
    Unsupported(String),
}

impl From<Unsupported> for ExtractError {
    fn from(u: Unsupported) -> ExtractError {
        match u {
            Unsupported::Empty => ExtractError::Empty,
            other => ExtractError::Unsupported(other.to_string()),
        }
    }
}

/// Extracts the text of a file of `format`.
pub fn extract(format: Format, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let extracted = match format {
        Format::Pdf => pdf::extract(bytes)?,
        Format::Docx => docx::extract(bytes)?,
        Format::Html => html::extract(&decode(bytes)?),
        Format::Markdown => markdown::extract(&decode(bytes)?),
        Format::Csv => csv::extract(&decode(bytes)?)?,
        Format::Text => text::extract_plain(&decode(bytes)?),
    };
    if extracted.blocks.iter().all(|b| b.text.trim().is_empty()) {
        return Err(ExtractError::Empty);
    }
    Ok(extracted)
}

fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    crate::detect::decode_text(bytes)
        .ok_or_else(|| ExtractError::Unsupported(Unsupported::Binary.to_string()))
}
