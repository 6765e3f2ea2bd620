//! Institutions: register one (platform admins), list and read them.
//!
//! Rules: only platform admins register institutions; a user sees their own institution, a
//! platform admin sees all, anyone else gets 404. A LEI, when given, has valid check digits and is
//! unique on the platform.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{InstitutionId, InstitutionKind, Lei, RegistryTopic, text};
use workout_http::input::{self, Query};
use workout_http::{ApiError, Caller, FieldError, JsonBody, Page, PageQuery, PlatformAdmin};
use workout_store::audit::Actor;
use workout_store::{Reply, idempotency};

use crate::RegistryState;
use crate::schema::institutions;

/// A request to register an institution.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstitution {
    /// Kind.
    pub kind: InstitutionKind,
    /// Legal name: one line of 1 to 200 characters.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `SA`.
    pub country: String,
    /// ISO 17442 Legal Entity Identifier (20 characters, check digits verified).
    pub lei: Option<String>,
}

/// An institution.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Institution {
    /// Id.
    pub id: Uuid,
    /// Kind.
    pub kind: InstitutionKind,
    /// Legal name.
    pub name: String,
    /// Country.
    pub country: String,
    /// LEI.
    pub lei: Option<String>,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

/// An `institutions` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = institutions, check_for_backend(diesel::pg::Pg))]
pub(super) struct InstitutionRow {
    id: Uuid,
    kind: String,
    name: String,
    country: String,
    lei: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<InstitutionRow> for Institution {
    type Error = ApiError;

    fn try_from(row: InstitutionRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            kind: row.kind.parse()?,
            name: row.name,
            country: row.country,
            lei: row.lei,
            created_at: row.created_at,
        })
    }
}

/// The checked form of [`NewInstitution`].
pub(super) struct ValidInstitution {
    pub(super) kind: InstitutionKind,
    pub(super) name: String,
    pub(super) country: String,
    pub(super) lei: Option<Lei>,
}

impl TryFrom<NewInstitution> for ValidInstitution {
    type Error = ApiError;

    fn try_from(input: NewInstitution) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if input.kind == InstitutionKind::PlatformOperator {
            // The operator exists once, made by `workoutd create-admin`; another would hold
            // platform admins no one appointed.
            errors.push(FieldError::new(
                "kind",
                "platform_operator is not registered through the API",
            ));
        }
        let name = input::text_to(&mut errors, "name", text::NAME, &input.name);
        let country = input.country.trim().to_ascii_uppercase();
        if !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())) {
            errors.push(FieldError::new(
                "country",
                "must be an ISO 3166-1 alpha-2 code such as SA",
            ));
        }
        let lei = match input.lei.as_deref().map(Lei::parse).transpose() {
            Ok(lei) => lei,
            Err(error) => {
                errors.push(FieldError::new("lei", error.to_string()));
                None
            }
        };
        match name {
            Some(name) if errors.is_empty() => Ok(Self {
                kind: input.kind,
                name,
                country,
                lei,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// `POST /registry/v1/institutions` (platform admin).
#[utoipa::path(tag = "institutions", security(("bearer" = [])),
    request_body = NewInstitution,
    responses((status = 201, body = Institution),
        (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/institutions")]
pub async fn create_institution(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    PlatformAdmin(caller): PlatformAdmin,
    body: JsonBody<NewInstitution>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let input = ValidInstitution::try_from(body.value)?;
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        &body.fingerprint,
        async |conn| {
            let institution = insert_institution(conn, &input).await?;
            super::record_platform(
                conn,
                &Actor::from(&caller),
                RegistryTopic::InstitutionCreated,
                None,
                &institution,
            )
            .await?;
            Reply::created(
                format!("/registry/v1/institutions/{}", institution.id),
                &institution,
            )
        },
    )
    .await
}

/// Inserts an institution; 409 when its LEI is taken.
pub(super) async fn insert_institution(
    conn: &mut AsyncPgConnection,
    input: &ValidInstitution,
) -> Result<Institution, ApiError> {
    let row: InstitutionRow = diesel::insert_into(institutions::table)
        .values((
            institutions::id.eq(InstitutionId::new().into_uuid()),
            institutions::kind.eq(input.kind.as_str()),
            institutions::name.eq(&input.name),
            institutions::country.eq(&input.country),
            institutions::lei.eq(input.lei.as_ref().map(Lei::as_str)),
        ))
        .returning(InstitutionRow::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("an institution with this LEI", e))?;
    row.try_into()
}

/// `GET /registry/v1/institutions`: all for platform admins, else the caller's own.
#[utoipa::path(tag = "institutions", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = Page<Institution>)))]
#[get("/v1/institutions")]
pub async fn list_institutions(
    state: web::Data<RegistryState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after()?);
    let mut conn = state.pool.get().await?;
    let mut select = institutions::table
        .filter(institutions::id.gt(after))
        .order(institutions::id.asc())
        .limit(limit + 1)
        .select(InstitutionRow::as_select())
        .into_boxed();
    if !caller.is_platform_admin() {
        select = select.filter(institutions::id.eq(caller.institution_id.into_uuid()));
    }
    let rows: Vec<InstitutionRow> = select.load(&mut conn).await?;
    let items = rows
        .into_iter()
        .map(Institution::try_from)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(Page::from_rows(items, limit, |i: &Institution| i.id)))
}

/// `GET /registry/v1/institutions/{institution_id}`
#[utoipa::path(tag = "institutions", security(("bearer" = [])),
    responses((status = 200, body = Institution)))]
#[get("/v1/institutions/{institution_id}")]
pub async fn get_institution(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<InstitutionId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if !caller.is_platform_admin() && caller.institution_id != id {
        return Err(ApiError::NotFound("institution"));
    }
    let mut conn = state.pool.get().await?;
    let row: InstitutionRow = institutions::table
        .find(id.into_uuid())
        .select(InstitutionRow::as_select())
        .first(&mut conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("institution", e))?;
    Ok(HttpResponse::Ok().json(Institution::try_from(row)?))
}

/// The kind of institution `id`, if it is registered.
pub async fn institution_kind(
    conn: &mut AsyncPgConnection,
    id: InstitutionId,
) -> Result<Option<InstitutionKind>, ApiError> {
    let kind: Option<String> = institutions::table
        .find(id.into_uuid())
        .select(institutions::kind)
        .first(conn)
        .await
        .optional()?;
    Ok(kind.map(|kind| kind.parse()).transpose()?)
}
