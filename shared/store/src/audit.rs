//! The append-only, hash-chained audit log: one chain per workout (the nil id is the platform's own
//! chain for identity changes), appended in the same transaction as the change it records, exported
//! as JSON lines and verifiable offline.
//!
//! Rules: each entry's hash is SHA-256 over the canonical JSON of its fields (keys sorted, time in
//! microseconds, `prev_hash` included); the first entry's `prev_hash` is 64 zeros; appends to one
//! chain are serialized by locking the chain's head row; the table refuses updates and deletes
//! (trigger). An export ends with a `head` line; the verifier checks every link and that the chain
//! reaches the head, and reports the first broken link. An export is only as trustworthy as the
//! head it is checked against: keep heads you have seen (or pass one) to detect a rewritten tail.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use workout_domain::{InstitutionId, UserId};
use workout_http::{Caller, ServiceCaller};

use crate::schema::{audit_heads, audit_log};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of platform-level changes (institutions, users, keys).
pub const PLATFORM_CHAIN: Uuid = Uuid::nil();

/// Who made a change: a user acting for an institution, or a service (by its client name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person, acting for an institution.
    User {
        /// The acting user.
        user: UserId,
        /// The institution the user acted for.
        institution: InstitutionId,
    },
    /// A service (its own decision, a scheduled job, or a call from another service).
    Service {
        /// The service client's name, e.g. `mandates`.
        client: String,
    },
}

impl Actor {
    /// A service by its client name.
    pub fn service(client: impl Into<String>) -> Self {
        Self::Service {
            client: client.into(),
        }
    }
}

impl From<&Caller> for Actor {
    fn from(caller: &Caller) -> Self {
        Self::User {
            user: caller.user_id,
            institution: caller.institution_id,
        }
    }
}

impl From<&ServiceCaller> for Actor {
    fn from(service: &ServiceCaller) -> Self {
        Self::service(service.client.clone())
    }
}

/// A change to record.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// The chain: a workout id, or [`PLATFORM_CHAIN`].
    pub chain_id: Uuid,
    /// Who did it.
    pub actor: Actor,
    /// What was done, e.g. `user_created`.
    pub action: String,
    /// The decision's state before, if any.
    pub before: Option<Value>,
    /// The decision's state after, if any.
    pub after: Option<Value>,
}

/// One entry of the chain, as stored and exported.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    Queryable,
    Selectable,
    Insertable,
    utoipa::ToSchema,
)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    /// The chain.
    pub chain_id: Uuid,
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Entry id.
    pub id: Uuid,
    /// When it was recorded (microsecond precision).
    pub recorded_at: DateTime<Utc>,
    /// Acting user.
    pub actor_user_id: Option<Uuid>,
    /// Institution the user acted for.
    pub actor_institution_id: Option<Uuid>,
    /// What was done.
    pub action: String,
    /// State before.
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
    /// Acting service (its client name), when a service made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_service: Option<String>,
}

/// The last entry of a chain.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, utoipa::ToSchema,
)]
#[diesel(table_name = audit_heads)]
pub struct ChainHead {
    /// The chain.
    pub chain_id: Uuid,
    /// The last sequence number (0 for an empty chain).
    pub seq: i64,
    /// The last hash.
    pub hash: String,
}

/// One line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportLine {
    /// An entry.
    Entry(AuditEntry),
    /// The head the export was cut at.
    Head(ChainHead),
}

/// The hash of an entry's content (every field but `hash`).
pub fn entry_hash(entry: &AuditEntry) -> String {
    // serde_json's map is a BTreeMap, so this JSON has its keys sorted at every level: canonical.
    let content = serde_json::json!({
        "chain_id": entry.chain_id,
        "seq": entry.seq,
        "id": entry.id,
        "recorded_at": entry.recorded_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "actor_user_id": entry.actor_user_id,
        "actor_institution_id": entry.actor_institution_id,
        "action": entry.action,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    });
    // Added after the first chains were written: hashed only when present, so entries made by
    // users hash exactly as before.
    let mut content = content;
    if let Some(service) = &entry.actor_service {
        content["actor_service"] = Value::String(service.clone());
    }
    let digest = Sha256::digest(content.to_string().as_bytes());
    hex::encode(digest)
}

/// Appends `change` to its chain inside the caller's transaction (through
/// [`crate::record::record`], which also announces it).
pub(crate) async fn append(
    conn: &mut AsyncPgConnection,
    change: Change,
) -> QueryResult<AuditEntry> {
    diesel::insert_into(audit_heads::table)
        .values((
            audit_heads::chain_id.eq(change.chain_id),
            audit_heads::seq.eq(0_i64),
            audit_heads::hash.eq(GENESIS_HASH),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let head: ChainHead = audit_heads::table
        .find(change.chain_id)
        .select(ChainHead::as_select())
        .for_update()
        .get_result(conn)
        .await?;
    let mut entry = AuditEntry {
        chain_id: change.chain_id,
        seq: head.seq + 1,
        id: Uuid::now_v7(),
        recorded_at: Utc::now().trunc_subsecs(6),
        actor_user_id: match &change.actor {
            Actor::User { user, .. } => Some(user.into_uuid()),
            Actor::Service { .. } => None,
        },
        actor_institution_id: match &change.actor {
            Actor::User { institution, .. } => Some(institution.into_uuid()),
            Actor::Service { .. } => None,
        },
        actor_service: match change.actor {
            Actor::User { .. } => None,
            Actor::Service { client } => Some(client),
        },
        action: change.action,
        before: change.before,
        after: change.after,
        prev_hash: head.hash,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    diesel::insert_into(audit_log::table)
        .values(&entry)
        .execute(conn)
        .await?;
    diesel::update(audit_heads::table.find(change.chain_id))
        .set((
            audit_heads::seq.eq(entry.seq),
            audit_heads::hash.eq(&entry.hash),
        ))
        .execute(conn)
        .await?;
    Ok(entry)
}

/// The whole chain and its head, as the export lines.
///
/// The head is read first and only the entries up to it after: an entry and the head that names
/// it are committed together, so an export taken while the chain grows is a consistent prefix of
/// it, never entries beyond the head it ends with.
pub async fn export(conn: &mut AsyncPgConnection, chain_id: Uuid) -> QueryResult<Vec<ExportLine>> {
    let head = audit_heads::table
        .find(chain_id)
        .select(ChainHead::as_select())
        .first(conn)
        .await
        .optional()?
        .unwrap_or(ChainHead {
            chain_id,
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        });
    let entries: Vec<AuditEntry> = audit_log::table
        .filter(audit_log::chain_id.eq(chain_id))
        .filter(audit_log::seq.le(head.seq))
        .order(audit_log::seq.asc())
        .select(AuditEntry::as_select())
        .load(conn)
        .await?;
    let mut lines: Vec<ExportLine> = entries.into_iter().map(ExportLine::Entry).collect();
    lines.push(ExportLine::Head(head));
    Ok(lines)
}

/// Renders export lines as JSON lines.
pub fn to_json_lines(lines: &[ExportLine]) -> String {
    lines
        .iter()
        .filter_map(|line| serde_json::to_string(line).ok())
        .fold(String::new(), |mut out, line| {
            out.push_str(&line);
            out.push('\n');
            out
        })
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
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The head the chain reaches.
    pub head: ChainHead,
    /// The number of entries.
    pub entries: usize,
}

/// Verifies an export (JSON lines). If `trusted_head` is given (a head seen earlier or obtained
/// independently), the chain must contain it.
pub fn verify(export: &str, trusted_head: Option<&ChainHead>) -> Result<Verified, BrokenLink> {
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1_i64;
    let mut chain: Option<Uuid> = None;
    let mut head: Option<ChainHead> = None;
    let mut seen_hashes = Vec::new();
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
        match parsed {
            ExportLine::Head(found) => {
                head = Some(found);
                break;
            }
            ExportLine::Entry(entry) => {
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
                if entry_hash(&entry) != entry.hash {
                    return Err(BrokenLink::ContentMismatch { seq: entry.seq });
                }
                seen_hashes.push(entry.hash.clone());
                prev_hash = entry.hash;
                expected_seq += 1;
            }
        }
    }
    let head = head.ok_or(BrokenLink::MissingHead)?;
    let last_seq = expected_seq - 1;
    if head.seq != last_seq || head.hash != prev_hash {
        return Err(BrokenLink::HeadMismatch {
            last_seq,
            head_seq: head.seq,
        });
    }
    if let Some(trusted) = trusted_head {
        let contained = usize::try_from(trusted.seq)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| seen_hashes.get(i))
            .is_some_and(|hash| *hash == trusted.hash)
            || (trusted.seq == 0 && trusted.hash == GENESIS_HASH);
        if !contained {
            return Err(BrokenLink::HeadMismatch {
                last_seq,
                head_seq: trusted.seq,
            });
        }
    }
    Ok(Verified {
        head,
        entries: seen_hashes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ExportLine> {
        let chain_id = Uuid::now_v7();
        let mut prev = GENESIS_HASH.to_owned();
        let mut lines = Vec::new();
        for seq in 1..=n {
            let mut entry = AuditEntry {
                chain_id,
                seq,
                id: Uuid::now_v7(),
                recorded_at: Utc::now().trunc_subsecs(6),
                actor_user_id: Some(Uuid::now_v7()),
                actor_institution_id: None,
                action: format!("thing.done.{seq}"),
                before: None,
                after: Some(serde_json::json!({"amount": "10.50", "n": seq})),
                prev_hash: prev.clone(),
                hash: String::new(),
                actor_service: None,
            };
            entry.hash = entry_hash(&entry);
            prev = entry.hash.clone();
            lines.push(ExportLine::Entry(entry));
        }
        lines.push(ExportLine::Head(ChainHead {
            chain_id,
            seq: n,
            hash: prev,
        }));
        lines
    }

    fn entry_mut(lines: &mut [ExportLine], i: usize) -> &mut AuditEntry {
        match &mut lines[i] {
            ExportLine::Entry(e) => e,
            ExportLine::Head(_) => panic!("not an entry"),
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let lines = chain(5);
        let verified = verify(&to_json_lines(&lines), None).unwrap();
        assert_eq!(verified.entries, 5);
        assert_eq!(verified.head.seq, 5);
    }

    #[test]
    fn an_edited_entry_is_detected_at_that_entry() {
        let mut lines = chain(5);
        entry_mut(&mut lines, 2).after = Some(serde_json::json!({"amount": "99.00"}));
        assert_eq!(
            verify(&to_json_lines(&lines), None),
            Err(BrokenLink::ContentMismatch { seq: 3 })
        );
    }

    #[test]
    fn an_edit_that_rehashes_the_entry_breaks_the_next_link() {
        let mut lines = chain(5);
        let edited = entry_mut(&mut lines, 2);
        edited.action = "thing.undone".to_owned();
        edited.hash = entry_hash(edited);
        assert_eq!(
            verify(&to_json_lines(&lines), None),
            Err(BrokenLink::PrevHashMismatch { seq: 4 })
        );
    }

    #[test]
    fn a_deleted_entry_is_detected() {
        let mut lines = chain(5);
        lines.remove(1);
        assert_eq!(
            verify(&to_json_lines(&lines), None),
            Err(BrokenLink::OutOfSequence {
                line: 2,
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn two_swapped_entries_are_detected() {
        let mut lines = chain(5);
        lines.swap(1, 2);
        assert_eq!(
            verify(&to_json_lines(&lines), None),
            Err(BrokenLink::OutOfSequence {
                line: 2,
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn a_truncated_tail_is_detected_by_the_head_line() {
        let mut lines = chain(5);
        lines.remove(4);
        assert_eq!(
            verify(&to_json_lines(&lines), None),
            Err(BrokenLink::HeadMismatch {
                last_seq: 4,
                head_seq: 5
            })
        );
    }

    #[test]
    fn a_truncated_tail_with_its_head_cut_too_is_detected() {
        let mut lines = chain(5);
        lines.truncate(3);
        assert_eq!(
            verify(&to_json_lines(&lines), None),
            Err(BrokenLink::MissingHead)
        );
    }

    #[test]
    fn a_truncated_tail_with_a_forged_head_is_detected_by_a_trusted_head() {
        let lines = chain(5);
        let ExportLine::Head(trusted) = lines[5].clone() else {
            panic!("no head")
        };
        let mut forged: Vec<ExportLine> = lines[..3].to_vec();
        let last = match &forged[2] {
            ExportLine::Entry(e) => e.clone(),
            ExportLine::Head(_) => panic!("not an entry"),
        };
        forged.push(ExportLine::Head(ChainHead {
            chain_id: last.chain_id,
            seq: 3,
            hash: last.hash,
        }));
        let text = to_json_lines(&forged);
        assert!(
            verify(&text, None).is_ok(),
            "a consistent prefix is a valid chain on its own"
        );
        assert_eq!(
            verify(&text, Some(&trusted)),
            Err(BrokenLink::HeadMismatch {
                last_seq: 3,
                head_seq: 5
            })
        );
    }
}
