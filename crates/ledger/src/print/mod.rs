//! Documents as A4 PDFs, rendered in process by Typst with its bundled
//! fonts: nothing is read from the system or fetched at run time. The
//! template (`invoice.typ`) reads the document from a JSON file of the
//! in-memory world, so no text of a party or a line is ever parsed as
//! markup.

use std::sync::OnceLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

mod data;

pub use data::{PrintData, company_now, print_data};

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

/// One document's world: the template as `main.typ` and its data as
/// `data.json`.
struct DocWorld {
    main: FileId,
    data: FileId,
    source: Source,
    json: Bytes,
}

impl DocWorld {
    fn new(json: Vec<u8>) -> DocWorld {
        let file = |path: &str| {
            let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable!("a fixed path"));
            FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
        };
        let (main, data) = (file("/main.typ"), file("/data.json"));
        DocWorld {
            main,
            data,
            source: Source::new(main, TEMPLATE.to_string()),
            json: Bytes::new(json),
        }
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
        if id == self.data { Ok(self.json.clone()) } else { Err(FileError::AccessDenied) }
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

/// Typesets `data` as an A4 PDF.
pub fn render(data: &impl Serialize) -> Result<Vec<u8>, PrintError> {
    let json = serde_json::to_vec(data).map_err(|e| PrintError(e.to_string()))?;
    let world = DocWorld::new(json);
    let doc: PagedDocument = typst::compile(&world).output.map_err(|errors| {
        PrintError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
    })?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        PrintError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
    })
}
