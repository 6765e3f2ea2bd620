//! The e-mail of one delivery: multipart text and HTML, in the recipient's language (English, or
//! Arabic with the HTML `dir="rtl"`), its subject from the topic, its `Message-ID` the delivery's.
//!
//! Rules: a message says that something happened in a workout and invites the reader to sign in;
//! it never carries an event's payload (a notice contact's mailbox is not the platform's access
//! rule). Names from the registry are escaped in the HTML. Formal notices, with their own templates
//! and attachments, are later work; this is the minimal template every routed topic shares.

use anyhow::Context as _;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

/// What a message is built from: one row of `deliveries`.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    /// Topic, e.g. `voting.ballot_opened`.
    pub topic: &'a str,
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
}

/// The sender of the platform's notices.
pub const FROM: &str = "Workout platform <notices@workout-platform.invalid>";

/// The topic's action in words, e.g. `ballot opened`.
fn action(topic: &str) -> String {
    topic
        .split_once('.')
        .map_or(topic, |(_, action)| action)
        .replace('_', " ")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Subject, text part and HTML part of `letter`.
pub fn render(letter: &Letter<'_>) -> (String, String, String) {
    let action = action(letter.topic);
    let (workout, topic, name) = (letter.workout_id, letter.topic, letter.name);
    if letter.language == "ar" {
        let subject = format!("منصة إعادة الهيكلة: {action}");
        let text = format!(
            "{name}،\n\nجدّ جديد في ملف إعادة الهيكلة {workout}: {action} ({topic}).\n\
             يرجى تسجيل الدخول إلى المنصة للاطلاع على التفاصيل.\n"
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\"><body dir=\"rtl\">\
             <p>{}،</p><p>جدّ جديد في ملف إعادة الهيكلة <bdi>{workout}</bdi>: \
             <bdi>{}</bdi> (<bdi>{}</bdi>).</p>\
             <p>يرجى تسجيل الدخول إلى المنصة للاطلاع على التفاصيل.</p></body></html>\n",
            escape(name),
            escape(&action),
            escape(topic),
        );
        (subject, text, html)
    } else {
        let subject = format!("Workout platform: {action}");
        let text = format!(
            "Dear {name},\n\nThere is news in workout {workout}: {action} ({topic}).\n\
             Please sign in to the platform to read the details.\n"
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\"><body>\
             <p>Dear {},</p><p>There is news in workout {workout}: {} ({}).</p>\
             <p>Please sign in to the platform to read the details.</p></body></html>\n",
            escape(name),
            escape(&action),
            escape(topic),
        );
        (subject, text, html)
    }
}

/// The e-mail of `letter`, from `from`; an error when an address does not parse (a permanent
/// failure: sending again would not help).
pub fn compose(letter: &Letter<'_>, from: &Mailbox) -> anyhow::Result<Message> {
    let to = Mailbox::new(
        Some(letter.name.to_owned()),
        letter
            .email
            .parse()
            .context("the recipient's address is not valid")?,
    );
    let (subject, text, html) = render(letter);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(letter.message_id.to_owned()))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .context("building the e-mail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(language: &'static str) -> Letter<'static> {
        Letter {
            topic: "voting.ballot_opened",
            workout_id: uuid::Uuid::nil(),
            email: "desk@bank.test",
            name: "Desk <A&B>",
            language,
            message_id: "<x.y@workout-platform>",
        }
    }

    #[test]
    fn the_arabic_html_reads_right_to_left_and_the_english_one_does_not() {
        let (subject, text, html) = render(&letter("ar"));
        assert!(html.contains("dir=\"rtl\""), "{html}");
        assert!(subject.contains("ballot opened"), "{subject}");
        assert!(text.contains("إعادة الهيكلة"), "{text}");
        let (subject, _, html) = render(&letter("en"));
        assert!(!html.contains("rtl"), "{html}");
        assert_eq!(subject, "Workout platform: ballot opened");
    }

    #[test]
    fn a_name_is_escaped_in_the_html() {
        let (_, text, html) = render(&letter("en"));
        assert!(html.contains("Desk &lt;A&amp;B&gt;"), "{html}");
        assert!(text.contains("Dear Desk <A&B>,"), "{text}");
    }

    #[test]
    fn the_message_keeps_its_message_id_and_has_both_parts() {
        let from: Mailbox = FROM.parse().unwrap();
        let message = compose(&letter("ar"), &from).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <x.y@workout-platform>"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(
            compose(
                &Letter {
                    email: "not an address",
                    ..letter("en")
                },
                &from
            )
            .is_err()
        );
    }
}
