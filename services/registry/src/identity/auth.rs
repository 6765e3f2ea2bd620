//! Sign-in, token refresh, service tokens, sign-out and session status.
//!
//! Rules: a password sign-in opens a session and returns a short-lived access token and a refresh
//! token; a refresh token is good once — exchanging it returns a new one in the same session, and
//! presenting a used one again revokes the whole session (it has leaked). Unknown e-mail, wrong
//! password and disabled user get the same answer, after the same password-hashing work. Service
//! clients exchange their secret for a service token with its own audience. After
//! [`MAX_SIGN_IN_FAILURES`] failed sign-ins for one e-mail within [`SIGN_IN_WINDOW`], further
//! attempts for it answer 429 until the window has passed (known and unknown e-mails alike). Passwords are argon2id;
//! refresh tokens and client secrets are 256-bit random values stored as SHA-256 hashes.

use actix_web::{HttpResponse, get, post, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;
use workout_domain::{InstitutionId, SessionId, UserId};
use workout_http::auth::{Claims, SERVICE_AUDIENCE, SessionCheck, TokenUse, USER_AUDIENCE};
use workout_http::{ApiError, Caller, JsonBody, PlatformRole, ServiceCaller};
use workout_store::{Pool, transaction};

use super::keys;
use crate::RegistryState;
use crate::schema::{refresh_tokens, service_clients, sessions, sign_in_failures, users};

/// A token request: one of three grants.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenRequest {
    /// A person signs in.
    Password {
        /// E-mail.
        email: String,
        /// Password.
        password: String,
    },
    /// A refresh token is exchanged for new tokens.
    RefreshToken {
        /// The refresh token.
        refresh_token: String,
    },
    /// A service obtains a service token.
    ClientCredentials {
        /// The service client's name.
        client_id: String,
        /// Its secret.
        client_secret: String,
    },
}

/// Tokens issued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The access token (JWT, EdDSA).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token (user grants only); good once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The session (user grants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Uuid>,
}

/// Whether a session is active.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionStatus {
    /// `true` until signed out, revoked or expired.
    pub active: bool,
}

/// Hashes a password with argon2id (on a blocking thread: it is deliberately slow).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    web::block(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("password hashing task: {e}")))?
    .map_err(ApiError::Internal)
}

async fn password_matches(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    web::block(move || {
        // Without a stored hash (unknown user) do the same work against a throwaway hash, so that
        // the answer time does not tell whether the e-mail exists.
        let stored = match stored {
            Some(stored) => stored,
            None => Argon2::default()
                .hash_password(b"not the password")
                .map(|hash| hash.to_string())
                .unwrap_or_default(),
        };
        PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("password check task: {e}")))
}

/// A new 256-bit random secret, URL-safe base64.
pub fn random_secret() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("the system RNG failed")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a high-entropy secret, hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Failed password sign-ins allowed per e-mail within [`SIGN_IN_WINDOW`]; the next attempt gets 429.
pub const MAX_SIGN_IN_FAILURES: i64 = 5;
/// The window over which failed sign-ins are counted.
pub const SIGN_IN_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized(
        "invalid_credentials",
        "the e-mail or password is wrong, or the account is disabled",
    )
}

fn invalid_grant(detail: &str) -> ApiError {
    ApiError::unauthorized("invalid_grant", detail.to_owned())
}

/// `POST /registry/v1/auth/token`
#[utoipa::path(tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse)))]
#[post("/v1/auth/token")]
pub async fn issue_token(
    state: web::Data<RegistryState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let response = match body.value {
        TokenRequest::Password { email, password } => sign_in(&state, email, password).await?,
        TokenRequest::RefreshToken { refresh_token } => refresh(&state, refresh_token).await?,
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => service_token(&state, client_id, client_secret).await?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(response))
}

/// What a password sign-in reads of the user.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct SignInRow {
    id: Uuid,
    institution_id: Uuid,
    role: String,
    password_hash: String,
    disabled_at: Option<DateTime<Utc>>,
}

async fn sign_in(
    state: &RegistryState,
    email: String,
    password: String,
) -> Result<TokenResponse, ApiError> {
    let email = email.trim().to_lowercase();
    let since = Utc::now() - SIGN_IN_WINDOW;
    // Counting and recording are one step: under a lock on the e-mail, an attempt is first
    // recorded as a failure (a reservation), and only if fewer than the limit were recorded
    // before; so parallel attempts cannot all pass the check before any is counted. A successful
    // sign-in takes its reservation back.
    let reserved_at: Option<DateTime<Utc>> = transaction(&state.pool, async |conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7707002))")
            .bind::<diesel::sql_types::Text, _>(&email)
            .execute(conn)
            .await?;
        let recent_failures: i64 = sign_in_failures::table
            .filter(sign_in_failures::email.eq(&email))
            .filter(sign_in_failures::failed_at.gt(since))
            .count()
            .get_result(conn)
            .await?;
        if recent_failures >= MAX_SIGN_IN_FAILURES {
            return Ok(None);
        }
        let at: DateTime<Utc> = diesel::insert_into(sign_in_failures::table)
            .values(sign_in_failures::email.eq(&email))
            .returning(sign_in_failures::failed_at)
            .get_result(conn)
            .await?;
        Ok::<_, ApiError>(Some(at))
    })
    .await?;
    let Some(reserved_at) = reserved_at else {
        return Err(ApiError::status(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "too many failed sign-ins for this e-mail; try again in {} minutes",
                SIGN_IN_WINDOW.num_minutes()
            ),
        ));
    };
    let mut conn = state.pool.get().await?;
    let row: Option<SignInRow> = users::table
        .filter(users::email.eq(&email))
        .select(SignInRow::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    drop(conn);
    let matches = password_matches(password, row.as_ref().map(|r| r.password_hash.clone())).await?;
    let mut conn = state.pool.get().await?;
    let Some(user) = row.filter(|r| matches && r.disabled_at.is_none()) else {
        // The reservation stays: it was a failure.
        diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.lt(since)))
            .execute(&mut conn)
            .await?;
        return Err(invalid_credentials());
    };
    diesel::delete(
        sign_in_failures::table
            .filter(sign_in_failures::email.eq(&email))
            .filter(sign_in_failures::failed_at.eq(reserved_at)),
    )
    .execute(&mut conn)
    .await?;
    drop(conn);
    let state = state.clone();
    transaction(&state.pool.clone(), async move |conn| {
        let session = SessionId::new();
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(session.into_uuid()),
                sessions::user_id.eq(user.id),
                sessions::expires_at.eq(Utc::now() + state.config.refresh_token_ttl),
            ))
            .execute(conn)
            .await?;
        let role = PlatformRole::stored(&user.role)?;
        user_tokens(
            conn,
            &state,
            UserId::from_uuid(user.id),
            InstitutionId::from_uuid(user.institution_id),
            role,
            session,
        )
        .await
    })
    .await
}

async fn user_tokens(
    conn: &mut AsyncPgConnection,
    state: &RegistryState,
    user: UserId,
    institution: InstitutionId,
    role: PlatformRole,
    session: SessionId,
) -> Result<TokenResponse, ApiError> {
    let refresh_token = random_secret()?;
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(secret_hash(&refresh_token)),
            refresh_tokens::session_id.eq(session.into_uuid()),
        ))
        .execute(conn)
        .await?;
    let now = Utc::now().timestamp();
    let ttl = state.config.access_token_ttl.num_seconds();
    let claims = Claims {
        iss: state.config.issuer.clone(),
        sub: user.to_string(),
        aud: USER_AUDIENCE.to_owned(),
        exp: now + ttl,
        nbf: now,
        iat: now,
        jti: Uuid::now_v7().to_string(),
        typ: TokenUse::User,
        sid: Some(session),
        inst: Some(institution),
        roles: vec![role],
    };
    Ok(TokenResponse {
        access_token: keys::sign(conn, &claims).await?,
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: Some(refresh_token),
        session_id: Some(session.into_uuid()),
    })
}

/// What a refresh reads: the token, its session and the session's user.
#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
struct RefreshRow {
    used_at: Option<DateTime<Utc>>,
    #[diesel(select_expression = sessions::id)]
    session_id: Uuid,
    #[diesel(select_expression = sessions::revoked_at)]
    revoked_at: Option<DateTime<Utc>>,
    #[diesel(select_expression = sessions::expires_at)]
    expires_at: DateTime<Utc>,
    #[diesel(select_expression = users::id)]
    user_id: Uuid,
    #[diesel(select_expression = users::institution_id)]
    institution_id: Uuid,
    #[diesel(select_expression = users::role)]
    role: String,
    #[diesel(select_expression = users::disabled_at)]
    disabled_at: Option<DateTime<Utc>>,
}

enum Refreshed {
    Tokens(Box<TokenResponse>),
    Reused,
    Refused(&'static str),
}

async fn refresh(state: &RegistryState, refresh_token: String) -> Result<TokenResponse, ApiError> {
    let state = state.clone();
    let outcome = transaction(&state.pool.clone(), async move |conn| {
        let row: Option<RefreshRow> = refresh_tokens::table
            .inner_join(sessions::table.inner_join(users::table))
            .filter(refresh_tokens::token_hash.eq(secret_hash(&refresh_token)))
            .select(RefreshRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(row) = row else {
            return Ok(Refreshed::Refused("the refresh token is not known"));
        };
        if row.revoked_at.is_some() {
            return Ok(Refreshed::Refused(
                "the session has been signed out or revoked",
            ));
        }
        if row.used_at.is_some() {
            // A refresh token presented twice has leaked: end the whole session (committed).
            revoke(
                conn,
                SessionId::from_uuid(row.session_id),
                "refresh_token_reuse",
            )
            .await?;
            tracing::warn!(session.id = %row.session_id, "refresh token reused; session revoked");
            return Ok(Refreshed::Reused);
        }
        if row.expires_at <= Utc::now() || row.disabled_at.is_some() {
            return Ok(Refreshed::Refused(
                "the session has expired or the account is disabled",
            ));
        }
        diesel::update(refresh_tokens::table.find(secret_hash(&refresh_token)))
            .set(refresh_tokens::used_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        let role = PlatformRole::stored(&row.role)?;
        let tokens = user_tokens(
            conn,
            &state,
            UserId::from_uuid(row.user_id),
            InstitutionId::from_uuid(row.institution_id),
            role,
            SessionId::from_uuid(row.session_id),
        )
        .await?;
        Ok(Refreshed::Tokens(Box::new(tokens)))
    })
    .await?;
    match outcome {
        Refreshed::Tokens(tokens) => Ok(*tokens),
        Refreshed::Reused => Err(invalid_grant(
            "this refresh token was already used; the session has been revoked for safety",
        )),
        Refreshed::Refused(detail) => Err(invalid_grant(detail)),
    }
}

async fn service_token(
    state: &RegistryState,
    client_id: String,
    client_secret: String,
) -> Result<TokenResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let stored: Option<String> = service_clients::table
        .find(&client_id)
        .select(service_clients::secret_hash)
        .first(&mut conn)
        .await
        .optional()?;
    let given = secret_hash(&client_secret);
    // Constant time: how much of a guessed hash matches must not show in the answer's timing.
    let matches =
        stored.is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(given.as_bytes())));
    if !matches {
        return Err(ApiError::unauthorized(
            "invalid_client",
            "the client id or secret is wrong",
        ));
    }
    let now = Utc::now().timestamp();
    let ttl = state.config.service_token_ttl.num_seconds();
    let claims = Claims {
        iss: state.config.issuer.clone(),
        sub: client_id,
        aud: SERVICE_AUDIENCE.to_owned(),
        exp: now + ttl,
        nbf: now,
        iat: now,
        jti: Uuid::now_v7().to_string(),
        typ: TokenUse::Service,
        sid: None,
        inst: None,
        roles: Vec::new(),
    };
    Ok(TokenResponse {
        access_token: keys::sign(&mut conn, &claims).await?,
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: None,
        session_id: None,
    })
}

/// Revokes a session (sign-out, refresh-token reuse, user disabled).
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    session: SessionId,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(session.into_uuid()))
        .filter(sessions::revoked_at.is_null())
        .set((
            sessions::revoked_at.eq(diesel::dsl::now),
            sessions::revoked_reason.eq(reason),
        ))
        .execute(conn)
        .await
}

/// `POST /registry/v1/auth/sign-out`: ends the caller's session.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 204)))]
#[post("/v1/auth/sign-out")]
pub async fn sign_out(
    state: web::Data<RegistryState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    transaction(&state.pool, async |conn| {
        revoke(conn, caller.session_id, "signed_out").await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /registry/v1/auth/sessions/{session_id}` (service token): whether a session is active.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SessionStatus)))]
#[get("/v1/auth/sessions/{session_id}")]
pub async fn session_status(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    let active = DbSessionCheck(state.pool.clone())
        .is_active(path.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(SessionStatus { active }))
}

/// Session status read from the registry's own table.
pub struct DbSessionCheck(pub Pool);

#[async_trait::async_trait]
impl SessionCheck for DbSessionCheck {
    async fn is_active(&self, session: SessionId) -> anyhow::Result<bool> {
        let mut conn = self.0.get().await?;
        let found: Option<(Option<DateTime<Utc>>, DateTime<Utc>)> = sessions::table
            .find(session.into_uuid())
            .select((sessions::revoked_at, sessions::expires_at))
            .first(&mut conn)
            .await
            .optional()?;
        Ok(found.is_some_and(|(revoked, expires)| revoked.is_none() && expires > Utc::now()))
    }
}

/// The secret of service client `name`: derived from `key` (`SERVICE_SECRETS_KEY`) when there is
/// one (so that replicas starting one after the other agree and none locks the others out), else
/// random.
pub fn service_secret(name: &str, key: Option<&str>) -> Result<String, ApiError> {
    match key {
        Some(key) if !key.is_empty() => Ok(derived_secret(key, name)),
        _ => random_secret(),
    }
}

/// HMAC-SHA256 of the client's name under `key`, URL-safe base64.
pub fn derived_secret(key: &str, name: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
    URL_SAFE_NO_PAD.encode(aws_lc_rs::hmac::sign(&key, name.as_bytes()))
}

/// Sets (or resets) a service client's secret, a random one; returns the secret.
pub async fn set_service_client(pool: &Pool, name: &str) -> anyhow::Result<String> {
    set_keyed_service_client(pool, name, None).await
}

/// Sets (or resets) a service client's secret, derived from `key` if given (see
/// [`service_secret`]); returns the secret.
pub async fn set_keyed_service_client(
    pool: &Pool,
    name: &str,
    key: Option<&str>,
) -> anyhow::Result<String> {
    let secret = service_secret(name, key).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = pool.get().await?;
    diesel::insert_into(service_clients::table)
        .values((
            service_clients::name.eq(name),
            service_clients::secret_hash.eq(secret_hash(&secret)),
        ))
        .on_conflict(service_clients::name)
        .do_update()
        .set(service_clients::secret_hash.eq(secret_hash(&secret)))
        .execute(&mut conn)
        .await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_secrets_agree_across_replicas_and_differ_per_client_and_key() {
        assert_eq!(
            derived_secret("k1", "voting"),
            derived_secret("k1", "voting")
        );
        assert_ne!(
            derived_secret("k1", "voting"),
            derived_secret("k1", "minutes")
        );
        assert_ne!(
            derived_secret("k1", "voting"),
            derived_secret("k2", "voting")
        );
        assert_eq!(
            derived_secret("k1", "voting").len(),
            43,
            "256 bits, base64 without padding"
        );
    }

    #[test]
    fn random_secrets_do_not_repeat() {
        assert_ne!(random_secret().unwrap(), random_secret().unwrap());
    }
}
