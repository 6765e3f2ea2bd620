//! Casting (or changing) a creditor's vote. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, put, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::text;
use workout_domain::voting::{Choice, decided};
use workout_domain::{Action, VotingTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::close::{Closing, close};
use super::read::{BallotPath, view_from, view_of};
use super::{
    Lock, choices, closure_of, engine_voters, load_ballot, tally_fault, voters_of, votes_of,
};
use crate::schema::{vote_history, votes};

/// `PUT .../vote`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CastVote {
    /// `for`, `against` or `abstain`.
    pub choice: Choice,
    /// Why, up to 2,000 characters.
    pub comment: Option<String>,
}

/// What an event announces of a vote.
#[derive(Debug, Serialize)]
struct VoteCast {
    ballot_id: Uuid,
    creditor_id: Uuid,
    choice: Choice,
    comment: Option<String>,
    cast_by: Uuid,
}

/// `PUT /voting/v1/workouts/{workout_id}/ballots/{ballot_id}/vote` (a user of an eligible
/// creditor): casts or changes its institution's vote. Answers 200 with the ballot as the voter
/// sees it; 409 `ballot_closed` once the ballot closed or its deadline passed.
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    request_body = CastVote,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = super::read::BallotView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/ballots/{ballot_id}/vote")]
pub async fn cast_vote(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<BallotPath>,
    body: JsonBody<CastVote>,
) -> Result<HttpResponse, ApiError> {
    let BallotPath {
        workout_id: workout,
        ballot_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::CastVote)?;
    let body = body.parse()?;
    let comment = body
        .value
        .comment
        .as_deref()
        .map(|c| text::NOTE.parse(c))
        .transpose()
        .map_err(|e| ApiError::invalid_field("comment", e.to_string()))?
        .map(text::Text::into_string)
        .filter(|c| !c.is_empty());
    let choice = body.value.choice;
    let creditor = caller.institution_id.into_uuid();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        // Votes on one ballot run together (share lock) and wait for its close (update lock);
        // on a ballot that closes early, the vote that decides it closes it, so votes take turns.
        let close_early = load_ballot(conn, workout, ballot_id, Lock::None)
            .await?
            .options()?
            .close_early;
        let lock = if close_early {
            Lock::Update
        } else {
            Lock::Share
        };
        let ballot = load_ballot(conn, workout, ballot_id, lock).await?;
        let now = Utc::now();
        if closure_of(conn, ballot.id).await?.is_some() || now >= ballot.closes_at {
            return Err(ApiError::conflict(
                "ballot_closed",
                "the ballot is closed: no vote is taken any more",
            ));
        }
        let voter_rows = voters_of(conn, ballot.id).await?;
        let rule = ballot.rule()?;
        let Some(first) = voter_rows.iter().find(|v| v.creditor_id == creditor) else {
            return Err(ApiError::Forbidden(
                "your institution is not among this ballot's creditors (its record-date snapshot)"
                    .to_owned(),
            ));
        };
        if first.related_party && rule.exclusions.related_parties {
            return Err(ApiError::Forbidden(
                "a related party of the borrower does not vote on this ballot".to_owned(),
            ));
        }
        if first.conflicted && rule.exclusions.conflicted {
            return Err(ApiError::Forbidden(
                "a creditor that declared a conflict does not vote on this ballot".to_owned(),
            ));
        }
        diesel::insert_into(votes::table)
            .values((
                votes::ballot_id.eq(ballot.id),
                votes::creditor_id.eq(creditor),
                votes::choice.eq(choice.as_str()),
                votes::comment.eq(&comment),
                votes::cast_by.eq(caller.user_id.into_uuid()),
                votes::cast_at.eq(now),
            ))
            .on_conflict((votes::ballot_id, votes::creditor_id))
            .do_update()
            .set((
                votes::choice.eq(excluded(votes::choice)),
                votes::comment.eq(excluded(votes::comment)),
                votes::cast_by.eq(excluded(votes::cast_by)),
                votes::cast_at.eq(excluded(votes::cast_at)),
                votes::changes.eq(votes::changes + 1),
            ))
            .execute(conn)
            .await?;
        diesel::insert_into(vote_history::table)
            .values((
                vote_history::id.eq(Uuid::now_v7()),
                vote_history::ballot_id.eq(ballot.id),
                vote_history::creditor_id.eq(creditor),
                vote_history::choice.eq(choice.as_str()),
                vote_history::comment.eq(&comment),
                vote_history::cast_by.eq(caller.user_id.into_uuid()),
                vote_history::cast_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let event = VoteCast {
            ballot_id: ballot.id,
            creditor_id: creditor,
            choice,
            comment: comment.clone(),
            cast_by: caller.user_id.into_uuid(),
        };
        if !close_early {
            // The audit entry locks the workout's chain head until commit, and every write of the
            // workout waits for that lock: the answer is read first, so the lock is held only for
            // the append and the commit. (The entry and the event change nothing the answer shows.)
            // (No closure can appear meanwhile: closing takes the ballot's update lock.)
            let vote_rows = votes_of(conn, ballot.id).await?;
            let view = view_from(&ballot, &access, &voter_rows, &vote_rows, None)?;
            record_vote(conn, workout, &caller, &event).await?;
            return Reply::ok(&view);
        }
        // A vote that decides the ballot is recorded before the close it causes.
        record_vote(conn, workout, &caller, &event).await?;
        let voters = engine_voters(&voter_rows)?;
        let cast = choices(&votes_of(conn, ballot.id).await?)?;
        if decided(&rule, &voters, &cast)
            .map_err(tally_fault)?
            .is_some()
        {
            close(
                conn,
                &ballot,
                Closing::Decided,
                now,
                &Actor::service("voting"),
            )
            .await?;
        }
        Reply::ok(&view_of(conn, &ballot, &access).await?)
    })
    .await
}

/// Appends the vote's audit entry to the workout's chain and enqueues its event.
async fn record_vote(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    caller: &Caller,
    event: &VoteCast,
) -> Result<(), ApiError> {
    record(
        conn,
        Chain::Workout(workout),
        &Actor::from(caller),
        VotingTopic::VoteCast,
        VotingTopic::VoteCast.disclosure(Some(caller.institution_id)),
        None,
        event,
    )
    .await?;
    Ok(())
}
