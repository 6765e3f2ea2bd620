//! Users of an institution: create, list, read and disable them.
//!
//! Rules: users are managed by platform admins and by their own institution's admins; an
//! institution admin asking about another institution's users gets 404, a member asking about
//! their own institution's users gets 403. Only a platform admin can make another platform admin,
//! and only within the platform operator. Nobody disables their own account; disabling a user ends
//! their sessions at once.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{
    Email, InstitutionId, InstitutionKind, RegistryTopic, SessionId, UserId, text,
};
use workout_http::input::{self, Query};
use workout_http::{ApiError, Caller, FieldError, JsonBody, Page, PageQuery, PlatformRole};
use workout_store::audit::Actor;
use workout_store::record::to_json;
use workout_store::{Reply, idempotency};

use super::auth::{has_control, hash_password, revoke};
use super::institutions::institution_kind;
use crate::RegistryState;
use crate::schema::{sessions, users};

/// A request to create a user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// E-mail, used to sign in; unique on the platform.
    pub email: String,
    /// Name shown to others: one line of 1 to 200 characters.
    pub display_name: String,
    /// Platform role.
    pub role: PlatformRole,
    /// Initial password, 12 to 256 characters, no control characters.
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

/// A `users` row, less the password hash.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: Uuid,
    institution_id: Uuid,
    email: String,
    display_name: String,
    role: String,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;

    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            institution_id: row.institution_id,
            email: row.email,
            display_name: row.display_name,
            role: PlatformRole::stored(&row.role)?,
            disabled: row.disabled_at.is_some(),
            created_at: row.created_at,
        })
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
        let display_name =
            input::text_to(&mut errors, "display_name", text::NAME, &input.display_name);
        let length = input.password.chars().count();
        if !(12..=256).contains(&length) {
            errors.push(FieldError::new("password", "must be 12 to 256 characters"));
        }
        // Sign-in refuses such a password: nobody may be given one they could not use.
        if has_control(&input.password) {
            errors.push(FieldError::new("password", "contains a control character"));
        }
        match (email, display_name) {
            (Some(email), Some(display_name)) if errors.is_empty() => Ok(Self {
                email,
                display_name,
                role: input.role,
                password: input.password,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// `/institutions/{institution_id}/users/{user_id}`.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// The institution.
    pub institution_id: InstitutionId,
    /// One of its users.
    pub user_id: UserId,
}

/// Who may see an institution's users: 404 for outsiders, 403 for its plain members.
fn user_admin_scope(caller: &Caller, institution: InstitutionId) -> Result<(), ApiError> {
    if caller.may_manage_users_of(institution) {
        Ok(())
    } else if caller.institution_id == institution {
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
    institution: InstitutionId,
    input: &ValidUser,
    password_hash: &str,
) -> Result<User, ApiError> {
    let operator = institution_kind(conn, institution)
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
            users::institution_id.eq(institution.into_uuid()),
            users::email.eq(input.email.as_str()),
            users::display_name.eq(&input.display_name),
            users::role.eq(input.role.as_str()),
            users::password_hash.eq(password_hash),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("a user with this e-mail", e))?;
    row.try_into()
}

/// `POST /registry/v1/institutions/{institution_id}/users`
#[utoipa::path(tag = "users", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/institutions/{institution_id}/users")]
pub async fn create_user(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<InstitutionId>,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
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
            super::record_platform(
                conn,
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
#[utoipa::path(tag = "users", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<User>), (status = 403, body = workout_http::Problem)))]
#[get("/v1/institutions/{institution_id}/users")]
pub async fn list_users(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<InstitutionId>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let institution = path.into_inner();
    user_admin_scope(&caller, institution)?;
    let (limit, after) = (query.limit()?, query.after()?);
    let mut conn = state.pool.get().await?;
    let rows: Vec<UserRow> = users::table
        .filter(users::institution_id.eq(institution.into_uuid()))
        .filter(users::id.gt(after))
        .order(users::id.asc())
        .limit(limit + 1)
        .select(UserRow::as_select())
        .load(&mut conn)
        .await?;
    let items = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(Page::from_rows(items, limit, |u: &User| u.id)))
}

/// User `user` of `institution`; 404 when it is not one of its users.
pub(super) async fn load_user(
    conn: &mut AsyncPgConnection,
    institution: InstitutionId,
    user: UserId,
) -> Result<User, ApiError> {
    let row: UserRow = users::table
        .find(user.into_uuid())
        .filter(users::institution_id.eq(institution.into_uuid()))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("user", e))?;
    row.try_into()
}

/// `GET /registry/v1/institutions/{institution_id}/users/{user_id}`
#[utoipa::path(tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 403, body = workout_http::Problem)))]
#[get("/v1/institutions/{institution_id}/users/{user_id}")]
pub async fn get_user(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<UserPath>,
) -> Result<HttpResponse, ApiError> {
    let UserPath {
        institution_id: institution,
        user_id: user,
    } = path.into_inner();
    user_admin_scope(&caller, institution)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(load_user(&mut conn, institution, user).await?))
}

/// `POST /registry/v1/institutions/{institution_id}/users/{user_id}/disable`: the user can no
/// longer sign in and their sessions end now.
#[utoipa::path(tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/institutions/{institution_id}/users/{user_id}/disable")]
pub async fn disable_user(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<UserPath>,
) -> Result<HttpResponse, ApiError> {
    let UserPath {
        institution_id: institution,
        user_id,
    } = path.into_inner();
    user_admin_scope(&caller, institution)?;
    if caller.user_id == user_id {
        return Err(ApiError::conflict(
            "cannot_disable_self",
            "you cannot disable your own account",
        ));
    }
    // No body: the path and the key identify the request.
    idempotency::run(&state.pool, &req, &caller, "", async |conn| {
        let before = load_user(conn, institution, user_id).await?;
        diesel::update(users::table.find(user_id.into_uuid()))
            .filter(users::disabled_at.is_null())
            .set(users::disabled_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        let open: Vec<Uuid> = sessions::table
            .filter(sessions::user_id.eq(user_id.into_uuid()))
            .filter(sessions::revoked_at.is_null())
            .select(sessions::id)
            .load(conn)
            .await?;
        for session in open {
            revoke(conn, SessionId::from_uuid(session), "user_disabled").await?;
        }
        let after = load_user(conn, institution, user_id).await?;
        super::record_platform(
            conn,
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
