//! The append-only, hash-chained audit log: one chain per workout (the nil id is the platform's own
//! chain for identity changes), appended in the same transaction as the change it records, exported
//! as JSON lines for the caller who asks, and verifiable offline.
//!
//! Rules:
//! - Each entry's hash is SHA-256 over the canonical JSON of its fields (keys sorted, time in
//!   microseconds, `prev_hash` included); the first entry's `prev_hash` is 64 zeros; appends to one
//!   chain are serialized by locking the chain's head row; the tables refuse updates and deletes
//!   (trigger).
//! - Need to know: the details of a change (its state before and after) are stored apart
//!   (`audit_details`) with a random salt, and the entry commits to them by `details_hash`
//!   (SHA-256 over salt, before and after), not by including them. The entry also carries its
//!   [`Disclosure`], the rule saying who may read the details. An export for a reader contains
//!   the details it may read and, for the rest, only the entry with its `details_hash`
//!   (`withheld: true`): every reader verifies the whole chain, and nobody learns withheld details
//!   or can confirm a guess of them (the salt is withheld with them).
//! - Entries written before details were stored apart (no `details_hash`) are shown whole to
//!   readers who see every position and withheld from others; their content then cannot be checked
//!   by those others, only their place in the chain.
//! - An export ends with a `head` line (sequence number and hash of the last entry); the registry
//!   signs it ([`HeadClaims`]). A checkpoint entry ([`CHECKPOINT_ACTION`]) stores such a signed head
//!   in the chain itself, on a schedule. The verifier ([`verify`]) checks every link, that the
//!   chain reaches the head, and, given the registry's public keys, every signature.

mod verify;

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use workout_domain::{Disclosure, InstitutionId, ParticipantRole, UserId};
use workout_http::{Caller, ServiceCaller};

pub use verify::{BrokenLink, Trust, Verified, verify};

use crate::schema::{audit_details, audit_heads, audit_log};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of platform-level changes (institutions, users, keys).
pub const PLATFORM_CHAIN: Uuid = Uuid::nil();

/// The action of a checkpoint entry: its `after` is the signed head of the entry before it.
pub const CHECKPOINT_ACTION: &str = "chain_checkpoint";

/// The `purpose` claim of every chain head signature.
pub const HEAD_PURPOSE: &str = "workout-audit-chain-head";

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
    /// Who may read its details.
    pub disclosure: Disclosure,
    /// The decision's state before, if any.
    pub before: Option<Value>,
    /// The decision's state after, if any.
    pub after: Option<Value>,
}

/// One entry of the chain, as exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// State before (absent when withheld).
    pub before: Option<Value>,
    /// State after (absent when withheld).
    pub after: Option<Value>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
    /// Acting service (its client name), when a service made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_service: Option<String>,
    /// SHA-256 over the details (`salt`, `before`, `after`), which the entry's hash commits to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_hash: Option<String>,
    /// The details' random salt (absent when withheld).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_salt: Option<String>,
    /// Who may read the details, e.g. `participants`, `position_of:<institution id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<String>,
    /// The details are not in this export: the reader may not read them (not hashed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// An entry's row (its details are in `audit_details`, or inline for entries written before
/// details were stored apart).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct LogRow {
    chain_id: Uuid,
    seq: i64,
    id: Uuid,
    recorded_at: DateTime<Utc>,
    actor_user_id: Option<Uuid>,
    actor_institution_id: Option<Uuid>,
    action: String,
    before: Option<Value>,
    after: Option<Value>,
    prev_hash: String,
    hash: String,
    actor_service: Option<String>,
    details_hash: Option<String>,
    disclosure: Option<String>,
}

/// A change's details, stored apart from its entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_details)]
struct DetailsRow {
    seq: i64,
    salt: String,
    before: Option<Value>,
    after: Option<Value>,
}

/// The last entry of a chain, as an export ends with it: signed by the registry when exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    /// The chain.
    pub chain_id: Uuid,
    /// The last sequence number (0 for an empty chain).
    pub seq: i64,
    /// The last hash.
    pub hash: String,
    /// When it was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<DateTime<Utc>>,
    /// Compact JWS (`EdDSA`) over [`HeadClaims`]; verify it with the registry's document keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The payload of a head's signature, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeadClaims {
    /// Always [`HEAD_PURPOSE`].
    pub purpose: String,
    /// The chain.
    pub chain_id: Uuid,
    /// The number of entries (the last sequence number).
    pub seq: i64,
    /// The last entry's hash.
    pub hash: String,
    /// When it was signed (microseconds).
    pub signed_at: DateTime<Utc>,
    /// `signed_at` in Unix seconds.
    pub iat: i64,
}

impl ChainHead {
    fn unsigned(chain_id: Uuid, seq: i64, hash: String) -> Self {
        Self {
            chain_id,
            seq,
            hash,
            signed_at: None,
            signature: None,
        }
    }

    /// What a signature of this head made at `at` says.
    pub fn claims(&self, at: DateTime<Utc>) -> HeadClaims {
        let at = at.trunc_subsecs(6);
        HeadClaims {
            purpose: HEAD_PURPOSE.to_owned(),
            chain_id: self.chain_id,
            seq: self.seq,
            hash: self.hash.clone(),
            signed_at: at,
            iat: at.timestamp(),
        }
    }

    /// This head with `signature`, a compact JWS over `claims`.
    pub fn signed(self, claims: &HeadClaims, signature: String) -> Self {
        Self {
            signed_at: Some(claims.signed_at),
            signature: Some(signature),
            ..self
        }
    }
}

/// One line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "one head per export: boxing every entry would cost more than the head's spare bytes"
)]
pub enum ExportLine {
    /// An entry.
    Entry(AuditEntry),
    /// The head the export was cut at.
    Head(ChainHead),
}

/// Who an export is for.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// Someone who may read every detail (a platform admin reading the platform chain).
    Everything,
    /// A participant of the workout: `institution` holding `roles`.
    Participant {
        /// The participant's institution.
        institution: InstitutionId,
        /// Its active roles.
        roles: &'a [ParticipantRole],
    },
}

impl Reader<'_> {
    /// Whether it may read the details of an entry with `disclosure` (`None`: an entry written
    /// before entries named their disclosure, shown only to those who see every position).
    fn reads(self, disclosure: Option<&str>) -> bool {
        let disclosure = disclosure
            .map_or(Ok(Disclosure::AllPositions), str::parse)
            .unwrap_or(Disclosure::AllPositions);
        match self {
            Self::Everything => true,
            Self::Participant { institution, roles } => disclosure.shows_to(institution, roles),
        }
    }
}

/// The hash of an entry's content (every field but `hash`; with `details_hash`, that hash in
/// place of the details).
pub fn entry_hash(entry: &AuditEntry) -> String {
    // serde_json's map is a BTreeMap, so this JSON has its keys sorted at every level: canonical.
    let mut content = serde_json::json!({
        "chain_id": entry.chain_id,
        "seq": entry.seq,
        "id": entry.id,
        "recorded_at": entry.recorded_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "actor_user_id": entry.actor_user_id,
        "actor_institution_id": entry.actor_institution_id,
        "action": entry.action,
        "prev_hash": entry.prev_hash,
    });
    match &entry.details_hash {
        Some(details_hash) => {
            content["details_hash"] = Value::String(details_hash.clone());
            content["disclosure"] = entry.disclosure.clone().map_or(Value::Null, Value::String);
        }
        // Entries written before details were stored apart hash their details inline.
        None => {
            content["before"] = entry.before.clone().unwrap_or(Value::Null);
            content["after"] = entry.after.clone().unwrap_or(Value::Null);
        }
    }
    // Added after the first chains were written: hashed only when present, so entries made by
    // users hash exactly as before.
    if let Some(service) = &entry.actor_service {
        content["actor_service"] = Value::String(service.clone());
    }
    sha256_hex(&content)
}

/// The hash of a change's details: SHA-256 over the canonical JSON of salt, before and after.
pub fn details_hash(salt: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    sha256_hex(&serde_json::json!({ "salt": salt, "before": before, "after": after }))
}

fn sha256_hex(content: &Value) -> String {
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// 128 random bits, hex: the salt of a change's details.
fn new_salt() -> QueryResult<String> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| {
            diesel::result::Error::QueryBuilderError("the system's random source failed".into())
        })?;
    Ok(hex::encode(bytes))
}

/// Appends `change` to its chain inside the caller's transaction (through
/// [`crate::record::record`], which also announces it).
pub(crate) async fn append(
    conn: &mut AsyncPgConnection,
    change: Change,
) -> QueryResult<AuditEntry> {
    // Taking the head (inserted for a new chain) locks it until commit: every other append to the
    // chain waits here. From here to the commit the entry takes two round trips, the statement
    // below and the commit.
    let (seq, prev_hash): (i64, String) = diesel::insert_into(audit_heads::table)
        .values((
            audit_heads::chain_id.eq(change.chain_id),
            audit_heads::seq.eq(0_i64),
            audit_heads::hash.eq(GENESIS_HASH),
        ))
        .on_conflict(audit_heads::chain_id)
        .do_update()
        .set(audit_heads::seq.eq(audit_heads::seq))
        .returning((audit_heads::seq, audit_heads::hash))
        .get_result(conn)
        .await?;
    let salt = new_salt()?;
    let mut entry = AuditEntry {
        chain_id: change.chain_id,
        seq: seq + 1,
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
        details_hash: Some(details_hash(
            &salt,
            change.before.as_ref(),
            change.after.as_ref(),
        )),
        details_salt: Some(salt),
        disclosure: Some(change.disclosure.to_string()),
        before: change.before,
        after: change.after,
        prev_hash,
        hash: String::new(),
        withheld: false,
    };
    entry.hash = entry_hash(&entry);
    // The entry, its details and the new head, in one statement.
    diesel::sql_query(
        "WITH entry AS (INSERT INTO audit_log (chain_id, seq, id, recorded_at, actor_user_id, \
            actor_institution_id, action, prev_hash, hash, actor_service, details_hash, disclosure) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)), \
         details AS (INSERT INTO audit_details (chain_id, seq, salt, before, after) \
            VALUES ($1, $2, $13, $14, $15)) \
         UPDATE audit_heads SET seq = $2, hash = $9 WHERE chain_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(entry.chain_id)
    .bind::<diesel::sql_types::BigInt, _>(entry.seq)
    .bind::<diesel::sql_types::Uuid, _>(entry.id)
    .bind::<diesel::sql_types::Timestamptz, _>(entry.recorded_at)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(entry.actor_user_id)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(entry.actor_institution_id)
    .bind::<Text, _>(&entry.action)
    .bind::<Text, _>(&entry.prev_hash)
    .bind::<Text, _>(&entry.hash)
    .bind::<Nullable<Text>, _>(&entry.actor_service)
    .bind::<Nullable<Text>, _>(&entry.details_hash)
    .bind::<Nullable<Text>, _>(&entry.disclosure)
    .bind::<Text, _>(entry.details_salt.as_deref().unwrap_or_default())
    .bind::<Nullable<Jsonb>, _>(&entry.before)
    .bind::<Nullable<Jsonb>, _>(&entry.after)
    .execute(conn)
    .await?;
    Ok(entry)
}

/// The head of `chain_id` as committed (sequence 0 and the genesis hash for an empty chain).
pub async fn head(conn: &mut AsyncPgConnection, chain_id: Uuid) -> QueryResult<ChainHead> {
    let head: Option<(i64, String)> = audit_heads::table
        .find(chain_id)
        .select((audit_heads::seq, audit_heads::hash))
        .first(conn)
        .await
        .optional()?;
    let (seq, hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    Ok(ChainHead::unsigned(chain_id, seq, hash))
}

/// The whole chain and its (unsigned) head, as the export lines for `reader`: the details it may
/// not read are withheld.
///
/// The head is read first and only the entries up to it after: an entry and the head that names
/// it are committed together, so an export taken while the chain grows is a consistent prefix of
/// it, never entries beyond the head it ends with.
pub async fn export(
    conn: &mut AsyncPgConnection,
    chain_id: Uuid,
    reader: Reader<'_>,
) -> QueryResult<Vec<ExportLine>> {
    let head = head(conn, chain_id).await?;
    let rows: Vec<LogRow> = audit_log::table
        .filter(audit_log::chain_id.eq(chain_id))
        .filter(audit_log::seq.le(head.seq))
        .order(audit_log::seq.asc())
        .select(LogRow::as_select())
        .load(conn)
        .await?;
    let mut details: std::collections::HashMap<i64, DetailsRow> = audit_details::table
        .filter(audit_details::chain_id.eq(chain_id))
        .filter(audit_details::seq.le(head.seq))
        .select(DetailsRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|row| (row.seq, row))
        .collect();
    let mut lines: Vec<ExportLine> = rows
        .into_iter()
        .map(|row| {
            let shown = reader.reads(row.disclosure.as_deref());
            let (salt, before, after) = match details.remove(&row.seq) {
                Some(stored) => (Some(stored.salt), stored.before, stored.after),
                None => (None, row.before, row.after),
            };
            ExportLine::Entry(AuditEntry {
                chain_id: row.chain_id,
                seq: row.seq,
                id: row.id,
                recorded_at: row.recorded_at,
                actor_user_id: row.actor_user_id,
                actor_institution_id: row.actor_institution_id,
                action: row.action,
                before: before.filter(|_| shown),
                after: after.filter(|_| shown),
                prev_hash: row.prev_hash,
                hash: row.hash,
                actor_service: row.actor_service,
                details_hash: row.details_hash,
                details_salt: salt.filter(|_| shown),
                disclosure: row.disclosure,
                withheld: !shown,
            })
        })
        .collect();
    lines.push(ExportLine::Head(head));
    Ok(lines)
}

/// Appends a checkpoint to `chain_id` in the caller's transaction: an entry whose `after` is the
/// signed head of the entry before it, made by `actor`. `sign` signs the head's claims. Returns
/// `None`, doing nothing, when the chain is empty, its last entry is already a checkpoint, or
/// another transaction holds its head (it is checkpointed next time).
pub async fn checkpoint(
    conn: &mut AsyncPgConnection,
    chain_id: Uuid,
    actor: &Actor,
    at: DateTime<Utc>,
    sign: impl AsyncFnOnce(&mut AsyncPgConnection, &HeadClaims) -> anyhow::Result<String>,
) -> anyhow::Result<Option<AuditEntry>> {
    let locked: Option<(i64, String)> = audit_heads::table
        .find(chain_id)
        .select((audit_heads::seq, audit_heads::hash))
        .for_update()
        .skip_locked()
        .first(conn)
        .await
        .optional()?;
    let Some((seq, hash)) = locked else {
        return Ok(None);
    };
    let last_action: Option<String> = audit_log::table
        .find((chain_id, seq))
        .select(audit_log::action)
        .first(conn)
        .await
        .optional()?;
    if last_action.is_none_or(|action| action == CHECKPOINT_ACTION) {
        return Ok(None);
    }
    let head = ChainHead::unsigned(chain_id, seq, hash);
    let claims = head.claims(at);
    let signature = sign(conn, &claims).await?;
    let signed = head.signed(&claims, signature);
    let entry = append(
        conn,
        Change {
            chain_id,
            actor: actor.clone(),
            action: CHECKPOINT_ACTION.to_owned(),
            disclosure: Disclosure::Participants,
            before: None,
            after: Some(serde_json::to_value(&signed)?),
        },
    )
    .await?;
    Ok(Some(entry))
}

/// The chains whose last entry is not a checkpoint (oldest change first), at most `limit`.
pub async fn chains_to_checkpoint(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    audit_heads::table
        .inner_join(
            audit_log::table.on(audit_log::chain_id
                .eq(audit_heads::chain_id)
                .and(audit_log::seq.eq(audit_heads::seq))),
        )
        .filter(audit_log::action.ne(CHECKPOINT_ACTION))
        .order(audit_log::recorded_at.asc())
        .select(audit_heads::chain_id)
        .limit(limit)
        .load(conn)
        .await
}

/// The answer of `GET /<service>/v1/workouts/{workout_id}/audit` (any participant that may export
/// the audit, asked of the registry): the service's chain of `workout` as JSON lines ending with
/// its (unsigned) head, the details the caller may not read withheld. A service that is not the
/// registry holds no signing key: a reader keeps the heads it has seen to detect a cut tail.
pub async fn participant_export(
    pool: &crate::Pool,
    registry: &workout_http::registry_client::RegistryClient,
    caller: &Caller,
    workout: workout_domain::WorkoutId,
) -> Result<actix_web::HttpResponse, workout_http::ApiError> {
    let access = registry.access(workout, caller).await?;
    access.require(workout_domain::Action::ExportAudit)?;
    let reader = Reader::Participant {
        institution: access.institution,
        roles: &access.roles,
    };
    let mut conn = pool.get().await?;
    let lines = export(&mut conn, workout.into_uuid(), reader).await?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .body(to_json_lines(&lines)))
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
