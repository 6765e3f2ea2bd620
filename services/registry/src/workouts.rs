//! Workouts and their participants: who takes part in a case, in which roles, and where their
//! formal notices go.
//!
//! Rules: a bank opens a workout for a borrower institution; the opening bank becomes a creditor and
//! the acting coordinator (until the mandates service appoints one), the borrower a participant.
//! Only participants see a workout — anyone else, platform admins included, gets 404. Only the
//! coordinator adds or removes participants; a removed participant keeps its history (rows are
//! marked removed, never deleted). Status changes come only from the services that own each step
//! (service token). Every change is one transaction with its audit entry on the workout's chain and
//! its outbox event.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{BusinessCalendar, CreditorClass, Currency, Email, WorkoutId};
use workout_http::{ApiError, Caller, FieldError, JsonBody, Page, PageQuery, ServiceCaller};
use workout_store::audit::{self, Actor, Change};
use workout_store::{Reply, idempotency, outbox, transaction};

use crate::RegistryState;
use crate::schema::{institutions, notice_contacts, participants, workouts};

/// A participant's role in a workout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    /// Owed money: a bank or another creditor.
    Creditor,
    /// Runs the case for the creditors.
    Coordinator,
    /// The borrower.
    Borrower,
    /// A guarantor of the borrower's debts.
    Guarantor,
    /// An advisor (legal, financial) to the creditors.
    Advisor,
    /// Follows the case without acting.
    Observer,
}

impl ParticipantRole {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creditor => "creditor",
            Self::Coordinator => "coordinator",
            Self::Borrower => "borrower",
            Self::Guarantor => "guarantor",
            Self::Advisor => "advisor",
            Self::Observer => "observer",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Creditor,
            Self::Coordinator,
            Self::Borrower,
            Self::Guarantor,
            Self::Advisor,
            Self::Observer,
        ]
        .into_iter()
        .find(|role| role.as_str() == text)
    }
}

/// The statuses a workout goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkoutStatus {
    /// Opened, no coordinator appointed yet.
    Open,
    /// A coordinator is appointed.
    Coordinated,
    /// A standstill is in force.
    Standstill,
    /// A term sheet is being negotiated.
    Negotiation,
    /// The restructuring is agreed.
    Agreed,
    /// The restructuring is effective.
    Effective,
    /// Closed (with a reason).
    Closed,
    /// Failed (with a reason).
    Failed,
}

impl WorkoutStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Coordinated => "coordinated",
            Self::Standstill => "standstill",
            Self::Negotiation => "negotiation",
            Self::Agreed => "agreed",
            Self::Effective => "effective",
            Self::Closed => "closed",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Self {
        [
            Self::Open,
            Self::Coordinated,
            Self::Standstill,
            Self::Negotiation,
            Self::Agreed,
            Self::Effective,
            Self::Closed,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .unwrap_or(Self::Open)
    }

    fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Failed)
    }
}

/// A workout.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Workout {
    /// Id.
    pub id: Uuid,
    /// Case reference.
    pub reference: String,
    /// Borrower institution.
    pub borrower_id: Uuid,
    /// Base currency.
    pub base_currency: String,
    /// Business calendar (e.g. `SA`).
    pub calendar: String,
    /// Governing law.
    pub governing_law: String,
    /// Opening date.
    pub opened_on: NaiveDate,
    /// Status.
    pub status: WorkoutStatus,
    /// Why (for closed or failed).
    pub status_reason: Option<String>,
    /// Creditor classes used for voting by class.
    pub classes: Vec<String>,
    /// Opening institution.
    pub opened_by: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
}

type WorkoutRow = (
    Uuid,
    String,
    Uuid,
    String,
    String,
    String,
    NaiveDate,
    String,
    Option<String>,
    // `text[]`: diesel types array elements as nullable; the column never holds a null class.
    Vec<Option<String>>,
    Uuid,
    DateTime<Utc>,
);

const WORKOUT_COLUMNS: (
    workouts::id,
    workouts::reference,
    workouts::borrower_id,
    workouts::base_currency,
    workouts::calendar,
    workouts::governing_law,
    workouts::opened_on,
    workouts::status,
    workouts::status_reason,
    workouts::classes,
    workouts::opened_by,
    workouts::created_at,
) = (
    workouts::id,
    workouts::reference,
    workouts::borrower_id,
    workouts::base_currency,
    workouts::calendar,
    workouts::governing_law,
    workouts::opened_on,
    workouts::status,
    workouts::status_reason,
    workouts::classes,
    workouts::opened_by,
    workouts::created_at,
);

impl From<WorkoutRow> for Workout {
    fn from(row: WorkoutRow) -> Self {
        let (
            id,
            reference,
            borrower_id,
            base_currency,
            calendar,
            governing_law,
            opened_on,
            status,
            status_reason,
            classes,
            opened_by,
            created_at,
        ) = row;
        Self {
            id,
            reference,
            borrower_id,
            base_currency,
            calendar,
            governing_law,
            opened_on,
            status: WorkoutStatus::parse(&status),
            status_reason,
            classes: classes.into_iter().flatten().collect(),
            opened_by,
            created_at,
        }
    }
}

/// The caller's institution's place in a workout.
#[derive(Debug, Clone)]
pub struct Membership {
    /// The workout.
    pub workout: Workout,
    /// The caller's institution.
    pub institution: Uuid,
    /// Its active roles.
    pub roles: Vec<ParticipantRole>,
}

impl Membership {
    /// Whether it holds `role`.
    pub fn has(&self, role: ParticipantRole) -> bool {
        self.roles.contains(&role)
    }

    /// 403 unless it is the coordinator.
    pub fn require_coordinator(&self) -> Result<(), ApiError> {
        if self.has(ParticipantRole::Coordinator) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "only the workout's coordinator may do this".to_owned(),
            ))
        }
    }

    /// The audit actor of `caller` acting in this workout.
    pub fn actor(&self, caller: &Caller) -> Actor {
        Actor {
            user_id: Some(caller.user_id.into_uuid()),
            institution_id: Some(caller.institution_id.into_uuid()),
        }
    }
}

/// The active roles of `institution` in `workout`.
pub async fn roles_of(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    institution: Uuid,
) -> QueryResult<Vec<ParticipantRole>> {
    let roles: Vec<String> = participants::table
        .filter(participants::workout_id.eq(workout))
        .filter(participants::institution_id.eq(institution))
        .filter(participants::removed_at.is_null())
        .order(participants::id.asc())
        .select(participants::role)
        .load(conn)
        .await?;
    Ok(roles
        .iter()
        .filter_map(|r| ParticipantRole::parse(r))
        .collect())
}

/// The caller's membership of `workout`: 404 when the caller's institution takes no part in it.
pub async fn membership(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    caller: &Caller,
) -> Result<Membership, ApiError> {
    let institution = caller.institution_id.into_uuid();
    let roles = roles_of(conn, workout, institution).await?;
    if roles.is_empty() {
        return Err(ApiError::NotFound("workout"));
    }
    let row: WorkoutRow = workouts::table
        .find(workout)
        .select(WORKOUT_COLUMNS)
        .first(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("workout", e))?;
    Ok(Membership {
        workout: row.into(),
        institution,
        roles,
    })
}

/// Records a change: an audit entry on `chain` (a workout, or the platform chain) and an outbox
/// event `registry.<action>` carrying `after`, in the caller's transaction.
pub async fn record(
    conn: &mut AsyncPgConnection,
    chain: Uuid,
    actor: Actor,
    action: &str,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), ApiError> {
    let workout = (chain != audit::PLATFORM_CHAIN).then_some(chain);
    outbox::enqueue(conn, &format!("registry.{action}"), workout, after.clone()).await?;
    audit::append(
        conn,
        Change {
            chain_id: chain,
            actor,
            action: action.to_owned(),
            before,
            after: Some(after),
        },
    )
    .await?;
    Ok(())
}

/// Serializes a value for audit and events.
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// A request to open a workout.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkout {
    /// Case reference, unique on the platform, 1 to 60 characters.
    pub reference: String,
    /// The borrower: an institution of kind `borrower`.
    pub borrower_id: Uuid,
    /// Base currency (ISO 4217), e.g. `SAR`.
    pub base_currency: String,
    /// Business calendar; default `SA`.
    pub calendar: Option<String>,
    /// Governing law, e.g. `Kingdom of Saudi Arabia`.
    pub governing_law: String,
    /// Opening date.
    pub opened_on: NaiveDate,
    /// Creditor classes; default `secured`, `unsecured`, `related_party`.
    pub classes: Option<Vec<String>>,
}

struct ValidWorkout {
    reference: String,
    borrower_id: Uuid,
    base_currency: Currency,
    calendar: String,
    governing_law: String,
    opened_on: NaiveDate,
    classes: Vec<CreditorClass>,
}

impl TryFrom<NewWorkout> for ValidWorkout {
    type Error = ApiError;

    fn try_from(input: NewWorkout) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let reference = input.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 60 {
            errors.push(FieldError::new("reference", "must be 1 to 60 characters"));
        }
        let base_currency = Currency::parse(&input.base_currency)
            .map_err(|e| errors.push(FieldError::new("base_currency", e.to_string())))
            .ok();
        let calendar = input.calendar.unwrap_or_else(|| "SA".to_owned());
        if BusinessCalendar::builtin(&calendar).is_err() {
            errors.push(FieldError::new(
                "calendar",
                "is not a known business calendar (SA, SAT_SUN)",
            ));
        }
        let governing_law = input.governing_law.trim().to_owned();
        if governing_law.is_empty() || governing_law.chars().count() > 200 {
            errors.push(FieldError::new(
                "governing_law",
                "must be 1 to 200 characters",
            ));
        }
        let names = input.classes.unwrap_or_else(|| {
            workout_domain::facility::DEFAULT_CLASSES
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect()
        });
        let mut classes = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match CreditorClass::parse(name) {
                Ok(class) if !classes.contains(&class) => classes.push(class),
                Ok(_) => errors.push(FieldError::new(format!("classes.{i}"), "is listed twice")),
                Err(e) => errors.push(FieldError::new(format!("classes.{i}"), e.to_string())),
            }
        }
        if classes.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("classes", "needs at least one class"));
        }
        match base_currency {
            Some(base_currency) if errors.is_empty() => Ok(Self {
                reference,
                borrower_id: input.borrower_id,
                base_currency,
                calendar,
                governing_law,
                opened_on: input.opened_on,
                classes,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

async fn institution_kind(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<String>, ApiError> {
    Ok(institutions::table
        .find(id)
        .select(institutions::kind)
        .first(conn)
        .await
        .optional()?)
}

async fn add_participant(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    institution: Uuid,
    role: ParticipantRole,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    diesel::insert_into(participants::table)
        .values((
            participants::id.eq(id),
            participants::workout_id.eq(workout),
            participants::institution_id.eq(institution),
            participants::role.eq(role.as_str()),
        ))
        .execute(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("this participant in this role", e))?;
    Ok(id)
}

/// `POST /registry/v1/workouts`: a bank opens a workout.
#[utoipa::path(post, path = "/registry/v1/workouts", tag = "workouts", security(("bearer" = [])), request_body = NewWorkout,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Workout), (status = 401, body = workout_http::Problem), (status = 403, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn open_workout(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    body: JsonBody<NewWorkout>,
) -> Result<HttpResponse, ApiError> {
    let input = ValidWorkout::try_from(body.value)?;
    let opener = caller.institution_id.into_uuid();
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        &body.fingerprint,
        async |conn| {
            if institution_kind(conn, opener).await?.as_deref() != Some("bank") {
                return Err(ApiError::Forbidden("only banks open workouts".to_owned()));
            }
            if institution_kind(conn, input.borrower_id).await?.as_deref() != Some("borrower") {
                return Err(ApiError::invalid_field(
                    "borrower_id",
                    "is not an institution of kind borrower",
                ));
            }
            let row: WorkoutRow = diesel::insert_into(workouts::table)
                .values((
                    workouts::id.eq(WorkoutId::new().into_uuid()),
                    workouts::reference.eq(&input.reference),
                    workouts::borrower_id.eq(input.borrower_id),
                    workouts::base_currency.eq(input.base_currency.as_str()),
                    workouts::calendar.eq(&input.calendar),
                    workouts::governing_law.eq(&input.governing_law),
                    workouts::opened_on.eq(input.opened_on),
                    workouts::classes.eq(input
                        .classes
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect::<Vec<_>>()),
                    workouts::opened_by.eq(opener),
                ))
                .returning(WORKOUT_COLUMNS)
                .get_result(conn)
                .await
                .map_err(|e| {
                    workout_http::problem::from_diesel("a workout with this reference", e)
                })?;
            let workout = Workout::from(row);
            add_participant(conn, workout.id, opener, ParticipantRole::Creditor).await?;
            add_participant(conn, workout.id, opener, ParticipantRole::Coordinator).await?;
            add_participant(
                conn,
                workout.id,
                workout.borrower_id,
                ParticipantRole::Borrower,
            )
            .await?;
            let actor = Actor {
                user_id: Some(caller.user_id.into_uuid()),
                institution_id: Some(opener),
            };
            record(
                conn,
                workout.id,
                actor,
                "workout_opened",
                None,
                to_json(&workout)?,
            )
            .await?;
            Reply::created(format!("/registry/v1/workouts/{}", workout.id), &workout)
        },
    )
    .await
}

/// `GET /registry/v1/workouts`: the workouts the caller's institution takes part in.
#[utoipa::path(get, path = "/registry/v1/workouts", tag = "workouts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<Workout>), (status = 401, body = workout_http::Problem)))]
pub async fn list_workouts(
    state: web::Data<RegistryState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after()?);
    let mut conn = state.pool.get().await?;
    let mine = participants::table
        .filter(participants::institution_id.eq(caller.institution_id.into_uuid()))
        .filter(participants::removed_at.is_null())
        .select(participants::workout_id);
    let rows: Vec<WorkoutRow> = workouts::table
        .filter(workouts::id.eq_any(mine))
        .filter(workouts::id.gt(after))
        .order(workouts::id.asc())
        .limit(limit + 1)
        .select(WORKOUT_COLUMNS)
        .load(&mut conn)
        .await?;
    let items = rows.into_iter().map(Workout::from).collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(items, limit, |w: &Workout| w.id)))
}

/// A workout with the caller's roles in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkoutView {
    /// The workout.
    #[serde(flatten)]
    pub workout: Workout,
    /// The caller's institution's roles.
    pub my_roles: Vec<ParticipantRole>,
}

/// `GET /registry/v1/workouts/{workout_id}`
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}", tag = "workouts", security(("bearer" = [])),
    params(("workout_id" = Uuid, Path, description = "Workout")),
    responses((status = 200, body = WorkoutView), (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
pub async fn get_workout(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, path.into_inner(), &caller).await?;
    Ok(HttpResponse::Ok().json(WorkoutView {
        workout: member.workout,
        my_roles: member.roles,
    }))
}

/// Where a participant's notices go.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeContact {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// `en` or `ar`.
    pub language: String,
}

/// A request to add a participant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    /// The institution.
    pub institution_id: Uuid,
    /// Its role (not `coordinator`, which the mandates service sets).
    pub role: ParticipantRole,
    /// Where its notices go (at least one).
    pub contacts: Vec<NoticeContact>,
}

/// A participant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Participant {
    /// Id.
    pub id: Uuid,
    /// Institution.
    pub institution_id: Uuid,
    /// Institution's name.
    pub institution_name: String,
    /// Role.
    pub role: ParticipantRole,
    /// Notice contacts.
    pub contacts: Vec<NoticeContact>,
    /// Added.
    pub added_at: DateTime<Utc>,
    /// Removed (still listed with `?include_removed=true`).
    pub removed_at: Option<DateTime<Utc>>,
    /// Why removed.
    pub removed_reason: Option<String>,
}

fn valid_contacts(contacts: &[NoticeContact], errors: &mut Vec<FieldError>) -> Vec<NoticeContact> {
    if contacts.is_empty() {
        errors.push(FieldError::new(
            "contacts",
            "needs at least one notice contact",
        ));
    }
    contacts
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let name = c.name.trim();
            let mut ok = true;
            if name.is_empty() || name.chars().count() > 200 {
                errors.push(FieldError::new(
                    format!("contacts.{i}.name"),
                    "must be 1 to 200 characters",
                ));
                ok = false;
            }
            let email = Email::parse(&c.email.to_lowercase())
                .map_err(|e| {
                    errors.push(FieldError::new(
                        format!("contacts.{i}.email"),
                        e.to_string(),
                    ))
                })
                .ok();
            if !matches!(c.language.as_str(), "en" | "ar") {
                errors.push(FieldError::new(
                    format!("contacts.{i}.language"),
                    "must be en or ar",
                ));
                ok = false;
            }
            let email = email?;
            ok.then(|| NoticeContact {
                name: name.to_owned(),
                email: email.as_str().to_owned(),
                language: c.language.clone(),
            })
        })
        .collect()
}

async fn insert_contacts(
    conn: &mut AsyncPgConnection,
    participant: Uuid,
    contacts: &[NoticeContact],
) -> Result<(), ApiError> {
    for contact in contacts {
        diesel::insert_into(notice_contacts::table)
            .values((
                notice_contacts::id.eq(Uuid::now_v7()),
                notice_contacts::participant_id.eq(participant),
                notice_contacts::name.eq(&contact.name),
                notice_contacts::email.eq(&contact.email),
                notice_contacts::language.eq(&contact.language),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// One participant of a workout (removed ones included).
async fn load_participant(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    participant: Uuid,
) -> Result<Participant, ApiError> {
    load_participants(conn, workout, true)
        .await?
        .into_iter()
        .find(|p| p.id == participant)
        .ok_or(ApiError::NotFound("participant"))
}

/// Loads participants of a workout with their contacts.
pub async fn load_participants(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    include_removed: bool,
) -> Result<Vec<Participant>, ApiError> {
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let mut query = participants::table
        .inner_join(institutions::table.on(institutions::id.eq(participants::institution_id)))
        .filter(participants::workout_id.eq(workout))
        .order(participants::id.asc())
        .select((
            participants::id,
            participants::institution_id,
            institutions::name,
            participants::role,
            participants::added_at,
            participants::removed_at,
            participants::removed_reason,
        ))
        .into_boxed();
    if !include_removed {
        query = query.filter(participants::removed_at.is_null());
    }
    let rows: Vec<Row> = query.load(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let contacts: Vec<(Uuid, String, String, String)> = notice_contacts::table
        .filter(notice_contacts::participant_id.eq_any(&ids))
        .order(notice_contacts::id.asc())
        .select((
            notice_contacts::participant_id,
            notice_contacts::name,
            notice_contacts::email,
            notice_contacts::language,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, institution_id, institution_name, role, added_at, removed_at, removed_reason)| {
                Participant {
                    id,
                    institution_id,
                    institution_name,
                    role: ParticipantRole::parse(&role).unwrap_or(ParticipantRole::Observer),
                    contacts: contacts
                        .iter()
                        .filter(|c| c.0 == id)
                        .map(|(_, name, email, language)| NoticeContact {
                            name: name.clone(),
                            email: email.clone(),
                            language: language.clone(),
                        })
                        .collect(),
                    added_at,
                    removed_at,
                    removed_reason,
                }
            },
        )
        .collect())
}

/// `POST /registry/v1/workouts/{workout_id}/participants` (coordinator).
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/participants", tag = "workouts", security(("bearer" = [])),
    request_body = NewParticipant,
    params(("workout_id" = Uuid, Path, description = "Workout"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Participant), (status = 401, body = workout_http::Problem), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn add_participant_to_workout(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: JsonBody<NewParticipant>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let input = body.value;
    let mut errors = Vec::new();
    let contacts = valid_contacts(&input.contacts, &mut errors);
    if input.role == ParticipantRole::Coordinator {
        errors.push(FieldError::new(
            "role",
            "the coordinator is appointed through the mandates service",
        ));
    }
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        &body.fingerprint,
        async |conn| {
            let member = membership(conn, workout, &caller).await?;
            member.require_coordinator()?;
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            if member.workout.status.is_final() {
                return Err(ApiError::conflict(
                    "workout_closed",
                    "the workout is closed",
                ));
            }
            let Some(kind) = institution_kind(conn, input.institution_id).await? else {
                return Err(ApiError::invalid_field(
                    "institution_id",
                    "is not a registered institution",
                ));
            };
            let fits = match input.role {
                ParticipantRole::Borrower => kind == "borrower",
                ParticipantRole::Guarantor => {
                    kind == "guarantor" || kind == "borrower" || kind == "other_creditor"
                }
                ParticipantRole::Creditor => kind == "bank" || kind == "other_creditor",
                ParticipantRole::Advisor => kind == "advisor",
                ParticipantRole::Observer => kind != "platform_operator",
                ParticipantRole::Coordinator => false,
            };
            if !fits {
                return Err(ApiError::invalid_field(
                    "role",
                    format!("an institution of kind {kind} cannot take this role"),
                ));
            }
            let id = add_participant(conn, workout, input.institution_id, input.role).await?;
            insert_contacts(conn, id, &contacts).await?;
            let participant = load_participant(conn, workout, id).await?;
            record(
                conn,
                workout,
                member.actor(&caller),
                "participant_added",
                None,
                to_json(&participant)?,
            )
            .await?;
            Reply::created(
                format!("/registry/v1/workouts/{workout}/participants/{id}"),
                &participant,
            )
        },
    )
    .await
}

/// `?include_removed=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ParticipantQuery {
    /// Also list removed participants (their history stays).
    #[serde(default)]
    pub include_removed: bool,
}

/// `GET /registry/v1/workouts/{workout_id}/participants` (any participant).
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/participants", tag = "workouts", security(("bearer" = [])),
    params(("workout_id" = Uuid, Path, description = "Workout"), ParticipantQuery),
    responses((status = 200, body = [Participant]), (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
pub async fn list_participants(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<ParticipantQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller).await?;
    Ok(
        HttpResponse::Ok()
            .json(load_participants(&mut conn, workout, query.include_removed).await?),
    )
}

/// Why a participant is removed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    /// The reason, recorded.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/participants/{participant_id}/remove` (coordinator).
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/participants/{participant_id}/remove", tag = "workouts",
    security(("bearer" = [])), request_body = Removal,
    params(("workout_id" = Uuid, Path, description = "Workout"), ("participant_id" = Uuid, Path, description = "Participant"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = Participant), (status = 401, body = workout_http::Problem), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn remove_participant(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<Removal>,
) -> Result<HttpResponse, ApiError> {
    let (workout, participant) = path.into_inner();
    let reason = body.value.reason.trim().to_owned();
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        &body.fingerprint,
        async |conn| {
            let member = membership(conn, workout, &caller).await?;
            member.require_coordinator()?;
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(ApiError::invalid_field(
                    "reason",
                    "must be 1 to 500 characters",
                ));
            }
            let before = load_participant(conn, workout, participant).await?;
            if before.removed_at.is_some() {
                return Err(ApiError::conflict(
                    "already_removed",
                    "this participant was already removed",
                ));
            }
            if matches!(
                before.role,
                ParticipantRole::Coordinator | ParticipantRole::Borrower
            ) {
                return Err(ApiError::conflict(
                    "role_not_removable",
                    "the coordinator and the borrower cannot be removed here",
                ));
            }
            diesel::update(participants::table.find(participant))
                .set((
                    participants::removed_at.eq(diesel::dsl::now),
                    participants::removed_reason.eq(&reason),
                ))
                .execute(conn)
                .await?;
            let after = load_participant(conn, workout, participant).await?;
            record(
                conn,
                workout,
                member.actor(&caller),
                "participant_removed",
                Some(to_json(&before)?),
                to_json(&after)?,
            )
            .await?;
            Reply::ok(&after)
        },
    )
    .await
}

/// `GET /registry/v1/workouts/{workout_id}/audit` (any participant): the workout's audit chain as
/// JSON lines ending with its head.
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/audit", tag = "audit", security(("bearer" = [])),
    params(("workout_id" = Uuid, Path, description = "Workout")),
    responses((status = 200, description = "JSON lines: entries, then the head", content_type = "application/x-ndjson"),
        (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
pub async fn export_workout_audit(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller).await?;
    let lines = audit::export(&mut conn, workout).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .body(audit::to_json_lines(&lines)))
}

/// The roles of an institution in a workout (for other services).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberRoles {
    /// Workout.
    pub workout_id: Uuid,
    /// Institution.
    pub institution_id: Uuid,
    /// Active roles; empty when it takes no part.
    pub roles: Vec<ParticipantRole>,
    /// The workout's status.
    pub status: WorkoutStatus,
}

/// `GET /registry/v1/internal/workouts/{workout_id}/members/{institution_id}` (service token).
#[utoipa::path(get, path = "/registry/v1/internal/workouts/{workout_id}/members/{institution_id}", tag = "internal",
    security(("bearer" = [])),
    params(("workout_id" = Uuid, Path, description = "Workout"), ("institution_id" = Uuid, Path, description = "Institution")),
    responses((status = 200, body = MemberRoles), (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
pub async fn member_roles(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (workout, institution) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let status: String = workouts::table
        .find(workout)
        .select(workouts::status)
        .first(&mut conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("workout", e))?;
    let roles = roles_of(&mut conn, workout, institution).await?;
    Ok(HttpResponse::Ok().json(MemberRoles {
        workout_id: workout,
        institution_id: institution,
        roles,
        status: WorkoutStatus::parse(&status),
    }))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/participants` (service token): participants
/// with their notice contacts, for recipients.
#[utoipa::path(get, path = "/registry/v1/internal/workouts/{workout_id}/participants", tag = "internal", security(("bearer" = [])),
    params(("workout_id" = Uuid, Path, description = "Workout")),
    responses((status = 200, body = [Participant]), (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
pub async fn internal_participants(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let exists: i64 = workouts::table
        .find(workout)
        .count()
        .get_result(&mut conn)
        .await?;
    if exists == 0 {
        return Err(ApiError::NotFound("workout"));
    }
    Ok(HttpResponse::Ok().json(load_participants(&mut conn, workout, false).await?))
}

/// A status change decided by the service that owns the step.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The new status.
    pub status: WorkoutStatus,
    /// Why (required for closed and failed).
    pub reason: Option<String>,
}

/// `POST /registry/v1/internal/workouts/{workout_id}/status` (service token).
#[utoipa::path(post, path = "/registry/v1/internal/workouts/{workout_id}/status", tag = "internal", security(("bearer" = [])),
    request_body = StatusChange, params(("workout_id" = Uuid, Path, description = "Workout")),
    responses((status = 200, body = Workout), (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn change_status(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    service: ServiceCaller,
    path: web::Path<Uuid>,
    body: JsonBody<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let change = body.value;
    let reason = change
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if matches!(change.status, WorkoutStatus::Closed | WorkoutStatus::Failed) && reason.is_none() {
        return Err(ApiError::invalid_field(
            "reason",
            "is required to close or fail a workout",
        ));
    }
    idempotency::run(
        &state.pool,
        &req,
        &service,
        &body.fingerprint,
        async |conn| {
            let before: Workout = workouts::table
                .find(workout)
                .select(WORKOUT_COLUMNS)
                .for_update()
                .first::<WorkoutRow>(conn)
                .await
                .map_err(|e| workout_http::problem::from_diesel("workout", e))?
                .into();
            if before.status.is_final() {
                return Err(ApiError::conflict(
                    "workout_closed",
                    "the workout is closed",
                ));
            }
            let after: Workout = diesel::update(workouts::table.find(workout))
                .set((
                    workouts::status.eq(change.status.as_str()),
                    workouts::status_reason.eq(&reason),
                ))
                .returning(WORKOUT_COLUMNS)
                .get_result::<WorkoutRow>(conn)
                .await?
                .into();
            let actor = Actor::default();
            let mut event = to_json(&after)?;
            event["changed_by_service"] = serde_json::Value::String(service.client.clone());
            record(
                conn,
                workout,
                actor,
                "workout_status_changed",
                Some(to_json(&before)?),
                event,
            )
            .await?;
            Reply::ok(&after)
        },
    )
    .await
}

/// The coordinator appointed by the mandates service.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    /// The institution appointed: an active creditor of the workout.
    pub institution_id: Uuid,
    /// Why the change (e.g. the mandate's id and decision).
    pub reason: String,
}

/// `PUT /registry/v1/internal/workouts/{workout_id}/coordinator` (service token): the mandates
/// service appoints the coordinator; the previous one (the acting coordinator, or an earlier
/// mandate) is removed from that role, with the reason.
#[utoipa::path(put, path = "/registry/v1/internal/workouts/{workout_id}/coordinator", tag = "internal", security(("bearer" = [])),
    request_body = Appointment, params(("workout_id" = Uuid, Path, description = "Workout")),
    responses((status = 200, body = [Participant]), (status = 401, body = workout_http::Problem), (status = 404, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn appoint_coordinator(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    service: ServiceCaller,
    path: web::Path<Uuid>,
    body: JsonBody<Appointment>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let appointment = body.value;
    let reason = appointment.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid_field(
            "reason",
            "must be 1 to 500 characters",
        ));
    }
    idempotency::run(
        &state.pool,
        &req,
        &service,
        &body.fingerprint,
        async |conn| {
            let status: String = workouts::table
                .find(workout)
                .select(workouts::status)
                .for_update()
                .first(conn)
                .await
                .map_err(|e| workout_http::problem::from_diesel("workout", e))?;
            if WorkoutStatus::parse(&status).is_final() {
                return Err(ApiError::conflict(
                    "workout_closed",
                    "the workout is closed",
                ));
            }
            let roles = roles_of(conn, workout, appointment.institution_id).await?;
            if !roles.contains(&ParticipantRole::Creditor) {
                return Err(ApiError::invalid_field(
                    "institution_id",
                    "is not an active creditor of this workout",
                ));
            }
            let before = load_participants(conn, workout, false).await?;
            if roles.contains(&ParticipantRole::Coordinator) {
                return Reply::ok(&before);
            }
            diesel::update(participants::table)
                .filter(participants::workout_id.eq(workout))
                .filter(participants::role.eq(ParticipantRole::Coordinator.as_str()))
                .filter(participants::removed_at.is_null())
                .set((
                    participants::removed_at.eq(diesel::dsl::now),
                    participants::removed_reason.eq(&reason),
                ))
                .execute(conn)
                .await?;
            add_participant(
                conn,
                workout,
                appointment.institution_id,
                ParticipantRole::Coordinator,
            )
            .await?;
            let after = load_participants(conn, workout, false).await?;
            let event = serde_json::json!({
                "workout_id": workout, "coordinator": appointment.institution_id, "reason": reason,
                "appointed_by_service": service.client.clone(),
            });
            let previous: Vec<Uuid> = before
                .iter()
                .filter(|p| p.role == ParticipantRole::Coordinator)
                .map(|p| p.institution_id)
                .collect();
            record(
                conn,
                workout,
                Actor::default(),
                "coordinator_appointed",
                Some(serde_json::json!({"coordinators": previous})),
                event,
            )
            .await?;
            Reply::ok(&after)
        },
    )
    .await
}

/// New notice contacts for a participant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// The contacts that replace the current ones (at least one).
    pub contacts: Vec<NoticeContact>,
}

/// `PUT /registry/v1/workouts/{workout_id}/participants/{participant_id}/contacts` (the coordinator,
/// or the participant's own institution): replaces where its notices go.
#[utoipa::path(put, path = "/registry/v1/workouts/{workout_id}/participants/{participant_id}/contacts", tag = "workouts",
    security(("bearer" = [])), request_body = Contacts,
    params(("workout_id" = Uuid, Path, description = "Workout"), ("participant_id" = Uuid, Path, description = "Participant")),
    responses((status = 200, body = Participant), (status = 401, body = workout_http::Problem), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn replace_contacts(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<Contacts>,
) -> Result<HttpResponse, ApiError> {
    let (workout, participant) = path.into_inner();
    let mut errors = Vec::new();
    let contacts = valid_contacts(&body.value.contacts, &mut errors);
    let updated = transaction(&state.pool, async |conn| {
        let member = membership(conn, workout, &caller).await?;
        let before = load_participant(conn, workout, participant).await?;
        if !member.has(ParticipantRole::Coordinator) && before.institution_id != member.institution
        {
            return Err(ApiError::Forbidden(
                "only the coordinator or the participant itself changes its contacts".to_owned(),
            ));
        }
        if before.removed_at.is_some() {
            return Err(ApiError::conflict(
                "already_removed",
                "this participant was removed",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        diesel::delete(
            notice_contacts::table.filter(notice_contacts::participant_id.eq(participant)),
        )
        .execute(conn)
        .await?;
        insert_contacts(conn, participant, &contacts).await?;
        let after = load_participant(conn, workout, participant).await?;
        record(
            conn,
            workout,
            member.actor(&caller),
            "participant_contacts_changed",
            Some(to_json(&before)?),
            to_json(&after)?,
        )
        .await?;
        Ok(after)
    })
    .await?;
    Ok(HttpResponse::Ok().json(updated))
}
