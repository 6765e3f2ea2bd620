//! The result certificate of a closed ballot: everything needed to redo its tally, the outcome,
//! and a SHA-256 over a canonical text of all of it.
//!
//! Rules:
//! - [`Certificate::issue`] tallies the ballot and computes the hash; [`Certificate::verify`]
//!   recomputes both from the certificate alone (rule, voters, votes) and names every
//!   [`Discrepancy`]: an outcome that the votes do not give, a hash that the content does not give.
//! - The hash is the lowercase hex SHA-256 of [`Certificate::canonical_text`]: UTF-8, one item a
//!   line, each line ending in `\n`, fields separated by one space, in this order:
//!
//!   ```text
//!   workout-voting-certificate v1
//!   ballot <uuid>
//!   workout <uuid>
//!   subject <byte length>:<subject>
//!   snapshot <uuid> <byte length>:<snapshot hash>
//!   closed_at <RFC 3339, UTC, nanoseconds, Z>
//!   rule value <test>
//!   rule number <test>
//!   rule quorum_value <threshold>
//!   rule quorum_number <threshold>
//!   rule grouping <pool|by_class>
//!   rule exclusions related_parties <0|1> conflicted <0|1>
//!   rule unanimity <0|1>
//!   voter <creditor> <class> <weight> <related party 0|1> <conflicted 0|1>   (by creditor, class)
//!   vote <creditor> <for|against|abstain>                                    (by creditor)
//!   outcome passed <0|1>
//!   group <pool | class NAME> passed <0|1>                                   (as in the outcome)
//!   subtotal <eligible|for|against|abstained|not_voted> <weight> <count>
//!   quorum <value|number> <threshold> <share> met <0|1>
//!   test <value|number|unanimity> <threshold> <denominator> <share> met <0|1>
//!   excluded <creditor> <reasons, comma-separated> <vote or none>            (as in the outcome)
//!   ```
//!
//!   where a `<test>` is `<comparison> <n>/<d> <denominator>` or `none`, a `<threshold>` is
//!   `<comparison> <n>/<d>` or `none`, a `<share>` is `<numerator>/<denominator>=<rounded or
//!   none>`, and decimals are written normalized (`1500000.5`, `0`; no trailing zeros, no
//!   exponent). Free text (subject, snapshot hash) is length-prefixed so that it cannot imitate a
//!   line; class names and ids cannot contain spaces.
//! - Reading a certificate (serde) does not verify it, so that a tampered one can be read and
//!   reported on; a JSON round trip keeps it verifiable (decimals are strings, the closing time
//!   keeps its nanoseconds).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use uuid::Uuid;

use super::rule::{Rule, Test, Threshold};
use super::tally::{ExclusionReason, Outcome, Share, TallyError, tally};
use super::{Choice, Voter};
use crate::ids::{InstitutionId, WorkoutId};

/// The first line of the canonical text; changes whenever the text's format changes.
const CANONICAL_VERSION: &str = "workout-voting-certificate v1";

/// What a ballot was, apart from its rule, voters and votes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotFacts {
    /// The ballot.
    pub ballot_id: Uuid,
    /// Its workout.
    pub workout_id: WorkoutId,
    /// What was voted on, as the ballot describes it.
    pub subject: String,
    /// The record-date snapshot the voters and weights were taken from.
    pub snapshot_id: Uuid,
    /// That snapshot's content hash.
    pub snapshot_hash: String,
    /// When the ballot closed.
    pub closed_at: DateTime<Utc>,
}

/// A closed ballot's result, recomputable from itself: its rule, voters and effective votes give
/// its outcome, and `hash` is the SHA-256 of its canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// The ballot.
    pub ballot_id: Uuid,
    /// Its workout.
    #[schema(value_type = Uuid)]
    pub workout_id: WorkoutId,
    /// What was voted on.
    pub subject: String,
    /// The record-date snapshot the voters and weights were taken from.
    pub snapshot_id: Uuid,
    /// That snapshot's content hash.
    pub snapshot_hash: String,
    /// The rule.
    pub rule: Rule,
    /// Every voter row, by creditor and class.
    pub voters: Vec<Voter>,
    /// Each creditor's effective (last) vote.
    pub votes: BTreeMap<InstitutionId, Choice>,
    /// When the ballot closed.
    pub closed_at: DateTime<Utc>,
    /// The tally of `votes` under `rule`.
    pub outcome: Outcome,
    /// Lowercase hex SHA-256 of the canonical text.
    pub hash: String,
}

/// One thing about a certificate that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discrepancy {
    /// The recorded outcome is not what the rule, voters and votes give.
    OutcomeDiffers {
        /// Whether the certificate says the ballot passed.
        recorded_passed: bool,
        /// Whether the recomputed tally passes.
        recomputed_passed: bool,
        /// The first line of the canonical outcome that differs, as recorded.
        recorded_line: String,
        /// The same line as recomputed.
        recomputed_line: String,
    },
    /// The recorded hash is not the hash of the certificate's canonical text.
    HashDiffers {
        /// The hash in the certificate.
        recorded: String,
        /// The hash of its canonical text.
        recomputed: String,
    },
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutcomeDiffers {
                recorded_passed,
                recomputed_passed,
                recorded_line,
                recomputed_line,
            } => write!(
                f,
                "the recorded outcome (passed: {recorded_passed}) is not what the votes give \
                 (passed: {recomputed_passed}): recorded {recorded_line:?}, recomputed \
                 {recomputed_line:?}"
            ),
            Self::HashDiffers {
                recorded,
                recomputed,
            } => write!(
                f,
                "the recorded hash {recorded} is not the hash of the content, {recomputed}"
            ),
        }
    }
}

/// Why a certificate does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertificateError {
    /// Its rule, voters and votes cannot be tallied at all.
    #[error("the certificate cannot be tallied: {0}")]
    Untallied(#[from] TallyError),
    /// The tally or the hash does not match (every discrepancy found).
    #[error("the certificate does not hold: {}", joined(.0))]
    DoesNotHold(Vec<Discrepancy>),
}

fn joined(discrepancies: &[Discrepancy]) -> String {
    let texts: Vec<String> = discrepancies.iter().map(ToString::to_string).collect();
    texts.join("; ")
}

impl Certificate {
    /// Tallies a closed ballot and certifies the result. Voters are stored by creditor and class.
    ///
    /// # Errors
    /// As [`tally`].
    pub fn issue(
        facts: BallotFacts,
        rule: Rule,
        mut voters: Vec<Voter>,
        votes: BTreeMap<InstitutionId, Choice>,
    ) -> Result<Self, TallyError> {
        let outcome = tally(&rule, &voters, &votes)?;
        voters.sort_by(|a, b| (a.creditor, &a.class).cmp(&(b.creditor, &b.class)));
        let mut certificate = Self {
            ballot_id: facts.ballot_id,
            workout_id: facts.workout_id,
            subject: facts.subject,
            snapshot_id: facts.snapshot_id,
            snapshot_hash: facts.snapshot_hash,
            rule,
            voters,
            votes,
            closed_at: facts.closed_at,
            outcome,
            hash: String::new(),
        };
        certificate.hash = certificate.content_hash();
        Ok(certificate)
    }

    /// Recomputes the tally and the hash from the certificate alone.
    ///
    /// # Errors
    /// [`CertificateError::Untallied`] if the rule, voters or votes cannot be tallied;
    /// [`CertificateError::DoesNotHold`] listing each discrepancy otherwise.
    pub fn verify(&self) -> Result<(), CertificateError> {
        let recomputed = tally(&self.rule, &self.voters, &self.votes)?;
        let mut discrepancies = Vec::new();
        if recomputed != self.outcome {
            let recorded_lines = outcome_text(&self.outcome);
            let recomputed_lines = outcome_text(&recomputed);
            let mut recorded = recorded_lines.lines();
            let mut again = recomputed_lines.lines();
            let (recorded_line, recomputed_line) = loop {
                match (recorded.next(), again.next()) {
                    (Some(a), Some(b)) if a == b => {}
                    (None, None) => break (String::new(), String::new()),
                    (a, b) => {
                        break (
                            a.unwrap_or("(no line)").to_owned(),
                            b.unwrap_or("(no line)").to_owned(),
                        );
                    }
                }
            };
            discrepancies.push(Discrepancy::OutcomeDiffers {
                recorded_passed: self.outcome.passed,
                recomputed_passed: recomputed.passed,
                recorded_line,
                recomputed_line,
            });
        }
        let hash = self.content_hash();
        if hash != self.hash {
            discrepancies.push(Discrepancy::HashDiffers {
                recorded: self.hash.clone(),
                recomputed: hash,
            });
        }
        if discrepancies.is_empty() {
            Ok(())
        } else {
            Err(CertificateError::DoesNotHold(discrepancies))
        }
    }

    /// Lowercase hex SHA-256 of [`canonical_text`](Self::canonical_text).
    #[must_use]
    pub fn content_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_text()))
    }

    /// The canonical text of everything but the hash; see the module documentation.
    #[must_use]
    pub fn canonical_text(&self) -> String {
        let mut text = String::new();
        let mut line = |args: fmt::Arguments<'_>| {
            // Writing to a String cannot fail.
            let _ = text.write_fmt(args);
            text.push('\n');
        };
        line(format_args!("{CANONICAL_VERSION}"));
        line(format_args!("ballot {}", self.ballot_id.hyphenated()));
        line(format_args!("workout {}", self.workout_id));
        line(format_args!(
            "subject {}:{}",
            self.subject.len(),
            self.subject
        ));
        line(format_args!(
            "snapshot {} {}:{}",
            self.snapshot_id.hyphenated(),
            self.snapshot_hash.len(),
            self.snapshot_hash
        ));
        line(format_args!(
            "closed_at {}",
            self.closed_at.to_rfc3339_opts(SecondsFormat::Nanos, true)
        ));
        let rule = &self.rule;
        line(format_args!("rule value {}", TestText(rule.value)));
        line(format_args!("rule number {}", TestText(rule.number)));
        line(format_args!(
            "rule quorum_value {}",
            ThresholdText(rule.quorum.value)
        ));
        line(format_args!(
            "rule quorum_number {}",
            ThresholdText(rule.quorum.number)
        ));
        line(format_args!("rule grouping {}", rule.grouping.as_str()));
        line(format_args!(
            "rule exclusions related_parties {} conflicted {}",
            u8::from(rule.exclusions.related_parties),
            u8::from(rule.exclusions.conflicted)
        ));
        line(format_args!("rule unanimity {}", u8::from(rule.unanimity)));
        let mut voters: Vec<&Voter> = self.voters.iter().collect();
        voters.sort_by(|a, b| (a.creditor, &a.class).cmp(&(b.creditor, &b.class)));
        for voter in voters {
            line(format_args!(
                "voter {} {} {} {} {}",
                voter.creditor,
                voter.class,
                Normalized(voter.weight),
                u8::from(voter.related_party),
                u8::from(voter.conflicted)
            ));
        }
        for (creditor, choice) in &self.votes {
            line(format_args!("vote {creditor} {}", choice.as_str()));
        }
        text.push_str(&outcome_text(&self.outcome));
        text
    }
}

/// The outcome's lines of the canonical text.
fn outcome_text(outcome: &Outcome) -> String {
    let mut text = String::new();
    let mut line = |args: fmt::Arguments<'_>| {
        let _ = text.write_fmt(args);
        text.push('\n');
    };
    line(format_args!("outcome passed {}", u8::from(outcome.passed)));
    for group in &outcome.groups {
        match &group.class {
            None => line(format_args!("group pool passed {}", u8::from(group.passed))),
            Some(class) => line(format_args!(
                "group class {class} passed {}",
                u8::from(group.passed)
            )),
        }
        for (name, subtotal) in [
            ("eligible", group.eligible),
            ("for", group.voted_for),
            ("against", group.voted_against),
            ("abstained", group.abstained),
            ("not_voted", group.not_voted),
        ] {
            line(format_args!(
                "subtotal {name} {} {}",
                Normalized(subtotal.weight),
                subtotal.count
            ));
        }
        line(format_args!("quorum_met {}", u8::from(group.quorum_met)));
        for check in &group.quorum {
            line(format_args!(
                "quorum {} {} {} met {}",
                measure_name(check.measure),
                ThresholdText(Some(check.threshold)),
                ShareText(check.share),
                u8::from(check.met)
            ));
        }
        for test in &group.tests {
            line(format_args!(
                "test {} {} {} {} met {}",
                test_name(test.kind),
                ThresholdText(Some(test.threshold)),
                test.denominator.as_str(),
                ShareText(test.share),
                u8::from(test.met)
            ));
        }
    }
    for excluded in &outcome.excluded {
        let reasons: Vec<&str> = excluded
            .reasons
            .iter()
            .map(|reason| match reason {
                ExclusionReason::RelatedParty => "related_party",
                ExclusionReason::Conflicted => "conflicted",
            })
            .collect();
        line(format_args!(
            "excluded {} {} {}",
            excluded.creditor,
            reasons.join(","),
            excluded.vote.map_or("none", Choice::as_str)
        ));
    }
    text
}

const fn measure_name(measure: super::tally::Measure) -> &'static str {
    match measure {
        super::tally::Measure::Value => "value",
        super::tally::Measure::Number => "number",
    }
}

const fn test_name(kind: super::tally::TestKind) -> &'static str {
    match kind {
        super::tally::TestKind::Value => "value",
        super::tally::TestKind::Number => "number",
        super::tally::TestKind::Unanimity => "unanimity",
    }
}

/// A decimal without trailing zeros, and 0 without a sign.
struct Normalized(Decimal);

impl fmt::Display for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_zero() {
            f.write_str("0")
        } else {
            write!(f, "{}", self.0.normalize())
        }
    }
}

struct ThresholdText(Option<Threshold>);

impl fmt::Display for ThresholdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some(threshold) => write!(f, "{} {}", threshold.comparison.as_str(), threshold.share),
        }
    }
}

struct TestText(Option<Test>);

impl fmt::Display for TestText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some(test) => write!(
                f,
                "{} {}",
                ThresholdText(Some(test.threshold)),
                test.denominator.as_str()
            ),
        }
    }
}

struct ShareText(Share);

impl fmt::Display for ShareText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}=",
            Normalized(self.0.numerator),
            Normalized(self.0.denominator)
        )?;
        match self.0.rounded {
            None => f.write_str("none"),
            Some(rounded) => write!(f, "{}", Normalized(rounded)),
        }
    }
}
