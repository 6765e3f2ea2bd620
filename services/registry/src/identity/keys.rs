//! The registry's token signing keys: Ed25519 key pairs kept in its own schema, published as a
//! JWKS (`GET /v1/.well-known/jwks.json`), rotated and retired by a platform admin.
//!
//! Rules: the private key never leaves the registry (no endpoint returns it); the newest active
//! key signs; every active key stays published so tokens signed before a rotation keep verifying
//! until they expire; a retired key is no longer published, so tokens it signed stop verifying
//! (the registry's own verifier forgets it at once). Rotations and retirements are audited on the
//! platform chain.
//!
//! Documents the registry signs (frozen snapshots, audit chain heads) must stay checkable after their key is
//! retired: every key ever used, retired ones included, is published apart, at
//! `GET /v1/.well-known/document-keys.json`. Tokens are never verified against that set.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use anyhow::{Context as _, anyhow};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{EncodingKey, Header};
use serde::Serialize;
use workout_domain::RegistryTopic;
use workout_domain::registry_api::events::SigningKeyChanged;
use workout_http::{ApiError, PlatformAdmin};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency};

use crate::RegistryState;
use crate::schema::signing_keys;

/// The public part of a signing key, as shown to admins.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyInfo {
    /// Key id (`kid`).
    pub kid: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Makes a new key pair and stores it; it becomes the signing key.
pub async fn create(conn: &mut AsyncPgConnection) -> anyhow::Result<SigningKeyInfo> {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| anyhow!("generating an Ed25519 key failed"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|e| anyhow!("reading the new key: {e}"))?;
    let kid = format!("k-{}", uuid::Uuid::now_v7().simple());
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(&kid),
            signing_keys::private_key.eq(pkcs8.as_ref()),
            signing_keys::public_key.eq(pair.public_key().as_ref()),
        ))
        .returning(SigningKeyInfo::as_returning())
        .get_result(conn)
        .await
        .context("storing the signing key")
}

/// Makes a signing key if there is no active one.
pub async fn ensure_active(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let active: i64 = signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .count()
        .get_result(&mut conn)
        .await?;
    if active == 0 {
        let key = create(&mut conn).await?;
        tracing::info!(key.kid = %key.kid, "signing key created");
    }
    Ok(())
}

/// Signs `claims` with the newest active key.
pub async fn sign(conn: &mut AsyncPgConnection, claims: &impl Serialize) -> anyhow::Result<String> {
    let (kid, private_key): (String, Vec<u8>) = signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select((signing_keys::kid, signing_keys::private_key))
        .first(conn)
        .await
        .context("no active signing key")?;
    let mut header = Header::new(workout_http::auth::ALGORITHM);
    header.kid = Some(kid);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&private_key))
        .context("signing a token")
}

/// `head` signed at `at` with the newest active key (a chain head of an audit export).
pub async fn sign_head(
    conn: &mut AsyncPgConnection,
    head: workout_store::audit::ChainHead,
    at: DateTime<Utc>,
) -> anyhow::Result<workout_store::audit::ChainHead> {
    let claims = head.claims(at);
    let signature = sign(conn, &claims).await?;
    Ok(head.signed(&claims, signature))
}

/// Retires a key: it is no longer published, so tokens it signed stop verifying.
pub async fn retire(conn: &mut AsyncPgConnection, kid: &str) -> QueryResult<usize> {
    diesel::update(signing_keys::table.find(kid))
        .filter(signing_keys::retired_at.is_null())
        .set(signing_keys::retired_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

/// The active public keys as a JWKS.
pub async fn key_set(conn: &mut AsyncPgConnection) -> QueryResult<JwkSet> {
    keys_of(conn, false).await
}

/// The public keys, newest first: the active ones, or every key ever used with `with_retired`.
async fn keys_of(conn: &mut AsyncPgConnection, with_retired: bool) -> QueryResult<JwkSet> {
    let mut query = signing_keys::table
        .order(signing_keys::created_at.desc())
        .select((signing_keys::kid, signing_keys::public_key))
        .into_boxed();
    if !with_retired {
        query = query.filter(signing_keys::retired_at.is_null());
    }
    let rows: Vec<(String, Vec<u8>)> = query.load(conn).await?;
    let keys = rows
        .into_iter()
        .map(|(kid, public_key)| Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                key_id: Some(kid),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(public_key),
            }),
        })
        .collect();
    Ok(JwkSet { keys })
}

/// The registry verifies its own tokens from its own table, without an HTTP round trip.
pub struct DbKeySource(pub Pool);

#[async_trait::async_trait]
impl workout_http::auth::KeySource for DbKeySource {
    async fn key_set(&self) -> anyhow::Result<JwkSet> {
        let mut conn = self.0.get().await?;
        Ok(key_set(&mut conn).await?)
    }
}

/// `GET /registry/v1/.well-known/jwks.json`: the public keys that verify tokens.
#[utoipa::path(tag = "auth",
    responses((status = 200, description = "JSON Web Key Set (RFC 7517)")))]
#[get("/v1/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<RegistryState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let set = key_set(&mut conn).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(set))
}

/// `GET /registry/v1/.well-known/document-keys.json`: every public key the registry ever signed
/// with, retired ones included, to check the documents it signed (a frozen snapshot's signature)
/// after a rotation; not for tokens.
#[utoipa::path(tag = "auth",
    responses((status = 200, description = "JSON Web Key Set (RFC 7517) of every key ever used")))]
#[get("/v1/.well-known/document-keys.json")]
pub async fn document_keys(state: web::Data<RegistryState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let set = keys_of(&mut conn, true).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(set))
}

/// `POST /registry/v1/signing-keys` (platform admin): a new signing key takes over signing; older
/// keys stay published until retired.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 201, body = SigningKeyInfo), (status = 403, body = workout_http::Problem)))]
#[post("/v1/signing-keys")]
pub async fn rotate_signing_key(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    PlatformAdmin(caller): PlatformAdmin,
) -> Result<HttpResponse, ApiError> {
    idempotency::run(
        &state.pool,
        &req,
        &caller,
        "rotate-signing-key",
        async |conn| {
            let key = create(conn).await?;
            super::record_platform(
                conn,
                &Actor::from(&caller),
                RegistryTopic::SigningKeyCreated,
                None,
                &SigningKeyChanged {
                    kid: key.kid.clone(),
                },
            )
            .await?;
            Reply::json(actix_web::http::StatusCode::CREATED, &key)
        },
    )
    .await
}

/// `POST /registry/v1/signing-keys/{kid}/retire` (platform admin): the key is no longer published.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = workout_http::Problem)))]
#[post("/v1/signing-keys/{kid}/retire")]
pub async fn retire_signing_key(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    PlatformAdmin(caller): PlatformAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let kid = path.into_inner();
    // A key id is `k-` and hex digits: anything else (a NUL, a line break, 100 KB) names no key,
    // and never reaches the database.
    let plausible = (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !plausible {
        return Err(ApiError::NotFound("active signing key"));
    }
    // No body: the path and the key identify the request.
    let answer = idempotency::run(&state.pool, &req, &caller, "", async |conn| {
        if retire(conn, &kid).await? == 0 {
            return Err(ApiError::NotFound("active signing key"));
        }
        super::record_platform(
            conn,
            &Actor::from(&caller),
            RegistryTopic::SigningKeyRetired,
            None,
            &SigningKeyChanged { kid: kid.clone() },
        )
        .await?;
        Ok(Reply::no_content())
    })
    .await?;
    state.verifier.forget_keys().await;
    Ok(answer)
}
