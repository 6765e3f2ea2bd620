//! The registry service: identity (institutions, users, sign-in, tokens, signing keys, service
//! clients) and the workouts' case file (participants and their notice contacts, creditors'
//! facilities with their history, FX rates, record-date exposure snapshots, information requests
//! to the borrower and the cooperation watcher).
//!
//! Rules: it alone holds the signing keys and issues tokens; it verifies its own tokens from its own
//! key table; everything it changes is audited (identity on the platform chain, a workout's case
//! file on that workout's chain) and announced through its outbox. Routes are mounted by
//! [`configure`], used alike by its binary, `workoutd` and the tests.

pub mod auth;
pub mod exposures;
pub mod facilities;
pub mod identity;
pub mod keys;
pub mod schema;
pub mod watch;
pub mod workouts;

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use utoipa::OpenApi;
use workout_domain::RegistryTopic;
use workout_http::auth::TokenVerifier;
use workout_http::ops::api_docs;
use workout_http::registry_client::ServiceCredentials;
use workout_http::{ApiError, PlatformAdmin};
use workout_runtime::{IntoTask, Service, ServiceContext, service_scope};
use workout_store::audit::{self, Actor, PLATFORM_CHAIN};
use workout_store::migrate::ServiceMigrations;
use workout_store::scheduler::Scheduler;
use workout_store::{Chain, Pool, Reply, idempotency, record, transaction};

/// The registry's own migrations.
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/registry");
/// Everything the registry's schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "registry",
    own: Some(&OWN_MIGRATIONS),
};

/// Token lifetimes, issuer and the service secrets' key.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// The `iss` of every token.
    pub issuer: String,
    /// Access token lifetime.
    pub access_token_ttl: chrono::Duration,
    /// Session (refresh) lifetime.
    pub refresh_token_ttl: chrono::Duration,
    /// Service token lifetime.
    pub service_token_ttl: chrono::Duration,
    /// The key service clients' secrets are derived from (see [`auth::service_secret`]).
    pub service_secrets_key: Option<String>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self::from_settings(&workout_runtime::Settings::local(""))
    }
}

impl RegistryConfig {
    /// The registry's part of the process's settings.
    pub fn from_settings(settings: &workout_runtime::Settings) -> Self {
        let duration =
            |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        Self {
            issuer: settings.issuer.clone(),
            access_token_ttl: duration(settings.registry.access_token_ttl),
            refresh_token_ttl: duration(settings.registry.refresh_token_ttl),
            service_token_ttl: duration(settings.registry.service_token_ttl),
            service_secrets_key: settings.registry.service_secrets_key.clone(),
        }
    }
}

/// What the registry's handlers share.
#[derive(Clone)]
pub struct RegistryState {
    /// Pool on schema `registry`.
    pub pool: Pool,
    /// Token settings.
    pub config: Arc<RegistryConfig>,
    /// The verifier of the registry's own endpoints (one per process, shared by all workers).
    pub verifier: web::Data<TokenVerifier>,
}

impl RegistryState {
    /// The registry's state over `pool`; it verifies its own tokens from its own tables.
    pub fn new(pool: Pool, config: RegistryConfig) -> Self {
        let verifier = TokenVerifier::new(
            config.issuer.clone(),
            Arc::new(keys::DbKeySource(pool.clone())),
            Arc::new(auth::DbSessionCheck(pool.clone())),
        )
        .with_refetch_cooldown(std::time::Duration::ZERO);
        Self {
            pool,
            config: Arc::new(config),
            verifier: web::Data::new(verifier),
        }
    }
}

/// `GET /registry/v1/.well-known/jwks.json`: the public keys that verify tokens.
#[utoipa::path(get, path = "/registry/v1/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "JSON Web Key Set (RFC 7517)")))]
pub async fn jwks(state: web::Data<RegistryState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let set = keys::key_set(&mut conn).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(set))
}

/// `POST /registry/v1/signing-keys` (platform admin): a new signing key takes over signing; older
/// keys stay published until retired.
#[utoipa::path(post, path = "/registry/v1/signing-keys", tag = "auth", security(("bearer" = [])),
    responses((status = 201, body = keys::SigningKeyInfo), (status = 403, body = workout_http::Problem)))]
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
            let key = keys::create(conn).await?;
            record(
                conn,
                Chain::Platform,
                &Actor::from(&caller),
                RegistryTopic::SigningKeyCreated,
                None,
                &serde_json::json!({ "kid": key.kid }),
            )
            .await?;
            Reply::json(actix_web::http::StatusCode::CREATED, &key)
        },
    )
    .await
}

/// `POST /registry/v1/signing-keys/{kid}/retire` (platform admin): the key is no longer published.
#[utoipa::path(post, path = "/registry/v1/signing-keys/{kid}/retire", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = workout_http::Problem)))]
pub async fn retire_signing_key(
    state: web::Data<RegistryState>,
    PlatformAdmin(caller): PlatformAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let kid = path.into_inner();
    transaction(&state.pool, async |conn| {
        if keys::retire(conn, &kid).await? == 0 {
            return Err(ApiError::NotFound("active signing key"));
        }
        record(
            conn,
            Chain::Platform,
            &Actor::from(&caller),
            RegistryTopic::SigningKeyRetired,
            None,
            &serde_json::json!({ "kid": kid }),
        )
        .await?;
        Ok(())
    })
    .await?;
    state.verifier.forget_keys().await;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /registry/v1/audit/platform` (platform admin): the platform chain as JSON lines, ending
/// with its head; verify it offline with `workoutd audit-verify`.
#[utoipa::path(get, path = "/registry/v1/audit/platform", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "JSON lines: entries, then the head", content_type = "application/x-ndjson"), (status = 403, body = workout_http::Problem)))]
pub async fn export_platform_audit(
    state: web::Data<RegistryState>,
    _admin: PlatformAdmin,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let lines = audit::export(&mut conn, PLATFORM_CHAIN).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .body(audit::to_json_lines(&lines)))
}

/// The registry's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Workout registry",
        description = "Institutions, users, sign-in and tokens."
    ),
    paths(
        auth::issue_token,
        auth::sign_out,
        auth::session_status,
        jwks,
        rotate_signing_key,
        retire_signing_key,
        identity::me,
        identity::create_institution,
        identity::list_institutions,
        identity::get_institution,
        identity::create_user,
        identity::list_users,
        identity::get_user,
        identity::disable_user,
        export_platform_audit,
        workouts::open_workout,
        workouts::list_workouts,
        workouts::get_workout,
        workouts::add_participant_to_workout,
        workouts::list_participants,
        workouts::remove_participant,
        workouts::replace_contacts,
        workouts::export_workout_audit,
        workouts::member_roles,
        workouts::internal_participants,
        workouts::change_status,
        workouts::appoint_coordinator,
        facilities::create_facility,
        facilities::update_facility,
        facilities::withdraw_facility,
        facilities::list_facilities,
        facilities::facility_history,
        facilities::import_facilities,
        exposures::set_rates,
        exposures::get_rates,
        exposures::get_snapshot,
        exposures::internal_snapshot,
        exposures::get_drift,
        exposures::create_information_request,
        exposures::answer_information_request,
        exposures::list_information_requests,
    )
)]
pub struct ApiDoc;

/// Mounts the registry under `/registry`.
pub fn configure(cfg: &mut web::ServiceConfig, state: RegistryState) {
    api_docs(cfg, "registry", ApiDoc::openapi());
    cfg.service(
        service_scope("registry", &state.pool, state.verifier.clone())
            .app_data(web::Data::new(state))
            .service(web::resource("/v1/.well-known/jwks.json").route(web::get().to(jwks)))
            .service(web::resource("/v1/auth/token").route(web::post().to(auth::issue_token)))
            .service(web::resource("/v1/auth/sign-out").route(web::post().to(auth::sign_out)))
            .service(
                web::resource("/v1/auth/sessions/{session_id}")
                    .route(web::get().to(auth::session_status)),
            )
            .service(web::resource("/v1/signing-keys").route(web::post().to(rotate_signing_key)))
            .service(
                web::resource("/v1/signing-keys/{kid}/retire")
                    .route(web::post().to(retire_signing_key)),
            )
            .service(
                web::resource("/v1/audit/platform").route(web::get().to(export_platform_audit)),
            )
            .service(web::resource("/v1/me").route(web::get().to(identity::me)))
            .service(
                web::resource("/v1/institutions")
                    .route(web::post().to(identity::create_institution))
                    .route(web::get().to(identity::list_institutions)),
            )
            .service(
                web::resource("/v1/institutions/{institution_id}")
                    .route(web::get().to(identity::get_institution)),
            )
            .service(
                web::resource("/v1/institutions/{institution_id}/users")
                    .route(web::post().to(identity::create_user))
                    .route(web::get().to(identity::list_users)),
            )
            .service(
                web::resource("/v1/institutions/{institution_id}/users/{user_id}")
                    .route(web::get().to(identity::get_user)),
            )
            .service(
                web::resource("/v1/institutions/{institution_id}/users/{user_id}/disable")
                    .route(web::post().to(identity::disable_user)),
            )
            .service(
                web::resource("/v1/workouts")
                    .route(web::post().to(workouts::open_workout))
                    .route(web::get().to(workouts::list_workouts)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}")
                    .route(web::get().to(workouts::get_workout)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/participants")
                    .route(web::post().to(workouts::add_participant_to_workout))
                    .route(web::get().to(workouts::list_participants)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/participants/{participant_id}/remove")
                    .route(web::post().to(workouts::remove_participant)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/audit")
                    .route(web::get().to(workouts::export_workout_audit)),
            )
            .service(
                web::resource("/v1/internal/workouts/{workout_id}/members/{institution_id}")
                    .route(web::get().to(workouts::member_roles)),
            )
            .service(
                web::resource("/v1/internal/workouts/{workout_id}/participants")
                    .route(web::get().to(workouts::internal_participants)),
            )
            .service(
                web::resource("/v1/internal/workouts/{workout_id}/status")
                    .route(web::post().to(workouts::change_status)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/facilities/{facility_id}/withdraw")
                    .route(web::post().to(facilities::withdraw_facility)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/participants/{participant_id}/contacts")
                    .route(web::put().to(workouts::replace_contacts)),
            )
            .service(
                web::resource("/v1/internal/workouts/{workout_id}/coordinator")
                    .route(web::put().to(workouts::appoint_coordinator)),
            )
            .service(
                web::resource("/v1/internal/workouts/{workout_id}/exposures")
                    .route(web::get().to(exposures::internal_snapshot)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/facilities")
                    .route(web::post().to(facilities::create_facility))
                    .route(web::get().to(facilities::list_facilities)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/facilities/import")
                    .route(web::post().to(facilities::import_facilities)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/facilities/{facility_id}")
                    .route(web::put().to(facilities::update_facility)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/facilities/{facility_id}/history")
                    .route(web::get().to(facilities::facility_history)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/fx-rates/{date}")
                    .route(web::put().to(exposures::set_rates))
                    .route(web::get().to(exposures::get_rates)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/exposures")
                    .route(web::get().to(exposures::get_snapshot)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/exposures/drift")
                    .route(web::get().to(exposures::get_drift)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/information-requests")
                    .route(web::post().to(exposures::create_information_request))
                    .route(web::get().to(exposures::list_information_requests)),
            )
            .service(
                web::resource("/v1/workouts/{workout_id}/information-requests/{request_id}/answer")
                    .route(web::post().to(exposures::answer_information_request)),
            ),
    );
}

/// Registers the registry's timed jobs (overdue information requests) on `scheduler`.
pub fn register_jobs(scheduler: Scheduler) -> Scheduler {
    scheduler.register(watch::OVERDUE_JOB, watch::overdue_job)
}

/// The registry as a service of a running process: its pool, an active signing key, its own
/// service client (for its relay), its job scheduler and its routes. Migrations are applied
/// beforehand.
pub async fn service(
    ctx: &ServiceContext,
    config: RegistryConfig,
) -> anyhow::Result<(Service, Pool)> {
    let pool = ctx.pool("registry")?;
    keys::ensure_active(&pool).await?;
    let key = config.service_secrets_key.as_deref();
    let secret = auth::set_keyed_service_client(&pool, "registry", key).await?;
    let tokens = ctx.tokens(ServiceCredentials {
        client_id: "registry".to_owned(),
        client_secret: secret,
    });
    watch::schedule_open_requests(&pool).await?;
    let scheduler = register_jobs(ctx.scheduler("registry", pool.clone()));
    let state = RegistryState::new(pool.clone(), config);
    let relay = ctx.relay("registry", pool.clone(), tokens);
    let service = Service {
        name: "registry",
        mount: Arc::new(move |cfg: &mut web::ServiceConfig| configure(cfg, state.clone())),
        tasks: vec![relay.into_task(), scheduler.into_task()],
    };
    Ok((service, pool))
}
