//! What every service other than the registry needs from the registry over HTTP: its key set, a
//! service token of its own, whether a user session is still active, and the typed client of its
//! internal API ([`RegistryClient`]).
//!
//! Rules: calls have short timeouts; a service token is reused until a minute before it expires; an
//! active session is believed for [`SESSION_CACHE`] at most, a revoked one for good.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use workout_domain::registry_api::{
    Appointment, CollateralItem, FacilityCollateral, FrozenSnapshot, MemberRoles, Obligation,
    Participant, StatusChange, Workout,
};
use workout_domain::{InstitutionId, SessionId, Snapshot, WorkoutId};

use crate::auth::{KeySource, SessionCheck};

/// How long a session seen active is believed without asking again.
pub const SESSION_CACHE: Duration = Duration::from_secs(5);

/// A reqwest client with the timeouts every inter-service call uses.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")
}

/// The registry's key set, fetched over HTTP.
pub struct HttpKeySource {
    client: reqwest::Client,
    url: String,
}

impl HttpKeySource {
    /// Keys from the registry at `registry_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(client: reqwest::Client, registry_url: &str) -> Self {
        Self {
            client,
            url: format!(
                "{}/registry/v1/.well-known/jwks.json",
                registry_url.trim_end_matches('/')
            ),
        }
    }
}

#[async_trait::async_trait]
impl KeySource for HttpKeySource {
    async fn key_set(&self) -> anyhow::Result<JwkSet> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .context("fetching the JWKS")?;
        let response = response.error_for_status().context("the JWKS answer")?;
        response.json().await.context("reading the JWKS")
    }
}

/// A service's credentials at the registry.
#[derive(Debug, Clone)]
pub struct ServiceCredentials {
    /// The client name, e.g. `voting`.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
}

#[derive(Serialize)]
struct ClientCredentialsGrant<'a> {
    grant_type: &'static str,
    client_id: &'a str,
    client_secret: &'a str,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

/// Obtains and caches this service's own service token.
pub struct ServiceTokens {
    client: reqwest::Client,
    url: String,
    credentials: ServiceCredentials,
    current: Mutex<Option<(String, Instant)>>,
}

impl ServiceTokens {
    /// Tokens from the registry at `registry_url` for `credentials`.
    pub fn new(
        client: reqwest::Client,
        registry_url: &str,
        credentials: ServiceCredentials,
    ) -> Self {
        Self {
            client,
            url: format!(
                "{}/registry/v1/auth/token",
                registry_url.trim_end_matches('/')
            ),
            credentials,
            current: Mutex::new(None),
        }
    }

    /// A valid service token, fetched when the cached one is missing or about to expire.
    pub async fn token(&self) -> anyhow::Result<String> {
        let mut current = self.current.lock().await;
        if let Some((token, valid_until)) = current.as_ref()
            && Instant::now() < *valid_until
        {
            return Ok(token.clone());
        }
        let answer: TokenAnswer = self
            .client
            .post(&self.url)
            .json(&ClientCredentialsGrant {
                grant_type: "client_credentials",
                client_id: &self.credentials.client_id,
                client_secret: &self.credentials.client_secret,
            })
            .send()
            .await
            .context("asking the registry for a service token")?
            .error_for_status()
            .context("the registry refused a service token")?
            .json()
            .await
            .context("reading the service token")?;
        let lifetime = Duration::from_secs(answer.expires_in.saturating_sub(60).max(1));
        *current = Some((answer.access_token.clone(), Instant::now() + lifetime));
        Ok(answer.access_token)
    }
}

#[derive(Deserialize)]
struct SessionAnswer {
    active: bool,
}

/// Asks the registry whether a session is active, with a short cache.
pub struct HttpSessionCheck {
    client: reqwest::Client,
    registry_url: String,
    tokens: std::sync::Arc<ServiceTokens>,
    seen: Mutex<HashMap<SessionId, (bool, Instant)>>,
}

impl HttpSessionCheck {
    /// Session checks against the registry at `registry_url`, authenticated with `tokens`.
    pub fn new(
        client: reqwest::Client,
        registry_url: &str,
        tokens: std::sync::Arc<ServiceTokens>,
    ) -> Self {
        Self {
            client,
            registry_url: registry_url.trim_end_matches('/').to_owned(),
            tokens,
            seen: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait::async_trait]
impl SessionCheck for HttpSessionCheck {
    async fn is_active(&self, session: SessionId) -> anyhow::Result<bool> {
        if let Some((active, at)) = self.seen.lock().await.get(&session).copied()
            && (!active || at.elapsed() < SESSION_CACHE)
        {
            return Ok(active);
        }
        let token = self.tokens.token().await?;
        let answer: SessionAnswer = self
            .client
            .get(format!(
                "{}/registry/v1/auth/sessions/{session}",
                self.registry_url
            ))
            .bearer_auth(token)
            .send()
            .await
            .context("asking the registry about a session")?
            .error_for_status()
            .context("the registry's session answer")?
            .json()
            .await
            .context("reading the session answer")?;
        let mut seen = self.seen.lock().await;
        if seen.len() > 10_000 {
            seen.retain(|_, (active, at)| !*active || at.elapsed() < SESSION_CACHE);
        }
        seen.insert(session, (answer.active, Instant::now()));
        Ok(answer.active)
    }
}

/// The registry's internal API, typed, for the other services: an institution's roles in a
/// workout, the participants with their notice contacts, the record-date snapshot, the
/// collateral of its facilities as of a date, and the two
/// decisions other services send (a status change, an appointment). Service tokens are handled
/// inside.
///
/// Rules: nothing is cached (roles decide access, so they are always current); a workout the
/// registry does not know answers 404 `not_found`; a registry that cannot be reached or fails
/// answers 503 `unavailable` — the caller never guesses; a snapshot is checked on arrival (its
/// totals and content hash are recomputed), so a corrupted one is refused.
pub struct RegistryClient {
    client: reqwest::Client,
    base: String,
    tokens: std::sync::Arc<ServiceTokens>,
}

impl RegistryClient {
    /// A client of the registry at `registry_url`, authenticated with `tokens`.
    pub fn new(
        client: reqwest::Client,
        registry_url: &str,
        tokens: std::sync::Arc<ServiceTokens>,
    ) -> Self {
        Self {
            client,
            base: format!(
                "{}/registry/v1/internal/workouts",
                registry_url.trim_end_matches('/')
            ),
            tokens,
        }
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        what: &'static str,
    ) -> Result<T, crate::ApiError> {
        use crate::ApiError;
        let unavailable = |error: &dyn std::fmt::Display| {
            tracing::warn!(error.cause = %error, what, "registry call failed");
            ApiError::Unavailable("the registry is unavailable; retry shortly".to_owned())
        };
        let token = self.tokens.token().await.map_err(|e| unavailable(&e))?;
        let response = request
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        match response.status() {
            status if status.is_success() => response.json().await.map_err(|e| unavailable(&e)),
            reqwest::StatusCode::NOT_FOUND => Err(ApiError::NotFound(what)),
            status if status.is_client_error() => {
                let problem: serde_json::Value = response.json().await.unwrap_or_default();
                let detail = problem["detail"].as_str().unwrap_or("refused").to_owned();
                Err(ApiError::Internal(anyhow::anyhow!(
                    "the registry refused a {what} request ({status}): {detail}"
                )))
            }
            status => Err(unavailable(&format!("answered {status}"))),
        }
    }

    /// The roles of `institution` in `workout` (empty when it takes no part), and the status.
    pub async fn member(
        &self,
        workout: WorkoutId,
        institution: InstitutionId,
    ) -> Result<MemberRoles, crate::ApiError> {
        let url = format!("{}/{workout}/members/{institution}", self.base);
        self.send(self.client.get(url), "workout").await
    }

    /// The caller's access to `workout`: 404 when its institution takes no part in it.
    pub async fn access(
        &self,
        workout: WorkoutId,
        caller: &crate::Caller,
    ) -> Result<crate::Access, crate::ApiError> {
        let member = self.member(workout, caller.institution_id).await?;
        crate::Access::new(workout, caller.institution_id, member.roles)
    }

    /// Every item of the internal list `{workout}/{list}` with the query `query` (all pages, in
    /// the list's order).
    async fn all_pages<T: serde::de::DeserializeOwned>(
        &self,
        workout: WorkoutId,
        list: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, crate::ApiError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = self
                .client
                .get(format!("{}/{workout}/{list}", self.base))
                .query(query)
                .query(&[("limit", crate::page::MAX_LIMIT.to_string())]);
            if let Some(cursor) = &cursor {
                request = request.query(&[("cursor", cursor)]);
            }
            let page: crate::Page<T> = self.send(request, "workout").await?;
            all.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Every active participant of `workout` with its notice contacts (all pages).
    pub async fn participants(
        &self,
        workout: WorkoutId,
    ) -> Result<Vec<Participant>, crate::ApiError> {
        self.all_pages(workout, "participants", &[]).await
    }

    /// Every collateral item of the facilities of `workout` in force at the end of `as_of` (all
    /// pages), by facility id and then in the order each facility lists them.
    pub async fn collateral(
        &self,
        workout: WorkoutId,
        as_of: chrono::NaiveDate,
    ) -> Result<Vec<CollateralItem>, crate::ApiError> {
        let facilities: Vec<FacilityCollateral> = self
            .all_pages(workout, "collateral", &[("as_of", as_of.to_string())])
            .await?;
        Ok(facilities
            .into_iter()
            .flat_map(|facility| facility.collateral)
            .collect())
    }

    /// What the borrower owes in `workout`: the facilities in force at the end of `as_of`, each
    /// with its creditor and terms (all pages), by facility id.
    pub async fn obligations(
        &self,
        workout: WorkoutId,
        as_of: chrono::NaiveDate,
    ) -> Result<Vec<Obligation>, crate::ApiError> {
        self.all_pages(workout, "obligations", &[("as_of", as_of.to_string())])
            .await
    }

    /// The record-date snapshot of `workout` as of `as_of`, checked on arrival.
    pub async fn snapshot(
        &self,
        workout: WorkoutId,
        as_of: chrono::NaiveDate,
    ) -> Result<Snapshot, crate::ApiError> {
        let request = self
            .client
            .get(format!("{}/{workout}/exposures", self.base))
            .query(&[("as_of", as_of.to_string())]);
        self.send(request, "workout").await
    }

    /// The workout itself (its calendar, base currency, status).
    pub async fn workout(&self, workout: WorkoutId) -> Result<Workout, crate::ApiError> {
        let url = format!("{}/{workout}", self.base);
        self.send(self.client.get(url), "workout").await
    }

    /// The frozen snapshot `snapshot` of `workout`, checked on arrival; 404 `snapshot` when the
    /// workout has no such snapshot.
    pub async fn frozen_snapshot(
        &self,
        workout: WorkoutId,
        snapshot: uuid::Uuid,
    ) -> Result<FrozenSnapshot, crate::ApiError> {
        let url = format!("{}/{workout}/snapshots/{snapshot}", self.base);
        let frozen: FrozenSnapshot = self.send(self.client.get(url), "snapshot").await?;
        if frozen.snapshot.content_hash() != frozen.content_hash {
            return Err(crate::ApiError::Internal(anyhow::anyhow!(
                "frozen snapshot {snapshot}: its lines do not match its content hash"
            )));
        }
        Ok(frozen)
    }

    /// Moves `workout` to `change.status`; `key` makes a retry safe (`Idempotency-Key`).
    pub async fn set_status(
        &self,
        workout: WorkoutId,
        change: &StatusChange,
        key: &str,
    ) -> Result<Workout, crate::ApiError> {
        let request = self
            .client
            .post(format!("{}/{workout}/status", self.base))
            .header("idempotency-key", key)
            .json(change);
        self.send(request, "workout").await
    }

    /// Appoints the coordinator of `workout`; answers the active participants after it.
    pub async fn appoint_coordinator(
        &self,
        workout: WorkoutId,
        appointment: &Appointment,
        key: &str,
    ) -> Result<Vec<Participant>, crate::ApiError> {
        let request = self
            .client
            .put(format!("{}/{workout}/coordinator", self.base))
            .header("idempotency-key", key)
            .json(appointment);
        self.send(request, "workout").await
    }
}
