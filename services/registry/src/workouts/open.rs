//! Opening a workout: a bank opens a case for a borrower institution.
//!
//! Rules: only banks open workouts, for an institution of kind `borrower`; the reference is unique
//! on the platform. The opening bank becomes a creditor and the acting coordinator (until the
//! mandates service appoints one), the borrower a participant. Creditor classes default to
//! `secured`, `unsecured`, `related_party` and `preferential`; the calendar to `SA`.
//!
//! Notice contacts: the opening bank names where its notices go (at least one contact, kept for
//! its creditor and its coordinator role), like every participant added later. The borrower's
//! contacts may come with the opening request or later (`PUT .../participants/{id}/contacts`, by
//! the coordinator or the borrower); they are needed before the first formal notice to the
//! borrower is due (`WORKOUT_TRANSFER_NOTICE`, 5 business days after the opening date), and the
//! participant list shows a participant without contacts by an empty `contacts`. If the borrower
//! still has none when that notice is due, `registry.notice_contacts_missing` is announced once
//! (see `participants::notice_check`).

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::{NoticeContact, Workout};
use workout_domain::{
    BoundedDate, BusinessCalendar, CreditorClass, Currency, InstitutionId, InstitutionKind,
    ParticipantRole, RegistryTopic, WorkoutId, text,
};
use workout_http::input::text_to;
use workout_http::{ApiError, Caller, FieldError, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Reply, idempotency, record};

use super::membership::{WorkoutRow, add_role, chain};
use crate::RegistryState;
use crate::identity::institutions::institution_kind;
use crate::participants::contacts::{insert_contacts, valid_contacts};
use crate::participants::notice_check::schedule_notice_contacts_check;
use crate::schema::workouts;

/// A request to open a workout.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkout {
    /// Case reference, unique among the opening bank's cases: one line of 1 to 60 characters.
    pub reference: String,
    /// The borrower: an institution of kind `borrower`.
    pub borrower_id: Uuid,
    /// Base currency (ISO 4217), e.g. `SAR`.
    pub base_currency: String,
    /// Business calendar; default `SA`.
    pub calendar: Option<String>,
    /// Governing law, e.g. `Kingdom of Saudi Arabia`: one line of 1 to 200 characters.
    pub governing_law: String,
    /// Opening date.
    pub opened_on: BoundedDate,
    /// Creditor classes; default `secured`, `unsecured`, `related_party`, `preferential`.
    pub classes: Option<Vec<String>>,
    /// Where the opening bank's notices go (at least one), for its creditor and coordinator roles.
    pub contacts: Vec<NoticeContact>,
    /// Where the borrower's formal notices go; may be given later, but before the first notice to
    /// the borrower is due.
    pub borrower_contacts: Option<Vec<NoticeContact>>,
}

struct ValidWorkout {
    reference: String,
    borrower_id: InstitutionId,
    base_currency: Currency,
    calendar: String,
    governing_law: String,
    opened_on: NaiveDate,
    classes: Vec<CreditorClass>,
    contacts: Vec<NoticeContact>,
    borrower_contacts: Vec<NoticeContact>,
}

impl TryFrom<NewWorkout> for ValidWorkout {
    type Error = ApiError;

    fn try_from(input: NewWorkout) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let reference = text_to(&mut errors, "reference", text::REFERENCE, &input.reference);
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
        let governing_law = text_to(
            &mut errors,
            "governing_law",
            text::NAME,
            &input.governing_law,
        );
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
        let contacts = valid_contacts("contacts", &input.contacts, &mut errors);
        let borrower_contacts = input
            .borrower_contacts
            .map(|given| valid_contacts("borrower_contacts", &given, &mut errors))
            .unwrap_or_default();
        match (base_currency, reference, governing_law) {
            (Some(base_currency), Some(reference), Some(governing_law)) if errors.is_empty() => {
                Ok(Self {
                    reference,
                    borrower_id: InstitutionId::from_uuid(input.borrower_id),
                    base_currency,
                    calendar,
                    governing_law,
                    opened_on: input.opened_on.get(),
                    classes,
                    contacts,
                    borrower_contacts,
                })
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// `POST /registry/v1/workouts`: a bank opens a workout.
#[utoipa::path(tag = "workouts", security(("bearer" = [])), request_body = NewWorkout,
    responses((status = 201, body = Workout), (status = 403, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts")]
pub async fn open_workout(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    body: JsonBody<NewWorkout>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let input = ValidWorkout::try_from(body.value)?;
    let opener = caller.institution_id;
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
                    workouts::borrower_id.eq(input.borrower_id.into_uuid()),
                    workouts::base_currency.eq(input.base_currency.as_str()),
                    workouts::calendar.eq(&input.calendar),
                    workouts::governing_law.eq(&input.governing_law),
                    workouts::opened_on.eq(input.opened_on),
                    workouts::classes.eq(input
                        .classes
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect::<Vec<_>>()),
                    workouts::opened_by.eq(opener.into_uuid()),
                ))
                .returning(WorkoutRow::as_returning())
                .get_result(conn)
                .await
                .map_err(|e| {
                    workout_http::problem::from_diesel("a workout with this reference", e)
                })?;
            let workout = Workout::try_from(row)?;
            let id = WorkoutId::from_uuid(workout.id);
            for role in [ParticipantRole::Creditor, ParticipantRole::Coordinator] {
                let participant = add_role(conn, id, opener, role).await?;
                insert_contacts(conn, participant, &input.contacts).await?;
            }
            let borrower = add_role(conn, id, input.borrower_id, ParticipantRole::Borrower).await?;
            insert_contacts(conn, borrower, &input.borrower_contacts).await?;
            schedule_notice_contacts_check(conn, id, input.opened_on, &input.calendar).await?;
            record(
                conn,
                chain(id),
                &Actor::from(&caller),
                RegistryTopic::WorkoutOpened,
                RegistryTopic::WorkoutOpened.disclosure(None),
                None,
                &workout,
            )
            .await?;
            Reply::created(format!("/registry/v1/workouts/{id}"), &workout)
        },
    )
    .await
}
