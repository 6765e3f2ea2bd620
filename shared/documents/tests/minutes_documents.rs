//! Minutes documents as a person files them: Markdown and PDF in English and Arabic, checked
//! from the outside (the PDF's text as `pdftotext` extracts it, from Debian's `poppler-utils`).

#![expect(
    clippy::expect_used,
    reason = "test helpers: a failed setup must stop the test at once"
)]

use std::io::ErrorKind;
use std::process::Command;

use chrono::{NaiveDate, TimeZone, Utc};
use workout_documents::{
    ActionItem, ActionStatus, AgendaItem, Attendee, Decision, Language, MinutesDocument, markdown,
    pdf,
};

const HASH: &str = "3f5a0c9e1b7d24681357acef02468ace13579bdf0123456789abcdef01234567";
const ARABIC_TITLE: &str = "اجتماع الدائنين الأول";
const ARABIC_AGENDA_TITLE: &str = "إعادة جدولة الديون";

fn minutes(title: &str, agenda_title: &str) -> MinutesDocument {
    MinutesDocument {
        workout_reference: "WO-2026-0012".to_owned(),
        meeting_title: title.to_owned(),
        starts_at: Utc.with_ymd_and_hms(2026, 11, 3, 7, 0, 0).unwrap(),
        ends_at: Utc.with_ymd_and_hms(2026, 11, 3, 9, 30, 0).unwrap(),
        time_zone: chrono_tz::Asia::Riyadh,
        location: Some("Riyadh, King Fahd Road 12".to_owned()),
        video_link: Some("https://meet.example.com/wo-12".to_owned()),
        attendance: vec![
            Attendee {
                institution: "Gulf Credit Bank".to_owned(),
                person: "Layla Haddad".to_owned(),
                role: "Coordinator".to_owned(),
                proxy_for: None,
            },
            Attendee {
                institution: "Najd Investment Bank".to_owned(),
                person: "Omar Saleh".to_owned(),
                role: "Credit officer".to_owned(),
                proxy_for: Some("Red Sea Finance".to_owned()),
            },
        ],
        quorum_statement: "Creditors holding 82% of exposure were present; quorum was reached."
            .to_owned(),
        agenda_items: vec![AgendaItem {
            number: 1,
            title: agenda_title.to_owned(),
            discussion_summary: "The borrower presented its cash-flow forecast.\nThe creditors \
                                 asked for monthly reporting."
                .to_owned(),
            decisions: vec![Decision {
                text: "Extend the standstill by 30 days.".to_owned(),
                ballot_reference: Some("BAL-0042".to_owned()),
            }],
            action_items: vec![ActionItem {
                text: "Circulate the revised term sheet.".to_owned(),
                owner_institution: "Gulf Credit Bank".to_owned(),
                due_date: NaiveDate::from_ymd_opt(2026, 11, 10).expect("a date"),
                status: ActionStatus::Open,
            }],
        }],
        version: 2,
        approved_at: Utc.with_ymd_and_hms(2026, 11, 5, 12, 0, 0).unwrap(),
        sealed_at: Utc.with_ymd_and_hms(2026, 11, 5, 12, 15, 30).unwrap(),
        content_hash: HASH.parse().expect("a SHA-256 in hex"),
    }
}

fn english_minutes() -> MinutesDocument {
    minutes("First creditors meeting", "Rescheduling of the debt")
}

fn arabic_minutes() -> MinutesDocument {
    minutes(ARABIC_TITLE, ARABIC_AGENDA_TITLE)
}

/// The text of `pdf` as `pdftotext` extracts it (UTF-8, reading order).
fn pdf_text(name: &str, pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("workout-documents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("the PDF written to a temporary file");
    let output = match Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`pdftotext` is not installed: these tests read the PDF's text with it \
             (Debian package `poppler-utils`: apt-get install -y poppler-utils)"
        ),
        Err(e) => panic!("pdftotext could not run: {e}"),
    };
    // Best effort: the PDF was only needed for pdftotext; another test may still use the folder.
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
    assert!(
        output.status.success(),
        "pdftotext failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8 with -enc UTF-8")
}

#[test]
fn markdown_shows_the_content_hash_and_arabic_labels_right_to_left() {
    let english = markdown(&english_minutes(), Language::En);
    assert!(english.contains(HASH), "{english}");
    assert!(
        english.starts_with("# Minutes: First creditors meeting"),
        "{english}"
    );
    assert!(
        english
            .contains("| Najd Investment Bank | Omar Saleh | Credit officer | Red Sea Finance |")
    );
    assert!(
        english.contains("2026-11-03 10:00 UTC+03:00 (Asia/Riyadh)"),
        "{english}"
    );

    let arabic = markdown(&arabic_minutes(), Language::Ar);
    assert!(
        arabic.starts_with("<div dir=\"rtl\" lang=\"ar\">"),
        "{arabic}"
    );
    assert!(arabic.trim_end().ends_with("</div>"), "{arabic}");
    assert!(arabic.contains(HASH), "{arabic}");
    for label in [
        "محضر",
        "الحضور",
        "القرارات",
        "المهام",
        "بصمة المحتوى (SHA-256)",
        "مفتوحة",
    ] {
        assert!(arabic.contains(label), "no {label} in {arabic}");
    }
    assert!(arabic.contains(ARABIC_AGENDA_TITLE), "{arabic}");
}

#[test]
fn markdown_escapes_markup_in_user_text() {
    let text = markdown(
        &minutes("</div><script>x</script> *b* [l](u)", "x"),
        Language::Ar,
    );
    assert!(
        text.contains(r"\</div\>\<script\>x\</script\> \*b\* \[l\](u)"),
        "{text}"
    );
    assert_eq!(text.matches("</div>").count(), 1, "{text}");
}

#[test]
fn the_english_pdf_shows_the_title_an_attendee_and_the_hash() {
    let text = pdf_text("english", &pdf(&english_minutes(), Language::En).unwrap());
    for expected in [
        "Minutes: First creditors meeting",
        "Layla Haddad",
        "Red Sea Finance",
        "Rescheduling of the debt",
        "BAL-0042",
        "2026-11-03 10:00 UTC+03:00 (Asia/Riyadh)",
        HASH,
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
}

#[test]
fn the_arabic_pdf_text_holds_the_arabic_words_in_logical_order() {
    let text = pdf_text("arabic", &pdf(&arabic_minutes(), Language::Ar).unwrap());
    for expected in [
        "محضر",
        "الحضور",
        ARABIC_TITLE,
        ARABIC_AGENDA_TITLE,
        "Layla Haddad",
        HASH,
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
}

#[test]
fn every_page_of_long_minutes_shows_the_content_hash() {
    let mut doc = arabic_minutes();
    let item = doc.agenda_items[0].clone();
    doc.agenda_items = (1..=40)
        .map(|number| AgendaItem {
            number,
            ..item.clone()
        })
        .collect();
    let text = pdf_text("long", &pdf(&doc, Language::Ar).unwrap());
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .collect();
    assert!(
        pages.len() > 2,
        "expected several pages, got {}",
        pages.len()
    );
    for (index, page) in pages.iter().enumerate() {
        assert!(
            page.contains(HASH),
            "page {} has no content hash:\n{page}",
            index + 1
        );
    }
}

#[test]
fn typst_markup_in_a_title_is_shown_literally() {
    let title = r#"Budget #set page(fill: red) *bold* $x^2$ [link] \ end #"#;
    let mut doc = english_minutes();
    doc.meeting_title = title.to_owned();
    doc.agenda_items[0].title = r#"#panic("no") ]["#.to_owned();
    let text = pdf_text("markup", &pdf(&doc, Language::En).unwrap());
    assert!(text.contains(title), "title not literal in:\n{text}");
    assert!(
        text.contains(r#"#panic("no") ]["#),
        "agenda title not literal in:\n{text}"
    );
}

#[test]
fn the_same_minutes_give_the_same_pdf_bytes() {
    for (doc, lang) in [
        (english_minutes(), Language::En),
        (arabic_minutes(), Language::Ar),
    ] {
        let first = pdf(&doc, lang).unwrap();
        let second = pdf(&doc, lang).unwrap();
        assert!(first.starts_with(b"%PDF-"));
        assert!(first == second, "{lang:?} PDF differs between two runs");
    }
    let english = pdf(&english_minutes(), Language::En).unwrap();
    let pdf_text = String::from_utf8_lossy(&english);
    assert!(
        pdf_text.contains("D:20261105121530"),
        "creation date is not the sealing time"
    );
}

#[test]
fn an_unknown_time_zone_is_refused_when_the_minutes_are_read() {
    let mut json = serde_json::to_value(english_minutes()).unwrap();
    assert_eq!(json["time_zone"], "Asia/Riyadh");
    json["time_zone"] = "Mars/Olympus".into();
    assert!(serde_json::from_value::<MinutesDocument>(json).is_err());
}

#[test]
fn a_content_hash_is_64_hex_digits_and_reads_in_lowercase() {
    let mut json = serde_json::to_value(english_minutes()).unwrap();
    assert_eq!(json["content_hash"], HASH);
    json["content_hash"] = HASH.to_uppercase().into();
    let doc: MinutesDocument = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(doc.content_hash.as_str(), HASH);
    for wrong in [&HASH[1..], "g".repeat(64).as_str(), ""] {
        json["content_hash"] = wrong.into();
        assert!(
            serde_json::from_value::<MinutesDocument>(json.clone()).is_err(),
            "{wrong}"
        );
    }
}
