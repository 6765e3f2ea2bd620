//! Extending a standstill by ballot: the coordinator opens a ballot of the creditors on
//! `standstill_extension` with `subject_ref` `{standstill_id}/ends-on/{YYYY-MM-DD}`; once it has
//! closed and passed, the coordinator applies it and the standstill runs to the new end date (its
//! expiry job and its reminder moved with it). See the module rules in [`super`].
//!
//! Rules: the standstill must be live (proposed or effective) and the new end date after its
//! current one, when the ballot opens and when it is applied (409 `standstill_ended`, 422); a
//! ballot extends once (409 `extension_applied`); an open or failed ballot extends nothing (409
//! `ballot_open`, `ballot_failed`).

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{Action, Disclosure, VotingTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::end::{expires_at, schedule_end};
use super::read::{StandstillPath, view_of};
use super::{StandstillRow, StandstillSummary, load_standstill};
use crate::ballots::{BallotRow, Lock, SubjectKind, load_ballot, passed_certificate};
use crate::schema::{standstill_extensions, standstills};

/// The `subject_ref` of a ballot extending the standstill `id` to `ends_on`.
pub fn extension_subject(id: Uuid, ends_on: NaiveDate) -> String {
    format!("{id}/ends-on/{ends_on}")
}

/// The standstill and end date a `subject_ref` names, if it is one.
fn parse_subject(subject: &str) -> Option<(Uuid, NaiveDate)> {
    let (id, date) = subject.split_once("/ends-on/")?;
    Some((id.parse().ok()?, date.parse().ok()?))
}

/// The live standstill of `workout` that `subject` extends, locked if `lock`, and the new end date
/// (after its current one); 422 `subject_ref` otherwise, 409 `standstill_ended` once ended.
async fn extended(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    subject: &str,
    lock: bool,
) -> Result<(StandstillRow, NaiveDate), ApiError> {
    let unknown = || {
        ApiError::invalid_field(
            "subject_ref",
            "a standstill's extension is named {standstill_id}/ends-on/{YYYY-MM-DD}, of a \
             standstill of this workout",
        )
    };
    let (id, ends_on) = parse_subject(subject).ok_or_else(unknown)?;
    let row = load_standstill(conn, workout, id, lock)
        .await
        .map_err(|_| unknown())?;
    if !row.state()?.is_live() {
        return Err(ApiError::conflict(
            "standstill_ended",
            format!("the standstill is {}: it cannot be extended", row.state),
        ));
    }
    if ends_on <= row.ends_on {
        return Err(ApiError::invalid_field(
            "subject_ref",
            format!(
                "the new end date {ends_on} is not after the standstill's end date {}",
                row.ends_on
            ),
        ));
    }
    Ok((row, ends_on))
}

/// Checks a ballot on a `standstill_extension` when it opens: it names a live standstill of its
/// workout and a later end date.
pub async fn check_ballot_subject(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    ballot: &BallotRow,
) -> Result<(), ApiError> {
    extended(conn, workout, &ballot.subject_ref, false)
        .await
        .map(|_| ())
}

/// `POST .../extension`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyExtension {
    /// The closed ballot that passed on extending this standstill.
    pub ballot_id: Uuid,
}

/// An extension applied.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = standstill_extensions)]
pub struct Extension {
    /// The ballot that decided it.
    pub ballot_id: Uuid,
    /// The standstill.
    pub standstill_id: Uuid,
    /// Its end date before.
    pub from_ends_on: NaiveDate,
    /// Its end date after.
    pub to_ends_on: NaiveDate,
    /// Applied by (user).
    pub extended_by: Uuid,
    /// When.
    pub extended_at: DateTime<Utc>,
}

/// The extensions of the standstill `id`, oldest first.
pub async fn extensions_of(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Vec<Extension>, ApiError> {
    Ok(standstill_extensions::table
        .filter(standstill_extensions::standstill_id.eq(id))
        .order(standstill_extensions::extended_at.asc())
        .select(Extension::as_select())
        .load(conn)
        .await?)
}

/// `POST /voting/v1/workouts/{workout_id}/standstills/{standstill_id}/extension` (the
/// coordinator): applies a closed, passed ballot extending the standstill; it then ends at the
/// new end date. Answers 200 with the standstill.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    request_body = ApplyExtension,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = super::read::StandstillView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/standstills/{standstill_id}/extension")]
pub async fn apply_extension(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
    body: JsonBody<ApplyExtension>,
) -> Result<HttpResponse, ApiError> {
    let StandstillPath {
        workout_id: workout,
        standstill_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ManageStandstill)?;
    let facts = registry.workout(workout).await?;
    let body = body.parse()?;
    let ballot_id = body.value.ballot_id;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        load_standstill(conn, workout, standstill_id, false).await?;
        let ballot = load_ballot(conn, workout, ballot_id, Lock::Share)
            .await
            .map_err(|_| {
                ApiError::invalid_field("ballot_id", "no ballot of this workout has this id")
            })?;
        if ballot.subject_kind != SubjectKind::StandstillExtension.as_str()
            || parse_subject(&ballot.subject_ref).map(|(id, _)| id) != Some(standstill_id)
        {
            return Err(ApiError::invalid_field(
                "ballot_id",
                "the ballot is not on extending this standstill",
            ));
        }
        let applied = standstill_extensions::table
            .find(ballot_id)
            .select(Extension::as_select())
            .first(conn)
            .await
            .optional()?;
        if applied.is_some() {
            return Err(ApiError::conflict(
                "extension_applied",
                "this ballot's extension has been applied already",
            ));
        }
        let (mut row, ends_on) = extended(conn, workout, &ballot.subject_ref, true).await?;
        let certificate = passed_certificate(conn, &ballot, "the extension").await?;
        let extension = Extension {
            ballot_id,
            standstill_id,
            from_ends_on: row.ends_on,
            to_ends_on: ends_on,
            extended_by: caller.user_id.into_uuid(),
            extended_at: Utc::now(),
        };
        diesel::insert_into(standstill_extensions::table)
            .values(&extension)
            .execute(conn)
            .await?;
        diesel::update(standstills::table.find(standstill_id))
            .set(standstills::ends_on.eq(ends_on))
            .execute(conn)
            .await?;
        row.ends_on = ends_on;
        schedule_end(
            conn,
            workout,
            standstill_id,
            ends_on,
            expires_at(ends_on, &facts.calendar)?,
            extension.extended_at,
        )
        .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::StandstillExtended,
            Disclosure::Participants,
            None,
            &serde_json::json!({
                "standstill": StandstillSummary::of(&row),
                "extension": extension,
                "certificate_hash": certificate.hash,
            }),
        )
        .await?;
        Reply::ok(&view_of(conn, &row, &access).await?)
    })
    .await
}
