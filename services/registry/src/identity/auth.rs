//! Sign-in, token refresh, service tokens, sign-out and session status.
//!
//! Rules: a password sign-in opens a session and returns a short-lived access token and a refresh
//! token; a refresh token is good once — exchanging it returns a new one in the same session, and
//! presenting a used one again revokes the whole session (it has leaked). Unknown e-mail, wrong
//! password and disabled user get the same answer, after the same work: the same reads, one
//! argon2 verification (an unknown e-mail's against a dummy hash made once with the parameters of
//! every new hash) and the same throttle writes. Service clients exchange their secret for a
//! service token with its own audience; an unknown client and a wrong secret get the same answer
//! after the same constant-time comparison. Failed sign-ins make further attempts wait, per e-mail
//! and per client address ([`throttle`]). Credentials holding a control character, and e-mails
//! that no account can have, are refused with 422 before anything is read or counted. Passwords
//! are argon2id; refresh tokens and client secrets are 256-bit random values stored as SHA-256
//! hashes.

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
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
use workout_domain::{Email, InstitutionId, SessionId, UserId};
use workout_http::auth::{Claims, SERVICE_AUDIENCE, SessionCheck, TokenUse, USER_AUDIENCE};
use workout_http::boundary::client_address;
use workout_http::{ApiError, Caller, FieldError, JsonBody, PlatformRole, ServiceCaller};
use workout_store::{Pool, transaction};

use super::keys;
use super::throttle::{self, Admission};
use crate::RegistryState;
use crate::schema::{refresh_tokens, service_clients, sessions, users};

/// A token request: one of three grants.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenRequest {
    /// A person signs in.
    Password {
        /// E-mail (an address as users are created with).
        email: String,
        /// Password (no control characters).
        password: String,
    },
    /// A refresh token is exchanged for new tokens.
    RefreshToken {
        /// The refresh token.
        refresh_token: String,
    },
    /// A service obtains a service token.
    ClientCredentials {
        /// The service client's name (no control characters).
        client_id: String,
        /// Its secret (no control characters).
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

/// A hash of no one's password, made once with the parameters every new hash gets
/// ([`hash_password`]): a sign-in for an unknown e-mail is checked against it, so that it costs
/// what a wrong password costs.
static DUMMY_PASSWORD_HASH: LazyLock<Result<String, String>> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"the password of no one")
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
});

/// Makes the dummy password hash now, at start, so that the first sign-in for an unknown e-mail
/// does not pay for making it (and show by its time that the e-mail is unknown).
pub fn prepare_dummy_password_hash() -> anyhow::Result<()> {
    DUMMY_PASSWORD_HASH
        .as_ref()
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("making the dummy password hash: {e}"))
}

/// Whether `password` matches `stored`; without a stored hash (unknown e-mail) it is checked
/// against the dummy hash, the same work, and never matches.
async fn password_matches(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    web::block(move || {
        let known = stored.is_some();
        let hash = match &stored {
            Some(stored) => stored.as_str(),
            None => DUMMY_PASSWORD_HASH
                .as_deref()
                .map_err(|e| anyhow::anyhow!("the dummy password hash: {e}"))?,
        };
        let matches = PasswordHash::new(hash)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        Ok::<_, anyhow::Error>(known && matches)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("password check task: {e}")))?
    .map_err(ApiError::Internal)
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
    responses((status = 200, body = TokenResponse),
        (status = 401, body = workout_http::Problem,
            description = "Wrong credentials: invalid_credentials (unknown e-mail, wrong password \
                and disabled account alike), invalid_client or invalid_grant"),
        (status = 429, body = workout_http::Problem,
            description = "Too many failed sign-ins for the e-mail or from the client's address",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))))]
#[post("/v1/auth/token")]
pub async fn issue_token(
    state: web::Data<RegistryState>,
    req: HttpRequest,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let response = match body.value {
        TokenRequest::Password { email, password } => {
            let credentials = PasswordCredentials::parse(&email, password)?;
            let client = client_address(&req, &state.config.sign_in.trusted_proxies);
            sign_in(&state, credentials, &throttle::address_subject(client)).await?
        }
        TokenRequest::RefreshToken { refresh_token } => refresh(&state, refresh_token).await?,
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => {
            let mut errors = Vec::new();
            no_control("client_id", &client_id, &mut errors);
            no_control("client_secret", &client_secret, &mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            service_token(&state, client_id, client_secret).await?
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(response))
}

/// Whether `text` holds a control character (C0, DEL or C1): no password, e-mail or client name
/// of the platform has one, and each is a way to put a line break into a log or a NUL before the
/// database.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn no_control(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    if has_control(text) {
        errors.push(FieldError::new(field, "contains a control character"));
    }
}

/// A password grant's credentials, checked for form: the e-mail is an address as users are
/// created with (lowercased), the password holds no control character.
struct PasswordCredentials {
    email: Email,
    password: String,
}

impl PasswordCredentials {
    fn parse(email: &str, password: String) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        // Judged as sent: trimming would hide a trailing line break.
        no_control("email", email, &mut errors);
        let email = Email::parse(&email.to_lowercase())
            .map_err(|e| {
                if errors.is_empty() {
                    errors.push(FieldError::new("email", e.to_string()));
                }
            })
            .ok();
        no_control("password", &password, &mut errors);
        match email {
            Some(email) if errors.is_empty() => Ok(Self { email, password }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

fn too_many_attempts(wait: std::time::Duration) -> ApiError {
    ApiError::too_many_requests(
        "too_many_attempts",
        format!(
            "too many failed sign-ins; try again in {} s",
            workout_http::problem::retry_after_seconds(wait)
        ),
        wait,
    )
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
    credentials: PasswordCredentials,
    address: &str,
) -> Result<TokenResponse, ApiError> {
    let limits = &state.config.sign_in;
    let email = credentials.email.as_str();
    // Counted before checked, in one step (see `throttle`): parallel guesses cannot pass together.
    let attempt = match throttle::admit(&state.pool, limits, email, address).await? {
        Admission::Admitted(attempt) => attempt,
        Admission::Wait(wait) => return Err(too_many_attempts(wait)),
    };
    let mut conn = state.pool.get().await?;
    let row: Option<SignInRow> = users::table
        .filter(users::email.eq(email))
        .select(SignInRow::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    drop(conn);
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let matches = password_matches(credentials.password, stored).await?;
    let Some(user) = row.filter(|r| matches && r.disabled_at.is_none()) else {
        throttle::failed(&state.pool, limits, attempt).await?;
        return Err(invalid_credentials());
    };
    throttle::succeeded(&state.pool, email, attempt).await?;
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
    // Constant time: how much of a guessed hash matches must not show in the answer's timing; an
    // unknown client is compared with a hash no secret has, the same work.
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| NO_CLIENT_SECRET_HASH.to_owned());
    let matches = known & bool::from(stored.as_bytes().ct_eq(given.as_bytes()));
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

/// What an unknown client's secret is compared with: as long as a SHA-256 hex digest, and not one.
const NO_CLIENT_SECRET_HASH: &str =
    "----------------------------------------------------------------";

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
    fn an_unknown_client_is_compared_with_a_hash_as_long_as_a_real_one() {
        assert_eq!(NO_CLIENT_SECRET_HASH.len(), secret_hash("any secret").len());
    }

    #[test]
    fn the_dummy_password_hash_has_the_parameters_of_every_new_hash() {
        prepare_dummy_password_hash().unwrap();
        let dummy = DUMMY_PASSWORD_HASH.as_deref().unwrap();
        let real = Argon2::default()
            .hash_password(b"a real password")
            .unwrap()
            .to_string();
        let parameters = |phc: &str| phc.rsplitn(3, '$').nth(2).unwrap().to_owned();
        assert_eq!(parameters(dummy), parameters(&real), "{dummy} vs {real}");
    }

    #[test]
    fn credentials_with_control_characters_or_impossible_e_mails_are_refused() {
        for (email, password) in [
            ("jane@bank.sa\0", "a long password 1"),
            ("jane@bank.sa", "a long\0password 1"),
            ("jane@bank.sa", "a long\npassword 1"),
            ("jane@bank.sa", "a long\u{85}password 1"),
            ("jane\r\n@bank.sa", "a long password 1"),
            ("jane@bank.sa\r\n", "a long password 1"),
            ("jane@bank.sa\t", "a long password 1"),
            ("not an address", "a long password 1"),
        ] {
            assert!(
                PasswordCredentials::parse(email, password.to_owned()).is_err(),
                "{email:?} {password:?}"
            );
        }
        let fine =
            PasswordCredentials::parse(" Jane@Bank.SA ", "a long password 1".into()).unwrap();
        assert_eq!(fine.email.as_str(), "jane@bank.sa");
    }

    #[test]
    fn random_secrets_do_not_repeat() {
        assert_ne!(random_secret().unwrap(), random_secret().unwrap());
    }
}
