//! Documents a person files: sealed minutes as Markdown and PDF, in English or Arabic (right to
//! left, shaped by typst with the shipped Amiri font), each showing the content hash so that a
//! copy can be checked against the audit chain; and a meeting's iCalendar [`invitation`]. Pure
//! rendering: no database, no clock, no network; the minutes service fills [`MinutesDocument`]
//! and [`invitation::MeetingInvitation`].
//!
//! User-entered text is data, never markup: Markdown escapes it, and the PDF template receives
//! it as JSON through typst's `sys.inputs` and inserts it as strings.

pub mod invitation;
mod labels;
mod markdown;
mod minutes;
mod pdf;
mod view;

pub use labels::{LABELS, Label, Language};
pub use markdown::markdown;
pub use minutes::{
    ActionItem, ActionStatus, AgendaItem, Attendee, ContentHash, Decision, InvalidContentHash,
    MinutesDocument,
};
pub use pdf::pdf;

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// typst could not typeset the template with this data (a template defect).
    #[error("the document could not be typeset: {0}")]
    Typeset(String),
    /// typst could not write the typeset document as PDF.
    #[error("the document could not be written as PDF: {0}")]
    Export(String),
    /// The sealing time is outside the range a PDF date can hold.
    #[error("the sealing time cannot be written as a PDF date")]
    Time,
}
