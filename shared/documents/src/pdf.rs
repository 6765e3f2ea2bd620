//! Minutes as PDF, typeset in memory by typst: the template is the only source, the fonts are
//! typst's bundled ones plus Amiri (shipped in `fonts/`, OFL) for Arabic, and no file or
//! package outside this crate can be read. The same input gives the same bytes: the creation
//! date and the document identifier come from the sealed minutes, not from the clock.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use crate::DocumentError;
use crate::labels::Language;
use crate::minutes::MinutesDocument;
use crate::view::DocumentView;

const TEMPLATE: &str = include_str!("minutes.typ");
const AMIRI_REGULAR: &[u8] = include_bytes!("../fonts/Amiri-Regular.ttf");
const AMIRI_BOLD: &[u8] = include_bytes!("../fonts/Amiri-Bold.ttf");

/// Fonts are parsed once per process; typst shares their bytes, it does not copy them.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .chain([AMIRI_REGULAR, AMIRI_BOLD])
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

/// The minutes as a PDF in `lang`: Arabic is right to left in Amiri; every page's footer shows
/// the content hash in monospace, and it is repeated at the end.
///
/// # Errors
/// [`DocumentError::Typeset`] or [`DocumentError::Export`] if typst fails, which means a
/// defect in the template rather than bad input (input is data, never markup);
/// [`DocumentError::Time`] if `sealed_at` cannot be a PDF date.
pub fn pdf(doc: &MinutesDocument, lang: Language) -> Result<Vec<u8>, DocumentError> {
    let view = DocumentView::new(doc, lang);
    let data = serde_json::to_string(&view).map_err(|e| DocumentError::Typeset(e.to_string()))?;
    let sealed = typst_datetime(doc.sealed_at).ok_or(DocumentError::Time)?;
    let world = MinutesWorld::new(data, sealed);
    let compiled = typst::compile::<PagedDocument>(&world).output;
    // typst memoizes across compilations; keep its cache from growing in a long-running service.
    typst::comemo::evict(10);
    let document = compiled.map_err(|errors| DocumentError::Typeset(messages(&errors)))?;
    let options = PdfOptions {
        // A stable identifier per sealed content and language, so identical input gives
        // identical bytes.
        ident: Smart::Custom(format!("minutes-{}-{}", doc.content_hash, lang.code())),
        timestamp: Some(Timestamp::new_utc(sealed)),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| DocumentError::Export(messages(&errors)))
}

fn messages(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn typst_datetime(at: DateTime<Utc>) -> Option<Datetime> {
    Datetime::from_ymd_hms(
        at.year(),
        u8::try_from(at.month()).ok()?,
        u8::try_from(at.day()).ok()?,
        u8::try_from(at.hour()).ok()?,
        u8::try_from(at.minute()).ok()?,
        u8::try_from(at.second()).ok()?,
    )
}

/// A typst world holding one source (the template) and the fonts; the data arrives through
/// `sys.inputs`, and "today" is the sealing date so nothing depends on the clock.
struct MinutesWorld {
    library: LazyHash<Library>,
    main: Source,
    today: Datetime,
}

impl MinutesWorld {
    fn new(data: String, today: Datetime) -> Self {
        let inputs: Dict = [("data".into(), data.into_value())].into_iter().collect();
        let main_id = VirtualPath::new("/minutes.typ")
            .map(|path| FileId::new(RootedPath::new(VirtualRoot::Project, path)));
        let main = match main_id {
            Ok(id) => Source::new(id, TEMPLATE.to_owned()),
            Err(_) => Source::detached(TEMPLATE),
        };
        Self {
            library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
            main,
            today,
        }
    }
}

impl World for MinutesWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
