//! The offline verifier of an exported chain.
//!
//! Rules: every entry must follow the one before it (sequence and `prev_hash`) and match its own
//! hash; an entry whose details are shown must match its `details_hash`; the chain must end exactly
//! at the export's head. Given the registry's public keys ([`Trust::keys`]), the head must carry a
//! valid signature over exactly its fields, and so must every checkpoint in the chain, each naming
//! the entry before it. Given a head saved earlier ([`Trust::since`]), the chain must contain it.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use uuid::Uuid;

use super::{
    AuditEntry, CHECKPOINT_ACTION, ChainHead, ExportLine, GENESIS_HASH, HEAD_PURPOSE, HeadClaims,
    details_hash, entry_hash,
};

/// What the verifier is given besides the export.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trust<'a> {
    /// The registry's document keys (`/registry/v1/.well-known/document-keys.json`): the head and
    /// every checkpoint must be signed by one of them.
    pub keys: Option<&'a JwkSet>,
    /// A head obtained earlier (from an earlier export or another participant): the chain must
    /// contain it. With `keys`, its signature is checked too if it has one.
    pub since: Option<&'a ChainHead>,
}

/// The first broken link the verifier found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    /// A line is not an entry or a head.
    #[error("line {line}: not an audit export line: {reason}")]
    Unreadable {
        /// 1-based line number.
        line: usize,
        /// Parser message.
        reason: String,
    },
    /// An entry belongs to another chain.
    #[error("line {line}: entry of another chain")]
    ForeignEntry {
        /// 1-based line number.
        line: usize,
    },
    /// An entry is not the next one in sequence (deleted, swapped or inserted entries).
    #[error("line {line}: expected entry {expected}, found entry {found}")]
    OutOfSequence {
        /// 1-based line number.
        line: usize,
        /// The sequence number that should be here.
        expected: i64,
        /// The one found.
        found: i64,
    },
    /// An entry does not point at the previous entry's hash.
    #[error("entry {seq}: does not follow the previous entry's hash")]
    PrevHashMismatch {
        /// The entry.
        seq: i64,
    },
    /// An entry's content does not match its hash (it was edited).
    #[error("entry {seq}: its content does not match its hash")]
    ContentMismatch {
        /// The entry.
        seq: i64,
    },
    /// An entry's details do not match the `details_hash` it commits to (they were edited).
    #[error("entry {seq}: its details do not match its details hash")]
    DetailsMismatch {
        /// The entry.
        seq: i64,
    },
    /// The chain stops before its head (the tail was cut) or the head does not match the last entry.
    #[error("the chain ends at entry {last_seq} but its head is entry {head_seq}")]
    HeadMismatch {
        /// The last entry present.
        last_seq: i64,
        /// The head's sequence number.
        head_seq: i64,
    },
    /// There is no head line, so the tail cannot be checked.
    #[error("the export has no head line; it may have been cut")]
    MissingHead,
    /// The head, a checkpoint or the trusted head is not signed though keys were given.
    #[error("{what} is not signed")]
    Unsigned {
        /// What lacks its signature.
        what: String,
    },
    /// A signature does not verify against the keys, or says something else than what it signs.
    #[error("{what}: {reason}")]
    BadSignature {
        /// What carries the signature.
        what: String,
        /// Why it fails.
        reason: String,
    },
    /// A checkpoint names an entry the chain does not have at that place.
    #[error("entry {seq}: the checkpoint names entry {named} with another hash than the chain's")]
    CheckpointMismatch {
        /// The checkpoint entry.
        seq: i64,
        /// The entry it names.
        named: i64,
    },
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The head the chain reaches.
    pub head: ChainHead,
    /// The number of entries.
    pub entries: usize,
    /// Entries whose details were withheld from this export (their hash commitment verified).
    pub withheld: usize,
    /// Entries written before details were stored apart and withheld here: their place in the
    /// chain is verified, their content is not.
    pub unchecked: usize,
    /// The key id that signed the head, when keys were given.
    pub head_signed_by: Option<String>,
    /// The checkpoints whose signatures were verified (0 without keys).
    pub checkpoints: usize,
}

/// Verifies an export (JSON lines) with what `trust` gives.
pub fn verify(export: &str, trust: Trust<'_>) -> Result<Verified, BrokenLink> {
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1_i64;
    let mut chain: Option<Uuid> = None;
    let mut head: Option<ChainHead> = None;
    let mut hashes = vec![GENESIS_HASH.to_owned()];
    let (mut withheld, mut unchecked, mut checkpoints) = (0, 0, 0);
    for (index, text) in export
        .lines()
        .enumerate()
        .filter(|(_, t)| !t.trim().is_empty())
    {
        let line = index + 1;
        let parsed: ExportLine =
            serde_json::from_str(text).map_err(|e| BrokenLink::Unreadable {
                line,
                reason: e.to_string(),
            })?;
        let entry = match parsed {
            ExportLine::Head(found) => {
                head = Some(found);
                break;
            }
            ExportLine::Entry(entry) => entry,
        };
        if *chain.get_or_insert(entry.chain_id) != entry.chain_id {
            return Err(BrokenLink::ForeignEntry { line });
        }
        if entry.seq != expected_seq {
            return Err(BrokenLink::OutOfSequence {
                line,
                expected: expected_seq,
                found: entry.seq,
            });
        }
        if entry.prev_hash != prev_hash {
            return Err(BrokenLink::PrevHashMismatch { seq: entry.seq });
        }
        match (&entry.details_hash, entry.withheld) {
            (None, true) => unchecked += 1,
            _ if entry_hash(&entry) != entry.hash => {
                return Err(BrokenLink::ContentMismatch { seq: entry.seq });
            }
            (Some(_), true) => withheld += 1,
            (Some(committed), false) => {
                let salt = entry.details_salt.as_deref().unwrap_or_default();
                if details_hash(salt, entry.before.as_ref(), entry.after.as_ref()) != *committed {
                    return Err(BrokenLink::DetailsMismatch { seq: entry.seq });
                }
            }
            (None, false) => {}
        }
        if let Some(keys) = trust.keys
            && entry.action == CHECKPOINT_ACTION
            && !entry.withheld
        {
            check_checkpoint(&entry, &hashes, keys)?;
            checkpoints += 1;
        }
        hashes.push(entry.hash.clone());
        prev_hash = entry.hash;
        expected_seq += 1;
    }
    let head = head.ok_or(BrokenLink::MissingHead)?;
    let last_seq = expected_seq - 1;
    if head.seq != last_seq || head.hash != prev_hash || chain.is_some_and(|c| c != head.chain_id) {
        return Err(BrokenLink::HeadMismatch {
            last_seq,
            head_seq: head.seq,
        });
    }
    let head_signed_by = match trust.keys {
        Some(keys) => Some(check_signature(&head, keys, "the export's head")?),
        None => None,
    };
    if let Some(since) = trust.since {
        if let Some(keys) = trust.keys
            && since.signature.is_some()
        {
            check_signature(since, keys, "the trusted head")?;
        }
        let contained = since.chain_id == head.chain_id
            && usize::try_from(since.seq)
                .ok()
                .and_then(|i| hashes.get(i))
                .is_some_and(|hash| *hash == since.hash);
        if !contained {
            return Err(BrokenLink::HeadMismatch {
                last_seq,
                head_seq: since.seq,
            });
        }
    }
    Ok(Verified {
        head,
        entries: hashes.len() - 1,
        withheld,
        unchecked,
        head_signed_by,
        checkpoints,
    })
}

/// A checkpoint's signed head must name the entry just before it, with that entry's hash.
fn check_checkpoint(
    entry: &AuditEntry,
    hashes: &[String],
    keys: &JwkSet,
) -> Result<(), BrokenLink> {
    let what = format!("the checkpoint at entry {}", entry.seq);
    let signed: ChainHead = entry
        .after
        .clone()
        .and_then(|after| serde_json::from_value(after).ok())
        .ok_or_else(|| BrokenLink::BadSignature {
            what: what.clone(),
            reason: "it holds no signed head".to_owned(),
        })?;
    check_signature(&signed, keys, &what)?;
    let named_hash = usize::try_from(signed.seq).ok().and_then(|i| hashes.get(i));
    if signed.chain_id != entry.chain_id
        || signed.seq != entry.seq - 1
        || named_hash != Some(&signed.hash)
    {
        return Err(BrokenLink::CheckpointMismatch {
            seq: entry.seq,
            named: signed.seq,
        });
    }
    Ok(())
}

/// Checks that `head` is signed by one of `keys` over exactly its own fields; returns the key id.
fn check_signature(head: &ChainHead, keys: &JwkSet, what: &str) -> Result<String, BrokenLink> {
    let bad = |reason: String| BrokenLink::BadSignature {
        what: what.to_owned(),
        reason,
    };
    let (Some(signature), Some(signed_at)) = (&head.signature, head.signed_at) else {
        return Err(BrokenLink::Unsigned {
            what: what.to_owned(),
        });
    };
    let header =
        jsonwebtoken::decode_header(signature).map_err(|e| bad(format!("not a JWS: {e}")))?;
    let kid = header
        .kid
        .ok_or_else(|| bad("the signature names no key".to_owned()))?;
    let jwk = keys
        .find(&kid)
        .ok_or_else(|| bad(format!("key {kid} is not among the given keys")))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| bad(format!("key {kid}: {e}")))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<HeadClaims>(signature, &key, &validation)
        .map_err(|e| bad(format!("does not verify with key {kid}: {e}")))?
        .claims;
    let expected = head.claims(signed_at);
    if claims != expected {
        return Err(bad(
            "the signature says another chain, length, hash or time than the head".to_owned(),
        ));
    }
    debug_assert_eq!(claims.purpose, HEAD_PURPOSE);
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use chrono::{SubsecRound, Utc};
    use serde_json::json;

    use super::*;
    use crate::audit::{ExportLine, to_json_lines};

    /// A chain of `n` entries whose details are stored apart, with its unsigned head.
    fn chain(n: i64) -> Vec<ExportLine> {
        let chain_id = Uuid::now_v7();
        let mut prev = GENESIS_HASH.to_owned();
        let mut lines = Vec::new();
        for seq in 1..=n {
            let after = json!({"amount": "10.50", "n": seq});
            let salt = format!("salt-{seq}");
            let mut entry = AuditEntry {
                chain_id,
                seq,
                id: Uuid::now_v7(),
                recorded_at: Utc::now().trunc_subsecs(6),
                actor_user_id: Some(Uuid::now_v7()),
                actor_institution_id: None,
                action: format!("thing.done.{seq}"),
                details_hash: Some(details_hash(&salt, None, Some(&after))),
                details_salt: Some(salt),
                disclosure: Some("participants".to_owned()),
                before: None,
                after: Some(after),
                prev_hash: prev.clone(),
                hash: String::new(),
                actor_service: None,
                withheld: false,
            };
            entry.hash = entry_hash(&entry);
            prev = entry.hash.clone();
            lines.push(ExportLine::Entry(entry));
        }
        lines.push(ExportLine::Head(ChainHead::unsigned(chain_id, n, prev)));
        lines
    }

    fn entry_mut(lines: &mut [ExportLine], i: usize) -> &mut AuditEntry {
        match &mut lines[i] {
            ExportLine::Entry(e) => e,
            ExportLine::Head(_) => panic!("not an entry"),
        }
    }

    fn plain(lines: &[ExportLine]) -> Result<Verified, BrokenLink> {
        verify(&to_json_lines(lines), Trust::default())
    }

    #[test]
    fn an_intact_chain_verifies() {
        let verified = plain(&chain(5)).unwrap();
        assert_eq!((verified.entries, verified.head.seq), (5, 5));
        assert_eq!(verified.head_signed_by, None);
    }

    #[test]
    fn withheld_details_still_verify_and_edited_details_do_not() {
        let mut lines = chain(3);
        let hidden = entry_mut(&mut lines, 1);
        (hidden.before, hidden.after, hidden.details_salt) = (None, None, None);
        hidden.withheld = true;
        let verified = plain(&lines).unwrap();
        assert_eq!((verified.entries, verified.withheld), (3, 1));
        entry_mut(&mut lines, 2).after = Some(json!({"amount": "99.00", "n": 3}));
        assert_eq!(plain(&lines), Err(BrokenLink::DetailsMismatch { seq: 3 }));
    }

    #[test]
    fn a_changed_disclosure_breaks_the_entry() {
        let mut lines = chain(3);
        entry_mut(&mut lines, 0).disclosure = Some("all_positions".to_owned());
        assert_eq!(plain(&lines), Err(BrokenLink::ContentMismatch { seq: 1 }));
    }

    #[test]
    fn an_edit_that_rehashes_the_entry_breaks_the_next_link() {
        let mut lines = chain(5);
        let edited = entry_mut(&mut lines, 2);
        edited.action = "thing.undone".to_owned();
        edited.hash = entry_hash(edited);
        assert_eq!(plain(&lines), Err(BrokenLink::PrevHashMismatch { seq: 4 }));
    }

    #[test]
    fn deleted_or_swapped_entries_are_detected() {
        let mut deleted = chain(5);
        deleted.remove(1);
        let mut swapped = chain(5);
        swapped.swap(1, 2);
        for lines in [deleted, swapped] {
            assert_eq!(
                plain(&lines),
                Err(BrokenLink::OutOfSequence {
                    line: 2,
                    expected: 2,
                    found: 3
                })
            );
        }
    }

    #[test]
    fn a_truncated_tail_is_detected_by_the_head_line_or_its_absence() {
        let mut lines = chain(5);
        lines.remove(4);
        assert_eq!(
            plain(&lines),
            Err(BrokenLink::HeadMismatch {
                last_seq: 4,
                head_seq: 5
            })
        );
        lines.truncate(3);
        assert_eq!(plain(&lines), Err(BrokenLink::MissingHead));
    }

    #[test]
    fn a_truncated_tail_with_a_forged_head_is_detected_by_an_earlier_head() {
        let lines = chain(5);
        let ExportLine::Head(trusted) = lines[5].clone() else {
            panic!("no head")
        };
        let mut forged: Vec<ExportLine> = lines[..3].to_vec();
        let last = entry_mut(&mut forged, 2).clone();
        forged.push(ExportLine::Head(ChainHead::unsigned(
            last.chain_id,
            3,
            last.hash,
        )));
        assert!(
            plain(&forged).is_ok(),
            "a consistent prefix is a valid chain on its own"
        );
        let trust = Trust {
            since: Some(&trusted),
            ..Trust::default()
        };
        assert_eq!(
            verify(&to_json_lines(&forged), trust),
            Err(BrokenLink::HeadMismatch {
                last_seq: 3,
                head_seq: 5
            })
        );
    }

    #[test]
    fn an_unsigned_head_fails_when_keys_are_given() {
        let keys = JwkSet { keys: vec![] };
        let trust = Trust {
            keys: Some(&keys),
            ..Trust::default()
        };
        assert_eq!(
            verify(&to_json_lines(&chain(2)), trust),
            Err(BrokenLink::Unsigned {
                what: "the export's head".to_owned()
            })
        );
    }
}
