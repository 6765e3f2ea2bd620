//! Access tokens: their claims, their local verification in every service, and the extractors that
//! turn a verified token into a caller.
//!
//! Rules: the algorithm is pinned to EdDSA; `exp`, `nbf`, `iss`, `aud` and `sub` are required; the
//! leeway is 30 s; the key is chosen by `kid` from the registry's JWKS, which is cached and fetched
//! again on an unknown `kid` at most once per cooldown, and at least once a minute (so a retired key
//! stops verifying elsewhere within a minute). User tokens and service tokens have
//! different audiences and a `typ` claim, so that neither is accepted where the other belongs. A user
//! token also names a session, which must still be active (sign-out and refresh-token reuse revoke
//! it). When the keys cannot be had, the answer is 503, never a guess.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use workout_domain::{InstitutionId, SessionId, UserId};

use crate::problem::ApiError;

/// The audience of access tokens that users present to the services' public endpoints.
pub const USER_AUDIENCE: &str = "workout-api";
/// The audience of service tokens that services present to each other.
pub const SERVICE_AUDIENCE: &str = "workout-services";
/// The only signature algorithm accepted.
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    /// A person acting for an institution.
    User,
    /// A service calling another service.
    Service,
}

/// A user's platform role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    /// Operates the platform: onboards institutions and their first users, exports audit.
    PlatformAdmin,
    /// Manages the users of one institution.
    InstitutionAdmin,
    /// Works on workouts for one institution.
    Member,
}

impl PlatformRole {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::InstitutionAdmin => "institution_admin",
            Self::Member => "member",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "platform_admin" => Some(Self::PlatformAdmin),
            "institution_admin" => Some(Self::InstitutionAdmin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }

    /// A role read from the database: an unknown name is a fault (500, logged), never a default.
    pub fn stored(text: &str) -> Result<Self, ApiError> {
        Self::parse(text).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "stored value: {text:?} is not a platform role"
            ))
        })
    }
}

/// The claims of every access token the registry signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the registry.
    pub iss: String,
    /// Subject: the user id, or the service client's name.
    pub sub: String,
    /// Audience: [`USER_AUDIENCE`] or [`SERVICE_AUDIENCE`].
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    pub nbf: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// What the token is for.
    pub typ: TokenUse,
    /// The session (user tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<SessionId>,
    /// The institution the user acts for (user tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inst: Option<InstitutionId>,
    /// The user's platform roles (user tokens only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<PlatformRole>,
}

/// A verified user: who, for which institution, in which role, in which session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user_id: UserId,
    /// The institution the user acts for.
    pub institution_id: InstitutionId,
    /// The user's platform roles.
    pub roles: Vec<PlatformRole>,
    /// The session the token belongs to.
    pub session_id: SessionId,
}

impl Caller {
    /// Whether the caller operates the platform.
    pub fn is_platform_admin(&self) -> bool {
        self.roles.contains(&PlatformRole::PlatformAdmin)
    }

    /// Whether the caller may manage the users of `institution`.
    pub fn may_manage_users_of(&self, institution: InstitutionId) -> bool {
        self.is_platform_admin()
            || (self.institution_id == institution
                && self.roles.contains(&PlatformRole::InstitutionAdmin))
    }
}

/// A verified service (a service token's subject).
#[derive(Debug, Clone)]
pub struct ServiceCaller {
    /// The service client's name, e.g. `voting`.
    pub client: String,
}

/// Where the verifier gets the registry's public keys.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync {
    /// The current key set.
    async fn key_set(&self) -> anyhow::Result<JwkSet>;
}

/// Whether a user session is still active (not signed out, not revoked for refresh-token reuse).
#[async_trait::async_trait]
pub trait SessionCheck: Send + Sync {
    /// `Ok(true)` when the session may still be used.
    async fn is_active(&self, session: SessionId) -> anyhow::Result<bool>;
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Verifies access tokens locally against the registry's cached key set.
pub struct TokenVerifier {
    issuer: String,
    source: Arc<dyn KeySource>,
    sessions: Arc<dyn SessionCheck>,
    cache: RwLock<KeyCache>,
    refetch_cooldown: Duration,
    max_age: Duration,
}

impl TokenVerifier {
    /// A verifier for tokens of `issuer`, with keys from `source` and sessions checked by `sessions`.
    pub fn new(
        issuer: impl Into<String>,
        source: Arc<dyn KeySource>,
        sessions: Arc<dyn SessionCheck>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            source,
            sessions,
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
            refetch_cooldown: Duration::from_secs(2),
            max_age: Duration::from_secs(60),
        }
    }

    /// Sets how long an unknown `kid` waits before the key set is fetched again.
    pub fn with_refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.refetch_cooldown = cooldown;
        self
    }

    /// Forgets the cached keys, so the next token fetches the key set again (after a key is retired).
    pub async fn forget_keys(&self) {
        let mut cache = self.cache.write().await;
        cache.keys.clear();
        cache.fetched_at = None;
    }

    /// Verifies a user access token and checks its session.
    pub async fn verify_user(&self, token: &str) -> Result<Caller, ApiError> {
        let claims = self.verify(token, USER_AUDIENCE, TokenUse::User).await?;
        let user_id = claims
            .sub
            .parse::<UserId>()
            .map_err(|_| invalid("the token's subject is not a user"))?;
        let (Some(institution_id), Some(session_id)) = (claims.inst, claims.sid) else {
            return Err(invalid("the token names no institution or session"));
        };
        let active = self.sessions.is_active(session_id).await.map_err(|error| {
            tracing::warn!(error.cause = format!("{error:#}"), "session check failed");
            ApiError::Unavailable("sessions cannot be checked right now; retry shortly".to_owned())
        })?;
        if !active {
            return Err(ApiError::unauthorized(
                "session_revoked",
                "this session has been signed out or revoked; sign in again",
            ));
        }
        Ok(Caller {
            user_id,
            institution_id,
            roles: claims.roles,
            session_id,
        })
    }

    /// Verifies a service token.
    pub async fn verify_service(&self, token: &str) -> Result<ServiceCaller, ApiError> {
        let claims = self
            .verify(token, SERVICE_AUDIENCE, TokenUse::Service)
            .await?;
        Ok(ServiceCaller { client: claims.sub })
    }

    async fn verify(
        &self,
        token: &str,
        audience: &str,
        expected: TokenUse,
    ) -> Result<Claims, ApiError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| invalid("the token is malformed"))?;
        if header.alg != ALGORITHM {
            return Err(invalid("the token's algorithm is not accepted"));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("the token names no key id"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(ALGORITHM);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|error| {
            use jsonwebtoken::errors::ErrorKind;
            match error.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized(
                    "token_expired",
                    "the token has expired; refresh it or sign in again",
                ),
                ErrorKind::ImmatureSignature => invalid("the token is not valid yet"),
                ErrorKind::InvalidAudience => invalid("the token is not meant for this endpoint"),
                ErrorKind::InvalidIssuer => invalid("the token was not issued by this platform"),
                ErrorKind::InvalidSignature => invalid("the token's signature does not verify"),
                ErrorKind::MissingRequiredClaim(claim) => {
                    invalid(format!("the token lacks the required claim `{claim}`"))
                }
                _ => invalid("the token is not valid"),
            }
        })?;
        if data.claims.typ != expected {
            return Err(invalid("the token is not meant for this endpoint"));
        }
        // A token issued in the future (beyond the leeway) was not issued by this platform's
        // clock: refused like a forgery.
        let now = jsonwebtoken::get_current_timestamp();
        if u64::try_from(data.claims.iat).map_or(true, |iat| iat > now + LEEWAY_SECS) {
            return Err(invalid("the token was issued in the future"));
        }
        Ok(data.claims)
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, ApiError> {
        {
            let cache = self.cache.read().await;
            let fresh = cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.max_age);
            if let (true, Some(key)) = (fresh, cache.keys.get(kid)) {
                return Ok(key.clone());
            }
        }
        let mut cache = self.cache.write().await;
        let may_fetch = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.refetch_cooldown);
        if may_fetch {
            match self.source.key_set().await {
                Ok(set) => {
                    cache.keys = set
                        .keys
                        .iter()
                        .filter_map(|jwk| {
                            let kid = jwk.common.key_id.clone()?;
                            DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
                        })
                        .collect();
                    cache.fetched_at = Some(Instant::now());
                }
                Err(error) => {
                    tracing::warn!(
                        error.cause = format!("{error:#}"),
                        "fetching the key set failed"
                    );
                    if cache.keys.is_empty() {
                        return Err(ApiError::Unavailable(
                            "tokens cannot be verified right now: the key set is unavailable"
                                .to_owned(),
                        ));
                    }
                }
            }
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| invalid("the token's key is unknown"))
    }
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::unauthorized("invalid_token", detail)
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized("missing_token", "this endpoint needs a bearer token")
        })?;
    let text = value
        .to_str()
        .map_err(|_| invalid("the Authorization header is not readable"))?;
    // The scheme is case-insensitive (RFC 9110, 11.1): `Bearer`, `bearer` and `BEARER` alike.
    let token = text
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or_else(|| invalid("the Authorization header must be `Bearer <token>`"))?;
    Ok(token.trim().to_owned())
}

fn verifier(req: &HttpRequest) -> Result<web::Data<TokenVerifier>, ApiError> {
    req.app_data::<web::Data<TokenVerifier>>()
        .cloned()
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "no token verifier is configured for this route"
            ))
        })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = bearer(req).and_then(|token| Ok((token, verifier(req)?)));
        Box::pin(async move {
            let (token, verifier) = found?;
            verifier.verify_user(&token).await
        })
    }
}

impl FromRequest for ServiceCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = bearer(req).and_then(|token| Ok((token, verifier(req)?)));
        Box::pin(async move {
            let (token, verifier) = found?;
            verifier.verify_service(&token).await
        })
    }
}

/// A verified user who operates the platform: the extractor refuses anyone else with 403
/// `forbidden`, so a handler that takes it needs no check of its own.
#[derive(Debug, Clone)]
pub struct PlatformAdmin(pub Caller);

impl FromRequest for PlatformAdmin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.is_platform_admin() {
                Ok(Self(caller))
            } else {
                Err(ApiError::Forbidden(
                    "this needs a platform admin".to_owned(),
                ))
            }
        })
    }
}
