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
use workout_domain::{
    Action, BusinessCalendar, CreditorClass, Currency, Email, InstitutionKind, ParticipantRole,
    RegistryTopic, WorkoutId,
};
use workout_http::{
    Access, ApiError, Caller, FieldError, JsonBody, Page, PageQuery, ServiceCaller, Window,
};
use workout_store::audit::{self, Actor};
use workout_store::record::to_json;
use workout_store::{Chain, Reply, idempotency, record};

pub use workout_domain::registry_api::{
    Appointment, MemberRoles, NoticeContact, Participant, StatusChange, Workout,
};

use crate::RegistryState;
use crate::schema::{institutions, notice_contacts, participants, workouts};

/// A `workouts` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = workouts, check_for_backend(diesel::pg::Pg))]
pub struct WorkoutRow {
    id: Uuid,
    reference: String,
    borrower_id: Uuid,
    base_currency: String,
    calendar: String,
    governing_law: String,
    opened_on: NaiveDate,
    status: String,
    status_reason: Option<String>,
    classes: Vec<Option<String>>,
    opened_by: Uuid,
    created_at: DateTime<Utc>,
}

// (PostgreSQL arrays may hold NULLs, so diesel reads `text[]` as `Vec<Option<String>>`.)
impl TryFrom<WorkoutRow> for Workout {
    type Error = ApiError;

    fn try_from(row: WorkoutRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            reference: row.reference,
            borrower_id: row.borrower_id,
            base_currency: row.base_currency,
            calendar: row.calendar,
            governing_law: row.governing_law,
            opened_on: row.opened_on,
            status: row.status.parse()?,
            status_reason: row.status_reason,
            classes: row
                .classes
                .into_iter()
                .map(|class| {
                    class.ok_or_else(|| {
                        ApiError::Internal(anyhow::anyhow!("stored value: a NULL creditor class"))
                    })
                })
                .collect::<Result<_, _>>()?,
            opened_by: row.opened_by,
            created_at: row.created_at,
        })
    }
}

/// The workout `id`, locked for update when `lock`.
async fn load_workout(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Workout, ApiError> {
    let query = workouts::table.find(id).select(WorkoutRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    row.map_err(|e| workout_http::problem::from_diesel("workout", e))?
        .try_into()
}

/// The caller's institution's place in a workout: the workout and the caller's [`Access`]
/// (`member.require(action)`, `member.positions()`).
#[derive(Debug, Clone)]
pub struct Membership {
    /// The workout.
    pub workout: Workout,
    /// The caller's access to it.
    pub access: Access,
}

impl std::ops::Deref for Membership {
    type Target = Access;

    fn deref(&self) -> &Access {
        &self.access
    }
}

/// The active roles of `institution` in `workout`.
pub async fn roles_of(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    institution: Uuid,
) -> Result<Vec<ParticipantRole>, ApiError> {
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
        .map(|role| role.parse())
        .collect::<Result<_, _>>()?)
}

/// The caller's membership of `workout`: 404 when the caller's institution takes no part in it.
pub async fn membership(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    caller: &Caller,
) -> Result<Membership, ApiError> {
    let roles = roles_of(conn, workout, caller.institution_id.into_uuid()).await?;
    let access = Access::new(WorkoutId::from_uuid(workout), caller.institution_id, roles)?;
    Ok(Membership {
        workout: load_workout(conn, workout, false).await?,
        access,
    })
}

/// A deciding use case's view of the caller: its membership (`require`, `positions`, the
/// workout) and the means to record the change it decides, as the caller, on the workout's chain.
pub struct Decision {
    member: Membership,
    actor: Actor,
}

impl std::ops::Deref for Decision {
    type Target = Membership;

    fn deref(&self) -> &Membership {
        &self.member
    }
}

impl Decision {
    /// Records the change (audit entry and event `topic` carrying `after`) in `conn`'s transaction.
    pub async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        topic: RegistryTopic,
        before: Option<serde_json::Value>,
        after: &impl Serialize,
    ) -> Result<(), ApiError> {
        let chain = chain(self.member.workout.id);
        record(conn, chain, &self.actor, topic, before, after).await?;
        Ok(())
    }
}

/// Runs a deciding use case of `workout` for `caller`: under the request's `Idempotency-Key`, in
/// one transaction, with the caller's membership loaded (404 for outsiders) and `action` required
/// of it (403 otherwise) before `use_case` runs. Inputs that need the database to check are
/// checked inside `use_case`; authorization always comes first.
pub async fn decide(
    state: &RegistryState,
    req: &HttpRequest,
    caller: &Caller,
    fingerprint: &str,
    workout: Uuid,
    action: Option<Action>,
    use_case: impl AsyncFnOnce(&mut AsyncPgConnection, Decision) -> Result<Reply, ApiError>,
) -> Result<HttpResponse, ApiError> {
    idempotency::run(&state.pool, req, caller, fingerprint, async |conn| {
        let member = membership(conn, workout, caller).await?;
        if let Some(action) = action {
            member.require(action)?;
        }
        let actor = Actor::from(caller);
        use_case(conn, Decision { member, actor }).await
    })
    .await
}

/// The chain of `workout`.
pub fn chain(workout: Uuid) -> Chain {
    Chain::Workout(WorkoutId::from_uuid(workout))
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

/// The kind of institution `id`, if it is registered.
pub async fn institution_kind(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<InstitutionKind>, ApiError> {
    let kind: Option<String> = institutions::table
        .find(id)
        .select(institutions::kind)
        .first(conn)
        .await
        .optional()?;
    Ok(kind.map(|kind| kind.parse()).transpose()?)
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
    responses((status = 201, body = Workout), (status = 403, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem)))]
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
            if !institution_kind(conn, opener)
                .await?
                .is_some_and(InstitutionKind::may_open_workouts)
            {
                return Err(ApiError::Forbidden("only banks open workouts".to_owned()));
            }
            if institution_kind(conn, input.borrower_id).await? != Some(InstitutionKind::Borrower) {
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
                .returning(WorkoutRow::as_returning())
                .get_result(conn)
                .await
                .map_err(|e| {
                    workout_http::problem::from_diesel("a workout with this reference", e)
                })?;
            let workout = Workout::try_from(row)?;
            add_participant(conn, workout.id, opener, ParticipantRole::Creditor).await?;
            add_participant(conn, workout.id, opener, ParticipantRole::Coordinator).await?;
            add_participant(
                conn,
                workout.id,
                workout.borrower_id,
                ParticipantRole::Borrower,
            )
            .await?;
            record(
                conn,
                chain(workout.id),
                &Actor::from(&caller),
                RegistryTopic::WorkoutOpened,
                None,
                &workout,
            )
            .await?;
            Reply::created(format!("/registry/v1/workouts/{}", workout.id), &workout)
        },
    )
    .await
}

/// `GET /registry/v1/workouts`: the workouts the caller's institution takes part in.
#[utoipa::path(get, path = "/registry/v1/workouts", tag = "workouts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<Workout>)))]
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
        .select(WorkoutRow::as_select())
        .load(&mut conn)
        .await?;
    let items = rows
        .into_iter()
        .map(Workout::try_from)
        .collect::<Result<_, _>>()?;
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
    responses((status = 200, body = WorkoutView)))]
pub async fn get_workout(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, path.into_inner(), &caller).await?;
    Ok(HttpResponse::Ok().json(WorkoutView {
        workout: member.workout,
        my_roles: member.access.roles,
    }))
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
    let only = ParticipantFilter {
        include_removed: true,
        id: Some(participant),
        window: None,
    };
    load_participants(conn, workout, only)
        .await?
        .into_iter()
        .find(|p| p.id == participant)
        .ok_or(ApiError::NotFound("participant"))
}

/// Which participants [`load_participants`] reads: by default the active ones, all of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParticipantFilter {
    /// Also the removed ones.
    pub include_removed: bool,
    /// Only this one.
    pub id: Option<Uuid>,
    /// Only this page.
    pub window: Option<Window>,
}

/// Loads participants of a workout with their contacts, ordered by id.
pub async fn load_participants(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    filter: ParticipantFilter,
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
    if !filter.include_removed {
        query = query.filter(participants::removed_at.is_null());
    }
    if let Some(id) = filter.id {
        query = query.filter(participants::id.eq(id));
    }
    if let Some(window) = filter.window {
        query = query
            .filter(participants::id.gt(window.after))
            .limit(window.fetch());
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
    rows.into_iter()
        .map(
            |(id, institution_id, institution_name, role, added_at, removed_at, removed_reason)| {
                Ok(Participant {
                    id,
                    institution_id,
                    institution_name,
                    role: role.parse()?,
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
                })
            },
        )
        .collect()
}

/// `POST /registry/v1/workouts/{workout_id}/participants` (coordinator).
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/participants", tag = "workouts", security(("bearer" = [])),
    request_body = NewParticipant,
    responses((status = 201, body = Participant), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
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
    if !input.role.is_added_directly() {
        errors.push(FieldError::new(
            "role",
            "the coordinator is appointed through the mandates service",
        ));
    }
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        Some(Action::AddParticipant),
        async |conn, member| {
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
            if !kind.may_take(input.role) {
                return Err(ApiError::invalid_field(
                    "role",
                    format!("an institution of kind {kind} cannot take this role"),
                ));
            }
            let id = add_participant(conn, workout, input.institution_id, input.role).await?;
            insert_contacts(conn, id, &contacts).await?;
            let participant = load_participant(conn, workout, id).await?;
            member
                .record(conn, RegistryTopic::ParticipantAdded, None, &participant)
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
    params(ParticipantQuery, PageQuery),
    responses((status = 200, body = Page<Participant>)))]
pub async fn list_participants(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<ParticipantQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller).await?;
    let filter = ParticipantFilter {
        include_removed: query.include_removed,
        window: Some(window),
        ..ParticipantFilter::default()
    };
    let rows = load_participants(&mut conn, workout, filter).await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |p: &Participant| p.id)))
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
    responses((status = 200, body = Participant), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn remove_participant(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<Removal>,
) -> Result<HttpResponse, ApiError> {
    let (workout, participant) = path.into_inner();
    let reason = body.value.reason.trim().to_owned();
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        Some(Action::RemoveParticipant),
        async |conn, member| {
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
            if !before.role.is_removable() {
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
            member
                .record(
                    conn,
                    RegistryTopic::ParticipantRemoved,
                    Some(to_json(&before)?),
                    &after,
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
    responses((status = 200, description = "JSON lines: entries, then the head", content_type = "application/x-ndjson")))]
pub async fn export_workout_audit(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ExportAudit)?;
    let lines = audit::export(&mut conn, workout).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .body(audit::to_json_lines(&lines)))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/members/{institution_id}` (service token).
#[utoipa::path(get, path = "/registry/v1/internal/workouts/{workout_id}/members/{institution_id}", tag = "internal",
    security(("bearer" = [])),
    responses((status = 200, body = MemberRoles)))]
pub async fn member_roles(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (workout, institution) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let status = load_workout(&mut conn, workout, false).await?.status;
    let roles = roles_of(&mut conn, workout, institution).await?;
    Ok(HttpResponse::Ok().json(MemberRoles {
        workout_id: workout,
        institution_id: institution,
        roles,
        status,
    }))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/participants` (service token): participants
/// with their notice contacts, for recipients.
#[utoipa::path(get, path = "/registry/v1/internal/workouts/{workout_id}/participants", tag = "internal", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Participant>)))]
pub async fn internal_participants(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<Uuid>,
    page: web::Query<PageQuery>,
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
    let window = page.window()?;
    let all = ParticipantFilter {
        window: Some(window),
        ..ParticipantFilter::default()
    };
    let rows = load_participants(&mut conn, workout, all).await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |p: &Participant| p.id)))
}

/// `POST /registry/v1/internal/workouts/{workout_id}/status` (service token).
#[utoipa::path(post, path = "/registry/v1/internal/workouts/{workout_id}/status", tag = "internal", security(("bearer" = [])),
    request_body = StatusChange, responses((status = 200, body = Workout),
        (status = 409, body = workout_http::Problem)))]
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
    if change.status.needs_reason() && reason.is_none() {
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
            let before = load_workout(conn, workout, true).await?;
            if before.status.is_final() {
                return Err(ApiError::conflict(
                    "workout_closed",
                    "the workout is closed",
                ));
            }
            if !before.status.may_become(change.status) {
                return Err(ApiError::conflict(
                    "status_transition_not_allowed",
                    format!(
                        "a workout in status {} cannot move to {}",
                        before.status, change.status
                    ),
                ));
            }
            let after = Workout::try_from(
                diesel::update(workouts::table.find(workout))
                    .set((
                        workouts::status.eq(change.status.as_str()),
                        workouts::status_reason.eq(&reason),
                    ))
                    .returning(WorkoutRow::as_returning())
                    .get_result(conn)
                    .await?,
            )?;
            let mut event = to_json(&after)?;
            event["changed_by_service"] = serde_json::Value::String(service.client.clone());
            record(
                conn,
                chain(workout),
                &Actor::from(&service),
                RegistryTopic::WorkoutStatusChanged,
                Some(to_json(&before)?),
                &event,
            )
            .await?;
            Reply::ok(&after)
        },
    )
    .await
}

/// `PUT /registry/v1/internal/workouts/{workout_id}/coordinator` (service token): the mandates
/// service appoints the coordinator; the previous one (the acting coordinator, or an earlier
/// mandate) is removed from that role, with the reason.
#[utoipa::path(put, path = "/registry/v1/internal/workouts/{workout_id}/coordinator", tag = "internal", security(("bearer" = [])),
    request_body = Appointment, responses((status = 200, body = [Participant]),
        (status = 409, body = workout_http::Problem)))]
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
            if load_workout(conn, workout, true).await?.status.is_final() {
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
            let before = load_participants(conn, workout, ParticipantFilter::default()).await?;
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
            let after = load_participants(conn, workout, ParticipantFilter::default()).await?;
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
                chain(workout),
                &Actor::from(&service),
                RegistryTopic::CoordinatorAppointed,
                Some(serde_json::json!({"coordinators": previous})),
                &event,
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
    responses((status = 200, body = Participant), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn replace_contacts(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<Contacts>,
) -> Result<HttpResponse, ApiError> {
    let (workout, participant) = path.into_inner();
    let mut errors = Vec::new();
    let contacts = valid_contacts(&body.value.contacts, &mut errors);
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        None,
        async |conn, member| {
            let before = load_participant(conn, workout, participant).await?;
            if before.institution_id != member.institution.into_uuid() {
                member.require(Action::ChangeOthersContacts)?;
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
            member
                .record(
                    conn,
                    RegistryTopic::ParticipantContactsChanged,
                    Some(to_json(&before)?),
                    &after,
                )
                .await?;
            Reply::ok(&after)
        },
    )
    .await
}
