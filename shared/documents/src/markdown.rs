//! Minutes as Markdown (CommonMark with GitHub tables). User text is escaped so that it reads
//! as itself: no emphasis, links, headings or raw HTML can come from what a person typed.

use std::fmt::Write as _;

use crate::labels::{Label, Language};
use crate::minutes::MinutesDocument;
use crate::view::DocumentView;

/// The minutes as a Markdown document in `lang`; Arabic is wrapped in `<div dir="rtl">` so that
/// renderers lay it out right to left. The content hash is shown in a code span.
#[must_use]
pub fn markdown(doc: &MinutesDocument, lang: Language) -> String {
    let view = DocumentView::new(doc, lang);
    let l = |label| view.label(label);
    let mut out = String::new();
    if view.rtl {
        out.push_str("<div dir=\"rtl\" lang=\"ar\">\n\n");
    }
    // `writeln!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "# {}: {}\n", l(Label::Minutes), inline(&view.title));
    let mut facts = vec![
        (Label::WorkoutReference, inline(&view.workout_reference)),
        (Label::Version, view.version.clone()),
        (Label::Starts, view.starts.clone()),
        (Label::Ends, view.ends.clone()),
    ];
    if let Some(location) = &view.location {
        facts.push((Label::Location, inline(location)));
    }
    if let Some(link) = &view.video_link {
        facts.push((Label::VideoLink, inline(link)));
    }
    for (label, value) in facts {
        let _ = writeln!(out, "- **{}:** {value}", l(label));
    }

    let _ = writeln!(out, "\n## {}\n", l(Label::Attendance));
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n| --- | --- | --- | --- |",
        l(Label::Institution),
        l(Label::Person),
        l(Label::Role),
        l(Label::ProxyFor)
    );
    for a in &view.attendance {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            inline(&a.institution),
            inline(&a.person),
            inline(&a.role),
            a.proxy_for
                .as_deref()
                .map_or_else(|| l(Label::NoneGiven).to_owned(), inline)
        );
    }
    let _ = writeln!(out, "\n**{}:** {}", l(Label::Quorum), inline(&view.quorum));

    let _ = writeln!(out, "\n## {}", l(Label::Agenda));
    for item in &view.agenda {
        let _ = writeln!(
            out,
            "\n### {} {}: {}\n",
            l(Label::AgendaItem),
            item.number,
            inline(&item.title)
        );
        let _ = writeln!(
            out,
            "**{}:**\n\n{}",
            l(Label::Discussion),
            block(&item.summary)
        );
        if !item.decisions.is_empty() {
            let _ = writeln!(out, "\n#### {}\n", l(Label::Decisions));
            for decision in &item.decisions {
                let ballot = decision.ballot.as_deref().map_or_else(String::new, |b| {
                    format!(" ({}: {})", l(Label::Ballot), inline(b))
                });
                let _ = writeln!(out, "- {}{ballot}", inline(&decision.text));
            }
        }
        if !item.actions.is_empty() {
            let _ = writeln!(out, "\n#### {}\n", l(Label::ActionItems));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |\n| --- | --- | --- | --- |",
                l(Label::Action),
                l(Label::Owner),
                l(Label::Due),
                l(Label::Status)
            );
            for action in &item.actions {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    inline(&action.text),
                    inline(&action.owner),
                    action.due,
                    action.status
                );
            }
        }
    }

    let _ = writeln!(out, "\n---\n");
    let _ = writeln!(out, "- **{}:** {}", l(Label::Approved), view.approved);
    let _ = writeln!(out, "- **{}:** {}", l(Label::Sealed), view.sealed);
    let _ = writeln!(
        out,
        "\n**{}:** `{}`\n\n{}",
        l(Label::ContentHash),
        view.content_hash,
        l(Label::HashNote)
    );
    if view.rtl {
        out.push_str("\n</div>\n");
    }
    out
}

/// Characters that start Markdown or HTML syntax anywhere in a line; each is backslash-escaped
/// (CommonMark lets any ASCII punctuation be escaped, and the escape shows as the character).
const SPECIAL: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '#', '|', '~', '&', '!', '$',
];

/// User text on one line: whitespace runs (newlines included) become one space, syntax is escaped,
/// and a start that would begin a list, quote or heading is escaped too.
fn inline(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    let mut out = String::with_capacity(joined.len() + 8);
    // A leading `-`, `+`, `=` or `1.`/`1)` would make a list or heading at the start of a line.
    let digits = joined.chars().take_while(char::is_ascii_digit).count();
    for (index, c) in joined.chars().enumerate() {
        let starts_block = (index == 0 && matches!(c, '-' | '+' | '='))
            || (index == digits && digits > 0 && matches!(c, '.' | ')'));
        if SPECIAL.contains(&c) || starts_block {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// User text of several paragraphs: each non-empty line becomes its own escaped paragraph.
fn block(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(inline)
        .collect();
    paragraphs.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_user_text_is_escaped() {
        assert_eq!(inline("*bold* <b>x</b> | a"), r"\*bold\* \<b\>x\</b\> \| a");
        assert_eq!(inline("- item"), r"\- item");
        assert_eq!(inline("12. twelve"), r"12\. twelve");
        assert_eq!(inline("a\n# b"), r"a \# b");
        assert_eq!(block("one\n\n- two\n"), "one\n\n\\- two");
    }
}
