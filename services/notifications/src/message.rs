//! The e-mail of one delivery: multipart text and HTML from the templates of its letter's kind, in
//! the recipient's language (English, or Arabic with the HTML `dir="rtl"`), its `Message-ID` the
//! delivery's, an acknowledgement link for a formal notice, a calendar invitation where the letter
//! carries one.
//!
//! Rules: templates live in `templates/<kind>/<language>.{subject,txt,html}` (one folder per kind;
//! every topic of the routing table shares `event`), are compiled into the binary and checked by a
//! unit test in both languages. HTML templates escape what they are given; text ones do not need
//! to. An informational e-mail says that something happened and invites the reader to sign in; a
//! formal notice carries its content (written when it was issued). E-mails to the borrower and
//! guarantors name the coordinator as their sender (`from_name`).

use std::sync::OnceLock;

use anyhow::Context as _;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use minijinja::Environment;
use minijinja::value::{Serde, Value};

/// What a message is built from: one delivery and its letter.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    /// The letter's kind: a topic (e.g. `voting.ballot_opened`) or a notice's, report's or
    /// reminder's kind (e.g. `transfer`).
    pub kind: &'a str,
    /// Workout concerned.
    pub workout_id: uuid::Uuid,
    /// Recipient's address.
    pub email: &'a str,
    /// Recipient's name.
    pub name: &'a str,
    /// `en` or `ar` (anything else reads English).
    pub language: &'a str,
    /// The stable `Message-ID`, angle brackets included.
    pub message_id: &'a str,
    /// What the templates read (the letter's content).
    pub content: &'a serde_json::Value,
    /// The coordinator's name, for an e-mail to the borrower or a guarantor.
    pub from_name: Option<&'a str>,
    /// The one-click acknowledgement link of a formal notice.
    pub ack_url: Option<&'a str>,
}

/// The template folders (besides `_layout`): `event` and every notice, report and reminder kind.
pub const KINDS: &[&str] = &[
    "event",
    "transfer",
    "proposal_declined",
    "approved_terms",
    "timetable",
    "communication_acknowledged",
    "communication_received",
    "acknowledgement_reminder",
    "transfer_notice_late",
    "acknowledgement_overdue",
    "communication_unacknowledged",
    "notice_undeliverable",
];

macro_rules! templates {
    ($($path:expr),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $path)))),*]
    };
}

macro_rules! kind_templates {
    ($($kind:literal),* $(,)?) => {
        templates!($(
            concat!($kind, "/en.subject"), concat!($kind, "/en.txt"), concat!($kind, "/en.html"),
            concat!($kind, "/ar.subject"), concat!($kind, "/ar.txt"), concat!($kind, "/ar.html"),
        )*)
    };
}

/// Every template, by path.
const TEMPLATES: &[(&str, &str)] = kind_templates!(
    "event",
    "transfer",
    "proposal_declined",
    "approved_terms",
    "timetable",
    "communication_acknowledged",
    "communication_received",
    "acknowledgement_reminder",
    "transfer_notice_late",
    "acknowledgement_overdue",
    "communication_unacknowledged",
    "notice_undeliverable",
);

/// The shared layouts.
const LAYOUTS: &[(&str, &str)] = templates!(
    "_layout/en.txt",
    "_layout/en.html",
    "_layout/ar.txt",
    "_layout/ar.html",
);

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in LAYOUTS.iter().chain(TEMPLATES) {
            if let Err(error) = env.add_template(name, source) {
                // A broken template fails its unit test; at run time its e-mails fail to render.
                tracing::error!(template = name, error = %error, "template not loaded");
            }
        }
        env
    })
}

/// The template folder of a letter's kind: `event` for a topic.
fn folder(kind: &str) -> &str {
    if kind.contains('.') { "event" } else { kind }
}

/// The topic's action in words, e.g. `ballot opened`.
fn action(topic: &str) -> String {
    topic
        .split_once('.')
        .map_or(topic, |(_, action)| action)
        .replace('_', " ")
}

/// Subject, text part and HTML part of `letter`.
pub fn render(letter: &Letter<'_>) -> anyhow::Result<(String, String, String)> {
    let language = if letter.language == "ar" { "ar" } else { "en" };
    let folder = folder(letter.kind);
    let mut context = match letter.content {
        serde_json::Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    context.insert("workout_id".into(), letter.workout_id.to_string().into());
    context.insert("action".into(), action(letter.kind).into());
    context.insert("topic".into(), letter.kind.into());
    context.insert(
        "recipient".into(),
        serde_json::json!({ "name": letter.name, "email": letter.email }),
    );
    context.insert("from_name".into(), letter.from_name.into());
    context.insert("ack_url".into(), letter.ack_url.into());
    let context = Value::from(Serde(serde_json::Value::Object(context)));
    let env = environment();
    let part = |extension: &str| -> anyhow::Result<String> {
        let name = format!("{folder}/{language}.{extension}");
        env.get_template(&name)
            .and_then(|template| template.render(context.clone()))
            .with_context(|| format!("rendering the template {name}"))
    };
    let subject = part("subject")?.trim().replace(['\r', '\n'], " ");
    Ok((subject, part("txt")?, part("html")?))
}

/// The e-mail of `letter`, from `from` (in the coordinator's name when the letter says so), with
/// `invitation` (an iCalendar text and its content type, with its method) attached when given; an
/// error when an address does not parse or a template fails (both permanent: sending again would
/// not help).
pub fn compose(
    letter: &Letter<'_>,
    from: &Mailbox,
    invitation: Option<(&str, &str)>,
) -> anyhow::Result<Message> {
    let to = Mailbox::new(
        Some(letter.name.to_owned()),
        letter
            .email
            .parse()
            .context("the recipient's address is not valid")?,
    );
    let from = match letter.from_name {
        Some(name) => Mailbox::new(
            Some(format!("{name} (workout coordinator)")),
            from.email.clone(),
        ),
        None => from.clone(),
    };
    let (subject, text, html) = render(letter)?;
    let body = MultiPart::alternative_plain_html(text, html);
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(letter.message_id.to_owned()));
    let message = match invitation {
        Some((ics, content_type)) => {
            let calendar = ContentType::parse(content_type)?;
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(
                Attachment::new("invite.ics".to_owned()).body(ics.to_owned(), calendar),
            ))
        }
        None => builder.multipart(body),
    };
    message.context("building the e-mail")
}

/// Checks every template in both languages (at start, so a broken one is found at once).
pub fn check_templates() -> anyhow::Result<()> {
    let content = serde_json::json!({});
    for kind in KINDS {
        for language in ["en", "ar"] {
            render(&Letter {
                kind: if *kind == "event" {
                    "voting.ballot_opened"
                } else {
                    kind
                },
                workout_id: uuid::Uuid::nil(),
                email: "desk@bank.test",
                name: "Desk",
                language,
                message_id: "<x@y>",
                content: &content,
                from_name: None,
                ack_url: None,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(language: &'static str, content: &'static serde_json::Value) -> Letter<'static> {
        Letter {
            kind: "voting.ballot_opened",
            workout_id: uuid::Uuid::nil(),
            email: "desk@bank.test",
            name: "Desk <A&B>",
            language,
            message_id: "<x.y@workout-platform>",
            content,
            from_name: None,
            ack_url: None,
        }
    }

    fn empty() -> &'static serde_json::Value {
        static EMPTY: OnceLock<serde_json::Value> = OnceLock::new();
        EMPTY.get_or_init(|| serde_json::json!({}))
    }

    #[test]
    fn every_template_renders_in_both_languages() {
        check_templates().unwrap();
        assert_eq!(TEMPLATES.len(), KINDS.len() * 6);
    }

    #[test]
    fn the_arabic_html_reads_right_to_left_and_the_english_one_does_not() {
        let (subject, text, html) = render(&letter("ar", empty())).unwrap();
        assert!(html.contains("dir=\"rtl\""), "{html}");
        assert!(subject.contains("ballot opened"), "{subject}");
        assert!(text.contains("إعادة الهيكلة"), "{text}");
        let (subject, _, html) = render(&letter("en", empty())).unwrap();
        assert!(!html.contains("rtl"), "{html}");
        assert_eq!(subject, "Workout platform: ballot opened");
    }

    #[test]
    fn a_name_is_escaped_in_the_html() {
        let (_, text, html) = render(&letter("en", empty())).unwrap();
        assert!(html.contains("Desk &lt;A&amp;B&gt;"), "{html}");
        assert!(text.contains("Dear Desk <A&B>,"), "{text}");
    }

    #[test]
    fn a_notice_lists_what_it_was_given_and_its_link() {
        static CONTENT: OnceLock<serde_json::Value> = OnceLock::new();
        let content = CONTENT.get_or_init(|| {
            serde_json::json!({
                "workout_reference": "WO-1", "coordinator": "Bank A", "opened_on": "2026-03-11",
                "as_of": "2026-03-11",
                "obligations": [{ "creditor": "Bank B", "reference": "TL-1", "facility_type": "term_loan",
                    "currency": "SAR", "position_date": "2026-03-10", "outstanding_principal": "1000.00",
                    "accrued_interest": "10.00", "fees_and_penalties": "5.00", "penalties": "2.00",
                    "past_due_any": true, "past_due": "300.00", "past_due_principal": "250.00",
                    "past_due_interest": "40.00", "past_due_fees": "10.00", "past_due_since": "2026-01-09" }],
                "covenant_violations": [{ "facility_reference": "TL-1", "description": "DSCR below 1.2" }],
            })
        });
        let notice = Letter {
            kind: "transfer",
            from_name: Some("Bank A"),
            ack_url: Some("https://platform.test/ack?token=abc"),
            ..letter("en", content)
        };
        let (subject, text, html) = render(&notice).unwrap();
        assert!(subject.contains("WO-1"), "{subject}");
        for expected in [
            "TL-1",
            "300.00",
            "2026-01-09",
            "DSCR below 1.2",
            "token=abc",
            "Bank A",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
            assert!(html.contains(expected), "{expected} in {html}");
        }
        let (_, text, html) = render(&Letter {
            language: "ar",
            ..notice
        })
        .unwrap();
        assert!(html.contains("dir=\"rtl\""), "{html}");
        assert!(
            text.contains("300.00") && text.contains("المتأخرات"),
            "{text}"
        );
    }

    #[test]
    fn the_message_keeps_its_message_id_and_has_both_parts_and_the_invitation() {
        let from: Mailbox = "Workout platform <notices@workout-platform.invalid>"
            .parse()
            .unwrap();
        let message = compose(
            &letter("ar", empty()),
            &from,
            Some((
                "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                "text/calendar; charset=utf-8; method=REQUEST",
            )),
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <x.y@workout-platform>"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(raw.contains("text/calendar"), "{raw}");
        assert!(
            compose(
                &Letter {
                    email: "not an address",
                    ..letter("en", empty())
                },
                &from,
                None
            )
            .is_err()
        );
    }
}
