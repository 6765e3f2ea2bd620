//! The fixed words of a document in each language: one table, one row per label, so a
//! translation is a data change and a missing one is caught by a test, not by a reader.

use serde::Serialize;

/// A document's language: it picks the labels, the writing direction and the main font.
/// User-entered text is never translated: it is shown as given in either language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English, left to right.
    En,
    /// Arabic, right to left, set in Amiri.
    Ar,
}

impl Language {
    /// The BCP 47 code used for the document's `lang` (typst and Markdown).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    /// Whether the language is written right to left.
    #[must_use]
    pub const fn is_rtl(self) -> bool {
        matches!(self, Self::Ar)
    }
}

/// A fixed word or phrase of a document. The variants are in the order of [`LABELS`]' rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// The document's kind, before the meeting title.
    Minutes,
    /// The workout the meeting belongs to.
    WorkoutReference,
    /// The minutes' version number.
    Version,
    /// When the meeting started.
    Starts,
    /// When the meeting ended.
    Ends,
    /// Where the meeting took place.
    Location,
    /// The meeting's video link.
    VideoLink,
    /// The attendance section.
    Attendance,
    /// Attendance column: the institution.
    Institution,
    /// Attendance column: the person.
    Person,
    /// Attendance column: the person's role.
    Role,
    /// Attendance column: the institution represented by proxy.
    ProxyFor,
    /// The quorum statement.
    Quorum,
    /// The agenda section.
    Agenda,
    /// One agenda item, before its number.
    AgendaItem,
    /// An agenda item's discussion summary.
    Discussion,
    /// An agenda item's decisions.
    Decisions,
    /// The ballot a decision was taken by.
    Ballot,
    /// An agenda item's action items.
    ActionItems,
    /// Action item column: what is to be done.
    Action,
    /// Action item column: the institution that owns it.
    Owner,
    /// Action item column: its due date.
    Due,
    /// Action item column: its status.
    Status,
    /// When the minutes were approved.
    Approved,
    /// When the minutes were sealed.
    Sealed,
    /// The content hash's heading.
    ContentHash,
    /// How to check a copy against the audit chain.
    HashNote,
    /// Page footer: the page number.
    Page,
    /// An empty value.
    NoneGiven,
    /// Action status: open.
    StatusOpen,
    /// Action status: in progress.
    StatusInProgress,
    /// Action status: done.
    StatusDone,
    /// Action status: cancelled.
    StatusCancelled,
}

/// Every label in English and Arabic, one row per [`Label`], in the enum's order.
pub const LABELS: &[(Label, &str, &str)] = &[
    (Label::Minutes, "Minutes", "محضر"),
    (Label::WorkoutReference, "Workout", "عملية إعادة الهيكلة"),
    (Label::Version, "Version", "الإصدار"),
    (Label::Starts, "Starts", "بداية الاجتماع"),
    (Label::Ends, "Ends", "نهاية الاجتماع"),
    (Label::Location, "Location", "المكان"),
    (Label::VideoLink, "Video link", "رابط الاجتماع المرئي"),
    (Label::Attendance, "Attendance", "الحضور"),
    (Label::Institution, "Institution", "المؤسسة"),
    (Label::Person, "Person", "الاسم"),
    (Label::Role, "Role", "الصفة"),
    (Label::ProxyFor, "Proxy for", "بالإنابة عن"),
    (Label::Quorum, "Quorum", "النصاب"),
    (Label::Agenda, "Agenda", "جدول الأعمال"),
    (Label::AgendaItem, "Agenda item", "بند جدول الأعمال"),
    (Label::Discussion, "Discussion", "ملخص المناقشة"),
    (Label::Decisions, "Decisions", "القرارات"),
    (Label::Ballot, "Ballot", "التصويت"),
    (Label::ActionItems, "Action items", "المهام"),
    (Label::Action, "Action", "المهمة"),
    (Label::Owner, "Owner", "الجهة المسؤولة"),
    (Label::Due, "Due", "تاريخ الاستحقاق"),
    (Label::Status, "Status", "الحالة"),
    (Label::Approved, "Approved", "تاريخ الاعتماد"),
    (Label::Sealed, "Sealed", "تاريخ الختم"),
    (
        Label::ContentHash,
        "Content hash (SHA-256)",
        "بصمة المحتوى (SHA-256)",
    ),
    (
        Label::HashNote,
        "To check a copy, compare this hash with the minutes' entry in the workout's audit chain.",
        "للتحقق من نسخة، قارن هذه البصمة بقيد المحضر في سجل التدقيق الخاص بعملية إعادة الهيكلة.",
    ),
    (Label::Page, "Page", "صفحة"),
    (Label::NoneGiven, "—", "—"),
    (Label::StatusOpen, "Open", "مفتوحة"),
    (Label::StatusInProgress, "In progress", "قيد التنفيذ"),
    (Label::StatusDone, "Done", "منجزة"),
    (Label::StatusCancelled, "Cancelled", "ملغاة"),
];

impl Label {
    /// The label's text in `lang`.
    #[must_use]
    pub fn text(self, lang: Language) -> &'static str {
        // Rows are in the enum's order (checked by a test), so the discriminant is the row.
        LABELS
            .get(self as usize)
            .map_or("", |&(_, english, arabic)| match lang {
                Language::En => english,
                Language::Ar => arabic,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_sits_at_its_labels_position_and_has_both_languages() {
        for (index, &(label, english, arabic)) in LABELS.iter().enumerate() {
            assert_eq!(label as usize, index, "{label:?} is not at row {index}");
            assert!(!english.is_empty() && !arabic.is_empty(), "{label:?}");
        }
        assert_eq!(LABELS.len(), Label::StatusCancelled as usize + 1);
    }

    #[test]
    fn arabic_labels_are_written_in_arabic_script() {
        let arabic = |c: char| ('\u{0600}'..='\u{06FF}').contains(&c);
        for &(label, _, text) in LABELS {
            if label != Label::NoneGiven {
                assert!(text.chars().any(arabic), "{label:?}: {text}");
            }
        }
        assert_eq!(Label::Minutes.text(Language::Ar), "محضر");
    }
}
