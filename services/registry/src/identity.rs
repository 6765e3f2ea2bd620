//! Institutions and their users.
//!
//! Rules: only platform admins create institutions; a user sees their own institution, a platform
//! admin sees all, anyone else gets 404 (existence does not leak). Users are managed by platform
//! admins and by their own institution's admins; an institution admin asking about another
//! institution's users gets 404, a member asking about their own institution's users gets 403.
//! Only a platform admin can make another platform admin, and only within the platform operator.
//! Every change is one transaction with its audit entry (platform chain) and its outbox event.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{
    Email, InstitutionId, InstitutionKind, Lei, RegistryTopic, SessionId, UserId,
};
use workout_http::{
    ApiError, Caller, FieldError, JsonBody, Page, PageQuery, PlatformAdmin, PlatformRole,
};
use workout_store::audit::Actor;
use workout_store::{Chain, Reply, idempotency, record, transaction};

use crate::RegistryState;
use crate::auth::{hash_password, revoke};
use crate::schema::{institutions, sessions, users};
use workout_store::record::to_json;

/// A request to register an institution.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstitution {
    /// Kind.
    pub kind: InstitutionKind,
    /// Legal name, 1 to 200 characters.
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
struct InstitutionRow {
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

fn name_field(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        errors.push(FieldError::new(field, "must be 1 to 200 characters"));
    }
    trimmed.to_owned()
}

struct ValidInstitution {
    kind: InstitutionKind,
    name: String,
    country: String,
    lei: Option<Lei>,
}

impl TryFrom<NewInstitution> for ValidInstitution {
    type Error = ApiError;

    fn try_from(input: NewInstitution) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let name = name_field("name", &input.name, &mut errors);
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
        if errors.is_empty() {
            Ok(Self {
                kind: input.kind,
                name,
                country,
                lei,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// `POST /registry/v1/institutions` (platform admin).
#[utoipa::path(post, path = "/registry/v1/institutions", tag = "institutions", security(("bearer" = [])),
    request_body = NewInstitution,
    responses((status = 201, body = Institution),
        (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn create_institution(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    PlatformAdmin(caller): PlatformAdmin,
    body: JsonBody<NewInstitution>,
) -> Result<HttpResponse, ApiError> {
    let input = ValidInstitution::try_from(body.value)?;
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        &body.fingerprint,
        async |conn| {
            let institution = insert_institution(conn, &input).await?;
            record(
                conn,
                Chain::Platform,
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

async fn insert_institution(
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
#[utoipa::path(get, path = "/registry/v1/institutions", tag = "institutions", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = Page<Institution>)))]
pub async fn list_institutions(
    state: web::Data<RegistryState>,
    caller: Caller,
    query: web::Query<PageQuery>,
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
#[utoipa::path(get, path = "/registry/v1/institutions/{institution_id}", tag = "institutions", security(("bearer" = [])),
    responses((status = 200, body = Institution)))]
pub async fn get_institution(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if !caller.is_platform_admin() && caller.institution_id.into_uuid() != id {
        return Err(ApiError::NotFound("institution"));
    }
    let mut conn = state.pool.get().await?;
    let row: InstitutionRow = institutions::table
        .find(id)
        .select(InstitutionRow::as_select())
        .first(&mut conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("institution", e))?;
    Ok(HttpResponse::Ok().json(Institution::try_from(row)?))
}

/// A request to create a user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// E-mail, used to sign in; unique on the platform.
    pub email: String,
    /// Name shown to others, 1 to 200 characters.
    pub display_name: String,
    /// Platform role.
    pub role: PlatformRole,
    /// Initial password, 12 to 256 characters.
    pub password: String,
}

/// A user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Institution the user acts for.
    pub institution_id: Uuid,
    /// E-mail.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Platform role.
    pub role: PlatformRole,
    /// Whether the user can no longer sign in.
    pub disabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

type UserRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

const USER_COLUMNS: (
    users::id,
    users::institution_id,
    users::email,
    users::display_name,
    users::role,
    users::disabled_at,
    users::created_at,
) = (
    users::id,
    users::institution_id,
    users::email,
    users::display_name,
    users::role,
    users::disabled_at,
    users::created_at,
);

impl From<UserRow> for User {
    fn from(
        (id, institution_id, email, display_name, role, disabled_at, created_at): UserRow,
    ) -> Self {
        Self {
            id,
            institution_id,
            email,
            display_name,
            role: PlatformRole::parse(&role).unwrap_or(PlatformRole::Member),
            disabled: disabled_at.is_some(),
            created_at,
        }
    }
}

/// The checked form of [`NewUser`].
pub struct ValidUser {
    email: Email,
    display_name: String,
    role: PlatformRole,
    password: String,
}

impl TryFrom<NewUser> for ValidUser {
    type Error = ApiError;

    fn try_from(input: NewUser) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let email = Email::parse(&input.email.to_lowercase())
            .map_err(|e| errors.push(FieldError::new("email", e.to_string())))
            .ok();
        let display_name = name_field("display_name", &input.display_name, &mut errors);
        let length = input.password.chars().count();
        if !(12..=256).contains(&length) {
            errors.push(FieldError::new("password", "must be 12 to 256 characters"));
        }
        match email {
            Some(email) if errors.is_empty() => Ok(Self {
                email,
                display_name,
                role: input.role,
                password: input.password,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Who may see an institution's users: 404 for outsiders, 403 for its plain members.
fn user_admin_scope(caller: &Caller, institution: Uuid) -> Result<(), ApiError> {
    if caller.may_manage_users_of(InstitutionId::from_uuid(institution)) {
        Ok(())
    } else if caller.institution_id.into_uuid() == institution {
        Err(ApiError::Forbidden(
            "only institution admins manage users".to_owned(),
        ))
    } else {
        Err(ApiError::NotFound("institution"))
    }
}

/// Inserts a user into an existing institution, checking the role against the institution's kind.
pub async fn insert_user(
    conn: &mut AsyncPgConnection,
    institution: Uuid,
    input: &ValidUser,
    password_hash: &str,
) -> Result<User, ApiError> {
    let operator = crate::workouts::institution_kind(conn, institution)
        .await?
        .ok_or(ApiError::NotFound("institution"))?
        == InstitutionKind::PlatformOperator;
    if (input.role == PlatformRole::PlatformAdmin) != operator {
        return Err(ApiError::invalid_field(
            "role",
            "platform admins belong to the platform operator, and only there",
        ));
    }
    let row: UserRow = diesel::insert_into(users::table)
        .values((
            users::id.eq(UserId::new().into_uuid()),
            users::institution_id.eq(institution),
            users::email.eq(input.email.as_str()),
            users::display_name.eq(&input.display_name),
            users::role.eq(input.role.as_str()),
            users::password_hash.eq(password_hash),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("a user with this e-mail", e))?;
    Ok(row.into())
}

/// `POST /registry/v1/institutions/{institution_id}/users`
#[utoipa::path(post, path = "/registry/v1/institutions/{institution_id}/users", tag = "users", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn create_user(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let institution = path.into_inner();
    user_admin_scope(&caller, institution)?;
    let input = ValidUser::try_from(body.value)?;
    if input.role == PlatformRole::PlatformAdmin && !caller.is_platform_admin() {
        return Err(ApiError::Forbidden(
            "only platform admins make platform admins".to_owned(),
        ));
    }
    let password_hash = hash_password(input.password.clone()).await?;
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        &body.fingerprint,
        async |conn| {
            let user = insert_user(conn, institution, &input, &password_hash).await?;
            record(
                conn,
                Chain::Platform,
                &Actor::from(&caller),
                RegistryTopic::UserCreated,
                None,
                &user,
            )
            .await?;
            Reply::created(
                format!("/registry/v1/institutions/{institution}/users/{}", user.id),
                &user,
            )
        },
    )
    .await
}

/// `GET /registry/v1/institutions/{institution_id}/users`
#[utoipa::path(get, path = "/registry/v1/institutions/{institution_id}/users", tag = "users", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<User>), (status = 403, body = workout_http::Problem)))]
pub async fn list_users(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let institution = path.into_inner();
    user_admin_scope(&caller, institution)?;
    let (limit, after) = (query.limit()?, query.after()?);
    let mut conn = state.pool.get().await?;
    let rows: Vec<UserRow> = users::table
        .filter(users::institution_id.eq(institution))
        .filter(users::id.gt(after))
        .order(users::id.asc())
        .limit(limit + 1)
        .select(USER_COLUMNS)
        .load(&mut conn)
        .await?;
    let items = rows.into_iter().map(User::from).collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(items, limit, |u: &User| u.id)))
}

async fn load_user(
    conn: &mut AsyncPgConnection,
    institution: Uuid,
    user: Uuid,
) -> Result<User, ApiError> {
    let row: UserRow = users::table
        .find(user)
        .filter(users::institution_id.eq(institution))
        .select(USER_COLUMNS)
        .first(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("user", e))?;
    Ok(row.into())
}

/// `GET /registry/v1/institutions/{institution_id}/users/{user_id}`
#[utoipa::path(get, path = "/registry/v1/institutions/{institution_id}/users/{user_id}", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 403, body = workout_http::Problem)))]
pub async fn get_user(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (institution, user) = path.into_inner();
    user_admin_scope(&caller, institution)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(load_user(&mut conn, institution, user).await?))
}

/// `POST /registry/v1/institutions/{institution_id}/users/{user_id}/disable`: the user can no
/// longer sign in and their sessions end now.
#[utoipa::path(post, path = "/registry/v1/institutions/{institution_id}/users/{user_id}/disable", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn disable_user(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (institution, user_id) = path.into_inner();
    user_admin_scope(&caller, institution)?;
    if caller.user_id.into_uuid() == user_id {
        return Err(ApiError::conflict(
            "cannot_disable_self",
            "you cannot disable your own account",
        ));
    }
    // No body: the path and the key identify the request.
    idempotency::run(&state.pool, &req, &caller, "", async |conn| {
        let before = load_user(conn, institution, user_id).await?;
        diesel::update(users::table.find(user_id))
            .filter(users::disabled_at.is_null())
            .set(users::disabled_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        let open: Vec<Uuid> = sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .select(sessions::id)
            .load(conn)
            .await?;
        for session in open {
            revoke(conn, SessionId::from_uuid(session), "user_disabled").await?;
        }
        let after = load_user(conn, institution, user_id).await?;
        record(
            conn,
            Chain::Platform,
            &Actor::from(&caller),
            RegistryTopic::UserDisabled,
            Some(to_json(&before)?),
            &after,
        )
        .await?;
        Reply::ok(&after)
    })
    .await
}

/// Who the caller is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user.
    pub user: User,
    /// The institution the user acts for.
    pub institution: Institution,
    /// The current session.
    pub session_id: Uuid,
}

/// `GET /registry/v1/me`
#[utoipa::path(get, path = "/registry/v1/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
pub async fn me(state: web::Data<RegistryState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = load_user(
        &mut conn,
        caller.institution_id.into_uuid(),
        caller.user_id.into_uuid(),
    )
    .await?;
    let institution: InstitutionRow = institutions::table
        .find(caller.institution_id.into_uuid())
        .select(InstitutionRow::as_select())
        .first(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(Me {
        user,
        institution: institution.try_into()?,
        session_id: caller.session_id.into_uuid(),
    }))
}

/// Creates the platform operator (if missing) and a platform admin in it; for a fresh install.
/// Fails if the e-mail is taken.
pub async fn bootstrap_admin(
    pool: &workout_store::Pool,
    email: &str,
    display_name: &str,
    password: String,
) -> Result<User, ApiError> {
    let input = ValidUser::try_from(NewUser {
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role: PlatformRole::PlatformAdmin,
        password: password.clone(),
    })?;
    let password_hash = hash_password(password).await?;
    transaction(pool, async |conn| {
        let existing: Option<Uuid> = institutions::table
            .filter(institutions::kind.eq(InstitutionKind::PlatformOperator.as_str()))
            .order(institutions::id.asc())
            .select(institutions::id)
            .first(conn)
            .await
            .optional()?;
        let operator = match existing {
            Some(id) => id,
            None => {
                let created = insert_institution(
                    conn,
                    &ValidInstitution {
                        kind: InstitutionKind::PlatformOperator,
                        name: "Platform operator".to_owned(),
                        country: "SA".to_owned(),
                        lei: None,
                    },
                )
                .await?;
                record(
                    conn,
                    Chain::Platform,
                    &Actor::service("registry"),
                    RegistryTopic::InstitutionCreated,
                    None,
                    &created,
                )
                .await?;
                created.id
            }
        };
        let user = insert_user(conn, operator, &input, &password_hash).await?;
        record(
            conn,
            Chain::Platform,
            &Actor::service("registry"),
            RegistryTopic::UserCreated,
            None,
            &user,
        )
        .await?;
        Ok(user)
    })
    .await
}
