//! Documents as A4 PDFs, rendered in process by Typst with its bundled
//! fonts: nothing is read from the system or fetched at run time. The
//! template (`invoice.typ`) reads the document from a JSON file of the
//! in-memory world, so no text of a party or a line is ever parsed as
//! markup.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

mod data;

pub use data::{EinvoicePrint, PrintData, company_now, print_data};

const TEMPLATE: &str = include_str!("invoice.typ");

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> =
            typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        Fonts { book, fonts }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

/// A company's logo as stored: PNG or JPEG bytes.
#[derive(Debug, Clone)]
pub struct Logo {
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    /// The file.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// The logo's path in a document's world (its extension tells Typst
    /// the format).
    fn path(&self) -> &'static str {
        if self.content_type == "image/png" { "/logo.png" } else { "/logo.jpg" }
    }
}

/// The image type of a file, read from its first bytes (never its name).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable!("a fixed path"));
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

/// One document's world: the template as `main.typ`, its data as
/// `data.json`, the company's logo if it has one, and the e-invoice QR
/// code (`/qr.png`) if the document has one.
struct DocWorld {
    main: FileId,
    data: FileId,
    source: Source,
    json: Bytes,
    images: Vec<(FileId, Bytes)>,
}

impl DocWorld {
    fn new(template: &str, json: Vec<u8>, logo: Option<&Logo>) -> DocWorld {
        let main = file_id("/main.typ");
        DocWorld {
            main,
            data: file_id("/data.json"),
            source: Source::new(main, template.to_string()),
            json: Bytes::new(json),
            images: logo
                .map(|l| (file_id(l.path()), Bytes::new(l.bytes.clone())))
                .into_iter()
                .collect(),
        }
    }

    fn with_image(mut self, path: &str, bytes: &[u8]) -> DocWorld {
        self.images.push((file_id(path), Bytes::new(bytes.to_vec())));
        self
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main { Ok(self.source.clone()) } else { Err(FileError::AccessDenied) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data {
            return Ok(self.json.clone());
        }
        self.images
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, b)| b.clone())
            .ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Why a PDF could not be made (a template fault, never the data's).
#[derive(Debug, thiserror::Error)]
#[error("the document could not be typeset: {0}")]
pub struct PrintError(String);

/// Typesets `data` as an A4 PDF, with the company's logo at the top when
/// it has one, and the e-invoice's QR code (a PNG) when it has one.
pub fn render(
    data: &PrintData,
    logo: Option<&Logo>,
    qr: Option<&[u8]>,
) -> Result<Vec<u8>, PrintError> {
    let mut value = serde_json::to_value(data).map_err(|e| PrintError(e.to_string()))?;
    value["logo"] = logo.map_or(serde_json::Value::Null, |l| l.path().into());
    value["qr"] = qr.map_or(serde_json::Value::Null, |_| "/qr.png".into());
    let json = serde_json::to_vec(&value).map_err(|e| PrintError(e.to_string()))?;
    let mut world = DocWorld::new(TEMPLATE, json, logo);
    if let Some(q) = qr {
        world = world.with_image("/qr.png", q);
    }
    match typeset(&world) {
        // A logo checked on upload that no longer prints (say, after an
        // upgrade) must not stop the company's documents: print without.
        Err(e) if logo.is_some() => {
            tracing::warn!(error = %e, "the company's logo could not be printed; printing without it");
            render(data, None, qr)
        }
        done => done,
    }
}

/// Whether an image can be printed: it is decoded and placed on a page
/// exactly as a document would, so a logo that is stored always prints.
pub fn check_logo(logo: &Logo) -> Result<(), PrintError> {
    let template = format!("#image(\"{}\", width: 3cm)", logo.path());
    typeset(&DocWorld::new(&template, b"{}".to_vec(), Some(logo))).map(|_| ())
}

fn typeset(world: &DocWorld) -> Result<Vec<u8>, PrintError> {
    let doc: PagedDocument = typst::compile(world).output.map_err(|errors| {
        PrintError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
    })?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        PrintError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
    })
}
